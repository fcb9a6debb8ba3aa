//! Keeps the search engine in step with the database. The `search.index`
//! job names a document (`{"doc": "post" | "thread" | "workspace" |
//! "profile", "id"}`);
//! the handler reads the row as it is *now* and upserts or deletes, so a
//! job that runs late (after an outage) still applies the latest edit, and
//! jobs for one document run in order through their ordering key.

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
    search::{DocKind, SearchDocument, SearchError},
};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// The `search.index` job handler.
pub async fn run(ctx: AppContext, job: ClaimedJob) -> Result<(), JobError> {
    let doc: Doc =
        serde_json::from_str(&job.payload).map_err(|e| JobError::bad_payload(&INDEX, e))?;
    let (upserts, deletes) = match doc {
        Doc::Post(id) => post_documents(&ctx.db, &[id]).await?,
        Doc::Thread(id) => {
            let ids: Vec<i64> = forum_post::Entity::find()
                .select_only()
                .column(forum_post::Column::Id)
                .filter(forum_post::Column::ThreadId.eq(id))
                .into_tuple()
                .all(&ctx.db)
                .await
                .map_err(AppError::from)?;
            post_documents(&ctx.db, &ids).await?
        }
        Doc::Workspace(id) => workspace_documents(&ctx.db, &[id]).await?,
        Doc::Profile(id) => profile_documents(&ctx.db, &[id]).await?,
    };
    if !upserts.is_empty() {
        ctx.search.upsert(upserts).await?;
    }
    if !deletes.is_empty() {
        ctx.search.delete(deletes).await?;
    }
    Ok(())
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
