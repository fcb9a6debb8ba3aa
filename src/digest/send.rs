//! The `digest.send` job: build, render and send one digest.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};
use serde_json::json;

use super::{
    content::{self, Digest},
    preferences::{self, DigestFrequency},
    schedule::DigestJob,
    unsubscribe,
};
use crate::{
    context::AppContext,
    entities::{email_suppression, user},
    error::{AppError, AppResult},
    jobs::worker::JobError,
    mail::{MailError, OutgoingMail, templates},
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

/// Whether mail to `email` was refused for good before.
pub async fn is_suppressed(ctx: &AppContext, email: &str) -> AppResult<bool> {
    Ok(email_suppression::Entity::find()
        .filter(email_suppression::Column::Email.eq(email))
        .one(&ctx.db)
        .await?
        .is_some())
}

pub async fn record_suppression(ctx: &AppContext, email: &str, reason: &str) -> AppResult<()> {
    email_suppression::Entity::insert(email_suppression::ActiveModel {
        email: Set(email.to_string()),
        reason: Set(reason.chars().take(2000).collect()),
        created_at: Set(ctx.clock.now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(email_suppression::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&ctx.db)
    .await?;
    Ok(())
}

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
    if user.status != "active" || user.email_verified_at.is_none() || silenced {
        return Ok(());
    }
    let prefs = preferences::get(&ctx.db, user.id, now).await?;
    if DigestFrequency::parse(&prefs.digest_frequency) == DigestFrequency::Off
        || is_suppressed(ctx, &user.email).await?
    {
        return Ok(());
    }
    let digest = content::build(ctx, &user, job.since).await?;
    if !digest.is_empty() {
        let mail = render(ctx, &user, &digest, &job.period)?;
        // The job's dedupe key: a retried digest keeps its Message-ID.
        let from = &ctx.config.mail_from;
        let key = format!("digest:{}:{}", job.user_id, job.period);
        let message_id = crate::mail::message_id_for(from, &key);
        match ctx.mailer.send_as(from, &mail, Some(message_id)).await {
            Ok(()) => crate::telemetry::mail("sent"),
            Err(MailError::Transient(reason)) => {
                crate::telemetry::mail("failed");
                return Err(JobError::Retry(reason));
            }
            Err(MailError::Permanent(reason)) => {
                crate::telemetry::mail("failed");
                record_suppression(ctx, &user.email, &reason).await?;
                return Err(JobError::Permanent(reason));
            }
        }
    }
    preferences::mark_digest_handled(&ctx.db, user.id, now).await?;
    Ok(())
}
