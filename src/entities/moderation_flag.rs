use sea_orm::entity::prelude::*;

/// A member's flag on a post or thread; one per user per post.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entry_id: i64,
    pub post_id: i64,
    /// post | thread
    pub target_type: String,
    pub user_id: i64,
    /// spam | off_topic | inappropriate | privacy | other
    pub reason: String,
    pub note: String,
    /// The reason's weight when the flag was raised.
    pub weight: i32,
    /// open | agreed | declined | ignored
    pub status: String,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
