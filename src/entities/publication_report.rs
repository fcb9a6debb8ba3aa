use sea_orm::entity::prelude::*;

/// A publication or presentation report. `filed_at` null means a draft.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publication_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub filer_id: i64,
    pub lead_author_id: i64,
    /// journal_article | preprint | conference_abstract | oral_presentation |
    /// poster | thesis | book_chapter | media | other
    pub output_type: String,
    pub title: String,
    pub summary: String,
    pub summary_html: String,
    pub venue: String,
    pub submission_date: Option<Date>,
    pub presentation_date: Option<Date>,
    pub publication_date: Option<Date>,
    /// When the work first appears; computed from the dates above.
    pub due_date: Option<Date>,
    /// registered | controlled
    pub tier: Option<String>,
    pub cdr_version: String,
    /// planned | submitted | accepted | published | presented | withdrawn
    pub status: String,
    pub filed_at: Option<DateTimeUtc>,
    pub late: bool,
    pub days_notice: Option<i32>,
    pub status_changed_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub embargo_until: Option<DateTimeUtc>,
    pub doi: Option<String>,
    pub pmcid: Option<String>,
    pub url: Option<String>,
    pub exemption_request_id: Option<i64>,
    pub acknowledgement_included: bool,
    pub data_availability_included: bool,
    pub complies_with_policy: bool,
    pub data_availability_statement: String,
    /// The due date a "date passed" reminder was sent for.
    pub date_reminder_for: Option<Date>,
    pub identifier_reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
