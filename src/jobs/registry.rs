//! What the worker runs: every job kind with its handler, and the
//! schedulers that enqueue due work. The application assembles it at the
//! top (`crate::background`), so the worker names no domain.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicI64, Ordering},
};

use futures::future::BoxFuture;

use super::{JobError, JobKind, queue::ClaimedJob};
use crate::{context::AppContext, error::AppResult};

/// Runs one claimed job of its kind.
pub type Handler = fn(AppContext, ClaimedJob) -> BoxFuture<'static, Result<(), JobError>>;

/// Runs claimed jobs of one kind together, returning one outcome per job in
/// the order given: for work that costs per request rather than per item
/// (one search-engine write for many documents).
pub type BatchHandler =
    fn(AppContext, Vec<ClaimedJob>) -> BoxFuture<'static, Vec<Result<(), JobError>>>;

/// How a kind's jobs are run.
#[derive(Clone, Copy)]
enum Runner {
    One(Handler),
    /// Up to `max_jobs` due jobs at a time.
    Batch {
        handler: BatchHandler,
        max_jobs: usize,
    },
}

/// Enqueues whatever has fallen due (digests, reminders).
pub type Scheduler = fn(AppContext) -> BoxFuture<'static, AppResult<()>>;

/// How often the worker runs the schedulers, in seconds of the context's clock.
const SCAN_EVERY_SECONDS: i64 = 60;

#[derive(Default)]
pub struct Registry {
    kinds: HashMap<&'static str, (JobKind, Runner)>,
    schedulers: Vec<(&'static str, Scheduler)>,
    /// Unix time of the last scheduler scan.
    last_scan: AtomicI64,
}

impl Registry {
    /// Registers `kind` with its handler.
    ///
    /// # Panics
    /// When a kind is registered twice: the application is wired wrongly.
    pub fn handle(self, kind: JobKind, handler: Handler) -> Self {
        self.register(kind, Runner::One(handler))
    }

    /// Registers `kind` with a handler that takes up to `max_jobs` of its due
    /// jobs at once. Jobs that share an ordering key still never run
    /// together out of order: the worker hands a key's later jobs to the
    /// batch that runs its earliest (see `queue::absorb_followers`).
    ///
    /// # Panics
    /// When a kind is registered twice.
    pub fn handle_batch(self, kind: JobKind, max_jobs: usize, handler: BatchHandler) -> Self {
        self.register(
            kind,
            Runner::Batch {
                handler,
                max_jobs: max_jobs.max(1),
            },
        )
    }

    fn register(mut self, kind: JobKind, runner: Runner) -> Self {
        let previous = self.kinds.insert(kind.name, (kind, runner));
        assert!(
            previous.is_none(),
            "job kind {} registered twice",
            kind.name
        );
        self
    }

    pub fn schedule(mut self, name: &'static str, scheduler: Scheduler) -> Self {
        self.schedulers.push((name, scheduler));
        self
    }

    /// The registered kind named `name`.
    pub fn kind(&self, name: &str) -> Option<JobKind> {
        self.kinds.get(name).map(|(kind, _)| *kind)
    }

    /// How many jobs of kind `name` run together, when its jobs are batched.
    pub fn batch_size(&self, name: &str) -> Option<usize> {
        match self.kinds.get(name) {
            Some((_, Runner::Batch { max_jobs, .. })) => Some(*max_jobs),
            _ => None,
        }
    }

    /// Runs `job` with its kind's handler; a kind nobody registered fails
    /// for good.
    pub async fn run(&self, ctx: &AppContext, job: &ClaimedJob) -> Result<(), JobError> {
        match self.kinds.get(job.kind.as_str()) {
            Some((_, Runner::One(handler))) => handler(ctx.clone(), job.clone()).await,
            Some((_, Runner::Batch { handler, .. })) => handler(ctx.clone(), vec![job.clone()])
                .await
                .pop()
                .unwrap_or_else(|| {
                    Err(JobError::Retry("batch handler returned no outcome".into()))
                }),
            None => Err(unknown(&job.kind)),
        }
    }

    /// Runs jobs of one kind together (with its batch handler, or one by
    /// one); one outcome per job, in order.
    pub async fn run_many(
        &self,
        ctx: &AppContext,
        jobs: Vec<ClaimedJob>,
    ) -> Vec<Result<(), JobError>> {
        let Some(first) = jobs.first() else {
            return Vec::new();
        };
        match self.kinds.get(first.kind.as_str()) {
            Some((_, Runner::Batch { handler, .. })) => {
                let n = jobs.len();
                let mut outcomes = handler(ctx.clone(), jobs).await;
                // A handler that lost track of a job leaves it to be retried.
                outcomes.resize_with(n, || {
                    Err(JobError::Retry("batch handler returned no outcome".into()))
                });
                outcomes
            }
            _ => {
                let mut outcomes = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    outcomes.push(self.run(ctx, job).await);
                }
                outcomes
            }
        }
    }

    /// Every scheduler, unthrottled. A failing one does not stop the rest.
    pub async fn run_schedulers(&self, ctx: &AppContext) -> AppResult<()> {
        let mut first_error = None;
        for (name, scheduler) in &self.schedulers {
            if let Err(e) = scheduler(ctx.clone()).await {
                tracing::warn!(scheduler = name, error = ?e, "scheduler failed");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Runs the schedulers at most once a minute: the worker calls it
    /// between batches of jobs.
    pub async fn housekeeping_tick(&self, ctx: &AppContext) -> AppResult<()> {
        let now = ctx.clock.now().timestamp();
        let last = self.last_scan.load(Ordering::Relaxed);
        if now - last < SCAN_EVERY_SECONDS {
            return Ok(());
        }
        self.last_scan.store(now, Ordering::Relaxed);
        self.run_schedulers(ctx).await
    }
}

fn unknown(kind: &str) -> JobError {
    JobError::Permanent(format!("unknown job kind {kind:?}"))
}
