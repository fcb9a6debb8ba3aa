//! The job worker: claims due jobs, runs them, and records the outcome.
//! Failures retry with exponential backoff; permanent failures stop.

use std::time::Duration as StdDuration;

use chrono::Duration;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::queue::{self, ClaimedJob};
use crate::{context::AppContext, db, error::AppResult};

/// How a job handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later (the engine or mail server is unreachable).
    #[error("{0}")]
    Retry(String),
    /// Retrying cannot help (a permanent SMTP rejection, a malformed payload).
    #[error("{0}")]
    Permanent(String),
}

impl From<crate::error::AppError> for JobError {
    fn from(err: crate::error::AppError) -> Self {
        match err {
            crate::error::AppError::Internal(cause) => JobError::Retry(format!("{cause:#}")),
            other => JobError::Retry(other.to_string()),
        }
    }
}

const LEASE_SECONDS: i64 = 300;
const BATCH: u64 = 32;

pub struct Worker {
    ctx: AppContext,
    id: String,
}

impl Worker {
    pub fn new(ctx: AppContext) -> Self {
        Self {
            id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            ctx,
        }
    }

    /// Runs jobs until none is due; returns how many ran. Tests and the CLI
    /// use this to make the queue's effects visible deterministically.
    pub async fn run_until_idle(&self) -> AppResult<usize> {
        let mut total = 0;
        loop {
            let jobs = self.claim().await?;
            if jobs.is_empty() {
                return Ok(total);
            }
            total += jobs.len();
            for job in jobs {
                self.process(job).await?;
            }
        }
    }

    /// Claims jobs without running them (tests use this to simulate a worker
    /// that dies after claiming).
    pub async fn claim(&self) -> AppResult<Vec<ClaimedJob>> {
        // Through a write transaction, so that on SQLite the worker takes
        // its turn with the requests' writes instead of racing them.
        let txn = db::begin_write(&self.ctx.db).await?;
        let jobs = queue::claim(
            &txn,
            &self.id,
            self.ctx.clock.now(),
            Duration::seconds(LEASE_SECONDS),
            BATCH,
        )
        .await?;
        txn.commit().await?;
        Ok(jobs)
    }

    /// The background loop of `commons serve`.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "job worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.ctx.housekeeping_tick().await {
                tracing::warn!(error = ?e, "scheduler tick failed");
            }
            match self.run_until_idle().await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "job worker cycle failed"),
            }
            tokio::select! {
                _ = self.ctx.jobs_wakeup.notified() => {}
                _ = tokio::time::sleep(StdDuration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(worker = %self.id, "job worker stopped");
    }

    async fn process(&self, job: ClaimedJob) -> AppResult<()> {
        let outcome = super::dispatch::run(&self.ctx, &job.kind, &job.payload).await;
        if changes_forum_reads(&job.kind) {
            // Whatever the job wrote has committed; cached reads are stale.
            self.ctx
                .changes
                .committed(&self.ctx.db, crate::changes::Change::Shared)
                .await;
        }
        let now = self.ctx.clock.now();
        let backend = self.ctx.db.get_database_backend();
        let p = |n: usize| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => format!("?{n}"),
        };
        let (sql, values): (String, Vec<sea_orm::Value>) = match outcome {
            Ok(()) => (
                // Mail payloads can hold single-use links: drop them once delivered.
                format!(
                    "UPDATE jobs SET status = 'done', finished_at = {}, locked_by = NULL, locked_until = NULL,
                     last_error = NULL, payload = CASE WHEN kind = 'mail' THEN '{{}}' ELSE payload END
                     WHERE id = {} AND locked_by = {}",
                    p(1),
                    p(2),
                    p(3)
                ),
                vec![now.into(), job.id.into(), self.id.clone().into()],
            ),
            Err(JobError::Retry(reason))
                if job.attempts < job.max_attempts || retries_forever(&job.kind) =>
            {
                let delay = backoff(job.attempts);
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, retry_in = ?delay, %reason, "job failed; will retry");
                (
                    format!(
                        "UPDATE jobs SET status = 'pending', run_at = {}, locked_by = NULL, locked_until = NULL, last_error = {}
                         WHERE id = {} AND locked_by = {}",
                        p(1),
                        p(2),
                        p(3),
                        p(4)
                    ),
                    vec![
                        (now + delay).into(),
                        reason.into(),
                        job.id.into(),
                        self.id.clone().into(),
                    ],
                )
            }
            Err(e) => {
                tracing::error!(job = job.id, kind = %job.kind, error = %e, "job failed permanently");
                (
                    format!(
                        "UPDATE jobs SET status = 'failed', finished_at = {}, locked_by = NULL, locked_until = NULL, last_error = {}
                         WHERE id = {} AND locked_by = {}",
                        p(1),
                        p(2),
                        p(3),
                        p(4)
                    ),
                    vec![
                        now.into(),
                        e.to_string().into(),
                        job.id.into(),
                        self.id.clone().into(),
                    ],
                )
            }
        };
        let txn = db::begin_write(&self.ctx.db).await?;
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Whether a job of `kind` may change what the forum's cached reads show.
/// Mail, digests (which record only what they sent), search updates (search
/// results are never cached) and exemption reminders do not; any other kind,
/// including one added later, counts as a shared change.
fn changes_forum_reads(kind: &str) -> bool {
    !(kind == "mail"
        || kind == "digest.send"
        || kind.starts_with("search.")
        || kind == crate::exemptions::reminders::JOB_KIND)
}

/// Search updates must survive an outage of any length: they retry (hourly
/// at worst) until the engine answers, instead of giving up.
fn retries_forever(kind: &str) -> bool {
    kind.starts_with("search.")
}

/// 5s, 10s, 20s … capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::seconds((5i64 << exp.min(10)).min(3600))
}
