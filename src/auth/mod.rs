//! Accounts, sessions, email verification and password reset.

pub mod graphql;
pub mod loaders;
pub mod password;
pub mod service;
pub mod tokens;
