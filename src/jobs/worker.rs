//! The job worker: claims due jobs, runs them, and records the outcome.
//! Failures retry with exponential backoff; permanent failures stop.

use std::{
    sync::{Arc, Mutex},
    time::{Duration as StdDuration, Instant},
};

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

const BATCH: u64 = 32;

/// One worker process's claim on jobs. `owner` (`replica/instance`) is what
/// the jobs table records in `locked_by`: the replica part lets a restarted
/// process take back its predecessor's jobs, the instance part keeps two
/// processes from ever renewing or settling each other's claims.
pub struct Worker {
    ctx: AppContext,
    owner: String,
    lease: StdDuration,
    /// When the leases this worker holds were last known to be extended
    /// (a claim or a heartbeat). A handler still running once they may
    /// have lapsed is stopped, so a job never runs twice at once.
    renewed: Arc<Mutex<Instant>>,
}

impl Worker {
    pub fn new(ctx: AppContext) -> Self {
        let owner = format!(
            "{}/{}",
            ctx.config.replica_id,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Self {
            owner,
            lease: ctx.config.job_lease,
            renewed: Arc::new(Mutex::new(Instant::now())),
            ctx,
        }
    }

    /// The `locked_by` of the jobs this worker claims.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn lease(&self) -> Duration {
        Duration::from_std(self.lease).unwrap_or(Duration::seconds(30))
    }

    /// Runs jobs until none is due; returns how many ran. Tests and the CLI
    /// use this to make the queue's effects visible deterministically.
    pub async fn run_until_idle(&self) -> AppResult<usize> {
        self.run_until_idle_or(None).await
    }

    async fn run_until_idle_or(
        &self,
        shutdown: Option<&tokio::sync::watch::Receiver<bool>>,
    ) -> AppResult<usize> {
        let mut total = 0;
        loop {
            if shutdown.is_some_and(|s| *s.borrow()) {
                return Ok(total);
            }
            let jobs = self.claim().await?;
            if jobs.is_empty() {
                return Ok(total);
            }
            total += self.run_batch(jobs, shutdown).await?;
        }
    }

    /// Claims jobs without running them (tests use this to simulate a worker
    /// that dies after claiming).
    pub async fn claim(&self) -> AppResult<Vec<ClaimedJob>> {
        let asked = Instant::now();
        // Through a write transaction, so that on SQLite the worker takes
        // its turn with the requests' writes instead of racing them.
        let txn = db::begin_write(&self.ctx.db).await?;
        let jobs =
            queue::claim(&txn, &self.owner, self.ctx.clock.now(), self.lease(), BATCH).await?;
        txn.commit().await?;
        if !jobs.is_empty() {
            self.mark_renewed(asked);
        }
        Ok(jobs)
    }

    fn mark_renewed(&self, at: Instant) {
        if let Ok(mut renewed) = self.renewed.lock() {
            *renewed = (*renewed).max(at);
        }
    }

    /// Runs claimed jobs in order while a heartbeat keeps their leases
    /// alive. When `shutdown` fires, the jobs not yet started go back to
    /// the queue for another worker. Returns how many ran.
    pub async fn run_batch(
        &self,
        jobs: Vec<ClaimedJob>,
        shutdown: Option<&tokio::sync::watch::Receiver<bool>>,
    ) -> AppResult<usize> {
        let heartbeat = self.spawn_heartbeat();
        let mut ran = 0;
        let mut jobs = jobs.into_iter();
        let result = loop {
            if shutdown.is_some_and(|s| *s.borrow()) {
                let rest: Vec<ClaimedJob> = jobs.collect();
                break self.release(&rest).await;
            }
            let Some(job) = jobs.next() else {
                break Ok(());
            };
            if let Err(e) = self.process(job).await {
                let rest: Vec<ClaimedJob> = jobs.collect();
                let _ = self.release(&rest).await;
                break Err(e);
            }
            ran += 1;
        };
        heartbeat.abort();
        result.map(|()| ran)
    }

    async fn release(&self, jobs: &[ClaimedJob]) -> AppResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let txn = db::begin_write(&self.ctx.db).await?;
        let released = queue::release_unstarted(&txn, &self.owner, jobs).await?;
        txn.commit().await?;
        tracing::info!(worker = %self.owner, released, "released jobs not yet started");
        Ok(())
    }

    /// Renews this worker's leases every third of the lease until aborted.
    fn spawn_heartbeat(&self) -> tokio::task::JoinHandle<()> {
        let ctx = self.ctx.clone();
        let owner = self.owner.clone();
        let lease = self.lease();
        let every = self.lease / 3;
        let renewed = self.renewed.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let asked = Instant::now();
                let beat = async {
                    let txn = db::begin_write(&ctx.db).await?;
                    let held = queue::heartbeat(&txn, &owner, ctx.clock.now(), lease).await?;
                    txn.commit().await?;
                    AppResult::Ok(held)
                };
                match beat.await {
                    Ok(_) => {
                        if let Ok(mut at) = renewed.lock() {
                            *at = (*at).max(asked);
                        }
                    }
                    Err(e) => tracing::warn!(worker = %owner, error = ?e, "job heartbeat failed"),
                }
            }
        })
    }

    /// Resolves once this worker's leases may have lapsed: no claim or
    /// heartbeat has extended them for most of a lease.
    async fn lease_lost(&self) {
        let margin = self.lease / 6;
        loop {
            let renewed = self
                .renewed
                .lock()
                .map(|at| *at)
                .unwrap_or_else(|_| Instant::now());
            let deadline = renewed + self.lease - margin;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }

    /// The background loop of `commons serve`.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %self.owner, lease = ?self.lease, "job worker started");
        match self.take_back().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(worker = %self.owner, jobs = n, "took back the jobs of this replica's previous process")
            }
            Err(e) => tracing::warn!(error = ?e, "could not take back this replica's earlier jobs"),
        }
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.ctx.housekeeping_tick().await {
                tracing::warn!(error = ?e, "scheduler tick failed");
            }
            match self.run_until_idle_or(Some(&shutdown)).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "job worker cycle failed"),
            }
            tokio::select! {
                _ = self.ctx.jobs_wakeup.notified() => {}
                _ = tokio::time::sleep(StdDuration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(worker = %self.owner, "job worker stopped");
    }

    /// Returns to the queue the jobs this replica's earlier process still
    /// held when it stopped (it crashed or was killed).
    pub async fn take_back(&self) -> AppResult<u64> {
        let txn = db::begin_write(&self.ctx.db).await?;
        let n = queue::take_back(&txn, &self.ctx.config.replica_id, &self.owner).await?;
        txn.commit().await?;
        Ok(n)
    }

    async fn process(&self, job: ClaimedJob) -> AppResult<()> {
        let outcome = tokio::select! {
            outcome = super::dispatch::run_claimed(&self.ctx, &job) => outcome,
            () = self.lease_lost() => {
                // Another worker may take the job over now; stop here and
                // leave it to them rather than run it twice at once.
                tracing::warn!(job = job.id, kind = %job.kind, worker = %self.owner, "lease lapsed while the job ran; stopped it");
                crate::telemetry::job_finished(&job.kind, "lease_lost");
                return Ok(());
            }
        };
        self.settle(&job, outcome).await
    }

    /// Records how a claimed job ended. Fenced on this worker and the
    /// claim's attempt: a worker whose lease was taken over changes nothing.
    pub async fn settle(&self, job: &ClaimedJob, outcome: Result<(), JobError>) -> AppResult<()> {
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
        let finished = match &outcome {
            Ok(()) => "done",
            Err(JobError::Retry(_))
                if job.attempts < job.max_attempts || retries_forever(&job.kind) =>
            {
                "retry"
            }
            Err(_) => "failed",
        };
        crate::telemetry::job_finished(&job.kind, finished);
        let (sql, values): (String, Vec<sea_orm::Value>) = match outcome {
            Ok(()) => (
                // Mail payloads can hold single-use links: drop them once delivered.
                format!(
                    "UPDATE jobs SET status = 'done', finished_at = {}, locked_by = NULL, locked_until = NULL,
                     last_error = NULL, payload = CASE WHEN kind = 'mail' THEN '{{}}' ELSE payload END
                     WHERE id = {} AND locked_by = {} AND attempts = {}",
                    p(1),
                    p(2),
                    p(3),
                    p(4)
                ),
                vec![now.into(), job.id.into(), self.owner.clone().into(), job.attempts.into()],
            ),
            Err(JobError::Retry(reason))
                if job.attempts < job.max_attempts || retries_forever(&job.kind) =>
            {
                let delay = backoff(job.attempts);
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, retry_in = ?delay, %reason, "job failed; will retry");
                (
                    format!(
                        "UPDATE jobs SET status = 'pending', run_at = {}, locked_by = NULL, locked_until = NULL, last_error = {}
                         WHERE id = {} AND locked_by = {} AND attempts = {}",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5)
                    ),
                    vec![
                        (now + delay).into(),
                        reason.into(),
                        job.id.into(),
                        self.owner.clone().into(),
                        job.attempts.into(),
                    ],
                )
            }
            Err(e) => {
                tracing::error!(job = job.id, kind = %job.kind, error = %e, "job failed permanently");
                (
                    format!(
                        "UPDATE jobs SET status = 'failed', finished_at = {}, locked_by = NULL, locked_until = NULL, last_error = {}
                         WHERE id = {} AND locked_by = {} AND attempts = {}",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5)
                    ),
                    vec![
                        now.into(),
                        e.to_string().into(),
                        job.id.into(),
                        self.owner.clone().into(),
                        job.attempts.into(),
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
