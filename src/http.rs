//! HTTP: routes, the GraphQL endpoint with its CSRF and size rules,
//! health checks, request ids, and the embedded frontend.

use std::{sync::Arc, time::Instant};

use tracing::Instrument;

use async_graphql::{BatchRequest, BatchResponse};
use poem::{
    Body, Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response, Route, get, handler,
    http::{HeaderValue, Method, StatusCode, header},
    web::{Data, Query},
};
use serde_json::json;

use crate::{
    auth::{graphql::SESSION_COOKIE, oidc, service as auth},
    context::AppContext,
    frontend::{Frontend, plain_page},
    graphql::{AppSchema, policy},
    jobs::queue,
    request::RequestAuth,
    telemetry,
};

/// The custom header that marks a request as same-origin script: browsers
/// refuse to send custom headers cross-site without a CORS preflight, which
/// this server never grants.
pub const CSRF_HEADER: &str = "x-commons-csrf";

pub fn routes(ctx: AppContext, schema: AppSchema) -> impl Endpoint {
    let mut route = Route::new();
    // Sign-in through the identity provider, when one is configured.
    if let Some(oidc) = &ctx.config.oidc {
        match oidc::Provider::new(oidc.clone(), &ctx.config.public_url, ctx.clock.clone()) {
            Ok(provider) => {
                route = route.nest("/auth/oidc", oidc::routes::routes(Arc::new(provider)));
            }
            Err(refusal) => refusal.log(),
        }
    }
    route
        .at("/graphql", get(graphql_get).post(graphql_post))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(crate::telemetry::metrics_endpoint))
        .at("/unsubscribe", get(unsubscribe_page).post(unsubscribe_post))
        .nest("/", get(frontend))
        .data(ctx)
        .data(schema)
        .with(RequestIdTrace)
}

/// A GraphQL-shaped error body for failures before execution.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(
            json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
                .to_string(),
        )
}

fn bearer_or_cookie(req: &Request) -> Option<(String, bool)> {
    if let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_string(), false));
    }
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value.to_string(), true))
}

async fn request_auth(ctx: &AppContext, req: &Request) -> Result<RequestAuth, Response> {
    let mut auth_data = RequestAuth {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(255)
            .collect(),
        client_ip: client_ip(ctx, req),
        ..Default::default()
    };
    if let Some((token, via_cookie)) = bearer_or_cookie(req) {
        match auth::authenticate(ctx, &token).await {
            Ok(user) => {
                auth_data.user = user;
                auth_data.via_cookie = via_cookie;
            }
            Err(e) => {
                tracing::error!(error = ?e, "session lookup failed");
                return Err(error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "INTERNAL",
                    "the server could not check your session; try again",
                ));
            }
        }
    }
    Ok(auth_data)
}

/// The client's address: the TCP peer, or the client a trusted proxy
/// names in `X-Forwarded-For` (`client_addr`).
fn client_ip(ctx: &AppContext, req: &Request) -> Option<String> {
    ctx.config.trusted_proxies.client_of(req)
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

#[handler]
async fn graphql_post(
    req: &Request,
    body: Body,
    Data(ctx): Data<&AppContext>,
    Data(schema): Data<&AppSchema>,
) -> Response {
    // async-graphql would read any content type as JSON, which would let a
    // cross-site `text/plain` form post carry the session cookie into a
    // mutation. Only JSON or an explicit CSRF header gets through.
    if !is_json(req) && !req.headers().contains_key(CSRF_HEADER) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "CSRF_REJECTED",
            "send GraphQL requests as application/json",
        );
    }
    let bytes = match body.into_bytes_limit(ctx.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!(
                    "the request body exceeds {} bytes",
                    ctx.config.max_body_bytes
                ),
            );
        }
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "could not read the request body",
            );
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a valid GraphQL request: {e}"),
            );
        }
    };
    if let BatchRequest::Batch(items) = &batch {
        if items.len() > ctx.config.limits.max_batch {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BATCH_TOO_LARGE",
                &format!(
                    "a batch may hold at most {} operations (got {})",
                    ctx.config.limits.max_batch,
                    items.len()
                ),
            );
        }
        if items.is_empty() {
            return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", "empty batch");
        }
    }
    let mut items = match batch {
        BatchRequest::Single(request) => return serve_single(ctx, schema, req, request).await,
        BatchRequest::Batch(items) => items,
    };
    let auth = match request_auth(ctx, req).await {
        Ok(auth) => auth,
        Err(resp) => return resp,
    };
    let started = Instant::now();
    let batch = BatchRequest::Batch(items).data(auth);
    let response = policy::execute_batch(schema, batch, ctx.config.limits.max_aliases).await;
    if let BatchResponse::Batch(responses) = &response {
        let each = started.elapsed() / responses.len().max(1) as u32;
        for r in responses {
            telemetry::graphql_request("batch".into(), outcome_code(r), each);
        }
    }
    batch_to_response(response)
}

/// `Cache-Control: no-cache` on a request (a browser's hard reload) asks
/// for a freshly executed response.
fn wants_fresh(req: &Request) -> bool {
    req.headers()
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|directive| {
            let directive = directive.trim();
            directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store")
        })
}

/// How the response cache answered, as an RFC 9211 `Cache-Status`.
const CACHE_STATUS: &str = "cache-status";

/// One operation: from the response cache when it may be
/// (`response_cache`), otherwise executed under the policy. A mutation's
/// writes announce their changes as they commit (`db::WriteTxn`), before
/// the caller hears back, so the caller's next read is never served from
/// before it.
async fn serve_single(
    ctx: &AppContext,
    schema: &AppSchema,
    req: &Request,
    mut request: async_graphql::Request,
) -> Response {
    let started = Instant::now();
    let operation = telemetry::operation_label(operation_name(&mut request).as_deref());
    let token = bearer_or_cookie(req).map(|(token, _)| token);
    let fresh = wants_fresh(req);
    let key = match &token {
        Some(token) if !fresh => ctx.responses.key_for(token, &mut request),
        _ => None,
    };
    if let Some(key) = &key {
        let cached = ctx.responses.get(key, &ctx.changes, ctx.clock.now());
        telemetry::response_cache(cached.is_some());
        if let Some(body) = cached {
            telemetry::graphql_request(operation, "OK".into(), started.elapsed());
            return json_response(body, Some("commons; hit"));
        }
    }
    let auth = match request_auth(ctx, req).await {
        Ok(auth) => auth,
        Err(resp) => return resp,
    };
    let viewer = auth.user.as_ref().map(|u| u.id);
    // Read before executing: a change that commits meanwhile moves the
    // counters past this version, so what this request saw is never reused.
    let version = viewer.map(|id| (id, ctx.changes.version(id)));
    let made_at = ctx.clock.now();
    let response = policy::execute(schema, request.data(auth), ctx.config.limits.max_aliases).await;
    telemetry::graphql_request(operation, outcome_code(&response), started.elapsed());
    let keep = response.is_ok() && response.http_headers.is_empty();
    let headers: Vec<_> = response
        .http_headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let body = match serialized(&response) {
        Ok(body) => body,
        Err(resp) => return *resp,
    };
    let status = match (key, version) {
        (Some(key), Some((user_id, version))) if keep => {
            ctx.responses
                .put(key, body.clone(), user_id, version, made_at);
            Some("commons; fwd=miss; stored")
        }
        (Some(_), _) => Some("commons; fwd=miss"),
        (None, _) if fresh => Some("commons; fwd=request"),
        (None, _) => None,
    };
    let mut resp = json_response(body, status);
    for (name, value) in headers {
        resp.headers_mut().append(name, value);
    }
    resp
}

/// The operation a request runs: its `operationName`, or the name of its
/// only operation.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let doc = request.parsed_query().ok()?;
    let mut names = doc.operations.iter().map(|(name, _)| name);
    match (names.next(), names.next()) {
        (Some(Some(name)), None) => Some(name.to_string()),
        _ => None,
    }
}

/// The metrics label of a response: `OK`, or its first error's code.
fn outcome_code(response: &async_graphql::Response) -> String {
    let code = response.errors.first().map(|error| {
        match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
            Some(async_graphql::Value::String(code)) => code.clone(),
            Some(async_graphql::Value::Enum(code)) => code.to_string(),
            _ => "ERROR".to_string(),
        }
    });
    telemetry::code_label(code.as_deref())
}

fn json_response(body: bytes::Bytes, cache_status: Option<&'static str>) -> Response {
    let mut resp = Response::builder()
        .content_type("application/json")
        .body(Body::from_bytes(body));
    if let Some(status) = cache_status {
        resp.headers_mut()
            .insert(CACHE_STATUS, HeaderValue::from_static(status));
    }
    resp
}

/// The JSON of a GraphQL response, or a generic `INTERNAL` error response.
fn serialized(response: &impl serde::Serialize) -> Result<bytes::Bytes, Box<Response>> {
    serde_json::to_vec(response)
        .map(bytes::Bytes::from)
        .map_err(|e| {
            tracing::error!(error = %e, "could not serialise a GraphQL response");
            Box::new(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            ))
        })
}

fn batch_to_response(response: BatchResponse) -> Response {
    let headers = response.http_headers_iter().collect::<Vec<_>>();
    let body = match serialized(&response) {
        Ok(body) => body,
        Err(resp) => return *resp,
    };
    let mut resp = json_response(body, None);
    for (name, value) in headers {
        resp.headers_mut().append(name, value);
    }
    resp
}

#[derive(serde::Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
}

/// GraphiQL in a browser; read-only queries for GET clients. A mutation is
/// never run over GET, whatever the caller's session.
#[handler]
async fn graphql_get(
    req: &Request,
    Query(params): Query<GetParams>,
    Data(ctx): Data<&AppContext>,
    Data(schema): Data<&AppSchema>,
) -> Response {
    let Some(query) = params.query else {
        if !ctx.config.graphiql {
            return error_response(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "GraphiQL is not served here; send a query",
            );
        }
        let page = &*crate::graphiql::PAGE;
        return Response::builder()
            .content_type("text/html; charset=utf-8")
            .header("content-security-policy", page.csp.as_str())
            .body(page.html.clone());
    };
    // Parsed once: the policy and the schema reuse this parse.
    let mut request = async_graphql::Request::new(query);
    let doc = match request.parsed_query() {
        Ok(doc) => doc,
        Err(e) => {
            return error_response(StatusCode::BAD_REQUEST, "GRAPHQL_PARSE_FAILED", &e.message);
        }
    };
    let has_mutation = doc
        .operations
        .iter()
        .any(|(_, op)| op.node.ty != async_graphql::parser::types::OperationType::Query);
    if has_mutation {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations must be sent with POST",
        );
    }
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = params.variables {
        match serde_json::from_str(&vars) {
            Ok(v) => request = request.variables(async_graphql::Variables::from_json(v)),
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "variables are not valid JSON",
                );
            }
        }
    }
    serve_single(ctx, schema, req, request).await
}

#[handler]
async fn healthz() -> Response {
    Response::builder()
        .content_type("application/json")
        .body(json!({ "status": "ok" }).to_string())
}

/// Ready when the database answers. Search, mail and the job queue are reported
/// (with the index lag) but do not make the process unready: writes keep
/// working while the search engine is down, and the queue catches up.
#[handler]
async fn readyz(Data(ctx): Data<&AppContext>) -> Response {
    let db_ok = ctx.db.ping().await.is_ok();
    let lag = queue::lag(&ctx.db, ctx.clock.now()).await.ok();
    let search = ctx.search_status().await;
    let mail = ctx.mailer.status().await;
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(
            json!({
                "status": if db_ok { "ready" } else { "unavailable" },
                "database": if db_ok { "ok" } else { "unreachable" },
                "search": search,
                "mail": mail,
                "jobs": lag,
            })
            .to_string(),
        )
}

#[derive(serde::Deserialize)]
struct UnsubscribeParams {
    token: Option<String>,
}

/// The link in a digest: a confirmation page whose button posts back.
/// (GET never changes anything: mail scanners follow links.)
#[handler]
async fn unsubscribe_page(
    Query(params): Query<UnsubscribeParams>,
    Data(ctx): Data<&AppContext>,
) -> Response {
    let token = params.token.unwrap_or_default();
    if crate::digest::unsubscribe::verify(&ctx.config.secret_key, &token).is_none() {
        return plain_page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "<p>The unsubscribe link is damaged or incomplete.</p>",
        );
    }
    let escaped = html_escape::encode_double_quoted_attribute(&token);
    plain_page(
        StatusCode::OK,
        "Unsubscribe from digests",
        &format!(
            "<p>Stop receiving Research Commons email digests?</p>\
             <form method=\"post\" action=\"/unsubscribe?token={escaped}\"><button type=\"submit\">Unsubscribe</button></form>"
        ),
    )
}

/// RFC 8058 one-click unsubscribe (`List-Unsubscribe=One-Click`), and the
/// confirmation page's button. Works without a session.
#[handler]
async fn unsubscribe_post(
    Query(params): Query<UnsubscribeParams>,
    Data(ctx): Data<&AppContext>,
) -> Response {
    let token = params.token.unwrap_or_default();
    let outcome = crate::digest::unsubscribe::apply(ctx, &token).await;
    match outcome {
        Ok(true) => plain_page(
            StatusCode::OK,
            "You are unsubscribed",
            "<p>You will not receive email digests any more. You can turn them back on in your preferences.</p>",
        ),
        Ok(false) => plain_page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "<p>The unsubscribe link is damaged or incomplete.</p>",
        ),
        Err(e) => {
            tracing::error!(error = ?e, "unsubscribe failed");
            plain_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>We could not update your preferences just now.</p>",
            )
        }
    }
}

/// Serves the single-page frontend; unknown paths without a file extension
/// get `index.html`, so deep links survive a reload.
#[handler]
async fn frontend(req: &Request, Data(ctx): Data<&AppContext>) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = req.uri().path().trim_start_matches('/');
    let (file, name) = match Frontend::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (file, path.to_string()),
        None if !path.rsplit('/').next().unwrap_or("").contains('.') => {
            match Frontend::get("index.html") {
                Some(file) => (file, "index.html".to_string()),
                None => return StatusCode::NOT_FOUND.into_response(),
            }
        }
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    let content_type = match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    let cache = if name == "index.html" {
        "no-cache"
    } else {
        "public, max-age=300"
    };
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, cache)
        .header(
            "content-security-policy",
            format!(
                "default-src 'self'; {}; style-src 'self'; script-src 'self'; \
                 connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                crate::images::img_src(&ctx.config)
            ),
        )
        .body(file.data.into_owned())
}

/// The bounded `route` label of a path.
fn route_family(path: &str) -> &'static str {
    match path {
        "/graphql" => "graphql",
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        "/unsubscribe" => "unsubscribe",
        p if p.starts_with("/auth/oidc/") => "oidc",
        _ => "frontend",
    }
}

/// Gives each request an id (or keeps the caller's `x-request-id`), logs it
/// with the outcome, and adds baseline security headers.
struct RequestIdTrace;

impl<E: Endpoint> Middleware<E> for RequestIdTrace {
    type Output = RequestIdTraceEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RequestIdTraceEndpoint(ep)
    }
}

struct RequestIdTraceEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestIdTraceEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let request_id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let span = tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.uri().path());
        let started = Instant::now();
        let route = route_family(req.uri().path());
        let mut resp = async {
            let resp = match self.0.call(req).await {
                Ok(out) => out.into_response(),
                Err(err) => err.into_response(),
            };
            telemetry::http_request(route, resp.status().as_u16(), started.elapsed());
            tracing::info!(
                status = resp.status().as_u16(),
                elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                "handled"
            );
            resp
        }
        .instrument(span)
        .await;
        let headers = resp.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("x-request-id", value);
        }
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
        headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
        Ok(resp)
    }
}
