//! The authorization-code flow with PKCE, `state` and `nonce`.
//!
//! [`start`] keeps the flow's secrets in the database (`oidc_flows`), keyed
//! by the hash of `state`, so whichever replica receives the callback can
//! finish it. [`finish`] takes the row once (a replayed or forged `state`
//! finds nothing), exchanges the code with the PKCE verifier, and checks
//! the ID token: signature against the provider's keys (refetched once for
//! an unknown key id), issuer, audience, expiry, nonce and the access token
//! hash. Claims missing from the ID token are read from UserInfo.

use chrono::Duration;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, CsrfToken, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    SignatureVerificationError, SubjectIdentifier, TokenResponse,
    core::{CoreAuthenticationFlow, CoreGenderClaim, CoreIdToken, CoreJwsSigningAlgorithm},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Provider, Refusal, claims::Verified, next_path, provider::Client};
use crate::{auth::tokens, context::AppContext, db::Reach, entities::oidc_flow};

/// How long a person has to finish signing in at the provider.
pub const FLOW_TTL_MINUTES: i64 = 15;

/// Begins a sign-in: returns the provider's authorization URL to send the
/// person to.
pub async fn start(
    ctx: &AppContext,
    provider: &Provider,
    next: Option<&str>,
) -> Result<String, Refusal> {
    let discovered = provider.discovered().await?;
    let client = provider.client(&discovered)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in &provider.config.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.url();
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    // No cached read shows a flow.
    txn.reaches(Reach::Nobody);
    // Abandoned flows go as new ones begin.
    oidc_flow::Entity::delete_many()
        .filter(oidc_flow::Column::ExpiresAt.lt(now))
        .exec(&txn)
        .await?;
    oidc_flow::ActiveModel {
        state_hash: Set(tokens::hash(state.secret())),
        nonce: Set(nonce.secret().clone()),
        pkce_verifier: Set(verifier.secret().clone()),
        next_path: Set(next_path::same_origin(next)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(FLOW_TTL_MINUTES)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(url.to_string())
}

/// The query the provider sends the person back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Takes the flow `state` names, once.
async fn take_flow(ctx: &AppContext, state: Option<&str>) -> Result<oidc_flow::Model, Refusal> {
    let state = state
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or(Refusal::UnknownFlow("no state in the callback"))?;
    let flow = oidc_flow::Entity::find()
        .filter(oidc_flow::Column::StateHash.eq(tokens::hash(state)))
        .one(&ctx.db)
        .await?
        .ok_or(Refusal::UnknownFlow(
            "no flow has this state: replayed, forged or expired",
        ))?;
    let txn = ctx.write().await?;
    txn.reaches(Reach::Nobody);
    let taken = oidc_flow::Entity::delete_many()
        .filter(oidc_flow::Column::Id.eq(flow.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if taken.rows_affected != 1 {
        return Err(Refusal::UnknownFlow("the flow was finished concurrently"));
    }
    if flow.expires_at <= ctx.clock.now() {
        return Err(Refusal::UnknownFlow("the flow expired"));
    }
    Ok(flow)
}

/// Every claim of a UserInfo answer, whatever its name.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AllClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl openidconnect::AdditionalClaims for AllClaims {}

/// The signing algorithms accepted for ID tokens; never `none`.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Checks the ID token against `client`'s keys and `nonce`; returns its
/// subject.
fn verify_id_token(
    client: &Client,
    id_token: &CoreIdToken,
    nonce: &Nonce,
    access_token: &openidconnect::AccessToken,
) -> Result<String, ClaimsVerificationError> {
    let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
    let claims = id_token.claims(&verifier, nonce)?;
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(ClaimsVerificationError::SignatureVerification)?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(ClaimsVerificationError::SignatureVerification)?;
        let actual = AccessTokenHash::from_token(access_token, alg, key)
            .map_err(|e| ClaimsVerificationError::Other(format!("at_hash: {e}")))?;
        if actual != *expected {
            return Err(ClaimsVerificationError::Other(
                "the access token hash (at_hash) does not match".into(),
            ));
        }
    }
    Ok(claims.subject().as_str().to_string())
}

fn as_bool(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Finishes a sign-in from the provider's callback: every check, or a
/// refusal.
pub async fn finish(
    ctx: &AppContext,
    provider: &Provider,
    params: CallbackParams,
) -> Result<Verified, Refusal> {
    let flow = take_flow(ctx, params.state.as_deref()).await?;
    if let Some(error) = params.error {
        let description = params.error_description.unwrap_or_default();
        return Err(Refusal::ProviderError(format!("{error}: {description}")));
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Refusal::ProviderError("no code in the callback".into()))?;
    let discovered = provider.discovered().await?;
    let mut client = provider.client(&discovered)?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Refusal::ProviderUnavailable(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(&provider.http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(answer) => {
                Refusal::CodeRejected(format!("token endpoint: {answer}"))
            }
            RequestTokenError::Parse(e, _) => {
                Refusal::InvalidIdToken(format!("token response: {e}"))
            }
            other => Refusal::ProviderUnavailable(format!("token endpoint: {other}")),
        })?;
    let id_token = response
        .id_token()
        .ok_or_else(|| Refusal::InvalidIdToken("the token response has no ID token".into()))?;
    let nonce = Nonce::new(flow.nonce.clone());
    let subject = match verify_id_token(&client, id_token, &nonce, response.access_token()) {
        Ok(subject) => subject,
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) if provider.refresh_keys().await? => {
            client = provider.client(&provider.discovered().await?)?;
            verify_id_token(&client, id_token, &nonce, response.access_token())
                .map_err(|e| Refusal::InvalidIdToken(e.to_string()))?
        }
        Err(e) => return Err(Refusal::InvalidIdToken(e.to_string())),
    };
    let raw = id_token.to_string();
    let mut claims = super::claims::jwt_payload(&raw)
        .ok_or_else(|| Refusal::InvalidIdToken("unreadable payload".into()))?;
    // Many providers send the email, or the mapped claims, only in UserInfo.
    let missing = |claims: &Map<String, Value>| {
        !claims.contains_key("email")
            || !claims.contains_key("email_verified")
            || [&provider.config.tier_claim, &provider.config.roles_claim]
                .into_iter()
                .flatten()
                .any(|c| !claims.contains_key(c))
    };
    if missing(&claims) && client.user_info_url().is_some() {
        let info = client
            .user_info(
                response.access_token().clone(),
                Some(SubjectIdentifier::new(subject.clone())),
            )
            .map_err(|e| Refusal::internal(format!("userinfo: {e}")))?
            .request_async::<AllClaims, _, CoreGenderClaim>(&provider.http)
            .await
            .map_err(|e| Refusal::ProviderUnavailable(format!("userinfo: {e}")))?;
        if let Ok(Value::Object(extra)) = serde_json::to_value(&info) {
            for (key, value) in extra {
                if key != "sub" && key != "iss" && key != "aud" {
                    claims.entry(key).or_insert(value);
                }
            }
        }
    }
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_string);
    Ok(Verified {
        issuer: text("iss").unwrap_or_else(|| provider.config.issuer.clone()),
        subject,
        email: text("email"),
        email_verified: as_bool(claims.get("email_verified")),
        name: text("name"),
        sid: text("sid"),
        id_token: raw,
        next_path: flow.next_path,
        claims,
    })
}
