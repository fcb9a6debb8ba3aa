//! Sign-in through the program's OpenID Connect provider: the
//! authorization-code flow with PKCE, `state` and `nonce` (`flow`), the
//! provider's metadata and keys (`provider`), accounts keyed by the
//! provider's `iss` + `sub` (`accounts`), back-channel and RP-initiated
//! logout (`logout`), and the HTTP routes that tie them together (`routes`).
//! Every refusal is a [`Refusal`]: a page for the person, a line for the
//! operator.

pub mod accounts;
pub mod claims;
pub mod flow;
pub mod logout;
pub mod next_path;
pub mod provider;
pub mod refusal;
pub mod routes;

pub use provider::Provider;
pub use refusal::Refusal;

/// Where the provider sends the person back, under the public URL.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
/// Where the sign-in button starts a flow.
pub const START_PATH: &str = "/auth/oidc/start";
