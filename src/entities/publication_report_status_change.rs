use sea_orm::entity::prelude::*;

/// One status change of a filed report: who, when, old and new.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publication_report_status_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: i64,
    pub actor_id: i64,
    /// Null for the status the report was filed with.
    pub from_status: Option<String>,
    pub to_status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
