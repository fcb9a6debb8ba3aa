//! Maps a job kind to its handler. Each domain owns its handlers; this file
//! only routes.

use super::worker::JobError;
use crate::{context::AppContext, mail::OutgoingMail};

pub async fn run(ctx: &AppContext, kind: &str, payload: &str) -> Result<(), JobError> {
    match kind {
        "mail" => {
            let mail: OutgoingMail = serde_json::from_str(payload)
                .map_err(|e| JobError::Permanent(format!("bad mail payload: {e}")))?;
            ctx.mailer
                .send(&ctx.config.mail_from, &mail)
                .await
                .map_err(|e| match e {
                    crate::mail::MailError::Transient(m) => JobError::Retry(m),
                    crate::mail::MailError::Permanent(m) => JobError::Permanent(m),
                })
        }
        crate::exemptions::reminders::JOB_KIND => {
            crate::exemptions::reminders::send(ctx, payload).await
        }
        other => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
    }
}
