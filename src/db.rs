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
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{AppError, AppResult};

/// The SQLite file mapped for reads; beyond it, reads fall back to copies.
const MMAP_BYTES: u64 = 1 << 30;

/// Page cache per SQLite connection, in KiB.
const CACHE_KIB: u32 = 16 * 1024;

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

/// A write transaction. On SQLite it also holds this process's turn to
/// write (see [`begin_write`]), released when it commits, rolls back or is
/// dropped.
pub struct WriteTxn {
    // Declared first: dropped (rolled back) before the turn is released.
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
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
        _turn: turn,
    })
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
