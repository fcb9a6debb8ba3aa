//! Whether the reader can still open what a notification is about. A
//! notification's title and excerpt were written when it was created; the
//! post may since have been hidden or deleted, the thread held, the listing
//! unpublished, the reader's tier lowered. Every read of a notification
//! (the list, the digest) asks here first, with the rules the subject's
//! own query applies, and shows nothing of a subject the reader cannot open.
//! So does the immediate mail of a notification, when it is sent
//! ([`mail_notification`], the `notification.mail` job's handler).

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    context::AppContext,
    entities::{forum_post, forum_thread, notification, workspace, workspace_collaborator},
    error::{AppError, AppResult},
    forum::service as forum,
    identity::CurrentUser,
    jobs::JobError,
    notifications::mail,
    workspaces::service::{self as workspaces, Membership},
};

/// Shown instead of the title of a notification whose subject the reader
/// can no longer open; its excerpt is left empty.
pub const CLOSED_TITLE: &str = "This is no longer available to you";

/// The ids of `rows` whose subject `reader` cannot open now.
pub async fn closed(
    ctx: &AppContext,
    reader: &CurrentUser,
    rows: &[notification::Model],
) -> AppResult<HashSet<i64>> {
    let of = |kind: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = rows
            .iter()
            .filter(|n| n.subject_type.as_deref() == Some(kind))
            .filter_map(|n| n.subject_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let posts = open_posts(ctx, reader, &of("post")).await?;
    let workspaces = open_workspaces(ctx, reader, &of("workspace")).await?;
    let mut requests = HashSet::new();
    for id in of("exemption_request") {
        match crate::exemptions::service::get(ctx, reader, id).await {
            Ok(_) => {
                requests.insert(id);
            }
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(rows
        .iter()
        .filter(|n| {
            let Some(id) = n.subject_id else {
                return false;
            };
            match n.subject_type.as_deref() {
                Some("post") => !posts.contains(&id),
                Some("workspace") => !workspaces.contains(&id),
                Some("exemption_request") => !requests.contains(&id),
                // The reader's own account, reports and collaboration
                // requests they are party to.
                _ => false,
            }
        })
        .map(|n| n.id)
        .collect())
}

/// The notifications as the reader may see them: one whose subject is
/// closed keeps its kind, time and link (which will answer "not found"),
/// and loses its title and excerpt.
pub async fn for_reader(
    ctx: &AppContext,
    reader: &CurrentUser,
    rows: Vec<notification::Model>,
) -> AppResult<Vec<notification::Model>> {
    let closed = closed(ctx, reader, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|mut n| {
            if closed.contains(&n.id) {
                n.title = CLOSED_TITLE.into();
                n.excerpt = String::new();
            }
            n
        })
        .collect())
}

/// The `notification.mail` job: mails the notification only if its
/// recipient can open its subject now. One they cannot (a post hidden, a
/// tier lowered, a membership ended since it was made) is not mailed at
/// all: its title and excerpt are what must not go out.
pub async fn mail_notification(ctx: &AppContext, payload: &str) -> Result<(), JobError> {
    let Some(pending) = mail::pending(ctx, payload).await? else {
        return Ok(());
    };
    let reader = CurrentUser::from_model(&pending.recipient, None);
    if !closed(ctx, &reader, std::slice::from_ref(&pending.notification))
        .await?
        .is_empty()
    {
        crate::telemetry::mail("withheld");
        return Ok(());
    }
    mail::send(ctx, &pending).await
}

/// Posts the reader can open, as `post(id)` decides: the post and its
/// thread visible, its text readable.
async fn open_posts(
    ctx: &AppContext,
    reader: &CurrentUser,
    ids: &[i64],
) -> AppResult<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let posts = forum_post::Entity::find()
        .filter(forum_post::Column::Id.is_in(ids.iter().copied()))
        .all(&ctx.db)
        .await?;
    let threads: HashMap<i64, forum_thread::Model> = forum_thread::Entity::find()
        .filter(forum_thread::Column::Id.is_in(posts.iter().map(|p| p.thread_id)))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    Ok(posts
        .into_iter()
        .filter(|p| forum::can_read_post_body(reader, p))
        .filter(|p| {
            threads.get(&p.thread_id).is_some_and(|t| {
                forum::can_see_thread(reader, t)
                    && (t.deleted_at.is_none() || reader.is_moderator())
            })
        })
        .map(|p| p.id)
        .collect())
}

/// Listings the reader can open, as `workspace(id)` decides.
async fn open_workspaces(
    ctx: &AppContext,
    reader: &CurrentUser,
    ids: &[i64],
) -> AppResult<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids.iter().copied()))
        .all(&ctx.db)
        .await?;
    let collaborating: HashSet<i64> = workspace_collaborator::Entity::find()
        .select_only()
        .column(workspace_collaborator::Column::WorkspaceId)
        .filter(workspace_collaborator::Column::WorkspaceId.is_in(ids.iter().copied()))
        .filter(workspace_collaborator::Column::UserId.eq(reader.id))
        .into_tuple::<i64>()
        .all(&ctx.db)
        .await?
        .into_iter()
        .collect();
    Ok(found
        .into_iter()
        .filter(|w| {
            let membership = if w.owner_id == reader.id {
                Membership::Owner
            } else if collaborating.contains(&w.id) {
                Membership::Collaborator
            } else {
                Membership::None
            };
            workspaces::can_see(reader, w, membership)
        })
        .map(|w| w.id)
        .collect())
}
