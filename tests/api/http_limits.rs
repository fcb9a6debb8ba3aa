//! Hostile and malformed requests: the server refuses each with a code and
//! stays healthy.

use serde_json::{Value, json};

use crate::helpers::*;

async fn post_raw(
    app: &TestApp,
    content_type: &str,
    body: String,
    cookie: Option<&str>,
) -> (u16, Value) {
    let mut req = app
        .http()
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .body(body);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("non-JSON response {status}: {text}"));
    (status, json)
}

async fn assert_healthy(app: &TestApp) {
    let resp = app
        .http()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn cross_site_text_plain_post_with_cookie_is_refused() {
    on_each_backend(|app| async move {
        let user = app.researcher("victim").await;
        let cookie = format!("commons_session={}", user.token);
        // What a cross-site <form enctype="text/plain"> can send.
        let body = r#"{"query":"mutation { signOutEverywhere }"}"#.to_string();
        let (status, resp) = post_raw(&app, "text/plain", body.clone(), Some(&cookie)).await;
        assert_eq!(status, 415);
        assert_code(&resp, "CSRF_REJECTED");
        let (status, resp) = post_raw(
            &app,
            "application/x-www-form-urlencoded",
            body,
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 415);
        assert_code(&resp, "CSRF_REJECTED");
        // The session survived.
        assert!(!user.ok("{ me { id } }", json!({})).await["me"].is_null());
    })
    .await;
}

#[tokio::test]
async fn mutation_over_get_is_refused() {
    on_each_backend(|app| async move {
        let user = app.researcher("getter").await;
        let resp = app
            .http()
            .get(app.url("/graphql"))
            .query(&[("query", "mutation { signOutEverywhere }")])
            .header("cookie", format!("commons_session={}", user.token))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 405);
        let body: Value = resp.json().await.expect("json");
        assert_code(&body, "METHOD_NOT_ALLOWED");
        assert!(!user.ok("{ me { id } }", json!({})).await["me"].is_null());
        // Queries over GET still work.
        let ok: Value = app
            .http()
            .get(app.url("/graphql"))
            .query(&[("query", "{ viewer { signedIn } }")])
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(ok["data"]["viewer"]["signedIn"], false);
    })
    .await;
}

#[tokio::test]
async fn too_deep_and_too_complex_queries_are_refused() {
    on_each_backend(|app| async move {
        let deep = "{ viewer { user { __typename } } }";
        assert_no_errors(&app.gql(deep, json!({})).await);
        // Introspection nests deeply: 20 levels of ofType exceed the depth limit.
        let mut q = String::from("name");
        for _ in 0..20 {
            q = format!("ofType {{ {q} }}");
        }
        let resp = app.gql(&format!("{{ __schema {{ types {{ fields {{ type {{ {q} }} }} }} }} }}"), json!({})).await;
        assert_code(&resp, "QUERY_TOO_DEEP");
        assert_healthy(&app).await;

        let limited = TestApp::spawn(app.backend(), &[("COMMONS_GRAPHQL_MAX_COMPLEXITY", "10")]).await;
        let resp = limited
            .gql("{ viewer { signedIn verified isModerator isReviewer isAdmin allowedEmailDomains user { id handle displayName institution } } }", json!({}))
            .await;
        assert_code(&resp, "QUERY_TOO_COMPLEX");
        limited.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_thousand_aliases_are_refused() {
    on_each_backend(|app| async move {
        let fields: String = (0..1000)
            .map(|i| format!("a{i}: viewer {{ signedIn }} "))
            .collect();
        let resp = app.gql(&format!("{{ {fields} }}"), json!({})).await;
        assert_code(&resp, "TOO_MANY_ALIASES");
        // Fragments cannot smuggle aliases past the count.
        let frag = "fragment F on Query { ".to_string()
            + &(0..40)
                .map(|i| format!("x{i}: viewer {{ signedIn }} "))
                .collect::<String>()
            + "}";
        let resp = app.gql(&format!("{{ ...F }} {frag}"), json!({})).await;
        assert_code(&resp, "TOO_MANY_ALIASES");
        assert_healthy(&app).await;
    })
    .await;
}

#[tokio::test]
async fn a_batch_of_a_thousand_operations_is_refused() {
    on_each_backend(|app| async move {
        let batch: Vec<Value> = (0..1000)
            .map(|_| json!({ "query": "{ viewer { signedIn } }" }))
            .collect();
        let (status, resp) = post_raw(
            &app,
            "application/json",
            serde_json::to_string(&batch).unwrap_or_default(),
            None,
        )
        .await;
        assert_eq!(status, 400);
        assert_code(&resp, "BATCH_TOO_LARGE");
        // A small batch is fine.
        let small: Vec<Value> = (0..3)
            .map(|_| json!({ "query": "{ viewer { signedIn } }" }))
            .collect();
        let (status, resp) = post_raw(
            &app,
            "application/json",
            serde_json::to_string(&small).unwrap_or_default(),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(resp.as_array().map(Vec::len), Some(3));
        assert_healthy(&app).await;
    })
    .await;
}

#[tokio::test]
async fn malformed_json_gets_a_clear_error() {
    on_each_backend(|app| async move {
        let (status, resp) = post_raw(&app, "application/json", "{\"query\": ".into(), None).await;
        assert_eq!(status, 400);
        assert_code(&resp, "BAD_REQUEST");
        assert_healthy(&app).await;
    })
    .await;
}

#[tokio::test]
async fn oversized_body_is_refused() {
    on_each_backend(|app| async move {
        let huge = format!(
            "{{\"query\": \"{{ viewer {{ signedIn }} }}\", \"x\": \"{}\"}}",
            "a".repeat(1024 * 1024)
        );
        let (status, resp) = post_raw(&app, "application/json", huge, None).await;
        assert_eq!(status, 413);
        assert_code(&resp, "PAYLOAD_TOO_LARGE");
        assert_healthy(&app).await;
    })
    .await;
}

#[tokio::test]
async fn bad_variable_type_is_a_client_error() {
    on_each_backend(|app| async move {
        let resp = app
            .gql(
                "query($id: ID) { user(id: $id) { id } }",
                json!({ "id": { "not": "an id" } }),
            )
            .await;
        let code = error_code(&resp);
        assert!(
            code == "BAD_USER_INPUT" || code == "GRAPHQL_VALIDATION_FAILED",
            "{resp:#}"
        );
        let text = resp.to_string();
        assert!(!text.contains("INTERNAL"), "{text}");
        let resp = app.gql("{ me { id } }", json!("not an object")).await;
        assert!(resp.get("errors").is_some() || resp.get("data").is_some());
        assert_healthy(&app).await;
    })
    .await;
}

#[tokio::test]
async fn ten_thousand_character_display_name_is_refused_cleanly() {
    on_each_backend(|app| async move {
        let resp = app
            .gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": "long@researchallofus.org", "password": PASSWORD, "displayName": "x".repeat(10_000) } }),
            )
            .await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "displayName");
        assert!(resp["errors"][0]["message"].as_str().unwrap_or("").len() < 200);
        // Nothing was created.
        let again = app
            .gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": "long@researchallofus.org", "password": PASSWORD, "displayName": "Long" } }),
            )
            .await;
        assert_no_errors(&again);
    })
    .await;
}

#[tokio::test]
async fn every_response_has_a_request_id_and_errors_have_codes() {
    on_each_backend(|app| async move {
        let resp = app
            .http()
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert!(resp.headers().contains_key("x-request-id"));
        let ready: Value = app
            .http()
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        assert_eq!(ready["database"], "ok");
        let resp = app.gql("{ nope }", json!({})).await;
        assert_code(&resp, "GRAPHQL_VALIDATION_FAILED");
    })
    .await;
}

#[tokio::test]
async fn sign_in_is_rate_limited_with_retry_after() {
    on_each_backend(|app| async move {
        let mut last = Value::Null;
        for _ in 0..12 {
            last = app
                .gql(
                    "mutation { signIn(email: \"brute@researchallofus.org\", password: \"guess-guess-guess\") { token } }",
                    json!({}),
                )
                .await;
        }
        assert_code(&last, "RATE_LIMITED");
        assert!(last["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0) >= 1);
    })
    .await;
}
