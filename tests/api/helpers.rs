//! Test harness: builds the app on a fresh database (a temp SQLite file, or
//! a uniquely named PostgreSQL database), a memory mailer and a fresh search
//! index, and talks GraphQL to it over real HTTP on port 0.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use commons::{
    App, BuildOptions,
    config::Config,
    context::AppContext,
    jobs::{Registry, worker::Worker},
    mail::SentMail,
};
use poem::listener::{Acceptor, Listener, TcpListener};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The one number a query such as `SELECT COUNT(*) …` returns.
pub async fn scalar(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("count")
}

/// SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        backends.push(Backend::Postgres);
    }
    backends
}

/// Runs `test` on SQLite, then on PostgreSQL when `TEST_DATABASE_URL` is set.
pub async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let app = TestApp::spawn(backend, &[]).await;
        test(app.clone()).await;
        app.shutdown().await;
    }
}

/// Like [`on_each_backend`], with extra `COMMONS_*` variables.
pub async fn on_each_backend_with<F, Fut>(vars: &[(&str, &str)], test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let app = TestApp::spawn(backend, vars).await;
        test(app.clone()).await;
        app.shutdown().await;
    }
}

/// A moderation directory with the shipped rules, except that nobody
/// counts as a new member: no first posts held for review, no new-member
/// link or thread limits. For tests of the forum itself; the moderation
/// tests use the shipped rules.
pub fn trusted_members_rules() -> &'static str {
    static DIR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let shipped = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/moderation/limits.toml"
        ))
        .expect("shipped limits.toml");
        let mut limits = String::new();
        let mut replaced = 0;
        for line in shipped.lines() {
            if line.starts_with("new_user_post_threshold") || line.starts_with("hold_first_posts") {
                let key = line.split('=').next().unwrap_or_default().trim();
                limits.push_str(&format!("{key} = 0\n"));
                replaced += 1;
            } else {
                limits.push_str(line);
                limits.push('\n');
            }
        }
        assert_eq!(replaced, 2, "limits.toml changed shape");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("trusted-members-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("rules dir");
        std::fs::write(dir.join("limits.toml"), limits).expect("limits.toml");
        dir.display().to_string()
    })
}

/// Like [`on_each_backend`], with [`trusted_members_rules`].
pub async fn on_each_backend_trusted<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    on_each_backend_with(&[("COMMONS_MODERATION_DIR", trusted_members_rules())], test).await
}

struct Inner {
    backend: Backend,
    addr: SocketAddr,
    ctx: AppContext,
    jobs: Arc<Registry>,
    http: reqwest::Client,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    server: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    pg_database: Option<(String, String)>,
    statements: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
pub struct TestApp(Arc<Inner>);

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestApp {
    pub async fn spawn(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
        Self::spawn_with(backend, extra, BuildOptions::default()).await
    }

    /// An app whose search engine is `search` (e.g. one that can be taken down).
    pub async fn spawn_with_search(
        backend: Backend,
        search: std::sync::Arc<dyn commons::search::SearchIndex>,
    ) -> TestApp {
        let options = BuildOptions {
            search: Some(search),
            ..Default::default()
        };
        Self::spawn_with(
            backend,
            &[("COMMONS_MODERATION_DIR", trusted_members_rules())],
            options,
        )
        .await
    }

    pub async fn spawn_with(
        backend: Backend,
        extra: &[(&str, &str)],
        options: BuildOptions,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut pg_database = None;
        let database_url = match backend {
            Backend::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("commons.db").display()
            ),
            Backend::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!(
                    "t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    uuid::Uuid::new_v4()
                        .simple()
                        .to_string()
                        .get(..8)
                        .unwrap_or("x")
                );
                commons::db::ensure_postgres_database(&admin, &name)
                    .await
                    .expect("create test database");
                let url = replace_database(&admin, &name);
                pg_database = Some((admin, name));
                url
            }
        };
        let mut vars: HashMap<String, String> = [
            ("COMMONS_ENV", "test"),
            ("COMMONS_MAILER", "memory"),
            ("COMMONS_WORKER", "false"),
            ("COMMONS_BIND", "127.0.0.1:0"),
            ("COMMONS_PUBLIC_URL", "http://commons.test"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.insert("COMMONS_DATA_DIR".into(), dir.path().display().to_string());
        vars.insert("COMMONS_DATABASE_URL".into(), database_url);
        vars.insert(
            "COMMONS_MODERATION_DIR".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/moderation").into(),
        );
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_lookup(&|k| vars.get(k).cloned()).expect("test config");
        Self::start(backend, config, options, dir, pg_database).await
    }

    /// A second server on this app's database (a replica behind the same
    /// load balancer), with its own data directory and caches. Shutting it
    /// down leaves the database to this app.
    pub async fn spawn_replica(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = (*self.ctx().config).clone();
        config.data_dir = dir.path().to_path_buf();
        config.search = commons::config::SearchConfig::Tantivy(dir.path().join("search"));
        config.replica_id = format!("{}-replica", config.replica_id);
        Self::start(self.backend(), config, BuildOptions::default(), dir, None).await
    }

    async fn start(
        backend: Backend,
        config: Config,
        options: BuildOptions,
        dir: tempfile::TempDir,
        pg_database: Option<(String, String)>,
    ) -> TestApp {
        // Every app counts its SQL statements (tests of N+1 behaviour),
        // unless the caller brought its own counter.
        let mut options = options;
        let statements = options
            .statement_counter
            .get_or_insert_with(|| Arc::new(AtomicU64::new(0)))
            .clone();
        let bind = config.bind;
        let app = App::build_with(config, options).await.expect("build app");
        let ctx = app.ctx.clone();
        let jobs = app.jobs.clone();
        // Port 0 unless a test needs a known address (COMMONS_BIND).
        let acceptor = TcpListener::bind(bind.to_string())
            .into_acceptor()
            .await
            .expect("bind");
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .expect("local addr");
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = app
                .serve_on(acceptor, async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
        let http = reqwest::Client::builder()
            .cookie_store(false)
            .build()
            .expect("http client");
        TestApp(Arc::new(Inner {
            backend,
            addr,
            ctx,
            jobs,
            http,
            stop: std::sync::Mutex::new(Some(stop_tx)),
            server: std::sync::Mutex::new(Some(server)),
            pg_database,
            statements,
            _dir: dir,
        }))
    }

    pub async fn shutdown(&self) {
        let stop = self.0.stop.lock().ok().and_then(|mut s| s.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let server = self.0.server.lock().ok().and_then(|mut s| s.take());
        if let Some(server) = server {
            let _ = server.await;
        }
        if let Some((admin, name)) = &self.0.pg_database
            && let Ok(db) = sea_orm::Database::connect(admin.as_str()).await
        {
            use sea_orm::ConnectionTrait;
            let _ = db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            let _ = db.close().await;
        }
    }

    /// SQL statements the app has run so far (all connections).
    pub fn statements(&self) -> u64 {
        self.0.statements.load(Ordering::SeqCst)
    }

    /// Records a shared change, as a mutation does once it has run: for
    /// tests that write through services or SQL directly and then read
    /// through the API (whose forum reads are cached until a change).
    pub fn changed(&self) {
        self.ctx().changes.apply(commons::changes::Change::Shared);
    }

    pub fn backend(&self) -> Backend {
        self.0.backend
    }

    /// What the worker runs: job handlers and schedulers.
    pub fn jobs(&self) -> Arc<Registry> {
        self.0.jobs.clone()
    }

    /// A worker of this app, as `commons serve` runs one.
    pub fn worker(&self) -> Worker {
        Worker::new(self.0.ctx.clone(), self.jobs())
    }

    /// The worker's scheduler tick: at most once a minute of the app's clock.
    pub async fn housekeeping_tick(&self) {
        self.0
            .jobs
            .housekeeping_tick(&self.0.ctx)
            .await
            .expect("scheduler tick");
    }

    /// Every scheduler, unthrottled.
    pub async fn run_schedulers(&self) {
        self.0
            .jobs
            .run_schedulers(&self.0.ctx)
            .await
            .expect("schedulers");
    }

    pub fn ctx(&self) -> &AppContext {
        &self.0.ctx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.0.addr, path)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// Sends a GraphQL request, optionally with a bearer token; returns the
    /// JSON body (whatever the status).
    pub async fn gql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .0
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("request");
        resp.json().await.expect("json body")
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(None, query, variables).await
    }

    /// Runs the job queue until nothing is due.
    pub async fn run_jobs(&self) -> usize {
        self.worker().run_until_idle().await.expect("jobs run")
    }

    pub fn mail(&self) -> Vec<SentMail> {
        self.0.ctx.mailer.sent()
    }

    pub fn mail_to(&self, email: &str) -> Vec<SentMail> {
        self.mail().into_iter().filter(|m| m.to == email).collect()
    }

    /// The `token=` value of the last link mailed to `email` under `path`.
    pub fn token_from_mail(&self, email: &str, path: &str) -> String {
        let mails = self.mail_to(email);
        let needle = format!("/{path}?token=");
        let text = mails
            .iter()
            .rev()
            .find(|m| m.text.contains(&needle))
            .map(|m| m.text.clone())
            .unwrap_or_else(|| panic!("no {path} mail for {email}: {mails:?}"));
        let start = text.find(&needle).map(|i| i + needle.len()).unwrap_or(0);
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// Signs up through the API, verifies via the mailed link, signs in.
    pub async fn researcher(&self, handle: &str) -> Session {
        let email = format!("{handle}@researchallofus.org");
        let resp = self
            .gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": email, "password": PASSWORD, "displayName": handle, "handle": handle } }),
            )
            .await;
        assert_no_errors(&resp);
        self.run_jobs().await;
        let token = self.token_from_mail(&email, "verify");
        let resp = self
            .gql(
                "mutation($t: String!) { verifyEmail(token: $t) { id } }",
                json!({ "t": token }),
            )
            .await;
        assert_no_errors(&resp);
        self.sign_in(&email).await
    }

    /// A verified account with `roles` and `tier`, created the way the CLI does.
    pub async fn user_with(
        &self,
        handle: &str,
        roles: &[commons::identity::Role],
        tier: commons::identity::Tier,
    ) -> Session {
        let email = format!("{handle}@researchallofus.org");
        commons::auth::service::create_account(
            self.ctx(),
            commons::auth::service::NewAccount {
                sign_up: commons::auth::service::SignUp {
                    email: email.clone(),
                    password: PASSWORD.into(),
                    display_name: handle.into(),
                    institution: None,
                    handle: Some(handle.into()),
                },
                roles: commons::identity::Roles::new(roles.iter().copied()),
                tier,
                verified: true,
            },
        )
        .await
        .expect("create account");
        self.sign_in(&email).await
    }

    pub async fn admin(&self, handle: &str) -> Session {
        use commons::identity::{Role, Tier};
        self.user_with(handle, &[Role::Admin, Role::Researcher], Tier::Controlled)
            .await
    }

    pub async fn moderator(&self, handle: &str) -> Session {
        use commons::identity::{Role, Tier};
        self.user_with(
            handle,
            &[Role::Moderator, Role::Researcher],
            Tier::Registered,
        )
        .await
    }

    pub async fn reviewer(&self, handle: &str) -> Session {
        use commons::identity::{Role, Tier};
        self.user_with(handle, &[Role::Reviewer], Tier::Controlled)
            .await
    }

    pub async fn sign_in(&self, email: &str) -> Session {
        self.sign_in_with(email, PASSWORD).await
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) -> Session {
        let resp = self
            .gql(
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token user { id handle } } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        assert_no_errors(&resp);
        Session {
            app: self.clone(),
            token: resp["data"]["signIn"]["token"]
                .as_str()
                .expect("token")
                .to_string(),
            id: resp["data"]["signIn"]["user"]["id"]
                .as_str()
                .expect("id")
                .to_string(),
            handle: resp["data"]["signIn"]["user"]["handle"]
                .as_str()
                .expect("handle")
                .to_string(),
            email: email.to_string(),
        }
    }
}

/// A signed-in user.
#[derive(Clone)]
pub struct Session {
    pub app: TestApp,
    pub token: String,
    pub id: String,
    pub handle: String,
    pub email: String,
}

impl Session {
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql_with(Some(&self.token), query, variables).await
    }

    /// Like `gql`, asserting success and returning `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let resp = self.gql(query, variables).await;
        assert_no_errors(&resp);
        resp["data"].clone()
    }

    /// Like `ok`, sent with `Cache-Control: no-cache` so the server executes
    /// it whatever its response cache holds: for counting statements.
    pub async fn ok_executed(&self, query: &str, variables: Value) -> Value {
        let resp: Value = self
            .app
            .http()
            .post(self.app.url("/graphql"))
            .bearer_auth(&self.token)
            .header("cache-control", "no-cache")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json body");
        assert_no_errors(&resp);
        resp["data"].clone()
    }

    pub fn id_num(&self) -> i64 {
        self.id.parse().expect("numeric id")
    }
}

pub fn replace_database(url: &str, name: &str) -> String {
    match url.rfind('/') {
        Some(i) if url[..i].contains("://") && i > url.find("://").map(|j| j + 2).unwrap_or(0) => {
            let (base, rest) = url.split_at(i);
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            format!("{base}/{name}{query}")
        }
        _ => format!("{url}/{name}"),
    }
}

#[track_caller]
pub fn assert_no_errors(resp: &Value) {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp:#}");
}

/// The `extensions.code` of the first error.
#[track_caller]
pub fn error_code(resp: &Value) -> String {
    resp["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {resp:#}"))
        .to_string()
}

#[track_caller]
pub fn assert_code(resp: &Value, code: &str) {
    assert_eq!(error_code(resp), code, "{resp:#}");
}

impl TestApp {
    /// Makes `session`'s account `days` old: a member of standing.
    pub async fn backdate_account(&self, session: &Session, days: i64) {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
        let user = commons::entities::user::Entity::find_by_id(session.id_num())
            .one(&self.ctx().db)
            .await
            .expect("user")
            .expect("exists");
        let mut active: commons::entities::user::ActiveModel = user.into();
        active.created_at = Set(self.ctx().clock.now() - chrono::Duration::days(days));
        active.update(&self.ctx().db).await.expect("backdate");
    }
}
