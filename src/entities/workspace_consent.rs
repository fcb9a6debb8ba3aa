use sea_orm::entity::prelude::*;

/// The owner's consent to the publishing terms, one row per publication.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub no_harmful_language: bool,
    pub contact_info_in_description: bool,
    pub collaborators_agreed: bool,
    /// The listing version that was published.
    pub workspace_version: i32,
    pub consented_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
