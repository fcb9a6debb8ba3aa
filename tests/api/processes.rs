//! Real `commons` processes: two replicas on one PostgreSQL database with
//! one killed mid-load, and a backup taken while a server keeps writing.
//! Loopback only; every process is stopped when its test ends.

use std::{
    collections::{BTreeMap, HashMap},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    smtp_sink::{SmtpSink, free_port},
};

const BIN: &str = env!("CARGO_BIN_EXE_commons");
const ADMIN_EMAIL: &str = "ops-admin@researchallofus.org";

/// The environment of one `commons` process.
fn env_for(
    db_url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("COMMONS_ENV", "test".to_string()),
        ("COMMONS_DATABASE_URL", db_url.to_string()),
        ("COMMONS_DATA_DIR", data_dir.display().to_string()),
        ("COMMONS_PUBLIC_URL", "http://commons.test".to_string()),
        (
            "COMMONS_MODERATION_DIR",
            trusted_members_rules().to_string(),
        ),
        ("COMMONS_RATE_LIMITS", "false".to_string()),
        ("COMMONS_LOG", "warn".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    vars
}

fn run_cli(vars: &[(String, String)], args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .envs(vars.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start commons");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("commons ran");
    assert!(
        out.status.success(),
        "commons {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `commons serve` process, killed when dropped.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(vars: Vec<(String, String)>, dir: tempfile::TempDir) -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .arg("serve")
            .envs(vars)
            .env("COMMONS_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start commons serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = http.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "commons serve did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn kill(&mut self) {
        // SIGKILL: no shutdown code runs.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn gql(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Option<Value> {
    let mut req = http
        .post(format!("{base}/graphql"))
        .timeout(Duration::from_secs(20))
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let body: Value = req.send().await.ok()?.json().await.ok()?;
    body.get("errors").is_none().then(|| body["data"].clone())
}

/// Signs the admin in and opens a thread; returns (token, thread id).
async fn admin_thread(http: &reqwest::Client, base: &str) -> (String, String) {
    let signed = gql(
        http,
        base,
        None,
        "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
        json!({ "e": ADMIN_EMAIL, "p": PASSWORD }),
    )
    .await
    .expect("sign in");
    let token = signed["signIn"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let category = gql(
        http,
        base,
        Some(&token),
        "mutation { createCategory(input: { name: \"Operations\" }) { id } }",
        json!({}),
    )
    .await
    .expect("category");
    let thread = gql(
        http,
        base,
        Some(&token),
        "mutation($c: ID!) { createThread(input: { categoryId: $c, title: \"Load test\", body: \"Replies follow.\", tags: [] }) { id } }",
        json!({ "c": category["createCategory"]["id"] }),
    )
    .await
    .expect("thread");
    (
        token,
        thread["createThread"]["id"]
            .as_str()
            .expect("id")
            .to_string(),
    )
}

fn create_admin(vars: &[(String, String)]) {
    run_cli(
        vars,
        &[
            "user",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--name",
            "Ops Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
}

#[tokio::test]
async fn a_killed_replicas_jobs_are_finished_by_the_other() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        return; // Replicas share PostgreSQL; SQLite has one process.
    };
    let name = format!("t_replicas_{}", uuid::Uuid::new_v4().simple());
    commons::db::ensure_postgres_database(&admin_url, &name)
        .await
        .expect("create database");
    let db_url = replace_database(&admin_url, &name);
    let smtp_port = free_port();
    let sink = SmtpSink::start(smtp_port);
    let replica_env = |id: &str, dir: &std::path::Path| {
        env_for(
            &db_url,
            dir,
            &[
                ("COMMONS_REPLICA_ID", id.to_string()),
                ("COMMONS_JOB_LEASE_SECONDS", "3".to_string()),
                ("COMMONS_MAILER", "smtp".to_string()),
                ("COMMONS_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
            ],
        )
    };
    let dir_a = tempfile::tempdir().expect("dir");
    let dir_b = tempfile::tempdir().expect("dir");
    create_admin(&replica_env("setup", dir_a.path()));
    let env_a = replica_env("replica-a", dir_a.path());
    let env_b = replica_env("replica-b", dir_b.path());
    let a = Arc::new(Mutex::new(Some(Server::start(env_a, dir_a).await)));
    let b = Server::start(env_b, dir_b).await;
    let base_a = a.lock().expect("a").as_ref().expect("a").base.clone();
    let base_b = b.base.clone();
    let http = reqwest::Client::new();
    let (token, thread) = admin_thread(&http, &base_b).await;

    // Mixed load: replies, edits and reset mail through both replicas.
    let a_alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let acked: Arc<Mutex<BTreeMap<i64, String>>> = Arc::default();
    let mails_acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..3 {
        let (http, token, thread) = (http.clone(), token.clone(), thread.clone());
        let (base_a, base_b) = (base_a.clone(), base_b.clone());
        let (a_alive, acked, mails_acked) = (a_alive.clone(), acked.clone(), mails_acked.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..24 {
                let use_a = (w + n) % 2 == 0 && a_alive.load(std::sync::atomic::Ordering::SeqCst);
                let base = if use_a { &base_a } else { &base_b };
                let body = format!("writer {w} reply {n}");
                let Some(d) = gql(
                    &http,
                    base,
                    Some(&token),
                    "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
                    json!({ "i": { "threadId": thread, "body": body } }),
                )
                .await
                else {
                    continue;
                };
                let id: i64 = d["createPost"]["id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("post id");
                acked.lock().expect("acked").insert(id, body.clone());
                if n % 3 == 0 {
                    let edited = format!("{body}, edited");
                    if gql(
                        &http,
                        base,
                        Some(&token),
                        "mutation($i: EditPostInput!) { editPost(input: $i) { id } }",
                        json!({ "i": { "postId": id.to_string(), "body": edited } }),
                    )
                    .await
                    .is_some()
                    {
                        acked.lock().expect("acked").insert(id, edited);
                    }
                }
                if n % 4 == 0
                    && gql(
                        &http,
                        base,
                        None,
                        "mutation($e: String!) { requestPasswordReset(email: $e) }",
                        json!({ "e": ADMIN_EMAIL }),
                    )
                    .await
                    .is_some()
                {
                    mails_acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a_alive.store(false, std::sync::atomic::Ordering::SeqCst);
    if let Some(mut killed) = a.lock().expect("a").take() {
        killed.kill();
    }
    for writer in writers {
        writer.await.expect("writer");
    }

    // The survivor finishes everything, the killed replica's leased jobs
    // included, within the (3 s) lease and some slack.
    let db = Database::connect(db_url.as_str()).await.expect("connect");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open = scalar(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')",
        )
        .await;
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} jobs still open after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM jobs WHERE status = 'failed'").await,
        0
    );

    // Nothing acknowledged is lost, and each post holds its last version.
    let acked = acked.lock().expect("acked").clone();
    assert!(acked.len() > 10, "the load ran: {}", acked.len());
    for (id, body) in &acked {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT body FROM forum_posts WHERE id = {id}"),
            ))
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("acknowledged post {id} is missing"));
        assert_eq!(&row.try_get::<String>("", "body").expect("body"), body);
    }

    // Search updates for one item ran in the order they were enqueued.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT ordering_key, finished_at FROM jobs
             WHERE kind = 'search.index' AND ordering_key IS NOT NULL ORDER BY ordering_key, id"
                .to_string(),
        ))
        .await
        .expect("search jobs");
    let mut last: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
    for row in rows {
        let key: String = row.try_get("", "ordering_key").expect("key");
        let at: chrono::DateTime<chrono::Utc> = row.try_get("", "finished_at").expect("finished");
        if let Some(previous) = last.insert(key.clone(), at) {
            assert!(previous <= at, "{key} was indexed out of order");
        }
    }

    // Every reset mail went out. Mail is delivered at least once: a message
    // the killed replica handed to SMTP before its job settled goes out
    // again, with the same Message-ID, from the replica that took the job
    // over. Only such a job (claimed more than once) may repeat.
    let retried_mail_jobs = scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'mail' AND status = 'done' AND attempts > 1",
    )
    .await;
    let mail_jobs = scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'mail' AND status = 'done'",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while (sink.message_ids().len() as i64) < mail_jobs && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ids = sink.message_ids();
    let mut seen = std::collections::HashSet::new();
    let repeated: Vec<&String> = ids.iter().filter(|id| !seen.insert(*id)).collect();
    assert!(
        repeated.len() as i64 <= retried_mail_jobs,
        "mail sent twice without a crash between delivery and settling: {repeated:?}"
    );
    assert_eq!(seen.len() as i64, mail_jobs, "every mail job delivered");
    assert!(mail_jobs as usize >= mails_acked.load(std::sync::atomic::Ordering::SeqCst));

    drop(b);
    db.close().await.expect("close");
    if let Ok(admin) = Database::connect(admin_url.as_str()).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

#[tokio::test]
async fn a_backup_taken_while_replies_stream_in_holds_every_acknowledged_reply() {
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("commons.db");
    let db_url = format!("sqlite://{}?mode=rwc", db_path.display());
    let vars = env_for(
        &db_url,
        dir.path(),
        &[("COMMONS_MAILER", "memory".to_string())],
    );
    create_admin(&vars);
    let server = Server::start(vars.clone(), tempfile::tempdir().expect("unused dir")).await;
    let http = reqwest::Client::new();
    let (token, thread) = admin_thread(&http, &server.base).await;

    let acked: Arc<Mutex<Vec<(Instant, i64)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (http, base, acked, stop) = (
            http.clone(),
            server.base.clone(),
            acked.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                if let Some(d) = gql(
                    &http,
                    &base,
                    Some(&token),
                    "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
                    json!({ "i": { "threadId": thread, "body": format!("streamed reply {n}") } }),
                )
                .await
                {
                    let id = d["createPost"]["id"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .expect("id");
                    acked.lock().expect("acked").push((Instant::now(), id));
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let backup = dir.path().join("backups").join("commons-backup.db");
    let began = Instant::now();
    let backup_vars = vars.clone();
    let backup_path = backup.clone();
    tokio::task::spawn_blocking(move || {
        run_cli(
            &backup_vars,
            &["backup", "--to", backup_path.to_str().expect("path")],
            "",
        )
    })
    .await
    .expect("backup ran");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.expect("writer");
    let before: Vec<i64> = acked
        .lock()
        .expect("acked")
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| *id)
        .collect();
    assert!(
        !before.is_empty(),
        "replies were acknowledged before the backup"
    );

    // Restore into a fresh data directory.
    let fresh = tempfile::tempdir().expect("fresh dir");
    let restored_url = format!(
        "sqlite://{}?mode=rwc",
        fresh.path().join("commons.db").display()
    );
    let restore_vars = env_for(
        &restored_url,
        fresh.path(),
        &[("COMMONS_MAILER", "memory".to_string())],
    );
    let out = tokio::task::spawn_blocking(move || {
        run_cli(
            &restore_vars,
            &["restore", "--from", backup.to_str().expect("path")],
            "",
        )
    })
    .await
    .expect("restore ran");
    assert!(out.contains("search rebuilt"), "{out}");
    assert!(
        fresh.path().join("search").is_dir(),
        "the search index is rebuilt"
    );

    let db = Database::connect(restored_url.as_str())
        .await
        .expect("open restored");
    for id in before {
        let found = scalar(
            &db,
            &format!("SELECT COUNT(*) FROM forum_posts WHERE id = {id}"),
        )
        .await;
        assert_eq!(
            found, 1,
            "reply {id}, acknowledged before the backup, is missing"
        );
    }
    db.close().await.expect("close");
    drop(server);
}
