//! Connecting to SQLite or PostgreSQL, and the one way to start a write.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, LazyLock},
    time::Duration,
};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

use crate::{
    changes::{Change, Changes},
    error::{AppError, AppResult},
};

/// The SQLite file mapped for reads; beyond it, reads fall back to copies.
const MMAP_BYTES: u64 = 1 << 30;

/// Page cache per SQLite connection, in KiB.
const CACHE_KIB: u32 = 16 * 1024;

/// WAL pages after which a commit checkpoints by itself (4 KiB pages).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16 * 1024;

/// How often the server checkpoints the SQLite WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Copies committed WAL pages into the database file every
/// [`CHECKPOINT_EVERY`], off the request path: a passive checkpoint waits
/// for no reader or writer, so a reply never pays for the checkpoint's
/// `fsync`. Runs until aborted; a no-op on PostgreSQL.
pub async fn checkpoint_in_background(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let mut ticker = tokio::time::interval(CHECKPOINT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    // Only a connection idle for a while is pinged before use: pinging on
    // every acquire cost as much as the query itself.
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        if let Some(path) = sqlite_path(url)
            && let Some(parent) = std::path::Path::new(&path).parent()
        {
            std::fs::create_dir_all(parent)?;
        }
        // The driver leaves WAL off; set every pragma explicitly so behaviour
        // does not depend on the driver's defaults.
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|conn, _| {
                    Box::pin(async move { enable_stable_plans(conn).await })
                })
            })
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .create_if_missing(true)
                    // Reads come from the OS page cache through a shared
                    // mapping instead of being copied into each connection.
                    .pragma("mmap_size", MMAP_BYTES.to_string())
                    // A write touches pages all over the posts table and its
                    // indexes; the default 2 MiB cache spilled them to the
                    // WAL mid-transaction.
                    .pragma("cache_size", format!("-{}", CACHE_KIB))
                    // Statement journals (partial rollbacks) stay in memory
                    // instead of temporary files.
                    .pragma("temp_store", "memory")
                    // `commons serve` checkpoints the WAL in the background
                    // (`checkpoint_in_background`); the committing writer
                    // checkpoints only once the WAL passes this many pages
                    // (64 MiB), when the background has fallen behind, or in
                    // a one-off command writing in bulk.
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            });
    } else {
        options.max_connections(32).min_connections(2);
    }
    let db = Database::connect(options).await?;
    Ok(db)
}

/// Turns on SQLite's query planner stability guarantee for a connection.
///
/// Without it, SQLite plans `LIMIT ?` (which every paged and single-row
/// query carries) with the bound value, and so re-prepares the statement
/// each time it is bound: the cached statement is parsed again on every
/// run, which cost more than running it.
async fn enable_stable_plans(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use std::os::raw::c_int;

    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    // SAFETY: `db` is this connection's open handle, held exclusively
    // through the lock; SQLITE_DBCONFIG_ENABLE_QPSG takes an int and an
    // optional int out-pointer, passed as null.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db.as_ptr(),
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc != libsqlite3_sys::SQLITE_OK {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("enabling SQLITE_DBCONFIG_ENABLE_QPSG failed with code {rc}").into(),
        ));
    }
    Ok(())
}

/// The file of a `sqlite:` URL (`None` for memory databases and other URLs).
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Where committed writes announce themselves: the job worker, woken when
/// a write enqueued jobs, and the change counters that tell the caches what
/// may be stale (here and, on PostgreSQL, on every other replica).
#[derive(Clone)]
pub struct Announcer {
    pub db: DatabaseConnection,
    pub changes: Arc<Changes>,
    pub worker: Arc<Notify>,
}

/// Who could see what a write changed, as the response caches judge it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Anything another member could see: every cached read may be stale.
    Everyone,
    /// Only this member's own state (reading position, bookmarks, drafts).
    Member(i64),
    /// Nothing any cached read shows (sessions, tokens, the job queue).
    Nobody,
}

impl Reach {
    fn change(self) -> Option<Change> {
        match self {
            Reach::Everyone => Some(Change::Shared),
            Reach::Member(user_id) => Some(Change::Private(user_id)),
            Reach::Nobody => None,
        }
    }
}

/// What a write transaction did that must be announced once it commits.
#[derive(Clone, Copy, Debug)]
struct Effects {
    reach: Reach,
    enqueued_jobs: bool,
}

/// A write transaction. On SQLite it also holds this process's turn to
/// write (see [`begin_write`]), released when it commits, rolls back or is
/// dropped.
///
/// A transaction begun with an [`Announcer`] announces itself after it
/// commits: it wakes the worker when it enqueued jobs, and it moves the
/// change counters for whoever could see the change ([`Reach::Everyone`]
/// unless the write says less). Nothing is announced for a rollback.
pub struct WriteTxn {
    // Declared first: dropped (rolled back) before the turn is released.
    txn: DatabaseTransaction,
    turn: Option<OwnedMutexGuard<()>>,
    announcer: Option<Announcer>,
    effects: std::sync::Mutex<Effects>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        let WriteTxn {
            txn,
            turn,
            announcer,
            effects,
        } = self;
        txn.commit().await?;
        drop(turn);
        let effects = *effects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(announcer) = announcer {
            if effects.enqueued_jobs {
                announcer.worker.notify_one();
            }
            if let Some(change) = effects.reach.change() {
                announcer.changes.committed(&announcer.db, change).await;
            }
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// Declares who could see what this write changed; the last word wins.
    /// Without one, a write counts as visible to everyone.
    pub fn reaches(&self, reach: Reach) {
        self.effects().reach = reach;
    }

    /// Records that this write enqueued jobs: the worker is woken on commit.
    pub fn enqueued_jobs(&self) {
        self.effects().enqueued_jobs = true;
    }

    fn effects(&self) -> std::sync::MutexGuard<'_, Effects> {
        self.effects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

/// One queue of writers per SQLite file.
static SQLITE_WRITE_TURNS: LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> =
    LazyLock::new(Default::default);

/// How long a writer waits for its turn, as the SQLite busy timeout.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// This process's queue of writers to `db`, when it is a SQLite file.
fn sqlite_write_turns(db: &DatabaseConnection) -> Option<Arc<Mutex<()>>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut turns = SQLITE_WRITE_TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(turns.entry(file).or_default().clone())
}

/// Begins a write transaction.
///
/// SQLite has one writer at a time. Writers of this process take turns in
/// arrival order before they begin, rather than all contending for the file
/// lock, whose busy handler sleeps and retries: under concurrent posting
/// that made the slowest writes wait hundreds of milliseconds while the
/// lock sat free. The transaction begins IMMEDIATE, so the lock is taken up
/// front (other processes still wait on the busy timeout) instead of failing
/// with SQLITE_BUSY when a read transaction later tries to upgrade.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<WriteTxn> {
    begin(db, None).await
}

/// Begins a write transaction that announces itself once it commits.
pub async fn begin_announced(
    db: &DatabaseConnection,
    announcer: &Announcer,
) -> AppResult<WriteTxn> {
    begin(db, Some(announcer.clone())).await
}

async fn begin(db: &DatabaseConnection, announcer: Option<Announcer>) -> AppResult<WriteTxn> {
    let turn = match sqlite_write_turns(db) {
        Some(turns) => Some(
            tokio::time::timeout(WRITE_TURN_TIMEOUT, turns.lock_owned())
                .await
                .map_err(|_| AppError::Unavailable("the database is busy; try again".into()))?,
        ),
        None => None,
    };
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(WriteTxn {
        txn: db.begin_with_options(options).await?,
        turn,
        announcer,
        effects: std::sync::Mutex::new(Effects {
            reach: Reach::Everyone,
            enqueued_jobs: false,
        }),
    })
}

/// A statement written with `?` placeholders, numbered `$1, $2, …` for
/// PostgreSQL. The SQL must not contain `?` anywhere else.
pub fn statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `?, ?, ?` for `n` values (at least one), for [`statement`].
pub fn placeholders(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Creates a PostgreSQL database if it does not exist (used by tests and
/// `migrate fresh` on an empty server).
pub async fn ensure_postgres_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = Database::connect(admin_url).await?;
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if !exists {
        anyhow::ensure!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "unsafe database name {name:?}"
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
    }
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered() {
        let s = statement(
            DbBackend::Postgres,
            "SELECT 1 WHERE a = ? AND b IN (?, ?)",
            [1i64.into(), 2i64.into(), 3i64.into()],
        );
        assert_eq!(s.sql, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        let s = statement(DbBackend::Sqlite, "SELECT ?", [1i64.into()]);
        assert_eq!(s.sql, "SELECT ?");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
