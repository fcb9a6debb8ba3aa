//! The `notification.mail` job: the immediate email of one notification.
//! It is rendered when it is sent, not when the notification is made: the
//! post may be hidden, the reader's tier lowered or their membership ended
//! in between, and the mail must show only what the reader can open then.
//! This module loads the notification and checks its recipient; whether
//! the subject is still open is asked above the domains
//! (`visibility::mail_notification`), which registers as the handler.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    context::AppContext,
    entities::{notification, user},
    error::{AppError, AppResult},
    identity::UserStatus,
    jobs::{self, JobError, JobKind},
    mail::{OutgoingMail, templates},
};

/// Mail changes nothing the forum shows.
pub const KIND: JobKind = JobKind::new("notification.mail").leaves_reads();

/// The payload of a [`KIND`] job.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Payload {
    pub notification_id: i64,
}

/// A notification that is still to be mailed, with its recipient.
pub struct Pending {
    pub notification: notification::Model,
    pub recipient: user::Model,
}

/// The dedupe key of a notification's mail, from which its `Message-ID`
/// derives.
pub fn key(notification_id: i64) -> String {
    format!("notification:{notification_id}")
}

/// Whether `recipient` takes immediate mail of `kind` now: an active,
/// verified account whose preferences ask for it.
pub async fn wanted(
    conn: &impl ConnectionTrait,
    recipient: &user::Model,
    kind: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !UserStatus::is_active(&recipient.status) || recipient.email_verified_at.is_none() {
        return Ok(false);
    }
    let prefs = super::preferences::get(conn, recipient.id, now).await?;
    Ok(match kind {
        "mention" | "quote" => prefs.email_mentions,
        "reply" => prefs.email_replies,
        "exemption_decision" => prefs.email_decisions,
        _ => true,
    })
}

/// The notification of the job, if its recipient still takes its mail.
pub async fn pending(ctx: &AppContext, payload: &str) -> Result<Option<Pending>, JobError> {
    let payload: Payload =
        serde_json::from_str(payload).map_err(|e| JobError::bad_payload(&KIND, e))?;
    let Some(notification) = notification::Entity::find_by_id(payload.notification_id)
        .one(&ctx.db)
        .await
        .map_err(AppError::from)?
    else {
        return Ok(None);
    };
    let Some(recipient) = user::Entity::find_by_id(notification.user_id)
        .one(&ctx.db)
        .await
        .map_err(AppError::from)?
    else {
        return Ok(None);
    };
    // A notice about the account itself (its suspension, say) is written
    // while the account may still take mail, and goes out whatever state
    // the account is in by the time it is sent: it says what happened.
    let own_account = notification.subject_type.as_deref() == Some("user")
        && notification.subject_id == Some(recipient.id);
    if !own_account && !wanted(&ctx.db, &recipient, &notification.kind, ctx.clock.now()).await? {
        return Ok(None);
    }
    Ok(Some(Pending {
        notification,
        recipient,
    }))
}

/// Renders and sends the mail of a notification whose subject the
/// recipient can still open.
pub async fn send(ctx: &AppContext, pending: &Pending) -> Result<(), JobError> {
    let n = &pending.notification;
    let to = &pending.recipient;
    let (text, html) = templates::render(
        "notification",
        json!({
            "name": to.display_name,
            "headline": n.title,
            "excerpt": n.excerpt,
            "link": format!("{}{}", ctx.config.public_url, n.link),
            "preferences_link": format!("{}/settings", ctx.config.public_url),
        }),
    )
    .map_err(AppError::internal)?;
    let mail = OutgoingMail {
        to: to.email.clone(),
        to_name: to.display_name.clone(),
        subject: n.title.clone(),
        text,
        html: Some(html),
        headers: vec![],
    };
    jobs::mail::send(ctx, &mail, &key(n.id)).await
}
