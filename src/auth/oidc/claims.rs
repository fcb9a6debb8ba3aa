//! What the provider says about the person, once every check has passed,
//! and how its claims map to this site's tiers and roles.
//!
//! Mapping (both optional, re-applied at every sign-in):
//! - `COMMONS_OIDC_TIER_CLAIM` names a claim holding a string or a list of
//!   strings. `controlled` (also `controlled_tier`, `controlled-tier`,
//!   `ct`; any case) gives the Controlled Tier; anything else, or no claim,
//!   the Registered Tier.
//! - `COMMONS_OIDC_ROLES_CLAIM` names a claim holding a list of strings (or
//!   one string, separated by spaces or commas). `moderator`, `reviewer` and
//!   `admin` (any case; a `commons-` or `commons_` prefix is ignored) give
//!   those roles; every account is a researcher. Roles the claim no longer
//!   carries are removed.

use serde_json::{Map, Value};

use super::Refusal;
use crate::{
    config::{Config, OidcConfig},
    identity::{Role, Roles, Tier},
};

/// The verified identity from one sign-in.
#[derive(Debug, Clone)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    /// Every claim of the ID token, and of UserInfo when it was asked.
    pub claims: Map<String, Value>,
    /// The raw ID token, kept with the session for the provider's logout.
    pub id_token: String,
    /// The provider's session id, for back-channel logout.
    pub sid: Option<String>,
    pub next_path: String,
}

/// The checked, normalized email of a verified identity.
pub fn checked_email(config: &Config, oidc: &OidcConfig, v: &Verified) -> Result<String, Refusal> {
    let email = v
        .email
        .as_deref()
        .map(crate::auth::service::normalize_email)
        .filter(|e| !e.is_empty())
        .ok_or(Refusal::NoEmail)?;
    match v.email_verified {
        Some(true) => {}
        None if oidc.trust_email => {}
        _ => return Err(Refusal::EmailUnverified),
    }
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .filter(|d| !d.is_empty())
        .ok_or(Refusal::NoEmail)?;
    if !config.allowed_email_domains.contains(&domain) {
        return Err(Refusal::ForeignDomain(domain));
    }
    if let Some(hd) = v.claims.get("hd") {
        let hd = hd.as_str().unwrap_or_default().to_ascii_lowercase();
        if !config.allowed_email_domains.contains(&hd) {
            return Err(Refusal::ForeignHostedDomain(hd));
        }
    }
    Ok(email)
}

/// A display name from the claims: `name`, else given and family names,
/// else `preferred_username`, else the email's local part.
pub fn display_name(v: &Verified, email: &str) -> String {
    let text = |key: &str| {
        v.claims
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let joined = [text("given_name"), text("family_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = v
        .name
        .clone()
        .or_else(|| text("name"))
        .or_else(|| Some(joined).filter(|s| !s.is_empty()))
        .or_else(|| text("preferred_username"))
        .unwrap_or_else(|| email.split('@').next().unwrap_or("member").to_string());
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        "Member".into()
    } else {
        cleaned
    }
}

/// The values of a claim: a string (split on spaces and commas) or a list.
fn values(claim: Option<&Value>) -> Vec<String> {
    match claim {
        Some(Value::String(s)) => s
            .split([' ', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    }
}

/// The tier the configured claim gives, when one is configured.
pub fn tier(oidc: &OidcConfig, v: &Verified) -> Option<Tier> {
    let claim = oidc.tier_claim.as_deref()?;
    let controlled = values(v.claims.get(claim)).iter().any(|value| {
        matches!(
            value.as_str(),
            "controlled" | "controlled_tier" | "controlled-tier" | "ct"
        )
    });
    Some(if controlled {
        Tier::Controlled
    } else {
        Tier::Registered
    })
}

/// The roles the configured claim gives, when one is configured.
pub fn roles(oidc: &OidcConfig, v: &Verified) -> Option<Roles> {
    let claim = oidc.roles_claim.as_deref()?;
    let mut roles = vec![Role::Researcher];
    for value in values(v.claims.get(claim)) {
        let name = value
            .strip_prefix("commons-")
            .or_else(|| value.strip_prefix("commons_"))
            .unwrap_or(&value);
        if let Some(role) = Role::parse(name)
            && !roles.contains(&role)
        {
            roles.push(role);
        }
    }
    Some(Roles::new(roles))
}

/// The payload of a compact JWT whose signature has already been checked.
pub fn jwt_payload(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}
