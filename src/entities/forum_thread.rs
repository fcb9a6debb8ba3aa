use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forum_threads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub category_id: i64,
    pub author_id: i64,
    /// Plain text, never HTML.
    pub title: String,
    pub first_post_id: Option<i64>,
    /// The highest post number ever given out in this thread.
    pub post_number_seq: i32,
    /// The number of the latest post everyone can read.
    pub last_post_number: i32,
    /// Visible, undeleted replies (the opening post is not a reply).
    pub reply_count: i32,
    pub view_count: i64,
    /// Likes on the thread's visible posts.
    pub like_count: i32,
    pub pinned: bool,
    pub pinned_at: Option<DateTimeUtc>,
    pub locked: bool,
    /// The accepted answer.
    pub solved_post_id: Option<i64>,
    /// visible | held | hidden
    pub moderation_state: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
    pub last_activity_at: DateTimeUtc,
    pub last_post_id: Option<i64>,
    pub last_poster_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
