//! The search-lag scenario of `commons bench`: replies posted at a steady
//! rate for a fixed time, and for a sample of them the time from the
//! server's acknowledgement until search finds them. Then how long the job
//! queue takes to drain once the writing stops.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::{sync::Semaphore, task::JoinSet};

use super::run::{CREATE_REPLY, graphql};

/// Finds a probe reply by its word, with the posts the hits stand for.
const PROBE: &str = r#"query Probe($query: String!) {
  search(query: $query, kinds: [THREAD], first: 20) {
    hits { edges { node { post { id } } } }
  }
}"#;

/// Replies in flight at once: enough to hold the rate while each reply waits
/// its turn to write.
const MAX_IN_FLIGHT: usize = 64;
/// How often a probe searches for its reply.
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// How long after the writing stops a probe keeps looking.
const PROBE_DEADLINE: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, Debug)]
pub struct LagSettings {
    /// Replies per second.
    pub rate: f64,
    pub duration: Duration,
    /// Probe every this many replies.
    pub sample_every: u64,
}

#[derive(Debug, Serialize)]
pub struct LagReport {
    pub target_rate: f64,
    pub seconds: f64,
    pub replies_acknowledged: u64,
    pub reply_failures: u64,
    pub achieved_rate: f64,
    pub probes: usize,
    /// Probes search never found within the deadline.
    pub probes_missing: usize,
    pub lag_p50_seconds: f64,
    pub lag_p95_seconds: f64,
    pub lag_p99_seconds: f64,
    pub lag_max_seconds: f64,
    /// From the end of the writing until `/readyz` reports no pending job.
    pub queue_drain_seconds: Option<f64>,
    pub first_failure: Option<String>,
}

/// A word no text holds: letters only (so no engine splits it), distinct
/// per run and reply, and long enough that a typo-tolerant match of another
/// probe's word is told apart by the post id.
fn probe_word(run: u64, n: u64) -> String {
    let mut value = run * 1_000_000 + n;
    let mut word = String::from("lagprobe");
    loop {
        word.push(char::from(b'a' + (value % 26) as u8));
        value /= 26;
        if value == 0 {
            return word;
        }
    }
}

async fn found(client: &reqwest::Client, base: &str, token: &str, word: &str, id: &str) -> bool {
    match graphql(client, base, Some(token), PROBE, json!({ "query": word })).await {
        Ok(data) => data["search"]["hits"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["node"]["post"]["id"].as_str() == Some(id)),
        Err(_) => false,
    }
}

/// What became of one reply.
enum Outcome {
    Failed(String),
    /// Acknowledged, not sampled.
    Acknowledged,
    /// Acknowledged, and found by search this long after.
    Found(Duration),
    /// Acknowledged, and not found within the deadline.
    Missing,
}

/// Posts replies to `threads` as `tokens` at `settings.rate` and measures
/// how long each sampled reply takes to become searchable.
pub async fn run(
    base: &str,
    tokens: Arc<Vec<String>>,
    threads: Arc<Vec<String>>,
    settings: LagSettings,
) -> LagReport {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let run_id = chrono::Utc::now().timestamp() as u64 % 10_000;
    let interval = Duration::from_secs_f64(1.0 / settings.rate.max(0.1));
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let started = Instant::now();
    let mut replies = JoinSet::new();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut n = 0u64;
    while started.elapsed() < settings.duration {
        ticker.tick().await;
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let (client, base) = (client.clone(), base.to_string());
        let token = tokens[(n as usize) % tokens.len()].clone();
        let thread = threads[(n as usize) % threads.len()].clone();
        let word = probe_word(run_id, n);
        let sampled = n.is_multiple_of(settings.sample_every.max(1));
        replies.spawn(async move {
            let body = format!("Steady reply {word} about cohort definitions");
            let posted = graphql(
                &client,
                &base,
                Some(&token),
                CREATE_REPLY,
                json!({ "input": { "threadId": thread, "body": body } }),
            )
            .await;
            let acknowledged = Instant::now();
            drop(permit);
            let id = match posted {
                Ok(data) => data["createPost"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                Err(e) => return Outcome::Failed(e.to_string()),
            };
            if !sampled {
                return Outcome::Acknowledged;
            }
            while acknowledged.elapsed() < PROBE_DEADLINE {
                if found(&client, &base, &token, &word, &id).await {
                    return Outcome::Found(acknowledged.elapsed());
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            Outcome::Missing
        });
        n += 1;
    }
    let writing = started.elapsed();
    // The queue drains while the probes still look.
    let drain = drain_seconds(&client, base, Instant::now()).await;
    let (mut acknowledged, mut failures, mut missing, mut probes) = (0u64, 0u64, 0usize, 0usize);
    let mut first_failure = None;
    let mut lags = Vec::new();
    while let Some(joined) = replies.join_next().await {
        match joined {
            Ok(Outcome::Acknowledged) => acknowledged += 1,
            Ok(Outcome::Found(lag)) => {
                acknowledged += 1;
                probes += 1;
                lags.push(lag.as_secs_f64());
            }
            Ok(Outcome::Missing) => {
                acknowledged += 1;
                probes += 1;
                missing += 1;
            }
            Ok(Outcome::Failed(e)) => {
                failures += 1;
                first_failure.get_or_insert(e);
            }
            Err(e) => {
                failures += 1;
                first_failure.get_or_insert(e.to_string());
            }
        }
    }
    lags.sort_by(f64::total_cmp);
    let pick = |p: f64| {
        if lags.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (lags.len() as f64 - 1.0)).round() as usize;
        lags[rank.min(lags.len() - 1)]
    };
    LagReport {
        target_rate: settings.rate,
        seconds: writing.as_secs_f64(),
        replies_acknowledged: acknowledged,
        reply_failures: failures,
        achieved_rate: acknowledged as f64 / writing.as_secs_f64().max(0.001),
        probes,
        probes_missing: missing,
        lag_p50_seconds: pick(50.0),
        lag_p95_seconds: pick(95.0),
        lag_p99_seconds: pick(99.0),
        lag_max_seconds: lags.last().copied().unwrap_or(0.0),
        queue_drain_seconds: drain,
        first_failure,
    }
}

/// Seconds from `since` until `/readyz` reports an empty queue.
async fn drain_seconds(client: &reqwest::Client, base: &str, since: Instant) -> Option<f64> {
    let deadline = Instant::now() + PROBE_DEADLINE;
    while Instant::now() < deadline {
        let pending = async {
            let ready: Value = client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            ready["jobs"]["pending"].as_i64()
        }
        .await;
        if pending == Some(0) {
            return Some(since.elapsed().as_secs_f64());
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_words_are_letters_and_distinct() {
        let words: std::collections::HashSet<String> =
            (0..2000).map(|n| probe_word(4321, n)).collect();
        assert_eq!(words.len(), 2000);
        assert!(words.iter().all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
        assert_ne!(probe_word(1, 5), probe_word(2, 5));
    }
}
