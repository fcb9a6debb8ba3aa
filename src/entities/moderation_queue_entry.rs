use sea_orm::entity::prelude::*;

/// A post's entry in the moderation queue: flags, rule holds and first
/// posts of new members. One per post (a thread is its opening post); a
/// decided entry is reopened when something new happens to the post.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_queue")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub post_id: i64,
    pub thread_id: i64,
    /// post | thread (the entry is about a thread's opening post)
    pub target_type: String,
    pub author_id: i64,
    /// pending | approved | rejected | ignored
    pub status: String,
    /// 3 urgent (privacy), 2 high (content withheld), 1 normal
    pub priority: i32,
    /// Summed weights of this round's open flags.
    pub score: i32,
    pub flag_count: i32,
    /// Held because the author's first posts are reviewed.
    pub first_post: bool,
    /// Hidden because the flag score reached the threshold.
    pub hidden_by_flags: bool,
    /// JSON array of the latest screening's findings.
    pub findings: String,
    pub claimed_by: Option<i64>,
    pub claimed_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_reason: String,
    pub version: i32,
    pub opened_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
