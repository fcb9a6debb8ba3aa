//! Logout both ways.
//!
//! - Back-channel (OpenID Connect Back-Channel Logout 1.0): the provider
//!   posts a logout token; once it passes every check (signature against
//!   the provider's keys, `typ` `logout+jwt`, issuer, audience, `iat`,
//!   the back-channel `events` member, no `nonce`, a `sub` or `sid`, and a
//!   `jti` never seen before), the person's sessions here end.
//! - RP-initiated: signing out of a provider session here also sends the
//!   person to the provider's `end_session_endpoint`, when it offers one.

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use openidconnect::{ClientId, PostLogoutRedirectUrl, core::CoreIdToken};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde_json::{Map, Value};

use super::{Provider, Refusal};
use crate::{
    auth::{service, tokens},
    context::AppContext,
    db::Reach,
    entities::{oidc_identity, oidc_logout_token, session},
};

pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How old a logout token may be, and how far ahead of our clock.
const MAX_AGE_MINUTES: i64 = 10;
const CLOCK_SKEW_SECONDS: i64 = 60;
/// How long a `jti` is remembered: past it, the token is too old anyway.
const REMEMBER_HOURS: i64 = 24;

const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn invalid(why: impl Into<String>) -> Refusal {
    Refusal::InvalidLogoutToken(why.into())
}

/// The logout token's claims, signature checked.
async fn decode(provider: &Provider, token: &str) -> Result<Map<String, Value>, Refusal> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(format!("header: {e}")))?;
    let typ = header
        .typ
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if typ != "logout+jwt" && typ != "application/logout+jwt" {
        return Err(invalid(format!("typ is {typ:?}, not logout+jwt")));
    }
    if !ALGORITHMS.contains(&header.alg) {
        return Err(invalid(format!(
            "algorithm {:?} is not accepted",
            header.alg
        )));
    }
    let mut discovered = provider.discovered().await?;
    let find = |jwks: &jsonwebtoken::jwk::JwkSet| match &header.kid {
        Some(kid) => jwks.find(kid).cloned(),
        None if jwks.keys.len() == 1 => jwks.keys.first().cloned(),
        None => None,
    };
    let key = match find(&discovered.jwks) {
        Some(key) => key,
        None => {
            if provider.refresh_keys().await? {
                discovered = provider.discovered().await?;
            }
            find(&discovered.jwks).ok_or_else(|| invalid("no key of the provider matches"))?
        }
    };
    let key = DecodingKey::from_jwk(&key).map_err(|e| invalid(format!("key: {e}")))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[provider.config.issuer.as_str()]);
    validation.set_audience(&[provider.config.client_id.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud"]);
    validation.leeway = CLOCK_SKEW_SECONDS as u64;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(data.claims)
}

/// What a logout token asks to end.
#[derive(Debug)]
pub struct LogoutRequest {
    pub subject: Option<String>,
    pub sid: Option<String>,
}

/// Checks a back-channel logout token and ends the sessions it names;
/// returns how many ended.
pub async fn back_channel(
    ctx: &AppContext,
    provider: &Provider,
    token: &str,
) -> Result<u64, Refusal> {
    let claims = decode(provider, token).await?;
    let now = Utc::now();
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("no iat"))?;
    if iat > now.timestamp() + CLOCK_SKEW_SECONDS || iat < now.timestamp() - MAX_AGE_MINUTES * 60 {
        return Err(invalid("iat is out of range"));
    }
    let has_event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_EVENT))
        .is_some_and(Value::is_object);
    if !has_event {
        return Err(invalid("no back-channel logout event"));
    }
    if claims.contains_key("nonce") {
        return Err(invalid("a logout token must not carry a nonce"));
    }
    let text = |key: &str| {
        claims
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .map(str::to_string)
    };
    let jti = text("jti").ok_or_else(|| invalid("no jti"))?;
    let request = LogoutRequest {
        subject: text("sub"),
        sid: text("sid"),
    };
    if request.subject.is_none() && request.sid.is_none() {
        return Err(invalid("neither sub nor sid"));
    }
    let issuer = provider.config.issuer.clone();
    let txn = ctx.write().await?;
    oidc_logout_token::Entity::delete_many()
        .filter(oidc_logout_token::Column::ExpiresAt.lt(now))
        .exec(&txn)
        .await?;
    let seen = oidc_logout_token::Entity::find()
        .filter(oidc_logout_token::Column::Issuer.eq(&issuer))
        .filter(oidc_logout_token::Column::Jti.eq(&jti))
        .one(&txn)
        .await?;
    if seen.is_some() {
        return Err(Refusal::ReplayedLogoutToken);
    }
    let remembered = oidc_logout_token::ActiveModel {
        issuer: Set(issuer.clone()),
        jti: Set(jti),
        expires_at: Set(now + Duration::hours(REMEMBER_HOURS)),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match remembered {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(Refusal::ReplayedLogoutToken);
        }
        Err(e) => return Err(e.into()),
    }
    let revoked_at = ctx.clock.now();
    let ended = match (&request.sid, &request.subject) {
        (Some(sid), _) => {
            session::Entity::update_many()
                .col_expr(session::Column::RevokedAt, Expr::value(revoked_at))
                .filter(session::Column::OidcSid.eq(sid))
                .filter(session::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected
        }
        (None, Some(subject)) => {
            let identity = oidc_identity::Entity::find()
                .filter(oidc_identity::Column::Issuer.eq(&issuer))
                .filter(oidc_identity::Column::Subject.eq(subject))
                .one(&txn)
                .await?;
            match identity {
                Some(identity) => {
                    service::revoke_all_sessions(&txn, identity.user_id, revoked_at).await?
                }
                None => 0,
            }
        }
        (None, None) => 0,
    };
    txn.commit().await?;
    tracing::info!(
        sessions = ended,
        by_sid = request.sid.is_some(),
        "back-channel logout from the identity provider"
    );
    Ok(ended)
}

/// Ends the session `token` names; returns where to send the person: the
/// provider's end-session URL for a session from the provider that offers
/// one, else nothing.
pub async fn sign_out(
    ctx: &AppContext,
    provider: Option<&Provider>,
    token: &str,
) -> Result<Option<String>, Refusal> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(tokens::hash(token)))
        .filter(session::Column::RevokedAt.is_null())
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    let txn = ctx.write().await?;
    // The member's cached responses must not outlive the session.
    txn.reaches(Reach::Member(found.user_id));
    let mut active: session::ActiveModel = found.clone().into();
    active.revoked_at = Set(Some(ctx.clock.now()));
    active.update(&txn).await?;
    txn.commit().await?;
    let (Some(provider), Some(id_token)) = (provider, found.oidc_id_token) else {
        return Ok(None);
    };
    let discovered = match provider.discovered().await {
        Ok(discovered) => discovered,
        Err(refusal) => {
            // Signed out here; the provider's session stays.
            refusal.log();
            return Ok(None);
        }
    };
    let Some(endpoint) = discovered
        .metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
    else {
        return Ok(None);
    };
    let mut request = openidconnect::LogoutRequest::from(endpoint)
        .set_client_id(ClientId::new(provider.config.client_id.clone()));
    if let Ok(hint) = id_token.parse::<CoreIdToken>() {
        request = request.set_id_token_hint(&hint);
    }
    if let Ok(back) = PostLogoutRedirectUrl::new(format!("{}/", provider.public_url)) {
        request = request.set_post_logout_redirect_uri(back);
    }
    Ok(Some(request.http_get_url().to_string()))
}
