//! `commons backup` and `commons restore`.
//!
//! On SQLite, a backup is `VACUUM INTO`: one read transaction copies the
//! database as of its start while the server keeps writing (WAL readers
//! never block writers), so every write acknowledged before the backup
//! began is in the copy. A restore puts the copy in place in a data
//! directory, returns jobs that were running to the queue, and rebuilds the
//! search index from the restored rows (the index is derived data and is
//! never backed up).
//!
//! On PostgreSQL the database is backed up with `pg_dump`; the search index
//! is rebuilt with `commons reindex`.

use std::path::Path;

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{App, config::Config};

pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<()> {
    let Some(source) = crate::db::sqlite_path(&config.database_url).filter(|_| config.is_sqlite())
    else {
        anyhow::bail!(
            "backup copies SQLite databases; on PostgreSQL use pg_dump (see the README's \
             \"Running in production\")"
        );
    };
    anyhow::ensure!(
        !to.exists(),
        "{} already exists; back up to a new file",
        to.display()
    );
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let target = to
        .to_str()
        .context("the backup path is not valid UTF-8")?
        .replace('\'', "''");
    let db = crate::db::connect(&config.database_url).await?;
    db.execute_raw(Statement::from_string(
        DbBackend::Sqlite,
        format!("VACUUM INTO '{target}'"),
    ))
    .await
    .with_context(|| format!("copying {source} to {}", to.display()))?;
    db.close().await?;
    Ok(())
}

pub async fn restore(config: Config, from: &Path) -> anyhow::Result<RestoreStats> {
    let Some(target) = crate::db::sqlite_path(&config.database_url).filter(|_| config.is_sqlite())
    else {
        anyhow::bail!(
            "restore writes SQLite databases; on PostgreSQL use pg_restore, then `commons reindex`"
        );
    };
    anyhow::ensure!(from.is_file(), "{} is not a backup file", from.display());
    let target = Path::new(&target);
    anyhow::ensure!(
        !target.exists(),
        "{} already exists; restore into a fresh data directory (or move the database away)",
        target.display()
    );
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Copied under a temporary name and renamed, so a restore cut short
    // never leaves a partial database behind.
    let partial = target.with_extension("db.restoring");
    std::fs::copy(from, &partial)
        .with_context(|| format!("copying {} to {}", from.display(), partial.display()))?;
    std::fs::rename(&partial, target)?;

    let app = App::build(config).await?;
    // Whoever held these jobs belongs to the old deployment.
    let requeued = app
        .ctx
        .db
        .execute_raw(Statement::from_string(
            app.ctx.db.get_database_backend(),
            "UPDATE jobs SET status = 'pending', locked_by = NULL, locked_until = NULL
             WHERE status = 'running'",
        ))
        .await?
        .rows_affected();
    let stats = crate::indexer::rebuild_all(&app.ctx)
        .await
        .map_err(|e| anyhow::anyhow!("rebuilding the search index: {e}"))?;
    app.ctx.db.clone().close().await?;
    Ok(RestoreStats {
        requeued,
        posts: stats.posts,
        workspaces: stats.workspaces,
        profiles: stats.profiles,
    })
}

#[derive(Debug)]
pub struct RestoreStats {
    pub requeued: u64,
    pub posts: usize,
    pub workspaces: usize,
    pub profiles: usize,
}
