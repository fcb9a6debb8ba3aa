use sea_orm::entity::prelude::*;

/// One step in a queue entry's history. Rows are never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_queue_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entry_id: i64,
    /// None: the system (rules, the flag threshold).
    pub actor_id: Option<i64>,
    /// held | flagged | hidden | edited | reopened | claimed | released |
    /// approved | rejected | ignored
    pub kind: String,
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
