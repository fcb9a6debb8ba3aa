//! The GraphQL schema: one object per domain, merged, and the policy
//! around execution that enforces limits and error codes. What resolvers
//! use while they run lives below the domains, in `request`.

pub mod policy;
pub mod preview;
pub mod schema;

pub use schema::{AppSchema, build_schema};
