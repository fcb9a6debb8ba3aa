//! Per-action rate limits, keyed by user or address. Quotas come from the
//! moderation rule files. Limits are kept in process memory: with several
//! replicas each enforces its own share, which is acceptable for abuse
//! control (the database enforces the hard invariants).

use std::{collections::HashMap, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::error::{AppError, AppResult};

#[derive(Clone, Default)]
pub struct RateLimits {
    limiters: Arc<HashMap<String, DefaultKeyedRateLimiter<String>>>,
    enabled: bool,
}

impl RateLimits {
    /// `quotas`: action → (max events, per this many seconds).
    pub fn new(quotas: impl IntoIterator<Item = (String, u32, u64)>) -> Self {
        let limiters = quotas
            .into_iter()
            .filter_map(|(action, max, per_seconds)| {
                let max = NonZeroU32::new(max)?;
                let period = Duration::from_secs(per_seconds.max(1)) / max.get();
                let quota = Quota::with_period(period)?.allow_burst(max);
                Some((action, RateLimiter::keyed(quota)))
            })
            .collect();
        Self {
            limiters: Arc::new(limiters),
            enabled: true,
        }
    }

    pub fn disabled() -> Self {
        Self::default()
    }

    /// Counts one `action` by `key`; refuses with RATE_LIMITED and the wait
    /// when the quota is spent. Actions without a quota are unlimited.
    /// Asynchronous because a limit shared by several replicas lives in the
    /// database.
    pub async fn check(&self, action: &str, key: &str) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let Some(limiter) = self.limiters.get(action) else {
            return Ok(());
        };
        limiter
            .check_key(&key.to_string())
            .map_err(|not_until| AppError::RateLimited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }

    /// Drops idle keys so memory stays bounded.
    pub fn housekeeping(&self) {
        for limiter in self.limiters.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
