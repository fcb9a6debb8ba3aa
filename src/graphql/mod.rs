//! The GraphQL schema: one object per domain, merged, and the policy
//! around execution that enforces limits and error codes. What resolvers
//! use while they run lives below the domains, in `request`.
//!
//! Reads that join several domains have their resolvers here, above every
//! domain they join: the notification inbox and search results, both
//! pointers to other domains' content that `visibility` checks live.

pub mod notifications;
pub mod policy;
pub mod preview;
pub mod schema;
pub mod search;

pub use schema::{AppSchema, build_schema};
