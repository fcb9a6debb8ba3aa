//! Everything a service needs, built once at start-up and cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{clock::Clock, config::Config, error::AppResult, mail::Mailer, ratelimit::RateLimits};

#[derive(Clone)]
pub struct AppContext {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub mailer: Mailer,
    pub limits: RateLimits,
    /// Wakes the in-process worker after a commit that enqueued jobs.
    pub jobs_wakeup: Arc<Notify>,
}

impl AppContext {
    pub fn wake_worker(&self) {
        self.jobs_wakeup.notify_one();
    }

    /// Search engine status for `/readyz`.
    pub async fn search_status(&self) -> serde_json::Value {
        serde_json::json!({ "engine": "none" })
    }

    /// Periodic work the worker runs between job batches: schedulers that
    /// enqueue due jobs (digests, reminders) and in-memory housekeeping.
    pub async fn housekeeping_tick(&self) -> AppResult<()> {
        self.limits.housekeeping();
        crate::exemptions::run_scheduled(self).await?;
        Ok(())
    }
}
