use sea_orm::entity::prelude::*;

/// One entry of a request's append-only history: a transition, an approval
/// vote, an assignment, an edit or a comment. Rows are never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exemption_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub actor_id: Option<i64>,
    /// create | edit | submit | claim | assign | request_changes | resubmit |
    /// approve | deny | withdraw | appeal | comment
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub comment: String,
    pub comment_html: String,
    /// Visible to reviewers only.
    pub internal: bool,
    pub request_version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
