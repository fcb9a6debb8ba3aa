//! Moderators' actions: lock, pin and move threads, hide and unhide posts,
//! silence and suspend users. Each runs in one transaction with its
//! audit-log row; an action that changes nothing (locking a locked thread)
//! writes nothing.
//!
//! Authority over people: moderators act on members; only admins act on
//! staff (moderators, reviewers, admins); nobody acts on themselves.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

use super::{
    audit::{self, AuditEntry},
    queue::{self, REASON_MAX},
    types::{ModerationAction, ModerationItemStatus, ModerationTargetType},
};
use crate::{
    auth::service as auth,
    context::AppContext,
    db::WriteTxn,
    entities::{forum_post as post, forum_post_revision as revision, forum_thread as thread, user},
    error::{AppError, AppResult},
    forum::{
        ModerationState,
        posts::{self, apply_moderation_state},
        service as forum, threads,
    },
    identity::{CurrentUser, UserStatus},
    notifications::service::{NewNotification, notify},
    validate,
};

/// The longest silence; longer than this, suspend the account.
pub const MAX_SILENCE_DAYS: i64 = 365;

fn optional_reason(reason: Option<&str>) -> AppResult<String> {
    validate::text("reason", reason.unwrap_or(""), 0, REASON_MAX)
}

fn thread_target(t: &thread::Model) -> (ModerationTargetType, i64) {
    (ModerationTargetType::Thread, t.id)
}

// ---------------------------------------------------------------------------
// Threads.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadSwitch {
    Lock,
    Unlock,
    Pin,
    Unpin,
}

/// Locks, unlocks, pins or unpins a thread.
pub async fn switch_thread(
    ctx: &AppContext,
    actor: &CurrentUser,
    thread_id: i64,
    switch: ThreadSwitch,
    reason: Option<&str>,
) -> AppResult<thread::Model> {
    actor.require_moderator()?;
    let reason = optional_reason(reason)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let before = thread::Entity::find_by_id(thread_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("thread"))?;
    let (t, changed, action) = match switch {
        ThreadSwitch::Lock | ThreadSwitch::Unlock => {
            let locked = switch == ThreadSwitch::Lock;
            let t = threads::set_locked(&txn, ctx, actor, thread_id, locked).await?;
            let action = if locked {
                ModerationAction::LockThread
            } else {
                ModerationAction::UnlockThread
            };
            (t, before.locked != locked, action)
        }
        ThreadSwitch::Pin | ThreadSwitch::Unpin => {
            let pinned = switch == ThreadSwitch::Pin;
            let t = threads::set_pinned(&txn, ctx, actor, thread_id, pinned).await?;
            let action = if pinned {
                ModerationAction::PinThread
            } else {
                ModerationAction::UnpinThread
            };
            (t, before.pinned != pinned, action)
        }
    };
    if !changed {
        return Ok(t);
    }
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action,
            target: thread_target(&t),
            reason: &reason,
            details: json!({ "title": t.title }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Moves a thread to another category.
pub async fn move_thread(
    ctx: &AppContext,
    actor: &CurrentUser,
    thread_id: i64,
    category_id: i64,
    reason: Option<&str>,
) -> AppResult<thread::Model> {
    actor.require_moderator()?;
    let reason = optional_reason(reason)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let before = thread::Entity::find_by_id(thread_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("thread"))?;
    let t = threads::move_thread(&txn, ctx, actor, thread_id, category_id).await?;
    if t.category_id == before.category_id {
        return Ok(t);
    }
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: ModerationAction::MoveThread,
            target: thread_target(&t),
            reason: &reason,
            details: json!({
                "title": t.title,
                "fromCategoryId": before.category_id,
                "toCategoryId": t.category_id,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

// ---------------------------------------------------------------------------
// Posts.

fn post_target(p: &post::Model) -> (ModerationTargetType, i64) {
    if p.number <= 1 {
        (ModerationTargetType::Thread, p.thread_id)
    } else {
        (ModerationTargetType::Post, p.id)
    }
}

async fn find_post(conn: &WriteTxn, id: i64) -> AppResult<post::Model> {
    post::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("post"))
}

/// Hides a post (an opening post hides its thread) and tells its author
/// why. The post's queue entry is settled as rejected.
pub async fn hide_post(
    ctx: &AppContext,
    actor: &CurrentUser,
    post_id: i64,
    reason: &str,
) -> AppResult<post::Model> {
    actor.require_moderator()?;
    let reason = queue::decision_reason(Some(reason), true)?;
    set_post_state(ctx, actor, post_id, ModerationState::Hidden, &reason).await
}

/// Makes a held or hidden post visible again. The post's queue entry is
/// settled as approved.
pub async fn unhide_post(
    ctx: &AppContext,
    actor: &CurrentUser,
    post_id: i64,
    reason: Option<&str>,
) -> AppResult<post::Model> {
    actor.require_moderator()?;
    let reason = optional_reason(reason)?;
    set_post_state(ctx, actor, post_id, ModerationState::Visible, &reason).await
}

/// Hiding and unhiding, in one write: the state, the queue entry settled
/// (rejected when hidden, approved when shown), the audit row, and the
/// author told. A post already in `target` is left as it is.
async fn set_post_state(
    ctx: &AppContext,
    actor: &CurrentUser,
    post_id: i64,
    target: ModerationState,
    reason: &str,
) -> AppResult<post::Model> {
    let hide = target == ModerationState::Hidden;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let p = find_post(&txn, post_id).await?;
    let previous = ModerationState::parse(&p.moderation_state);
    if previous == target {
        return Ok(p);
    }
    // A moderator may take back their own hiding of their own post, and
    // nothing else on it: what the guard held, flags hid, or another
    // moderator hid goes to someone else.
    if !hide && p.author_id == actor.id {
        let entry = queue::lock_for_post(&txn, p.id).await?;
        let hid_it_themselves = entry.is_some_and(|e| {
            e.status == ModerationItemStatus::Rejected.as_str() && e.decided_by == Some(actor.id)
        });
        if !hid_it_themselves {
            queue::not_own(actor, p.author_id)?;
        }
    }
    let p = apply_moderation_state(&txn, ctx, p.id, target).await?;
    queue::settle_by_action(&txn, actor, &p, hide, reason, now).await?;
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: if hide {
                ModerationAction::HidePost
            } else {
                ModerationAction::UnhidePost
            },
            target: post_target(&p),
            reason,
            details: json!({ "postId": p.id, "from": previous.as_str() }),
        },
    )
    .await?;
    if hide {
        queue::notify_rejected(&txn, ctx, actor, &p, previous, reason).await?;
    } else {
        queue::notify_restored(&txn, ctx, actor, &p, previous).await?;
    }
    txn.commit().await?;
    Ok(p)
}

/// Empties the text of revision `number` of a post for everyone, the
/// author and moderators included: for a version that should never have
/// been written down (a small count, an identifier). The audit row names
/// the revision and the reason, never the text. Redacting a redacted
/// revision changes nothing and writes nothing.
pub async fn redact_revision(
    ctx: &AppContext,
    actor: &CurrentUser,
    post_id: i64,
    number: i32,
    reason: &str,
) -> AppResult<revision::Model> {
    actor.require_moderator()?;
    let reason = validate::text("reason", reason, 1, REASON_MAX)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let p = find_post(&txn, post_id).await?;
    // Erasing what one's own post said is a decision on one's own content.
    queue::not_own(actor, p.author_id)?;
    let (before, after) = posts::redact_revision(&txn, p.id, number, actor.id, now)
        .await?
        .ok_or(AppError::NotFound("revision"))?;
    if before.redacted_at.is_some() {
        return Ok(after);
    }
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: ModerationAction::RedactRevision,
            target: post_target(&p),
            reason: &reason,
            details: json!({
                "postId": p.id,
                "revision": number,
                "title": before.previous_title.is_some(),
                "withheld": before.withheld,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

// ---------------------------------------------------------------------------
// People.

/// The user `actor` may act on, or FORBIDDEN.
async fn subject(
    conn: &impl sea_orm::ConnectionTrait,
    actor: &CurrentUser,
    user_id: i64,
    verb: &str,
) -> AppResult<user::Model> {
    if user_id == actor.id {
        return Err(AppError::forbidden(format!("you cannot {verb} yourself")));
    }
    let target = auth::find_user(conn, user_id).await?;
    let target_user = CurrentUser::from_model(&target, None);
    if target_user.is_staff() && !actor.is_admin() {
        return Err(AppError::forbidden(format!(
            "only admins can {verb} moderators, reviewers and admins"
        )));
    }
    Ok(target)
}

fn user_target(u: &user::Model) -> (ModerationTargetType, i64) {
    (ModerationTargetType::User, u.id)
}

async fn tell(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    u: &user::Model,
    title: String,
    excerpt: String,
    email: bool,
) -> AppResult<()> {
    notify(
        conn,
        ctx,
        NewNotification {
            user_id: u.id,
            kind: "moderation",
            actor_id: Some(actor.id),
            title,
            excerpt,
            link: "/settings".into(),
            subject: Some(("user", u.id)),
            email,
        },
    )
    .await?;
    Ok(())
}

/// Silences a user until `until`: they can read but not post, reply, edit,
/// like or flag. Silencing again replaces the end time.
pub async fn silence_user(
    ctx: &AppContext,
    actor: &CurrentUser,
    user_id: i64,
    until: DateTime<Utc>,
    reason: &str,
) -> AppResult<user::Model> {
    actor.require_moderator()?;
    let reason = queue::decision_reason(Some(reason), true)?;
    let now = forum::now(ctx);
    if until <= now {
        return Err(AppError::validation("until", "must be in the future"));
    }
    if until > now + Duration::days(MAX_SILENCE_DAYS) {
        return Err(AppError::validation(
            "until",
            format!("must be within {MAX_SILENCE_DAYS} days; suspend the account instead"),
        ));
    }
    let txn = ctx.write().await?;
    let target = subject(&txn, actor, user_id, "silence").await?;
    let previous = target.silenced_until;
    let mut active: user::ActiveModel = target.into();
    active.silenced_until = Set(Some(until));
    let u = active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: ModerationAction::SilenceUser,
            target: user_target(&u),
            reason: &reason,
            details: json!({ "until": until, "previousUntil": previous }),
        },
    )
    .await?;
    tell(
        &txn,
        ctx,
        actor,
        &u,
        format!(
            "A moderator silenced your account until {}",
            until.format("%Y-%m-%d %H:%M UTC")
        ),
        format!("Reason: {reason} You can still read the forum, but you cannot post until then."),
        true,
    )
    .await?;
    txn.commit().await?;
    Ok(u)
}

/// Ends a silence early.
pub async fn unsilence_user(
    ctx: &AppContext,
    actor: &CurrentUser,
    user_id: i64,
    reason: Option<&str>,
) -> AppResult<user::Model> {
    actor.require_moderator()?;
    let reason = optional_reason(reason)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let target = subject(&txn, actor, user_id, "unsilence").await?;
    if target.silenced_until.is_none_or(|until| until <= now) {
        return Ok(target);
    }
    let previous = target.silenced_until;
    let mut active: user::ActiveModel = target.into();
    active.silenced_until = Set(None);
    let u = active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: ModerationAction::UnsilenceUser,
            target: user_target(&u),
            reason: &reason,
            details: json!({ "previousUntil": previous }),
        },
    )
    .await?;
    tell(
        &txn,
        ctx,
        actor,
        &u,
        "A moderator lifted the silence on your account".into(),
        "You can post again.".into(),
        false,
    )
    .await?;
    txn.commit().await?;
    Ok(u)
}

/// Suspends an account: it cannot sign in, and every session ends at once.
/// The user is emailed the reason.
pub async fn suspend_user(
    ctx: &AppContext,
    actor: &CurrentUser,
    user_id: i64,
    reason: &str,
) -> AppResult<user::Model> {
    actor.require_moderator()?;
    let reason = queue::decision_reason(Some(reason), true)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let target = subject(&txn, actor, user_id, "suspend").await?;
    if target.status == UserStatus::Suspended.as_str() {
        return Ok(target);
    }
    // Told first: mail goes only to active accounts.
    tell(
        &txn,
        ctx,
        actor,
        &target,
        "Your Research Commons account was suspended".into(),
        format!("Reason: {reason} Reply to this email to appeal."),
        true,
    )
    .await?;
    let mut active: user::ActiveModel = target.into();
    active.status = Set(UserStatus::Suspended.as_str().into());
    let u = active.update(&txn).await?;
    let sessions = auth::revoke_all_sessions(&txn, u.id, now).await?;
    crate::indexer::enqueue(&txn, now, crate::indexer::Doc::Profile(u.id)).await?;
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: ModerationAction::SuspendUser,
            target: user_target(&u),
            reason: &reason,
            details: json!({ "sessionsEnded": sessions }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(u)
}

/// Reinstates a suspended account.
pub async fn unsuspend_user(
    ctx: &AppContext,
    actor: &CurrentUser,
    user_id: i64,
    reason: Option<&str>,
) -> AppResult<user::Model> {
    actor.require_moderator()?;
    let reason = optional_reason(reason)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let target = subject(&txn, actor, user_id, "reinstate").await?;
    if target.status != UserStatus::Suspended.as_str() {
        return Ok(target);
    }
    let mut active: user::ActiveModel = target.into();
    active.status = Set(UserStatus::Active.as_str().into());
    let u = active.update(&txn).await?;
    crate::indexer::enqueue(&txn, now, crate::indexer::Doc::Profile(u.id)).await?;
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action: ModerationAction::UnsuspendUser,
            target: user_target(&u),
            reason: &reason,
            details: serde_json::Value::Null,
        },
    )
    .await?;
    tell(
        &txn,
        ctx,
        actor,
        &u,
        "Your Research Commons account was reinstated".into(),
        "You can sign in again.".into(),
        true,
    )
    .await?;
    txn.commit().await?;
    Ok(u)
}
