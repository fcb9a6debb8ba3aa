//! Embedded search engine: a Tantivy index on local disk.
//!
//! Layout of the directory given to [`TantivyIndex::open`]:
//!
//! ```text
//! <dir>/CURRENT        names the active generation, e.g. "gen-000003"
//! <dir>/gen-000003/    a complete Tantivy index
//! ```
//!
//! A rebuild writes a new generation next to the active one and switches by
//! atomically renaming a new `CURRENT` into place, so a crash leaves either
//! the old or the new index active, never a half-built one. Generations not
//! named by `CURRENT` are leftovers and are deleted.
//!
//! Matching mirrors Meilisearch's defaults so both engines answer alike: every
//! query word must match (in title, body or tags), the last word also as a
//! prefix, with one typo allowed from 5 characters and two from 9
//! (transpositions count as one).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex, RwLock};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal,
    SegmentReader, TantivyDocument, TantivyError, Term,
};
use tokio::sync::Mutex;

use super::snippet::build_snippet;
use super::{
    DocKind, Facets, IndexChanges, IndexRebuild, MAX_QUERY_WORDS, SearchDocument, SearchError,
    SearchHit, SearchIndex, SearchQuery, SearchResults, sort_facet_counts, typo_budget,
};

/// Name of the analyzer used for title, body and tags text.
const ANALYZER: &str = "commons_text";
/// Pointer file naming the active generation.
const POINTER: &str = "CURRENT";
const GEN_PREFIX: &str = "gen-";
/// Indexing memory: one thread is plenty for a forum and keeps the footprint
/// small; Tantivy needs at least 15 MB per thread.
const WRITER_THREADS: usize = 1;
const WRITER_MEMORY: usize = 48_000_000;
/// Characters of body text in a snippet (Meilisearch crops ~30 words).
const SNIPPET_CHARS: usize = 200;
/// Relevance weights per searchable attribute, in Meilisearch's
/// `searchableAttributes` order: title, body, tags.
const TITLE_BOOST: Score = 3.0;
const BODY_BOOST: Score = 1.0;
const TAGS_BOOST: Score = 0.7;
/// Typo and prefix matches score a constant; keep them below a typical exact
/// BM25 match so exact words rank first (Meilisearch's `typo` rule).
const APPROX_FACTOR: Score = 0.3;

fn analyzer() -> TextAnalyzer {
    // No stemming: Meilisearch does not stem either.
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

#[derive(Clone, Copy, Debug)]
struct Fields {
    id: Field,
    kind: Field,
    group: Field,
    object_id: Field,
    thread_id: Field,
    title: Field,
    body: Field,
    tags_text: Field,
    category: Field,
    tags: Field,
    author_id: Field,
    created_at: Field,
    solved: Field,
    tier: Field,
    hidden: Field,
}

// Fast-field names read by the collector.
const F_GROUP: &str = "group";
const F_CATEGORY: &str = "category";
const F_TAGS: &str = "tags";
const F_CREATED_AT: &str = "created_at";

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                // No phrase queries, so no positions: smaller index.
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored { opts.set_stored() } else { opts }
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        group: b.add_text_field(F_GROUP, STRING | FAST),
        object_id: b.add_i64_field("object_id", STORED),
        thread_id: b.add_i64_field("thread_id", STORED),
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field("body", text(true)),
        tags_text: b.add_text_field("tags_text", text(false)),
        category: b.add_text_field(F_CATEGORY, STRING | FAST),
        tags: b.add_text_field(F_TAGS, STRING | FAST),
        author_id: b.add_i64_field("author_id", INDEXED),
        created_at: b.add_i64_field(F_CREATED_AT, INDEXED | FAST),
        solved: b.add_bool_field("solved", INDEXED),
        tier: b.add_text_field("tier", STRING),
        hidden: b.add_bool_field("hidden", INDEXED),
    };
    (b.build(), fields)
}

fn tantivy_err(context: &str, err: TantivyError) -> SearchError {
    match err {
        // Disk trouble or another process holding the index: may clear up.
        TantivyError::IoError(_)
        | TantivyError::LockFailure(..)
        | TantivyError::OpenWriteError(_)
        | TantivyError::OpenReadError(_) => SearchError::Unavailable(format!("{context}: {err}")),
        other => SearchError::Internal(format!("{context}: {other}")),
    }
}

fn io_err(context: &str, err: std::io::Error) -> SearchError {
    SearchError::Unavailable(format!("{context}: {err}"))
}

fn join_err(err: tokio::task::JoinError) -> SearchError {
    SearchError::Internal(format!("search task failed: {err}"))
}

/// One complete Tantivy index (a directory on disk, or RAM in tests).
struct Generation {
    dir: Option<PathBuf>,
    reader: IndexReader,
    /// Tantivy allows one writer per index. `None` once the generation is
    /// retired (replaced by a rebuild), so late writers skip it.
    writer: Arc<Mutex<Option<IndexWriter>>>,
}

impl Generation {
    fn from_index(index: Index, dir: Option<PathBuf>) -> Result<Self, SearchError> {
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            // Reloaded explicitly after each commit so writes are visible
            // when upsert/delete return.
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| tantivy_err("opening index reader", e))?;
        let writer = index
            .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY)
            .map_err(|e| tantivy_err("opening index writer", e))?;
        Ok(Generation {
            dir,
            reader,
            writer: Arc::new(Mutex::new(Some(writer))),
        })
    }

    fn create(root: Option<&Path>, schema: &Schema) -> Result<Self, SearchError> {
        match root {
            None => Self::from_index(Index::create_in_ram(schema.clone()), None),
            Some(root) => {
                let dir = root.join(next_generation_name(root)?);
                fs::create_dir_all(&dir).map_err(|e| io_err("creating index directory", e))?;
                let index = Index::create_in_dir(&dir, schema.clone())
                    .map_err(|e| tantivy_err("creating index", e))?;
                Self::from_index(index, Some(dir))
            }
        }
    }

    fn name(&self) -> Option<String> {
        self.dir
            .as_ref()
            .and_then(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned())
    }
}

/// Writes to apply to a generation in one commit.
#[derive(Default)]
struct WriteOp {
    upserts: Vec<(Term, TantivyDocument)>,
    deletes: Vec<Term>,
}

struct Inner {
    root: Option<PathBuf>,
    schema: Schema,
    fields: Fields,
    live: RwLock<Arc<Generation>>,
    /// The generation being rebuilt, if any: writes go there too.
    rebuild: StdMutex<Option<Arc<Generation>>>,
}

impl Inner {
    fn live(&self) -> Arc<Generation> {
        // A poisoned lock still holds a valid Arc: only whole swaps happen.
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn rebuild_slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Generation>>> {
        self.rebuild.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_targets(&self) -> Vec<Arc<Generation>> {
        let mut targets = vec![self.live()];
        if let Some(rebuild) = self.rebuild_slot().clone() {
            targets.push(rebuild);
        }
        targets
    }

    fn id_term(&self, id: &str) -> Term {
        Term::from_field_text(self.fields.id, id)
    }

    fn to_tantivy(&self, doc: &SearchDocument) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, &doc.id);
        d.add_text(f.kind, doc.kind.as_str());
        d.add_text(f.group, &doc.group);
        d.add_i64(f.object_id, doc.object_id);
        if let Some(thread_id) = doc.thread_id {
            d.add_i64(f.thread_id, thread_id);
        }
        d.add_text(f.title, &doc.title);
        d.add_text(f.body, &doc.body);
        for tag in &doc.tags {
            d.add_text(f.tags_text, tag);
            d.add_text(f.tags, tag);
        }
        if let Some(category) = &doc.category {
            d.add_text(f.category, category);
        }
        if let Some(author_id) = doc.author_id {
            d.add_i64(f.author_id, author_id);
        }
        d.add_i64(f.created_at, doc.created_at);
        if let Some(solved) = doc.solved {
            d.add_bool(f.solved, solved);
        }
        d.add_text(f.tier, &doc.tier);
        d.add_bool(f.hidden, doc.hidden);
        d
    }
}

/// Applies `op` to one generation under its writer lock, on the blocking pool,
/// then commits and reloads the reader so the change is visible on return.
/// A batch is all-or-nothing: on error it is rolled back, so committing per
/// batch (rebuilds included) means an earlier batch is never lost with it.
async fn apply(gen_: Arc<Generation>, op: Arc<WriteOp>) -> Result<(), SearchError> {
    let mut guard = gen_.writer.clone().lock_owned().await;
    tokio::task::spawn_blocking(move || {
        let Some(writer) = guard.as_mut() else {
            return Ok(()); // retired by a rebuild: its replacement got the write too
        };
        let result = (|| {
            for id in &op.deletes {
                writer.delete_term(id.clone());
            }
            for (id, doc) in &op.upserts {
                writer.delete_term(id.clone());
                writer.add_document(doc.clone())?;
            }
            writer.commit()?;
            gen_.reader.reload()?;
            Ok(())
        })();
        if let Err(err) = result {
            // Drop the half-applied batch so a later commit can't publish it.
            if let Err(rollback) = writer.rollback() {
                tracing::error!(error = %rollback, "search index rollback failed");
            }
            return Err(tantivy_err("writing search index", err));
        }
        Ok(())
    })
    .await
    .map_err(join_err)?
}

/// Retires a replaced generation: stops its writer and deletes its directory.
async fn retire(gen_: Arc<Generation>) {
    let writer = gen_.writer.lock().await.take();
    let dir = gen_.dir.clone();
    let result = tokio::task::spawn_blocking(move || {
        if let Some(writer) = writer
            && let Err(err) = writer.wait_merging_threads()
        {
            tracing::warn!(error = %err, "stopping retired search index writer");
        }
        if let Some(dir) = dir {
            // Searches still holding the old generation keep working: their
            // files stay readable until closed.
            if let Err(err) = fs::remove_dir_all(&dir) {
                tracing::warn!(error = %err, dir = %dir.display(), "removing old search index");
            }
        }
    })
    .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, "retiring old search index");
    }
}

fn parse_generation(name: &str) -> Option<u64> {
    name.strip_prefix(GEN_PREFIX)?.parse().ok()
}

fn next_generation_name(root: &Path) -> Result<String, SearchError> {
    let mut max = 0;
    for entry in fs::read_dir(root).map_err(|e| io_err("listing index directory", e))? {
        let entry = entry.map_err(|e| io_err("listing index directory", e))?;
        if let Some(n) = entry.file_name().to_str().and_then(parse_generation) {
            max = max.max(n);
        }
    }
    Ok(format!("{GEN_PREFIX}{:06}", max + 1))
}

fn read_pointer(root: &Path) -> Result<Option<String>, SearchError> {
    match fs::read_to_string(root.join(POINTER)) {
        Ok(s) => {
            let name = s.trim().to_string();
            // Only ever a generation name: never follow a path from the file.
            Ok(parse_generation(&name).map(|_| name))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading index pointer", e)),
    }
}

/// Atomically points `CURRENT` at `name`: write a temp file, fsync, rename.
fn write_pointer(root: &Path, name: &str) -> Result<(), SearchError> {
    let tmp = root.join(format!("{POINTER}.tmp"));
    let mut file = fs::File::create(&tmp).map_err(|e| io_err("writing index pointer", e))?;
    file.write_all(name.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| io_err("writing index pointer", e))?;
    fs::rename(&tmp, root.join(POINTER)).map_err(|e| io_err("switching index pointer", e))?;
    // Persist the rename itself; not all platforms can fsync a directory.
    if let Ok(dir) = fs::File::open(root) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Deletes generation directories other than `keep` (crash leftovers,
/// abandoned rebuilds).
fn remove_stale_generations(root: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name != keep
            && parse_generation(name).is_some()
            && let Err(err) = fs::remove_dir_all(entry.path())
        {
            tracing::warn!(error = %err, dir = name, "removing stale search index");
        }
    }
}

/// The embedded search engine. Cheap to share behind an `Arc`.
pub struct TantivyIndex {
    inner: Arc<Inner>,
}

impl TantivyIndex {
    /// Opens (or creates) the index stored under `dir`.
    ///
    /// This does blocking disk I/O: call it at startup (or in
    /// `spawn_blocking`). Only one process may have the index open, since
    /// Tantivy allows a single writer: a second `open` fails `Unavailable`.
    ///
    /// If the stored index cannot be used by this version (schema changed,
    /// incompatible format, corruption), a fresh empty generation is started
    /// and a warning logged: run a reindex to fill it. Search stays up.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let (schema, fields) = build_schema();
        fs::create_dir_all(dir).map_err(|e| io_err("creating index directory", e))?;
        let existing = match read_pointer(dir)? {
            Some(name) if !dir.join(&name).is_dir() => {
                tracing::warn!(
                    generation = %name,
                    "search index generation missing; starting an empty index, run a reindex"
                );
                None
            }
            Some(name) => match Index::open_in_dir(dir.join(&name)) {
                Ok(index) if same_schema(&index.schema(), &schema) => {
                    Some(Generation::from_index(index, Some(dir.join(&name)))?)
                }
                Ok(_) => {
                    tracing::warn!(
                        generation = %name,
                        "search index schema changed; starting an empty index, run a reindex"
                    );
                    None
                }
                Err(
                    err @ (TantivyError::DataCorruption(_)
                    | TantivyError::IncompatibleIndex(_)
                    | TantivyError::DeserializeError(_)
                    | TantivyError::SchemaError(_)),
                ) => {
                    tracing::warn!(
                        generation = %name,
                        error = %err,
                        "search index unreadable; starting an empty index, run a reindex"
                    );
                    None
                }
                // I/O trouble may pass: don't throw the index away over it.
                Err(err) => return Err(tantivy_err("opening search index", err)),
            },
            _ => None,
        };
        let generation = match existing {
            Some(g) => g,
            None => {
                let g = Generation::create(Some(dir), &schema)?;
                if let Some(name) = g.name() {
                    write_pointer(dir, &name)?;
                }
                g
            }
        };
        if let Some(name) = generation.name() {
            remove_stale_generations(dir, &name);
        }
        Ok(Self::from_generation(
            Some(dir.to_path_buf()),
            schema,
            fields,
            generation,
        ))
    }

    /// A throwaway index held in memory (tests, tools).
    pub fn in_ram() -> Result<Self, SearchError> {
        let (schema, fields) = build_schema();
        let generation = Generation::create(None, &schema)?;
        Ok(Self::from_generation(None, schema, fields, generation))
    }

    fn from_generation(
        root: Option<PathBuf>,
        schema: Schema,
        fields: Fields,
        generation: Generation,
    ) -> Self {
        TantivyIndex {
            inner: Arc::new(Inner {
                root,
                schema,
                fields,
                live: RwLock::new(Arc::new(generation)),
                rebuild: StdMutex::new(None),
            }),
        }
    }

    async fn write(&self, op: WriteOp) -> Result<(), SearchError> {
        let op = Arc::new(op);
        // Live first: if the rebuild target fails, the live index is still right.
        for target in self.inner.write_targets() {
            apply(target, op.clone()).await?;
        }
        Ok(())
    }
}

fn same_schema(a: &Schema, b: &Schema) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[async_trait::async_trait]
impl SearchIndex for TantivyIndex {
    fn engine(&self) -> &'static str {
        "tantivy"
    }

    async fn prepare(&self) -> Result<(), SearchError> {
        // Created on open; the schema is fixed in code.
        Ok(())
    }

    async fn health(&self) -> Result<(), SearchError> {
        let live = self.inner.live();
        if let Some(dir) = &live.dir
            && !dir.is_dir()
        {
            return Err(SearchError::Unavailable(format!(
                "search index directory {} is missing",
                dir.display()
            )));
        }
        // A held lock means a write is in progress: busy, not broken.
        if let Ok(writer) = live.writer.try_lock()
            && writer.is_none()
        {
            return Err(SearchError::Unavailable(
                "search index writer closed".into(),
            ));
        }
        Ok(())
    }

    async fn apply(&self, changes: IndexChanges) -> Result<(), SearchError> {
        if changes.is_empty() {
            return Ok(());
        }
        changes.validate()?;
        let op = WriteOp {
            upserts: changes
                .upserts
                .iter()
                .map(|d| (self.inner.id_term(&d.id), self.inner.to_tantivy(d)))
                .collect(),
            deletes: changes
                .deletes
                .iter()
                .map(|id| self.inner.id_term(id))
                .collect(),
        };
        self.write(op).await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        if query.viewer.tiers.is_empty() {
            return Ok(SearchResults::default()); // can see nothing
        }
        let generation = self.inner.live();
        let fields = self.inner.fields;
        let query = query.clone();
        tokio::task::spawn_blocking(move || run_search(&generation, fields, &query))
            .await
            .map_err(join_err)?
    }

    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild>, SearchError> {
        if self.inner.rebuild_slot().is_some() {
            return Err(SearchError::Rejected(
                "a search index rebuild is already in progress".into(),
            ));
        }
        let inner = self.inner.clone();
        let generation = tokio::task::spawn_blocking(move || {
            if let (Some(root), Some(live)) = (&inner.root, inner.live().name()) {
                remove_stale_generations(root, &live); // abandoned earlier rebuilds
            }
            Generation::create(inner.root.as_deref(), &inner.schema)
        })
        .await
        .map_err(join_err)??;
        let generation = Arc::new(generation);
        {
            let mut slot = self.inner.rebuild_slot();
            if slot.is_some() {
                return Err(SearchError::Rejected(
                    "a search index rebuild is already in progress".into(),
                ));
            }
            *slot = Some(generation.clone());
        }
        Ok(Box::new(TantivyRebuild {
            inner: self.inner.clone(),
            generation,
            finished: false,
        }))
    }
}

struct TantivyRebuild {
    inner: Arc<Inner>,
    generation: Arc<Generation>,
    finished: bool,
}

impl TantivyRebuild {
    fn release_slot(&self) {
        let mut slot = self.inner.rebuild_slot();
        if slot
            .as_ref()
            .is_some_and(|g| Arc::ptr_eq(g, &self.generation))
        {
            *slot = None;
        }
    }
}

#[async_trait::async_trait]
impl IndexRebuild for TantivyRebuild {
    async fn add(&mut self, docs: Vec<SearchDocument>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        for doc in &docs {
            doc.validate()?;
        }
        let docs = docs
            .iter()
            .map(|d| (self.inner.id_term(&d.id), self.inner.to_tantivy(d)))
            .collect();
        // Delete-then-add like upsert: a concurrent upsert may already have
        // written this id into the new generation. Committed per batch (only
        // the new generation's reader sees it) so a failed batch can be
        // retried without losing the ones before it.
        let op = WriteOp {
            upserts: docs,
            deletes: Vec::new(),
        };
        apply(self.generation.clone(), Arc::new(op)).await
    }

    async fn finish(mut self: Box<Self>) -> Result<(), SearchError> {
        // Commit anything still buffered, then point CURRENT at the new generation.
        let generation = self.generation.clone();
        let root = self.inner.root.clone();
        {
            let mut guard = generation.writer.clone().lock_owned().await;
            let generation = generation.clone();
            tokio::task::spawn_blocking(move || {
                let writer = guard
                    .as_mut()
                    .ok_or_else(|| SearchError::Internal("rebuild writer already closed".into()))?;
                writer
                    .commit()
                    .map_err(|e| tantivy_err("committing rebuilt index", e))?;
                generation
                    .reader
                    .reload()
                    .map_err(|e| tantivy_err("reloading rebuilt index", e))?;
                if let (Some(root), Some(name)) = (root, generation.name()) {
                    write_pointer(&root, &name)?;
                }
                Ok::<(), SearchError>(())
            })
            .await
            .map_err(join_err)??;
        }
        let old = {
            let mut live = self.inner.live.write().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *live, generation)
        };
        self.release_slot();
        self.finished = true;
        retire(old).await;
        Ok(())
    }
}

impl Drop for TantivyRebuild {
    fn drop(&mut self) {
        if !self.finished {
            // Abandoned: stop mirroring writes into it. Its directory is
            // removed by the next rebuild or open.
            self.release_slot();
        }
    }
}

// ---------------------------------------------------------------------------
// Searching

/// A normalized query word and how loosely it may match.
#[derive(Clone, Debug)]
struct QueryWord {
    text: String,
    chars: Vec<char>,
    typos: u8,
    prefix: bool,
}

fn query_words(text: &str) -> Vec<QueryWord> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while stream.advance() {
        words.push(stream.token().text.clone());
    }
    words.truncate(MAX_QUERY_WORDS);
    // Like Meilisearch, the last word is a prefix while it is being typed,
    // i.e. unless the query ends with a separator.
    let last_is_prefix = text.chars().last().is_some_and(char::is_alphanumeric);
    let n = words.len();
    words
        .into_iter()
        .enumerate()
        .map(|(i, text)| QueryWord {
            typos: typo_budget(&text),
            chars: text.chars().collect(),
            prefix: last_is_prefix && i + 1 == n,
            text,
        })
        .collect()
}

fn word_query(fields: &Fields, word: &QueryWord) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in [
        (fields.title, TITLE_BOOST),
        (fields.body, BODY_BOOST),
        (fields.tags_text, TAGS_BOOST),
    ] {
        let term = Term::from_field_text(field, &word.text);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                boost,
            )),
        ));
        if word.typos > 0 {
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(term.clone(), word.typos, true)),
                    boost * APPROX_FACTOR,
                )),
            ));
        }
        if word.prefix {
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new_prefix(term, word.typos, true)),
                    boost * APPROX_FACTOR,
                )),
            ));
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A filter clause: restricts matches without touching the score.
fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

fn build_query(fields: &Fields, query: &SearchQuery, words: &[QueryWord]) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if words.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    for word in words {
        clauses.push((Occur::Must, word_query(fields, word)));
    }

    // Visibility first: never optional.
    clauses.push(filter(Box::new(TermSetQuery::new(
        query
            .viewer
            .tiers
            .iter()
            .map(|t| Term::from_field_text(fields.tier, t)),
    ))));
    if !query.viewer.moderator {
        clauses.push((
            Occur::MustNot,
            term_query(Term::from_field_bool(fields.hidden, true)),
        ));
    }

    if !query.kinds.is_empty() {
        clauses.push(filter(Box::new(TermSetQuery::new(
            query
                .kinds
                .iter()
                .map(|k| Term::from_field_text(fields.kind, k.as_str())),
        ))));
    }
    let f = &query.filters;
    if let Some(category) = &f.category {
        clauses.push(filter(term_query(Term::from_field_text(
            fields.category,
            category,
        ))));
    }
    for tag in &f.tags {
        clauses.push(filter(term_query(Term::from_field_text(fields.tags, tag))));
    }
    if let Some(author_id) = f.author_id {
        clauses.push(filter(term_query(Term::from_field_i64(
            fields.author_id,
            author_id,
        ))));
    }
    if f.created_from.is_some() || f.created_to.is_some() {
        let bound = |v: Option<i64>| match v {
            Some(v) => Bound::Included(Term::from_field_i64(fields.created_at, v)),
            None => Bound::Unbounded,
        };
        clauses.push(filter(Box::new(RangeQuery::new(
            bound(f.created_from),
            bound(f.created_to),
        ))));
    }
    if let Some(solved) = f.solved {
        clauses.push(filter(term_query(Term::from_field_bool(
            fields.solved,
            solved,
        ))));
    }
    if let Some(tier) = &f.tier {
        clauses.push(filter(term_query(Term::from_field_text(fields.tier, tier))));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// The best document of one group, with what facets and ordering need.
#[derive(Clone, Debug)]
struct Candidate {
    score: Score,
    created_at: i64,
    addr: DocAddress,
    group: String,
    category: Option<String>,
    tags: Vec<String>,
}

/// Ordering of documents within a group and of groups in the results:
/// relevance, then recency, then index order (deterministic pages).
fn better(a_score: Score, a_created: i64, a_addr: DocAddress, b: &Candidate) -> bool {
    a_score
        .total_cmp(&b.score)
        .then(a_created.cmp(&b.created_at))
        .then(b.addr.cmp(&a_addr))
        .is_gt()
}

/// Collects every match, keeping the best document per group.
struct GroupCollector;

struct GroupSegmentCollector {
    segment_ord: SegmentOrdinal,
    group: Option<StrColumn>,
    category: Option<StrColumn>,
    tags: Option<StrColumn>,
    created_at: Option<Column<i64>>,
    /// Group term ordinal -> (doc, score, created_at).
    best: HashMap<u64, (DocId, Score, i64)>,
    /// Documents without a group value (should not happen) stand alone.
    ungrouped: Vec<(DocId, Score, i64)>,
}

impl Collector for GroupCollector {
    type Fruit = tantivy::Result<Vec<Candidate>>;
    type Child = GroupSegmentCollector;

    fn for_segment(
        &self,
        segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let ff = segment.fast_fields();
        Ok(GroupSegmentCollector {
            segment_ord,
            group: ff.str(F_GROUP)?,
            category: ff.str(F_CATEGORY)?,
            tags: ff.str(F_TAGS)?,
            created_at: ff.column_opt::<i64>(F_CREATED_AT)?,
            best: HashMap::new(),
            ungrouped: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        segment_fruits: Vec<tantivy::Result<Vec<Candidate>>>,
    ) -> tantivy::Result<Self::Fruit> {
        // A thread's posts may sit in different segments: dedupe again.
        let mut by_group: HashMap<String, Candidate> = HashMap::new();
        for fruit in segment_fruits {
            for c in fruit? {
                match by_group.get(&c.group) {
                    Some(existing) if !better(c.score, c.created_at, c.addr, existing) => {}
                    _ => {
                        by_group.insert(c.group.clone(), c);
                    }
                }
            }
        }
        Ok(Ok(by_group.into_values().collect()))
    }
}

impl SegmentCollector for GroupSegmentCollector {
    type Fruit = tantivy::Result<Vec<Candidate>>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let created = self
            .created_at
            .as_ref()
            .and_then(|c| c.first(doc))
            .unwrap_or(0);
        let ord = self.group.as_ref().and_then(|g| g.term_ords(doc).next());
        let Some(ord) = ord else {
            self.ungrouped.push((doc, score, created));
            return;
        };
        let replace = match self.best.get(&ord) {
            None => true,
            Some(&(best_doc, best_score, best_created)) => score
                .total_cmp(&best_score)
                .then(created.cmp(&best_created))
                .then(best_doc.cmp(&doc))
                .is_gt(),
        };
        if replace {
            self.best.insert(ord, (doc, score, created));
        }
    }

    fn harvest(self) -> Self::Fruit {
        // Term ordinals become strings in one ordered pass per column: a
        // lookup per match decompresses a dictionary block each time, which
        // made broad (typo-tolerant) queries cost tens of milliseconds.
        let mut entries: Vec<(u64, (DocId, Score, i64))> =
            self.best.iter().map(|(ord, v)| (*ord, *v)).collect();
        entries.sort_unstable_by_key(|(ord, _)| *ord);
        let group_ords: Vec<u64> = entries.iter().map(|(ord, _)| *ord).collect();
        let groups = match &self.group {
            Some(col) => terms_of(col, &group_ords)?,
            None => Vec::new(),
        };

        let all = entries
            .iter()
            .map(|(_, v)| *v)
            .chain(self.ungrouped.iter().copied())
            .collect::<Vec<_>>();
        let labels = |col: &Option<StrColumn>| -> tantivy::Result<HashMap<u64, String>> {
            let Some(col) = col else {
                return Ok(HashMap::new());
            };
            let mut ords: Vec<u64> = all
                .iter()
                .flat_map(|(doc, _, _)| col.term_ords(*doc))
                .collect();
            ords.sort_unstable();
            ords.dedup();
            let terms = terms_of(col, &ords)?;
            Ok(ords.into_iter().zip(terms).collect())
        };
        let categories = labels(&self.category)?;
        let tags = labels(&self.tags)?;

        let mut out = Vec::with_capacity(all.len());
        for (i, (doc, score, created_at)) in all.into_iter().enumerate() {
            let group = match groups.get(i) {
                Some(group) => group.clone(),
                None => format!("\u{0}doc-{}-{}", self.segment_ord, doc),
            };
            let category = self
                .category
                .as_ref()
                .and_then(|col| col.term_ords(doc).next())
                .and_then(|ord| categories.get(&ord).cloned());
            let doc_tags = match &self.tags {
                Some(col) => col
                    .term_ords(doc)
                    .filter_map(|ord| tags.get(&ord).cloned())
                    .collect(),
                None => Vec::new(),
            };
            out.push(Candidate {
                score,
                created_at,
                addr: DocAddress::new(self.segment_ord, doc),
                group,
                category,
                tags: doc_tags,
            });
        }
        Ok(out)
    }
}

/// The terms of `sorted_ords` in `col`'s dictionary, in the same order.
fn terms_of(col: &StrColumn, sorted_ords: &[u64]) -> tantivy::Result<Vec<String>> {
    let mut terms = Vec::with_capacity(sorted_ords.len());
    col.dictionary()
        .sorted_ords_to_term_cb(sorted_ords, |bytes| {
            terms.push(String::from_utf8_lossy(bytes).into_owned());
        })
        .map_err(|e| TantivyError::InternalError(format!("reading a term dictionary: {e}")))?;
    Ok(terms)
}

fn run_search(
    generation: &Generation,
    fields: Fields,
    query: &SearchQuery,
) -> Result<SearchResults, SearchError> {
    let placeholder = query.is_placeholder();
    let words = if placeholder {
        Vec::new()
    } else {
        query_words(&query.text)
    };
    if !placeholder && words.is_empty() {
        // Text made only of words too long to index: nothing can match.
        return Ok(SearchResults::default());
    }
    let tantivy_query = build_query(&fields, query, &words);
    let searcher = generation.reader.searcher();
    let mut candidates = searcher
        .search(&*tantivy_query, &GroupCollector)
        .and_then(|fruit| fruit)
        .map_err(|e| tantivy_err("searching", e))?;

    // Facets over every visible matching group, not just the page.
    let mut categories: HashMap<&str, u64> = HashMap::new();
    let mut tags: HashMap<&str, u64> = HashMap::new();
    for c in &candidates {
        if let Some(category) = &c.category {
            *categories.entry(category).or_default() += 1;
        }
        let mut seen: Vec<&str> = Vec::new();
        for tag in &c.tags {
            if !seen.contains(&tag.as_str()) {
                seen.push(tag);
                *tags.entry(tag).or_default() += 1;
            }
        }
    }
    let facets = Facets {
        category: sort_facet_counts(categories.into_iter().map(|(k, v)| (k.to_string(), v))),
        tags: sort_facet_counts(tags.into_iter().map(|(k, v)| (k.to_string(), v))),
    };

    if placeholder {
        // Listing: newest first (Meilisearch adapter sorts the same way).
        candidates.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.addr.cmp(&b.addr)));
    } else {
        candidates.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.created_at.cmp(&a.created_at))
                .then(a.addr.cmp(&b.addr))
        });
    }
    let total = candidates.len() as u64;
    let mut hits = Vec::new();
    for c in candidates
        .iter()
        .skip(query.offset)
        .take(query.effective_limit())
    {
        let doc: TantivyDocument = searcher
            .doc(c.addr)
            .map_err(|e| tantivy_err("loading search hit", e))?;
        hits.push(to_hit(&fields, &doc, c.score, &words)?);
    }
    Ok(SearchResults {
        total,
        hits,
        facets,
    })
}

fn to_hit(
    fields: &Fields,
    doc: &TantivyDocument,
    score: Score,
    words: &[QueryWord],
) -> Result<SearchHit, SearchError> {
    let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
    let int = |field| doc.get_first(field).and_then(|v| v.as_i64());
    let id = text(fields.id).to_string();
    let kind: DocKind = text(fields.kind).parse()?;
    let object_id = int(fields.object_id)
        .ok_or_else(|| SearchError::Internal(format!("indexed document {id} has no object id")))?;
    let body = text(fields.body);
    // The body carries the match context; fall back to the title when empty
    // (e.g. a workspace without a description).
    let source = if body.trim().is_empty() {
        text(fields.title)
    } else {
        body
    };
    Ok(SearchHit {
        snippet: build_snippet(source, &highlight_ranges(source, words), SNIPPET_CHARS),
        id,
        kind,
        object_id,
        thread_id: int(fields.thread_id),
        score,
    })
}

/// Byte ranges of the tokens of `text` that match a query word under the
/// same rules as the query (exact, typo budget, prefix for the last word).
fn highlight_ranges(text: &str, words: &[QueryWord]) -> Vec<Range<usize>> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut ranges = Vec::new();
    while stream.advance() {
        let token = stream.token();
        let token_chars: Vec<char> = token.text.chars().collect();
        if words
            .iter()
            .any(|w| word_matches(w, &token.text, &token_chars))
        {
            ranges.push(token.offset_from..token.offset_to);
        }
    }
    ranges
}

fn word_matches(word: &QueryWord, token: &str, token_chars: &[char]) -> bool {
    if token == word.text {
        return true;
    }
    let budget = usize::from(word.typos);
    if word.prefix {
        return prefix_distance(&word.chars, token_chars) <= budget;
    }
    budget > 0
        && word.chars.len().abs_diff(token_chars.len()) <= budget
        && osa_rows(&word.chars, token_chars)
            .last()
            .and_then(|row| row.last())
            .is_some_and(|&d| d <= budget)
}

/// Smallest edit distance between `word` and any prefix of `token`.
fn prefix_distance(word: &[char], token: &[char]) -> usize {
    osa_rows(word, token)
        .last()
        .and_then(|row| row.iter().min().copied())
        .unwrap_or(usize::MAX)
}

/// Optimal-string-alignment distance table (Levenshtein where an adjacent
/// transposition costs one, as in the query's automata): `rows[i][j]` is the
/// distance between `a[..i]` and `b[..j]`.
fn osa_rows(a: &[char], b: &[char]) -> Vec<Vec<usize>> {
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, prefix: bool) -> QueryWord {
        QueryWord {
            text: text.into(),
            chars: text.chars().collect(),
            typos: typo_budget(text),
            prefix,
        }
    }

    fn matches(w: &QueryWord, token: &str) -> bool {
        let chars: Vec<char> = token.chars().collect();
        word_matches(w, token, &chars)
    }

    #[test]
    fn typo_and_prefix_matching() {
        assert!(matches(&word("genomcis", false), "genomics"));
        assert!(!matches(&word("genomcis", false), "genetics"));
        assert!(matches(&word("hypert", true), "hypertension"));
        assert!(!matches(&word("hypert", false), "hypertension"));
        assert!(!matches(&word("gene", false), "gena"));
        assert!(matches(&word("biobankss", false), "biobank"));
    }

    #[test]
    fn query_words_normalize_and_mark_prefix() {
        let words = query_words("Génomique HYPERT");
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].text, "genomique");
        assert!(!words[0].prefix);
        assert!(words[1].prefix);
        assert!(!query_words("hypert ")[0].prefix);
        assert_eq!(query_words(&"a ".repeat(30)).len(), MAX_QUERY_WORDS);
    }

    fn sample(id: &str, body: &str) -> SearchDocument {
        crate::search::contract::doc(id, "Title", body)
    }

    async fn found(index: &TantivyIndex, text: &str) -> Vec<String> {
        match index.search(&crate::search::contract::query(text)).await {
            Ok(results) => results.hits.into_iter().map(|h| h.id).collect(),
            Err(err) => panic!("search failed: {err}"),
        }
    }

    fn generation_dirs(root: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(root)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| parse_generation(n).is_some())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[tokio::test]
    async fn survives_reopen_and_rebuild() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let index = TantivyIndex::open(dir.path())?;
            index
                .upsert(vec![sample("workspace:1", "zebrafish")])
                .await?;
        }
        {
            let index = TantivyIndex::open(dir.path())?;
            assert_eq!(found(&index, "zebrafish").await, vec!["workspace:1"]);
            let mut rebuild = index.begin_rebuild().await?;
            rebuild.add(vec![sample("workspace:2", "axolotl")]).await?;
            rebuild.finish().await?;
            assert_eq!(generation_dirs(dir.path()), vec!["gen-000002"]);
            assert_eq!(fs::read_to_string(dir.path().join(POINTER))?, "gen-000002");
        }
        let index = TantivyIndex::open(dir.path())?;
        assert_eq!(found(&index, "axolotl").await, vec!["workspace:2"]);
        assert!(found(&index, "zebrafish").await.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn abandoned_rebuild_leftovers_are_removed() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let index = TantivyIndex::open(dir.path())?;
            index
                .upsert(vec![sample("workspace:1", "zebrafish")])
                .await?;
            let mut rebuild = index.begin_rebuild().await?;
            rebuild.add(vec![sample("workspace:2", "axolotl")]).await?;
            // Simulates a crash mid-rebuild: never finished.
            drop(rebuild);
            assert_eq!(generation_dirs(dir.path()).len(), 2);
        }
        let index = TantivyIndex::open(dir.path())?;
        assert_eq!(generation_dirs(dir.path()), vec!["gen-000001"]);
        assert_eq!(found(&index, "zebrafish").await, vec!["workspace:1"]);
        assert!(found(&index, "axolotl").await.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn only_one_rebuild_at_a_time() -> Result<(), Box<dyn std::error::Error>> {
        let index = TantivyIndex::in_ram()?;
        let first = index.begin_rebuild().await?;
        assert!(matches!(
            index.begin_rebuild().await,
            Err(SearchError::Rejected(_))
        ));
        drop(first);
        let second = index.begin_rebuild().await?;
        second.finish().await?;
        Ok(())
    }

    #[tokio::test]
    async fn unreadable_generation_starts_fresh() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let index = TantivyIndex::open(dir.path())?;
            index
                .upsert(vec![sample("workspace:1", "zebrafish")])
                .await?;
        }
        fs::write(dir.path().join("gen-000001").join("meta.json"), "not json")?;
        let index = TantivyIndex::open(dir.path())?;
        assert!(found(&index, "zebrafish").await.is_empty());
        index.upsert(vec![sample("workspace:2", "axolotl")]).await?;
        assert_eq!(found(&index, "axolotl").await, vec!["workspace:2"]);
        assert_eq!(generation_dirs(dir.path()), vec!["gen-000002"]);
        Ok(())
    }

    #[tokio::test]
    async fn second_open_of_a_directory_is_unavailable() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let _first = TantivyIndex::open(dir.path())?;
        assert!(matches!(
            TantivyIndex::open(dir.path()),
            Err(SearchError::Unavailable(_))
        ));
        Ok(())
    }

    #[tokio::test]
    async fn garbage_pointer_is_ignored() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join(POINTER), "../../etc")?;
        let index = TantivyIndex::open(dir.path())?;
        index
            .upsert(vec![sample("workspace:1", "zebrafish")])
            .await?;
        assert_eq!(found(&index, "zebrafish").await, vec!["workspace:1"]);
        assert_eq!(fs::read_to_string(dir.path().join(POINTER))?, "gen-000001");
        Ok(())
    }

    #[tokio::test]
    async fn concurrent_writes_and_searches() -> Result<(), Box<dyn std::error::Error>> {
        let index = Arc::new(TantivyIndex::in_ram()?);
        let mut tasks = Vec::new();
        for i in 0..8 {
            let index = index.clone();
            tasks.push(tokio::spawn(async move {
                index
                    .upsert(vec![sample(&format!("workspace:{i}"), "tardigrade")])
                    .await?;
                index
                    .search(&crate::search::contract::query("tardigrade"))
                    .await
                    .map(|_| ())
            }));
        }
        for task in tasks {
            task.await??;
        }
        assert_eq!(found(&index, "tardigrade").await.len(), 8);
        Ok(())
    }

    #[test]
    fn pointer_names_only_generations() {
        assert_eq!(parse_generation("gen-000012"), Some(12));
        assert_eq!(parse_generation("../etc"), None);
        assert_eq!(parse_generation("gen-x"), None);
    }
}
