//! The job worker: claims due jobs, runs them, and records the outcome.
//! Failures retry with exponential backoff; permanent failures stop.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration as StdDuration, Instant},
};

use chrono::Duration;
use sea_orm::ConnectionTrait;

use super::{
    JobError, JobKind, JobStatus, Registry, Retries,
    queue::{self, ClaimedJob},
};
use crate::{context::AppContext, db, error::AppResult};

const BATCH: u64 = 32;

/// One worker process's claim on jobs. `owner` (`replica/instance`) is what
/// the jobs table records in `locked_by`: the replica part lets a restarted
/// process take back its predecessor's jobs, the instance part keeps two
/// processes from ever renewing or settling each other's claims.
pub struct Worker {
    ctx: AppContext,
    registry: Arc<Registry>,
    owner: String,
    lease: StdDuration,
    /// When the leases this worker holds were last known to be extended
    /// (a claim or a heartbeat). A handler still running once they may
    /// have lapsed is stopped, so a job never runs twice at once.
    renewed: Arc<Mutex<Instant>>,
}

impl Worker {
    pub fn new(ctx: AppContext, registry: Arc<Registry>) -> Self {
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
            registry,
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
    /// alive. Jobs of a batched kind run together, topped up to the kind's
    /// batch size. When `shutdown` fires, the jobs not yet started go back
    /// to the queue for another worker. Returns how many ran.
    pub async fn run_batch(
        &self,
        jobs: Vec<ClaimedJob>,
        shutdown: Option<&tokio::sync::watch::Receiver<bool>>,
    ) -> AppResult<usize> {
        let heartbeat = self.spawn_heartbeat();
        let mut ran = 0;
        let mut queue: VecDeque<ClaimedJob> = jobs.into();
        let result = loop {
            if shutdown.is_some_and(|s| *s.borrow()) {
                let rest: Vec<ClaimedJob> = queue.drain(..).collect();
                break self.release(&rest).await;
            }
            let Some(job) = queue.pop_front() else {
                break Ok(());
            };
            let step = match self.registry.batch_size(&job.kind) {
                Some(max_jobs) => {
                    // The rest of this claim's jobs of the kind join it.
                    let (mut group, rest): (Vec<ClaimedJob>, Vec<ClaimedJob>) =
                        queue.drain(..).partition(|j| j.kind == job.kind);
                    queue = rest.into();
                    group.insert(0, job);
                    match self.top_up(&mut group, max_jobs).await {
                        Ok(()) => {
                            let n = group.len();
                            self.process_many(group).await.map(|()| n)
                        }
                        Err(e) => {
                            let _ = self.release(&group).await;
                            Err(e)
                        }
                    }
                }
                None => self.process(job).await.map(|()| 1),
            };
            match step {
                Ok(n) => ran += n,
                Err(e) => {
                    let rest: Vec<ClaimedJob> = queue.drain(..).collect();
                    let _ = self.release(&rest).await;
                    break Err(e);
                }
            }
        };
        heartbeat.abort();
        result.map(|()| ran)
    }

    /// Claims more due jobs of `group`'s kind, up to `max_jobs`, and the
    /// later jobs waiting behind each claimed job's ordering key, in one
    /// write.
    async fn top_up(&self, group: &mut Vec<ClaimedJob>, max_jobs: usize) -> AppResult<()> {
        let Some(kind) = group.first().map(|j| j.kind.clone()) else {
            return Ok(());
        };
        let asked = Instant::now();
        let now = self.ctx.clock.now();
        let txn = db::begin_write(&self.ctx.db).await?;
        let room = max_jobs.saturating_sub(group.len()) as u64;
        if room > 0 {
            let more = queue::claim_kind(&txn, &self.owner, now, self.lease(), &kind, room).await?;
            group.extend(more);
        }
        let keys: Vec<String> = group
            .iter()
            .filter_map(|j| j.ordering_key.clone())
            .collect();
        if !keys.is_empty() {
            let followers =
                queue::absorb_followers(&txn, &self.owner, now, self.lease(), &kind, &keys).await?;
            group.extend(followers);
        }
        txn.commit().await?;
        self.mark_renewed(asked);
        Ok(())
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
            if let Err(e) = self.registry.housekeeping_tick(&self.ctx).await {
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
            outcome = self.registry.run(&self.ctx, &job) => outcome,
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

    /// Runs jobs of one kind together and settles each.
    async fn process_many(&self, jobs: Vec<ClaimedJob>) -> AppResult<()> {
        let outcomes = tokio::select! {
            outcomes = self.registry.run_many(&self.ctx, jobs.clone()) => outcomes,
            () = self.lease_lost() => {
                tracing::warn!(jobs = jobs.len(), worker = %self.owner, "lease lapsed while a batch ran; stopped it");
                for job in &jobs {
                    crate::telemetry::job_finished(&job.kind, "lease_lost");
                }
                return Ok(());
            }
        };
        let mut done = Vec::new();
        for (job, outcome) in jobs.iter().zip(outcomes) {
            match outcome {
                Ok(()) => done.push(job),
                Err(e) => self.settle(job, Err(e)).await?,
            }
        }
        self.settle_done(&done).await
    }

    /// Records how a claimed job ended. Fenced on this worker and the
    /// claim's attempt: a worker whose lease was taken over changes nothing.
    pub async fn settle(&self, job: &ClaimedJob, outcome: Result<(), JobError>) -> AppResult<()> {
        // A kind nobody registered is treated as the safe default.
        let kind = self
            .registry
            .kind(&job.kind)
            .unwrap_or(JobKind::new("unregistered"));
        if kind.changes_reads {
            // Whatever the job wrote has committed; cached reads are stale.
            self.ctx
                .changes
                .committed(&self.ctx.db, crate::changes::Change::Shared)
                .await;
        }
        let now = self.ctx.clock.now();
        let retry = job.attempts < job.max_attempts || kind.retries == Retries::Forever;
        let fence = "WHERE id = ? AND locked_by = ? AND attempts = ?";
        let (finished, sql, mut values): (&str, String, Vec<sea_orm::Value>) = match outcome {
            Ok(()) => ("done", done_sql(fence), vec![now.into()]),
            Err(JobError::Retry(reason)) if retry => {
                let delay = backoff(job.attempts);
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, retry_in = ?delay, %reason, "job failed; will retry");
                (
                    "retry",
                    format!(
                        "UPDATE jobs SET status = '{pending}', run_at = ?, locked_by = NULL, locked_until = NULL, last_error = ?
                         {fence}",
                        pending = JobStatus::Pending.as_str(),
                    ),
                    vec![(now + delay).into(), reason.into()],
                )
            }
            Err(e) => {
                tracing::error!(job = job.id, kind = %job.kind, error = %e, "job failed permanently");
                (
                    "failed",
                    format!(
                        "UPDATE jobs SET status = '{failed}', finished_at = ?, locked_by = NULL, locked_until = NULL, last_error = ?
                         {fence}",
                        failed = JobStatus::Failed.as_str(),
                    ),
                    vec![now.into(), e.to_string().into()],
                )
            }
        };
        crate::telemetry::job_finished(&job.kind, finished);
        values.extend([
            job.id.into(),
            self.owner.clone().into(),
            job.attempts.into(),
        ]);
        let txn = db::begin_write(&self.ctx.db).await?;
        txn.execute_raw(db::statement(txn.get_database_backend(), &sql, values))
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

impl Worker {
    /// Records that `jobs` (all this worker's claims) finished, in one
    /// statement per few hundred, fenced on each claim as [`Worker::settle`] is.
    async fn settle_done(&self, jobs: &[&ClaimedJob]) -> AppResult<()> {
        const PER_STATEMENT: usize = 200;
        if jobs.is_empty() {
            return Ok(());
        }
        let changes_reads = jobs.iter().any(|job| {
            self.registry
                .kind(&job.kind)
                .is_none_or(|kind| kind.changes_reads)
        });
        if changes_reads {
            self.ctx
                .changes
                .committed(&self.ctx.db, crate::changes::Change::Shared)
                .await;
        }
        let now = self.ctx.clock.now();
        let txn = db::begin_write(&self.ctx.db).await?;
        for chunk in jobs.chunks(PER_STATEMENT) {
            let claims = vec!["(id = ? AND attempts = ?)"; chunk.len()].join(" OR ");
            let sql = done_sql(&format!("WHERE locked_by = ? AND ({claims})"));
            let mut values: Vec<sea_orm::Value> = vec![now.into(), self.owner.clone().into()];
            for job in chunk {
                values.extend([job.id.into(), job.attempts.into()]);
            }
            txn.execute_raw(db::statement(txn.get_database_backend(), &sql, values))
                .await?;
        }
        txn.commit().await?;
        for job in jobs {
            crate::telemetry::job_finished(&job.kind, "done");
        }
        Ok(())
    }
}

/// The statement that marks the jobs matched by `fence` done.
fn done_sql(fence: &str) -> String {
    format!(
        "UPDATE jobs SET status = '{done}', finished_at = ?, locked_by = NULL, locked_until = NULL,
         last_error = NULL, payload = CASE WHEN kind = '{mail}' THEN '{{}}' ELSE payload END
         {fence}",
        done = JobStatus::Done.as_str(),
        // Mail payloads can hold single-use links: drop them once delivered.
        mail = super::mail::KIND.name,
    )
}

/// 5s, 10s, 20s … capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::seconds((5i64 << exp.min(10)).min(3600))
}
