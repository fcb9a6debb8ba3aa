use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collaboration_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sender_id: i64,
    pub recipient_id: i64,
    pub message: String,
    /// pending | accepted | declined | withdrawn
    pub status: String,
    pub sender_shares_email: bool,
    pub recipient_shares_email: bool,
    /// `low:high` user ids while pending, otherwise NULL (unique).
    pub pending_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub responded_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
