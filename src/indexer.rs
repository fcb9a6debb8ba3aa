//! Keeps the search engine in step with the database. The `search.index`
//! job names a document (`{"doc": "post" | "thread" | "workspace" |
//! "profile", "id"}`); the handler reads the row as it is *now* and upserts
//! or deletes, so a job that runs late (after an outage) still applies the
//! latest edit, and jobs for one document run in order through their
//! ordering key.
//!
//! Due jobs run in batches: one read of the database and one engine write
//! per index for up to `config.index_batch` documents, so the engine keeps
//! up with a forum written faster than it finishes tasks. A batch the engine
//! refuses is retried job by job, so one bad document fails only its own
//! job; an engine that is down fails the batch for a retry.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        forum_category, forum_post, forum_tag, forum_thread, forum_thread_tag, profile_term,
        researcher_profile, user, workspace, workspace_tag,
    },
    error::{AppError, AppResult},
    jobs::{self, JobError, JobKind, NewJob, queue::ClaimedJob},
    markdown,
    search::{DocKind, IndexChanges, SearchDocument, SearchError},
};
use futures::future::BoxFuture;

/// Keeping the index in step must survive an outage of any length, and
/// search results are never cached.
pub const INDEX: JobKind = JobKind::new("search.index")
    .retried_forever()
    .leaves_reads();

/// Rebuilds every index from the database (`commons reindex` enqueues it).
pub const REINDEX: JobKind = JobKind::new("search.reindex")
    .retried_forever()
    .leaves_reads();

/// A document whose row changed: the `search.index` job's payload,
/// `{"doc": "post", "id": 7}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "doc", content = "id", rename_all = "lowercase")]
pub enum Doc {
    Post(i64),
    /// Every post of the thread (a title, category or tag change).
    Thread(i64),
    Workspace(i64),
    /// A member's profile: dropped while the account is suspended or the
    /// profile closed, restored when it is reinstated.
    Profile(i64),
}

impl Doc {
    /// Jobs for one document run one at a time, in the order of their writes.
    fn ordering_key(self) -> String {
        match self {
            Doc::Post(id) => format!("post:{id}"),
            Doc::Thread(id) => format!("thread:{id}"),
            Doc::Workspace(id) => format!("workspace:{id}"),
            Doc::Profile(id) => format!("profile:{id}"),
        }
    }
}

/// Asks the indexer to bring `doc` up to date, in the caller's transaction.
pub async fn enqueue(txn: &WriteTxn, now: DateTime<Utc>, doc: Doc) -> AppResult<()> {
    jobs::enqueue(
        txn,
        now,
        NewJob::new(INDEX, doc)?.ordered_by(doc.ordering_key()),
    )
    .await?;
    Ok(())
}

impl From<SearchError> for JobError {
    fn from(err: SearchError) -> Self {
        if err.is_retryable() {
            JobError::Retry(err.to_string())
        } else {
            JobError::Permanent(err.to_string())
        }
    }
}

/// The `search.index` batch handler: coalesces due jobs into engine writes
/// of at most `config.index_batch` documents, one outcome per job.
pub fn run_batch(
    ctx: AppContext,
    jobs: Vec<ClaimedJob>,
) -> BoxFuture<'static, Vec<Result<(), JobError>>> {
    Box::pin(async move { index_batch(&ctx, &jobs).await })
}

async fn index_batch(ctx: &AppContext, jobs: &[ClaimedJob]) -> Vec<Result<(), JobError>> {
    // Each job's document, or its outcome already when its payload is bad.
    let mut docs: Vec<Option<Doc>> = Vec::with_capacity(jobs.len());
    let mut outcomes: Vec<Option<Result<(), JobError>>> = Vec::with_capacity(jobs.len());
    for job in jobs {
        match serde_json::from_str::<Doc>(&job.payload) {
            Ok(doc) => {
                docs.push(Some(doc));
                outcomes.push(None);
            }
            Err(e) => {
                docs.push(None);
                outcomes.push(Some(Err(JobError::bad_payload(&INDEX, e))));
            }
        }
    }
    let wanted: Vec<Doc> = docs.iter().flatten().copied().collect();
    // One read of the current state for the whole batch: whatever a job
    // names is applied as it is now, so the last committed version wins.
    let current = match Current::read(&ctx.db, &wanted).await {
        Ok(current) => current,
        Err(e) => {
            let reason = JobError::from(e).to_string();
            return outcomes
                .into_iter()
                .map(|o| o.unwrap_or_else(|| Err(JobError::Retry(reason.clone()))))
                .collect();
        }
    };
    let sized: Vec<(usize, Size)> = docs
        .iter()
        .enumerate()
        .filter_map(|(i, doc)| doc.map(|doc| (i, current.size_of(doc))))
        .collect();
    let limits = BatchLimits {
        docs: ctx.config.index_batch,
        bytes: MAX_BATCH_BYTES,
    };
    let mut engine_down: Option<String> = None;
    for chunk in limits.group(&sized) {
        if let Some(reason) = &engine_down {
            for &i in &chunk {
                outcomes[i] = Some(Err(JobError::Retry(reason.clone())));
            }
            continue;
        }
        let members: Vec<Doc> = chunk.iter().filter_map(|&i| docs[i]).collect();
        match apply_bounded(ctx, &current, &members, limits).await {
            Ok(()) => {
                for &i in &chunk {
                    outcomes[i] = Some(Ok(()));
                }
            }
            Err(e) if e.is_retryable() => {
                let reason = e.to_string();
                for &i in &chunk {
                    outcomes[i] = Some(Err(JobError::Retry(reason.clone())));
                }
                engine_down = Some(reason);
            }
            Err(e) => {
                // Something in the chunk was refused: each job is tried on
                // its own, so only the job whose document is bad fails.
                tracing::warn!(error = %e, jobs = chunk.len(), "search batch refused; isolating its jobs");
                for &i in &chunk {
                    if let Some(doc) = docs[i] {
                        let outcome = apply_bounded(ctx, &current, &[doc], limits).await;
                        outcomes[i] = Some(outcome.map_err(JobError::from));
                    }
                }
            }
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(JobError::Retry("not indexed".into()))))
        .collect()
}

/// Upper bound on the bytes of one engine write (Meilisearch accepts
/// 100 MB per request; staying far below keeps each task short).
const MAX_BATCH_BYTES: usize = 8 << 20;

/// Applies the changes of `docs` in engine writes of at most `limits`.
async fn apply_bounded(
    ctx: &AppContext,
    current: &Current,
    docs: &[Doc],
    limits: BatchLimits,
) -> Result<(), SearchError> {
    for changes in current.changes(docs, limits) {
        ctx.search.apply(changes).await?;
    }
    Ok(())
}

/// How much one engine write may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    pub docs: usize,
    pub bytes: usize,
}

/// What a job's document weighs in an engine write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    pub docs: usize,
    pub bytes: usize,
}

impl BatchLimits {
    /// Groups items (index, size) in order into runs that stay within the
    /// limits; an item larger than the limits on its own forms its own run.
    pub fn group(self, items: &[(usize, Size)]) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut used = Size::default();
        for &(i, size) in items {
            let fits = used.docs + size.docs <= self.docs && used.bytes + size.bytes <= self.bytes;
            match groups.last_mut() {
                Some(group) if fits => group.push(i),
                _ => {
                    groups.push(vec![i]);
                    used = Size::default();
                }
            }
            used.docs += size.docs;
            used.bytes += size.bytes;
        }
        groups
    }
}

/// The current state of every document a batch names: each search id
/// mapped to its document, or to nothing when it must leave the index.
struct Current {
    entries: HashMap<String, Option<SearchDocument>>,
    /// The search ids each named document covers (a thread: its posts).
    covers: HashMap<Doc, Vec<String>>,
}

impl Current {
    async fn read(conn: &impl ConnectionTrait, wanted: &[Doc]) -> AppResult<Self> {
        let mut covers: HashMap<Doc, Vec<String>> = HashMap::new();
        let (mut posts, mut workspaces, mut profiles) = (Vec::new(), Vec::new(), Vec::new());
        let threads: Vec<i64> = wanted
            .iter()
            .filter_map(|d| match d {
                Doc::Thread(id) => Some(*id),
                _ => None,
            })
            .collect();
        let mut thread_posts: HashMap<i64, Vec<i64>> = HashMap::new();
        if !threads.is_empty() {
            let rows: Vec<(i64, i64)> = forum_post::Entity::find()
                .select_only()
                .column(forum_post::Column::Id)
                .column(forum_post::Column::ThreadId)
                .filter(forum_post::Column::ThreadId.is_in(threads))
                .into_tuple()
                .all(conn)
                .await?;
            for (post, thread) in rows {
                thread_posts.entry(thread).or_default().push(post);
            }
        }
        for &doc in wanted {
            let ids = match doc {
                Doc::Post(id) => {
                    posts.push(id);
                    vec![format!("post:{id}")]
                }
                Doc::Thread(id) => {
                    let ids = thread_posts.remove(&id).unwrap_or_default();
                    let names = ids.iter().map(|p| format!("post:{p}")).collect();
                    posts.extend(ids);
                    names
                }
                Doc::Workspace(id) => {
                    workspaces.push(id);
                    vec![format!("workspace:{id}")]
                }
                Doc::Profile(id) => {
                    profiles.push(id);
                    vec![format!("profile:{id}")]
                }
            };
            covers.entry(doc).or_default().extend(ids);
        }
        posts.sort_unstable();
        posts.dedup();
        let mut entries = HashMap::new();
        for (upserts, deletes) in [
            post_documents(conn, &posts).await?,
            workspace_documents(conn, &workspaces).await?,
            profile_documents(conn, &profiles).await?,
        ] {
            for doc in upserts {
                entries.insert(doc.id.clone(), Some(doc));
            }
            for id in deletes {
                entries.insert(id, None);
            }
        }
        Ok(Self { entries, covers })
    }

    fn size_of(&self, doc: Doc) -> Size {
        let ids = self.covers.get(&doc).map(Vec::as_slice).unwrap_or_default();
        Size {
            docs: ids.len(),
            bytes: ids.iter().map(|id| self.bytes_of(id)).sum(),
        }
    }

    /// Roughly what the id's entry costs in a request body.
    fn bytes_of(&self, id: &str) -> usize {
        match self.entries.get(id) {
            Some(Some(doc)) => {
                256 + doc.title.len()
                    + doc.body.len()
                    + doc.tags.iter().map(String::len).sum::<usize>()
            }
            _ => 16 + id.len(),
        }
    }

    /// The writes that bring `docs` up to date, each within `limits`; an
    /// id covered twice is written once.
    fn changes(&self, docs: &[Doc], limits: BatchLimits) -> Vec<IndexChanges> {
        let mut seen = std::collections::HashSet::new();
        let mut writes = vec![IndexChanges::default()];
        let mut bytes = 0;
        for id in docs.iter().filter_map(|d| self.covers.get(d)).flatten() {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let Some(entry) = self.entries.get(id) else {
                continue;
            };
            let size = self.bytes_of(id);
            if writes.last().is_some_and(|w| {
                !w.is_empty() && (w.len() + 1 > limits.docs || bytes + size > limits.bytes)
            }) {
                writes.push(IndexChanges::default());
                bytes = 0;
            }
            bytes += size;
            if let Some(write) = writes.last_mut() {
                match entry {
                    Some(doc) => write.upserts.push(doc.clone()),
                    None => write.deletes.push(id.clone()),
                }
            }
        }
        writes.retain(|w| !w.is_empty());
        writes
    }
}

/// Documents to upsert, and ids to delete (gone, deleted or held).
type Documents = (Vec<SearchDocument>, Vec<String>);

/// Forum posts, each carrying its thread's title, category, tags and solved
/// flag. Deleted and held posts (or posts of deleted or held threads) leave
/// the index; hidden ones stay, marked hidden, for moderators.
pub async fn post_documents(conn: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Documents> {
    let posts = forum_post::Entity::find()
        .filter(forum_post::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let thread_ids: Vec<i64> = posts.iter().map(|p| p.thread_id).collect();
    let threads: HashMap<i64, forum_thread::Model> = forum_thread::Entity::find()
        .filter(forum_thread::Column::Id.is_in(thread_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let categories: HashMap<i64, String> = forum_category::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    let tag_names: HashMap<i64, String> = forum_tag::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut thread_tags: HashMap<i64, Vec<String>> = HashMap::new();
    for link in forum_thread_tag::Entity::find()
        .filter(forum_thread_tag::Column::ThreadId.is_in(thread_ids.iter().copied()))
        .all(conn)
        .await?
    {
        if let Some(name) = tag_names.get(&link.tag_id) {
            thread_tags
                .entry(link.thread_id)
                .or_default()
                .push(name.clone());
        }
    }

    let found: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let mut deletes: Vec<String> = ids
        .iter()
        .filter(|id| !found.contains(id))
        .map(|id| format!("post:{id}"))
        .collect();
    let mut upserts = Vec::new();
    for post in posts {
        let Some(thread) = threads.get(&post.thread_id) else {
            deletes.push(format!("post:{}", post.id));
            continue;
        };
        let gone = post.deleted_at.is_some() || thread.deleted_at.is_some();
        let held = post.moderation_state == "held" || thread.moderation_state == "held";
        if gone || held {
            deletes.push(format!("post:{}", post.id));
            continue;
        }
        upserts.push(SearchDocument {
            id: format!("post:{}", post.id),
            kind: DocKind::Post,
            group: format!("thread:{}", thread.id),
            object_id: post.id,
            thread_id: Some(thread.id),
            title: thread.title.clone(),
            body: markdown::plain_text(&post.body),
            category: categories.get(&thread.category_id).cloned(),
            tags: thread_tags.get(&thread.id).cloned().unwrap_or_default(),
            author_id: Some(post.author_id),
            created_at: post.created_at.timestamp(),
            solved: Some(thread.solved_post_id.is_some()),
            tier: "registered".into(),
            hidden: post.moderation_state == "hidden" || thread.moderation_state == "hidden",
        });
    }
    Ok((upserts, deletes))
}

/// Published community workspaces; drafts and unpublished listings leave
/// the index. The tier travels with the document so search enforces it.
pub async fn workspace_documents(conn: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Documents> {
    let rows = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for t in workspace_tag::Entity::find()
        .filter(workspace_tag::Column::WorkspaceId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
    {
        tags.entry(t.workspace_id).or_default().push(t.tag);
    }
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for id in ids {
        let Some(ws) = rows.iter().find(|w| w.id == *id) else {
            deletes.push(format!("workspace:{id}"));
            continue;
        };
        let Some(published_at) = ws.published_at else {
            deletes.push(format!("workspace:{id}"));
            continue;
        };
        let body = [
            markdown::plain_text(&ws.intended_study),
            markdown::plain_text(&ws.scientific_approach),
            markdown::plain_text(&ws.anticipated_findings),
            ws.disease.clone(),
        ]
        .join(" ");
        upserts.push(SearchDocument {
            id: format!("workspace:{id}"),
            kind: DocKind::Workspace,
            group: format!("workspace:{id}"),
            object_id: *id,
            thread_id: None,
            title: ws.name.clone(),
            body,
            category: None,
            tags: tags.remove(id).unwrap_or_default(),
            author_id: Some(ws.owner_id),
            created_at: published_at.timestamp(),
            solved: None,
            tier: ws.tier.clone(),
            hidden: false,
        });
    }
    Ok((upserts, deletes))
}

/// Researcher profiles that opted in (open to collaborate) of active users.
pub async fn profile_documents(
    conn: &impl ConnectionTrait,
    user_ids: &[i64],
) -> AppResult<Documents> {
    let profiles = researcher_profile::Entity::find()
        .filter(researcher_profile::Column::UserId.is_in(user_ids.iter().copied()))
        .all(conn)
        .await?;
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut terms: HashMap<i64, Vec<String>> = HashMap::new();
    for t in profile_term::Entity::find()
        .filter(profile_term::Column::UserId.is_in(user_ids.iter().copied()))
        .all(conn)
        .await?
    {
        terms.entry(t.user_id).or_default().push(t.term);
    }
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for id in user_ids {
        let profile = profiles.iter().find(|p| p.user_id == *id);
        let user = users.get(id);
        match (profile, user) {
            (Some(p), Some(u)) if p.open_to_collaborate && u.status == "active" => {
                let skills = terms.remove(id).unwrap_or_default();
                upserts.push(SearchDocument {
                    id: format!("profile:{id}"),
                    kind: DocKind::Profile,
                    group: format!("profile:{id}"),
                    object_id: *id,
                    thread_id: None,
                    title: u.display_name.clone(),
                    body: format!(
                        "{} {} {}",
                        p.research_interests,
                        p.looking_for,
                        skills.join(" ")
                    ),
                    category: None,
                    tags: skills,
                    author_id: Some(*id),
                    created_at: p.created_at.timestamp(),
                    solved: None,
                    tier: "registered".into(),
                    hidden: false,
                });
            }
            _ => deletes.push(format!("profile:{id}")),
        }
    }
    Ok((upserts, deletes))
}

/// Counts of what a rebuild indexed.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct RebuildStats {
    pub posts: usize,
    pub workspaces: usize,
    pub profiles: usize,
}

const REBUILD_BATCH: u64 = 500;

/// Rebuilds every index from the database into a fresh index and swaps it
/// in: searches keep answering from the old one until the swap.
pub async fn rebuild_all(ctx: &AppContext) -> AppResult<RebuildStats> {
    let search_err = |e: SearchError| AppError::internal(anyhow::anyhow!("{e}"));
    let mut rebuild = ctx.search.begin_rebuild().await.map_err(search_err)?;
    let mut stats = RebuildStats::default();
    let mut after = 0i64;
    loop {
        let ids: Vec<i64> = forum_post::Entity::find()
            .select_only()
            .column(forum_post::Column::Id)
            .filter(forum_post::Column::Id.gt(after))
            .order_by_asc(forum_post::Column::Id)
            .limit(REBUILD_BATCH)
            .into_tuple()
            .all(&ctx.db)
            .await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        after = last;
        let (docs, _) = post_documents(&ctx.db, &ids).await?;
        stats.posts += docs.len();
        rebuild.add(docs).await.map_err(search_err)?;
    }
    let workspace_ids: Vec<i64> = workspace::Entity::find()
        .select_only()
        .column(workspace::Column::Id)
        .filter(workspace::Column::PublishedAt.is_not_null())
        .into_tuple()
        .all(&ctx.db)
        .await?;
    for chunk in workspace_ids.chunks(REBUILD_BATCH as usize) {
        let (docs, _) = workspace_documents(&ctx.db, chunk).await?;
        stats.workspaces += docs.len();
        rebuild.add(docs).await.map_err(search_err)?;
    }
    let profile_ids: Vec<i64> = researcher_profile::Entity::find()
        .select_only()
        .column(researcher_profile::Column::UserId)
        .filter(researcher_profile::Column::OpenToCollaborate.eq(true))
        .into_tuple()
        .all(&ctx.db)
        .await?;
    for chunk in profile_ids.chunks(REBUILD_BATCH as usize) {
        let (docs, _) = profile_documents(&ctx.db, chunk).await?;
        stats.profiles += docs.len();
        rebuild.add(docs).await.map_err(search_err)?;
    }
    rebuild.finish().await.map_err(search_err)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(sizes: &[(usize, usize)]) -> Vec<(usize, Size)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &(docs, bytes))| (i, Size { docs, bytes }))
            .collect()
    }

    #[test]
    fn jobs_group_within_the_document_and_byte_bounds() {
        let limits = BatchLimits {
            docs: 3,
            bytes: 1000,
        };
        let groups = limits.group(&sized(&[(1, 10), (1, 10), (1, 10), (1, 10), (1, 10)]));
        assert_eq!(groups, vec![vec![0, 1, 2], vec![3, 4]]);
        let groups = limits.group(&sized(&[(1, 600), (1, 600), (1, 10)]));
        assert_eq!(groups, vec![vec![0], vec![1, 2]]);
    }

    #[test]
    fn a_job_larger_than_the_bounds_forms_its_own_group() {
        let limits = BatchLimits {
            docs: 3,
            bytes: 1000,
        };
        let groups = limits.group(&sized(&[(1, 10), (50, 10), (1, 10)]));
        assert_eq!(groups, vec![vec![0], vec![1], vec![2]]);
        assert!(limits.group(&[]).is_empty());
    }

    #[test]
    fn jobs_keep_their_order_in_the_groups() {
        let limits = BatchLimits {
            docs: 2,
            bytes: usize::MAX,
        };
        let groups = limits.group(&sized(&[(1, 1); 5]));
        let flat: Vec<usize> = groups.into_iter().flatten().collect();
        assert_eq!(flat, vec![0, 1, 2, 3, 4]);
    }
}
