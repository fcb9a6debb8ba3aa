//! Per-action rate limits and back-offs, keyed by user, address or client.
//! Quotas come from the moderation rule files.
//!
//! Each quota is a GCRA (generic cell rate algorithm): at most `max` events
//! in any `per_seconds`, refilling evenly. On SQLite there is one process,
//! so the state lives in memory and the reply path writes nothing. On
//! PostgreSQL every replica must see the same counts: the state is a row
//! per action and key in `rate_limits`, updated by one atomic upsert, with
//! this process's own buckets in front as a cheap first filter (a key this
//! process alone has exhausted is refused without asking the database).
//!
//! A back-off counts failures (wrong passwords): the first few are free,
//! then each one doubles the wait before the next try.
//!
//! Keys are stored hashed, so the table holds no addresses.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use sha2::Digest as _;

use crate::{
    clock::Clock,
    error::{AppError, AppResult},
};

/// GCRA parameters, in milliseconds.
#[derive(Clone, Copy, Debug)]
struct Gcra {
    /// Time one event uses up.
    interval_ms: i64,
    /// How far ahead of now the schedule may run (the burst).
    tolerance_ms: i64,
}

impl Gcra {
    fn new(max: u32, per_seconds: u64) -> Option<Self> {
        if max == 0 {
            return None;
        }
        let per_ms = (per_seconds.max(1) * 1000) as i64;
        let interval_ms = (per_ms / i64::from(max)).max(1);
        Some(Self {
            interval_ms,
            tolerance_ms: per_ms - interval_ms,
        })
    }

    /// The new arrival time when an event at `now` is allowed, else the wait.
    fn admit(&self, tat_ms: Option<i64>, now_ms: i64) -> Result<i64, i64> {
        let tat = tat_ms.unwrap_or(now_ms).max(now_ms);
        if tat - now_ms > self.tolerance_ms {
            Err(tat - now_ms - self.tolerance_ms)
        } else {
            Ok(tat + self.interval_ms)
        }
    }
}

/// How failures back off: `free` failures cost nothing, then failure `n`
/// waits `base · 2^(n - free - 1)`, at most `cap`. Failures older than
/// `forget` no longer count.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub free: u32,
    pub base: Duration,
    pub cap: Duration,
    pub forget: Duration,
}

impl Backoff {
    /// The wait after the `failures`-th failure, in milliseconds.
    fn wait_ms(&self, failures: i64) -> i64 {
        let over = failures - i64::from(self.free);
        if over <= 0 {
            return 0;
        }
        let doubled = (self.base.as_millis() as i64).saturating_mul(1i64 << (over - 1).min(30));
        doubled.min(self.cap.as_millis() as i64)
    }
}

/// Sign-in failures by address and client: five free, then 2 s, 4 s, 8 s …
/// up to 15 minutes; forgotten after an hour without failures.
pub const SIGN_IN_BACKOFF: Backoff = Backoff {
    free: 5,
    base: Duration::from_secs(2),
    cap: Duration::from_secs(15 * 60),
    forget: Duration::from_secs(3600),
};

/// The back-off action for failed sign-ins.
pub const SIGN_IN_FAILURES: &str = "sign_in_failures";

#[derive(Clone, Copy, Debug, Default)]
struct Failures {
    count: i64,
    until_ms: i64,
    seen_ms: i64,
}

#[derive(Default)]
struct Memory {
    /// action → key → theoretical arrival time.
    tats: HashMap<String, HashMap<String, i64>>,
    /// action → key → failures.
    failures: HashMap<String, HashMap<String, Failures>>,
}

#[derive(Clone, Default)]
pub struct RateLimits {
    quotas: Arc<HashMap<String, Gcra>>,
    backoffs: Arc<HashMap<String, Backoff>>,
    memory: Arc<Mutex<Memory>>,
    /// The shared store, on PostgreSQL.
    shared: Option<DatabaseConnection>,
    clock: Clock,
    enabled: bool,
}

/// The stored form of a key: a hash, so the table holds no addresses.
fn hashed(part: &str) -> String {
    hex::encode(&sha2::Sha256::digest(part.as_bytes())[..12])
}

/// The key of an address seen from a client (`address:client`, hashed),
/// whose failures are forgotten together by [`RateLimits::forgive`].
pub fn pair_key(address: &str, client: Option<&str>) -> String {
    format!("{}:{}", hashed(address), hashed(client.unwrap_or("-")))
}

fn stored_key(key: &str) -> String {
    // Pair keys are already hashed; anything else is hashed here.
    let is_pair = key.len() == 49
        && key.as_bytes()[24] == b':'
        && key.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
    if is_pair {
        key.to_string()
    } else {
        hashed(key)
    }
}

impl RateLimits {
    /// `quotas`: action → (max events, per this many seconds).
    pub fn new(quotas: impl IntoIterator<Item = (String, u32, u64)>) -> Self {
        let quotas = quotas
            .into_iter()
            .filter_map(|(action, max, per)| Some((action, Gcra::new(max, per)?)))
            .collect();
        Self {
            quotas: Arc::new(quotas),
            backoffs: Arc::new(HashMap::from([(
                SIGN_IN_FAILURES.to_string(),
                SIGN_IN_BACKOFF,
            )])),
            enabled: true,
            ..Default::default()
        }
    }

    pub fn disabled() -> Self {
        Self::default()
    }

    /// Keeps the state in `db` when it is PostgreSQL, so every replica on it
    /// shares the same limits; on SQLite the limits stay in memory.
    pub fn shared_through(mut self, db: &DatabaseConnection) -> Self {
        if db.get_database_backend() == DbBackend::Postgres {
            self.shared = Some(db.clone());
        }
        self
    }

    /// Measures time on `clock` (the context's, which tests move).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Counts one `action` by `key`; refuses with RATE_LIMITED and the wait
    /// when the quota is spent. Actions without a quota are unlimited.
    pub async fn check(&self, action: &str, key: &str) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let Some(gcra) = self.quotas.get(action).copied() else {
            return Ok(());
        };
        let key = stored_key(key);
        let now = self.now_ms();
        // This process's share first: it never counts more than the total,
        // so its refusal is the shared store's too.
        {
            let mut memory = self.memory.lock().map_err(|_| poisoned())?;
            let tats = memory.tats.entry(action.to_string()).or_default();
            match gcra.admit(tats.get(&key).copied(), now) {
                Ok(tat) => {
                    tats.insert(key.clone(), tat);
                }
                Err(wait) => return Err(limited(wait)),
            }
        }
        match &self.shared {
            None => Ok(()),
            Some(db) => shared_admit(db, action, &key, gcra, now).await,
        }
    }

    /// Refuses while `key`'s failures of `action` make it wait.
    pub async fn check_backoff(&self, action: &str, key: &str) -> AppResult<()> {
        if !self.enabled || !self.backoffs.contains_key(action) {
            return Ok(());
        }
        let key = stored_key(key);
        let now = self.now_ms();
        let until = match &self.shared {
            Some(db) => shared_until(db, action, &key).await?,
            None => {
                let memory = self.memory.lock().map_err(|_| poisoned())?;
                memory
                    .failures
                    .get(action)
                    .and_then(|m| m.get(&key))
                    .map(|f| f.until_ms)
            }
        };
        match until {
            Some(until) if until > now => Err(limited(until - now)),
            _ => Ok(()),
        }
    }

    /// Records one failure of `action` by `key`; returns the wait it sets.
    pub async fn failed(&self, action: &str, key: &str) -> AppResult<Duration> {
        let Some(backoff) = self.backoffs.get(action).copied().filter(|_| self.enabled) else {
            return Ok(Duration::ZERO);
        };
        let key = stored_key(key);
        let now = self.now_ms();
        let until = match &self.shared {
            Some(db) => shared_failure(db, action, &key, backoff, now).await?,
            None => {
                let mut memory = self.memory.lock().map_err(|_| poisoned())?;
                let entry = memory
                    .failures
                    .entry(action.to_string())
                    .or_default()
                    .entry(key)
                    .or_default();
                if entry.seen_ms < now - backoff.forget.as_millis() as i64 {
                    entry.count = 0;
                }
                entry.count += 1;
                entry.seen_ms = now;
                entry.until_ms = now + backoff.wait_ms(entry.count);
                entry.until_ms
            }
        };
        Ok(Duration::from_millis((until - now).max(0) as u64))
    }

    /// Forgets the failures of `action` for an address, from every client
    /// (a successful sign-in, a password reset).
    pub async fn forgive(&self, action: &str, address: &str) -> AppResult<()> {
        let prefix = format!("{}:", hashed(address));
        if let Ok(mut memory) = self.memory.lock()
            && let Some(failures) = memory.failures.get_mut(action)
        {
            failures.retain(|key, _| !key.starts_with(&prefix));
        }
        if let Some(db) = &self.shared {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM rate_limits WHERE action = $1 AND key LIKE $2",
                [action.into(), format!("{prefix}%").into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Forgets the failures of `action` by one `key` (a successful sign-in
    /// forgets its own client's failures, not another client's).
    pub async fn forgive_key(&self, action: &str, key: &str) -> AppResult<()> {
        let key = stored_key(key);
        if let Ok(mut memory) = self.memory.lock()
            && let Some(failures) = memory.failures.get_mut(action)
        {
            failures.remove(&key);
        }
        if let Some(db) = &self.shared {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM rate_limits WHERE action = $1 AND key = $2",
                [action.into(), key.into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Drops recovered keys so memory (and the shared table) stay bounded.
    pub fn housekeeping(&self) {
        let now = self.now_ms();
        let backoffs = self.backoffs.clone();
        if let Ok(mut memory) = self.memory.lock() {
            for tats in memory.tats.values_mut() {
                tats.retain(|_, tat| *tat > now);
                tats.shrink_to_fit();
            }
            for (action, failures) in memory.failures.iter_mut() {
                let forget = backoffs
                    .get(action)
                    .map(|b| b.forget.as_millis() as i64)
                    .unwrap_or(0);
                failures.retain(|_, f| f.until_ms > now || f.seen_ms >= now - forget);
            }
        }
        if let Some(db) = self.shared.clone() {
            // Every quota and back-off in use spans at most a day.
            let day_ago = now - 25 * 3600 * 1000;
            tokio::spawn(async move {
                let deleted = db
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "DELETE FROM rate_limits WHERE tat_ms < $1 AND seen_ms < $2",
                        [now.into(), day_ago.into()],
                    ))
                    .await;
                if let Err(e) = deleted {
                    tracing::warn!(error = %e, "could not prune the rate limits");
                }
            });
        }
    }
}

fn limited(wait_ms: i64) -> AppError {
    AppError::RateLimited {
        retry_after: Duration::from_millis(wait_ms.max(1) as u64),
    }
}

fn poisoned() -> AppError {
    AppError::internal(anyhow::anyhow!("rate limit state poisoned"))
}

/// One event through the shared GCRA: a single upsert that either moves
/// the key's arrival time on or, when the quota is spent, changes nothing.
async fn shared_admit(
    db: &DatabaseConnection,
    action: &str,
    key: &str,
    gcra: Gcra,
    now: i64,
) -> AppResult<()> {
    let admitted = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO rate_limits (action, key, tat_ms, hits, seen_ms)
             VALUES ($1, $2, $3 + $4, 0, $3)
             ON CONFLICT (action, key) DO UPDATE
               SET tat_ms = GREATEST(rate_limits.tat_ms, EXCLUDED.seen_ms) + $4,
                   seen_ms = EXCLUDED.seen_ms
               WHERE GREATEST(rate_limits.tat_ms, EXCLUDED.seen_ms) - EXCLUDED.seen_ms <= $5
             RETURNING tat_ms",
            values(action, key, [now, gcra.interval_ms, gcra.tolerance_ms]),
        ))
        .await?;
    if admitted.is_some() {
        return Ok(());
    }
    let tat = shared_until(db, action, key).await?.unwrap_or(now);
    Err(limited(tat - now - gcra.tolerance_ms))
}

async fn shared_until(db: &DatabaseConnection, action: &str, key: &str) -> AppResult<Option<i64>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT tat_ms FROM rate_limits WHERE action = $1 AND key = $2",
            [action.into(), key.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<i64>("", "tat_ms")?),
        None => None,
    })
}

/// One failure through the shared back-off, in one upsert: the count
/// restarts after `forget`, and the wait doubles with each failure past the
/// free ones. Returns the end of the wait.
async fn shared_failure(
    db: &DatabaseConnection,
    action: &str,
    key: &str,
    backoff: Backoff,
    now: i64,
) -> AppResult<i64> {
    // The failure count after this one: it restarts once the last failure
    // is older than `forget` ($7).
    let count = "(CASE WHEN rate_limits.seen_ms < $3 - $7 THEN 1 ELSE rate_limits.hits + 1 END)";
    let sql = format!(
        "INSERT INTO rate_limits (action, key, tat_ms, hits, seen_ms)
         VALUES ($1, $2, $3, 1, $3)
         ON CONFLICT (action, key) DO UPDATE
           SET hits = {count},
               seen_ms = $3,
               tat_ms = $3 + CASE WHEN {count} <= $4 THEN 0
                              ELSE LEAST($6, $5 * power(2, LEAST({count} - $4 - 1, 30))::bigint) END
         RETURNING tat_ms"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values(
                action,
                key,
                [
                    now,
                    i64::from(backoff.free),
                    backoff.base.as_millis() as i64,
                    backoff.cap.as_millis() as i64,
                    backoff.forget.as_millis() as i64,
                ],
            ),
        ))
        .await?;
    match row {
        Some(row) => Ok(row.try_get::<i64>("", "tat_ms")?),
        None => Ok(now),
    }
}

fn values<const N: usize>(action: &str, key: &str, numbers: [i64; N]) -> Vec<Value> {
    let mut values: Vec<Value> = vec![action.into(), key.into()];
    values.extend(numbers.into_iter().map(Value::from));
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quota_allows_its_burst_then_refuses() {
        let limits = RateLimits::new([("post".to_string(), 3, 60)]);
        for _ in 0..3 {
            limits.check("post", "u1").await.expect("within the quota");
        }
        assert!(matches!(
            limits.check("post", "u1").await,
            Err(AppError::RateLimited { .. })
        ));
        limits.check("post", "u2").await.expect("another key");
        limits.check("unlimited", "u1").await.expect("no quota");
    }

    #[tokio::test]
    async fn failures_back_off_by_address_and_client() {
        let clock = Clock::default();
        let limits = RateLimits::new([]).with_clock(clock.clone());
        let attacker = pair_key("a@x.org", Some("10.0.0.1"));
        let owner = pair_key("a@x.org", Some("10.0.0.2"));
        let mut waits = Vec::new();
        for _ in 0..8 {
            waits.push(
                limits
                    .failed(SIGN_IN_FAILURES, &attacker)
                    .await
                    .expect("failed"),
            );
            clock.advance(chrono::Duration::minutes(16));
        }
        assert_eq!(waits[4], Duration::ZERO);
        assert!(waits[5] < waits[6] && waits[6] < waits[7], "{waits:?}");
        limits
            .check_backoff(SIGN_IN_FAILURES, &owner)
            .await
            .expect("owner's client");
        limits
            .forgive(SIGN_IN_FAILURES, "a@x.org")
            .await
            .expect("forgive");
        limits
            .check_backoff(SIGN_IN_FAILURES, &attacker)
            .await
            .expect("forgiven");
    }
}
