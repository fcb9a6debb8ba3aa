use sea_orm::entity::prelude::*;

/// A community workspace listing. Markdown fields store source and
/// sanitized HTML side by side.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub namespace: String,
    pub owner_id: i64,
    pub intended_study: String,
    pub intended_study_html: String,
    pub scientific_approach: String,
    pub scientific_approach_html: String,
    pub anticipated_findings: String,
    pub anticipated_findings_html: String,
    pub disease_focused: bool,
    pub disease: String,
    pub methods_development: bool,
    pub population_health: bool,
    pub social_behavioral: bool,
    pub ancestry: bool,
    pub drug_development: bool,
    pub educational: bool,
    pub other_purpose: bool,
    pub other_purpose_text: String,
    /// registered | controlled
    pub tier: String,
    pub cdr_version: String,
    /// community | tutorial | demo | phenotype_library
    pub featured_category: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub consented_at: Option<DateTimeUtc>,
    pub consented_by: Option<i64>,
    pub duplicate_count: i32,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
