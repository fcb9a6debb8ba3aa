//! Telling a thread's watchers about a reply. Busy threads gather watchers
//! by the thousand (everyone who replied watches), so the reply itself
//! notifies only the people it names (mentioned, quoted, replied to) and
//! enqueues `forum.notify_watchers`; this job then writes the watchers'
//! notifications in a few bulk inserts. A reply's own cost stays the same
//! however large its thread's audience grows.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

use super::{ModerationState, service};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{forum_post as post, forum_thread as thread, notification, user},
    error::AppResult,
    jobs::{self, JobError, JobKind, NewJob, queue::ClaimedJob},
    markdown,
    notifications::service::{NewNotification, notify_many},
};

/// Its write announces itself (`ctx.write()`), so the worker records no
/// second change after it.
pub const KIND: JobKind = JobKind::new("forum.notify_watchers").leaves_reads();

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    post_id: i64,
}

/// Queues the watchers' notifications for a published reply, in the
/// reply's transaction.
pub async fn enqueue(
    txn: &WriteTxn,
    now: chrono::DateTime<chrono::Utc>,
    post_id: i64,
) -> AppResult<()> {
    jobs::enqueue(txn, now, NewJob::new(KIND, Payload { post_id })?).await?;
    Ok(())
}

/// The job: notifies every watcher of the reply's thread, except its
/// author, anyone who muted the thread and anyone the reply already
/// notified. A reply deleted, held or hidden since is announced to no one.
pub async fn run(ctx: AppContext, job: ClaimedJob) -> Result<(), JobError> {
    let Payload { post_id } =
        serde_json::from_str(&job.payload).map_err(|e| JobError::bad_payload(&KIND, e))?;
    let txn = ctx.write().await?;
    notify_watchers(&txn, &ctx, post_id).await?;
    txn.commit().await.map_err(crate::error::AppError::from)?;
    Ok(())
}

async fn notify_watchers(txn: &WriteTxn, ctx: &AppContext, post_id: i64) -> AppResult<()> {
    let visible = ModerationState::Visible.as_str();
    let Some(p) = post::Entity::find_by_id(post_id).one(txn).await? else {
        return Ok(());
    };
    let Some(t) = thread::Entity::find_by_id(p.thread_id).one(txn).await? else {
        return Ok(());
    };
    if p.deleted_at.is_some()
        || t.deleted_at.is_some()
        || p.moderation_state != visible
        || t.moderation_state != visible
    {
        return Ok(());
    }
    let Some(author) = user::Entity::find_by_id(p.author_id).one(txn).await? else {
        return Ok(());
    };
    let already: HashSet<i64> = notification::Entity::find()
        .select_only()
        .column(notification::Column::UserId)
        .filter(notification::Column::SubjectType.eq("post"))
        .filter(notification::Column::SubjectId.eq(p.id))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let title = format!("{} replied in “{}”", author.display_name, t.title);
    let excerpt = markdown::excerpt(&p.body, 240);
    let link = service::post_link(t.id, &p);
    let batch: Vec<NewNotification> = service::thread_watchers(txn, t.id)
        .await?
        .into_iter()
        .filter(|user_id| *user_id != author.id && !already.contains(user_id))
        .map(|user_id| NewNotification {
            user_id,
            kind: "reply",
            actor_id: Some(author.id),
            title: title.clone(),
            excerpt: excerpt.clone(),
            link: link.clone(),
            subject: Some(("post", p.id)),
            email: false,
        })
        .collect();
    notify_many(txn, ctx, batch).await
}
