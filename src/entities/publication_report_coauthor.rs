use sea_orm::entity::prelude::*;

/// A co-author: a user of the platform, or a free-text name with an
/// affiliation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publication_report_coauthors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: i64,
    pub position: i32,
    pub user_id: Option<i64>,
    pub name: String,
    pub affiliation: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
