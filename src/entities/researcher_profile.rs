use sea_orm::entity::prelude::*;

/// A researcher's collaboration profile; its lists live in `profile_terms`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "researcher_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub research_interests: String,
    /// Free text beside the `seeking` terms.
    pub looking_for: String,
    pub open_to_collaborate: bool,
    pub orcid: Option<String>,
    pub career_stage: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
