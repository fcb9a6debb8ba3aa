//! Reminders about filed reports, sent through the jobs table:
//!
//! - *date passed*: the work's date has passed and its status still says it
//!   has not appeared (planned, submitted, accepted) and was not changed
//!   since that date; the filer is asked to update it.
//! - *missing identifier*: a published item has neither a DOI nor a PMCID a
//!   week after it was marked published; the filer and the lead author are
//!   asked to add one.
//!
//! Each reminder is sent exactly once: the report row records that it was
//! handled (so the scan does not find it again), and the mail job carries a
//! dedupe key (so two scans racing on two replicas enqueue one job).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;

use super::types::PublicationStatus;
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{publication_report as report, user},
    error::{AppError, AppResult},
    identity::UserStatus,
    jobs::{self, NewJob},
    mail::{OutgoingMail, templates},
    notifications::service::{NewNotification, notify},
};

/// How long after "published" a DOI or PMCID may still be missing before
/// the authors are reminded.
pub const IDENTIFIER_GRACE_DAYS: i64 = 7;
/// Reports handled per scan; the next tick picks up the rest.
const BATCH: u64 = 200;

/// Enqueues the reminders that are due. Safe to run any number of times.
pub async fn run_scheduled(ctx: &AppContext) -> AppResult<()> {
    let now = ctx.clock.now();
    remind_date_passed(ctx, now).await?;
    remind_missing_identifier(ctx, now).await?;
    Ok(())
}

fn pending_statuses() -> Vec<&'static str> {
    PublicationStatus::PENDING
        .iter()
        .map(|s| s.as_str())
        .collect()
}

fn date_passed_query(today: NaiveDate) -> sea_orm::Select<report::Entity> {
    report::Entity::find()
        .filter(report::Column::Status.is_in(pending_statuses()))
        .filter(report::Column::FiledAt.is_not_null())
        .filter(report::Column::DueDate.lt(today))
        .filter(
            Condition::any()
                .add(report::Column::DateReminderFor.is_null())
                .add(
                    Expr::col(report::Column::DateReminderFor)
                        .ne(Expr::col(report::Column::DueDate)),
                ),
        )
}

async fn remind_date_passed(ctx: &AppContext, now: DateTime<Utc>) -> AppResult<()> {
    let today = now.date_naive();
    let candidates: Vec<i64> = date_passed_query(today)
        .select_only()
        .column(report::Column::Id)
        .order_by_asc(report::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    for id in candidates {
        let txn = ctx.write().await?;
        // Re-read under the lock: another replica may have handled it.
        let Some(m) = date_passed_query(today)
            .filter(report::Column::Id.eq(id))
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            continue;
        };
        let Some(due) = m.due_date else { continue };
        let due_start = due.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        // A status changed on or after the date counts as an update.
        let updated_since = match (m.status_changed_at, due_start) {
            (Some(changed), Some(start)) => changed >= start,
            _ => false,
        };
        if !updated_since {
            let key = format!("pubreminder:date-passed:{}:{}", m.id, due);
            send(
                &txn,
                ctx,
                m.filer_id,
                &key,
                format!("Has \u{201c}{}\u{201d} appeared yet?", short(&m.title)),
                format!(
                    "Its date ({due}) has passed and the report still says \u{201c}{}\u{201d}. \
                     Please update its status, or its date if plans changed.",
                    m.status
                ),
                m.id,
            )
            .await?;
        }
        let mut active = m.into_active_model();
        active.date_reminder_for = Set(Some(due));
        active.update(&txn).await?;
        txn.commit().await?;
    }
    Ok(())
}

fn missing_identifier_query(now: DateTime<Utc>) -> sea_orm::Select<report::Entity> {
    report::Entity::find()
        .filter(report::Column::Status.eq(PublicationStatus::Published.as_str()))
        .filter(report::Column::FiledAt.is_not_null())
        .filter(report::Column::PublishedAt.lte(now - Duration::days(IDENTIFIER_GRACE_DAYS)))
        .filter(report::Column::Doi.is_null())
        .filter(report::Column::Pmcid.is_null())
        .filter(report::Column::IdentifierRemindedAt.is_null())
}

async fn remind_missing_identifier(ctx: &AppContext, now: DateTime<Utc>) -> AppResult<()> {
    let candidates: Vec<i64> = missing_identifier_query(now)
        .select_only()
        .column(report::Column::Id)
        .order_by_asc(report::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    for id in candidates {
        let txn = ctx.write().await?;
        let Some(m) = missing_identifier_query(now)
            .filter(report::Column::Id.eq(id))
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            continue;
        };
        let mut recipients = vec![m.filer_id];
        if m.lead_author_id != m.filer_id {
            recipients.push(m.lead_author_id);
        }
        for user_id in recipients {
            let key = format!("pubreminder:missing-id:{}:{}", m.id, user_id);
            send(
                &txn,
                ctx,
                user_id,
                &key,
                format!("Add a DOI or PMCID to \u{201c}{}\u{201d}", short(&m.title)),
                "It is marked published but has no DOI or PubMed Central id yet. Adding one \
                 lets the program cite and track the work."
                    .to_string(),
                m.id,
            )
            .await?;
        }
        let mut active = m.into_active_model();
        active.identifier_reminded_at = Set(Some(now));
        active.update(&txn).await?;
        txn.commit().await?;
    }
    Ok(())
}

fn short(title: &str) -> String {
    let mut s: String = title.chars().take(120).collect();
    if title.chars().count() > 120 {
        s.push('\u{2026}');
    }
    s
}

/// One reminder to one user: the email is a mail job under `key`, and the
/// in-app notification is written only when that job was new.
async fn send(
    conn: &WriteTxn,
    ctx: &AppContext,
    user_id: i64,
    key: &str,
    title: String,
    excerpt: String,
    report_id: i64,
) -> AppResult<()> {
    let Some(recipient) = user::Entity::find_by_id(user_id).one(conn).await? else {
        return Ok(());
    };
    let link = format!("/publications/{report_id}");
    let now = ctx.clock.now();
    if UserStatus::is_active(&recipient.status) && recipient.email_verified_at.is_some() {
        let (text, html) = templates::render(
            "notification",
            json!({
                "name": recipient.display_name,
                "headline": title,
                "excerpt": excerpt,
                "link": format!("{}{}", ctx.config.public_url, link),
                "preferences_link": format!("{}/settings", ctx.config.public_url),
            }),
        )
        .map_err(AppError::internal)?;
        let mail = OutgoingMail {
            to: recipient.email.clone(),
            to_name: recipient.display_name.clone(),
            subject: title.clone(),
            text,
            html: Some(html),
            headers: vec![],
        };
        let new =
            jobs::enqueue(conn, now, NewJob::new(jobs::mail::KIND, mail)?.dedupe(key)).await?;
        if !new {
            return Ok(());
        }
    }
    notify(
        conn,
        ctx,
        NewNotification {
            user_id,
            kind: "publication_reminder",
            actor_id: None,
            title,
            excerpt,
            link,
            subject: Some(("publication_report", report_id)),
            email: false,
        },
    )
    .await?;
    Ok(())
}
