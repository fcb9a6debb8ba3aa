//! Demo moderation data for `commons seed-demo`, on top of the demo forum:
//! a reply held by the small-count guard, a flagged reply waiting in the
//! queue, and a locked announcement in the audit log.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    actions::{self, ThreadSwitch},
    flags::{self, FlagTarget, NewFlag},
    queue::{self, Decision, Outcome},
    types::FlagReason,
};
use crate::{
    context::AppContext,
    entities::{forum_post as post, forum_thread as thread},
    error::{AppError, AppResult},
    forum::{
        ModerationState,
        posts::{self, NewReply},
    },
    identity::CurrentUser,
};

/// Approves a post screening held (a new member's first post, say), as the
/// demo's moderator would.
pub async fn publish_if_held(
    ctx: &AppContext,
    moderator: &CurrentUser,
    post_id: i64,
) -> AppResult<()> {
    let p = post::Entity::find_by_id(post_id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::NotFound("post"))?;
    if ModerationState::parse(&p.moderation_state) != ModerationState::Held {
        return Ok(());
    }
    let Some(e) = queue::lock_for_post(&ctx.db, post_id).await? else {
        return Ok(());
    };
    queue::decide(
        ctx,
        moderator,
        Outcome::Approve,
        Decision {
            id: e.id,
            expected_version: e.version,
            reason: Some("Welcome to the forum!".into()),
        },
    )
    .await?;
    Ok(())
}

async fn thread_titled(ctx: &AppContext, title: &str) -> anyhow::Result<thread::Model> {
    thread::Entity::find()
        .filter(thread::Column::Title.eq(title))
        .order_by_asc(thread::Column::Id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo thread {title:?} is missing"))
}

pub async fn seed_demo(ctx: &AppContext, users: &HashMap<&str, CurrentUser>) -> anyhow::Result<()> {
    let who = |handle: &str| {
        users
            .get(handle)
            .ok_or_else(|| anyhow::anyhow!("no demo user {handle}"))
    };
    let err = |e: AppError| anyhow::anyhow!("seeding moderation: {e}");
    let maria = who("maria")?;

    // A reply that reports a small count: held for review, and its author
    // told how to fix it.
    let cohort = thread_titled(
        ctx,
        "Cohort Builder: excluding participants with a prior diagnosis",
    )
    .await?;
    posts::create_reply(
        ctx,
        who("jholloway")?,
        NewReply {
            thread_id: cohort.id,
            body: "That worked for me. After excluding prior T2D, our rural subgroup was n = 12, \
                   so we compared it with the urban one."
                .into(),
            reply_to_post_id: None,
            quote: None,
        },
    )
    .await
    .map_err(err)?;

    // A reply flagged as off-topic: below the hide threshold, so it stays up
    // while it waits in the queue.
    let credits = thread_titled(ctx, "How far do the initial credits go?").await?;
    let (_, chatter) = posts::create_reply(
        ctx,
        who("lucia")?,
        NewReply {
            thread_id: credits.id,
            body: "Unrelated, but is anyone going to the AMIA symposium this year? \
                   Happy to share a ride from the airport."
                .into(),
            reply_to_post_id: None,
            quote: None,
        },
    )
    .await
    .map_err(err)?;
    flags::flag(
        ctx,
        who("samo")?,
        NewFlag {
            target: FlagTarget::Post(chatter.id),
            reason: FlagReason::OffTopic,
            text: Some("Nice idea, but this thread is about credits.".into()),
        },
    )
    .await
    .map_err(err)?;

    // A locked announcement, in the audit log.
    let office_hours = thread_titled(ctx, "Office hours move to Thursdays").await?;
    actions::switch_thread(
        ctx,
        maria,
        office_hours.id,
        ThreadSwitch::Lock,
        Some("Announcement: questions go to the office hours themselves."),
    )
    .await
    .map_err(err)?;
    Ok(())
}
