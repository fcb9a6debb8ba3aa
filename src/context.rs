//! Everything a service needs, built once at start-up and cheap to clone:
//! shared services of the layers below the domains, and nothing of any
//! domain's own.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    category_cache::CategoryCache,
    changes::Changes,
    clock::Clock,
    config::Config,
    db::{self, Announcer, WriteTxn},
    error::AppResult,
    mail::Mailer,
    ratelimit::RateLimits,
    response_cache::ResponseCache,
    screening::rules::RuleSet,
    search::SearchIndex,
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
    pub categories: Arc<CategoryCache>,
    /// What has changed since a cached response was built.
    pub changes: Arc<Changes>,
    /// Whole responses to forum reads, per session.
    pub responses: Arc<ResponseCache>,
}

impl AppContext {
    /// Begins a write that announces itself once it commits: it wakes the
    /// worker when it enqueued jobs, and tells the caches what changed.
    pub async fn write(&self) -> AppResult<WriteTxn> {
        db::begin_announced(&self.db, &self.announcer()).await
    }

    fn announcer(&self) -> Announcer {
        Announcer {
            db: self.db.clone(),
            changes: self.changes.clone(),
            worker: self.jobs_wakeup.clone(),
        }
    }

    /// Search engine status for `/readyz`.
    pub async fn search_status(&self) -> serde_json::Value {
        let engine = self.search.engine();
        match self.search.health().await {
            Ok(()) => match self.search.stuck_task() {
                // Answering searches, but writes wait behind a task that
                // outlived its deadline: the index falls behind.
                Some(stuck) => {
                    serde_json::json!({ "engine": engine, "status": "degraded", "stuck_task": stuck })
                }
                None => serde_json::json!({ "engine": engine, "status": "ok" }),
            },
            Err(e) => {
                serde_json::json!({ "engine": self.search.engine(), "status": "unavailable", "error": e.to_string() })
            }
        }
    }
}
