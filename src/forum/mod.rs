//! The forum: categories, tags, threads and replies with markdown, likes,
//! accepted answers, subscriptions and notifications, reading state,
//! bookmarks and drafts.
//!
//! `service.rs` holds the shared rules (who may see and write what, the one
//! path every new post takes, counters, the search outbox); the other files
//! hold one concern each. `graphql.rs` and `objects.rs` are thin.

pub mod categories;
pub mod cursor;
pub mod graphql;
pub mod lists;
pub mod loaders;
pub mod objects;
pub mod posts;
pub mod prefetch;
pub mod reading;
pub mod service;
pub mod threads;
pub mod types;
pub mod watchers;

pub use types::{ModerationState, SubscriptionLevel, SubscriptionTarget, ThreadList, TopPeriod};

/// Thread titles: plain text, one line.
pub const TITLE_MIN: usize = 5;
pub const TITLE_MAX: usize = 200;
/// Post bodies (markdown source), in characters. Discourse's default maximum.
pub const BODY_MIN: usize = 1;
pub const BODY_MAX: usize = 32_000;
/// A quote is an excerpt of the post replied to.
pub const QUOTE_MAX: usize = 2_000;
/// Tags on one thread.
pub const MAX_TAGS: usize = 5;
/// Distinct users one post may @mention (and so notify).
pub const MAX_MENTIONS: usize = 10;
/// Connections: default and maximum page sizes.
pub const DEFAULT_PAGE: usize = 20;
pub const MAX_PAGE: usize = 50;
/// Drafts a user may keep.
pub const MAX_DRAFTS: u64 = 50;
/// A visit counts as a new view at most this often per user and thread.
pub const VIEW_WINDOW_MINUTES: i64 = 60;
