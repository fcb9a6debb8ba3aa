use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// expertise | method | seeking
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// Normalized key; curated terms use their vocabulary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub term_key: String,
    /// The label shown.
    pub term: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
