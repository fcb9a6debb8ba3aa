//! Enqueueing and claiming jobs.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement,
    sea_query::OnConflict,
};
use serde::Serialize;

use super::JobKind;
use crate::{
    db::{self, WriteTxn},
    entities::job,
    error::{AppError, AppResult},
};

/// Where a job is in its life. Stored as the strings of [`JobStatus::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for its `run_at`, or released back to the queue.
    Pending,
    /// Leased by one worker (`locked_by`) until `locked_until`.
    Running,
    Done,
    /// Gave up: a permanent failure or too many attempts.
    Failed,
}

impl JobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            JobStatus::Pending,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// A job to enqueue. `kind` selects the handler the registry holds for it.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    /// At most one job ever exists per dedupe key (idempotency).
    pub dedupe_key: Option<String>,
    /// Jobs with the same ordering key run one at a time, in enqueue order.
    pub ordering_key: Option<String>,
    pub run_at: Option<DateTime<Utc>>,
}

impl NewJob {
    pub fn new(kind: JobKind, payload: impl Serialize) -> AppResult<Self> {
        Ok(Self {
            kind: kind.name,
            payload: serde_json::to_value(payload).map_err(AppError::internal)?,
            dedupe_key: None,
            ordering_key: None,
            run_at: None,
        })
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn ordered_by(mut self, key: impl Into<String>) -> Self {
        self.ordering_key = Some(key.into());
        self
    }

    pub fn at(mut self, when: DateTime<Utc>) -> Self {
        self.run_at = Some(when);
        self
    }
}

/// Enqueues `job` in the caller's write, so the job exists exactly when the
/// write that caused it commits; the commit wakes the worker. Returns false
/// when a job with the same dedupe key already exists.
pub async fn enqueue(txn: &WriteTxn, now: DateTime<Utc>, job: NewJob) -> AppResult<bool> {
    txn.enqueued_jobs();
    let conn = txn;
    let row = job::ActiveModel {
        kind: Set(job.kind.to_string()),
        payload: Set(job.payload.to_string()),
        dedupe_key: Set(job.dedupe_key.clone()),
        ordering_key: Set(job.ordering_key),
        status: Set(JobStatus::Pending.as_str().into()),
        attempts: Set(0),
        max_attempts: Set(12),
        run_at: Set(job.run_at.unwrap_or(now)),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    };
    if job.dedupe_key.is_some() {
        let inserted = job::Entity::insert(row)
            .on_conflict(
                OnConflict::column(job::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        Ok(inserted > 0)
    } else {
        job::Entity::insert(row)
            .exec_without_returning(conn)
            .await?;
        Ok(true)
    }
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// This claim's attempt number. With the owner it fences the lease:
    /// only the claim that holds it may renew, release or settle the job.
    pub attempts: i32,
    pub max_attempts: i32,
    pub dedupe_key: Option<String>,
    pub ordering_key: Option<String>,
}

/// Claims up to `limit` due jobs for `worker`, leasing them for `lease`.
///
/// A job is due when it is pending and its time has come, or when it is
/// running under an expired lease (its worker died). A job with an ordering
/// key waits while an older job with the same key is unfinished. On
/// PostgreSQL, `FOR UPDATE SKIP LOCKED` lets many workers share the queue;
/// SQLite serialises writers, so the same statement is safe without it.
pub async fn claim(
    conn: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> AppResult<Vec<ClaimedJob>> {
    claim_due(conn, worker, now, lease, limit, None).await
}

/// Like [`claim`], for due jobs of one kind only: a batch topping itself up.
pub async fn claim_kind(
    conn: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    kind: &str,
    limit: u64,
) -> AppResult<Vec<ClaimedJob>> {
    claim_due(conn, worker, now, lease, limit, Some(kind)).await
}

async fn claim_due(
    conn: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
    kind: Option<&str>,
) -> AppResult<Vec<ClaimedJob>> {
    let backend = conn.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let of_kind = if kind.is_some() { "AND j.kind = ?" } else { "" };
    let (pending, running) = (JobStatus::Pending.as_str(), JobStatus::Running.as_str());
    let sql = format!(
        "UPDATE jobs SET status = '{running}', attempts = attempts + 1, locked_by = ?, locked_until = ?
         WHERE id IN (
           SELECT j.id FROM jobs j
           WHERE ((j.status = '{pending}' AND j.run_at <= ?)
                  OR (j.status = '{running}' AND j.locked_until < ?))
             {of_kind}
             AND (j.ordering_key IS NULL OR NOT EXISTS (
                   SELECT 1 FROM jobs older
                   WHERE older.ordering_key = j.ordering_key
                     AND older.id < j.id
                     AND older.status IN ('{pending}', '{running}')))
           ORDER BY j.run_at, j.id
           LIMIT ?
           {lock})
         RETURNING {CLAIMED_COLUMNS}"
    );
    let mut values: Vec<sea_orm::Value> =
        vec![worker.into(), (now + lease).into(), now.into(), now.into()];
    if let Some(kind) = kind {
        values.push(kind.into());
    }
    values.push((limit as i64).into());
    let stmt = db::statement(backend, &sql, values);
    let mut jobs = ClaimedJob::find_by_statement(stmt).all(conn).await?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// What a claim returns of each job.
const CLAIMED_COLUMNS: &str = "id, kind, payload, attempts, max_attempts, dedupe_key, ordering_key";

/// Claims, for `worker`, the due pending jobs of `kind` that wait behind
/// `keys`: the ordering keys of jobs `worker` already holds. Their handler
/// reads the current state of what they name, so the batch that runs a
/// key's earliest job carries out the later ones too, and settles them with
/// it. They were committed before this claim, so the batch's reads, which
/// follow it, see what they were enqueued for; jobs enqueued later still
/// wait behind the claimed ones, keeping each key's order.
pub async fn absorb_followers(
    conn: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    kind: &str,
    keys: &[String],
) -> AppResult<Vec<ClaimedJob>> {
    const KEYS_PER_STATEMENT: usize = 500;
    let backend = conn.get_database_backend();
    let (pending, running) = (JobStatus::Pending.as_str(), JobStatus::Running.as_str());
    let mut absorbed = Vec::new();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE jobs SET status = '{running}', attempts = attempts + 1, locked_by = ?, locked_until = ?
             WHERE kind = ? AND status = '{pending}' AND run_at <= ?
               AND ordering_key IN ({keys})
             RETURNING {CLAIMED_COLUMNS}",
            keys = db::placeholders(chunk.len()),
        );
        let mut values: Vec<sea_orm::Value> =
            vec![worker.into(), (now + lease).into(), kind.into(), now.into()];
        values.extend(chunk.iter().map(|k| k.as_str().into()));
        let stmt = db::statement(backend, &sql, values);
        absorbed.extend(ClaimedJob::find_by_statement(stmt).all(conn).await?);
    }
    absorbed.sort_by_key(|j| j.id);
    Ok(absorbed)
}

/// Extends the lease of every job `owner` holds; returns how many it holds.
/// A job another worker has taken over is no longer `owner`'s and is left
/// alone.
pub async fn heartbeat(
    conn: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> AppResult<u64> {
    let backend = conn.get_database_backend();
    let running = JobStatus::Running.as_str();
    let result = conn
        .execute_raw(db::statement(
            backend,
            &format!(
                "UPDATE jobs SET locked_until = ? WHERE status = '{running}' AND locked_by = ?"
            ),
            [(now + lease).into(), owner.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Puts jobs `owner` claimed but never started back in the queue, as if
/// they had not been claimed (a worker that is stopping). Returns how many.
pub async fn release_unstarted(
    conn: &impl ConnectionTrait,
    owner: &str,
    jobs: &[ClaimedJob],
) -> AppResult<u64> {
    let backend = conn.get_database_backend();
    let (pending, running) = (JobStatus::Pending.as_str(), JobStatus::Running.as_str());
    let sql = format!(
        "UPDATE jobs SET status = '{pending}', attempts = attempts - 1,
         locked_by = NULL, locked_until = NULL
         WHERE id = ? AND status = '{running}' AND locked_by = ? AND attempts = ?"
    );
    let mut released = 0;
    for job in jobs {
        let result = conn
            .execute_raw(db::statement(
                backend,
                &sql,
                [job.id.into(), owner.into(), job.attempts.into()],
            ))
            .await?;
        released += result.rows_affected();
    }
    Ok(released)
}

/// Takes back the jobs an earlier process of this replica (`replica`) held
/// when it died: they return to the queue at once instead of waiting out
/// their lease. `owner` is the current process, whose jobs stay.
pub async fn take_back(conn: &impl ConnectionTrait, replica: &str, owner: &str) -> AppResult<u64> {
    let backend = conn.get_database_backend();
    let (pending, running) = (JobStatus::Pending.as_str(), JobStatus::Running.as_str());
    let result = conn
        .execute_raw(db::statement(
            backend,
            &format!(
                "UPDATE jobs SET status = '{pending}', locked_by = NULL, locked_until = NULL
                 WHERE status = '{running}' AND locked_by LIKE ? AND locked_by <> ?"
            ),
            [format!("{replica}/%").into(), owner.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// How long finished jobs stay in the table, for inspection.
pub const KEEP_FINISHED: Duration = Duration::days(7);

/// Deletes up to `limit` jobs that finished (done) and ran before `before`,
/// so the table holds what is queued plus a week of history instead of
/// every write the forum ever made. Jobs with a dedupe key stay: their row
/// is what keeps a digest or reminder from being sent twice. The range on
/// (status, run_at) is indexed, so each pass costs what it deletes.
pub async fn prune_finished(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
    limit: u64,
) -> AppResult<u64> {
    let backend = conn.get_database_backend();
    let done = JobStatus::Done.as_str();
    let result = conn
        .execute_raw(db::statement(
            backend,
            &format!(
                "DELETE FROM jobs WHERE id IN (
                   SELECT id FROM jobs
                   WHERE status = '{done}' AND run_at < ? AND dedupe_key IS NULL
                   ORDER BY run_at
                   LIMIT ?)"
            ),
            [before.into(), (limit as i64).into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Counts of the queue for `/readyz` and metrics: pending jobs and the age of
/// the oldest one, in seconds.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct QueueLag {
    pub pending: i64,
    pub failed: i64,
    pub oldest_pending_seconds: i64,
}

pub async fn lag(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<QueueLag> {
    #[derive(FromQueryResult)]
    struct Row {
        pending: i64,
        failed: i64,
        oldest: Option<DateTime<Utc>>,
    }
    let backend = conn.get_database_backend();
    let row = Row::find_by_statement(Statement::from_string(
        backend,
        "SELECT
           COUNT(CASE WHEN status IN ('pending','running') THEN 1 END) AS pending,
           COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed,
           MIN(CASE WHEN status IN ('pending','running') THEN created_at END) AS oldest
         FROM jobs WHERE status <> 'done'",
    ))
    .one(conn)
    .await?;
    Ok(row
        .map(|r| QueueLag {
            pending: r.pending,
            failed: r.failed,
            oldest_pending_seconds: r
                .oldest
                .map(|t| (now - t).num_seconds().max(0))
                .unwrap_or(0),
        })
        .unwrap_or_default())
}
