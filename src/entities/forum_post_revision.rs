use sea_orm::entity::prelude::*;

/// What a post was before one edit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forum_post_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub post_id: i64,
    pub number: i32,
    pub editor_id: i64,
    pub previous_body: String,
    /// The thread title before the edit, when the edit changed it.
    pub previous_title: Option<String>,
    pub reason: String,
    pub created_at: DateTimeUtc,
    /// The text was not public when it was replaced (held, hidden, or
    /// written while held): for the author and moderators only.
    pub withheld: bool,
    /// A moderator emptied the revision's text.
    pub redacted_at: Option<DateTimeUtc>,
    pub redacted_by_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
