//! The forum's GraphQL object types. Relations resolve through the
//! DataLoaders; visibility rules come from `service`.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, ID, Object,
    connection::{Connection, Edge, EmptyFields, query},
};
use chrono::{DateTime, Utc};

use super::{
    DEFAULT_PAGE, MAX_PAGE, ModerationState, SubscriptionLevel, SubscriptionTarget, cursor,
    lists::{self, PostPage},
    loaders::{
        BookmarkedLoader, ForumUserLoader, LikedLoader, OpeningPostLoader, PostLoader, ReadInfo,
        ReadInfoLoader, RevisionsLoader, SubscriptionKey, SubscriptionLoader, ThreadLoader,
        ThreadTagsLoader, ViewerKey, load,
    },
    prefetch::{self, PostBatch, PostWants, ThreadBatch, ThreadWants},
    service,
};
use crate::{
    auth::graphql::User,
    entities::{
        forum_bookmark as bookmark, forum_category as category, forum_draft as draft,
        forum_post as post, forum_post_revision as revision, forum_subscription as subscription,
        forum_tag as tag, forum_thread as thread,
    },
    error::AppError,
    identity::{CurrentUser, Role},
    request::{GqlResult, app, require_user, viewer},
};

/// Shown instead of the title and body of deleted content.
pub const DELETED_PLACEHOLDER: &str = "[deleted]";

async fn user(ctx: &Context<'_>, id: i64) -> GqlResult<Option<User>> {
    Ok(load::<ForumUserLoader, _>(ctx, id).await?.map(User))
}

async fn subscription_level(
    ctx: &Context<'_>,
    target: SubscriptionTarget,
    id: i64,
) -> GqlResult<SubscriptionLevel> {
    let Some(v) = viewer(ctx) else {
        return Ok(SubscriptionLevel::Normal);
    };
    let key = SubscriptionKey {
        user_id: v.id,
        target,
        id,
    };
    Ok(load::<SubscriptionLoader, _>(ctx, key)
        .await?
        .map_or(SubscriptionLevel::Normal, |l| SubscriptionLevel::parse(&l)))
}

pub struct Category(pub category::Model);

/// A forum category. Admins create and order them.
#[Object(name = "ForumCategory")]
impl Category {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Plain text.
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Roles any of which may post here; empty: every verified member.
    async fn required_roles(&self) -> Vec<Role> {
        service::required_roles(&self.0).list().to_vec()
    }
    /// Whether the viewer may start threads here now.
    async fn can_post(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx).is_some_and(|v| {
            v.require_writer(app(ctx).clock.now()).is_ok() && service::can_post_in(v, &self.0)
        })
    }
    async fn viewer_subscription(&self, ctx: &Context<'_>) -> GqlResult<SubscriptionLevel> {
        subscription_level(ctx, SubscriptionTarget::Category, self.0.id).await
    }
    /// Frontend path.
    async fn link(&self) -> String {
        format!("/c/{}", self.0.slug)
    }
}

pub struct Tag(pub tag::Model);

/// A tag from the moderator-managed set.
#[Object(name = "ForumTag")]
impl Tag {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Retired tags stay on old threads but cannot be added again.
    async fn retired(&self) -> bool {
        self.0.retired_at.is_some()
    }
    async fn viewer_subscription(&self, ctx: &Context<'_>) -> GqlResult<SubscriptionLevel> {
        subscription_level(ctx, SubscriptionTarget::Tag, self.0.id).await
    }
}

pub struct Thread {
    pub model: thread::Model,
    batch: Option<Arc<ThreadBatch>>,
}

impl Thread {
    pub fn new(model: thread::Model) -> Self {
        Self { model, batch: None }
    }

    /// A page of threads whose relations were loaded set-based.
    pub async fn page(
        ctx: &Context<'_>,
        viewer: &CurrentUser,
        rows: Vec<thread::Model>,
        wants: ThreadWants,
    ) -> GqlResult<Vec<Thread>> {
        let batch = Arc::new(prefetch::threads(ctx, viewer, &rows, wants).await?);
        Ok(rows
            .into_iter()
            .map(|model| Thread {
                model,
                batch: Some(batch.clone()),
            })
            .collect())
    }

    fn batch<T>(&self, pick: impl Fn(&ThreadBatch) -> Option<&T>) -> Option<&T> {
        self.batch.as_deref().and_then(pick)
    }

    /// Deleted threads show as placeholders except to moderators.
    fn content_visible(&self, ctx: &Context<'_>) -> bool {
        self.model.deleted_at.is_none() || viewer(ctx).is_some_and(|v| v.is_moderator())
    }

    async fn user(&self, ctx: &Context<'_>, id: i64) -> GqlResult<Option<User>> {
        match self.batch(|b| b.users.as_ref()) {
            Some(users) => Ok(users.get(&id).cloned().map(User)),
            None => user(ctx, id).await,
        }
    }

    async fn category_model(&self, ctx: &Context<'_>) -> GqlResult<Option<category::Model>> {
        let id = self.model.category_id;
        match self.batch(|b| b.categories.as_ref()) {
            Some(categories) => Ok(categories.get(&id).cloned()),
            None => {
                let app = app(ctx);
                Ok(app.categories.by_id(&app.db, id).await?)
            }
        }
    }

    async fn post(&self, ctx: &Context<'_>, id: i64) -> GqlResult<Option<post::Model>> {
        match self.batch(|b| b.posts.as_ref()) {
            Some(posts) => Ok(posts.get(&id).cloned()),
            None => Ok(load::<PostLoader, _>(ctx, id).await?),
        }
    }

    async fn read_info(&self, ctx: &Context<'_>) -> GqlResult<ReadInfo> {
        if let Some(read) = self.batch(|b| b.read.as_ref()) {
            return Ok(read.get(&self.model.id).copied().unwrap_or_default());
        }
        let Some(v) = viewer(ctx) else {
            return Ok(ReadInfo::default());
        };
        Ok(load::<ReadInfoLoader, _>(
            ctx,
            ViewerKey {
                user_id: v.id,
                id: self.model.id,
            },
        )
        .await?
        .unwrap_or_default())
    }
}

/// A forum thread: a title, an opening post and its replies.
#[Object]
impl Thread {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Plain text, never HTML: clients must escape it. A deleted thread's
    /// title reads "[deleted]" except to moderators.
    async fn title(&self, ctx: &Context<'_>) -> String {
        if self.content_visible(ctx) {
            self.model.title.clone()
        } else {
            DELETED_PLACEHOLDER.to_string()
        }
    }
    /// Frontend path.
    async fn link(&self) -> String {
        format!("/t/{}", self.model.id)
    }
    async fn category(&self, ctx: &Context<'_>) -> GqlResult<Option<Category>> {
        Ok(self.category_model(ctx).await?.map(Category))
    }
    #[graphql(
        complexity = "crate::request::cost::listed(crate::forum::MAX_TAGS, child_complexity)"
    )]
    async fn tags(&self, ctx: &Context<'_>) -> GqlResult<Vec<Tag>> {
        let tags = match self.batch(|b| b.tags.as_ref()) {
            Some(tags) => tags.get(&self.model.id).cloned(),
            None => load::<ThreadTagsLoader, _>(ctx, self.model.id).await?,
        };
        Ok(tags.unwrap_or_default().into_iter().map(Tag).collect())
    }
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        self.user(ctx, self.model.author_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// When the title, category, tags or opening post last changed.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.model.edited_at
    }
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.model.last_activity_at
    }
    /// The author of the latest visible post.
    async fn last_poster(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        match self.model.last_poster_id {
            Some(id) => self.user(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Visible replies (the opening post is not counted).
    async fn reply_count(&self) -> i32 {
        self.model.reply_count
    }
    async fn view_count(&self) -> i64 {
        self.model.view_count
    }
    /// Likes on all of the thread's visible posts.
    async fn like_count(&self) -> i32 {
        self.model.like_count
    }
    async fn pinned(&self) -> bool {
        self.model.pinned
    }
    async fn locked(&self) -> bool {
        self.model.locked
    }
    async fn solved(&self) -> bool {
        self.model.solved_post_id.is_some()
    }
    async fn accepted_answer(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let (Some(id), Some(v)) = (self.model.solved_post_id, viewer(ctx)) else {
            return Ok(None);
        };
        Ok(self
            .post(ctx, id)
            .await?
            .filter(|p| service::can_see_post(v, p))
            .map(Post::new))
    }
    async fn moderation_state(&self) -> ModerationState {
        ModerationState::parse(&self.model.moderation_state)
    }
    /// For the author and moderators of a held or hidden thread: why, and
    /// how to fix it. Null otherwise.
    async fn moderation_notice(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<crate::moderation::graphql::ModerationNotice>> {
        crate::moderation::graphql::notice_for_thread(ctx, self.model.first_post_id).await
    }
    async fn deleted(&self) -> bool {
        self.model.deleted_at.is_some()
    }
    async fn first_post(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let Some(id) = self.model.first_post_id else {
            return Ok(None);
        };
        Ok(self.post(ctx, id).await?.map(Post::new))
    }
    /// A plain-text excerpt of the opening post (escape it).
    async fn excerpt(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let (Some(id), Some(v)) = (self.model.first_post_id, viewer(ctx)) else {
            return Ok(String::new());
        };
        let opening = match self.batch(|b| b.excerpts.as_ref()) {
            Some(excerpts) => excerpts.get(&id).cloned(),
            None => load::<OpeningPostLoader, _>(ctx, id).await?,
        };
        Ok(opening
            .filter(|p| service::can_read_body(v, p.author_id, &p.moderation_state, p.deleted))
            .map(|p| p.excerpt())
            .unwrap_or_default())
    }
    /// Visible posts after the viewer's last-read one (all of them when the
    /// viewer never opened the thread).
    async fn unread_count(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        Ok(self.read_info(ctx).await?.unread)
    }
    /// The viewer's last-read post number; null when never opened ("new").
    async fn last_read_post_number(&self, ctx: &Context<'_>) -> GqlResult<Option<i32>> {
        Ok(self.read_info(ctx).await?.last_read)
    }
    /// Where to jump: the first visible post the viewer has not read.
    async fn first_unread_post_number(&self, ctx: &Context<'_>) -> GqlResult<Option<i32>> {
        Ok(self.read_info(ctx).await?.first_unread)
    }
    async fn viewer_subscription(&self, ctx: &Context<'_>) -> GqlResult<SubscriptionLevel> {
        if let Some(levels) = self.batch(|b| b.subscriptions.as_ref()) {
            return Ok(levels
                .get(&self.model.id)
                .map_or(SubscriptionLevel::Normal, |l| SubscriptionLevel::parse(l)));
        }
        subscription_level(ctx, SubscriptionTarget::Thread, self.model.id).await
    }
    /// Whether the viewer may reply now (verified, allowed in the category,
    /// thread not deleted, unlocked unless a moderator).
    async fn can_reply(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        let Some(category) = self.category_model(ctx).await? else {
            return Ok(false);
        };
        Ok(service::can_reply(
            v,
            app(ctx).clock.now(),
            &self.model,
            &category,
        ))
    }
    /// Whether the viewer may change the title, category and tags.
    async fn can_edit(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx).is_some_and(|v| {
            self.model.deleted_at.is_none() && (v.id == self.model.author_id || v.is_moderator())
        })
    }
    /// The thread's posts in order, the opening post first. Page forward
    /// with `first`/`after`, backward with `last`/`before`, or start at a
    /// post number with `fromNumber` (e.g. `firstUnreadPostNumber`). At most
    /// 50 a page.
    #[graphql(
        complexity = "crate::request::cost::paged(first.or(last), crate::forum::DEFAULT_PAGE, crate::forum::MAX_PAGE, child_complexity)"
    )]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        from_number: Option<i32>,
    ) -> GqlResult<Connection<String, Post, EmptyFields, EmptyFields>> {
        let v = require_user(ctx)?;
        let t = &self.model;
        let wants = PostWants::of(&ctx.look_ahead().field("edges").field("node"));
        query(
            after,
            before,
            first,
            last,
            |after: Option<String>, before: Option<String>, first, last| async move {
                let after = after.map(|c| cursor::decode_number("p", &c)).transpose()?;
                let before = before.map(|c| cursor::decode_number("p", &c)).transpose()?;
                let backward = last.is_some() && first.is_none();
                let limit = if backward { last } else { first }
                    .unwrap_or(DEFAULT_PAGE)
                    .clamp(1, MAX_PAGE);
                let page = PostPage {
                    after: after.map(|n| n as i32),
                    before: before.map(|n| n as i32),
                    from_number,
                    limit: limit as u64,
                    backward,
                };
                let (rows, has_previous, has_next) = lists::posts(app(ctx), v, t, &page).await?;
                let cursors: Vec<String> = rows
                    .iter()
                    .map(|p| cursor::encode_number("p", i64::from(p.number)))
                    .collect();
                let page = Post::page(ctx, v, rows, wants, &[t]).await?;
                let mut connection = Connection::new(has_previous, has_next);
                connection
                    .edges
                    .extend(cursors.into_iter().zip(page).map(|(c, p)| Edge::new(c, p)));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

pub struct Post {
    pub model: post::Model,
    batch: Option<Arc<PostBatch>>,
}

impl Post {
    pub fn new(model: post::Model) -> Self {
        Self { model, batch: None }
    }

    /// A page of posts whose relations were loaded set-based; `known`
    /// threads are not loaded again.
    pub async fn page(
        ctx: &Context<'_>,
        viewer: &CurrentUser,
        rows: Vec<post::Model>,
        wants: PostWants,
        known: &[&thread::Model],
    ) -> GqlResult<Vec<Post>> {
        let batch = Arc::new(prefetch::posts(ctx, viewer, &rows, wants, known).await?);
        Ok(rows
            .into_iter()
            .map(|model| Post {
                model,
                batch: Some(batch.clone()),
            })
            .collect())
    }

    fn batch<T>(&self, pick: impl Fn(&PostBatch) -> Option<&T>) -> Option<&T> {
        self.batch.as_deref().and_then(pick)
    }

    fn body_visible(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx).is_some_and(|v| service::can_read_post_body(v, &self.model))
    }

    fn viewer_key(&self, v: &CurrentUser) -> ViewerKey {
        ViewerKey {
            user_id: v.id,
            id: self.model.id,
        }
    }

    async fn thread_model(&self, ctx: &Context<'_>) -> GqlResult<Option<thread::Model>> {
        match self.batch(|b| b.threads.as_ref()) {
            Some(threads) => Ok(threads.get(&self.model.thread_id).cloned()),
            None => Ok(load::<ThreadLoader, _>(ctx, self.model.thread_id).await?),
        }
    }
}

/// A post: a thread's opening post (number 1) or a reply.
#[Object]
impl Post {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Position in the thread, from 1.
    async fn number(&self) -> i32 {
        self.model.number
    }
    /// Frontend path.
    async fn link(&self) -> String {
        service::post_link(self.model.thread_id, &self.model)
    }
    async fn thread(&self, ctx: &Context<'_>) -> GqlResult<Option<Thread>> {
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(self
            .thread_model(ctx)
            .await?
            .filter(|t| service::can_see_thread(v, t))
            .map(Thread::new))
    }
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        match self.batch(|b| b.users.as_ref()) {
            Some(users) => Ok(users.get(&self.model.author_id).cloned().map(User)),
            None => user(ctx, self.model.author_id).await,
        }
    }
    /// The markdown source; null when deleted (except to moderators).
    async fn body(&self, ctx: &Context<'_>) -> Option<String> {
        self.body_visible(ctx).then(|| self.model.body.clone())
    }
    /// Sanitized HTML rendered from the source when it was written; null
    /// when deleted (except to moderators).
    async fn body_html(&self, ctx: &Context<'_>) -> Option<String> {
        self.body_visible(ctx)
            .then(|| crate::request::html_for_readers(ctx, &self.model.body_html))
    }
    /// The post this one replies to, if the viewer can see it.
    async fn reply_to(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let (Some(id), Some(v)) = (self.model.reply_to_post_id, viewer(ctx)) else {
            return Ok(None);
        };
        let parent = match self.batch(|b| b.posts.as_ref()) {
            Some(posts) => posts.get(&id).cloned(),
            None => load::<PostLoader, _>(ctx, id).await?,
        };
        Ok(parent
            .filter(|p| service::can_see_post(v, p))
            .map(Post::new))
    }
    /// Plain text quoted from the post replied to (escape it).
    async fn quote(&self, ctx: &Context<'_>) -> Option<String> {
        if self.body_visible(ctx) {
            self.model.quote_text.clone()
        } else {
            None
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.model.edited_at
    }
    async fn revision_count(&self) -> i32 {
        self.model.revision_count
    }
    /// Earlier versions, oldest first: readable by anyone who can read the
    /// post, except withheld ones (text that was held, hidden, or written
    /// while the post was held), which only its author and moderators see.
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn revisions(&self, ctx: &Context<'_>) -> GqlResult<Vec<PostRevision>> {
        let Some(v) = viewer(ctx).filter(|_| self.body_visible(ctx)) else {
            return Ok(Vec::new());
        };
        let revisions = match self.batch(|b| b.revisions.as_ref()) {
            Some(all) => all.get(&self.model.id).cloned(),
            None => load::<RevisionsLoader, _>(ctx, self.model.id).await?,
        };
        Ok(revisions
            .unwrap_or_default()
            .into_iter()
            .filter(|r| service::can_read_revision(v, &self.model, r))
            .map(PostRevision)
            .collect())
    }
    async fn like_count(&self) -> i32 {
        self.model.like_count
    }
    async fn liked_by_viewer(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        if let Some(liked) = self.batch(|b| b.liked.as_ref()) {
            return Ok(liked.contains(&self.model.id));
        }
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        Ok(load::<LikedLoader, _>(ctx, self.viewer_key(v))
            .await?
            .unwrap_or(false))
    }
    async fn bookmarked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        if let Some(marked) = self.batch(|b| b.bookmarked.as_ref()) {
            return Ok(marked.contains(&self.model.id));
        }
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        Ok(load::<BookmarkedLoader, _>(ctx, self.viewer_key(v))
            .await?
            .unwrap_or(false))
    }
    async fn is_accepted_answer(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self
            .thread_model(ctx)
            .await?
            .is_some_and(|t| t.solved_post_id == Some(self.model.id)))
    }
    async fn deleted(&self) -> bool {
        self.model.deleted_at.is_some()
    }
    async fn moderation_state(&self) -> ModerationState {
        ModerationState::parse(&self.model.moderation_state)
    }
    /// For the author and moderators of a held or hidden post: why, and how
    /// to fix it. Null otherwise.
    async fn moderation_notice(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<crate::moderation::graphql::ModerationNotice>> {
        crate::moderation::graphql::notice_for(ctx, &self.model).await
    }
    /// Whether the viewer may edit or delete this post.
    async fn can_edit(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx).is_some_and(|v| {
            self.model.deleted_at.is_none() && service::can_change_post(v, &self.model)
        })
    }
}

pub struct PostRevision(pub revision::Model);

/// What a post was before one edit.
#[Object]
impl PostRevision {
    /// 1 for the first edit.
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn editor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.editor_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The markdown source before the edit.
    async fn previous_body(&self) -> &str {
        &self.0.previous_body
    }
    /// The thread title before the edit, when the edit changed it.
    async fn previous_title(&self) -> Option<&str> {
        self.0.previous_title.as_deref()
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The text was not public when it was replaced (held, hidden, or
    /// written while the post was held): only the author and moderators
    /// see this revision.
    async fn withheld(&self) -> bool {
        self.0.withheld
    }
    /// A moderator emptied this revision's text.
    async fn redacted(&self) -> bool {
        self.0.redacted_at.is_some()
    }
}

pub struct Draft(pub draft::Model);

/// A reply or thread in progress, saved server-side.
#[Object(name = "ForumDraft")]
impl Draft {
    /// `new_thread`, `reply:<thread id>` or `edit:<post id>`.
    async fn key(&self) -> &str {
        &self.0.draft_key
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// The client's JSON object (category, tags, reply-to, quote).
    async fn payload(&self) -> &str {
        &self.0.payload
    }
    /// Send it back when saving to detect saves from another tab.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Bookmark {
    pub model: bookmark::Model,
    /// The post, when the viewer can still see it.
    post: Option<Post>,
}

impl Bookmark {
    /// A page of bookmarks with their posts (and the posts' relations)
    /// loaded set-based.
    pub async fn page(
        ctx: &Context<'_>,
        viewer: &CurrentUser,
        rows: Vec<bookmark::Model>,
        wants: PostWants,
    ) -> GqlResult<Vec<Bookmark>> {
        let posts =
            prefetch::load_many::<PostLoader, _>(ctx, rows.iter().map(|b| b.post_id)).await?;
        // A bookmark opens a post only while both the post and its thread
        // are visible to the reader, as `post(id)` decides.
        let threads =
            prefetch::load_many::<ThreadLoader, _>(ctx, posts.values().map(|p| p.thread_id))
                .await?;
        let visible: Vec<post::Model> = rows
            .iter()
            .filter_map(|b| posts.get(&b.post_id))
            .filter(|p| service::can_see_post(viewer, p))
            .filter(|p| {
                threads
                    .get(&p.thread_id)
                    .is_some_and(|t| service::can_see_thread(viewer, t))
            })
            .cloned()
            .collect();
        let mut page: HashMap<i64, Post> = Post::page(ctx, viewer, visible, wants, &[])
            .await?
            .into_iter()
            .map(|p| (p.model.id, p))
            .collect();
        Ok(rows
            .into_iter()
            .map(|model| Bookmark {
                post: page.remove(&model.post_id),
                model,
            })
            .collect())
    }
}

#[Object(name = "ForumBookmark")]
impl Bookmark {
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// Null when the post is no longer visible to the viewer.
    async fn post(&self) -> Option<&Post> {
        self.post.as_ref()
    }
}

pub struct Subscription(pub subscription::Model);

/// The viewer's level on a thread, category or tag.
#[Object(name = "ForumSubscription")]
impl Subscription {
    async fn target(&self) -> GqlResult<SubscriptionTarget> {
        Ok(SubscriptionTarget::parse(&self.0.target_type)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("bad subscription target")))?)
    }
    async fn target_id(&self) -> ID {
        ID(self.0.target_id.to_string())
    }
    async fn level(&self) -> SubscriptionLevel {
        SubscriptionLevel::parse(&self.0.level)
    }
    /// manual, created (started the thread) or replied.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn thread(&self, ctx: &Context<'_>) -> GqlResult<Option<Thread>> {
        if self.0.target_type != "thread" {
            return Ok(None);
        }
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(load::<ThreadLoader, _>(ctx, self.0.target_id)
            .await?
            .filter(|t| service::can_see_thread(v, t))
            .map(Thread::new))
    }
    async fn category(&self, ctx: &Context<'_>) -> GqlResult<Option<Category>> {
        if self.0.target_type != "category" {
            return Ok(None);
        }
        let app = app(ctx);
        Ok(app
            .categories
            .by_id(&app.db, self.0.target_id)
            .await?
            .map(Category))
    }
}
