//! The forum's GraphQL object types. Relations resolve through the
//! DataLoaders; visibility rules come from `service`.

use async_graphql::{
    Context, ID, Object,
    connection::{Connection, Edge, EmptyFields, query},
};
use chrono::{DateTime, Utc};

use super::{
    DEFAULT_PAGE, MAX_PAGE, ModerationState, SubscriptionLevel, SubscriptionTarget, cursor,
    lists::{self, PostPage},
    loaders::{
        BookmarkedLoader, CategoryLoader, LikedLoader, PostLoader, ReadInfo, ReadInfoLoader,
        SubscriptionKey, SubscriptionLoader, ThreadLoader, ThreadTagsLoader, ViewerKey, load,
    },
    posts, service,
};
use crate::{
    auth::{CurrentUser, Role, graphql::User, loaders::UserLoader},
    entities::{
        forum_bookmark as bookmark, forum_category as category, forum_draft as draft,
        forum_post as post, forum_post_revision as revision, forum_subscription as subscription,
        forum_tag as tag, forum_thread as thread,
    },
    error::AppError,
    graphql::{GqlResult, app, require_user, viewer},
    markdown,
};

/// Shown instead of the title and body of deleted content.
pub const DELETED_PLACEHOLDER: &str = "[deleted]";

async fn user(ctx: &Context<'_>, id: i64) -> GqlResult<Option<User>> {
    Ok(load::<UserLoader, _>(ctx, id).await?.map(User))
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

pub struct Thread(pub thread::Model);

impl Thread {
    /// Deleted threads show as placeholders except to moderators.
    fn content_visible(&self, ctx: &Context<'_>) -> bool {
        self.0.deleted_at.is_none() || viewer(ctx).is_some_and(|v| v.is_moderator())
    }

    async fn read_info(&self, ctx: &Context<'_>) -> GqlResult<ReadInfo> {
        let Some(v) = viewer(ctx) else {
            return Ok(ReadInfo::default());
        };
        Ok(load::<ReadInfoLoader, _>(
            ctx,
            ViewerKey {
                user_id: v.id,
                id: self.0.id,
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
        ID(self.0.id.to_string())
    }
    /// Plain text, never HTML: clients must escape it. A deleted thread's
    /// title reads "[deleted]" except to moderators.
    async fn title(&self, ctx: &Context<'_>) -> String {
        if self.content_visible(ctx) {
            self.0.title.clone()
        } else {
            DELETED_PLACEHOLDER.to_string()
        }
    }
    /// Frontend path.
    async fn link(&self) -> String {
        format!("/t/{}", self.0.id)
    }
    async fn category(&self, ctx: &Context<'_>) -> GqlResult<Option<Category>> {
        Ok(load::<CategoryLoader, _>(ctx, self.0.category_id)
            .await?
            .map(Category))
    }
    async fn tags(&self, ctx: &Context<'_>) -> GqlResult<Vec<Tag>> {
        Ok(load::<ThreadTagsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Tag)
            .collect())
    }
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.author_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the title, category, tags or opening post last changed.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at
    }
    /// The author of the latest visible post.
    async fn last_poster(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        match self.0.last_poster_id {
            Some(id) => user(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Visible replies (the opening post is not counted).
    async fn reply_count(&self) -> i32 {
        self.0.reply_count
    }
    async fn view_count(&self) -> i64 {
        self.0.view_count
    }
    /// Likes on all of the thread's visible posts.
    async fn like_count(&self) -> i32 {
        self.0.like_count
    }
    async fn pinned(&self) -> bool {
        self.0.pinned
    }
    async fn locked(&self) -> bool {
        self.0.locked
    }
    async fn solved(&self) -> bool {
        self.0.solved_post_id.is_some()
    }
    async fn accepted_answer(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let (Some(id), Some(v)) = (self.0.solved_post_id, viewer(ctx)) else {
            return Ok(None);
        };
        Ok(load::<PostLoader, _>(ctx, id)
            .await?
            .filter(|p| service::can_see_post(v, p))
            .map(Post))
    }
    async fn moderation_state(&self) -> ModerationState {
        ModerationState::parse(&self.0.moderation_state)
    }
    async fn deleted(&self) -> bool {
        self.0.deleted_at.is_some()
    }
    async fn first_post(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let Some(id) = self.0.first_post_id else {
            return Ok(None);
        };
        Ok(load::<PostLoader, _>(ctx, id).await?.map(Post))
    }
    /// A plain-text excerpt of the opening post (escape it).
    async fn excerpt(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let (Some(id), Some(v)) = (self.0.first_post_id, viewer(ctx)) else {
            return Ok(String::new());
        };
        Ok(load::<PostLoader, _>(ctx, id)
            .await?
            .filter(|p| service::can_read_post_body(v, p))
            .map(|p| markdown::excerpt(&p.body, 280))
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
        subscription_level(ctx, SubscriptionTarget::Thread, self.0.id).await
    }
    /// Whether the viewer may reply now (verified, allowed in the category,
    /// thread not deleted, unlocked unless a moderator).
    async fn can_reply(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        let Some(category) = load::<CategoryLoader, _>(ctx, self.0.category_id).await? else {
            return Ok(false);
        };
        Ok(service::can_reply(
            v,
            app(ctx).clock.now(),
            &self.0,
            &category,
        ))
    }
    /// Whether the viewer may change the title, category and tags.
    async fn can_edit(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx).is_some_and(|v| {
            self.0.deleted_at.is_none() && (v.id == self.0.author_id || v.is_moderator())
        })
    }
    /// The thread's posts in order, the opening post first. Page forward
    /// with `first`/`after`, backward with `last`/`before`, or start at a
    /// post number with `fromNumber` (e.g. `firstUnreadPostNumber`).
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
        let t = &self.0;
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
                let mut connection = Connection::new(has_previous, has_next);
                connection.edges.extend(
                    rows.into_iter().map(|p| {
                        Edge::new(cursor::encode_number("p", i64::from(p.number)), Post(p))
                    }),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

pub struct Post(pub post::Model);

impl Post {
    fn body_visible(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx).is_some_and(|v| service::can_read_post_body(v, &self.0))
    }

    fn viewer_key(&self, v: &CurrentUser) -> ViewerKey {
        ViewerKey {
            user_id: v.id,
            id: self.0.id,
        }
    }
}

/// A post: a thread's opening post (number 1) or a reply.
#[Object]
impl Post {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Position in the thread, from 1.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// Frontend path.
    async fn link(&self) -> String {
        service::post_link(self.0.thread_id, &self.0)
    }
    async fn thread(&self, ctx: &Context<'_>) -> GqlResult<Option<Thread>> {
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(load::<ThreadLoader, _>(ctx, self.0.thread_id)
            .await?
            .filter(|t| service::can_see_thread(v, t))
            .map(Thread))
    }
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.author_id).await
    }
    /// The markdown source; null when deleted (except to moderators).
    async fn body(&self, ctx: &Context<'_>) -> Option<String> {
        self.body_visible(ctx).then(|| self.0.body.clone())
    }
    /// Sanitized HTML rendered from the source when it was written; null
    /// when deleted (except to moderators).
    async fn body_html(&self, ctx: &Context<'_>) -> Option<String> {
        self.body_visible(ctx).then(|| self.0.body_html.clone())
    }
    /// The post this one replies to, if the viewer can see it.
    async fn reply_to(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let (Some(id), Some(v)) = (self.0.reply_to_post_id, viewer(ctx)) else {
            return Ok(None);
        };
        Ok(load::<PostLoader, _>(ctx, id)
            .await?
            .filter(|p| service::can_see_post(v, p))
            .map(Post))
    }
    /// Plain text quoted from the post replied to (escape it).
    async fn quote(&self, ctx: &Context<'_>) -> Option<String> {
        if self.body_visible(ctx) {
            self.0.quote_text.clone()
        } else {
            None
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    async fn revision_count(&self) -> i32 {
        self.0.revision_count
    }
    /// Earlier versions, oldest first: readable by anyone who can read the
    /// post.
    async fn revisions(&self, ctx: &Context<'_>) -> GqlResult<Vec<PostRevision>> {
        let v = require_user(ctx)?;
        Ok(posts::revisions(app(ctx), v, &self.0)
            .await?
            .into_iter()
            .map(PostRevision)
            .collect())
    }
    async fn like_count(&self) -> i32 {
        self.0.like_count
    }
    async fn liked_by_viewer(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        Ok(load::<LikedLoader, _>(ctx, self.viewer_key(v))
            .await?
            .unwrap_or(false))
    }
    async fn bookmarked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        Ok(load::<BookmarkedLoader, _>(ctx, self.viewer_key(v))
            .await?
            .unwrap_or(false))
    }
    async fn is_accepted_answer(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(load::<ThreadLoader, _>(ctx, self.0.thread_id)
            .await?
            .is_some_and(|t| t.solved_post_id == Some(self.0.id)))
    }
    async fn deleted(&self) -> bool {
        self.0.deleted_at.is_some()
    }
    async fn moderation_state(&self) -> ModerationState {
        ModerationState::parse(&self.0.moderation_state)
    }
    /// Whether the viewer may edit or delete this post.
    async fn can_edit(&self, ctx: &Context<'_>) -> bool {
        viewer(ctx)
            .is_some_and(|v| self.0.deleted_at.is_none() && service::can_change_post(v, &self.0))
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

pub struct Bookmark(pub bookmark::Model);

#[Object(name = "ForumBookmark")]
impl Bookmark {
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Null when the post is no longer visible to the viewer.
    async fn post(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(load::<PostLoader, _>(ctx, self.0.post_id)
            .await?
            .filter(|p| service::can_see_post(v, p))
            .map(Post))
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
            .map(Thread))
    }
    async fn category(&self, ctx: &Context<'_>) -> GqlResult<Option<Category>> {
        if self.0.target_type != "category" {
            return Ok(None);
        }
        Ok(load::<CategoryLoader, _>(ctx, self.0.target_id)
            .await?
            .map(Category))
    }
}
