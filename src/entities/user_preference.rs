use sea_orm::entity::prelude::*;

/// Email preferences. A user without a row has the defaults (weekly digest).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// off | daily | weekly
    pub digest_frequency: String,
    /// Local hour (0–23) the digest goes out.
    pub digest_hour: i16,
    /// Local weekday for weekly digests: 0 = Monday … 6 = Sunday.
    pub digest_weekday: i16,
    /// IANA time zone name.
    pub time_zone: String,
    pub email_mentions: bool,
    pub email_replies: bool,
    pub email_decisions: bool,
    pub last_digest_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
