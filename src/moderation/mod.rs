//! Content moderation: screening new posts and edits against the rules
//! (`crate::screening`), the moderators' queue and decisions, flags, and
//! the audit log.

pub mod actions;
pub mod audit;
pub mod flags;
pub mod graphql;
pub mod loaders;
pub mod posting;
pub mod queue;
pub mod seed;
pub mod types;
