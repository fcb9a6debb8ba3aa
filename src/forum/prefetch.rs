//! Set-based loading of a page's relations before the page resolves.
//!
//! The DataLoaders batch whatever keys are registered before their batch
//! runs. With no batching delay (see `loaders::LOADER_DELAY`) that
//! is one poll of the resolvers, and async-graphql resolves lists longer
//! than 30 items through `FuturesUnordered`, which yields part-way (tokio's
//! cooperative budget), so a page of 50 would be split into many small
//! batches. Pages therefore ask each loader once with every key of the page
//! (`load_many`), for the fields the query selects, and hand the results to
//! their items: the statement count of a page is fixed, whatever its size
//! and whatever the delay.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    sync::Arc,
};

use async_graphql::{
    Context, Lookahead,
    dataloader::{DataLoader, Loader},
};

use super::SubscriptionTarget;
use super::loaders::{
    BookmarkedLoader, ForumUserLoader, LikedLoader, OpeningPost, OpeningPostLoader, PostLoader,
    ReadInfo, ReadInfoLoader, RevisionsLoader, SubscriptionKey, SubscriptionLoader, ThreadLoader,
    ThreadTagsLoader, ViewerKey,
};
use crate::{
    entities::{
        forum_category as category, forum_post as post, forum_post_revision as revision,
        forum_tag as tag, forum_thread as thread, user,
    },
    error::{AppError, AppResult},
    identity::CurrentUser,
};

/// Loads many keys through the registered `DataLoader<L>` in one batch.
pub async fn load_many<L, K>(
    ctx: &Context<'_>,
    keys: impl IntoIterator<Item = K>,
) -> AppResult<HashMap<K, L::Value>>
where
    L: Loader<K, Error = Arc<AppError>>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    ctx.data_unchecked::<DataLoader<L>>()
        .load_many(keys)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("loader: {e:?}")))
}

/// Runs `load` only when `wanted`.
async fn maybe<T>(wanted: bool, load: impl Future<Output = AppResult<T>>) -> AppResult<Option<T>> {
    if wanted {
        Ok(Some(load.await?))
    } else {
        Ok(None)
    }
}

/// Which relations a thread page's nodes select.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadWants {
    users: bool,
    categories: bool,
    tags: bool,
    read: bool,
    posts: bool,
    excerpts: bool,
    subscriptions: bool,
}

impl ThreadWants {
    pub fn of(node: &Lookahead<'_>) -> Self {
        let any = |names: &[&str]| names.iter().any(|n| node.field(n).exists());
        Self {
            users: any(&["author", "lastPoster"]),
            categories: any(&["category", "canReply"]),
            tags: any(&["tags"]),
            read: any(&["unreadCount", "lastReadPostNumber", "firstUnreadPostNumber"]),
            posts: any(&["firstPost", "acceptedAnswer"]),
            excerpts: any(&["excerpt"]),
            subscriptions: any(&["viewerSubscription"]),
        }
    }
}

/// The relations of one page of threads.
#[derive(Default)]
pub struct ThreadBatch {
    pub users: Option<HashMap<i64, user::Model>>,
    pub categories: Option<HashMap<i64, category::Model>>,
    pub tags: Option<HashMap<i64, Vec<tag::Model>>>,
    /// The viewer's reading state, by thread id.
    pub read: Option<HashMap<i64, ReadInfo>>,
    /// Opening posts and accepted answers, by post id.
    pub posts: Option<HashMap<i64, post::Model>>,
    /// Opening posts' excerpts, by post id.
    pub excerpts: Option<HashMap<i64, OpeningPost>>,
    /// The viewer's level, by thread id.
    pub subscriptions: Option<HashMap<i64, String>>,
}

pub async fn threads(
    ctx: &Context<'_>,
    viewer: &CurrentUser,
    rows: &[thread::Model],
    wants: ThreadWants,
) -> AppResult<ThreadBatch> {
    let user_ids: HashSet<i64> = rows
        .iter()
        .flat_map(|t| [Some(t.author_id), t.last_poster_id])
        .flatten()
        .collect();
    let category_ids: HashSet<i64> = rows.iter().map(|t| t.category_id).collect();
    let thread_ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let post_ids: HashSet<i64> = rows
        .iter()
        .flat_map(|t| [t.first_post_id, t.solved_post_id])
        .flatten()
        .collect();
    let opening_ids: Vec<i64> = rows.iter().filter_map(|t| t.first_post_id).collect();
    let viewer_keys = thread_ids.iter().map(|id| ViewerKey {
        user_id: viewer.id,
        id: *id,
    });
    let subscription_keys = thread_ids.iter().map(|id| SubscriptionKey {
        user_id: viewer.id,
        target: SubscriptionTarget::Thread,
        id: *id,
    });
    let (users, categories, tags, read, posts, excerpts, subscriptions) = futures::try_join!(
        maybe(wants.users, load_many::<ForumUserLoader, _>(ctx, user_ids)),
        maybe(wants.categories, async {
            let app = crate::request::app(ctx);
            let all = app.categories.all(&app.db).await?;
            Ok(all
                .iter()
                .filter(|c| category_ids.contains(&c.id))
                .map(|c| (c.id, c.clone()))
                .collect::<HashMap<_, _>>())
        }),
        maybe(
            wants.tags,
            load_many::<ThreadTagsLoader, _>(ctx, thread_ids.clone())
        ),
        maybe(wants.read, load_many::<ReadInfoLoader, _>(ctx, viewer_keys)),
        maybe(wants.posts, load_many::<PostLoader, _>(ctx, post_ids)),
        maybe(
            wants.excerpts,
            load_many::<OpeningPostLoader, _>(ctx, opening_ids)
        ),
        maybe(
            wants.subscriptions,
            load_many::<SubscriptionLoader, _>(ctx, subscription_keys)
        ),
    )?;
    Ok(ThreadBatch {
        users,
        categories,
        tags,
        read: read.map(|m| m.into_iter().map(|(k, v)| (k.id, v)).collect()),
        posts,
        excerpts,
        subscriptions: subscriptions.map(|m| m.into_iter().map(|(k, v)| (k.id, v)).collect()),
    })
}

/// Which relations a post page's nodes select.
#[derive(Clone, Copy, Debug, Default)]
pub struct PostWants {
    users: bool,
    liked: bool,
    bookmarked: bool,
    reply_to: bool,
    threads: bool,
    revisions: bool,
}

impl PostWants {
    pub fn of(node: &Lookahead<'_>) -> Self {
        let any = |names: &[&str]| names.iter().any(|n| node.field(n).exists());
        Self {
            users: any(&["author"]),
            liked: any(&["likedByViewer"]),
            bookmarked: any(&["bookmarked"]),
            reply_to: any(&["replyTo"]),
            threads: any(&["thread", "isAcceptedAnswer"]),
            revisions: any(&["revisions"]),
        }
    }
}

/// The relations of one page of posts.
#[derive(Default)]
pub struct PostBatch {
    pub users: Option<HashMap<i64, user::Model>>,
    /// Post ids the viewer liked.
    pub liked: Option<HashSet<i64>>,
    /// Post ids the viewer bookmarked.
    pub bookmarked: Option<HashSet<i64>>,
    /// Posts replied to, by id.
    pub posts: Option<HashMap<i64, post::Model>>,
    pub threads: Option<HashMap<i64, thread::Model>>,
    pub revisions: Option<HashMap<i64, Vec<revision::Model>>>,
}

/// `known` threads (the page's own) are not loaded again.
pub async fn posts(
    ctx: &Context<'_>,
    viewer: &CurrentUser,
    rows: &[post::Model],
    wants: PostWants,
    known: &[&thread::Model],
) -> AppResult<PostBatch> {
    let user_ids: HashSet<i64> = rows.iter().map(|p| p.author_id).collect();
    let post_ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let viewer_keys: Vec<ViewerKey> = post_ids
        .iter()
        .map(|id| ViewerKey {
            user_id: viewer.id,
            id: *id,
        })
        .collect();
    let reply_ids: HashSet<i64> = rows.iter().filter_map(|p| p.reply_to_post_id).collect();
    let thread_ids: HashSet<i64> = rows
        .iter()
        .map(|p| p.thread_id)
        .filter(|id| !known.iter().any(|t| t.id == *id))
        .collect();
    let (users, liked, bookmarked, posts, threads, revisions) = futures::try_join!(
        maybe(wants.users, load_many::<ForumUserLoader, _>(ctx, user_ids)),
        maybe(
            wants.liked,
            load_many::<LikedLoader, _>(ctx, viewer_keys.clone())
        ),
        maybe(
            wants.bookmarked,
            load_many::<BookmarkedLoader, _>(ctx, viewer_keys)
        ),
        maybe(wants.reply_to, load_many::<PostLoader, _>(ctx, reply_ids)),
        maybe(wants.threads, load_many::<ThreadLoader, _>(ctx, thread_ids)),
        maybe(
            wants.revisions,
            load_many::<RevisionsLoader, _>(ctx, post_ids.clone())
        ),
    )?;
    let flagged = |m: HashMap<ViewerKey, bool>| -> HashSet<i64> {
        m.into_iter()
            .filter(|(_, v)| *v)
            .map(|(k, _)| k.id)
            .collect()
    };
    let threads = threads.map(|mut m| {
        for t in known {
            m.insert(t.id, (*t).clone());
        }
        m
    });
    Ok(PostBatch {
        users,
        liked: liked.map(flagged),
        bookmarked: bookmarked.map(flagged),
        posts,
        threads,
        revisions,
    })
}
