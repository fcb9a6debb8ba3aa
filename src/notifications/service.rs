//! Creating and reading notifications. Domains call [`notify`] inside their
//! own write transaction, so a notification exists exactly when the change
//! that caused it does.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::mail;
use crate::{
    context::AppContext,
    db::{Reach, WriteTxn},
    entities::{notification, user},
    error::{AppError, AppResult},
    identity::CurrentUser,
    jobs::{self, NewJob},
};

pub struct NewNotification {
    pub user_id: i64,
    /// A stable kind: reply, mention, quote, accepted_answer,
    /// watched_category_thread, watched_tag_thread, exemption_decision,
    /// collaboration_request, publication_reminder, moderation, …
    pub kind: &'static str,
    pub actor_id: Option<i64>,
    pub title: String,
    pub excerpt: String,
    /// Frontend path, e.g. `/t/12#p45`.
    pub link: String,
    pub subject: Option<(&'static str, i64)>,
    /// Also send an email now (through the jobs table).
    pub email: bool,
}

/// The row for a notification, trimmed to the column sizes.
fn new_row(n: &NewNotification, now: chrono::DateTime<chrono::Utc>) -> notification::ActiveModel {
    notification::ActiveModel {
        user_id: Set(n.user_id),
        kind: Set(n.kind.to_string()),
        actor_id: Set(n.actor_id),
        title: Set(n.title.chars().take(300).collect()),
        excerpt: Set(n.excerpt.chars().take(1000).collect()),
        link: Set(n.link.clone()),
        subject_type: Set(n.subject.map(|(t, _)| t.to_string())),
        subject_id: Set(n.subject.map(|(_, id)| id)),
        read_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Rows per insert: well under SQLite's bound on statement parameters.
const INSERT_CHUNK: usize = 500;

/// Records many notifications at once, leaving out each actor's own. The
/// ones without email (a thread's watchers, a category's watchers) go in one
/// insert, so the cost of a post does not grow with its audience; the few
/// that also send email go through [`notify`].
pub async fn notify_many(
    conn: &WriteTxn,
    ctx: &AppContext,
    batch: Vec<NewNotification>,
) -> AppResult<()> {
    let (emailed, quiet): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .filter(|n| n.actor_id != Some(n.user_id))
        .partition(|n| n.email);
    let now = ctx.clock.now();
    for chunk in quiet.chunks(INSERT_CHUNK) {
        notification::Entity::insert_many(chunk.iter().map(|n| new_row(n, now)))
            .exec_without_returning(conn)
            .await?;
    }
    for n in emailed {
        notify(conn, ctx, n).await?;
    }
    Ok(())
}

/// Records a notification for `n.user_id` unless they are the actor.
/// Returns the new row's id.
pub async fn notify(
    conn: &WriteTxn,
    ctx: &AppContext,
    n: NewNotification,
) -> AppResult<Option<i64>> {
    if n.actor_id == Some(n.user_id) {
        return Ok(None);
    }
    let now = ctx.clock.now();
    let row = new_row(&n, now).insert(conn).await?;
    // The mail is rendered, and its subject checked, when it is sent; the
    // recipient's switches are asked now too, so no job is queued for
    // someone who takes no mail.
    if n.email
        && let Some(recipient) = user::Entity::find_by_id(n.user_id).one(conn).await?
        && mail::wanted(conn, &recipient, n.kind, now).await?
    {
        jobs::enqueue(
            conn,
            now,
            NewJob::new(
                mail::KIND,
                mail::Payload {
                    notification_id: row.id,
                },
            )?
            .dedupe(mail::key(row.id)),
        )
        .await?;
    }
    Ok(Some(row.id))
}

pub async fn unread_count(ctx: &AppContext, viewer: &CurrentUser) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(viewer.id))
        .filter(notification::Column::ReadAt.is_null())
        .count(&ctx.db)
        .await?)
}

/// A page of the viewer's notifications, newest first, before `before_id`.
pub async fn list(
    ctx: &AppContext,
    viewer: &CurrentUser,
    unread_only: bool,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let mut query = notification::Entity::find()
        .filter(notification::Column::UserId.eq(viewer.id))
        .order_by_desc(notification::Column::Id)
        .limit(limit);
    if unread_only {
        query = query.filter(notification::Column::ReadAt.is_null());
    }
    if let Some(before) = before_id {
        query = query.filter(notification::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

pub async fn mark_read(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<notification::Model> {
    let found = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(viewer.id))
        .one(&ctx.db)
        .await?
        .ok_or(AppError::NotFound("notification"))?;
    if found.read_at.is_some() {
        return Ok(found);
    }
    let txn = ctx.write().await?;
    txn.reaches(Reach::Member(viewer.id));
    let mut active: notification::ActiveModel = found.into();
    active.read_at = Set(Some(ctx.clock.now()));
    let row = active.update(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// Marks every unread notification read; returns how many changed.
pub async fn mark_all_read(ctx: &AppContext, viewer: &CurrentUser) -> AppResult<u64> {
    let txn = ctx.write().await?;
    txn.reaches(Reach::Member(viewer.id));
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(ctx.clock.now()))
        .filter(notification::Column::UserId.eq(viewer.id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}
