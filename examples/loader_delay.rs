//! Measures what the DataLoaders' batching delay costs: the same forum
//! queries against the same database with each delay, on the multi-thread
//! runtime `commons serve` uses.
//!
//! ```sh
//! cargo run --release --example loader_delay            # SQLite in a temp dir
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_loaders \
//!   cargo run --release --example loader_delay          # PostgreSQL (database must exist)
//! ```
//!
//! Prints requests per second (sequential and 8 concurrent clients) and SQL
//! statements per request, for each delay.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use async_graphql::{Request, Variables};
use commons::{
    App, BuildOptions,
    auth::service as auth,
    config::Config,
    forum::{
        categories::{self, CategoryInput},
        posts::{self, NewReply},
        threads::{self, NewThread},
    },
    identity::{CurrentUser, Role, Roles, Tier},
    ratelimit::RateLimits,
    request::RequestAuth,
};
use serde_json::json;

const LIST: &str = "{ threads(first: 50) { edges { node {
    id title replyCount author { handle } lastPoster { handle } category { name } tags { name } unreadCount } } } }";
const PAGE: &str = "query($id: ID!) { thread(id: $id) {
    title author { handle } category { name } tags { name } unreadCount canReply
    posts(first: 20) { edges { node { number bodyHtml author { handle } likeCount likedByViewer replyTo { id } } } } } }";
const POST: &str = "query($id: ID!) { post(id: $id) {
    body author { handle } thread { title category { name } tags { name } author { handle } } } }";

async fn build(dir: &std::path::Path, delay: Duration, counter: Arc<AtomicU64>) -> App {
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    let vars: HashMap<String, String> = [
        ("COMMONS_ENV", "test".to_string()),
        ("COMMONS_MAILER", "memory".to_string()),
        ("COMMONS_WORKER", "false".to_string()),
        ("COMMONS_DATA_DIR", dir.display().to_string()),
        ("COMMONS_DATABASE_URL", url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = Config::from_lookup(&|k| vars.get(k).cloned()).expect("config");
    App::build_with(
        config,
        BuildOptions {
            rate_limits: Some(RateLimits::disabled()),
            statement_counter: Some(counter),
            loader_delay: Some(delay),
            ..BuildOptions::default()
        },
    )
    .await
    .expect("app")
}

async fn seed(app: &App) -> (CurrentUser, i64, i64) {
    let ctx = &app.ctx;
    let mut users = Vec::new();
    for n in 0..12 {
        let user = auth::create_account(
            ctx,
            auth::NewAccount {
                sign_up: auth::SignUp {
                    email: format!("bench{n}@researchallofus.org"),
                    password: "benchmark password".into(),
                    display_name: format!("Bench {n}"),
                    institution: None,
                    handle: Some(format!("bench{n}")),
                },
                roles: Roles::new(if n == 0 {
                    vec![Role::Admin, Role::Moderator, Role::Researcher]
                } else {
                    vec![Role::Researcher]
                }),
                tier: Tier::Registered,
                verified: true,
            },
        )
        .await
        .expect("user");
        users.push(CurrentUser::from_model(&user, None));
    }
    let admin = &users[0];
    let mut category_ids = Vec::new();
    for name in ["Data & Methods", "Genomics", "Tools & Workbench"] {
        let c = categories::create_category(
            ctx,
            admin,
            CategoryInput {
                name: Some(name.into()),
                slug: None,
                description: None,
                required_roles: None,
            },
        )
        .await
        .expect("category");
        category_ids.push(c.id);
    }
    for tag in ["hail", "plink", "omop-sql", "billing", "jupyter"] {
        categories::create_tag(ctx, admin, tag, None)
            .await
            .expect("tag");
    }
    let tag_sets: [&[&str]; 3] = [&["hail", "plink"], &["omop-sql"], &["billing", "jupyter"]];
    let mut busy = (0, 0);
    for k in 0..60 {
        let (t, _) = threads::create_thread(
            ctx,
            &users[1 + k % 11],
            NewThread {
                category_id: category_ids[k % 3],
                title: format!("Benchmark thread {k}"),
                body: "A question about **the Workbench** with `code`.".into(),
                tags: tag_sets[k % 3].iter().map(|t| t.to_string()).collect(),
            },
        )
        .await
        .expect("thread");
        let replies = if k == 0 { 25 } else { 2 };
        for r in 0..replies {
            let (_, p) = posts::create_reply(
                ctx,
                &users[1 + (k + r + 1) % 11],
                NewReply {
                    thread_id: t.id,
                    body: format!(
                        "Reply {r} with a [link](https://workbench.researchallofus.org)."
                    ),
                    reply_to_post_id: None,
                    quote: None,
                },
            )
            .await
            .expect("reply");
            if k == 0 {
                busy = (t.id, p.id);
            }
        }
    }
    (users[5].clone(), busy.0, busy.1)
}

async fn run_one(app: &App, viewer: &CurrentUser, query: &str, vars: serde_json::Value) {
    let request = Request::new(query)
        .variables(Variables::from_json(vars))
        .data(RequestAuth {
            user: Some(viewer.clone()),
            ..RequestAuth::default()
        });
    let response = app.schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
}

/// (sequential req/s, 8-client req/s, statements per request)
async fn measure(
    app: &Arc<App>,
    counter: &AtomicU64,
    viewer: &CurrentUser,
    query: &'static str,
    vars: serde_json::Value,
) -> (f64, f64, f64) {
    for _ in 0..20 {
        run_one(app, viewer, query, vars.clone()).await;
    }
    let n = 300;
    let before = counter.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..n {
        run_one(app, viewer, query, vars.clone()).await;
    }
    let sequential = n as f64 / start.elapsed().as_secs_f64();
    let statements = (counter.load(Ordering::Relaxed) - before) as f64 / n as f64;

    let clients = 8;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let app = app.clone();
        let viewer = viewer.clone();
        let vars = vars.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..n / clients {
                run_one(&app, &viewer, query, vars.clone()).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let concurrent = (n / clients * clients) as f64 / start.elapsed().as_secs_f64();
    (sequential, concurrent, statements)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let counter = Arc::new(AtomicU64::new(0));
    let seeded = build(dir.path(), Duration::ZERO, counter.clone()).await;
    let (viewer, busy_thread, busy_post) = seed(&seeded).await;
    drop(seeded);
    println!("query        delay   seq req/s  8-client req/s  statements/req");
    for delay in [
        Duration::ZERO,
        Duration::from_micros(100),
        Duration::from_millis(1),
        Duration::from_millis(2),
    ] {
        let counter = Arc::new(AtomicU64::new(0));
        let app = Arc::new(build(dir.path(), delay, counter.clone()).await);
        for (name, query, vars) in [
            ("list of 50", LIST, json!({})),
            (
                "thread page",
                PAGE,
                json!({ "id": busy_thread.to_string() }),
            ),
            ("single post", POST, json!({ "id": busy_post.to_string() })),
        ] {
            let (seq, conc, stmts) = measure(&app, &counter, &viewer, query, vars).await;
            println!(
                "{name:<12} {:>5}µs {seq:>10.0} {conc:>15.0} {stmts:>15.1}",
                delay.as_micros()
            );
        }
    }
}
