//! The response cache of forum reads: a session's repeated read costs no
//! SQL, and no reader is ever served a response from before a change they
//! could see, nor another session's response.

use serde_json::{Value, json};

use crate::{
    forum::{LIKE, reply, s, setup, start_thread},
    helpers::*,
};

const LIST: &str = "query L($c: String) { threads(first: 20, categorySlug: $c) {
    edges { node { id title replyCount unreadCount author { handle } tags { name } } } } }";
const PAGE: &str = "query P($id: ID!) { thread(id: $id) { id title replyCount
    posts(first: 20) { edges { node { id body likeCount likedByViewer bookmarked } } } } }";

/// One read over HTTP: the body, its `Cache-Status` and the statements the
/// server ran for it.
struct Read {
    body: Value,
    cache: Option<String>,
    statements: u64,
}

impl Read {
    fn hit(&self) -> bool {
        self.cache.as_deref() == Some("commons; hit")
    }
}

async fn read(who: &Session, query: &str, variables: Value) -> Read {
    read_with(&who.app, &who.token, query, variables, false).await
}

async fn read_with(app: &TestApp, token: &str, query: &str, variables: Value, fresh: bool) -> Read {
    let before = app.statements();
    let mut req = app
        .http()
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }));
    if fresh {
        req = req.header("cache-control", "no-cache");
    }
    let resp = req.send().await.expect("request");
    let cache = resp
        .headers()
        .get("cache-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = resp.json().await.expect("json body");
    Read {
        body,
        cache,
        statements: app.statements() - before,
    }
}

/// A listed thread's count `field`.
fn count(list: &Value, thread: &str, field: &str) -> i64 {
    list["data"]["threads"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["id"] == thread)
        .and_then(|e| e["node"][field].as_i64())
        .expect("the thread is listed with the count")
}

fn reply_count(list: &Value, thread: &str) -> i64 {
    count(list, thread, "replyCount")
}

fn unread(list: &Value, thread: &str) -> i64 {
    count(list, thread, "unreadCount")
}

#[tokio::test]
async fn a_repeated_forum_read_costs_nothing_until_something_it_shows_changes() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let author = app.researcher("author").await;
        let reader = app.researcher("reader").await;
        let (thread, _) = start_thread(
            &author,
            &f.methods,
            "Visit tables in the registered tier",
            "Which table holds **visit_occurrence**?",
            &["omop-sql"],
        )
        .await;

        let first = read(&reader, LIST, json!({})).await;
        assert_no_errors(&first.body);
        assert_eq!(first.cache.as_deref(), Some("commons; fwd=miss; stored"));
        assert!(first.statements > 0);
        let again = read(&reader, LIST, json!({})).await;
        assert!(again.hit(), "{:?}", again.cache);
        assert_eq!(again.statements, 0, "a hit runs no SQL");
        assert_eq!(again.body, first.body);
        // Other variables are another entry.
        let other = read(&reader, LIST, json!({ "c": "data-methods" })).await;
        assert!(!other.hit());

        // A reply by someone else is visible on the reader's next read.
        reply(&author, &thread, "The `visit_occurrence` table, joined on person_id.").await;
        let after = read(&reader, LIST, json!({})).await;
        assert!(!after.hit());
        assert_eq!(reply_count(&after.body, &thread), 1);
        assert_eq!(unread(&after.body, &thread), unread(&first.body, &thread) + 1);

        // So is an edit to a thread page the reader had cached.
        let page = read(&reader, PAGE, json!({ "id": thread })).await;
        assert!(!page.hit());
        assert!(read(&reader, PAGE, json!({ "id": thread })).await.hit());
        let post = s(&page.body["data"]["thread"]["posts"]["edges"][0]["node"]["id"]);
        author
            .ok(
                crate::forum::EDIT_POST,
                json!({ "i": { "postId": post, "body": "Which table holds **visit_occurrence** in CDR v8?" } }),
            )
            .await;
        let edited = read(&reader, PAGE, json!({ "id": thread })).await;
        assert!(!edited.hit());
        assert!(
            s(&edited.body["data"]["thread"]["posts"]["edges"][0]["node"]["body"])
                .contains("CDR v8")
        );

        // `Cache-Control: no-cache` always executes.
        let fresh = read_with(&app, &reader.token, LIST, json!({}), true).await;
        assert_eq!(fresh.cache.as_deref(), Some("commons; fwd=request"));
        assert!(fresh.statements > 0);
    })
    .await;
}

#[tokio::test]
async fn a_members_own_changes_refresh_their_reads_and_leave_everyone_elses_cached() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let author = app.researcher("author").await;
        let (a, b) = (app.researcher("ana").await, app.researcher("ben").await);
        let (thread, _) = start_thread(
            &author,
            &f.methods,
            "Survey skip patterns",
            "How are skipped questions coded?",
            &[],
        )
        .await;
        reply(&author, &thread, "As concept 903096, skip.").await;
        for who in [&a, &b] {
            let list = read(who, LIST, json!({})).await;
            assert_eq!(unread(&list.body, &thread), 2);
            assert!(read(who, LIST, json!({})).await.hit());
        }

        a.ok(
            "mutation($t: ID!) { markThreadRead(threadId: $t) { id } }",
            json!({ "t": thread }),
        )
        .await;
        let a_list = read(&a, LIST, json!({})).await;
        assert!(!a_list.hit(), "Ana's own reading state changed");
        assert_eq!(unread(&a_list.body, &thread), 0);
        let b_list = read(&b, LIST, json!({})).await;
        assert!(b_list.hit(), "Ben's list shows nothing Ana changed");
        assert_eq!(unread(&b_list.body, &thread), 2);
    })
    .await;
}

#[tokio::test]
async fn sessions_never_see_each_others_responses_and_a_signed_out_one_sees_none() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let author = app.researcher("author").await;
        let (a, b) = (app.researcher("ana").await, app.researcher("ben").await);
        let (thread, _) = start_thread(
            &author,
            &f.methods,
            "Fitbit step counts",
            "Where do daily steps live?",
            &[],
        )
        .await;
        let page = read(&a, PAGE, json!({ "id": thread })).await;
        let post = s(&page.body["data"]["thread"]["posts"]["edges"][0]["node"]["id"]);
        a.ok(LIKE, json!({ "id": post })).await;

        let liked = |r: &Read| {
            r.body["data"]["thread"]["posts"]["edges"][0]["node"]["likedByViewer"].clone()
        };
        let a_page = read(&a, PAGE, json!({ "id": thread })).await;
        assert_eq!(liked(&a_page), json!(true));
        assert!(read(&a, PAGE, json!({ "id": thread })).await.hit());
        let b_page = read(&b, PAGE, json!({ "id": thread })).await;
        assert!(!b_page.hit(), "another session's entry is not Ben's");
        assert_eq!(liked(&b_page), json!(false));

        // Ana's second session has entries of its own.
        let a2 = app.sign_in(&a.email).await;
        assert!(!read(&a2, PAGE, json!({ "id": thread })).await.hit());

        a.ok("mutation { signOut }", json!({})).await;
        let revoked = read(&a, PAGE, json!({ "id": thread })).await;
        assert!(!revoked.hit());
        assert_code(&revoked.body, "UNAUTHENTICATED");
        assert!(read(&a2, PAGE, json!({ "id": thread })).await.body["data"]["thread"].is_object());
    })
    .await;
}

#[tokio::test]
async fn reads_outside_the_forum_and_failed_reads_are_never_kept() {
    on_each_backend_trusted(|app| async move {
        setup(&app).await;
        let reader = app.researcher("reader").await;
        for _ in 0..2 {
            let me = read(&reader, "{ me { id handle } }", json!({})).await;
            assert_no_errors(&me.body);
            assert_eq!(me.cache, None);
            assert!(me.statements > 0);
        }
        for _ in 0..2 {
            let bad = read(&reader, PAGE, json!({ "id": "not-a-number" })).await;
            assert_code(&bad.body, "VALIDATION");
            assert_eq!(bad.cache.as_deref(), Some("commons; fwd=miss"));
        }
        // Without a session there is nothing to key an entry on.
        let anonymous = app.gql(LIST, json!({})).await;
        assert_code(&anonymous, "UNAUTHENTICATED");
    })
    .await;
}

/// Replicas share PostgreSQL: a change committed through one reaches the
/// others' caches through `NOTIFY`, not after the maximum age.
#[tokio::test]
async fn a_change_on_one_replica_reaches_another_replicas_cache() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: PostgreSQL only (TEST_DATABASE_URL is unset)");
        return;
    }
    let app = TestApp::spawn(
        Backend::Postgres,
        &[("COMMONS_MODERATION_DIR", trusted_members_rules())],
    )
    .await;
    let replica = app.spawn_replica().await;
    let f = setup(&app).await;
    let author = app.researcher("author").await;
    let reader = app.researcher("reader").await;
    let (thread, _) = start_thread(
        &author,
        &f.methods,
        "Hail on the workbench",
        "Which version?",
        &[],
    )
    .await;

    let before = read_with(&replica, &reader.token, LIST, json!({}), false).await;
    assert_eq!(reply_count(&before.body, &thread), 0);
    assert!(
        read_with(&replica, &reader.token, LIST, json!({}), false)
            .await
            .hit()
    );

    reply(&author, &thread, "0.2.130 as of this release.").await;
    // The announcement arrives asynchronously, within milliseconds.
    let mut seen = false;
    for _ in 0..50 {
        let now = read_with(&replica, &reader.token, LIST, json!({}), false).await;
        if reply_count(&now.body, &thread) == 1 {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen, "the reply never reached the replica's cache");
    replica.shutdown().await;
    app.shutdown().await;
}
