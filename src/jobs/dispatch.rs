//! Maps a job kind to its handler. Each domain owns its handlers; this file
//! only routes.

use super::worker::JobError;
use crate::{
    context::AppContext,
    mail::{MailError, OutgoingMail},
};

pub async fn run(ctx: &AppContext, kind: &str, payload: &str) -> Result<(), JobError> {
    match kind {
        "mail" => {
            let mail: OutgoingMail = serde_json::from_str(payload)
                .map_err(|e| JobError::Permanent(format!("bad mail payload: {e}")))?;
            if crate::digest::send::is_suppressed(ctx, &mail.to).await? {
                return Ok(());
            }
            match ctx.mailer.send(&ctx.config.mail_from, &mail).await {
                Ok(()) => Ok(()),
                Err(MailError::Transient(m)) => Err(JobError::Retry(m)),
                Err(MailError::Permanent(m)) => {
                    crate::digest::send::record_suppression(ctx, &mail.to, &m).await?;
                    Err(JobError::Permanent(m))
                }
            }
        }
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
