use sea_orm::entity::prelude::*;

/// One moderation action: who did what to which target, why, and when.
/// Rows are never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// None: the system (the flag threshold).
    pub actor_id: Option<i64>,
    pub action: String,
    /// post | thread | user
    pub target_type: String,
    pub target_id: i64,
    pub reason: String,
    /// JSON object.
    pub details: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
