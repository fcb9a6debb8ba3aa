use sea_orm::entity::prelude::*;

/// A reply or thread being written, saved server-side.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forum_drafts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// new_thread | reply:<thread id> | edit:<post id>
    pub draft_key: String,
    pub title: String,
    pub body: String,
    /// JSON chosen by the client (category, tags, reply-to, quote).
    pub payload: String,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
