//! The `mail` job: delivers one rendered message. Its `Message-ID` comes
//! from the job's dedupe key (or its id), so a delivery retried after a
//! crash carries the same one.

use super::{JobError, JobKind, queue::ClaimedJob};
use crate::{
    context::AppContext,
    mail::{MailError, OutgoingMail, suppression},
    telemetry,
};

/// Mail changes nothing the forum shows.
pub const KIND: JobKind = JobKind::new("mail").leaves_reads();

pub async fn deliver(ctx: AppContext, job: ClaimedJob) -> Result<(), JobError> {
    let mail: OutgoingMail =
        serde_json::from_str(&job.payload).map_err(|e| JobError::bad_payload(&KIND, e))?;
    let key = job
        .dedupe_key
        .clone()
        .unwrap_or_else(|| format!("job:{}", job.id));
    send(&ctx, &mail, &key).await
}

/// Sends one message whose `Message-ID` derives from `key`, so a retry
/// carries the same one. Nothing goes to an address that refused mail for
/// good, and one that refuses it now is recorded. Also for the jobs that
/// render their message when they run.
pub async fn send(ctx: &AppContext, mail: &OutgoingMail, key: &str) -> Result<(), JobError> {
    if suppression::is_suppressed(&ctx.db, &mail.to).await? {
        telemetry::mail("suppressed");
        return Ok(());
    }
    let from = &ctx.config.mail_from;
    let message_id = crate::mail::message_id_for(from, key);
    match ctx.mailer.send_as(from, mail, Some(message_id)).await {
        Ok(()) => {
            telemetry::mail("sent");
            Ok(())
        }
        Err(MailError::Transient(m)) => {
            telemetry::mail("failed");
            Err(JobError::Retry(m))
        }
        Err(MailError::Permanent(m)) => {
            telemetry::mail("failed");
            suppression::record(&ctx.db, &mail.to, &m, ctx.clock.now()).await?;
            Err(JobError::Permanent(m))
        }
    }
}
