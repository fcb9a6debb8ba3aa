//! Production search engine: a Meilisearch server, through `meilisearch-sdk`.
//!
//! All documents live in one index, `{prefix}documents`, with `group` as the
//! distinct attribute so a thread shows once (its best-ranked post). A write
//! ([`SearchIndex::apply`]) sends its upserts as one request and its removals
//! as another, then waits once for both tasks, so a failed task surfaces as
//! [`SearchError::Rejected`] with Meilisearch's message and a write is
//! searchable when the call returns. Meilisearch batches consecutive tasks
//! itself; the indexer keeps each request large enough for that to pay.
//!
//! A wait is bounded (`task_timeout`): a task that outlives it is reported by
//! [`SearchIndex::stuck_task`] (and so by `/readyz` and the metrics) until a
//! later wait succeeds.
//!
//! Rebuilds fill `{prefix}documents_rebuild_<millis>` without waiting between
//! batches, wait once, and swap it with the live index (one atomic
//! Meilisearch task), then delete the old content.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode, ErrorType, MeilisearchError};
use meilisearch_sdk::indexes::IndexesQuery;
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{
    FacetSortValue, FacetingSettings, MinWordSizeForTypos, PaginationSetting, Settings,
    TypoToleranceSettings,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::{Deserialize, Serialize};

use super::snippet::{escape, render_marked};
use super::{
    DocKind, Facets, IndexChanges, IndexRebuild, MAX_FACET_VALUES, SearchDocument, SearchError,
    SearchHit, SearchIndex, SearchQuery, SearchResults, StuckTask, sort_facet_counts,
};

/// Highlight markers asked of Meilisearch. Private-use characters never occur
/// in real text, so a literal `<mark>` typed by a user stays escaped text.
const PRE_TAG: &str = "\u{e000}";
const POST_TAG: &str = "\u{e001}";
/// Words kept around matches in the body snippet.
const CROP_WORDS: usize = 30;
const CROP_MARKER: &str = "…";
/// Most documents one request carries (well under Meilisearch's payload
/// limit at our document sizes).
const MAX_REQUEST_DOCS: usize = 1000;
/// Meilisearch's `maxTotalHits`: how far totals count and pages reach.
const MAX_TOTAL_HITS: usize = 5000;
/// Leftover rebuild indexes older than this are deleted by the next rebuild
/// (younger ones may belong to a rebuild running in another process).
const STALE_REBUILD: Duration = Duration::from_secs(24 * 3600);

const SEARCHABLE: [&str; 3] = ["title", "body", "tags"];
const FILTERABLE: [&str; 9] = [
    "kind",
    "category",
    "tags",
    "author_id",
    "created_at",
    "solved",
    "tier",
    "hidden",
    "group",
];
const RANKING_RULES: [&str; 6] = [
    "words",
    "typo",
    "proximity",
    "attribute",
    "sort",
    "exactness",
];
const FACETS: [&str; 2] = ["category", "tags"];
const RETRIEVE: [&str; 6] = ["id", "kind", "object_id", "thread_id", "title", "body"];
const HIGHLIGHT: [&str; 2] = ["title", "body"];
const CROP: [(&str, Option<usize>); 1] = [("body", None)];
const SORT_RECENT: [&str; 1] = ["created_at:desc"];

/// A document as stored in Meilisearch.
#[derive(Debug, Serialize)]
struct MeiliDoc<'a> {
    /// `encode_id(doc.id)`: Meilisearch ids allow only `[a-zA-Z0-9_-]`.
    id: String,
    kind: DocKind,
    group: &'a str,
    object_id: i64,
    thread_id: Option<i64>,
    title: &'a str,
    body: &'a str,
    category: Option<&'a str>,
    tags: &'a [String],
    author_id: Option<i64>,
    created_at: i64,
    solved: Option<bool>,
    tier: &'a str,
    hidden: bool,
}

impl<'a> MeiliDoc<'a> {
    fn from_doc(doc: &'a SearchDocument) -> Self {
        MeiliDoc {
            id: encode_id(&doc.id),
            kind: doc.kind,
            group: &doc.group,
            object_id: doc.object_id,
            thread_id: doc.thread_id,
            title: &doc.title,
            body: &doc.body,
            category: doc.category.as_deref(),
            tags: &doc.tags,
            author_id: doc.author_id,
            created_at: doc.created_at,
            solved: doc.solved,
            tier: &doc.tier,
            hidden: doc.hidden,
        }
    }
}

/// The fields of a hit we read back.
#[derive(Debug, Deserialize)]
struct MeiliHit {
    id: String,
    kind: DocKind,
    object_id: i64,
    thread_id: Option<i64>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// Maps an id to Meilisearch's alphabet, reversibly: `post:42` -> `post-42`.
/// Letters and digits stay, `:` becomes `-`, any other byte `_xx` (hex), so
/// distinct ids never collide.
pub fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => out.push(char::from(b)),
            b':' => out.push('-'),
            _ => out.push_str(&format!("_{b:02x}")),
        }
    }
    out
}

/// Inverse of [`encode_id`].
pub fn decode_id(encoded: &str) -> Result<String, SearchError> {
    let bad = || SearchError::Internal(format!("malformed document id {encoded:?} in Meilisearch"));
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' => out.push(b':'),
            b'_' => {
                let hex = encoded.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            b if b.is_ascii_alphanumeric() => out.push(b),
            _ => return Err(bad()),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// A quoted string for Meilisearch's filter syntax.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn quoted_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = values.into_iter().map(quote).collect();
    format!("[{}]", items.join(", "))
}

/// The filter expression for a query, visibility included.
fn build_filter(query: &SearchQuery) -> String {
    let mut parts = vec![format!(
        "tier IN {}",
        quoted_list(query.viewer.tiers.iter().map(String::as_str))
    )];
    if !query.viewer.moderator {
        parts.push("hidden = false".into());
    }
    if !query.kinds.is_empty() {
        parts.push(format!(
            "kind IN {}",
            quoted_list(query.kinds.iter().map(|k| k.as_str()))
        ));
    }
    let f = &query.filters;
    if let Some(category) = &f.category {
        parts.push(format!("category = {}", quote(category)));
    }
    for tag in &f.tags {
        parts.push(format!("tags = {}", quote(tag)));
    }
    if let Some(author_id) = f.author_id {
        parts.push(format!("author_id = {author_id}"));
    }
    if let Some(from) = f.created_from {
        parts.push(format!("created_at >= {from}"));
    }
    if let Some(to) = f.created_to {
        parts.push(format!("created_at <= {to}"));
    }
    if let Some(solved) = f.solved {
        parts.push(format!("solved = {solved}"));
    }
    if let Some(tier) = &f.tier {
        parts.push(format!("tier = {}", quote(tier)));
    }
    parts.join(" AND ")
}

fn map_error(context: &str, err: MeiliError) -> SearchError {
    match err {
        MeiliError::Meilisearch(e) => {
            let message = format!("{context}: {} ({})", e.error_message, e.error_code);
            match (e.error_type, e.error_code) {
                // Not set up yet (prepare not run): retry once it is.
                (_, ErrorCode::IndexNotFound) => SearchError::Unavailable(message),
                (ErrorType::InvalidRequest, _) => SearchError::Rejected(message),
                // Auth (wrong key: works again once the configuration is
                // fixed) and internal server errors: retry later.
                _ => SearchError::Unavailable(message),
            }
        }
        MeiliError::MeilisearchCommunication(e) => {
            if e.status_code >= 500 || e.status_code == 429 || e.status_code == 408 {
                SearchError::Unavailable(format!("{context}: {e}"))
            } else {
                SearchError::Internal(format!("{context}: {e}"))
            }
        }
        MeiliError::HttpError(e) => SearchError::Unavailable(format!("{context}: {e}")),
        MeiliError::Timeout => SearchError::Unavailable(format!(
            "{context}: Meilisearch task did not finish in time"
        )),
        other => SearchError::Internal(format!("{context}: {other}")),
    }
}

/// Settings whose order means nothing to Meilisearch.
const UNORDERED_SETTINGS: [&str; 2] = ["filterableAttributes", "sortableAttributes"];

/// Whether the server's `current` settings lack anything `wanted` sets.
/// Only what we set is compared: the server reports every setting, with its
/// defaults, and may list attribute sets in its own order.
fn settings_differ(current: &Settings, wanted: &Settings) -> bool {
    match (serde_json::to_value(current), serde_json::to_value(wanted)) {
        (Ok(current), Ok(wanted)) => !json_covers(&current, &wanted, None),
        _ => true,
    }
}

/// True when `have` holds every field of `want`, recursively. Arrays under a
/// key in [`UNORDERED_SETTINGS`] compare as sets.
fn json_covers(have: &serde_json::Value, want: &serde_json::Value, key: Option<&str>) -> bool {
    use serde_json::Value;
    match (have, want) {
        (Value::Object(have), Value::Object(want)) => want.iter().all(|(k, w)| {
            have.get(k)
                .is_some_and(|h| json_covers(h, w, Some(k.as_str())))
        }),
        (Value::Array(have), Value::Array(want))
            if key.is_some_and(|k| UNORDERED_SETTINGS.contains(&k)) =>
        {
            let canonical = |items: &Vec<Value>| {
                let mut items: Vec<String> = items.iter().map(Value::to_string).collect();
                items.sort();
                items
            };
            canonical(have) == canonical(want)
        }
        (Value::Array(have), Value::Array(want)) => {
            have.len() == want.len() && have.iter().zip(want).all(|(h, w)| json_covers(h, w, None))
        }
        (have, want) => have == want,
    }
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Shared by the index handle and its rebuild builders.
struct Shared {
    client: Client,
    live_uid: String,
    request_timeout: Duration,
    task_timeout: Duration,
    /// Uid of the index being rebuilt, if any: writes go there too.
    rebuild: StdMutex<Option<String>>,
    /// The task a wait gave up on, and when that wait began: cleared by the
    /// next wait that succeeds.
    stuck: StdMutex<Option<(u32, Instant)>>,
}

impl Shared {
    /// Runs one HTTP call with a deadline: the SDK's HTTP client has none,
    /// and a hung server must not hang the job worker.
    async fn call<T>(
        &self,
        context: &str,
        fut: impl Future<Output = Result<T, MeiliError>>,
    ) -> Result<T, SearchError> {
        self.call_raw(context, fut)
            .await?
            .map_err(|e| map_error(context, e))
    }

    /// Like [`Shared::call`], leaving Meilisearch's own answer to the caller.
    async fn call_raw<T>(
        &self,
        context: &str,
        fut: impl Future<Output = Result<T, MeiliError>>,
    ) -> Result<Result<T, MeiliError>, SearchError> {
        tokio::time::timeout(self.request_timeout, fut)
            .await
            .map_err(|_| {
                SearchError::Unavailable(format!(
                    "{context}: Meilisearch did not answer within {:?}",
                    self.request_timeout
                ))
            })
    }

    /// Waits for a task to finish: `Ok(Err(..))` is a failed task with
    /// Meilisearch's error, `Err` means we could not find out.
    async fn wait_raw(
        &self,
        context: &str,
        task: TaskInfo,
    ) -> Result<Result<(), MeilisearchError>, SearchError> {
        let began = Instant::now();
        let uid = task.task_uid;
        let poll = task.wait_for_completion(
            &self.client,
            Some(Duration::from_millis(50)),
            Some(self.task_timeout),
        );
        // Outer deadline covers the polling requests themselves.
        let outcome =
            match tokio::time::timeout(self.task_timeout + self.request_timeout, poll).await {
                Ok(Ok(Task::Succeeded { .. })) => Ok(Ok(())),
                Ok(Ok(Task::Failed { content })) => Ok(Err(content.error)),
                Ok(Ok(Task::Enqueued { .. } | Task::Processing { .. }))
                | Ok(Err(MeiliError::Timeout))
                | Err(_) => {
                    self.mark_stuck(uid, began);
                    return Err(SearchError::Unavailable(format!(
                        "{context}: Meilisearch task {uid} did not finish within {:?}",
                        self.task_timeout
                    )));
                }
                Ok(Err(e)) => return Err(map_error(context, e)),
            };
        self.clear_stuck();
        outcome
    }

    fn stuck_slot(&self) -> std::sync::MutexGuard<'_, Option<(u32, Instant)>> {
        self.stuck.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mark_stuck(&self, task: u32, since: Instant) {
        let mut slot = self.stuck_slot();
        if slot.is_none() {
            tracing::warn!(task, "Meilisearch task is stuck");
            *slot = Some((task, since));
        }
    }

    fn clear_stuck(&self) {
        self.stuck_slot().take();
    }

    /// Sends `changes` to index `uid` without waiting: one request for the
    /// upserts and one for the removals.
    async fn send(
        &self,
        uid: &str,
        changes: &IndexChanges,
    ) -> Result<Vec<(&'static str, TaskInfo)>, SearchError> {
        let index = self.client.index(uid);
        let mut tasks = Vec::new();
        // The indexer bounds a batch well below Meilisearch's payload limit;
        // the chunks only guard direct callers handing over a whole corpus.
        for chunk in changes.upserts.chunks(MAX_REQUEST_DOCS) {
            let payload: Vec<MeiliDoc<'_>> = chunk.iter().map(MeiliDoc::from_doc).collect();
            let context = "indexing documents";
            tasks.push((
                context,
                self.call(context, index.add_or_replace(&payload, Some("id")))
                    .await?,
            ));
        }
        if !changes.deletes.is_empty() {
            let ids: Vec<String> = changes.deletes.iter().map(|id| encode_id(id)).collect();
            for chunk in ids.chunks(MAX_REQUEST_DOCS) {
                let context = "deleting documents";
                tasks.push((
                    context,
                    self.call(context, index.delete_documents(chunk)).await?,
                ));
            }
        }
        Ok(tasks)
    }

    /// Waits for every task; the first failure is the result.
    async fn wait_all(&self, tasks: Vec<(&'static str, TaskInfo)>) -> Result<(), SearchError> {
        let mut first_error = None;
        for (context, task) in tasks {
            if let Err(e) = self.wait(context, task).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Waits for a task; a failed task is `Rejected` with Meilisearch's message.
    async fn wait(&self, context: &str, task: TaskInfo) -> Result<(), SearchError> {
        self.wait_raw(context, task).await?.map_err(|e| {
            SearchError::Rejected(format!("{context}: {} ({})", e.error_message, e.error_code))
        })
    }

    fn settings() -> Settings {
        Settings::new()
            .with_searchable_attributes(SEARCHABLE)
            .with_filterable_attributes(FILTERABLE)
            .with_sortable_attributes(["created_at"])
            .with_ranking_rules(RANKING_RULES)
            .with_typo_tolerance(TypoToleranceSettings {
                enabled: Some(true),
                disable_on_attributes: Some(Vec::new()),
                disable_on_words: Some(Vec::new()),
                min_word_size_for_typos: Some(MinWordSizeForTypos {
                    one_typo: Some(5),
                    two_typos: Some(9),
                }),
                disable_on_numbers: None,
            })
            .with_distinct_attribute(Some("group"))
            .with_faceting(FacetingSettings {
                max_values_per_facet: MAX_FACET_VALUES,
                // Keep the most frequent values when there are more than the
                // cap (the default keeps the alphabetically first).
                sort_facet_values_by: Some(BTreeMap::from([(
                    "*".to_string(),
                    FacetSortValue::Count,
                )])),
            })
            .with_pagination(PaginationSetting {
                max_total_hits: MAX_TOTAL_HITS,
            })
    }

    /// Creates `uid` if it is missing, and applies the settings when the
    /// server's differ from ours; idempotent, and a no-op on a server that
    /// is already set up (no failed `indexCreation` task on every start).
    async fn ensure_index(&self, uid: &str) -> Result<(), SearchError> {
        let context = "looking up search index";
        let exists = match self
            .call_raw(context, self.client.get_raw_index(uid))
            .await?
        {
            Ok(_) => true,
            Err(MeiliError::Meilisearch(e)) if e.error_code == ErrorCode::IndexNotFound => false,
            Err(e) => return Err(map_error(context, e)),
        };
        if !exists {
            let task = self
                .call(
                    "creating search index",
                    self.client.create_index(uid, Some("id")),
                )
                .await?;
            match self.wait_raw("creating search index", task).await? {
                Ok(()) => {}
                // Created meanwhile by another replica: fine.
                Err(e) if e.error_code == ErrorCode::IndexAlreadyExists => {}
                Err(e) => {
                    return Err(SearchError::Rejected(format!(
                        "creating search index: {} ({})",
                        e.error_message, e.error_code
                    )));
                }
            }
        }
        let index = self.client.index(uid);
        let wanted = Self::settings();
        let current = self
            .call("reading search index settings", index.get_settings())
            .await;
        let differ = match &current {
            Ok(current) => settings_differ(current, &wanted),
            // Settings this SDK cannot read back: set them to be sure.
            Err(_) => true,
        };
        if !differ {
            return Ok(());
        }
        let task = self
            .call("configuring search index", index.set_settings(&wanted))
            .await?;
        self.wait("configuring search index", task).await
    }

    async fn delete_index(&self, uid: &str) -> Result<(), SearchError> {
        let task = self
            .call("deleting search index", self.client.delete_index(uid))
            .await?;
        match self.wait_raw("deleting search index", task).await? {
            Ok(()) => Ok(()),
            Err(e) if e.error_code == ErrorCode::IndexNotFound => Ok(()),
            Err(e) => Err(SearchError::Rejected(format!(
                "deleting search index: {} ({})",
                e.error_message, e.error_code
            ))),
        }
    }

    fn rebuild_slot(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.rebuild.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_targets(&self) -> Vec<String> {
        let mut targets = vec![self.live_uid.clone()];
        if let Some(uid) = self.rebuild_slot().clone() {
            targets.push(uid);
        }
        targets
    }

    fn rebuild_prefix(&self) -> String {
        format!("{}_rebuild_", self.live_uid)
    }

    /// Uids of every index on the server (paged: the API returns 20 by default).
    async fn index_uids(&self) -> Result<Vec<String>, SearchError> {
        const PAGE: usize = 200;
        let mut uids = Vec::new();
        loop {
            let mut query = IndexesQuery::new(&self.client);
            query.with_offset(uids.len()).with_limit(PAGE);
            let page = self
                .call(
                    "listing search indexes",
                    self.client.list_all_indexes_with(&query),
                )
                .await?;
            let n = page.results.len();
            uids.extend(page.results.into_iter().map(|i| i.uid));
            if n < PAGE {
                return Ok(uids);
            }
        }
    }

    /// Best effort: deletes rebuild indexes left by crashed or abandoned
    /// rebuilds, once they are old enough not to be someone's live rebuild.
    async fn remove_stale_rebuilds(&self) {
        let prefix = self.rebuild_prefix();
        let uids = match self.index_uids().await {
            Ok(uids) => uids,
            Err(err) => {
                tracing::warn!(error = %err, "listing stale search rebuild indexes");
                return;
            }
        };
        let now = now_millis();
        for uid in uids {
            // `<prefix>_rebuild_<millis>_<seq>`
            let Some(stamp) = uid
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split('_').next())
                .and_then(|s| s.parse::<u128>().ok())
            else {
                continue;
            };
            if now.saturating_sub(stamp) > STALE_REBUILD.as_millis()
                && let Err(err) = self.delete_index(&uid).await
            {
                tracing::warn!(error = %err, uid = %uid, "deleting stale search index");
            }
        }
    }
}

/// Meilisearch-backed [`SearchIndex`].
pub struct MeiliIndex {
    shared: Arc<Shared>,
}

impl MeiliIndex {
    /// `url` like `http://127.0.0.1:7700`; `api_key` the master key or an API
    /// key allowed to manage indexes, documents, settings and tasks; `prefix`
    /// namespaces the index uids (e.g. `commons_`, or a unique one per test).
    pub fn new(url: &str, api_key: Option<&str>, prefix: &str) -> Result<Self, SearchError> {
        Self::with_timeouts(
            url,
            api_key,
            prefix,
            Duration::from_secs(30),
            Duration::from_secs(120),
        )
    }

    /// Like [`MeiliIndex::new`], with the deadline for one HTTP request and
    /// how long to wait for an indexing task to finish.
    pub fn with_timeouts(
        url: &str,
        api_key: Option<&str>,
        prefix: &str,
        request_timeout: Duration,
        task_timeout: Duration,
    ) -> Result<Self, SearchError> {
        if !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(SearchError::Internal(format!(
                "Meilisearch index prefix {prefix:?} may only use letters, digits, '_' and '-'"
            )));
        }
        // The SDK panics on a key that is not a valid header value.
        if let Some(key) = api_key
            && !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(SearchError::Internal(
                "Meilisearch API key contains invalid characters".into(),
            ));
        }
        let client = Client::new(url.trim_end_matches('/'), api_key)
            .map_err(|e| map_error("creating Meilisearch client", e))?;
        Ok(MeiliIndex {
            shared: Arc::new(Shared {
                client,
                live_uid: format!("{prefix}documents"),
                request_timeout,
                task_timeout,
                rebuild: StdMutex::new(None),
                stuck: StdMutex::new(None),
            }),
        })
    }

    /// Uid of the live index.
    pub fn index_uid(&self) -> &str {
        &self.shared.live_uid
    }

    /// Deletes every index under this prefix (the live one and any rebuild).
    /// For tests and for decommissioning.
    pub async fn destroy(&self) -> Result<(), SearchError> {
        let shared = &self.shared;
        for uid in shared.index_uids().await? {
            if uid == shared.live_uid || uid.starts_with(&shared.rebuild_prefix()) {
                shared.delete_index(&uid).await?;
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl SearchIndex for MeiliIndex {
    fn engine(&self) -> &'static str {
        "meilisearch"
    }

    async fn prepare(&self) -> Result<(), SearchError> {
        self.shared.ensure_index(&self.shared.live_uid).await
    }

    async fn health(&self) -> Result<(), SearchError> {
        let health = self
            .shared
            .call("checking Meilisearch health", self.shared.client.health())
            .await?;
        if health.status == "available" {
            Ok(())
        } else {
            Err(SearchError::Unavailable(format!(
                "Meilisearch reports status {:?}",
                health.status
            )))
        }
    }

    async fn apply(&self, changes: IndexChanges) -> Result<(), SearchError> {
        if changes.is_empty() {
            return Ok(());
        }
        changes.validate()?;
        // Live first: if the rebuild target fails, the live index is still right.
        for uid in self.shared.write_targets() {
            let tasks = self.shared.send(&uid, &changes).await?;
            self.shared.wait_all(tasks).await?;
        }
        Ok(())
    }

    fn stuck_task(&self) -> Option<StuckTask> {
        self.shared.stuck_slot().map(|(task, since)| StuckTask {
            task: task.to_string(),
            waited_seconds: since.elapsed().as_secs(),
        })
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        if query.viewer.tiers.is_empty() {
            return Ok(SearchResults::default()); // can see nothing
        }
        let shared = &self.shared;
        let index = shared.client.index(&shared.live_uid);
        let filter = build_filter(query);
        let limit = query.effective_limit();
        let placeholder = query.is_placeholder();

        let mut request = index.search();
        request
            .with_filter(&filter)
            .with_facets(Selectors::Some(&FACETS))
            .with_attributes_to_retrieve(Selectors::Some(&RETRIEVE))
            .with_attributes_to_highlight(Selectors::Some(&HIGHLIGHT))
            .with_attributes_to_crop(Selectors::Some(&CROP))
            .with_crop_length(CROP_WORDS)
            .with_crop_marker(CROP_MARKER)
            .with_highlight_pre_tag(PRE_TAG)
            .with_highlight_post_tag(POST_TAG)
            .with_show_ranking_score(true)
            // Every word must match, as in the Tantivy engine (the default
            // "last" strategy would also return documents matching only the
            // first words).
            .with_matching_strategy(MatchingStrategies::ALL);
        if placeholder {
            request.with_sort(&SORT_RECENT);
        } else {
            request.with_query(&query.text);
        }
        // Page-based pagination gives an exact total (`totalHits`); offset
        // pagination only an estimate, so use pages whenever they line up.
        let paged = limit > 0 && query.offset.is_multiple_of(limit);
        if paged {
            request
                .with_page(query.offset / limit + 1)
                .with_hits_per_page(limit);
        } else {
            request.with_offset(query.offset).with_limit(limit);
        }
        let response = shared
            .call("searching", request.execute::<MeiliHit>())
            .await?;

        let total = if paged {
            response.total_hits
        } else {
            response.estimated_total_hits
        }
        .or(response.estimated_total_hits)
        .or(response.total_hits)
        .unwrap_or(response.hits.len()) as u64;

        let mut facets = Facets::default();
        if let Some(mut distribution) = response.facet_distribution {
            let mut take = |name: &str| {
                sort_facet_counts(
                    distribution
                        .remove(name)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v as u64)),
                )
            };
            facets.category = take("category");
            facets.tags = take("tags");
        }

        let mut hits = Vec::with_capacity(response.hits.len());
        for hit in response.hits {
            let formatted = |field: &str| -> Option<String> {
                hit.formatted_result
                    .as_ref()
                    .and_then(|f| f.get(field))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let snippet = if !hit.result.body.trim().is_empty() {
                formatted("body").map(|s| render_marked(&s, PRE_TAG, POST_TAG))
            } else {
                formatted("title").map(|s| render_marked(&s, PRE_TAG, POST_TAG))
            }
            .unwrap_or_else(|| escape(&hit.result.title));
            hits.push(SearchHit {
                id: decode_id(&hit.result.id)?,
                kind: hit.result.kind,
                object_id: hit.result.object_id,
                thread_id: hit.result.thread_id,
                score: hit.ranking_score.unwrap_or(0.0) as f32,
                snippet,
            });
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild>, SearchError> {
        let shared = &self.shared;
        if shared.rebuild_slot().is_some() {
            return Err(SearchError::Rejected(
                "a search index rebuild is already in progress".into(),
            ));
        }
        // The swap needs the live index to exist.
        shared.ensure_index(&shared.live_uid).await?;
        shared.remove_stale_rebuilds().await;
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let uid = format!(
            "{}{}_{}",
            shared.rebuild_prefix(),
            now_millis(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        shared.ensure_index(&uid).await?;
        let claimed = {
            let mut slot = shared.rebuild_slot();
            let free = slot.is_none();
            if free {
                *slot = Some(uid.clone());
            }
            free
        };
        if !claimed {
            // Lost a race with another begin_rebuild.
            let _ = shared.delete_index(&uid).await;
            return Err(SearchError::Rejected(
                "a search index rebuild is already in progress".into(),
            ));
        }
        Ok(Box::new(MeiliRebuild {
            shared: shared.clone(),
            uid,
            pending: Vec::new(),
            finished: false,
        }))
    }
}

struct MeiliRebuild {
    shared: Arc<Shared>,
    uid: String,
    /// Batches sent and not yet waited for: the rebuild waits once, before
    /// the swap.
    pending: Vec<(&'static str, TaskInfo)>,
    finished: bool,
}

impl MeiliRebuild {
    fn release_slot(&self) {
        let mut slot = self.shared.rebuild_slot();
        if slot.as_deref() == Some(self.uid.as_str()) {
            *slot = None;
        }
    }
}

#[async_trait::async_trait]
impl IndexRebuild for MeiliRebuild {
    async fn add(&mut self, docs: Vec<SearchDocument>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        let changes = IndexChanges {
            upserts: docs,
            deletes: Vec::new(),
        };
        changes.validate()?;
        let tasks = self.shared.send(&self.uid, &changes).await?;
        self.pending.extend(tasks);
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<(), SearchError> {
        let shared = self.shared.clone();
        shared.wait_all(std::mem::take(&mut self.pending)).await?;
        let swap = SwapIndexes {
            indexes: (shared.live_uid.clone(), self.uid.clone()),
            rename: None,
        };
        let task = shared
            .call(
                "swapping search indexes",
                shared.client.swap_indexes([&swap]),
            )
            .await?;
        shared.wait("swapping search indexes", task).await?;
        // Writes queued before the swap reached both indexes; from here on
        // only the live uid (now the new content) matters.
        self.release_slot();
        self.finished = true;
        // `self.uid` now holds the old content.
        if let Err(err) = shared.delete_index(&self.uid).await {
            tracing::warn!(error = %err, uid = %self.uid, "deleting replaced search index");
        }
        Ok(())
    }
}

impl Drop for MeiliRebuild {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.release_slot();
        // Abandoned: delete the half-built index in the background if we can;
        // otherwise the next rebuild removes it once stale.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let shared = self.shared.clone();
            let uid = std::mem::take(&mut self.uid);
            handle.spawn(async move {
                if let Err(err) = shared.delete_index(&uid).await {
                    tracing::warn!(error = %err, uid = %uid, "deleting abandoned search rebuild");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{SearchFilters, Viewer};

    #[test]
    fn ids_round_trip() {
        for id in ["post:42", "workspace:7", "a-b_c:d/é", "", "POST:1"] {
            let encoded = encode_id(id);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{encoded}"
            );
            assert_eq!(decode_id(&encoded).as_deref(), Ok(id));
        }
        assert_eq!(encode_id("post:42"), "post-42");
        assert_ne!(encode_id("a-b"), encode_id("a:b"));
        assert!(decode_id("a_zz").is_err());
        assert!(decode_id("a_4").is_err());
        assert!(decode_id("a b").is_err());
    }

    #[test]
    fn filter_expression() {
        let mut query = SearchQuery::new(
            "x",
            Viewer {
                tiers: vec!["registered".into()],
                moderator: false,
            },
        );
        query.kinds = vec![DocKind::Post];
        query.filters = SearchFilters {
            category: Some("meth\"ods".into()),
            tags: vec!["a".into(), "b\\".into()],
            author_id: Some(3),
            created_from: Some(10),
            created_to: Some(20),
            solved: Some(true),
            tier: Some("registered".into()),
        };
        assert_eq!(
            build_filter(&query),
            "tier IN [\"registered\"] AND hidden = false AND kind IN [\"post\"] AND \
             category = \"meth\\\"ods\" AND tags = \"a\" AND tags = \"b\\\\\" AND author_id = 3 \
             AND created_at >= 10 AND created_at <= 20 AND solved = true AND tier = \"registered\""
        );
        query.viewer.moderator = true;
        assert!(!build_filter(&query).contains("hidden"));
    }

    #[test]
    fn settings_serialize_as_meilisearch_expects() {
        let json = serde_json::to_value(Shared::settings()).unwrap_or_default();
        assert_eq!(json["distinctAttribute"], "group");
        assert_eq!(json["typoTolerance"]["minWordSizeForTypos"]["oneTypo"], 5);
        assert_eq!(json["typoTolerance"]["minWordSizeForTypos"]["twoTypos"], 9);
        assert_eq!(json["searchableAttributes"][0], "title");
        assert_eq!(json["faceting"]["sortFacetValuesBy"]["*"], "count");
        assert_eq!(json["pagination"]["maxTotalHits"], MAX_TOTAL_HITS);
    }

    #[test]
    fn rejects_bad_configuration() {
        assert!(MeiliIndex::new("http://127.0.0.1:7700", Some("k"), "bad prefix").is_err());
        assert!(MeiliIndex::new("http://127.0.0.1:7700", Some("bad\nkey"), "ok_").is_err());
        assert!(MeiliIndex::new("http://127.0.0.1:7700/", None, "ok_").is_ok());
    }

    #[tokio::test]
    async fn unreachable_server_is_unavailable() {
        // Port 9 (discard) on loopback: nothing listens, connection refused.
        let index = MeiliIndex::with_timeouts(
            "http://127.0.0.1:9",
            None,
            "t_",
            Duration::from_secs(5),
            Duration::from_secs(5),
        );
        let Ok(index) = index else {
            panic!("client should build");
        };
        match index.health().await {
            Err(SearchError::Unavailable(_)) => {}
            other => panic!("expected Unavailable, got {other:?}"),
        }
        match index
            .upsert(vec![crate::search::contract::doc("post:1", "x", "y")])
            .await
        {
            Err(SearchError::Unavailable(_)) => {}
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[test]
    fn settings_read_back_in_the_servers_order_do_not_differ() {
        let wanted = Shared::settings();
        let Ok(mut current) = serde_json::to_value(&wanted) else {
            panic!("settings serialise");
        };
        // The server lists attribute sets its own way and adds defaults.
        if let Some(filterable) = current["filterableAttributes"].as_array_mut() {
            filterable.reverse();
        }
        current["stopWords"] = serde_json::json!([]);
        current["typoTolerance"]["disableOnNumbers"] = serde_json::json!(false);
        let Ok(current) = serde_json::from_value::<Settings>(current) else {
            panic!("settings deserialise");
        };
        assert!(!settings_differ(&current, &wanted));
    }

    #[test]
    fn a_changed_setting_differs() {
        let wanted = Shared::settings();
        let reordered_ranking = wanted.clone().with_ranking_rules([
            "typo",
            "words",
            "proximity",
            "attribute",
            "sort",
            "exactness",
        ]);
        assert!(settings_differ(&reordered_ranking, &wanted));
        let fewer_filters = wanted.clone().with_filterable_attributes(["kind"]);
        assert!(settings_differ(&fewer_filters, &wanted));
        let no_distinct = wanted.clone().with_distinct_attribute(None::<String>);
        assert!(settings_differ(&no_distinct, &wanted));
    }
}
