//! Per-user email preferences, with defaults for users who never changed them.

use chrono_tz::Tz;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use crate::{
    context::AppContext,
    db::Reach,
    entities::user_preference,
    error::{AppError, AppResult},
    identity::CurrentUser,
};

pub const DEFAULT_TIME_ZONE: &str = "America/New_York";

#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum DigestFrequency {
    Off,
    Daily,
    Weekly,
}

impl DigestFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestFrequency::Off => "off",
            DigestFrequency::Daily => "daily",
            DigestFrequency::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> DigestFrequency {
        match s {
            "off" => DigestFrequency::Off,
            "daily" => DigestFrequency::Daily,
            _ => DigestFrequency::Weekly,
        }
    }
}

/// Defaults for a user without a row: weekly, Monday 08:00 Eastern.
pub fn defaults(user_id: i64, now: chrono::DateTime<chrono::Utc>) -> user_preference::Model {
    user_preference::Model {
        user_id,
        digest_frequency: DigestFrequency::Weekly.as_str().into(),
        digest_hour: 8,
        digest_weekday: 0,
        time_zone: DEFAULT_TIME_ZONE.into(),
        email_mentions: true,
        email_replies: false,
        email_decisions: true,
        last_digest_at: None,
        updated_at: now,
    }
}

pub async fn get(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<user_preference::Model> {
    Ok(user_preference::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .unwrap_or_else(|| defaults(user_id, now)))
}

#[derive(Debug, Default)]
pub struct PreferenceChange {
    pub digest_frequency: Option<DigestFrequency>,
    pub digest_hour: Option<i32>,
    pub digest_weekday: Option<i32>,
    pub time_zone: Option<String>,
    pub email_mentions: Option<bool>,
    pub email_replies: Option<bool>,
    pub email_decisions: Option<bool>,
}

pub fn parse_time_zone(name: &str) -> AppResult<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        AppError::validation(
            "timeZone",
            "is not a known IANA time zone, such as America/Chicago",
        )
    })
}

pub async fn update(
    ctx: &AppContext,
    viewer: &CurrentUser,
    change: PreferenceChange,
) -> AppResult<user_preference::Model> {
    let now = ctx.clock.now();
    let mut prefs = get(&ctx.db, viewer.id, now).await?;
    if let Some(f) = change.digest_frequency {
        prefs.digest_frequency = f.as_str().into();
    }
    if let Some(hour) = change.digest_hour {
        if !(0..=23).contains(&hour) {
            return Err(AppError::validation(
                "digestHour",
                "must be between 0 and 23",
            ));
        }
        prefs.digest_hour = hour as i16;
    }
    if let Some(day) = change.digest_weekday {
        if !(0..=6).contains(&day) {
            return Err(AppError::validation(
                "digestWeekday",
                "must be between 0 (Monday) and 6 (Sunday)",
            ));
        }
        prefs.digest_weekday = day as i16;
    }
    if let Some(tz) = change.time_zone {
        prefs.time_zone = parse_time_zone(&tz)?.name().to_string();
    }
    if let Some(v) = change.email_mentions {
        prefs.email_mentions = v;
    }
    if let Some(v) = change.email_replies {
        prefs.email_replies = v;
    }
    if let Some(v) = change.email_decisions {
        prefs.email_decisions = v;
    }
    prefs.updated_at = now;
    let txn = ctx.write().await?;
    txn.reaches(Reach::Member(viewer.id));
    save(&txn, prefs.clone()).await?;
    txn.commit().await?;
    Ok(prefs)
}

/// Insert-or-update the whole row.
pub async fn save(conn: &impl ConnectionTrait, prefs: user_preference::Model) -> AppResult<()> {
    use user_preference::Column as C;
    let row = user_preference::ActiveModel {
        user_id: Set(prefs.user_id),
        digest_frequency: Set(prefs.digest_frequency),
        digest_hour: Set(prefs.digest_hour),
        digest_weekday: Set(prefs.digest_weekday),
        time_zone: Set(prefs.time_zone),
        email_mentions: Set(prefs.email_mentions),
        email_replies: Set(prefs.email_replies),
        email_decisions: Set(prefs.email_decisions),
        last_digest_at: Set(prefs.last_digest_at),
        updated_at: Set(prefs.updated_at),
    };
    user_preference::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([
                    C::DigestFrequency,
                    C::DigestHour,
                    C::DigestWeekday,
                    C::TimeZone,
                    C::EmailMentions,
                    C::EmailReplies,
                    C::EmailDecisions,
                    C::LastDigestAt,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Records that this period's digest was handled (sent, or skipped as
/// empty), touching only that column so a concurrent preference change is
/// not lost.
pub async fn mark_digest_handled(
    conn: &impl ConnectionTrait,
    user_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut row = defaults(user_id, at);
    row.last_digest_at = Some(at);
    let active = user_preference::ActiveModel {
        user_id: Set(row.user_id),
        digest_frequency: Set(row.digest_frequency),
        digest_hour: Set(row.digest_hour),
        digest_weekday: Set(row.digest_weekday),
        time_zone: Set(row.time_zone),
        email_mentions: Set(row.email_mentions),
        email_replies: Set(row.email_replies),
        email_decisions: Set(row.email_decisions),
        last_digest_at: Set(row.last_digest_at),
        updated_at: Set(row.updated_at),
    };
    user_preference::Entity::insert(active)
        .on_conflict(
            OnConflict::column(user_preference::Column::UserId)
                .update_column(user_preference::Column::LastDigestAt)
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
