//! GraphQL for the forum: thin resolvers that parse input and call the
//! service. Reading needs a signed-in user; writing a verified one.

use async_graphql::{
    Context, ID, InputObject, Object,
    connection::{Connection, Edge, EmptyFields, query},
};

use super::{
    DEFAULT_PAGE, MAX_PAGE, SubscriptionLevel, SubscriptionTarget, ThreadList, TopPeriod,
    categories::{self, CategoryInput},
    cursor::{self, ThreadCursor},
    lists::{self, ThreadQuery},
    objects::{Bookmark, Category, Draft, Post, Subscription, Tag, Thread},
    posts::{self, NewReply},
    prefetch::{PostWants, ThreadWants},
    reading::{self, DraftInput},
    service,
    threads::{self, NewThread, ThreadChange},
};
use crate::{
    identity::{Role, Roles},
    request::{GqlResult, app, page, require_user},
    validate,
};

fn ids(field: &str, values: &[ID]) -> GqlResult<Vec<i64>> {
    Ok(values
        .iter()
        .map(|v| validate::id(field, v))
        .collect::<Result<Vec<_>, _>>()?)
}

#[derive(InputObject)]
pub struct CreateCategoryInput {
    pub name: String,
    /// Derived from the name when omitted.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Roles any of which may post; empty or omitted: every verified member.
    pub required_roles: Option<Vec<Role>>,
}

#[derive(InputObject)]
pub struct UpdateCategoryInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub required_roles: Option<Vec<Role>>,
}

#[derive(InputObject)]
pub struct CreateThreadInput {
    pub category_id: ID,
    /// Plain text, 5 to 200 characters.
    pub title: String,
    /// Markdown, 1 to 32,000 characters.
    pub body: String,
    /// Up to five names from the forum's tag set.
    #[graphql(default)]
    pub tags: Vec<String>,
}

#[derive(InputObject)]
pub struct UpdateThreadInput {
    pub thread_id: ID,
    pub title: Option<String>,
    pub category_id: Option<ID>,
    /// Replaces the thread's tags.
    pub tags: Option<Vec<String>>,
    /// Shown with the revision.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct CreatePostInput {
    pub thread_id: ID,
    /// Markdown, 1 to 32,000 characters.
    pub body: String,
    /// The post this one answers, in the same thread.
    pub reply_to_post_id: Option<ID>,
    /// Text quoted from `replyToPostId` (up to 2,000 characters).
    pub quote: Option<String>,
}

#[derive(InputObject)]
pub struct EditPostInput {
    pub post_id: ID,
    pub body: String,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct SaveDraftInput {
    /// `new_thread`, `reply:<thread id>` or `edit:<post id>`.
    pub key: String,
    pub title: Option<String>,
    pub body: String,
    /// A JSON object for the client's own use (category, tags, reply-to).
    pub payload: Option<String>,
    /// The version last read; a newer stored version is a CONFLICT.
    pub version: Option<i32>,
}

#[derive(Default)]
pub struct ForumQuery;

#[Object]
impl ForumQuery {
    /// Every category, in order.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn forum_categories(&self, ctx: &Context<'_>) -> GqlResult<Vec<Category>> {
        require_user(ctx)?;
        let app = app(ctx);
        Ok(app
            .categories
            .all(&app.db)
            .await?
            .iter()
            .cloned()
            .map(Category)
            .collect())
    }

    /// A category by id or slug.
    async fn forum_category(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> GqlResult<Option<Category>> {
        require_user(ctx)?;
        let app = app(ctx);
        let found = match (id, slug) {
            (Some(id), _) => {
                app.categories
                    .by_id(&app.db, validate::id("id", &id)?)
                    .await?
            }
            (None, Some(slug)) => app.categories.by_slug(&app.db, &slug).await?,
            (None, None) => {
                return Err(
                    crate::error::AppError::validation("id", "give an id or a slug").into(),
                );
            }
        };
        Ok(found.map(Category))
    }

    /// The tag set, by name.
    #[graphql(complexity = "crate::request::cost::listed(100, child_complexity)")]
    async fn forum_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_retired: bool,
    ) -> GqlResult<Vec<Tag>> {
        require_user(ctx)?;
        Ok(categories::list_tags(&app(ctx).db, include_retired)
            .await?
            .into_iter()
            .map(Tag)
            .collect())
    }

    /// Threads: latest (pinned first within a category), top over a period,
    /// or unread; everywhere, in one category (`categoryId` or
    /// `categorySlug`) or with one tag. At most 50 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::request::cost::paged(first, crate::forum::DEFAULT_PAGE, crate::forum::MAX_PAGE, child_complexity)"
    )]
    async fn threads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "LATEST when omitted.")] list: Option<ThreadList>,
        #[graphql(desc = "MONTH when omitted (TOP only).")] period: Option<TopPeriod>,
        category_id: Option<ID>,
        category_slug: Option<String>,
        tag: Option<String>,
        solved: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, Thread, EmptyFields, EmptyFields>> {
        let v = require_user(ctx)?;
        let wants = ThreadWants::of(&ctx.look_ahead().field("edges").field("node"));
        let list = list.unwrap_or_default();
        let period = period.unwrap_or_default();
        let category_id = category_id
            .map(|id| validate::id("categoryId", &id))
            .transpose()?;
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, DEFAULT_PAGE, MAX_PAGE);
                let q = ThreadQuery {
                    list,
                    period,
                    category_id,
                    category_slug,
                    tag,
                    solved,
                    after: after.as_deref().map(ThreadCursor::decode).transpose()?,
                    limit: limit as u64,
                };
                let pins = lists::pins_first(&q);
                let (rows, has_next) = lists::threads(app(ctx), v, &q).await?;
                let cursors: Vec<String> = rows
                    .iter()
                    .map(|t| lists::cursor_for(list, pins, t).encode())
                    .collect();
                let page = Thread::page(ctx, v, rows, wants).await?;
                let mut connection = Connection::new(q.after.is_some(), has_next);
                connection
                    .edges
                    .extend(cursors.into_iter().zip(page).map(|(c, t)| Edge::new(c, t)));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// A thread, or null when it does not exist or is not visible.
    async fn thread(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Option<Thread>> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        match service::thread_for(&app(ctx).db, v, id).await {
            Ok(t) => Ok(Some(Thread::new(t))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A post, or null when it does not exist or is not visible.
    async fn post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Option<Post>> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        match service::post_for(&app(ctx).db, v, id).await {
            Ok((p, _)) => Ok(Some(Post::new(p))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The viewer's bookmarks, newest first.
    #[graphql(
        complexity = "crate::request::cost::paged(first, crate::forum::DEFAULT_PAGE, crate::forum::MAX_PAGE, child_complexity)"
    )]
    async fn forum_bookmarks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, Bookmark, EmptyFields, EmptyFields>> {
        let v = require_user(ctx)?;
        let wants = PostWants::of(&ctx.look_ahead().field("edges").field("node").field("post"));
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, DEFAULT_PAGE, MAX_PAGE);
                let position = after
                    .as_deref()
                    .map(|c| cursor::decode_time("b", c))
                    .transpose()?;
                let rows = reading::bookmarks(app(ctx), v, position, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let cursors: Vec<String> = rows
                    .iter()
                    .map(|b| cursor::encode_time("b", b.created_at, b.post_id))
                    .collect();
                let page = Bookmark::page(ctx, v, rows, wants).await?;
                let mut connection = Connection::new(position.is_some(), has_next);
                connection
                    .edges
                    .extend(cursors.into_iter().zip(page).map(|(c, b)| Edge::new(c, b)));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// The viewer's drafts, most recently saved first.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn forum_drafts(&self, ctx: &Context<'_>) -> GqlResult<Vec<Draft>> {
        let v = require_user(ctx)?;
        Ok(reading::drafts(app(ctx), v)
            .await?
            .into_iter()
            .map(Draft)
            .collect())
    }

    async fn forum_draft(&self, ctx: &Context<'_>, key: String) -> GqlResult<Option<Draft>> {
        let v = require_user(ctx)?;
        Ok(reading::draft(app(ctx), v, &key).await?.map(Draft))
    }

    /// What the viewer watches or has muted.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn forum_subscriptions(&self, ctx: &Context<'_>) -> GqlResult<Vec<Subscription>> {
        let v = require_user(ctx)?;
        Ok(reading::subscriptions(app(ctx), v)
            .await?
            .into_iter()
            .map(Subscription)
            .collect())
    }
}

#[derive(Default)]
pub struct ForumMutation;

#[Object]
impl ForumMutation {
    /// Admins: a new category, placed last.
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        input: CreateCategoryInput,
    ) -> GqlResult<Category> {
        let v = require_user(ctx)?;
        let created = categories::create_category(
            app(ctx),
            v,
            CategoryInput {
                name: Some(input.name),
                slug: input.slug,
                description: input.description,
                required_roles: input.required_roles.map(Roles::new),
            },
        )
        .await?;
        Ok(Category(created))
    }

    /// Admins: change a category.
    async fn update_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCategoryInput,
    ) -> GqlResult<Category> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let updated = categories::update_category(
            app(ctx),
            v,
            id,
            CategoryInput {
                name: input.name,
                slug: input.slug,
                description: input.description,
                required_roles: input.required_roles.map(Roles::new),
            },
        )
        .await?;
        Ok(Category(updated))
    }

    /// Admins: every category's id, in the new order.
    async fn reorder_categories(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> GqlResult<Vec<Category>> {
        let v = require_user(ctx)?;
        let ids = self::ids("ids", &ids)?;
        Ok(categories::reorder_categories(app(ctx), v, &ids)
            .await?
            .into_iter()
            .map(Category)
            .collect())
    }

    /// Moderators: add a tag to the set.
    async fn create_tag(
        &self,
        ctx: &Context<'_>,
        name: String,
        description: Option<String>,
    ) -> GqlResult<Tag> {
        let v = require_user(ctx)?;
        Ok(Tag(categories::create_tag(
            app(ctx),
            v,
            &name,
            description.as_deref(),
        )
        .await?))
    }

    /// Moderators: retire a tag (or bring it back with `retired: false`).
    async fn retire_tag(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] retired: bool,
    ) -> GqlResult<Tag> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Tag(categories::retire_tag(app(ctx), v, id, retired).await?))
    }

    /// Starts a thread. Rate limited per user.
    async fn create_thread(
        &self,
        ctx: &Context<'_>,
        input: CreateThreadInput,
    ) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let (t, _) = threads::create_thread(
            app(ctx),
            v,
            NewThread {
                category_id: validate::id("categoryId", &input.category_id)?,
                title: input.title,
                body: input.body,
                tags: input.tags,
            },
        )
        .await?;
        Ok(Thread::new(t))
    }

    /// The author or a moderator: change the title, category or tags.
    async fn update_thread(
        &self,
        ctx: &Context<'_>,
        input: UpdateThreadInput,
    ) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let thread_id = validate::id("threadId", &input.thread_id)?;
        let category_id = input
            .category_id
            .map(|id| validate::id("categoryId", &id))
            .transpose()?;
        let t = threads::update_thread(
            app(ctx),
            v,
            thread_id,
            ThreadChange {
                title: input.title,
                category_id,
                tags: input.tags,
                reason: input.reason,
            },
        )
        .await?;
        Ok(Thread::new(t))
    }

    /// The author or a moderator: delete a thread (soft; moderators can
    /// still read it).
    async fn delete_thread(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Thread::new(threads::delete_thread(app(ctx), v, id).await?))
    }

    /// Replies in a thread, optionally to a post and quoting it. Rate
    /// limited per user.
    async fn create_post(&self, ctx: &Context<'_>, input: CreatePostInput) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let (_, p) = posts::create_reply(
            app(ctx),
            v,
            NewReply {
                thread_id: validate::id("threadId", &input.thread_id)?,
                body: input.body,
                reply_to_post_id: input
                    .reply_to_post_id
                    .map(|id| validate::id("replyToPostId", &id))
                    .transpose()?,
                quote: input.quote,
            },
        )
        .await?;
        Ok(Post::new(p))
    }

    /// The author or a moderator: change a post's body. The previous source
    /// is kept as a revision.
    async fn edit_post(&self, ctx: &Context<'_>, input: EditPostInput) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("postId", &input.post_id)?;
        Ok(Post::new(
            posts::edit_post(app(ctx), v, id, &input.body, input.reason.as_deref()).await?,
        ))
    }

    /// The author or a moderator: soft-delete a post. Deleting the opening
    /// post deletes the thread.
    async fn delete_post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Post::new(posts::delete_post(app(ctx), v, id).await?))
    }

    /// Moderators, or the author of a post they deleted: undo a delete.
    async fn restore_post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Post::new(posts::restore_post(app(ctx), v, id).await?))
    }

    /// Likes a post (once; again changes nothing).
    async fn like_post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Post::new(posts::like_post(app(ctx), v, id).await?))
    }

    async fn unlike_post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Post::new(posts::unlike_post(app(ctx), v, id).await?))
    }

    /// The thread's author or a moderator: mark a reply as the answer.
    async fn accept_answer(&self, ctx: &Context<'_>, post_id: ID) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let id = validate::id("postId", &post_id)?;
        Ok(Thread::new(threads::accept_answer(app(ctx), v, id).await?))
    }

    async fn unaccept_answer(&self, ctx: &Context<'_>, thread_id: ID) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let id = validate::id("threadId", &thread_id)?;
        Ok(Thread::new(
            threads::unaccept_answer(app(ctx), v, id).await?,
        ))
    }

    /// Watch, mute or return to normal on a thread, category or tag.
    async fn set_forum_subscription(
        &self,
        ctx: &Context<'_>,
        target: SubscriptionTarget,
        id: ID,
        level: SubscriptionLevel,
    ) -> GqlResult<Subscription> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Subscription(
            reading::set_subscription(app(ctx), v, target, id, level).await?,
        ))
    }

    /// Records reading up to `postNumber` (the whole thread when omitted).
    async fn mark_thread_read(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
        post_number: Option<i32>,
    ) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let id = validate::id("threadId", &thread_id)?;
        Ok(Thread::new(
            reading::mark_read(app(ctx), v, id, post_number).await?,
        ))
    }

    async fn bookmark_post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Post::new(reading::bookmark(app(ctx), v, id, true).await?))
    }

    async fn remove_bookmark(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Post::new(reading::bookmark(app(ctx), v, id, false).await?))
    }

    /// Saves a draft server-side (autosave). Posting the thread, reply or
    /// edit deletes its draft.
    async fn save_forum_draft(&self, ctx: &Context<'_>, input: SaveDraftInput) -> GqlResult<Draft> {
        let v = require_user(ctx)?;
        Ok(Draft(
            reading::save_draft(
                app(ctx),
                v,
                DraftInput {
                    key: input.key,
                    title: input.title,
                    body: input.body,
                    payload: input.payload,
                    version: input.version,
                },
            )
            .await?,
        ))
    }

    async fn delete_forum_draft(&self, ctx: &Context<'_>, key: String) -> GqlResult<bool> {
        let v = require_user(ctx)?;
        Ok(reading::delete_draft(app(ctx), v, &key).await?)
    }
}
