//! The SQL statement count of every request `commons bench` measures, using
//! the very queries the benchmark sends. Each is measured twice, with a small
//! and a larger amount of data behind the page; the count must not move, and
//! it must stay within the budget written here. A new N+1 query, or a
//! per-row lookup in a mutation, fails these tests long before a benchmark
//! would show it.

use commons::{
    bench::run::{CREATE_REPLY, REVIEWER_QUEUE, SEARCH, THREAD_LIST, THREAD_PAGE},
    identity::{Role, Tier},
};
use serde_json::{Value, json};

use crate::{
    exemptions::{approve_q, claim_q, submitted, workspace},
    forum::{LIKE, reply, setup, start_thread},
    helpers::{Backend, Session, TestApp, on_each_backend, on_each_backend_trusted},
};

/// Runs one request and returns its data and the statements it cost.
async fn measured(app: &TestApp, who: &Session, query: &str, variables: Value) -> (Value, u64) {
    let before = app.statements();
    let data = who.ok_executed(query, variables).await;
    let used = app.statements() - before;
    (data, used)
}

async fn members(app: &TestApp, prefix: &str, n: usize) -> Vec<Session> {
    let mut out = Vec::new();
    for k in 0..n {
        out.push(
            app.user_with(
                &format!("{prefix}{k}"),
                &[Role::Researcher],
                Tier::Registered,
            )
            .await,
        );
    }
    out
}

/// Session lookup, the page (the viewer's mutes are subqueries of it), then
/// one batch each for users, tags, the viewer's reading state and excerpts.
/// Categories come from memory, so naming one by slug costs nothing. That is
/// 6; the budget allows one batch split across two polls.
const THREAD_LIST_BUDGET: u64 = 7;

#[tokio::test]
async fn the_benchmarked_thread_list_costs_a_fixed_number_of_statements() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let authors = members(&app, "author", 10).await;
        let reader = app.researcher("reader").await;
        let mut threads = Vec::new();
        let mut costs = Vec::new();
        for target in [3usize, 25] {
            while threads.len() < target {
                let k = threads.len();
                let (thread, _) = start_thread(
                    &authors[k % 10],
                    if k % 2 == 0 { &f.methods } else { &f.genomics },
                    &format!("Thread number {k}"),
                    "How do I join **person** to `measurement`?",
                    if k % 3 == 0 { &["hail", "plink"] } else { &["omop-sql"] },
                )
                .await;
                reply(&authors[(k + 1) % 10], &thread, "Join on person_id.").await;
                if k % 4 == 0 {
                    reader
                        .ok(
                            "mutation($t: ID!) { markThreadRead(threadId: $t, postNumber: 1) { id } }",
                            json!({ "t": thread }),
                        )
                        .await;
                }
                threads.push(thread);
            }
            let (data, used) = measured(&app, &reader, THREAD_LIST, json!({ "category": null })).await;
            let edges = data["threads"]["edges"].as_array().expect("edges");
            assert_eq!(edges.len(), target.min(20));
            for e in edges {
                assert!(e["node"]["author"]["handle"].is_string());
                assert!(e["node"]["lastPoster"]["handle"].is_string());
                assert!(!e["node"]["tags"].as_array().expect("tags").is_empty());
                assert!(e["node"]["unreadCount"].as_i64().expect("unread") >= 1);
            }
            costs.push(used);
        }
        // One category: the slug resolves to the category first.
        let (_, by_category) = measured(&app, &reader, THREAD_LIST, json!({ "category": "genomics" })).await;
        costs.push(by_category);
        eprintln!("thread list statements (3 / 20 threads / one category): {costs:?}");
        // A DataLoader batch can split on a loaded machine (one extra
        // statement); a query per thread would add seventeen.
        assert!(costs[1] <= costs[0] + 1, "{costs:?}");
        assert!(costs[2] <= costs[0] + 1, "{costs:?}");
        assert!(costs[1] <= THREAD_LIST_BUDGET, "{costs:?}");
    })
    .await;
}

/// Session lookup, the thread, its posts, then batches for authors, tags,
/// likes, bookmarks and reading state (categories come from memory). That is
/// 8; the budget allows the thread's author and the posts' authors to load
/// in two batches instead of one.
const THREAD_PAGE_BUDGET: u64 = 9;

#[tokio::test]
async fn the_benchmarked_thread_page_costs_a_fixed_number_of_statements() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let authors = members(&app, "author", 10).await;
        let reader = app.researcher("reader").await;
        let (thread, _) = start_thread(
            &authors[0],
            &f.methods,
            "Counting visits by site",
            "Which table holds **visit_occurrence** for the registered tier?",
            &["omop-sql"],
        )
        .await;
        let mut posts = 1;
        let mut costs = Vec::new();
        for target in [2usize, 20] {
            while posts < target {
                let id = reply(
                    &authors[posts % 10],
                    &thread,
                    &format!("Answer {posts}: see the `visit` docs."),
                )
                .await;
                if posts % 3 == 0 {
                    reader.ok(LIKE, json!({ "id": id })).await;
                }
                posts += 1;
            }
            let (data, used) = measured(&app, &reader, THREAD_PAGE, json!({ "id": thread })).await;
            let edges = data["thread"]["posts"]["edges"].as_array().expect("edges");
            assert_eq!(edges.len(), target);
            assert!(
                edges
                    .iter()
                    .all(|e| e["node"]["author"]["handle"].is_string())
            );
            costs.push(used);
        }
        eprintln!("thread page statements (2 / 20 posts): {costs:?}");
        // Under a loaded machine a DataLoader batch can split (one extra
        // statement); a query per post would add eighteen.
        assert!(costs[1] <= costs[0] + 1, "{costs:?}");
        assert!(costs[1] <= THREAD_PAGE_BUDGET, "{costs:?}");
    })
    .await;
}

/// A reply runs a fixed set of statements whoever watches the thread (the
/// checks, the post, the thread's counters, the search outbox job, the
/// author's subscription), and its watchers' notifications are one insert.
/// On PostgreSQL one more announces the change to other replicas
/// (`changes::Changes::committed`).
const CREATE_REPLY_BUDGET: u64 = 16;

#[tokio::test]
async fn the_benchmarked_reply_costs_the_same_for_one_watcher_or_ten() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let watchers = members(&app, "watcher", 10).await;
        let replier = app.researcher("replier").await;
        let mut costs = Vec::new();
        for n in [1usize, 10] {
            let (thread, _) = start_thread(
                &watchers[0],
                &f.methods,
                // No number in the title: "1 people" is a small count the
                // moderation guard would hold.
                if n == 1 { "A quiet thread" } else { "A busy thread" },
                "Questions about the **cohort builder**.",
                &["cohort-builder"],
            )
            .await;
            for w in watchers.iter().take(n).skip(1) {
                w.ok(
                    "mutation($id: ID!) { setForumSubscription(target: THREAD, id: $id, level: WATCHING) { level } }",
                    json!({ "id": thread }),
                )
                .await;
            }
            // The first reply of a member may differ (first-post rules);
            // measure a later one.
            reply(&replier, &thread, "First reply.").await;
            let (data, used) = measured(
                &app,
                &replier,
                CREATE_REPLY,
                json!({ "input": { "threadId": thread, "body": "Run 7 used **CDR v8**:\n\n```sql\nSELECT 1\n```" } }),
            )
            .await;
            assert!(data["createPost"]["id"].is_string());
            costs.push(used);
            // The watchers hear from a job, whatever their number.
            app.run_jobs().await;
            for w in watchers.iter().take(n) {
                let count = w.ok("{ unreadNotificationCount }", json!({})).await;
                assert!(count["unreadNotificationCount"].as_i64().expect("count") >= 2, "every watcher hears of both replies");
            }
        }
        eprintln!("reply statements (1 / 10 watchers): {costs:?}");
        assert_eq!(costs[0], costs[1], "{costs:?}");
        // On PostgreSQL the change is announced with NOTIFY, and the reply's
        // rate limit is one upsert on the limits every replica shares.
        let announce = u64::from(app.backend() == Backend::Postgres);
        let shared_limit = u64::from(app.backend() == Backend::Postgres);
        assert!(costs[1] <= CREATE_REPLY_BUDGET + announce + shared_limit, "{costs:?}");
    })
    .await;
}

/// Session lookup, then one batch each for the hits' threads and posts and
/// what the viewer may see of them; the engine does the rest.
const SEARCH_BUDGET: u64 = 5;

#[tokio::test]
async fn the_benchmarked_search_costs_a_fixed_number_of_statements() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let authors = members(&app, "author", 6).await;
        let reader = app.researcher("reader").await;
        let mut made = 0;
        let mut costs = Vec::new();
        for target in [2usize, 12] {
            while made < target {
                start_thread(
                    &authors[made % 6],
                    &f.genomics,
                    &format!("Polygenic score pipeline {made}"),
                    "We computed a polygenic score with PRS-CS on the srWGS callset.",
                    &["hail"],
                )
                .await;
                made += 1;
            }
            app.run_jobs().await;
            let (data, used) = measured(
                &app,
                &reader,
                SEARCH,
                json!({ "query": "polygenc score", "category": "genomics" }),
            )
            .await;
            let hits = data["search"]["hits"]["edges"].as_array().expect("hits");
            assert_eq!(hits.len(), target, "{data}");
            assert!(
                hits.iter()
                    .all(|h| h["node"]["thread"]["title"].is_string())
            );
            costs.push(used);
        }
        eprintln!("search statements (2 / 12 hits): {costs:?}");
        assert!(costs[1] <= costs[0] + 1, "{costs:?}");
        // On PostgreSQL the search limits (per member and per client address)
        // are two upserts on the limits every replica shares.
        let shared_limits = 2 * u64::from(app.backend() == Backend::Postgres);
        assert!(costs[1] <= SEARCH_BUDGET + shared_limits, "{costs:?}");
    })
    .await;
}

/// Session lookup, the page, then one batch each for the users (requesters
/// and assignees), workspaces, approvals, and the workspaces' members and
/// membership history (an approval by a reviewer since conflicted does not
/// count).
const REVIEWER_QUEUE_BUDGET: u64 = 6;

#[tokio::test]
async fn the_benchmarked_reviewer_queue_costs_a_fixed_number_of_statements() {
    on_each_backend(|app| async move {
        let chen = app.reviewer("weichen").await;
        let santos = app.reviewer("santos").await;
        let requesters = members(&app, "requester", 4).await;
        let mut workspaces = Vec::new();
        for (k, r) in requesters.iter().enumerate() {
            workspaces.push(workspace(&app, r, &format!("Study {k}"), &[]).await);
        }
        let mut made = 0;
        let mut costs = Vec::new();
        for target in [2usize, 8] {
            while made < target {
                let id = submitted(
                    &app,
                    &requesters[made % 4],
                    workspaces[made % 4],
                    &format!("Request {made}"),
                    10 + made as i64,
                )
                .await;
                // Half are claimed and half-approved by someone, so
                // assignees and approvals vary across the page.
                if made % 2 == 0 {
                    santos.ok(&claim_q(), json!({ "id": id })).await;
                    let _ = santos.gql(&approve_q(), json!({ "id": id, "v": 1 })).await;
                }
                made += 1;
            }
            let (data, used) = measured(&app, &chen, REVIEWER_QUEUE, json!({})).await;
            let edges = data["exemptionQueue"]["edges"].as_array().expect("edges");
            assert!(!edges.is_empty());
            assert!(
                edges
                    .iter()
                    .all(|e| e["node"]["requester"]["handle"].is_string())
            );
            costs.push((edges.len(), used));
        }
        eprintln!("reviewer queue statements (page size, statements): {costs:?}");
        assert!(
            costs[1].0 > costs[0].0,
            "the second page must hold more requests: {costs:?}"
        );
        assert!(costs[1].1 <= costs[0].1 + 1, "{costs:?}");
        assert!(costs[1].1 <= REVIEWER_QUEUE_BUDGET, "{costs:?}");
    })
    .await;
}
