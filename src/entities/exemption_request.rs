use sea_orm::entity::prelude::*;

/// A Data and Statistics Dissemination Exemption request. Markdown fields
/// store source and sanitized HTML side by side.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exemption_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub requester_id: i64,
    pub workspace_id: i64,
    pub title: String,
    /// What will be disseminated (markdown).
    pub dissemination: String,
    pub dissemination_html: String,
    /// JSON array of the cells below the threshold.
    pub cells: String,
    pub justification: String,
    pub justification_html: String,
    pub venue: String,
    /// A publication report, if one exists (no foreign key).
    pub publication_report_id: Option<i64>,
    pub needed_by: Date,
    /// draft | submitted | in_review | changes_requested | resubmitted |
    /// appealed | approved | denied | withdrawn
    pub state: String,
    /// Bumped by every edit of the requester; decisions name the version
    /// they were made on.
    pub version: i32,
    /// Bumped each time the request reaches reviewers (submission,
    /// resubmission, appeal); approval votes count within one round.
    pub round: i32,
    pub approvals_required: i32,
    pub assignee_id: Option<i64>,
    /// The queue's age key: creation, then first submission.
    pub queued_at: DateTimeUtc,
    /// First submission (metrics measure time to decision from here).
    pub submitted_at: Option<DateTimeUtc>,
    /// When the current SLA clock started (submission, resubmission or appeal).
    pub clock_started_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    /// The `due_at` an overdue reminder was last enqueued for.
    pub reminded_due_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_version: Option<i32>,
    /// The latest decision's note: approval conditions, the reason for a
    /// denial, or the changes requested.
    pub decision_note: String,
    pub decision_note_html: String,
    pub appealed_at: Option<DateTimeUtc>,
    pub appeal_reason: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
