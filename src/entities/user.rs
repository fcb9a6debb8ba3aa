use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub handle: String,
    pub display_name: String,
    pub institution: String,
    pub password_hash: String,
    /// Comma-separated role names; see `identity::Roles`.
    pub roles: String,
    pub tier: String,
    pub status: String,
    pub email_verified_at: Option<DateTimeUtc>,
    pub silenced_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
