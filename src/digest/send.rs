//! The `digest.send` job: build, render and send one digest.

use sea_orm::EntityTrait;
use serde_json::json;

use super::{
    content::{self, Digest},
    schedule::DigestJob,
    unsubscribe,
};
use crate::{
    context::AppContext,
    entities::user,
    error::{AppError, AppResult},
    identity::UserStatus,
    jobs::{JobError, JobKind},
    mail::suppression,
    mail::{OutgoingMail, templates},
    notifications::preferences::{self, DigestFrequency},
};

/// Renders a digest as a message with RFC 8058 one-click unsubscribe headers.
pub fn render(
    ctx: &AppContext,
    user: &user::Model,
    digest: &Digest,
    period: &str,
) -> AppResult<OutgoingMail> {
    let unsubscribe = unsubscribe::link(ctx, user.id);
    let count = digest.item_count();
    let subject = format!(
        "Research Commons digest: {count} new {}",
        if count == 1 { "item" } else { "items" }
    );
    let (text, html) = templates::render(
        "digest",
        json!({
            "name": user.display_name,
            "period": period,
            "sections": digest.sections,
            "unsubscribe_link": unsubscribe,
            "preferences_link": format!("{}/settings", ctx.config.public_url),
            "home_link": ctx.config.public_url,
        }),
    )
    .map_err(AppError::internal)?;
    Ok(OutgoingMail {
        to: user.email.clone(),
        to_name: user.display_name.clone(),
        subject,
        text,
        html: Some(html),
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    })
}

/// One digest per member and period; what it sends changes nothing the
/// forum shows.
pub const KIND: JobKind = JobKind::new("digest.send").leaves_reads();

/// The job handler. Skips (successfully) anyone who should not get mail now.
pub async fn run(ctx: &AppContext, payload: &str) -> Result<(), JobError> {
    let job: DigestJob = serde_json::from_str(payload)
        .map_err(|e| JobError::Permanent(format!("bad digest payload: {e}")))?;
    let now = ctx.clock.now();
    let Some(user) = user::Entity::find_by_id(job.user_id)
        .one(&ctx.db)
        .await
        .map_err(AppError::from)?
    else {
        return Ok(());
    };
    let silenced = user.silenced_until.is_some_and(|t| t > now);
    if !UserStatus::is_active(&user.status) || user.email_verified_at.is_none() || silenced {
        return Ok(());
    }
    let prefs = preferences::get(&ctx.db, user.id, now).await?;
    if DigestFrequency::parse(&prefs.digest_frequency) == DigestFrequency::Off
        || suppression::is_suppressed(&ctx.db, &user.email).await?
    {
        return Ok(());
    }
    let digest = content::build(ctx, &user, job.since).await?;
    if !digest.is_empty() {
        let mail = render(ctx, &user, &digest, &job.period)?;
        // The job's dedupe key: a retried digest keeps its Message-ID.
        let key = format!("digest:{}:{}", job.user_id, job.period);
        crate::jobs::mail::send(ctx, &mail, &key).await?;
    }
    preferences::mark_digest_handled(&ctx.db, user.id, now).await?;
    Ok(())
}
