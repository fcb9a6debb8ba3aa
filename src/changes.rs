//! Change counters: how a cache tells whether what it holds may be stale.
//!
//! Two kinds of change move them. A *shared* change (a new post, an edit, a
//! moderation decision, a renamed account: anything another member could
//! see) moves one process-wide counter. A *private* change (a member's own
//! reading state, bookmarks, drafts, subscriptions, notification reads)
//! moves only that member's counter, so one researcher reading threads does
//! not empty everyone's cached pages.
//!
//! Counters only ever grow, and each is moved *after* the change committed,
//! so a reader that saw the old value started before the change was visible
//! and whatever it cached is judged stale. On PostgreSQL every change is also
//! announced with `NOTIFY`, and each replica's listener applies the others'
//! changes (see [`listen`]); on SQLite there is one serving process.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// The PostgreSQL channel replicas announce their changes on.
pub const CHANNEL: &str = "commons_changes";

/// The counters a response was built under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    pub shared: u64,
    pub private: u64,
}

/// What a write changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Shared,
    /// Only this member's own state.
    Private(i64),
}

impl Change {
    /// `<replica> *` or `<replica> <member id>`.
    fn payload(self, replica: &str) -> String {
        match self {
            Change::Shared => format!("{replica} *"),
            Change::Private(user_id) => format!("{replica} {user_id}"),
        }
    }

    /// The change and the replica that announced it. Anything unreadable
    /// counts as someone else's shared change: invalidating too much is safe.
    fn from_payload(payload: &str) -> (Option<&str>, Change) {
        let (replica, change) = match payload.split_once(' ') {
            Some((replica, change)) => (Some(replica), change),
            None => (None, payload),
        };
        match change.parse::<i64>() {
            Ok(user_id) => (replica, Change::Private(user_id)),
            Err(_) => (replica, Change::Shared),
        }
    }
}

pub struct Changes {
    /// This process among the replicas: its own announcements come back to
    /// its listener and are skipped, having been applied already.
    replica: String,
    shared: AtomicU64,
    /// One counter for every private counter, so a member's value never
    /// repeats one it held before.
    private_clock: AtomicU64,
    /// Members whose private state changed since start-up. Never evicted: a
    /// forgotten entry would read as 0 and could match a stale response.
    private: Mutex<HashMap<i64, u64>>,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            replica: uuid::Uuid::new_v4().simple().to_string(),
            shared: AtomicU64::default(),
            private_clock: AtomicU64::default(),
            private: Mutex::default(),
        }
    }
}

impl Changes {
    /// The counters that apply to `user_id`'s responses now.
    pub fn version(&self, user_id: i64) -> Version {
        let shared = self.shared.load(Ordering::Acquire);
        let private = self
            .private
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&user_id)
            .copied()
            .unwrap_or(0);
        Version { shared, private }
    }

    /// Records a committed change in this process only.
    pub fn apply(&self, change: Change) {
        match change {
            Change::Shared => {
                self.shared.fetch_add(1, Ordering::AcqRel);
            }
            Change::Private(user_id) => {
                let next = self.private_clock.fetch_add(1, Ordering::AcqRel) + 1;
                self.private
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(user_id, next);
            }
        }
    }

    /// Records a committed change here and announces it to other replicas.
    /// Call it after the commit, before answering the request that made it.
    pub async fn committed(&self, db: &DatabaseConnection, change: Change) {
        self.apply(change);
        if db.get_database_backend() == DbBackend::Postgres {
            let notify = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), change.payload(&self.replica).into()],
            );
            if let Err(e) = db.execute_raw(notify).await {
                // Other replicas fall back on their caches' maximum age.
                tracing::warn!(error = %e, "could not announce a change to other replicas");
            }
        }
    }
}

/// Applies other replicas' changes as PostgreSQL announces them, until the
/// process stops. A lost connection may have lost announcements, so it
/// counts as a shared change (and `on_shared` runs) before listening again.
pub async fn listen(
    db: DatabaseConnection,
    changes: std::sync::Arc<Changes>,
    on_shared: impl Fn() + Send + 'static,
) {
    use sea_orm::sqlx::postgres::PgListener;

    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "change listener could not connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "change listener could not listen; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Announcements made while this replica was not listening are lost.
        changes.apply(Change::Shared);
        on_shared();
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let (from, change) = Change::from_payload(notification.payload());
                    if from == Some(changes.replica.as_str()) {
                        continue;
                    }
                    changes.apply(change);
                    if change == Change::Shared {
                        on_shared();
                    }
                }
                Ok(None) => {
                    // Reconnected by the driver: announcements may be lost.
                    changes.apply(Change::Shared);
                    on_shared();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change listener failed; reconnecting");
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_change_moves_every_members_version() {
        let changes = Changes::default();
        let (a, b) = (changes.version(1), changes.version(2));
        changes.apply(Change::Shared);
        assert_ne!(changes.version(1), a);
        assert_ne!(changes.version(2), b);
    }

    #[test]
    fn a_private_change_moves_only_that_members_version() {
        let changes = Changes::default();
        let (a, b) = (changes.version(1), changes.version(2));
        changes.apply(Change::Private(1));
        assert_ne!(changes.version(1), a);
        assert_eq!(changes.version(2), b);
    }

    #[test]
    fn private_versions_never_repeat() {
        let changes = Changes::default();
        changes.apply(Change::Private(1));
        let first = changes.version(1);
        changes.apply(Change::Private(2));
        changes.apply(Change::Private(1));
        assert_ne!(changes.version(1), first);
    }

    #[test]
    fn payloads_round_trip_and_unknown_ones_count_as_shared() {
        for change in [Change::Shared, Change::Private(42)] {
            assert_eq!(
                Change::from_payload(&change.payload("r1")),
                (Some("r1"), change)
            );
        }
        assert_eq!(Change::from_payload("garbage"), (None, Change::Shared));
    }
}
