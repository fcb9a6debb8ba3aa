//! The jobs table is the outbox: anything that must reach another system
//! (search index, mail) is enqueued in the same transaction as the write
//! that caused it, and the worker carries it out with retries. Nothing is
//! fire-and-forget, so nothing is lost while Meilisearch or SMTP is down.

pub mod dispatch;
pub mod queue;
pub mod worker;

pub use queue::{NewJob, enqueue};
