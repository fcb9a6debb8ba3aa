//! The jobs table is the outbox: anything that must reach another system
//! (search index, mail) is enqueued in the same transaction as the write
//! that caused it, and the worker carries it out with retries. Nothing is
//! fire-and-forget, so nothing is lost while Meilisearch or SMTP is down.
//!
//! Kinds stay open: each domain declares its [`JobKind`] next to its
//! handler, and the application registers both in a [`Registry`]. The
//! worker runs whatever the registry names and names no domain itself.

pub mod mail;
pub mod queue;
pub mod registry;
pub mod worker;

pub use queue::{JobStatus, NewJob, enqueue};
pub use registry::{BatchHandler, Handler, Registry, Scheduler};

/// A kind of job: its name in the jobs table, and how the worker treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobKind {
    pub name: &'static str,
    pub retries: Retries,
    /// Whether a finished job may change what the forum's cached reads
    /// show, so the worker records a shared change after it.
    pub changes_reads: bool,
}

/// How often a failed job is retried before it is given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retries {
    /// Up to the job's `max_attempts`, with exponential backoff.
    Limited,
    /// Until it succeeds (hourly at worst): work that must survive an
    /// outage of any length, such as keeping the search index in step.
    Forever,
}

impl JobKind {
    /// A kind retried a limited number of times that changes what the
    /// forum shows: the safe default for anything new.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            retries: Retries::Limited,
            changes_reads: true,
        }
    }

    pub const fn retried_forever(mut self) -> Self {
        self.retries = Retries::Forever;
        self
    }

    /// The kind's jobs change nothing a cached forum read shows.
    pub const fn leaves_reads(mut self) -> Self {
        self.changes_reads = false;
        self
    }
}

/// How a job handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later (the engine or mail server is unreachable).
    #[error("{0}")]
    Retry(String),
    /// Retrying cannot help (a permanent SMTP rejection, a malformed payload).
    #[error("{0}")]
    Permanent(String),
}

impl From<crate::error::AppError> for JobError {
    fn from(err: crate::error::AppError) -> Self {
        match err {
            crate::error::AppError::Internal(cause) => JobError::Retry(format!("{cause:#}")),
            other => JobError::Retry(other.to_string()),
        }
    }
}

impl JobError {
    /// A payload the handler cannot read: retrying cannot help.
    pub fn bad_payload(kind: &JobKind, err: impl std::fmt::Display) -> Self {
        JobError::Permanent(format!("bad {} payload: {err}", kind.name))
    }
}
