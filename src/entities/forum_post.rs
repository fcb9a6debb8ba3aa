use sea_orm::entity::prelude::*;

/// A post: the opening post of a thread (number 1) or a reply. The markdown
/// source and its sanitized HTML are stored side by side.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forum_posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub thread_id: i64,
    pub number: i32,
    pub author_id: i64,
    pub reply_to_post_id: Option<i64>,
    /// Plain text quoted from the post replied to.
    pub quote_text: Option<String>,
    pub body: String,
    pub body_html: String,
    /// Plain text for thread lists; opening posts only (see
    /// `forum::posts::EXCERPT_CHARS`). None on posts written before it existed.
    pub excerpt: Option<String>,
    pub like_count: i32,
    pub revision_count: i32,
    /// visible | held | hidden
    pub moderation_state: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
