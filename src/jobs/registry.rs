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

/// Enqueues whatever has fallen due (digests, reminders).
pub type Scheduler = fn(AppContext) -> BoxFuture<'static, AppResult<()>>;

/// How often the worker runs the schedulers, in seconds of the context's clock.
const SCAN_EVERY_SECONDS: i64 = 60;

#[derive(Default)]
pub struct Registry {
    kinds: HashMap<&'static str, (JobKind, Handler)>,
    schedulers: Vec<(&'static str, Scheduler)>,
    /// Unix time of the last scheduler scan.
    last_scan: AtomicI64,
}

impl Registry {
    /// Registers `kind` with its handler.
    ///
    /// # Panics
    /// When a kind is registered twice: the application is wired wrongly.
    pub fn handle(mut self, kind: JobKind, handler: Handler) -> Self {
        let previous = self.kinds.insert(kind.name, (kind, handler));
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

    /// Runs `job` with its kind's handler; a kind nobody registered fails
    /// for good.
    pub async fn run(&self, ctx: &AppContext, job: &ClaimedJob) -> Result<(), JobError> {
        match self.kinds.get(job.kind.as_str()) {
            Some((_, handler)) => handler(ctx.clone(), job.clone()).await,
            None => Err(JobError::Permanent(format!(
                "unknown job kind {:?}",
                job.kind
            ))),
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
