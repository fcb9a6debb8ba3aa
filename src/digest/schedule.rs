//! Deciding who is due. Each user's digest has a period (a local date for
//! daily, an ISO week for weekly) and a scheduled moment in their time
//! zone; once that moment has passed and the period has not been handled,
//! one `digest.send` job is enqueued with the dedupe key
//! `digest:<user>:<period>`. Running the scan twice, or on two workers at
//! once, still yields exactly one job.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{FromQueryResult, Statement};
use serde::{Deserialize, Serialize};

use crate::notifications::preferences::{DEFAULT_TIME_ZONE, DigestFrequency};
use crate::{
    context::AppContext,
    db::Reach,
    error::AppResult,
    jobs::{self, NewJob},
};

/// What a `digest.send` job carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DigestJob {
    pub user_id: i64,
    pub period: String,
    /// Content newer than this goes in.
    pub since: DateTime<Utc>,
}

/// The period a user's digest is due for at `now`, and when it was due.
pub fn current_period(
    frequency: DigestFrequency,
    hour: i16,
    weekday: i16,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<(String, DateTime<Utc>)> {
    let local = now.with_timezone(&tz);
    let at = NaiveTime::from_hms_opt(hour.clamp(0, 23) as u32, 0, 0)?;
    let scheduled = |date: NaiveDate| -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&date.and_time(at))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    match frequency {
        DigestFrequency::Off => None,
        DigestFrequency::Daily => {
            let today = local.date_naive();
            let due_today = scheduled(today)?;
            let date = if now >= due_today {
                today
            } else {
                today.pred_opt()?
            };
            Some((date.format("%Y-%m-%d").to_string(), scheduled(date)?))
        }
        DigestFrequency::Weekly => {
            let today = local.date_naive();
            let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
            let this_week = monday + Duration::days(weekday.clamp(0, 6) as i64);
            let date = if now >= scheduled(this_week)? {
                this_week
            } else {
                this_week - Duration::days(7)
            };
            let iso = date.iso_week();
            Some((
                format!("{}-W{:02}", iso.year(), iso.week()),
                scheduled(date)?,
            ))
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct Candidate {
    id: i64,
    silenced_until: Option<DateTime<Utc>>,
    digest_frequency: Option<String>,
    digest_hour: Option<i16>,
    digest_weekday: Option<i16>,
    time_zone: Option<String>,
    last_digest_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// Enqueues every digest that is due; returns how many jobs were created.
pub async fn run(ctx: &AppContext) -> AppResult<usize> {
    let now = ctx.clock.now();
    let backend = ctx.db.get_database_backend();
    let candidates = Candidate::find_by_statement(Statement::from_string(
        backend,
        "SELECT u.id, u.silenced_until, u.created_at, p.digest_frequency, p.digest_hour,
                p.digest_weekday, p.time_zone, p.last_digest_at
         FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id
         WHERE u.status = 'active' AND u.email_verified_at IS NOT NULL
           AND (p.digest_frequency IS NULL OR p.digest_frequency <> 'off')",
    ))
    .all(&ctx.db)
    .await?;
    // One write for the whole scan: the digests it enqueues change nothing shown.
    let txn = ctx.write().await?;
    txn.reaches(Reach::Nobody);
    let mut created = 0;
    for c in candidates {
        if c.silenced_until.is_some_and(|until| until > now) {
            continue;
        }
        let frequency = DigestFrequency::parse(c.digest_frequency.as_deref().unwrap_or("weekly"));
        let tz: Tz = c
            .time_zone
            .as_deref()
            .unwrap_or(DEFAULT_TIME_ZONE)
            .parse()
            .unwrap_or(chrono_tz::America::New_York);
        let Some((period, due_at)) = current_period(
            frequency,
            c.digest_hour.unwrap_or(8),
            c.digest_weekday.unwrap_or(0),
            tz,
            now,
        ) else {
            continue;
        };
        // Handled already, or the account is younger than the period.
        if c.last_digest_at.is_some_and(|last| last >= due_at) {
            continue;
        }
        let length = match frequency {
            DigestFrequency::Daily => Duration::days(1),
            _ => Duration::days(7),
        };
        let since = c
            .last_digest_at
            .unwrap_or(due_at - length)
            .max(c.created_at);
        let job = NewJob::new(
            super::send::KIND,
            DigestJob {
                user_id: c.id,
                period: period.clone(),
                since,
            },
        )?
        .dedupe(format!("digest:{}:{period}", c.id));
        if jobs::enqueue(&txn, now, job).await? {
            created += 1;
        }
    }
    txn.commit().await?;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn weekly_period_follows_the_local_weekday_and_hour() {
        let tz = chrono_tz::America::New_York;
        // Monday 2026-11-23 07:00 local is before the 08:00 send: last week's period.
        let (p, _) = current_period(
            DigestFrequency::Weekly,
            8,
            0,
            tz,
            utc("2026-11-23T12:00:00Z"),
        )
        .unwrap_or_default();
        assert_eq!(p, "2026-W47");
        // 09:00 local on that Monday: this week's period, due at 13:00 UTC.
        let (p, due) = current_period(
            DigestFrequency::Weekly,
            8,
            0,
            tz,
            utc("2026-11-23T14:00:00Z"),
        )
        .unwrap_or_default();
        assert_eq!(p, "2026-W48");
        assert_eq!(due, utc("2026-11-23T13:00:00Z"));
    }

    #[test]
    fn daily_period_is_the_local_date() {
        let tz = chrono_tz::Asia::Tokyo;
        let (p, due) = current_period(
            DigestFrequency::Daily,
            7,
            0,
            tz,
            utc("2026-11-24T00:30:00Z"),
        )
        .unwrap_or_default();
        assert_eq!(p, "2026-11-24");
        assert_eq!(due, utc("2026-11-23T22:00:00Z"));
        assert!(
            current_period(DigestFrequency::Off, 7, 0, tz, utc("2026-11-24T00:30:00Z")).is_none()
        );
    }
}
