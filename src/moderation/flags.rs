//! Flags: any member may flag a post or a thread they can see, once. The
//! flags on one post add up, by their reasons' weights, to the score of
//! its queue entry; at `hide_threshold` the content is hidden until a
//! moderator reviews it. Flagging a thread flags its opening post (a
//! thread's content is its title and opening post), so a thread and its
//! opening post share one entry and one flag per member.
//!
//! A flag weighs by its flagger's standing (`[flags.standing]`): a new
//! account's flag queues the content without hiding it. Content by
//! moderators and admins is never hidden by flags; a moderator decides.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{
    audit::{self, AuditEntry},
    queue,
    types::{FlagReason, FlagStatus, ModerationAction, ModerationEventKind, ModerationTargetType},
};
use crate::{
    context::AppContext,
    entities::{forum_post as post, moderation_flag as flag, user},
    error::{AppError, AppResult},
    forum::{ModerationState, posts::apply_moderation_state, service as forum},
    identity::{CurrentUser, Role, Roles},
    validate,
};

/// The text of a flag, in characters.
pub const FLAG_TEXT_MAX: usize = 1000;

/// What is flagged: a post, or a thread (its opening post).
#[derive(Clone, Copy, Debug)]
pub enum FlagTarget {
    Post(i64),
    Thread(i64),
}

impl FlagTarget {
    fn field(self) -> &'static str {
        match self {
            FlagTarget::Post(_) => "postId",
            FlagTarget::Thread(_) => "threadId",
        }
    }
}

pub struct NewFlag {
    pub target: FlagTarget,
    pub reason: FlagReason,
    /// Required for `Other`.
    pub text: Option<String>,
}

pub struct Flagged {
    pub flag: flag::Model,
    /// Whether this flag took the content down.
    pub hidden: bool,
}

pub async fn flag(ctx: &AppContext, viewer: &CurrentUser, input: NewFlag) -> AppResult<Flagged> {
    let now = forum::now(ctx);
    viewer.require_writer(now)?;
    let text = validate::text(
        "text",
        input.text.as_deref().unwrap_or(""),
        0,
        FLAG_TEXT_MAX,
    )?;
    if input.reason == FlagReason::Other && text.is_empty() {
        return Err(AppError::validation(
            "text",
            "say what is wrong when the reason is “other”",
        ));
    }
    ctx.limits.check("flag", &viewer.id.to_string()).await?;

    let txn = ctx.write().await?;
    let field = input.target.field();
    let p = match input.target {
        FlagTarget::Post(id) => forum::post_for(&txn, viewer, id).await?.0,
        FlagTarget::Thread(id) => {
            let t = forum::thread_for(&txn, viewer, id).await?;
            let first = t.first_post_id.ok_or(AppError::NotFound("thread"))?;
            post::Entity::find_by_id(first)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("thread"))?
        }
    };
    if p.deleted_at.is_some() {
        return Err(AppError::InvalidState {
            state: "deleted".into(),
            message: "this was deleted; there is nothing left to flag".into(),
        });
    }
    if p.author_id == viewer.id {
        return Err(AppError::forbidden("you cannot flag your own post"));
    }
    // The entry's row lock orders concurrent flags on one post.
    let (before, created) = queue::entry_for_post(&txn, &p, now).await?;
    let already = flag::Entity::find()
        .filter(flag::Column::PostId.eq(p.id))
        .filter(flag::Column::UserId.eq(viewer.id))
        .one(&txn)
        .await?;
    if already.is_some() {
        return Err(AppError::conflict_on(field, "you already flagged this"));
    }
    let mut e = before.clone();
    if !created {
        queue::reopen(&txn, &mut e, Some(viewer.id), "flagged again", now).await?;
    }
    // A flag weighs by its flagger's standing: a new account's flag queues
    // the content but does not take it down on its own.
    let flagger = user::Entity::find_by_id(viewer.id)
        .one(&txn)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let age_days = (now - flagger.created_at).num_days();
    let weight =
        ctx.rules
            .flags
            .weight_by_standing(input.reason.rule(), age_days, viewer.is_staff()) as i32;
    let target = match input.target {
        FlagTarget::Post(_) if p.number > 1 => ModerationTargetType::Post,
        _ => ModerationTargetType::Thread,
    };
    let f = flag::ActiveModel {
        entry_id: Set(e.id),
        post_id: Set(p.id),
        target_type: Set(target.as_str().into()),
        user_id: Set(viewer.id),
        reason: Set(input.reason.as_str().into()),
        note: Set(text.clone()),
        weight: Set(weight),
        status: Set(FlagStatus::Open.as_str().into()),
        created_at: Set(now),
        resolved_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    e.score += weight;
    e.flag_count += 1;
    queue::add_reason(&txn, e.id, input.reason.reason(), 1, now).await?;
    let note = if text.is_empty() {
        input.reason.as_str().to_string()
    } else {
        format!("{}: {text}", input.reason.as_str())
    };
    queue::add_event(
        &txn,
        e.id,
        Some(viewer.id),
        ModerationEventKind::Flagged,
        &note,
        now,
    )
    .await?;

    let threshold = ctx.rules.flags.hide_threshold;
    let state = ModerationState::parse(&p.moderation_state);
    // Staff content is hidden by a moderator, never by flags alone: members
    // must not be able to take down an announcement between them.
    let staff_author = user::Entity::find_by_id(p.author_id)
        .one(&txn)
        .await?
        .is_some_and(|a| {
            let roles = Roles::parse_column(&a.roles);
            roles.has(Role::Moderator) || roles.has(Role::Admin)
        });
    let hide = state == ModerationState::Visible
        && !staff_author
        && e.score >= 0
        && e.score as u32 >= threshold;
    let state = if hide {
        let p = apply_moderation_state(&txn, ctx, p.id, ModerationState::Hidden).await?;
        e.hidden_by_flags = true;
        let why = format!("flags scored {} (the threshold is {threshold})", e.score);
        queue::add_event(&txn, e.id, None, ModerationEventKind::Hidden, &why, now).await?;
        audit::record(
            &txn,
            now,
            AuditEntry {
                actor_id: None,
                action: ModerationAction::AutoHide,
                target: queue::target_of(&e),
                reason: &why,
                details: json!({ "itemId": e.id, "postId": p.id, "score": e.score }),
            },
        )
        .await?;
        let what = if p.number <= 1 { "thread" } else { "post" };
        queue::notify_author(
            &txn,
            ctx,
            None,
            &p,
            format!("Your {what} was hidden after reports from members"),
            "A moderator will review it. Until then only you and the moderators can see it.".into(),
            false,
        )
        .await?;
        ModerationState::Hidden
    } else {
        state
    };
    queue::refresh_priority(&txn, &mut e, state).await?;
    // Every flag bumps the version, so a moderator deciding on what they
    // saw before this flag is told to reload.
    queue::save(&txn, &before, e, now).await?;
    txn.commit().await?;
    Ok(Flagged {
        flag: f,
        hidden: hide,
    })
}
