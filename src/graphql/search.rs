//! `search(query, kinds, filters, first, after)`: one box for threads,
//! community workspaces and researcher profiles. Visibility (data tier,
//! hidden posts) is enforced by the engine on every query; hits link to
//! their objects, loaded in one batch per kind.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    entities::{
        forum_post, forum_thread, researcher_profile, user, workspace, workspace_collaborator,
    },
    error::{AppError, AppResult},
    forum::{
        self,
        objects::{Post, Thread},
    },
    identity::{CurrentUser, Tier, UserStatus},
    matching::graphql::ResearcherProfile,
    request::{GqlResult, app, require_user},
    search::{DocKind, SearchFilters, SearchQuery, Viewer},
    validate,
    workspaces::{self, graphql::Workspace, service::Membership},
};

/// The most hits one page returns.
pub const MAX_PAGE: usize = 50;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SearchKind {
    Thread,
    Workspace,
    Profile,
}

impl SearchKind {
    fn doc_kind(self) -> DocKind {
        match self {
            SearchKind::Thread => DocKind::Post,
            SearchKind::Workspace => DocKind::Workspace,
            SearchKind::Profile => DocKind::Profile,
        }
    }
}

#[derive(InputObject, Default)]
pub struct SearchFiltersInput {
    /// Category slug.
    pub category: Option<String>,
    /// Every tag must match.
    pub tags: Option<Vec<String>>,
    pub author_id: Option<ID>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub solved: Option<bool>,
    pub tier: Option<Tier>,
}

#[derive(SimpleObject)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct SearchFacets {
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    pub categories: Vec<FacetCount>,
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    pub tags: Vec<FacetCount>,
}

/// One hit. `snippet` is HTML in which only `<mark>` survives sanitizing.
pub struct SearchHit {
    kind: SearchKind,
    score: f64,
    snippet: String,
    thread: Option<forum_thread::Model>,
    post: Option<forum_post::Model>,
    workspace: Option<workspace::Model>,
    profile: Option<researcher_profile::Model>,
}

#[Object]
impl SearchHit {
    async fn kind(&self) -> SearchKind {
        self.kind
    }
    /// Relevance; comparable only within one result list.
    async fn score(&self) -> f64 {
        self.score
    }
    async fn snippet(&self) -> &str {
        &self.snippet
    }
    async fn thread(&self) -> Option<Thread> {
        self.thread.clone().map(Thread::new)
    }
    /// The thread's best-matching post.
    async fn post(&self) -> Option<Post> {
        self.post.clone().map(Post::new)
    }
    async fn workspace(&self) -> Option<Workspace> {
        self.workspace.clone().map(Workspace)
    }
    async fn profile(&self) -> Option<ResearcherProfile> {
        self.profile.clone().map(ResearcherProfile)
    }
}

#[derive(SimpleObject)]
pub struct SearchResults {
    /// Matching threads, workspaces and profiles (threads counted once).
    pub total: i64,
    pub facets: SearchFacets,
    // Costed at the largest page: the page size is an argument of `search`.
    #[graphql(complexity = "crate::request::cost::listed(MAX_PAGE, child_complexity)")]
    pub hits: Connection<String, SearchHit, EmptyFields, EmptyFields>,
}

fn facet_counts(values: Vec<(String, u64)>) -> Vec<FacetCount> {
    values
        .into_iter()
        .map(|(value, count)| FacetCount {
            value,
            count: count as i64,
        })
        .collect()
}

#[derive(Default)]
pub struct SearchQueryRoot;

#[Object]
impl SearchQueryRoot {
    /// Full-text search with typo tolerance and prefix matching on the last
    /// word. Cursors are opaque.
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        kinds: Option<Vec<SearchKind>>,
        filters: Option<SearchFiltersInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<SearchResults> {
        let viewer = require_user(ctx)?;
        crate::request::throttle::count(ctx, crate::request::throttle::ExpensiveRead::Search)
            .await?;
        let app = app(ctx);
        let text = validate::single_line("query", &query, 0, 200)?;
        let limit = first.unwrap_or(20).clamp(1, MAX_PAGE as i32) as usize;
        let offset = match after {
            Some(cursor) => {
                cursor.parse::<usize>().map_err(|_| {
                    AppError::validation("after", "is not a cursor from this search")
                })? + 1
            }
            None => 0,
        };
        let filters = filters.unwrap_or_default();
        let author_id = match &filters.author_id {
            Some(id) => Some(validate::id("filters.authorId", id)?),
            None => None,
        };
        let search_query = SearchQuery {
            text,
            kinds: kinds
                .unwrap_or_default()
                .into_iter()
                .map(SearchKind::doc_kind)
                .collect(),
            filters: SearchFilters {
                category: filters.category,
                tags: filters.tags.unwrap_or_default(),
                author_id,
                created_from: filters.created_from.map(|t| t.timestamp()),
                created_to: filters.created_to.map(|t| t.timestamp()),
                solved: filters.solved,
                tier: filters.tier.map(|t| t.as_str().to_string()),
            },
            viewer: Viewer {
                tiers: viewer
                    .tier
                    .visible()
                    .into_iter()
                    .map(|t| t.as_str().to_string())
                    .collect(),
                moderator: viewer.is_moderator(),
            },
            offset,
            limit,
        };
        let results = app.search.search(&search_query).await.map_err(|e| {
            if e.is_retryable() {
                AppError::Unavailable(
                    "search is temporarily unavailable; try again in a minute".into(),
                )
            } else {
                AppError::internal(anyhow::anyhow!("{e}"))
            }
        })?;

        // Load every linked object in one query per kind.
        let ids_of = |kind: DocKind| -> Vec<i64> {
            results
                .hits
                .iter()
                .filter(|h| h.kind == kind)
                .map(|h| h.object_id)
                .collect()
        };
        let post_ids = ids_of(DocKind::Post);
        let posts: HashMap<i64, forum_post::Model> = forum_post::Entity::find()
            .filter(forum_post::Column::Id.is_in(post_ids))
            .all(&app.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let thread_ids: Vec<i64> = results.hits.iter().filter_map(|h| h.thread_id).collect();
        let threads: HashMap<i64, forum_thread::Model> = forum_thread::Entity::find()
            .filter(forum_thread::Column::Id.is_in(thread_ids))
            .all(&app.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let workspaces: HashMap<i64, workspace::Model> = workspace::Entity::find()
            .filter(workspace::Column::Id.is_in(ids_of(DocKind::Workspace)))
            .all(&app.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|w| (w.id, w))
            .collect();
        let profiles: HashMap<i64, researcher_profile::Model> = researcher_profile::Entity::find()
            .filter(researcher_profile::Column::UserId.is_in(ids_of(DocKind::Profile)))
            .all(&app.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|p| (p.user_id, p))
            .collect();

        let live = Live::load(&app.db, viewer, &workspaces, &profiles).await?;

        let has_next = offset + results.hits.len() < results.total as usize;
        let mut connection = Connection::new(offset > 0, has_next);
        for (i, hit) in results.hits.into_iter().enumerate() {
            // Positions are the engine's, so cursors stay valid when a hit
            // is dropped below.
            let cursor = (offset + i).to_string();
            let node = match hit.kind {
                DocKind::Post => {
                    let thread = hit.thread_id.and_then(|t| threads.get(&t));
                    let post = posts.get(&hit.object_id);
                    match (thread, post) {
                        (Some(t), Some(p)) if live.post(t, p) => SearchHit {
                            kind: SearchKind::Thread,
                            score: hit.score as f64,
                            snippet: hit.snippet,
                            thread: Some(t.clone()),
                            post: Some(p.clone()),
                            workspace: None,
                            profile: None,
                        },
                        _ => continue,
                    }
                }
                DocKind::Workspace => match workspaces.get(&hit.object_id) {
                    Some(w) if live.workspace(w) => SearchHit {
                        kind: SearchKind::Workspace,
                        score: hit.score as f64,
                        snippet: hit.snippet,
                        thread: None,
                        post: None,
                        workspace: Some(w.clone()),
                        profile: None,
                    },
                    _ => continue,
                },
                DocKind::Profile => match profiles.get(&hit.object_id) {
                    Some(p) if live.profile(p) => SearchHit {
                        kind: SearchKind::Profile,
                        score: hit.score as f64,
                        snippet: hit.snippet,
                        thread: None,
                        post: None,
                        workspace: None,
                        profile: Some(p.clone()),
                    },
                    _ => continue,
                },
            };
            connection.edges.push(Edge::new(cursor, node));
        }
        Ok(SearchResults {
            total: results.total as i64,
            facets: SearchFacets {
                categories: facet_counts(results.facets.category),
                tags: facet_counts(results.facets.tags),
            },
            hits: connection,
        })
    }

    /// Index lag for staff: jobs waiting to reach the search engine.
    async fn search_status(&self, ctx: &Context<'_>) -> GqlResult<SearchStatus> {
        let viewer = require_user(ctx)?;
        if !viewer.is_staff() {
            return Err(AppError::forbidden("only staff can see the search status").into());
        }
        let app = app(ctx);
        let lag = crate::jobs::queue::lag(&app.db, app.clock.now()).await?;
        let healthy = app.search.health().await.is_ok();
        Ok(SearchStatus {
            engine: app.search.engine().to_string(),
            healthy,
            pending_jobs: lag.pending,
            oldest_pending_seconds: lag.oldest_pending_seconds,
        })
    }
}

/// What the viewer may open *now*. The index can lag a change (a thread
/// hidden, a listing unpublished, a member suspended, a tier lowered) by
/// a few seconds, or by an outage: every hit is checked against the rows
/// with the rules `thread(id)`, `workspace(id)` and `researcherProfile`
/// apply, and a hit the viewer could not open is left out.
struct Live<'a> {
    viewer: &'a CurrentUser,
    /// Listings among the hits that the viewer owns or collaborates on.
    member_of: HashSet<i64>,
    /// Profile owners among the hits whose account is active.
    active: HashSet<i64>,
}

impl<'a> Live<'a> {
    async fn load(
        db: &impl ConnectionTrait,
        viewer: &'a CurrentUser,
        workspaces: &HashMap<i64, workspace::Model>,
        profiles: &HashMap<i64, researcher_profile::Model>,
    ) -> AppResult<Live<'a>> {
        let mut member_of: HashSet<i64> = workspaces
            .values()
            .filter(|w| w.owner_id == viewer.id)
            .map(|w| w.id)
            .collect();
        if !workspaces.is_empty() {
            member_of.extend(
                workspace_collaborator::Entity::find()
                    .select_only()
                    .column(workspace_collaborator::Column::WorkspaceId)
                    .filter(
                        workspace_collaborator::Column::WorkspaceId
                            .is_in(workspaces.keys().copied()),
                    )
                    .filter(workspace_collaborator::Column::UserId.eq(viewer.id))
                    .into_tuple::<i64>()
                    .all(db)
                    .await?,
            );
        }
        let active: HashSet<i64> = if profiles.is_empty() {
            HashSet::new()
        } else {
            user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::Id.is_in(profiles.keys().copied()))
                .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
                .into_tuple::<i64>()
                .all(db)
                .await?
                .into_iter()
                .collect()
        };
        Ok(Live {
            viewer,
            member_of,
            active,
        })
    }

    /// As `thread(id)` and `post(id)`: both visible, and the post's text
    /// readable (deleted threads and posts are for moderators).
    fn post(&self, t: &forum_thread::Model, p: &forum_post::Model) -> bool {
        p.thread_id == t.id
            && forum::service::can_see_thread(self.viewer, t)
            && (t.deleted_at.is_none() || self.viewer.is_moderator())
            && forum::service::can_read_post_body(self.viewer, p)
    }

    fn workspace(&self, w: &workspace::Model) -> bool {
        let membership = if w.owner_id == self.viewer.id {
            Membership::Owner
        } else if self.member_of.contains(&w.id) {
            Membership::Collaborator
        } else {
            Membership::None
        };
        workspaces::service::can_see(self.viewer, w, membership)
    }

    /// As `researcherProfile`: suspended members' profiles are for
    /// themselves and admins.
    fn profile(&self, p: &researcher_profile::Model) -> bool {
        p.user_id == self.viewer.id || self.viewer.is_admin() || self.active.contains(&p.user_id)
    }
}

#[derive(SimpleObject)]
pub struct SearchStatus {
    pub engine: String,
    pub healthy: bool,
    pub pending_jobs: i64,
    pub oldest_pending_seconds: i64,
}
