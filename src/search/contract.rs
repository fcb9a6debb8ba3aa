//! The behaviour every [`SearchIndex`] must show, as executable checks.
//!
//! Each check is a `pub async fn name(index: &dyn SearchIndex)` that expects a
//! fresh, empty index, calls `prepare` itself, and panics with a message
//! naming the engine when the engine misbehaves. Integration tests run every
//! check against Tantivy always and against Meilisearch when `MEILI_URL` and
//! `MEILI_MASTER_KEY` are set:
//!
//! ```ignore
//! async fn tantivy() -> Option<commons::search::contract::Subject> {
//!     let dir = tempfile::tempdir().ok()?;
//!     let index = commons::search::TantivyIndex::open(dir.path()).ok()?;
//!     Some(commons::search::contract::Subject::new(index).keep(dir))
//! }
//! mod tantivy_contract { commons::search_contract_tests!(super::tantivy); }
//! mod meili_contract {
//!     commons::search_contract_tests!(commons::search::contract::meili_subject_from_env);
//! }
//! ```

use std::any::Any;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;

use super::{
    DocKind, MeiliIndex, SearchDocument, SearchError, SearchFilters, SearchIndex, SearchQuery,
    SearchResults, TIER_CONTROLLED, TIER_REGISTERED, TantivyIndex, Viewer,
};

/// Names of every check, in the order [`run_all`] runs them.
pub const CHECKS: &[&str] = &[
    "exact_words",
    "typo_tolerance",
    "prefix_on_last_word",
    "filter_category",
    "filter_tags",
    "filter_author",
    "filter_date_range",
    "filter_solved",
    "filter_tier",
    "filter_kinds",
    "facet_counts",
    "highlight_is_sanitized",
    "deletion",
    "upsert_replaces",
    "grouping_by_thread",
    "pagination",
    "empty_text_lists_newest_first",
    "registered_viewer_cannot_find_controlled",
    "non_moderator_cannot_find_hidden",
    "moderator_finds_hidden",
    "viewer_without_tiers_finds_nothing",
    "rejects_invalid_document",
    "rebuild_swaps_content",
    "rebuild_keeps_writes_made_during_it",
];

/// Generates one `#[tokio::test]` per contract check. `$fresh` is an async
/// fn returning `Option<Subject>` (a fresh index; `None` skips the test, e.g.
/// when Meilisearch is not configured).
#[macro_export]
macro_rules! search_contract_tests {
    ($fresh:path) => {
        $crate::search_contract_tests!(@checks $fresh;
            exact_words,
            typo_tolerance,
            prefix_on_last_word,
            filter_category,
            filter_tags,
            filter_author,
            filter_date_range,
            filter_solved,
            filter_tier,
            filter_kinds,
            facet_counts,
            highlight_is_sanitized,
            deletion,
            upsert_replaces,
            grouping_by_thread,
            pagination,
            empty_text_lists_newest_first,
            registered_viewer_cannot_find_controlled,
            non_moderator_cannot_find_hidden,
            moderator_finds_hidden,
            viewer_without_tiers_finds_nothing,
            rejects_invalid_document,
            rebuild_swaps_content,
            rebuild_keeps_writes_made_during_it,
        );
    };
    (@checks $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let Some(subject) = $fresh().await else {
                    eprintln!("skipped {}: search engine not configured", stringify!($check));
                    return;
                };
                $crate::search::contract::$check(subject.index()).await;
                subject.cleanup().await;
            }
        )*
    };
}

type Cleanup = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// A fresh index under test, with whatever must live as long as it (a temp
/// directory) and how to clean up after it (delete Meilisearch indexes).
pub struct Subject {
    index: Arc<dyn SearchIndex>,
    _keep: Option<Box<dyn Any + Send>>,
    cleanup: Option<Cleanup>,
}

impl Subject {
    pub fn new(index: impl SearchIndex + 'static) -> Self {
        Subject {
            index: Arc::new(index),
            _keep: None,
            cleanup: None,
        }
    }

    /// Keeps `guard` (e.g. a `TempDir`) alive as long as the subject.
    pub fn keep(mut self, guard: impl Any + Send) -> Self {
        self._keep = Some(Box::new(guard));
        self
    }

    pub fn on_cleanup(
        mut self,
        cleanup: impl FnOnce() -> BoxFuture<'static, ()> + Send + 'static,
    ) -> Self {
        self.cleanup = Some(Box::new(cleanup));
        self
    }

    pub fn index(&self) -> &dyn SearchIndex {
        &*self.index
    }

    pub async fn cleanup(mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup().await;
        }
    }
}

/// An in-memory Tantivy index.
pub async fn tantivy_in_ram_subject() -> Option<Subject> {
    match TantivyIndex::in_ram() {
        Ok(index) => Some(Subject::new(index)),
        Err(err) => panic!("in-memory tantivy index: {err}"),
    }
}

/// A Meilisearch index under a prefix unique to this call, when `MEILI_URL`
/// and `MEILI_MASTER_KEY` are set; its indexes are deleted on cleanup.
pub async fn meili_subject_from_env() -> Option<Subject> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let url = std::env::var("MEILI_URL").ok().filter(|s| !s.is_empty())?;
    let key = std::env::var("MEILI_MASTER_KEY")
        .ok()
        .filter(|s| !s.is_empty())?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let prefix = format!(
        "test_{}_{}_{}_",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let index = match MeiliIndex::new(&url, Some(&key), &prefix) {
        Ok(index) => Arc::new(index),
        Err(err) => panic!("Meilisearch client for {url}: {err}"),
    };
    let for_cleanup = index.clone();
    Some(Subject {
        index,
        _keep: None,
        cleanup: Some(Box::new(move || {
            Box::pin(async move {
                if let Err(err) = for_cleanup.destroy().await {
                    eprintln!("cleaning up Meilisearch test indexes: {err}");
                }
            })
        })),
    })
}

/// Runs every check, each on a fresh index from `fresh`.
pub async fn run_all<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Subject>>,
{
    for name in CHECKS {
        let Some(subject) = fresh().await else { return };
        run_check(name, subject.index()).await;
        subject.cleanup().await;
    }
}

/// Runs one check by name.
pub async fn run_check(name: &str, index: &dyn SearchIndex) {
    match name {
        "exact_words" => exact_words(index).await,
        "typo_tolerance" => typo_tolerance(index).await,
        "prefix_on_last_word" => prefix_on_last_word(index).await,
        "filter_category" => filter_category(index).await,
        "filter_tags" => filter_tags(index).await,
        "filter_author" => filter_author(index).await,
        "filter_date_range" => filter_date_range(index).await,
        "filter_solved" => filter_solved(index).await,
        "filter_tier" => filter_tier(index).await,
        "filter_kinds" => filter_kinds(index).await,
        "facet_counts" => facet_counts(index).await,
        "highlight_is_sanitized" => highlight_is_sanitized(index).await,
        "deletion" => deletion(index).await,
        "upsert_replaces" => upsert_replaces(index).await,
        "grouping_by_thread" => grouping_by_thread(index).await,
        "pagination" => pagination(index).await,
        "empty_text_lists_newest_first" => empty_text_lists_newest_first(index).await,
        "registered_viewer_cannot_find_controlled" => {
            registered_viewer_cannot_find_controlled(index).await
        }
        "non_moderator_cannot_find_hidden" => non_moderator_cannot_find_hidden(index).await,
        "moderator_finds_hidden" => moderator_finds_hidden(index).await,
        "viewer_without_tiers_finds_nothing" => viewer_without_tiers_finds_nothing(index).await,
        "rejects_invalid_document" => rejects_invalid_document(index).await,
        "rebuild_swaps_content" => rebuild_swaps_content(index).await,
        "rebuild_keeps_writes_made_during_it" => rebuild_keeps_writes_made_during_it(index).await,
        other => panic!("unknown search contract check {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Fixtures

/// A viewer holding both tiers, not a moderator.
pub fn viewer() -> Viewer {
    Viewer {
        tiers: vec![TIER_REGISTERED.into(), TIER_CONTROLLED.into()],
        moderator: false,
    }
}

/// A viewer holding only the registered tier.
pub fn registered_viewer() -> Viewer {
    Viewer {
        tiers: vec![TIER_REGISTERED.into()],
        moderator: false,
    }
}

pub fn moderator() -> Viewer {
    Viewer {
        moderator: true,
        ..viewer()
    }
}

/// A visible, registered-tier document; kind and object id come from `id`
/// ("post:5" is post 5 of thread 5, grouped by "thread:5").
pub fn doc(id: &str, title: &str, body: &str) -> SearchDocument {
    let (kind, object_id) = match id.split_once(':') {
        Some(("post", n)) => (DocKind::Post, n.parse().unwrap_or(0)),
        Some(("profile", n)) => (DocKind::Profile, n.parse().unwrap_or(0)),
        Some((_, n)) => (DocKind::Workspace, n.parse().unwrap_or(0)),
        None => (DocKind::Workspace, 0),
    };
    let thread_id = (kind == DocKind::Post).then_some(object_id);
    SearchDocument {
        id: id.to_string(),
        kind,
        group: match thread_id {
            Some(t) => format!("thread:{t}"),
            None => id.to_string(),
        },
        object_id,
        thread_id,
        title: title.to_string(),
        body: body.to_string(),
        category: None,
        tags: Vec::new(),
        author_id: None,
        created_at: 1_700_000_000,
        solved: None,
        tier: TIER_REGISTERED.to_string(),
        hidden: false,
    }
}

/// Post `post_id` of thread `thread_id`.
pub fn post(post_id: i64, thread_id: i64, title: &str, body: &str) -> SearchDocument {
    SearchDocument {
        thread_id: Some(thread_id),
        group: format!("thread:{thread_id}"),
        ..doc(&format!("post:{post_id}"), title, body)
    }
}

pub fn query(text: &str) -> SearchQuery {
    SearchQuery::new(text, viewer())
}

fn filtered(text: &str, filters: SearchFilters) -> SearchQuery {
    SearchQuery {
        filters,
        ..query(text)
    }
}

async fn setup(index: &dyn SearchIndex, docs: Vec<SearchDocument>) {
    let engine = index.engine();
    if let Err(err) = index.prepare().await {
        panic!("[{engine}] prepare failed: {err}");
    }
    if let Err(err) = index.upsert(docs).await {
        panic!("[{engine}] upsert failed: {err}");
    }
}

async fn upsert(index: &dyn SearchIndex, docs: Vec<SearchDocument>) {
    if let Err(err) = index.upsert(docs).await {
        panic!("[{}] upsert failed: {err}", index.engine());
    }
}

async fn run(index: &dyn SearchIndex, q: &SearchQuery) -> SearchResults {
    match index.search(q).await {
        Ok(results) => results,
        Err(err) => panic!("[{}] search {:?} failed: {err}", index.engine(), q.text),
    }
}

fn ids(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(|h| h.id.clone()).collect()
}

/// Asserts the search returns exactly `expected` (in any order) and a total
/// matching it.
async fn expect(index: &dyn SearchIndex, q: &SearchQuery, expected: &[&str], why: &str) {
    let results = run(index, q).await;
    let got: BTreeSet<String> = ids(&results).into_iter().collect();
    let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        got,
        want,
        "[{}] {why}: search {:?} (filters {:?}, kinds {:?}, viewer {:?}) returned {:?}",
        index.engine(),
        q.text,
        q.filters,
        q.kinds,
        q.viewer,
        ids(&results)
    );
    assert_eq!(
        results.total,
        expected.len() as u64,
        "[{}] {why}: total for {:?} should count {} groups",
        index.engine(),
        q.text,
        expected.len()
    );
}

// ---------------------------------------------------------------------------
// Matching

/// Exact words match in title, body and tags; every word must match.
pub async fn exact_words(index: &dyn SearchIndex) {
    let mut oncology = doc(
        "workspace:2",
        "Oncology workspace",
        "Tumour registry linkage",
    );
    oncology.tags = vec!["cancer".into()];
    setup(
        index,
        vec![
            doc(
                "workspace:1",
                "Cardiology cohort",
                "Statins and blood pressure outcomes",
            ),
            oncology,
            post(3, 30, "Sleep study", "Actigraphy data from wearables"),
        ],
    )
    .await;
    expect(
        index,
        &query("blood pressure"),
        &["workspace:1"],
        "body words",
    )
    .await;
    expect(
        index,
        &query("registry"),
        &["workspace:2"],
        "single body word",
    )
    .await;
    expect(index, &query("oncology"), &["workspace:2"], "title word").await;
    expect(index, &query("cancer"), &["workspace:2"], "tag word").await;
    expect(
        index,
        &query("BLOOD Pressure"),
        &["workspace:1"],
        "case-insensitive",
    )
    .await;
    expect(
        index,
        &query("pressure registry"),
        &[],
        "all words must match",
    )
    .await;

    let results = run(index, &query("actigraphy")).await;
    let hit = results
        .hits
        .first()
        .unwrap_or_else(|| panic!("[{}] post body word not found", index.engine()));
    assert_eq!(
        (hit.id.as_str(), hit.kind, hit.object_id, hit.thread_id),
        ("post:3", DocKind::Post, 3, Some(30)),
        "[{}] hit fields for a post",
        index.engine()
    );
    assert!(
        hit.snippet
            .to_lowercase()
            .contains("<mark>actigraphy</mark>"),
        "[{}] snippet should highlight the match: {:?}",
        index.engine(),
        hit.snippet
    );
}

/// One typo from 5 letters, two from 9, a transposition counts as one.
pub async fn typo_tolerance(index: &dyn SearchIndex) {
    setup(
        index,
        vec![
            doc(
                "workspace:1",
                "Variant calling",
                "Population genomics of rare variants",
            ),
            doc("workspace:2", "Imaging", "Retinal scans"),
        ],
    )
    .await;
    expect(
        index,
        &query("genomcis"),
        &["workspace:1"],
        "transposed letters (one typo)",
    )
    .await;
    expect(
        index,
        &query("genomcis variants"),
        &["workspace:1"],
        "typo then exact word",
    )
    .await;
    expect(
        index,
        &query("pobulasion"),
        &["workspace:1"],
        "two typos in a 10-letter word",
    )
    .await;
    expect(index, &query("genomxyz"), &[], "three edits are too many").await;
    expect(
        index,
        &query("rame"),
        &[],
        "no typo allowed under 5 letters",
    )
    .await;
}

/// The last query word also matches as a prefix; earlier words do not.
pub async fn prefix_on_last_word(index: &dyn SearchIndex) {
    setup(
        index,
        vec![
            doc(
                "workspace:1",
                "Blood pressure",
                "Hypertension in young adults",
            ),
            doc("workspace:2", "Other", "Hypoglycaemia in elderly patients"),
        ],
    )
    .await;
    expect(
        index,
        &query("hypert"),
        &["workspace:1"],
        "prefix of the only word",
    )
    .await;
    expect(
        index,
        &query("young hypert"),
        &["workspace:1"],
        "prefix of the last word",
    )
    .await;
    expect(
        index,
        &query("hyp"),
        &["workspace:1", "workspace:2"],
        "short prefix",
    )
    .await;
    expect(
        index,
        &query("hypert young"),
        &[],
        "a word before the last is not a prefix",
    )
    .await;
}

// ---------------------------------------------------------------------------
// Filters

pub async fn filter_category(index: &dyn SearchIndex) {
    let mut a = doc("workspace:1", "A", "cohort study");
    a.category = Some("methods".into());
    let mut b = doc("workspace:2", "B", "cohort analysis");
    b.category = Some("genomics".into());
    let c = doc("workspace:3", "C", "cohort data");
    setup(index, vec![a, b, c]).await;
    let methods = SearchFilters {
        category: Some("methods".into()),
        ..Default::default()
    };
    expect(
        index,
        &filtered("cohort", methods.clone()),
        &["workspace:1"],
        "category filter",
    )
    .await;
    expect(
        index,
        &filtered("", methods),
        &["workspace:1"],
        "category filter, empty text",
    )
    .await;
    let none = SearchFilters {
        category: Some("nonexistent".into()),
        ..Default::default()
    };
    expect(index, &filtered("cohort", none), &[], "unknown category").await;
}

pub async fn filter_tags(index: &dyn SearchIndex) {
    let mut a = doc("workspace:1", "A", "cohort");
    a.tags = vec!["ehr".into(), "survey".into()];
    let mut b = doc("workspace:2", "B", "cohort");
    b.tags = vec!["ehr".into()];
    let mut c = doc("workspace:3", "C", "cohort");
    c.tags = vec!["survey".into()];
    setup(index, vec![a, b, c]).await;
    let tags = |t: &[&str]| SearchFilters {
        tags: t.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    expect(
        index,
        &filtered("cohort", tags(&["ehr"])),
        &["workspace:1", "workspace:2"],
        "one tag",
    )
    .await;
    expect(
        index,
        &filtered("cohort", tags(&["ehr", "survey"])),
        &["workspace:1"],
        "all tags must match",
    )
    .await;
    expect(
        index,
        &filtered("cohort", tags(&["wearables"])),
        &[],
        "unknown tag",
    )
    .await;
}

pub async fn filter_author(index: &dyn SearchIndex) {
    let mut a = post(1, 1, "A", "cohort");
    a.author_id = Some(10);
    let mut b = post(2, 2, "B", "cohort");
    b.author_id = Some(20);
    let c = post(3, 3, "C", "cohort");
    setup(index, vec![a, b, c]).await;
    let author = SearchFilters {
        author_id: Some(20),
        ..Default::default()
    };
    expect(
        index,
        &filtered("cohort", author),
        &["post:2"],
        "author filter",
    )
    .await;
}

pub async fn filter_date_range(index: &dyn SearchIndex) {
    let mut docs = Vec::new();
    for (i, at) in [(1, 1_000), (2, 2_000), (3, 3_000)] {
        let mut d = doc(&format!("workspace:{i}"), "W", "cohort");
        d.created_at = at;
        docs.push(d);
    }
    setup(index, docs).await;
    let range = |from: Option<i64>, to: Option<i64>| SearchFilters {
        created_from: from,
        created_to: to,
        ..Default::default()
    };
    expect(
        index,
        &filtered("cohort", range(Some(1_500), Some(2_500))),
        &["workspace:2"],
        "inside the range",
    )
    .await;
    expect(
        index,
        &filtered("cohort", range(Some(2_000), None)),
        &["workspace:2", "workspace:3"],
        "from is inclusive",
    )
    .await;
    expect(
        index,
        &filtered("cohort", range(None, Some(2_000))),
        &["workspace:1", "workspace:2"],
        "to is inclusive",
    )
    .await;
    expect(
        index,
        &filtered("cohort", range(Some(2_000), Some(2_000))),
        &["workspace:2"],
        "one instant",
    )
    .await;
    expect(
        index,
        &filtered("cohort", range(Some(4_000), None)),
        &[],
        "after everything",
    )
    .await;
}

pub async fn filter_solved(index: &dyn SearchIndex) {
    let mut a = post(1, 1, "A", "cohort question");
    a.solved = Some(true);
    let mut b = post(2, 2, "B", "cohort question");
    b.solved = Some(false);
    let c = doc("workspace:3", "C", "cohort question");
    setup(index, vec![a, b, c]).await;
    let solved = |s: bool| SearchFilters {
        solved: Some(s),
        ..Default::default()
    };
    expect(
        index,
        &filtered("cohort", solved(true)),
        &["post:1"],
        "solved",
    )
    .await;
    expect(
        index,
        &filtered("cohort", solved(false)),
        &["post:2"],
        "unsolved (unset is neither)",
    )
    .await;
}

pub async fn filter_tier(index: &dyn SearchIndex) {
    let a = doc("workspace:1", "A", "cohort");
    let mut b = doc("workspace:2", "B", "cohort");
    b.tier = TIER_CONTROLLED.into();
    setup(index, vec![a, b]).await;
    let tier = |t: &str| SearchFilters {
        tier: Some(t.into()),
        ..Default::default()
    };
    expect(
        index,
        &filtered("cohort", tier(TIER_CONTROLLED)),
        &["workspace:2"],
        "controlled only",
    )
    .await;
    expect(
        index,
        &filtered("cohort", tier(TIER_REGISTERED)),
        &["workspace:1"],
        "registered only",
    )
    .await;
}

pub async fn filter_kinds(index: &dyn SearchIndex) {
    setup(
        index,
        vec![
            post(1, 1, "Cohort thread", "cohort"),
            doc("workspace:2", "Cohort workspace", "cohort"),
            doc("profile:3", "Cohort person", "cohort"),
        ],
    )
    .await;
    let mut q = query("cohort");
    q.kinds = vec![DocKind::Workspace, DocKind::Profile];
    expect(index, &q, &["workspace:2", "profile:3"], "kinds filter").await;
    q.kinds = vec![DocKind::Post];
    expect(index, &q, &["post:1"], "posts only").await;
    q.kinds = Vec::new();
    expect(
        index,
        &q,
        &["post:1", "workspace:2", "profile:3"],
        "no kinds = all",
    )
    .await;
}

// ---------------------------------------------------------------------------
// Facets and snippets

/// Facets count every visible matching group, not just the page.
pub async fn facet_counts(index: &dyn SearchIndex) {
    let mut docs = Vec::new();
    let spec: [(&str, Option<&str>, &[&str]); 4] = [
        ("workspace:1", Some("methods"), &["ehr", "survey"]),
        ("workspace:2", Some("methods"), &["ehr"]),
        ("workspace:3", Some("genomics"), &["survey", "wgs"]),
        ("workspace:4", None, &[]),
    ];
    for (id, category, tags) in spec {
        let mut d = doc(id, "Cohort", "cohort study");
        d.category = category.map(str::to_string);
        d.tags = tags.iter().map(|t| t.to_string()).collect();
        docs.push(d);
    }
    // Invisible to the viewer: must not leak through facet counts.
    let mut hidden = doc("workspace:5", "Cohort", "cohort study");
    hidden.category = Some("secret".into());
    hidden.tags = vec!["secret".into()];
    hidden.hidden = true;
    docs.push(hidden);
    // Not matching the text: not counted.
    let mut other = doc("workspace:6", "Other", "unrelated");
    other.category = Some("methods".into());
    docs.push(other);
    setup(index, docs).await;

    let mut q = query("cohort");
    q.limit = 1;
    let results = run(index, &q).await;
    let engine = index.engine();
    assert_eq!(results.hits.len(), 1, "[{engine}] limit 1");
    assert_eq!(results.total, 4, "[{engine}] total counts all matches");
    assert_eq!(
        results.facets.category,
        vec![("methods".to_string(), 2), ("genomics".to_string(), 1)],
        "[{engine}] category facet counts"
    );
    assert_eq!(
        results.facets.tags,
        vec![
            ("ehr".to_string(), 2),
            ("survey".to_string(), 2),
            ("wgs".to_string(), 1)
        ],
        "[{engine}] tag facet counts (count desc, then name)"
    );

    let filtered_q = SearchQuery {
        filters: SearchFilters {
            category: Some("methods".into()),
            ..Default::default()
        },
        ..q
    };
    let results = run(index, &filtered_q).await;
    assert_eq!(
        results.facets.tags,
        vec![("ehr".to_string(), 2), ("survey".to_string(), 1)],
        "[{engine}] facets follow the filters"
    );
}

/// Snippets keep `<mark>` and escape everything the document carries.
pub async fn highlight_is_sanitized(index: &dyn SearchIndex) {
    setup(
        index,
        vec![doc(
            "post:1",
            "<b>Genomics</b> <img src=x onerror=alert(1)>",
            "Genomics pipeline <img src=x onerror=alert(1)> and <script>alert(2)</script> \
             then &amp; more genomics results <mark>fake</mark>",
        )],
    )
    .await;
    let results = run(index, &query("genomics")).await;
    let engine = index.engine();
    let hit = results
        .hits
        .first()
        .unwrap_or_else(|| panic!("[{engine}] document with markup not found"));
    let snippet = &hit.snippet;
    assert!(
        snippet.contains("<mark>"),
        "[{engine}] no highlight in {snippet:?}"
    );
    assert!(
        snippet.to_lowercase().contains("<mark>genomics</mark>"),
        "[{engine}] match not wrapped in {snippet:?}"
    );
    for forbidden in ["<img", "<script", "</script", "<b>", "onerror=alert(1)>"] {
        assert!(
            !snippet.contains(forbidden),
            "[{engine}] snippet lets {forbidden:?} through: {snippet:?}"
        );
    }
    // Only our own tags remain once <mark> pairs are removed.
    let stripped = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !stripped.contains('<') && !stripped.contains('>'),
        "[{engine}] unescaped angle bracket in {snippet:?}"
    );
    assert!(
        !stripped.contains("<mark>fake"),
        "[{engine}] document text must not produce highlights: {snippet:?}"
    );
}

// ---------------------------------------------------------------------------
// Writes

pub async fn deletion(index: &dyn SearchIndex) {
    setup(
        index,
        vec![
            doc("workspace:1", "Zebrafish", "zebrafish models"),
            doc("workspace:2", "Zebrafish too", "zebrafish imaging"),
        ],
    )
    .await;
    expect(
        index,
        &query("zebrafish"),
        &["workspace:1", "workspace:2"],
        "before deletion",
    )
    .await;
    if let Err(err) = index
        .delete(vec!["workspace:1".into(), "workspace:404".into()])
        .await
    {
        panic!(
            "[{}] delete failed (unknown ids must be ignored): {err}",
            index.engine()
        );
    }
    expect(
        index,
        &query("zebrafish"),
        &["workspace:2"],
        "deleted document is gone",
    )
    .await;
    expect(index, &query("models"), &[], "nothing of it remains").await;
}

pub async fn upsert_replaces(index: &dyn SearchIndex) {
    setup(
        index,
        vec![doc("workspace:1", "Old name", "axolotl regeneration")],
    )
    .await;
    upsert(
        index,
        vec![doc("workspace:1", "New name", "planaria regeneration")],
    )
    .await;
    expect(index, &query("axolotl"), &[], "old text is gone").await;
    expect(
        index,
        &query("planaria"),
        &["workspace:1"],
        "new text is found",
    )
    .await;
    expect(
        index,
        &query("regeneration"),
        &["workspace:1"],
        "one document per id",
    )
    .await;
}

/// Two matching posts of one thread give one hit, pointing at the better post.
pub async fn grouping_by_thread(index: &dyn SearchIndex) {
    let mut opening = post(
        91,
        9,
        "Questions about paperwork",
        "Our biobank consnet process is slow",
    );
    opening.created_at = 1_000;
    let mut reply = post(
        92,
        9,
        "Questions about paperwork",
        "The biobank consent process was updated",
    );
    reply.created_at = 2_000;
    let other = post(101, 10, "Another thread", "biobank consent for minors");
    setup(index, vec![opening, other]).await;
    // A separate write, so engines that segment their index see the two
    // posts of thread 9 in different segments.
    upsert(index, vec![reply]).await;

    let results = run(index, &query("biobank consent")).await;
    let engine = index.engine();
    assert_eq!(
        results.total,
        2,
        "[{engine}] total counts threads: {:?}",
        ids(&results)
    );
    let thread9: Vec<_> = results
        .hits
        .iter()
        .filter(|h| h.thread_id == Some(9))
        .collect();
    assert_eq!(
        thread9.len(),
        1,
        "[{engine}] thread 9 must appear once: {:?}",
        ids(&results)
    );
    assert_eq!(
        thread9[0].id, "post:92",
        "[{engine}] the thread hit should link to its best-matching post (exact words beat a typo)"
    );
}

pub async fn pagination(index: &dyn SearchIndex) {
    let docs = (1..=5)
        .map(|i| doc(&format!("workspace:{i}"), "Cohort", "cohort"))
        .collect();
    setup(index, docs).await;
    let engine = index.engine();
    let mut seen = BTreeSet::new();
    for (offset, expected_len) in [(0, 2), (2, 2), (4, 1), (6, 0)] {
        let mut q = query("cohort");
        q.offset = offset;
        q.limit = 2;
        let results = run(index, &q).await;
        assert_eq!(results.total, 5, "[{engine}] total at offset {offset}");
        assert_eq!(
            results.hits.len(),
            expected_len,
            "[{engine}] page size at offset {offset}"
        );
        for id in ids(&results) {
            assert!(seen.insert(id.clone()), "[{engine}] {id} on two pages");
        }
    }
    assert_eq!(seen.len(), 5, "[{engine}] pages cover every document");
    let mut q = query("cohort");
    q.offset = 1;
    q.limit = 3;
    let results = run(index, &q).await;
    assert_eq!(results.hits.len(), 3, "[{engine}] unaligned page size");
    assert_eq!(results.total, 5, "[{engine}] unaligned page total");
}

pub async fn empty_text_lists_newest_first(index: &dyn SearchIndex) {
    let mut docs = Vec::new();
    for (id, at) in [
        ("workspace:1", 100),
        ("workspace:2", 300),
        ("workspace:3", 200),
    ] {
        let mut d = doc(id, "W", "anything");
        d.created_at = at;
        docs.push(d);
    }
    let mut hidden = doc("workspace:4", "W", "anything");
    hidden.created_at = 400;
    hidden.hidden = true;
    docs.push(hidden);
    setup(index, docs).await;
    let results = run(index, &query("")).await;
    assert_eq!(
        ids(&results),
        vec!["workspace:2", "workspace:3", "workspace:1"],
        "[{}] empty text lists visible documents newest first",
        index.engine()
    );
    assert_eq!(results.total, 3, "[{}] listing total", index.engine());
}

pub async fn rejects_invalid_document(index: &dyn SearchIndex) {
    setup(index, vec![]).await;
    let bad = doc("", "No id", "text");
    match index.upsert(vec![bad]).await {
        Err(SearchError::Rejected(_)) => {}
        other => panic!(
            "[{}] a document without id must be Rejected, got {other:?}",
            index.engine()
        ),
    }
}

// ---------------------------------------------------------------------------
// Visibility: enforced inside every search

pub async fn registered_viewer_cannot_find_controlled(index: &dyn SearchIndex) {
    let mut controlled = doc(
        "workspace:1",
        "Controlled cohort",
        "linked hospital records",
    );
    controlled.tier = TIER_CONTROLLED.into();
    controlled.category = Some("restricted".into());
    setup(
        index,
        vec![
            controlled,
            doc("workspace:2", "Open", "public hospital data"),
        ],
    )
    .await;
    let mut q = SearchQuery::new("hospital", registered_viewer());
    expect(
        index,
        &q,
        &["workspace:2"],
        "registered viewer sees registered docs only",
    )
    .await;
    let results = run(index, &q).await;
    assert!(
        results.facets.category.is_empty(),
        "[{}] controlled doc leaked into facets: {:?}",
        index.engine(),
        results.facets.category
    );
    q.text = String::new();
    expect(index, &q, &["workspace:2"], "nor in listings").await;
    q.filters.tier = Some(TIER_CONTROLLED.into());
    expect(index, &q, &[], "nor by asking for the tier").await;
    expect(
        index,
        &SearchQuery::new("hospital", viewer()),
        &["workspace:1", "workspace:2"],
        "a controlled-tier viewer sees both",
    )
    .await;
}

pub async fn non_moderator_cannot_find_hidden(index: &dyn SearchIndex) {
    let mut hidden = post(1, 1, "Removed", "spam spam pharmacy");
    hidden.hidden = true;
    setup(index, vec![hidden, post(2, 2, "Kept", "pharmacy records")]).await;
    expect(
        index,
        &query("pharmacy"),
        &["post:2"],
        "hidden post invisible to members",
    )
    .await;
    expect(
        index,
        &query("spam"),
        &[],
        "hidden post not found by its own words",
    )
    .await;
    expect(index, &query(""), &["post:2"], "nor in listings").await;
}

pub async fn moderator_finds_hidden(index: &dyn SearchIndex) {
    let mut hidden = post(1, 1, "Removed", "spam spam pharmacy");
    hidden.hidden = true;
    setup(index, vec![hidden, post(2, 2, "Kept", "pharmacy records")]).await;
    let q = SearchQuery::new("pharmacy", moderator());
    expect(
        index,
        &q,
        &["post:1", "post:2"],
        "moderators see hidden posts",
    )
    .await;
    let mut q = SearchQuery::new(
        "pharmacy",
        Viewer {
            tiers: vec![TIER_CONTROLLED.into()],
            moderator: true,
        },
    );
    q.limit = 10;
    expect(index, &q, &[], "moderators still need the tier").await;
}

pub async fn viewer_without_tiers_finds_nothing(index: &dyn SearchIndex) {
    setup(index, vec![doc("workspace:1", "Cohort", "cohort")]).await;
    let q = SearchQuery::new("cohort", Viewer::default());
    expect(index, &q, &[], "no tiers, no results").await;
}

// ---------------------------------------------------------------------------
// Rebuilds

/// Documents added through a rebuild replace the old content on `finish`;
/// until then searches keep answering from the old content.
pub async fn rebuild_swaps_content(index: &dyn SearchIndex) {
    setup(
        index,
        vec![doc("workspace:1", "Legacy", "zebrafish husbandry")],
    )
    .await;
    let engine = index.engine();
    let mut rebuild = index
        .begin_rebuild()
        .await
        .unwrap_or_else(|e| panic!("[{engine}] begin_rebuild failed: {e}"));
    if let Err(err) = rebuild
        .add(vec![doc("workspace:2", "Fresh", "axolotl husbandry")])
        .await
    {
        panic!("[{engine}] rebuild add failed: {err}");
    }
    if let Err(err) = rebuild
        .add(vec![doc("workspace:3", "Fresh", "planaria husbandry")])
        .await
    {
        panic!("[{engine}] second rebuild add failed: {err}");
    }
    expect(
        index,
        &query("zebrafish"),
        &["workspace:1"],
        "old content still served during rebuild",
    )
    .await;
    expect(
        index,
        &query("axolotl"),
        &[],
        "rebuild content not visible before finish",
    )
    .await;
    if let Err(err) = rebuild.finish().await {
        panic!("[{engine}] rebuild finish failed: {err}");
    }
    expect(
        index,
        &query("husbandry"),
        &["workspace:2", "workspace:3"],
        "rebuilt content replaces the old",
    )
    .await;
    expect(
        index,
        &query("zebrafish"),
        &[],
        "old content gone after rebuild",
    )
    .await;

    // An abandoned rebuild changes nothing and does not block the next one.
    let mut abandoned = index
        .begin_rebuild()
        .await
        .unwrap_or_else(|e| panic!("[{engine}] second begin_rebuild failed: {e}"));
    if let Err(err) = abandoned
        .add(vec![doc("workspace:9", "Gone", "tardigrade")])
        .await
    {
        panic!("[{engine}] rebuild add failed: {err}");
    }
    drop(abandoned);
    expect(
        index,
        &query("husbandry"),
        &["workspace:2", "workspace:3"],
        "abandoned rebuild changes nothing",
    )
    .await;
    let mut again = index
        .begin_rebuild()
        .await
        .unwrap_or_else(|e| panic!("[{engine}] begin_rebuild after an abandoned one failed: {e}"));
    if let Err(err) = again
        .add(vec![doc("workspace:4", "Third", "tardigrade husbandry")])
        .await
    {
        panic!("[{engine}] rebuild add failed: {err}");
    }
    if let Err(err) = again.finish().await {
        panic!("[{engine}] rebuild finish failed: {err}");
    }
    expect(
        index,
        &query("husbandry"),
        &["workspace:4"],
        "a second rebuild works too",
    )
    .await;
    upsert(index, vec![doc("workspace:5", "After", "husbandry notes")]).await;
    expect(
        index,
        &query("husbandry"),
        &["workspace:4", "workspace:5"],
        "writes after a rebuild land in the new index",
    )
    .await;
}

/// Upserts and deletes made while a rebuild runs survive its `finish`.
pub async fn rebuild_keeps_writes_made_during_it(index: &dyn SearchIndex) {
    setup(index, vec![doc("workspace:1", "Legacy", "zebrafish")]).await;
    let engine = index.engine();
    let mut rebuild = index
        .begin_rebuild()
        .await
        .unwrap_or_else(|e| panic!("[{engine}] begin_rebuild failed: {e}"));
    if let Err(err) = rebuild
        .add(vec![
            doc("workspace:2", "Fresh", "axolotl"),
            doc("workspace:3", "Fresh", "planaria"),
        ])
        .await
    {
        panic!("[{engine}] rebuild add failed: {err}");
    }
    upsert(
        index,
        vec![doc("workspace:4", "New during rebuild", "tardigrade")],
    )
    .await;
    expect(
        index,
        &query("tardigrade"),
        &["workspace:4"],
        "upsert during a rebuild is searchable at once",
    )
    .await;
    if let Err(err) = index.delete(vec!["workspace:3".into()]).await {
        panic!("[{engine}] delete during rebuild failed: {err}");
    }
    if let Err(err) = rebuild.finish().await {
        panic!("[{engine}] rebuild finish failed: {err}");
    }
    expect(
        index,
        &query("tardigrade"),
        &["workspace:4"],
        "upsert made during the rebuild survives it",
    )
    .await;
    expect(
        index,
        &query("planaria"),
        &[],
        "delete made during the rebuild survives it",
    )
    .await;
    expect(
        index,
        &query("axolotl"),
        &["workspace:2"],
        "rebuilt content",
    )
    .await;
    expect(index, &query("zebrafish"), &[], "old content gone").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name in CHECKS dispatches (an unknown name would panic) and
    /// passes on the in-memory engine.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_all_dispatches_every_check() {
        run_all(tantivy_in_ram_subject).await;
    }
}
