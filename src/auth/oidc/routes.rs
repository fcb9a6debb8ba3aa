//! The HTTP side of provider sign-in, mounted under `/auth/oidc`:
//!
//! - `GET /auth/oidc/start?next=/path`: begins a flow and sends the person
//!   to the provider.
//! - `GET /auth/oidc/callback`: finishes it, sets the session cookie and
//!   returns to `next` (same-origin paths only).
//! - `POST /auth/oidc/backchannel-logout`: the provider's logout token.
//! - `POST /auth/oidc/sign-out`: ends this session; answers where to send
//!   the person to end the provider's session too.
//!
//! A refusal is a plain page for the person and a log line for the
//! operator; it never shows a raw error.

use std::sync::Arc;

use poem::{
    EndpointExt as _, Request, Response, Route, get, handler,
    http::{StatusCode, header},
    post,
    web::{Data, Form, Query},
};
use serde_json::json;

use super::{Provider, Refusal, accounts, flow, logout};
use crate::{
    auth::graphql::{SESSION_COOKIE, session_cookie_header},
    context::AppContext,
    frontend::plain_page,
};

/// The header same-origin scripts send (browsers refuse to send a custom
/// header cross-site without a preflight, which is never granted).
const CSRF_HEADER: &str = "x-commons-csrf";

pub fn routes(provider: Arc<Provider>) -> Route {
    Route::new()
        .at("/start", get(start.data(provider.clone())))
        .at("/callback", get(callback.data(provider.clone())))
        .at(
            "/backchannel-logout",
            post(backchannel_logout.data(provider.clone())),
        )
        .at("/sign-out", post(sign_out.data(provider)))
}

/// The page for a refusal, after logging it.
fn refused(refusal: Refusal) -> Response {
    refusal.log();
    let (title, message) = refusal.explain();
    let mut resp = plain_page(
        refusal.status(),
        title,
        &format!(
            "<p>{}</p><p><a class=\"btn\" href=\"/sign-in\">Back to sign-in</a></p>",
            html_escape::encode_text(&message)
        ),
    );
    if let Ok(value) = refusal.code().parse() {
        resp.headers_mut().insert("x-commons-refusal", value);
    }
    resp
}

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

fn session_cookie(ctx: &AppContext, token: &str, max_age_secs: i64) -> String {
    session_cookie_header(ctx.config.cookie_secure, token, max_age_secs)
}

fn session_token(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

#[derive(serde::Deserialize)]
struct StartParams {
    next: Option<String>,
}

#[handler]
async fn start(
    req: &Request,
    Query(params): Query<StartParams>,
    Data(ctx): Data<&AppContext>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    // Each start keeps a row until it expires: limited per client.
    if let Some(client) = ctx.config.trusted_proxies.client_of(req)
        && let Err(e) = ctx.limits.check("oidc_start_client", &client).await
    {
        return refused(e.into());
    }
    match flow::start(ctx, provider, params.next.as_deref()).await {
        Ok(url) => redirect(&url),
        Err(refusal) => refused(refusal),
    }
}

#[handler]
async fn callback(
    req: &Request,
    Query(params): Query<flow::CallbackParams>,
    Data(ctx): Data<&AppContext>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let verified = match flow::finish(ctx, provider, params).await {
        Ok(verified) => verified,
        Err(refusal) => return refused(refusal),
    };
    let next = verified.next_path.clone();
    let agent: String = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    match accounts::sign_in(ctx, provider, verified, &agent).await {
        Ok(signed) => {
            let max_age = (signed.expires_at - ctx.clock.now()).num_seconds().max(0);
            let mut resp = redirect(&next);
            if let Ok(value) = session_cookie(ctx, &signed.token, max_age).parse() {
                resp.headers_mut().append(header::SET_COOKIE, value);
            }
            resp
        }
        Err(refusal) => refused(refusal),
    }
}

#[derive(serde::Deserialize)]
struct LogoutForm {
    logout_token: Option<String>,
}

#[handler]
async fn backchannel_logout(
    Form(form): Form<LogoutForm>,
    Data(ctx): Data<&AppContext>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let answer = |status: StatusCode, body: serde_json::Value| {
        Response::builder()
            .status(status)
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "no-store")
            .body(body.to_string())
    };
    let Some(token) = form.logout_token.filter(|t| !t.is_empty()) else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "error": "invalid_request", "error_description": "no logout_token" }),
        );
    };
    match logout::back_channel(ctx, provider, &token).await {
        Ok(_) => answer(StatusCode::OK, json!({})),
        Err(refusal) => {
            refusal.log();
            let status = match refusal {
                Refusal::Internal(_) | Refusal::ProviderUnavailable(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::BAD_REQUEST,
            };
            answer(
                status,
                json!({ "error": "invalid_request", "error_description": refusal.code() }),
            )
        }
    }
}

#[handler]
async fn sign_out(
    req: &Request,
    Data(ctx): Data<&AppContext>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    if !req.headers().contains_key(CSRF_HEADER) {
        return Response::builder()
            .status(StatusCode::FORBIDDEN)
            .content_type("application/json")
            .body(json!({ "error": "send the x-commons-csrf header" }).to_string());
    }
    let token = session_token(req).unwrap_or_default();
    let redirect = match logout::sign_out(ctx, Some(provider), &token).await {
        Ok(redirect) => redirect,
        Err(refusal) => {
            refusal.log();
            None
        }
    };
    Response::builder()
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::SET_COOKIE, session_cookie(ctx, "", 0))
        .body(json!({ "redirect": redirect }).to_string())
}
