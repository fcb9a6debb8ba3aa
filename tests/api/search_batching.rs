//! The indexer keeps up with the forum: due search jobs are coalesced into
//! few engine writes, each document ends at its last committed version, and
//! a document the engine refuses fails only its own job. On tantivy always,
//! and on Meilisearch as well when `MEILI_URL` and `MEILI_MASTER_KEY` are
//! set; on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_trait::async_trait;
use commons::{
    BuildOptions,
    search::{
        IndexChanges, IndexRebuild, MeiliIndex, SearchError, SearchIndex, SearchQuery,
        SearchResults, StuckTask, tantivy_index::TantivyIndex,
    },
};
use serde_json::{Value, json};

use crate::helpers::*;

const SEARCH: &str = "query($q: String!) { search(query: $q, kinds: [THREAD]) { total } }";

/// An engine under test, and what removes it afterwards.
struct Engine {
    index: Arc<dyn SearchIndex>,
    meili: Option<Arc<MeiliIndex>>,
    _dir: Option<tempfile::TempDir>,
}

impl Engine {
    async fn cleanup(&self) {
        if let Some(meili) = &self.meili
            && let Err(err) = meili.destroy().await
        {
            eprintln!("cleaning up Meilisearch test indexes: {err}");
        }
    }
}

/// A fresh tantivy index, and a fresh Meilisearch index when one is configured.
fn engines() -> Vec<Engine> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let dir = tempfile::tempdir().expect("index dir");
    let tantivy = TantivyIndex::open(dir.path()).expect("tantivy");
    let mut engines = vec![Engine {
        index: Arc::new(tantivy),
        meili: None,
        _dir: Some(dir),
    }];
    let url = std::env::var("MEILI_URL").ok().filter(|s| !s.is_empty());
    let key = std::env::var("MEILI_MASTER_KEY")
        .ok()
        .filter(|s| !s.is_empty());
    if let (Some(url), Some(key)) = (url, key) {
        let prefix = format!(
            "batch_{}_{}_{}_",
            std::process::id(),
            uuid::Uuid::new_v4().simple(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let meili = Arc::new(MeiliIndex::new(&url, Some(&key), &prefix).expect("meili client"));
        engines.push(Engine {
            index: meili.clone(),
            meili: Some(meili),
            _dir: None,
        });
    }
    engines
}

/// Counts the writes that reach the engine, and refuses any document whose
/// text holds `refuse`, as Meilisearch refuses a malformed document.
struct Counting {
    inner: Arc<dyn SearchIndex>,
    writes: AtomicUsize,
    upserts: AtomicUsize,
    refuse: Option<&'static str>,
    /// A task the engine reports stuck.
    stuck: std::sync::Mutex<Option<StuckTask>>,
}

impl Counting {
    fn new(inner: Arc<dyn SearchIndex>, refuse: Option<&'static str>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            writes: AtomicUsize::new(0),
            upserts: AtomicUsize::new(0),
            refuse,
            stuck: std::sync::Mutex::new(None),
        })
    }

    fn reset(&self) {
        self.writes.store(0, Ordering::SeqCst);
        self.upserts.store(0, Ordering::SeqCst);
    }

    fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    fn upserts(&self) -> usize {
        self.upserts.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl SearchIndex for Counting {
    fn engine(&self) -> &'static str {
        self.inner.engine()
    }
    async fn prepare(&self) -> Result<(), SearchError> {
        self.inner.prepare().await
    }
    async fn health(&self) -> Result<(), SearchError> {
        self.inner.health().await
    }
    async fn apply(&self, changes: IndexChanges) -> Result<(), SearchError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if let Some(word) = self.refuse
            && changes.upserts.iter().any(|d| d.body.contains(word))
        {
            return Err(SearchError::Rejected("invalid document".into()));
        }
        self.upserts
            .fetch_add(changes.upserts.len(), Ordering::SeqCst);
        self.inner.apply(changes).await
    }
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.inner.search(query).await
    }
    fn stuck_task(&self) -> Option<StuckTask> {
        self.stuck.lock().ok().and_then(|s| s.clone())
    }
    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild>, SearchError> {
        self.inner.begin_rebuild().await
    }
}

/// Runs `test` on every database and every engine, with index batches of
/// `batch` documents.
async fn on_each_engine<F, Fut>(batch: usize, refuse: Option<&'static str>, test: F)
where
    F: Fn(TestApp, Arc<Counting>) -> Fut,
    Fut: Future<Output = ()>,
{
    let batch = batch.to_string();
    for backend in backends() {
        for engine in engines() {
            // As `commons serve` does on start: the index and its settings.
            engine.index.prepare().await.expect("prepare the engine");
            let counting = Counting::new(engine.index.clone(), refuse);
            let options = BuildOptions {
                search: Some(counting.clone()),
                ..Default::default()
            };
            let app = TestApp::spawn_with(
                backend,
                &[
                    ("COMMONS_MODERATION_DIR", trusted_members_rules()),
                    ("COMMONS_INDEX_BATCH", batch.as_str()),
                    ("COMMONS_RATE_LIMITS", "false"),
                ],
                options,
            )
            .await;
            test(app.clone(), counting).await;
            app.shutdown().await;
            engine.cleanup().await;
        }
    }
}

/// A category and a thread in it; returns the thread's and its post's ids.
async fn thread(app: &TestApp, author: &Session, title: &str, body: &str) -> (String, String) {
    let admin = app.admin("admin").await;
    let category = admin
        .ok(
            "mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }",
            json!({ "i": { "name": "Methods" } }),
        )
        .await["createCategory"]["id"]
        .clone();
    let data = author
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id firstPost { id } } }",
            json!({ "i": { "categoryId": category, "title": title, "body": body } }),
        )
        .await;
    let id = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        id(&data["createThread"]["id"]),
        id(&data["createThread"]["firstPost"]["id"]),
    )
}

async fn reply(author: &Session, thread: &str, body: &str) {
    author
        .ok(
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({ "i": { "threadId": thread, "body": body } }),
        )
        .await;
}

async fn found(session: &Session, q: &str) -> i64 {
    session.ok(SEARCH, json!({ "q": q })).await["search"]["total"]
        .as_i64()
        .unwrap_or(-1)
}

/// Search jobs in `status`.
async fn index_jobs(app: &TestApp, status: &str) -> usize {
    let sql =
        format!("SELECT COUNT(*) FROM jobs WHERE kind = 'search.index' AND status = '{status}'");
    scalar(&app.ctx().db, &sql).await as usize
}

#[tokio::test]
async fn queued_index_jobs_reach_the_engine_in_batches() {
    on_each_engine(10, None, |app, engine| async move {
        let author = app.researcher("author").await;
        let (thread_id, _) = thread(
            &app,
            &author,
            "Batching replies",
            "Opening post about cohorts",
        )
        .await;
        app.run_jobs().await;
        engine.reset();

        for i in 0..25 {
            reply(&author, &thread_id, &format!("Reply marker{i} on cohorts")).await;
        }
        let queued = index_jobs(&app, "pending").await;
        assert!(queued >= 25, "one job per reply at least: {queued}");
        app.run_jobs().await;

        let batches = queued.div_ceil(10);
        assert!(
            engine.writes() <= batches,
            "{queued} jobs in batches of 10 take at most {batches} engine writes, took {}",
            engine.writes()
        );
        assert_eq!(engine.upserts(), 25, "each reply is written once");
        assert_eq!(index_jobs(&app, "pending").await, 0);
        assert_eq!(index_jobs(&app, "running").await, 0);
        for i in [0, 12, 24] {
            assert_eq!(found(&author, &format!("marker{i}")).await, 1, "reply {i}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_document_edited_within_one_batch_ends_at_its_last_version() {
    on_each_engine(100, None, |app, engine| async move {
        let author = app.researcher("author").await;
        let (_, post) = thread(&app, &author, "Edits", "first draft mentions aardvark").await;
        app.run_jobs().await;
        engine.reset();

        for word in ["bison", "caribou", "dromedary", "elephant"] {
            author
                .ok(
                    "mutation($i: EditPostInput!) { editPost(input: $i) { id } }",
                    json!({ "i": { "postId": post, "body": format!("draft mentions {word}") } }),
                )
                .await;
        }
        let queued = index_jobs(&app, "pending").await;
        assert!(queued >= 4, "a job per edit at least: {queued}");
        app.run_jobs().await;

        assert_eq!(engine.writes(), 1, "four edits of one post, one write");
        assert_eq!(engine.upserts(), 1);
        assert_eq!(index_jobs(&app, "pending").await, 0);
        assert!(index_jobs(&app, "done").await >= queued);
        assert_eq!(found(&author, "elephant").await, 1, "the last edit wins");
        for earlier in ["aardvark", "bison", "caribou", "dromedary"] {
            assert_eq!(found(&author, earlier).await, 0, "{earlier} is gone");
        }

        // An edit made after the batch was taken is applied by a later one.
        author
            .ok(
                "mutation($i: EditPostInput!) { editPost(input: $i) { id } }",
                json!({ "i": { "postId": post, "body": "draft mentions flamingo" } }),
            )
            .await;
        app.run_jobs().await;
        assert_eq!(found(&author, "flamingo").await, 1);
        assert_eq!(found(&author, "elephant").await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_refused_document_fails_only_its_own_job() {
    on_each_engine(100, Some("malformedpayload"), |app, engine| async move {
        let author = app.researcher("author").await;
        let (thread_id, _) = thread(&app, &author, "Isolation", "Opening post").await;
        app.run_jobs().await;
        engine.reset();

        for i in 0..5 {
            let body = if i == 2 {
                "Reply with malformedpayload inside".to_string()
            } else {
                format!("Reply goodreply{i}")
            };
            reply(&author, &thread_id, &body).await;
        }
        app.run_jobs().await;

        assert_eq!(
            index_jobs(&app, "failed").await,
            1,
            "only the refused job fails"
        );
        assert_eq!(index_jobs(&app, "pending").await, 0);
        for i in [0, 1, 3, 4] {
            assert_eq!(
                found(&author, &format!("goodreply{i}")).await,
                1,
                "reply {i}"
            );
        }
        assert_eq!(found(&author, "malformedpayload").await, 0);
        assert_eq!(engine.upserts(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_stuck_engine_task_shows_in_readiness_and_metrics_without_failing_them() {
    on_each_engine(100, None, |app, engine| async move {
        if let Ok(mut stuck) = engine.stuck.lock() {
            *stuck = Some(StuckTask {
                task: "917".into(),
                waited_seconds: 42,
            });
        }
        let ready = app
            .http()
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), 200, "searches and writes still work");
        let ready: Value = ready.json().await.expect("json");
        assert_eq!(ready["search"]["status"], "degraded", "{ready}");
        assert_eq!(ready["search"]["stuck_task"]["task"], "917");
        // The recorder is the process's: another test scraping at the same
        // moment may set the gauge from its own engine, so look a few times.
        let mut seen = String::new();
        for _ in 0..5 {
            seen = app
                .http()
                .get(app.url("/metrics"))
                .send()
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text");
            if seen.contains("commons_search_stuck_task_seconds 42") {
                break;
            }
        }
        assert!(
            seen.contains("commons_search_stuck_task_seconds 42"),
            "{seen}"
        );
    })
    .await;
}
