//! A closed-loop load generator: `concurrency` workers each send one request
//! after another for a fixed time. A response counts as a success only when
//! it is HTTP 200 and, for GraphQL, its body carries no `errors`: a 200 can
//! hold a GraphQL error.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Serialize;
use serde_json::Value;

/// One kind of request to measure.
#[derive(Clone)]
pub enum Request {
    Get(String),
    Graphql {
        query: String,
        /// Variables for the n-th request (so requests can vary).
        variables: Arc<dyn Fn(u64) -> Value + Send + Sync>,
        token: Option<String>,
    },
    /// GraphQL as a viewer chosen per request (the n-th request's token).
    GraphqlAs {
        query: String,
        variables: Arc<dyn Fn(u64) -> Value + Send + Sync>,
        token: Arc<dyn Fn(u64) -> String + Send + Sync>,
    },
    /// The inner request with `Cache-Control: no-cache`: executed by the
    /// server whatever its response cache holds.
    Fresh(Box<Request>),
    /// `rare` as every `every`-th request, `common` otherwise: reads with
    /// writes among them.
    OneIn {
        every: u64,
        rare: Box<Request>,
        common: Box<Request>,
    },
}

#[derive(Clone)]
pub struct Scenario {
    pub name: String,
    pub request: Request,
}

#[derive(Clone, Copy, Debug)]
pub struct LoadSettings {
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub name: String,
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Throughput as a fraction of the `/healthz` floor of the same run (the
    /// mean of the floor measured first and last).
    pub ratio_to_floor: Option<f64>,
    /// The first failure seen, to explain a non-zero failure count.
    pub first_failure: Option<String>,
}

struct WorkerResult {
    latencies_us: Vec<u32>,
    failures: u64,
    first_failure: Option<String>,
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    request: &Request,
    n: u64,
) -> Result<(), String> {
    send_as(client, base, request, n, false).await
}

async fn send_as(
    client: &reqwest::Client,
    base: &str,
    request: &Request,
    n: u64,
    fresh: bool,
) -> Result<(), String> {
    match request {
        Request::Fresh(inner) => Box::pin(send_as(client, base, inner, n, true)).await,
        Request::OneIn {
            every,
            rare,
            common,
        } => {
            let pick = if n.is_multiple_of((*every).max(1)) {
                rare
            } else {
                common
            };
            Box::pin(send_as(client, base, pick, n, fresh)).await
        }
        Request::Get(path) => {
            let resp = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if resp.status().is_success() {
                resp.bytes().await.map_err(|e| e.to_string())?;
                Ok(())
            } else {
                Err(format!("HTTP {}", resp.status()))
            }
        }
        Request::Graphql {
            query,
            variables,
            token,
        } => graphql(client, base, query, variables(n), token.as_deref(), fresh).await,
        Request::GraphqlAs {
            query,
            variables,
            token,
        } => graphql(client, base, query, variables(n), Some(&token(n)), fresh).await,
    }
}

async fn graphql(
    client: &reqwest::Client,
    base: &str,
    query: &str,
    variables: Value,
    token: Option<&str>,
    fresh: bool,
) -> Result<(), String> {
    let mut req = client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if fresh {
        req = req.header(reqwest::header::CACHE_CONTROL, "no-cache");
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body: Value = resp.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {body}"));
    }
    // An HTTP 200 can carry GraphQL errors: those are failures too.
    match body.get("errors") {
        Some(errors) => Err(errors.to_string()),
        None => Ok(()),
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}

/// Runs one scenario and reports its figures. Stops by itself after the
/// warm-up plus the measured duration.
pub async fn run(base: &str, scenario: &Scenario, settings: LoadSettings) -> Outcome {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let started = Instant::now();
    let measure_from = started + settings.warmup;
    let stop_at = measure_from + settings.duration;
    let mut workers = Vec::with_capacity(settings.concurrency);
    for worker in 0..settings.concurrency {
        let client = client.clone();
        let base = base.to_string();
        let request = scenario.request.clone();
        workers.push(tokio::spawn(async move {
            let mut result = WorkerResult {
                latencies_us: Vec::new(),
                failures: 0,
                first_failure: None,
            };
            let mut n = worker as u64;
            while Instant::now() < stop_at {
                let t0 = Instant::now();
                let outcome = send(&client, &base, &request, n).await;
                n += settings.concurrency as u64;
                if t0 < measure_from {
                    continue;
                }
                match outcome {
                    Ok(()) => result
                        .latencies_us
                        .push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32),
                    Err(e) => {
                        result.failures += 1;
                        result.first_failure.get_or_insert(e);
                    }
                }
            }
            result
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    let mut first_failure = None;
    for worker in workers {
        if let Ok(r) = worker.await {
            latencies.extend(r.latencies_us);
            failures += r.failures;
            if first_failure.is_none() {
                first_failure = r.first_failure;
            }
        }
    }
    latencies.sort_unstable();
    let successes = latencies.len() as u64;
    let seconds = settings.duration.as_secs_f64();
    Outcome {
        name: scenario.name.clone(),
        requests: successes + failures,
        successes,
        failures,
        requests_per_second: successes as f64 / seconds,
        p50_ms: percentile(&latencies, 50.0),
        p95_ms: percentile(&latencies, 95.0),
        p99_ms: percentile(&latencies, 99.0),
        ratio_to_floor: None,
        first_failure: first_failure.map(|f| f.chars().take(300).collect()),
    }
}

/// The figures as a table, one row per scenario.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = format!(
        "{:<28} {:>9} {:>9} {:>10} {:>8} {:>8} {:>8} {:>9}\n",
        "scenario", "ok", "failed", "req/s", "p50 ms", "p95 ms", "p99 ms", "vs floor"
    );
    for o in outcomes {
        out.push_str(&format!(
            "{:<28} {:>9} {:>9} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>9}\n",
            o.name,
            o.successes,
            o.failures,
            o.requests_per_second,
            o.p50_ms,
            o.p95_ms,
            o.p99_ms,
            o.ratio_to_floor
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_else(|| "—".into()),
        ));
    }
    out
}

/// Peak resident memory (VmHWM) of a process, in MiB, from /proc.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    proc_status_mib(pid, "VmHWM:")
}

/// Resident memory now (VmRSS) of a process, in MiB.
pub fn rss_mib(pid: u32) -> Option<f64> {
    proc_status_mib(pid, "VmRSS:")
}

fn proc_status_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
