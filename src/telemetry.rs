//! Prometheus metrics for `GET /metrics`.
//!
//! Counters and histograms are recorded where things happen (requests in
//! `http`, jobs in `jobs::worker`, mail in `jobs::dispatch`); gauges that
//! describe shared state (the queue, search lag, the pool, memory) are
//! measured when `/metrics` is scraped, so every replica reports the same
//! queue and each its own process.
//!
//! Every label is bounded: GraphQL operation names come from clients, so
//! only the frontend's own operations are named and anything else is
//! `other`; outcome codes are the server's own error codes.

use std::{collections::HashSet, sync::OnceLock, time::Duration};

use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, Statement};

use crate::{context::AppContext, error::AppResult};

/// Latency buckets in seconds: from a cached read to a slow write.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder. One per process: the tests build many apps
/// in one process, and they share it.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; metrics then
        // go there and this handle renders an empty page.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        handle
    })
}

/// Installs the recorder early, so counters from start-up are kept.
pub fn install() {
    handle();
}

/// The operation names the frontend sends, read from its embedded sources.
fn known_operations() -> &'static HashSet<String> {
    static NAMES: OnceLock<HashSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let pattern = regex::Regex::new(r"\b(?:query|mutation)\s+([A-Z][A-Za-z0-9_]{0,63})")
            .expect("a valid pattern");
        crate::frontend::scripts()
            .flat_map(|source| {
                pattern
                    .captures_iter(&String::from_utf8_lossy(&source))
                    .map(|c| c[1].to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}

/// The label for a client's operation name: the name itself when the
/// frontend uses it, else `other`.
pub fn operation_label(name: Option<&str>) -> String {
    match name {
        Some(name) if known_operations().contains(name) => name.to_string(),
        _ => "other".into(),
    }
}

/// The label for an outcome code: one of the server's codes, else `ERROR`.
pub fn code_label(code: Option<&str>) -> String {
    match code {
        None => "OK".into(),
        Some(code)
            if !code.is_empty()
                && code.len() <= 40
                && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
        {
            code.to_string()
        }
        Some(_) => "ERROR".into(),
    }
}

/// One GraphQL operation served.
pub fn graphql_request(operation: String, code: String, elapsed: Duration) {
    metrics::counter!("commons_graphql_requests_total", "operation" => operation.clone(), "code" => code.clone())
        .increment(1);
    metrics::histogram!("commons_graphql_request_duration_seconds", "operation" => operation, "code" => code)
        .record(elapsed.as_secs_f64());
}

/// One HTTP request, by route family and status.
pub fn http_request(route: &'static str, status: u16, elapsed: Duration) {
    metrics::counter!("commons_http_requests_total", "route" => route, "status" => status.to_string())
        .increment(1);
    metrics::histogram!("commons_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
}

/// A response-cache lookup (`response_cache`).
pub fn response_cache(hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    metrics::counter!("commons_response_cache_total", "outcome" => outcome).increment(1);
}

/// A mail delivery: `sent`, `failed` or `suppressed`.
pub fn mail(outcome: &'static str) {
    metrics::counter!("commons_mail_total", "outcome" => outcome).increment(1);
}

/// A job that ran: `done`, `retry`, `failed` or `lease_lost`.
pub fn job_finished(kind: &str, outcome: &'static str) {
    metrics::counter!("commons_jobs_finished_total", "kind" => job_kind_label(kind), "outcome" => outcome)
        .increment(1);
    if outcome == "retry" || outcome == "failed" {
        metrics::counter!("commons_job_failures_total", "kind" => job_kind_label(kind))
            .increment(1);
    }
}

/// Job kinds are the server's own, but a row could hold anything.
fn job_kind_label(kind: &str) -> String {
    if kind.len() <= 40
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
    {
        kind.to_string()
    } else {
        "other".into()
    }
}

/// The page `/metrics` serves: recorded series plus gauges measured now.
pub async fn render(ctx: &AppContext) -> String {
    if let Err(e) = measure(ctx).await {
        tracing::warn!(error = ?e, "could not measure the queue for /metrics");
        metrics::gauge!("commons_database_up").set(0.0);
    }
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

async fn measure(ctx: &AppContext) -> AppResult<()> {
    pool_gauges(&ctx.db);
    if let Some(bytes) = resident_bytes() {
        metrics::gauge!("commons_process_resident_memory_bytes").set(bytes as f64);
    }
    let now = ctx.clock.now();
    let rows = queue_by_kind(&ctx.db, now).await?;
    // A kind whose queue emptied has no row: its gauges drop to zero
    // instead of keeping their last value.
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let idle: Vec<String> = match SEEN.lock() {
        Ok(mut seen) => {
            for row in &rows {
                let kind = job_kind_label(&row.kind);
                if !seen.contains(&kind) {
                    seen.push(kind);
                }
            }
            seen.iter()
                .filter(|kind| !rows.iter().any(|r| &job_kind_label(&r.kind) == *kind))
                .cloned()
                .collect()
        }
        Err(_) => Vec::new(),
    };
    for kind in idle {
        queue_gauges(kind, [0.0; 4]);
    }
    let mut search_lag = 0.0;
    for row in rows {
        if row.kind == "search.index" {
            search_lag = age_seconds(now, row.oldest_created);
        }
        let oldest = age_seconds(now, row.oldest_due);
        queue_gauges(
            job_kind_label(&row.kind),
            [
                row.queued as f64,
                row.running as f64,
                row.failed as f64,
                oldest,
            ],
        );
    }
    metrics::gauge!("commons_search_lag_seconds").set(search_lag);
    let stuck = ctx.search.stuck_task().map_or(0, |t| t.waited_seconds);
    metrics::gauge!("commons_search_stuck_task_seconds").set(stuck as f64);
    metrics::gauge!("commons_database_up").set(1.0);
    Ok(())
}

/// Queued, running, failed, and the age of the oldest due job.
fn queue_gauges(kind: String, [queued, running, failed, oldest]: [f64; 4]) {
    metrics::gauge!("commons_jobs_queued", "kind" => kind.clone()).set(queued);
    metrics::gauge!("commons_jobs_running", "kind" => kind.clone()).set(running);
    metrics::gauge!("commons_jobs_failed", "kind" => kind.clone()).set(failed);
    metrics::gauge!("commons_jobs_oldest_due_age_seconds", "kind" => kind).set(oldest);
}

fn age_seconds(now: DateTime<Utc>, then: Option<DateTime<Utc>>) -> f64 {
    then.map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
        .unwrap_or(0.0)
}

#[derive(FromQueryResult)]
struct KindRow {
    kind: String,
    queued: i64,
    running: i64,
    failed: i64,
    /// The oldest run time among jobs that are due and unfinished.
    oldest_due: Option<DateTime<Utc>>,
    /// The oldest enqueue time among unfinished jobs: for search, the
    /// oldest change not yet in the index.
    oldest_created: Option<DateTime<Utc>>,
}

/// Per kind, over unfinished and failed jobs only (`idx_jobs_status_run_at`
/// bounds it: done rows are never read).
async fn queue_by_kind(db: &DatabaseConnection, at: DateTime<Utc>) -> AppResult<Vec<KindRow>> {
    let backend = db.get_database_backend();
    let now = match backend {
        DbBackend::Postgres => "$1",
        _ => "?1",
    };
    let sql = format!(
        "SELECT kind,
           COUNT(CASE WHEN status = 'pending' THEN 1 END) AS queued,
           COUNT(CASE WHEN status = 'running' THEN 1 END) AS running,
           COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed,
           MIN(CASE WHEN status IN ('pending', 'running') AND run_at <= {now} THEN run_at END) AS oldest_due,
           MIN(CASE WHEN status IN ('pending', 'running') THEN created_at END) AS oldest_created
         FROM jobs WHERE status IN ('pending', 'running', 'failed')
         GROUP BY kind"
    );
    Ok(
        KindRow::find_by_statement(Statement::from_sql_and_values(backend, sql, [at.into()]))
            .all(db)
            .await?,
    )
}

fn pool_gauges(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = idle as f64;
    metrics::gauge!("commons_db_pool_connections").set(f64::from(size));
    metrics::gauge!("commons_db_pool_idle_connections").set(idle);
    metrics::gauge!("commons_db_pool_in_use_connections").set((f64::from(size) - idle).max(0.0));
}

/// Resident set size from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// `GET /metrics`. With `COMMONS_METRICS_TOKEN` set it needs
/// `Authorization: Bearer <token>`; without one it is open outside
/// production and not served in production.
#[poem::handler]
pub async fn metrics_endpoint(
    req: &poem::Request,
    poem::web::Data(ctx): poem::web::Data<&AppContext>,
) -> poem::Response {
    use poem::http::{StatusCode, header};
    let allowed = match &ctx.config.metrics_token {
        Some(token) => req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.trim().as_bytes(), token.as_bytes())),
        None => !ctx.config.is_production(),
    };
    if !allowed {
        return poem::Response::builder()
            .status(StatusCode::NOT_FOUND)
            .finish();
    }
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(render(ctx).await)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
