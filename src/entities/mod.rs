//! sea-orm models. They are the storage shape only: the GraphQL schema wraps
//! them in its own types and never exposes them directly.

pub mod job;
pub mod session;
pub mod user;
pub mod user_token;
