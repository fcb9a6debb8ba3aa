//! Full-text search over forum posts, workspaces and profiles.
//!
//! Two interchangeable engines sit behind [`SearchIndex`]: an embedded Tantivy
//! index (the default, no extra service to run) and a Meilisearch adapter for
//! production. Both must behave the same way for the checks in [`contract`]:
//! same matching rules (all words, prefix on the last word, Meilisearch's typo
//! budget), same filters, visibility enforced inside `search`, results grouped
//! by [`SearchDocument::group`], facets counted over every visible matching
//! group, and snippets where only `<mark>` / `</mark>` are live HTML.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

// The contract suite is test code: it is compiled for the crate's own
// tests, and for the integration tests through the `test-support` feature
// (which `cfg(test)` alone does not reach).
#[cfg(any(test, feature = "test-support"))]
pub mod contract;
pub mod meili_index;
pub mod snippet;
pub mod tantivy_index;

pub use meili_index::MeiliIndex;
pub use tantivy_index::TantivyIndex;

/// What an indexed document stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Post,
    Workspace,
    Profile,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Post, DocKind::Workspace, DocKind::Profile];

    /// The value stored in the engines (and used in ids such as `post:42`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Post => "post",
            DocKind::Workspace => "workspace",
            DocKind::Profile => "profile",
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocKind {
    type Err = SearchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "post" => Ok(DocKind::Post),
            "workspace" => Ok(DocKind::Workspace),
            "profile" => Ok(DocKind::Profile),
            other => Err(SearchError::Internal(format!(
                "unknown document kind {other:?} in the index"
            ))),
        }
    }
}

/// The data tier every signed-in researcher holds.
pub const TIER_REGISTERED: &str = "registered";
/// The data tier for controlled-access material.
pub const TIER_CONTROLLED: &str = "controlled";

/// Longest accepted document id, in bytes. Meilisearch caps ids at 511 bytes
/// and our id encoding can triple a byte, so stay well below.
pub const MAX_ID_LEN: usize = 160;

/// Largest page a single search returns, whatever the caller asks for.
pub const MAX_LIMIT: usize = 200;

/// Facet values returned per facet (Meilisearch's `maxValuesPerFacet`).
pub const MAX_FACET_VALUES: usize = 100;

/// Query words beyond this many are ignored (Meilisearch does the same).
pub const MAX_QUERY_WORDS: usize = 10;

/// One indexed document. Threads are indexed as their posts (the opening post
/// carries the thread title too), grouped by thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    /// Unique: "post:42", "workspace:7", "profile:3".
    pub id: String,
    pub kind: DocKind,
    /// Results are de-duplicated by group: "thread:9" for posts; the id itself otherwise.
    pub group: String,
    /// Post, workspace or user id.
    pub object_id: i64,
    pub thread_id: Option<i64>,
    /// Thread title (on every post of the thread), workspace name, profile display name.
    pub title: String,
    /// Plain text (never HTML: snippets escape it).
    pub body: String,
    /// Category slug.
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub author_id: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    pub solved: Option<bool>,
    /// "registered" | "controlled": the data tier needed to see it.
    pub tier: String,
    /// Hidden by moderation: visible to moderators only.
    pub hidden: bool,
}

impl SearchDocument {
    /// Checks what both engines need from a document, so a bad one is refused
    /// the same way whichever engine is configured.
    pub fn validate(&self) -> Result<(), SearchError> {
        if self.id.is_empty() {
            return Err(SearchError::Rejected("document id is empty".into()));
        }
        if self.id.len() > MAX_ID_LEN {
            return Err(SearchError::Rejected(format!(
                "document id is longer than {MAX_ID_LEN} bytes"
            )));
        }
        if self.group.is_empty() {
            return Err(SearchError::Rejected(format!(
                "document {} has an empty group",
                self.id
            )));
        }
        if self.tier.is_empty() {
            return Err(SearchError::Rejected(format!(
                "document {} has an empty tier",
                self.id
            )));
        }
        Ok(())
    }
}

/// Who is searching: visibility is enforced inside every `search`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// Tiers the viewer holds.
    pub tiers: Vec<String>,
    pub moderator: bool,
}

impl Viewer {
    pub fn can_see(&self, tier: &str, hidden: bool) -> bool {
        self.tiers.iter().any(|t| t == tier) && (!hidden || self.moderator)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchFilters {
    pub category: Option<String>,
    /// All must match.
    pub tags: Vec<String>,
    pub author_id: Option<i64>,
    /// Inclusive lower bound on `created_at` (unix seconds).
    pub created_from: Option<i64>,
    /// Inclusive upper bound on `created_at` (unix seconds).
    pub created_to: Option<i64>,
    pub solved: Option<bool>,
    pub tier: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text. Empty (or without any letter or digit) lists everything
    /// visible that passes the filters, newest first.
    pub text: String,
    /// Empty = all kinds.
    pub kinds: Vec<DocKind>,
    pub filters: SearchFilters,
    pub viewer: Viewer,
    pub offset: usize,
    /// Clamped to [`MAX_LIMIT`].
    pub limit: usize,
}

impl SearchQuery {
    pub fn new(text: impl Into<String>, viewer: Viewer) -> Self {
        SearchQuery {
            text: text.into(),
            kinds: Vec::new(),
            filters: SearchFilters::default(),
            viewer,
            offset: 0,
            limit: 20,
        }
    }

    /// True when the text has nothing to match on, so the search lists
    /// documents by recency instead of relevance.
    pub fn is_placeholder(&self) -> bool {
        !self.text.chars().any(char::is_alphanumeric)
    }

    pub(crate) fn effective_limit(&self) -> usize {
        self.limit.min(MAX_LIMIT)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub id: String,
    pub kind: DocKind,
    pub object_id: i64,
    pub thread_id: Option<i64>,
    /// Engine-specific relevance: BM25 for Tantivy, `_rankingScore` (0..=1) for
    /// Meilisearch. Only meaningful for ordering within one result set.
    pub score: f32,
    /// Sanitized HTML: only `<mark>…</mark>` survive, all text is escaped.
    pub snippet: String,
}

/// Facet counts over all visible matching groups (not just the page), sorted
/// by count descending then name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub category: Vec<(String, u64)>,
    pub tags: Vec<(String, u64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Number of matching groups (a thread counts once).
    pub total: u64,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// The engine is down or not answering: retry later.
    #[error("search engine unavailable: {0}")]
    Unavailable(String),
    /// The engine refused the request (failed task, bad document): retrying
    /// the same input will fail the same way.
    #[error("search request rejected: {0}")]
    Rejected(String),
    #[error("search internal error: {0}")]
    Internal(String),
}

impl SearchError {
    /// Whether a job worker should retry the same operation later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SearchError::Unavailable(_))
    }
}

/// Documents to insert or replace and ids to remove, applied together:
/// one write per index (one Meilisearch request for each half, one Tantivy
/// commit), however many documents it carries. An id appears at most once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexChanges {
    pub upserts: Vec<SearchDocument>,
    pub deletes: Vec<String>,
}

impl IndexChanges {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty()
    }

    /// How many documents the changes touch.
    pub fn len(&self) -> usize {
        self.upserts.len() + self.deletes.len()
    }

    /// Checks every upsert (see [`SearchDocument::validate`]).
    pub fn validate(&self) -> Result<(), SearchError> {
        self.upserts.iter().try_for_each(SearchDocument::validate)
    }
}

/// A write the engine accepted but has not finished applying within its
/// deadline (Meilisearch's task queue is stuck or far behind).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StuckTask {
    /// The engine's id for the task.
    pub task: String,
    /// How long it has been waited for, in seconds.
    pub waited_seconds: u64,
}

#[async_trait::async_trait]
pub trait SearchIndex: Send + Sync {
    /// "tantivy" | "meilisearch".
    fn engine(&self) -> &'static str;
    /// Create indexes and settings; idempotent.
    async fn prepare(&self) -> Result<(), SearchError>;
    async fn health(&self) -> Result<(), SearchError>;
    /// Applies upserts (insert or replace by id) and removals (unknown ids
    /// are ignored) in one write; visible to search when it returns.
    async fn apply(&self, changes: IndexChanges) -> Result<(), SearchError>;
    /// Insert or replace by id; visible to search when it returns.
    async fn upsert(&self, docs: Vec<SearchDocument>) -> Result<(), SearchError> {
        self.apply(IndexChanges {
            upserts: docs,
            deletes: Vec::new(),
        })
        .await
    }
    /// Remove by id; unknown ids are ignored. Applied when it returns.
    async fn delete(&self, ids: Vec<String>) -> Result<(), SearchError> {
        self.apply(IndexChanges {
            upserts: Vec::new(),
            deletes: ids,
        })
        .await
    }
    /// The oldest write still waited for past its deadline, if any: the
    /// engine is degraded while one exists.
    fn stuck_task(&self) -> Option<StuckTask> {
        None
    }
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError>;
    /// Zero-downtime rebuild: returns a builder writing into a fresh index;
    /// `finish` swaps it in atomically. Until then searches use the old index,
    /// and `upsert`/`delete` go to both so no write made during the rebuild is
    /// lost. Dropping the builder without `finish` abandons the rebuild.
    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild>, SearchError>;
}

#[async_trait::async_trait]
pub trait IndexRebuild: Send {
    async fn add(&mut self, docs: Vec<SearchDocument>) -> Result<(), SearchError>;
    async fn finish(self: Box<Self>) -> Result<(), SearchError>;
}

/// How many typos a query word may carry, as Meilisearch's defaults
/// (`minWordSizeForTypos`: one from 5 characters, two from 9).
pub fn typo_budget(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Sorts facet counts by count descending then name, keeping the first
/// [`MAX_FACET_VALUES`].
pub(crate) fn sort_facet_counts(
    counts: impl IntoIterator<Item = (String, u64)>,
) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(MAX_FACET_VALUES);
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_budget_follows_meilisearch_defaults() {
        assert_eq!(typo_budget("gene"), 0);
        assert_eq!(typo_budget("genes"), 1);
        assert_eq!(typo_budget("genomics"), 1);
        assert_eq!(typo_budget("biobanked"), 2);
        assert_eq!(typo_budget("épidémie"), 1);
    }

    #[test]
    fn facet_counts_sort_by_count_then_name() {
        let sorted = sort_facet_counts([
            ("b".to_string(), 2),
            ("a".to_string(), 2),
            ("c".to_string(), 5),
            ("z".to_string(), 0),
        ]);
        assert_eq!(
            sorted,
            vec![("c".into(), 5), ("a".into(), 2), ("b".into(), 2)]
        );
    }

    #[test]
    fn kinds_round_trip() {
        for kind in DocKind::ALL {
            assert_eq!(kind.as_str().parse::<DocKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.as_str().into()))
            );
        }
    }

    #[test]
    fn viewer_visibility() {
        let viewer = Viewer {
            tiers: vec![TIER_REGISTERED.into()],
            moderator: false,
        };
        assert!(viewer.can_see(TIER_REGISTERED, false));
        assert!(!viewer.can_see(TIER_CONTROLLED, false));
        assert!(!viewer.can_see(TIER_REGISTERED, true));
        let moderator = Viewer {
            moderator: true,
            ..viewer
        };
        assert!(moderator.can_see(TIER_REGISTERED, true));
    }
}
