//! Accounts, sessions, email verification and password reset, and sign-in
//! through the program's OpenID Connect provider (`oidc`).

pub mod graphql;
pub mod loaders;
pub mod oidc;
pub mod password;
pub mod service;
pub mod tokens;
