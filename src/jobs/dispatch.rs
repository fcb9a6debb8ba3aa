//! Maps a job kind to its handler. Each domain owns its handlers; this file
//! only routes.

use super::{queue::ClaimedJob, worker::JobError};
use crate::{
    context::AppContext,
    mail::{MailError, OutgoingMail},
};

/// Runs a claimed job. A mail job's `Message-ID` comes from its dedupe key
/// (or its id), so a delivery retried after a crash carries the same one.
pub async fn run_claimed(ctx: &AppContext, job: &ClaimedJob) -> Result<(), JobError> {
    if job.kind == "mail" {
        let key = job
            .dedupe_key
            .clone()
            .unwrap_or_else(|| format!("job:{}", job.id));
        return send_mail(ctx, &job.payload, Some(&key)).await;
    }
    run(ctx, &job.kind, &job.payload).await
}

async fn send_mail(ctx: &AppContext, payload: &str, key: Option<&str>) -> Result<(), JobError> {
    let mail: OutgoingMail = serde_json::from_str(payload)
        .map_err(|e| JobError::Permanent(format!("bad mail payload: {e}")))?;
    if crate::digest::send::is_suppressed(ctx, &mail.to).await? {
        crate::telemetry::mail("suppressed");
        return Ok(());
    }
    let from = &ctx.config.mail_from;
    let message_id = key.map(|key| crate::mail::message_id_for(from, key));
    match ctx.mailer.send_as(from, &mail, message_id).await {
        Ok(()) => {
            crate::telemetry::mail("sent");
            Ok(())
        }
        Err(MailError::Transient(m)) => {
            crate::telemetry::mail("failed");
            Err(JobError::Retry(m))
        }
        Err(MailError::Permanent(m)) => {
            crate::telemetry::mail("failed");
            crate::digest::send::record_suppression(ctx, &mail.to, &m).await?;
            Err(JobError::Permanent(m))
        }
    }
}

pub async fn run(ctx: &AppContext, kind: &str, payload: &str) -> Result<(), JobError> {
    match kind {
        "mail" => send_mail(ctx, payload, None).await,
        "digest.send" => crate::digest::send::run(ctx, payload).await,
        "search.index" => crate::search::indexer::run(ctx, payload).await,
        "search.reindex" => crate::search::indexer::rebuild_all(ctx)
            .await
            .map(|stats| tracing::info!(?stats, "search index rebuilt"))
            .map_err(JobError::from),
        crate::exemptions::reminders::JOB_KIND => {
            crate::exemptions::reminders::send(ctx, payload).await
        }
        other => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
    }
}
