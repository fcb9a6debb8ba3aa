//! The GraphQL schema: one object per domain, merged; request context
//! helpers; and the policy around execution that enforces limits and error
//! codes.

pub mod cache;
pub mod cost;
pub mod policy;
pub mod preview;
pub mod request;
pub mod schema;
pub mod throttle;

/// What resolvers return: `?` on an `AppError` keeps it as the error's
/// source, and [`policy::execute`] turns it into a coded error.
pub type GqlResult<T> = async_graphql::Result<T>;

pub use request::{RequestAuth, account, app, require_account, require_user, viewer};
pub use schema::{AppSchema, build_schema};
