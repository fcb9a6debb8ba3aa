//! Overdue reminders. The scheduler enqueues one reminder job per request
//! per overdue episode (a `due_at`: resubmission and appeal start a new
//! one); the job notifies the assignee in-app and by email, if they may
//! still read the request when it runs (their tier, say, may have been
//! lowered since).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};

use super::{service, state::State};
use crate::{
    context::AppContext,
    entities::{exemption_request as request, user},
    error::AppResult,
    identity::CurrentUser,
    jobs::{self, JobError, JobKind, NewJob},
    notifications::service::{NewNotification, notify},
};

/// Reminders change nothing the forum shows.
pub const KIND: JobKind = JobKind::new("exemption_overdue").leaves_reads();

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverdueReminder {
    pub request_id: i64,
    pub due_at: DateTime<Utc>,
}

/// Enqueues a reminder for each assigned request waiting on reviewers past
/// its due time that has not had one for this due time. Cheap when there is
/// nothing to do: one indexed read, no write.
pub async fn run_scheduled(ctx: &AppContext) -> AppResult<()> {
    let now = ctx.clock.now();
    let due: Vec<request::Model> = request::Entity::find()
        .filter(request::Column::State.is_in(State::WITH_REVIEWERS.map(State::as_str)))
        .filter(request::Column::DueAt.lt(now))
        .filter(request::Column::AssigneeId.is_not_null())
        .filter(
            sea_orm::Condition::any()
                .add(request::Column::RemindedDueAt.is_null())
                .add(ExprTrait::ne(
                    Expr::col(request::Column::RemindedDueAt),
                    Expr::col(request::Column::DueAt),
                )),
        )
        .all(&ctx.db)
        .await?;
    if due.is_empty() {
        return Ok(());
    }
    let txn = ctx.write().await?;
    for req in due {
        let Some(due_at) = req.due_at else { continue };
        jobs::enqueue(
            &txn,
            now,
            NewJob::new(
                KIND,
                OverdueReminder {
                    request_id: req.id,
                    due_at,
                },
            )?
            .dedupe(format!(
                "exemption-overdue:{}:{}",
                req.id,
                due_at.timestamp()
            )),
        )
        .await?;
        // Marks the episode without touching `version` or `updated_at`: a
        // reminder is not a change to the request.
        request::Entity::update_many()
            .col_expr(request::Column::RemindedDueAt, Expr::value(Some(due_at)))
            .filter(request::Column::Id.eq(req.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The job: reminds the assignee, unless the request moved on meanwhile.
pub async fn send(ctx: &AppContext, payload: &str) -> Result<(), JobError> {
    let reminder: OverdueReminder =
        serde_json::from_str(payload).map_err(|e| JobError::bad_payload(&KIND, e))?;
    Ok(remind(ctx, reminder).await?)
}

async fn remind(ctx: &AppContext, reminder: OverdueReminder) -> AppResult<()> {
    let txn = ctx.write().await?;
    let Some(req) = request::Entity::find_by_id(reminder.request_id)
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    let still_due =
        req.due_at == Some(reminder.due_at) && service::is_overdue(&req, ctx.clock.now());
    let Some(assignee) = req.assignee_id.filter(|_| still_due) else {
        return Ok(());
    };
    let Some(reader) = user::Entity::find_by_id(assignee).one(&txn).await? else {
        return Ok(());
    };
    let reader = CurrentUser::from_model(&reader, None);
    if !service::access(&txn, &reader, &req).await?.can_read() {
        return Ok(());
    }
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: assignee,
            kind: service::NOTIFICATION_REVIEW,
            actor_id: None,
            title: format!("Overdue exemption request: {}", req.title),
            excerpt: format!(
                "This request was due {} and is waiting on its review.",
                reminder.due_at.format("%A %-d %B %Y, %H:%M UTC")
            ),
            link: format!("/exemptions/{}", req.id),
            subject: Some(("exemption_request", req.id)),
            email: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
