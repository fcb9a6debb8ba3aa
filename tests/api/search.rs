//! Search over GraphQL: what researchers type finds threads, workspaces and
//! profiles; visibility holds on every query; the outbox survives an engine
//! outage; and a full rebuild matches incremental indexing.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use commons::search::{
    IndexChanges, IndexRebuild, SearchError, SearchIndex, SearchQuery, SearchResults,
    tantivy_index::TantivyIndex,
};
use serde_json::{Value, json};

use crate::helpers::*;

const SEARCH: &str = "query($q: String!, $k: [SearchKind!], $f: SearchFiltersInput, $first: Int, $after: String) {
  search(query: $q, kinds: $k, filters: $f, first: $first, after: $after) {
    total
    facets { categories { value count } tags { value count } }
    hits { edges { cursor node { kind snippet thread { id title } post { id } workspace { id name } profile { user { id } } } }
           pageInfo { hasNextPage endCursor } }
  }
}";

async fn category(admin: &Session, name: &str) -> String {
    admin
        .ok(
            "mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }",
            json!({ "i": { "name": name } }),
        )
        .await["createCategory"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn thread(
    author: &Session,
    category: &str,
    title: &str,
    body: &str,
    tags: &[&str],
) -> (String, String) {
    let data = author
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id firstPost { id } } }",
            json!({ "i": { "categoryId": category, "title": title, "body": body, "tags": tags } }),
        )
        .await;
    (
        data["createThread"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        data["createThread"]["firstPost"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

async fn search(session: &Session, q: &str, extra: Value) -> Value {
    let mut vars = json!({ "q": q });
    if let (Some(vars), Some(extra)) = (vars.as_object_mut(), extra.as_object()) {
        vars.extend(extra.clone());
    }
    session.ok(SEARCH, vars).await["search"].clone()
}

fn thread_titles(results: &Value) -> Vec<String> {
    results["hits"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["thread"]["title"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn researchers_find_threads_with_typos_prefixes_and_filters() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("admin").await;
        let genomics = category(&admin, "Genomics").await;
        let billing = category(&admin, "Billing").await;
        admin
            .ok("mutation { createTag(name: \"hail\") { id } }", json!({}))
            .await;
        let priya = app.researcher("priya").await;
        let (hail, _) = thread(
            &priya,
            &genomics,
            "Running Hail on genomics short reads",
            "How do I load the **v7** VDS into Hail?",
            &["hail"],
        )
        .await;
        thread(
            &priya,
            &billing,
            "Initial credits ran out",
            "Our hypertension cohort notebook used all credits.",
            &[],
        )
        .await;
        app.run_jobs().await;

        let exact = search(&priya, "genomics", json!({})).await;
        assert_eq!(
            thread_titles(&exact),
            vec!["Running Hail on genomics short reads"]
        );
        let typo = search(&priya, "genomcis", json!({})).await;
        assert_eq!(
            thread_titles(&typo),
            vec!["Running Hail on genomics short reads"],
            "one typo is forgiven"
        );
        let prefix = search(&priya, "hypert", json!({})).await;
        assert_eq!(
            thread_titles(&prefix),
            vec!["Initial credits ran out"],
            "the last word is a prefix"
        );
        let snippet = prefix["hits"]["edges"][0]["node"]["snippet"]
            .as_str()
            .unwrap_or("");
        assert!(snippet.contains("<mark>"), "{snippet}");

        let filtered = search(
            &priya,
            "credits",
            json!({ "f": { "category": "genomics" } }),
        )
        .await;
        assert_eq!(filtered["total"], 0);
        let tagged = search(&priya, "hail", json!({ "f": { "tags": ["hail"] } })).await;
        assert_eq!(
            tagged["hits"]["edges"][0]["node"]["thread"]["id"],
            hail.as_str()
        );
        let facets = search(&priya, "", json!({})).await;
        let categories = facets["facets"]["categories"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(categories.len(), 2, "{facets:#}");

        let anonymous = app.gql(SEARCH, json!({ "q": "genomics" })).await;
        assert_code(&anonymous, "UNAUTHENTICATED");
    })
    .await;
}

#[tokio::test]
async fn an_edit_is_what_search_returns_and_deleted_posts_leave() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("admin").await;
        let cat = category(&admin, "Data & Methods").await;
        let author = app.researcher("author").await;
        let (_, first_post) = thread(&author, &cat, "Survival analysis question", "Kaplan Meier curves for sarcoidosis", &[]).await;
        app.run_jobs().await;
        assert_eq!(search(&author, "sarcoidosis", json!({})).await["total"], 1);

        author
            .ok(
                "mutation($i: EditPostInput!) { editPost(input: $i) { id } }",
                json!({ "i": { "postId": first_post, "body": "Cox regression for pulmonary fibrosis" } }),
            )
            .await;
        app.run_jobs().await;
        assert_eq!(search(&author, "sarcoidosis", json!({})).await["total"], 0);
        assert_eq!(search(&author, "fibrosis", json!({})).await["total"], 1);

        author.ok("mutation($id: ID!) { deletePost(id: $id) { id } }", json!({ "id": first_post })).await;
        app.run_jobs().await;
        assert_eq!(search(&author, "fibrosis", json!({})).await["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn a_hidden_post_is_found_by_moderators_only() {
    on_each_backend_trusted(|app| async move {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
        let admin = app.admin("admin").await;
        let cat = category(&admin, "Getting Started").await;
        let author = app.researcher("author").await;
        let moderator = app.moderator("mod").await;
        let (_, post) = thread(
            &author,
            &cat,
            "Cohort Builder tips",
            "Use the concept set selector",
            &[],
        )
        .await;
        // A moderator hid it (through moderation; set directly here) and the
        // outbox carried the change.
        let post_id: i64 = post.parse().unwrap_or_default();
        let row = commons::entities::forum_post::Entity::find_by_id(post_id)
            .one(&app.ctx().db)
            .await
            .expect("load")
            .expect("post");
        let mut active: commons::entities::forum_post::ActiveModel = row.into();
        active.moderation_state = Set("hidden".into());
        active.update(&app.ctx().db).await.expect("hide");
        let txn = app.ctx().write().await.expect("begin");
        commons::indexer::enqueue(
            &txn,
            app.ctx().clock.now(),
            commons::indexer::Doc::Post(post_id),
        )
        .await
        .expect("enqueue");
        txn.commit().await.expect("commit");
        app.run_jobs().await;

        assert_eq!(
            search(&author, "concept", json!({})).await["total"],
            0,
            "a researcher cannot find it"
        );
        assert_eq!(
            search(&moderator, "concept", json!({})).await["total"],
            1,
            "a moderator can"
        );
    })
    .await;
}

#[tokio::test]
async fn a_controlled_tier_workspace_is_found_only_with_controlled_access() {
    on_each_backend_trusted(|app| async move {
        use commons::identity::{Role, Tier};
        let owner = app.user_with("owner", &[Role::Researcher], Tier::Controlled).await;
        let registered = app.researcher("registered").await;
        let controlled = app.user_with("controlled", &[Role::Researcher], Tier::Controlled).await;
        let created = owner
            .ok(
                "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }",
                json!({ "i": {
                    "name": "Long-read structural variants in cardiomyopathy",
                    "namespace": "aou-rw-lrsv",
                    "tier": "CONTROLLED",
                    "cdrVersion": "v7",
                    "dataTypes": ["GENOMICS_LONG_READ"],
                    "purpose": { "intendedStudy": "Structural variants in dilated cardiomyopathy. Contact owner@researchallofus.org", "purposes": ["DISEASE_FOCUSED"], "disease": "cardiomyopathy" }
                } }),
            )
            .await;
        let id = created["createWorkspace"]["id"].clone();
        owner
            .ok(
                "mutation($id: ID!, $c: PublishConsentInput!) { publishWorkspace(id: $id, consent: $c) { id } }",
                json!({ "id": id, "c": { "noHarmfulLanguage": true, "contactInfoInDescription": true, "collaboratorsAgreed": true } }),
            )
            .await;
        app.run_jobs().await;
        let kinds = json!({ "k": ["WORKSPACE"] });
        assert_eq!(search(&registered, "cardiomyopathy", kinds.clone()).await["total"], 0);
        let found = search(&controlled, "cardiomyopathy", kinds).await;
        assert_eq!(found["total"], 1);
        assert_eq!(found["hits"]["edges"][0]["node"]["workspace"]["id"], id);
    })
    .await;
}

/// The real tantivy index behind a switch that makes it unreachable.
struct Outage {
    inner: TantivyIndex,
    down: AtomicBool,
}

impl Outage {
    fn check(&self) -> Result<(), SearchError> {
        if self.down.load(Ordering::SeqCst) {
            Err(SearchError::Unavailable("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SearchIndex for Outage {
    fn engine(&self) -> &'static str {
        "tantivy"
    }
    async fn prepare(&self) -> Result<(), SearchError> {
        self.inner.prepare().await
    }
    async fn health(&self) -> Result<(), SearchError> {
        self.check()?;
        self.inner.health().await
    }
    async fn apply(&self, changes: IndexChanges) -> Result<(), SearchError> {
        self.check()?;
        self.inner.apply(changes).await
    }
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.check()?;
        self.inner.search(query).await
    }
    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild>, SearchError> {
        self.check()?;
        self.inner.begin_rebuild().await
    }
}

#[tokio::test]
async fn an_engine_outage_loses_no_update_and_keeps_their_order() {
    let dir = tempfile::tempdir().expect("index dir");
    let outage = Arc::new(Outage {
        inner: TantivyIndex::open(dir.path()).expect("tantivy"),
        down: AtomicBool::new(false),
    });
    let app = TestApp::spawn_with_search(Backend::Sqlite, outage.clone()).await;
    let admin = app.admin("admin").await;
    let cat = category(&admin, "Tools & Workbench").await;
    let author = app.researcher("author").await;

    outage.down.store(true, Ordering::SeqCst);
    // Posting still works while the engine is down.
    let (_, post) = thread(
        &author,
        &cat,
        "RStudio sessions time out",
        "My RStudio kernel dies after ten minutes",
        &[],
    )
    .await;
    author
        .ok(
            "mutation($i: EditPostInput!) { editPost(input: $i) { id } }",
            json!({ "i": { "postId": post, "body": "My SAS session dies after ten minutes" } }),
        )
        .await;
    app.run_jobs().await;
    let ready: Value = app
        .http()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "ready", "writes keep working: {ready}");
    assert_eq!(ready["search"]["status"], "unavailable");
    assert!(
        ready["jobs"]["pending"].as_i64().unwrap_or(0) >= 2,
        "the updates wait: {ready}"
    );
    let down = author.gql(SEARCH, json!({ "q": "rstudio" })).await;
    assert_code(&down, "UNAVAILABLE");

    // The engine returns; the worker catches up after its backoff.
    outage.down.store(false, Ordering::SeqCst);
    app.ctx().clock.advance(chrono::Duration::hours(2));
    app.run_jobs().await;
    assert_eq!(
        search(&author, "sas", json!({})).await["total"],
        1,
        "the edit made during the outage wins"
    );
    assert_eq!(search(&author, "kernel", json!({})).await["total"], 0);
    assert_eq!(search(&author, "timeout", json!({})).await["total"], 0);
    let ready: Value = app
        .http()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["jobs"]["pending"], 0);
    app.shutdown().await;
}

#[tokio::test]
async fn reindex_gives_the_same_results_as_incremental_indexing() {
    on_each_backend_trusted(|app| async move {
        commons::seed::seed_demo(app.ctx())
            .await
            .expect("seed demo");
        app.run_jobs().await;
        let reader = app
            .sign_in_with(
                "priya.raman@researchallofus.org",
                commons::seed::DEMO_PASSWORD,
            )
            .await;
        let queries = [
            "hail",
            "credits",
            "cohort",
            "plink",
            "sql",
            "gwas",
            "hypertension",
            "notebook",
        ];
        let mut before = Vec::new();
        for q in queries {
            before.push(search(&reader, q, json!({ "first": 50 })).await);
        }
        let stats = commons::indexer::rebuild_all(app.ctx())
            .await
            .expect("rebuild");
        assert!(
            stats.posts + stats.workspaces + stats.profiles > 0,
            "{stats:?}"
        );
        for (q, expected) in queries.iter().zip(before) {
            let after = search(&reader, q, json!({ "first": 50 })).await;
            assert_eq!(after["total"], expected["total"], "{q}");
            assert_eq!(thread_titles(&after), thread_titles(&expected), "{q}");
        }
    })
    .await;
}
