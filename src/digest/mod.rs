//! Email digests and preferences: who gets what, when, and the one-click way
//! out. A scheduler inside the worker enqueues one `digest.send` job per
//! user and period (a unique dedupe key), so a digest is never sent twice,
//! never lost while SMTP is down, and skipped when it would be empty.

pub mod content;
pub mod forum;
pub mod graphql;
pub mod schedule;
pub mod send;
pub mod unsubscribe;
