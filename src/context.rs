//! Everything a service needs, built once at start-up and cheap to clone.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    clock::Clock, config::Config, error::AppResult, mail::Mailer, ratelimit::RateLimits,
    screening::rules::RuleSet, search::SearchIndex,
};

#[derive(Clone)]
pub struct AppContext {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub mailer: Mailer,
    pub limits: RateLimits,
    pub search: Arc<dyn SearchIndex>,
    /// Moderation rules from `moderation/`, read at start-up.
    pub rules: Arc<RuleSet>,
    /// Wakes the in-process worker after a commit that enqueued jobs.
    pub jobs_wakeup: Arc<Notify>,
    /// Unix time of the last scheduler scan.
    pub last_schedule_scan: Arc<AtomicI64>,
    pub categories: Arc<crate::category_cache::CategoryCache>,
    /// What has changed since a cached response was built.
    pub changes: Arc<crate::changes::Changes>,
    /// Whole responses to forum reads, per session.
    pub responses: Arc<crate::response_cache::ResponseCache>,
}

impl AppContext {
    pub fn wake_worker(&self) {
        self.jobs_wakeup.notify_one();
    }

    /// Search engine status for `/readyz`.
    pub async fn search_status(&self) -> serde_json::Value {
        match self.search.health().await {
            Ok(()) => serde_json::json!({ "engine": self.search.engine(), "status": "ok" }),
            Err(e) => {
                serde_json::json!({ "engine": self.search.engine(), "status": "unavailable", "error": e.to_string() })
            }
        }
    }

    /// Periodic work the worker runs between job batches: schedulers that
    /// enqueue due jobs (digests, reminders) and in-memory housekeeping.
    pub async fn housekeeping_tick(&self) -> AppResult<()> {
        // Schedulers scan at most once a minute (of the context's clock).
        let now = self.clock.now().timestamp();
        let last = self.last_schedule_scan.load(Ordering::Relaxed);
        if now - last < 60 {
            return Ok(());
        }
        self.last_schedule_scan.store(now, Ordering::Relaxed);
        self.limits.housekeeping();
        self.run_schedulers().await
    }

    /// Every domain's scheduler, unthrottled (tests call this directly).
    pub async fn run_schedulers(&self) -> AppResult<()> {
        crate::digest::schedule::run(self).await?;
        crate::publications::run_scheduled(self).await?;
        crate::exemptions::run_scheduled(self).await?;
        Ok(())
    }
}
