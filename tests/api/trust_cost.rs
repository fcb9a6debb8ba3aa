//! A request's cost is bounded by what it can return: nested pages multiply,
//! the operations of a batch share one budget, and expensive reads are
//! rate-limited per member and per client address. Each test makes the
//! attack as a member would and asserts the refusal.

use serde_json::{Value, json};

use crate::{
    forum::{reply, setup, start_thread},
    helpers::{Session, TestApp, on_each_backend_trusted, on_each_backend_with},
};

/// Sends `body` (one operation or a batch) as `who`, executed whatever the
/// response cache holds, and returns the JSON and the statements it cost.
async fn send(
    app: &TestApp,
    who: &Session,
    body: &Value,
    headers: &[(&str, &str)],
) -> (Value, u64) {
    let before = app.statements();
    let mut req = app
        .http()
        .post(app.url("/graphql"))
        .bearer_auth(&who.token)
        .header("cache-control", "no-cache")
        .json(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp: Value = req
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json body");
    (resp, app.statements() - before)
}

fn codes(resp: &Value) -> Vec<String> {
    let items = match resp.as_array() {
        Some(items) => items.clone(),
        None => vec![resp.clone()],
    };
    items
        .iter()
        .map(|item| {
            item["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("none")
                .to_string()
        })
        .collect()
}

/// Thirty aliases of threads → posts → thread → posts, fifty a page each.
fn nested_alias_query() -> String {
    let alias = "threads(first: 50) { nodes { posts(first: 50) { nodes { body thread { posts(first: 50) { nodes { body author { handle } } } } } } } }";
    let fields: Vec<String> = (0..30).map(|k| format!("a{k}: {alias}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn nested_pages_in_a_batch_of_aliases_are_refused_before_any_sql() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let author = app.researcher("author").await;
        for k in 0..3 {
            let (thread, _) = start_thread(&author, &f.methods, &format!("Thread {k}"), "Body text here.", &[]).await;
            reply(&author, &thread, "A reply.").await;
        }
        let attacker = app.researcher("mallory").await;
        // What a request costs that only looks up the session.
        let (_, session_only) = send(&app, &attacker, &json!([{ "query": "{ __typename }" }]), &[]).await;

        let query = nested_alias_query();
        let batch: Vec<Value> = (0..10).map(|_| json!({ "query": query })).collect();
        let (resp, used) = send(&app, &attacker, &Value::Array(batch), &[]).await;
        assert_eq!(codes(&resp), vec!["QUERY_TOO_COMPLEX"; 10], "{resp:#}");
        assert!(resp.to_string().len() < 10_000, "no data came back");
        assert!(
            used <= session_only,
            "the refused batch ran {used} statements; the session lookup alone runs {session_only}"
        );

        // One operation alone is refused the same way.
        let (resp, used) = send(&app, &attacker, &json!({ "query": query }), &[]).await;
        assert_eq!(codes(&resp), vec!["QUERY_TOO_COMPLEX"], "{resp:#}");
        assert!(used <= session_only, "{used} statements");

        // The same nesting spelled without aliases still multiplies.
        let one = "{ threads(first: 50) { nodes { posts(first: 50) { nodes { thread { posts(first: 50) { nodes { body } } } } } } } }";
        let (resp, _) = send(&app, &attacker, &json!({ "query": one }), &[]).await;
        assert_eq!(codes(&resp), vec!["QUERY_TOO_COMPLEX"], "{resp:#}");

        // An honest page still runs.
        let page = "{ threads(first: 20) { nodes { id title posts(first: 10) { nodes { id bodyHtml author { handle } } } } } }";
        let (resp, _) = send(&app, &attacker, &json!({ "query": page }), &[]).await;
        assert!(resp.get("errors").is_none(), "{resp:#}");
    })
    .await;
}

/// 50 × (1 + 3) + 1 = 201 with the budget below: four fit, five do not.
const PAGE_OF_TITLES: &str = "{ threads(first: 50) { nodes { id title createdAt } } }";

#[tokio::test]
async fn the_operations_of_a_batch_share_one_budget() {
    on_each_backend_with(
        &[("COMMONS_GRAPHQL_MAX_COMPLEXITY", "1000")],
        |app| async move {
            let member = app.researcher("batcher").await;
            let batch = |n: usize| {
                Value::Array((0..n).map(|_| json!({ "query": PAGE_OF_TITLES })).collect())
            };
            let (resp, _) = send(&app, &member, &batch(4), &[]).await;
            assert_eq!(codes(&resp), vec!["none"; 4], "{resp:#}");
            let (resp, _) = send(&app, &member, &batch(5), &[]).await;
            assert_eq!(codes(&resp), vec!["QUERY_TOO_COMPLEX"; 5], "{resp:#}");
            assert!(
                resp[0]["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("1005")),
                "{resp:#}"
            );
        },
    )
    .await;
}

/// The shipped rules with the expensive reads limited to `per_member` per
/// member and `per_client` per address, so a test reaches them quickly.
fn tight_read_limits() -> &'static str {
    static DIR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let shipped = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/moderation/limits.toml"
        ))
        .expect("shipped limits.toml");
        let mut limits = String::new();
        for line in shipped.lines() {
            let key = line.split('=').next().unwrap_or_default().trim();
            match key {
                "search" | "suggested_collaborators" | "csv_export" => {
                    limits.push_str(&format!("{key} = {{ max = 2, per_seconds = 3600 }}\n"));
                }
                "search_per_client"
                | "suggested_collaborators_per_client"
                | "csv_export_per_client" => {
                    limits.push_str(&format!("{key} = {{ max = 3, per_seconds = 3600 }}\n"));
                }
                _ => {
                    limits.push_str(line);
                    limits.push('\n');
                }
            }
        }
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("tight-read-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("rules dir");
        std::fs::write(dir.join("limits.toml"), limits).expect("limits.toml");
        dir.display().to_string()
    })
}

const SEARCH: &str = "{ search(query: \"cohort\") { total } }";
const SUGGESTED: &str = "{ suggestedCollaborators { suggestions { score } } }";
const CSV: &str = "{ publicationReportsCsv }";

#[tokio::test]
async fn expensive_reads_are_limited_per_member_and_per_address() {
    on_each_backend_with(
        &[("COMMONS_MODERATION_DIR", tight_read_limits())],
        |app| async move {
            let first = app.reviewer("scraper").await;
            let second = app.reviewer("scraper2").await;
            for query in [SEARCH, SUGGESTED, CSV] {
                let body = json!({ "query": query });
                // The member's own quota: a new session does not reset it.
                for _ in 0..2 {
                    let (resp, _) = send(&app, &first, &body, &[]).await;
                    assert_ne!(codes(&resp), vec!["RATE_LIMITED"], "{query}: {resp:#}");
                }
                let again = app.sign_in(&first.email).await;
                let (resp, _) = send(&app, &again, &body, &[]).await;
                assert_eq!(codes(&resp), vec!["RATE_LIMITED"], "{query}: {resp:#}");
                // The address's quota: another account from the same client
                // gets one more before the address is spent.
                let (resp, _) = send(&app, &second, &body, &[]).await;
                assert_ne!(codes(&resp), vec!["RATE_LIMITED"], "{query}: {resp:#}");
                let (resp, _) = send(&app, &second, &body, &[]).await;
                assert_eq!(codes(&resp), vec!["RATE_LIMITED"], "{query}: {resp:#}");
            }
        },
    )
    .await;
}

async fn reviewers(app: &TestApp, prefix: &str, n: usize) -> Vec<Session> {
    let mut out = Vec::new();
    for k in 0..n {
        out.push(app.reviewer(&format!("{prefix}{k}")).await);
    }
    out
}

/// How many of one search each by `members`, each request carrying the
/// `X-Forwarded-For` that `forwarded(k)` gives, were refused.
async fn refused_searches(
    app: &TestApp,
    members: &[Session],
    forwarded: impl Fn(usize) -> String,
) -> usize {
    let mut refused = 0;
    for (k, who) in members.iter().enumerate() {
        let hop = forwarded(k);
        let (resp, _) = send(
            app,
            who,
            &json!({ "query": SEARCH }),
            &[("x-forwarded-for", hop.as_str())],
        )
        .await;
        refused += usize::from(codes(&resp) == vec!["RATE_LIMITED"]);
    }
    refused
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    on_each_backend_with(
        &[("COMMONS_MODERATION_DIR", tight_read_limits())],
        |app| async move {
            // Each request claims to come from a new client; with no trusted
            // proxy the peer is the client all the same, so the address's
            // quota of 3 refuses the fourth.
            let members = reviewers(&app, "spoof", 4).await;
            let refused = refused_searches(&app, &members, |k| format!("198.51.100.{k}")).await;
            assert_eq!(refused, 1);
        },
    )
    .await;
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    on_each_backend_with(
        &[
            ("COMMONS_MODERATION_DIR", tight_read_limits()),
            ("COMMONS_TRUSTED_PROXIES", "127.0.0.0/8, ::1"),
        ],
        |app| async move {
            // Four clients behind the balancer: none reaches its quota. The
            // leftmost entry, which a client can write, is the same in all
            // four and does not count; the hop the proxy appended does.
            let members = reviewers(&app, "viaproxy", 4).await;
            let refused =
                refused_searches(&app, &members, |k| format!("203.0.113.66, 198.51.100.{k}")).await;
            assert_eq!(refused, 0);
            // One client behind the balancer, through four accounts, is one
            // address: the fourth search is refused.
            let members = reviewers(&app, "onebehind", 4).await;
            let refused = refused_searches(&app, &members, |_| "198.51.100.200".to_string()).await;
            assert_eq!(refused, 1);
        },
    )
    .await;
}
