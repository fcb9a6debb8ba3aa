//! DataLoaders for the forum's relations. A page of N threads or posts
//! costs one statement per relation, whatever N.
//!
//! Per-viewer relations (unread counts, likes, bookmarks, subscriptions)
//! are keyed by (viewer, id): the loaders live as long as the schema and
//! batch keys across concurrent requests.

use std::{collections::HashMap, hash::Hash, sync::Arc, time::Duration};

use async_graphql::{
    Context, ObjectType, SchemaBuilder, SubscriptionType,
    dataloader::{DataLoader, Loader},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::SubscriptionTarget;
use crate::{
    db::{placeholders, statement},
    entities::{
        forum_bookmark as bookmark, forum_post as post, forum_post_revision as revision,
        forum_reaction as reaction, forum_subscription as subscription, forum_tag as tag,
        forum_thread as thread, user,
    },
    error::{AppError, AppResult},
};

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

fn db_err(e: sea_orm::DbErr) -> Arc<AppError> {
    Arc::new(AppError::from(e))
}

/// Loads one value through the registered `DataLoader<L>`.
pub async fn load<L, K>(ctx: &Context<'_>, key: K) -> AppResult<Option<L::Value>>
where
    L: Loader<K, Error = Arc<AppError>>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    ctx.data_unchecked::<DataLoader<L>>()
        .load_one(key)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("loader: {e:?}")))
}

/// The forum loaders' batching window: none. async-graphql's default waits
/// 1 ms before each batch, and every nesting level of a query pays it
/// again. Pages load their relations set-based (`prefetch.rs`), so no wait
/// is needed to gather keys. Measured with `examples/loader_delay.rs` (see
/// docs/ARCHITECTURE.md): 1.8 to 5 times the sequential throughput of the
/// 1 ms default.
pub const LOADER_DELAY: Duration = Duration::ZERO;

/// Registers every forum loader with `delay` as its batch window.
pub fn register<Q, M, S>(
    mut builder: SchemaBuilder<Q, M, S>,
    db: &DatabaseConnection,
    delay: Duration,
) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    macro_rules! add {
        ($($loader:ident),*) => {
            $(
                builder = builder.data(
                    DataLoader::new($loader { db: db.clone() }, tokio::spawn).delay(delay),
                );
            )*
        };
    }
    add!(
        ForumUserLoader,
        ThreadLoader,
        PostLoader,
        OpeningPostLoader,
        RevisionsLoader,
        ThreadTagsLoader,
        ReadInfoLoader,
        LikedLoader,
        BookmarkedLoader,
        SubscriptionLoader
    );
    builder
}

/// Users by id for the forum's pages: the same query as the shared
/// `UserLoader`, registered with the forum's batching delay.
pub struct ForumUserLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for ForumUserLoader {
    type Value = user::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// A per-viewer key: (the viewer, a thread or post id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViewerKey {
    pub user_id: i64,
    pub id: i64,
}

pub struct ThreadLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for ThreadLoader {
    type Value = thread::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = thread::Entity::find()
            .filter(thread::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}

/// What a thread list shows of an opening post: its excerpt, and enough
/// to decide who may read it. Whole bodies stay in the database.
#[derive(Clone, Debug, FromQueryResult)]
pub struct OpeningPost {
    pub id: i64,
    pub author_id: i64,
    pub moderation_state: String,
    pub deleted: bool,
    pub excerpt: Option<String>,
    /// The body, only for posts written before excerpts were stored.
    pub body: Option<String>,
}

impl OpeningPost {
    pub fn excerpt(&self) -> String {
        match (&self.excerpt, &self.body) {
            (Some(excerpt), _) => excerpt.clone(),
            (None, Some(body)) => crate::markdown::excerpt(body, super::posts::EXCERPT_CHARS),
            (None, None) => String::new(),
        }
    }
}

pub struct OpeningPostLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for OpeningPostLoader {
    type Value = OpeningPost;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = post::Entity::find()
            .select_only()
            .columns([
                post::Column::Id,
                post::Column::AuthorId,
                post::Column::ModerationState,
                post::Column::Excerpt,
            ])
            .column_as(post::Column::DeletedAt.is_not_null(), "deleted")
            .column_as(
                Expr::cust("CASE WHEN excerpt IS NULL THEN body END"),
                "body",
            )
            .filter(post::Column::Id.is_in(keys.iter().copied()))
            .into_model::<OpeningPost>()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

pub struct PostLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for PostLoader {
    type Value = post::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = post::Entity::find()
            .filter(post::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// Posts' revisions, oldest first, by post id.
pub struct RevisionsLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for RevisionsLoader {
    type Value = Vec<revision::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = revision::Entity::find()
            .filter(revision::Column::PostId.is_in(keys.iter().copied()))
            .order_by_asc(revision::Column::PostId)
            .order_by_asc(revision::Column::Number)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<revision::Model>> = HashMap::new();
        for r in rows {
            out.entry(r.post_id).or_default().push(r);
        }
        Ok(out)
    }
}

/// The tags of several threads in one statement, each thread's by name.
pub async fn thread_tags(
    conn: &impl ConnectionTrait,
    thread_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<tag::Model>>> {
    if thread_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT tt.thread_id AS thread_id, g.id AS id, g.name AS name, g.description AS description,
                g.retired_at AS retired_at, g.created_by AS created_by, g.created_at AS created_at
         FROM forum_thread_tags tt JOIN forum_tags g ON g.id = tt.tag_id
         WHERE tt.thread_id IN ({})
         ORDER BY g.name",
        placeholders(thread_ids.len())
    );
    let rows = conn
        .query_all_raw(statement(
            backend,
            &sql,
            thread_ids.iter().map(|id| (*id).into()),
        ))
        .await?;
    let mut out: HashMap<i64, Vec<tag::Model>> = HashMap::new();
    for row in rows {
        let thread_id: i64 = row.try_get("", "thread_id")?;
        out.entry(thread_id).or_default().push(tag::Model {
            id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
            description: row.try_get("", "description")?,
            retired_at: row.try_get("", "retired_at")?,
            created_by: row.try_get("", "created_by")?,
            created_at: row.try_get("", "created_at")?,
        });
    }
    Ok(out)
}

pub struct ThreadTagsLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for ThreadTagsLoader {
    type Value = Vec<tag::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        thread_tags(&self.db, keys).await.map_err(Arc::new)
    }
}

/// A viewer's reading position in a thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadInfo {
    /// None: the viewer has never opened the thread.
    pub last_read: Option<i32>,
    /// Visible posts after the last-read one.
    pub unread: i64,
    pub first_unread: Option<i32>,
}

/// The reading state of `n` threads for one viewer (`?` first, then the
/// thread ids). Unread counts visible posts after the viewer's last read
/// one. The thread keeps its visible replies in `reply_count`, so a thread
/// never opened costs no scan, and otherwise only the shorter side of the
/// last read post is counted: the long threads that lead the latest list
/// would else be counted post by post on every page view.
fn read_info_sql(n: usize) -> String {
    let visible = "p.thread_id = t.id AND p.deleted_at IS NULL AND p.moderation_state = 'visible'";
    let last = "r.last_read_post_number";
    let total = format!(
        "t.reply_count + (SELECT COUNT(*) FROM forum_posts p WHERE {visible} AND p.number = 1)"
    );
    format!(
        "SELECT t.id AS thread_id, {last} AS last_read,
                (CASE
                   WHEN {last} IS NULL OR {last} < 1 THEN {total}
                   WHEN 2 * {last} < t.last_post_number THEN {total}
                     - (SELECT COUNT(*) FROM forum_posts p WHERE {visible} AND p.number <= {last})
                   ELSE (SELECT COUNT(*) FROM forum_posts p WHERE {visible} AND p.number > {last})
                 END) AS unread,
                (SELECT MIN(p.number) FROM forum_posts p
                  WHERE {visible} AND p.number > COALESCE({last}, 0)) AS first_unread
         FROM forum_threads t
         LEFT JOIN forum_read_states r ON r.thread_id = t.id AND r.user_id = ?
         WHERE t.id IN ({})",
        placeholders(n)
    )
}

pub struct ReadInfoLoader {
    db: DatabaseConnection,
}

impl Loader<ViewerKey> for ReadInfoLoader {
    type Value = ReadInfo;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ViewerKey]) -> LoadResult<ViewerKey, Self::Value> {
        let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
        for k in keys {
            by_user.entry(k.user_id).or_default().push(k.id);
        }
        let backend = self.db.get_database_backend();
        let mut out = HashMap::with_capacity(keys.len());
        // One statement per viewer in the batch (almost always one).
        for (user_id, thread_ids) in by_user {
            let sql = read_info_sql(thread_ids.len());
            let values =
                std::iter::once(user_id.into()).chain(thread_ids.iter().map(|id| (*id).into()));
            let rows = self
                .db
                .query_all_raw(statement(backend, &sql, values))
                .await
                .map_err(db_err)?;
            for row in rows {
                let thread_id: i64 = row.try_get("", "thread_id").map_err(db_err)?;
                out.insert(
                    ViewerKey {
                        user_id,
                        id: thread_id,
                    },
                    ReadInfo {
                        last_read: row.try_get("", "last_read").map_err(db_err)?,
                        unread: row.try_get("", "unread").map_err(db_err)?,
                        first_unread: row.try_get("", "first_unread").map_err(db_err)?,
                    },
                );
            }
        }
        Ok(out)
    }
}

/// Groups viewer keys into (users, ids) for a superset query.
fn split(keys: &[ViewerKey]) -> (Vec<i64>, Vec<i64>) {
    let mut users: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
    let mut ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
    users.sort_unstable();
    users.dedup();
    ids.sort_unstable();
    ids.dedup();
    (users, ids)
}

/// Whether the viewer liked a post. Absent keys mean false.
pub struct LikedLoader {
    db: DatabaseConnection,
}

impl Loader<ViewerKey> for LikedLoader {
    type Value = bool;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ViewerKey]) -> LoadResult<ViewerKey, Self::Value> {
        let (users, ids) = split(keys);
        let rows: Vec<(i64, i64)> = reaction::Entity::find()
            .select_only()
            .column(reaction::Column::UserId)
            .column(reaction::Column::PostId)
            .filter(reaction::Column::UserId.is_in(users))
            .filter(reaction::Column::PostId.is_in(ids))
            .filter(reaction::Column::Kind.eq("like"))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, id)| (ViewerKey { user_id, id }, true))
            .collect())
    }
}

/// Whether the viewer bookmarked a post. Absent keys mean false.
pub struct BookmarkedLoader {
    db: DatabaseConnection,
}

impl Loader<ViewerKey> for BookmarkedLoader {
    type Value = bool;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ViewerKey]) -> LoadResult<ViewerKey, Self::Value> {
        let (users, ids) = split(keys);
        let rows: Vec<(i64, i64)> = bookmark::Entity::find()
            .select_only()
            .column(bookmark::Column::UserId)
            .column(bookmark::Column::PostId)
            .filter(bookmark::Column::UserId.is_in(users))
            .filter(bookmark::Column::PostId.is_in(ids))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, id)| (ViewerKey { user_id, id }, true))
            .collect())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubscriptionKey {
    pub user_id: i64,
    pub target: SubscriptionTarget,
    pub id: i64,
}

/// The viewer's level on a thread, category or tag. Absent: normal.
pub struct SubscriptionLoader {
    db: DatabaseConnection,
}

impl Loader<SubscriptionKey> for SubscriptionLoader {
    type Value = String;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[SubscriptionKey]) -> LoadResult<SubscriptionKey, Self::Value> {
        let mut users: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
        users.sort_unstable();
        users.dedup();
        let mut ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let rows = subscription::Entity::find()
            .filter(subscription::Column::UserId.is_in(users))
            .filter(subscription::Column::TargetId.is_in(ids))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|s| {
                let target = SubscriptionTarget::parse(&s.target_type)?;
                Some((
                    SubscriptionKey {
                        user_id: s.user_id,
                        target,
                        id: s.target_id,
                    },
                    s.level,
                ))
            })
            .collect())
    }
}
