//! `commons bench`: the six scenarios of the load benchmark against a live
//! server on loopback, each as a ratio to the `/healthz` floor of the same
//! run. Signs in as accounts made by `commons bench-data`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    data::{BENCH_PASSWORD, bench_email, first_reviewer},
    load::{self, LoadSettings, Outcome, Request, Scenario},
};

pub struct BenchArgs {
    pub url: String,
    pub concurrency: usize,
    pub seconds: u64,
    pub warmup: u64,
    pub pid: Option<u32>,
    pub json: Option<PathBuf>,
    /// Run only the scenarios whose names contain one of these.
    pub only: Vec<String>,
    /// Free text stored with the figures (engine, data scale).
    pub label: Option<String>,
    /// Also run the search-lag scenario, after the others.
    pub lag: Option<super::lag::LagSettings>,
}

/// The thread list: 20 threads with their authors, last posters,
/// categories, tags and the viewer's unread counts.
pub const THREAD_LIST: &str = r#"query ThreadList($category: String) {
  threads(first: 20, categorySlug: $category) {
    edges { cursor node {
      id title link pinned locked solved replyCount viewCount likeCount lastActivityAt
      unreadCount lastReadPostNumber excerpt
      author { id handle displayName }
      lastPoster { id handle displayName }
      category { id name slug }
      tags { id name }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// A thread page: the thread and 20 posts with their authors and the
/// viewer's likes.
pub const THREAD_PAGE: &str = r#"query ThreadPage($id: ID!) {
  thread(id: $id) {
    id title locked solved canReply unreadCount
    category { id name slug }
    tags { id name }
    author { id handle displayName }
    posts(first: 20) {
      edges { node {
        id number bodyHtml createdAt editedAt likeCount likedByViewer bookmarked deleted
        author { id handle displayName institution }
      } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"#;

pub const CREATE_REPLY: &str = r#"mutation Reply($input: CreatePostInput!) {
  createPost(input: $input) { id number createdAt }
}"#;

/// A search with a typo ("polygenc") and a filter.
pub const SEARCH: &str = r#"query Search($query: String!, $category: String) {
  search(query: $query, kinds: [THREAD], filters: { category: $category }, first: 20) {
    total
    facets { categories { value count } tags { value count } }
    hits { edges { node {
      kind score snippet
      thread { id title replyCount }
      post { id number }
    } } }
  }
}"#;

pub const REVIEWER_QUEUE: &str = r#"query Queue {
  exemptionQueue(first: 20) {
    edges { node {
      id title state neededBy dueAt overdue approvalsRequired approvalCount
      requester { id handle displayName }
      assignee { id handle }
      workspace { id name }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// In the mixed scenario, one request in this many is a reply.
const REPLY_EVERY: u64 = 50;

const SEARCHES: &[(&str, Option<&str>)] = &[
    ("polygenc score", Some("genomics")),
    ("cohrt builder", None),
    ("blood presure measurements", Some("data-methods")),
    ("concept sett", Some("surveys-ehr")),
    ("fitbit stp counts", Some("wearables")),
];

#[derive(Serialize)]
struct Report {
    label: Option<String>,
    url: String,
    concurrency: usize,
    seconds: u64,
    warmup_seconds: u64,
    cores: usize,
    started_at: String,
    scenarios: Vec<Outcome>,
    /// The floor measured first and last, and how far apart the two are
    /// (as a fraction of their mean): the machine's drift during the run.
    floor_first: Option<f64>,
    floor_last: Option<f64>,
    floor_drift: Option<f64>,
    server_peak_rss_mib: Option<f64>,
    server_rss_mib: Option<f64>,
    search_lag: Option<super::lag::LagReport>,
}

fn require_loopback(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--url {url}"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(
        loopback,
        "the benchmark only targets a server on this machine (127.0.0.1, ::1 or localhost), not {host}"
    );
    Ok(())
}

pub(super) async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let mut req = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let body: Value = req.send().await?.json().await?;
    if let Some(errors) = body.get("errors") {
        anyhow::bail!("{errors}");
    }
    Ok(body["data"].clone())
}

async fn sign_in(client: &reqwest::Client, base: &str, n: i64) -> anyhow::Result<String> {
    let data = graphql(
        client,
        base,
        None,
        "mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }",
        json!({ "email": bench_email(n), "password": BENCH_PASSWORD }),
    )
    .await
    .with_context(|| format!("signing in as {} (did `commons bench-data` run, and is the server started with COMMONS_RATE_LIMITS=false?)", bench_email(n)))?;
    data["signIn"]["token"]
        .as_str()
        .map(str::to_string)
        .context("signIn returned no token")
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let base = args.url.trim_end_matches('/').to_string();
    require_loopback(&base)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("no server answers at {base}/healthz"))?;

    // Viewers: researchers after the staff accounts, one per worker.
    let first_researcher = first_reviewer() + super::data::REVIEWERS;
    let mut tokens = Vec::new();
    for i in 0..args.concurrency.clamp(1, 32) as i64 {
        tokens.push(sign_in(&client, &base, first_researcher + i).await?);
    }
    let reviewer = sign_in(&client, &base, first_reviewer()).await?;
    let tokens = Arc::new(tokens);

    // Discover categories and the threads to open and reply to.
    let data = graphql(
        &client,
        &base,
        Some(&tokens[0]),
        "{ forumCategories { slug } threads(first: 50, list: TOP, period: ALL) { edges { node { id replyCount } } } }",
        Value::Null,
    )
    .await?;
    let slugs: Vec<Option<String>> = std::iter::once(None)
        .chain(
            data["forumCategories"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["slug"].as_str().map(|s| Some(s.to_string()))),
        )
        .collect();
    let threads: Vec<String> = data["threads"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["node"]["replyCount"].as_i64().unwrap_or(0) >= 19)
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_string))
        .collect();
    anyhow::ensure!(
        !threads.is_empty(),
        "no thread with 20 posts: run `commons bench-data` first"
    );
    let threads = Arc::new(threads);
    let slugs = Arc::new(slugs);

    // Each request picks its viewer from its sequence number.
    let token_for = {
        let tokens = tokens.clone();
        move |n: u64| tokens[(n as usize) % tokens.len()].clone()
    };
    let as_viewer =
        |query: &str, variables: Arc<dyn Fn(u64) -> Value + Send + Sync>| Request::GraphqlAs {
            query: query.to_string(),
            variables,
            token: Arc::new(token_for.clone()),
        };

    let thread_list = as_viewer(THREAD_LIST, {
        let slugs = slugs.clone();
        Arc::new(move |n| json!({ "category": slugs[(n as usize / 7) % slugs.len()] }))
    });
    let thread_page = as_viewer(THREAD_PAGE, {
        let threads = threads.clone();
        Arc::new(move |n| json!({ "id": threads[(n as usize) % threads.len()] }))
    });
    let create_reply = as_viewer(CREATE_REPLY, {
        let threads = threads.clone();
        Arc::new(move |n| {
            json!({ "input": {
                "threadId": threads[(n as usize) % threads.len()],
                "body": format!(
                    "Thanks, that helped. For the record, run {n} used **CDR v8** and \
                     the `person_id` join:\n\n```sql\nSELECT person_id FROM cohort LIMIT {n}\n```"
                ),
            } })
        })
    });
    let fresh = |request: &Request| Request::Fresh(Box::new(request.clone()));

    // Lists and pages are measured three ways: as clients send them (a
    // session re-reading what has not changed is answered from the response
    // cache), executed every time (`Cache-Control: no-cache`), and with a
    // reply among every REPLY_EVERY requests, each of which invalidates
    // every cached read.
    let scenarios: Vec<Scenario> = vec![
        Scenario {
            name: "healthz (floor)".into(),
            request: Request::Get("/healthz".into()),
        },
        Scenario {
            name: "thread list (20)".into(),
            request: thread_list.clone(),
        },
        Scenario {
            name: "thread list (20), executed".into(),
            request: fresh(&thread_list),
        },
        Scenario {
            name: format!("thread list (20), 1 in {REPLY_EVERY} a reply"),
            request: Request::OneIn {
                every: REPLY_EVERY,
                rare: Box::new(create_reply.clone()),
                common: Box::new(thread_list.clone()),
            },
        },
        Scenario {
            name: "thread page (20 posts)".into(),
            request: thread_page.clone(),
        },
        Scenario {
            name: "thread page (20 posts), executed".into(),
            request: fresh(&thread_page),
        },
        Scenario {
            name: "create reply".into(),
            request: create_reply,
        },
        Scenario {
            name: "search (typo + filter)".into(),
            request: as_viewer(
                SEARCH,
                Arc::new(|n| {
                    let (query, category) = SEARCHES[(n as usize) % SEARCHES.len()];
                    json!({ "query": query, "category": category })
                }),
            ),
        },
        Scenario {
            name: "reviewer queue (20)".into(),
            request: Request::Graphql {
                query: REVIEWER_QUEUE.to_string(),
                variables: Arc::new(|_| Value::Null),
                token: Some(reviewer.clone()),
            },
        },
    ];

    let settings = LoadSettings {
        concurrency: args.concurrency,
        duration: Duration::from_secs(args.seconds),
        warmup: Duration::from_secs(args.warmup),
    };
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let floor_again = Scenario {
        name: "healthz (floor, again)".into(),
        request: Request::Get("/healthz".into()),
    };
    for scenario in scenarios.into_iter().chain([floor_again]) {
        let wanted = args.only.is_empty()
            || scenario.name.starts_with("healthz")
            || args.only.iter().any(|o| scenario.name.contains(o.as_str()));
        if !wanted {
            continue;
        }
        eprintln!("running {} …", scenario.name);
        outcomes.push(load::run(&base, &scenario, settings).await);
    }
    // The floor runs first and last; every ratio is against the mean of the
    // two, so a machine that speeds up or slows down during the run skews
    // the ratios less, and the drift between them is reported.
    let floor_first = outcomes.first().map(|o| o.requests_per_second);
    let floor_last = outcomes.last().map(|o| o.requests_per_second);
    let floor = floor_first
        .zip(floor_last)
        .map(|(a, b)| (a + b) / 2.0)
        .filter(|r| *r > 0.0);
    let floor_drift = floor_first
        .zip(floor_last)
        .zip(floor)
        .map(|((a, b), mean)| (a - b).abs() / mean);
    for o in outcomes.iter_mut() {
        o.ratio_to_floor = floor.map(|f| o.requests_per_second / f);
    }

    // Last: its writes would skew every scenario after it.
    let search_lag = match args.lag {
        Some(settings) => {
            eprintln!(
                "running search lag ({} replies/s for {} s) …",
                settings.rate,
                settings.duration.as_secs()
            );
            Some(super::lag::run(&base, tokens.clone(), threads.clone(), settings).await)
        }
        None => None,
    };

    let report = Report {
        label: args.label,
        url: base,
        concurrency: args.concurrency,
        seconds: args.seconds,
        warmup_seconds: args.warmup,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        started_at,
        server_peak_rss_mib: args.pid.and_then(load::peak_rss_mib),
        server_rss_mib: args.pid.and_then(load::rss_mib),
        scenarios: outcomes,
        floor_first,
        floor_last,
        floor_drift,
        search_lag,
    };
    if let Some(label) = &report.label {
        println!("{label}");
    }
    println!(
        "concurrency {}, {} s per scenario after {} s warm-up, {} cores",
        report.concurrency, report.seconds, report.warmup_seconds, report.cores
    );
    print!("{}", load::table(&report.scenarios));
    if let Some(drift) = report.floor_drift {
        println!(
            "ratios are to the mean floor of the first and last runs; they differ by {:.0}%",
            drift * 100.0
        );
    }
    if let Some(peak) = report.server_peak_rss_mib {
        println!(
            "server peak RSS {peak:.0} MiB (now {:.0} MiB)",
            report.server_rss_mib.unwrap_or(0.0)
        );
    }
    if let Some(lag) = &report.search_lag {
        println!(
            "search lag at {:.0} replies/s for {:.0} s ({:.1}/s acknowledged, {} failed): \
             p50 {:.2} s, p95 {:.2} s, p99 {:.2} s, max {:.2} s over {} probes ({} never found); \
             queue drained {} after the writing stopped",
            lag.target_rate,
            lag.seconds,
            lag.achieved_rate,
            lag.reply_failures,
            lag.lag_p50_seconds,
            lag.lag_p95_seconds,
            lag.lag_p99_seconds,
            lag.lag_max_seconds,
            lag.probes,
            lag.probes_missing,
            lag.queue_drain_seconds
                .map_or("not within the deadline".to_string(), |s| format!(
                    "{s:.1} s"
                )),
        );
        if let Some(failure) = &lag.first_failure {
            println!("search lag: first failure: {failure}");
        }
    }
    for o in &report.scenarios {
        if let Some(failure) = &o.first_failure {
            println!("{}: first failure: {failure}", o.name);
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
