//! Posts: the one path every new post takes ([`submit`]), replies, edits
//! with revisions, soft deletes and restores, likes, and the moderation
//! state hook.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::{
    ModerationState, QUOTE_MAX,
    service::{self, PreparedBody, Published, ScreenRequest},
};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        forum_category as category, forum_draft as draft, forum_post as post,
        forum_post_revision as revision, forum_reaction as reaction, forum_tag as tag,
        forum_thread as thread, forum_thread_tag as thread_tag, user,
    },
    error::{AppError, AppResult},
    identity::CurrentUser,
    markdown, validate,
};

/// The length of the opening post's excerpt in thread lists, in characters.
pub const EXCERPT_CHARS: usize = 280;

/// The stored excerpt of post `number`: opening posts only.
pub fn stored_excerpt(number: i32, source: &str) -> Option<String> {
    (number == 1).then(|| markdown::excerpt(source, EXCERPT_CHARS))
}

/// Where a new post goes.
pub enum Target {
    /// A new thread; the post is its opening post.
    NewThread {
        category: category::Model,
        title: String,
        tags: Vec<tag::Model>,
    },
    /// A reply in an existing thread.
    Reply {
        thread: Box<thread::Model>,
        category: category::Model,
        reply_to: Option<Box<post::Model>>,
        quote: Option<String>,
    },
}

/// The one path every new post takes, opening posts and replies alike, in
/// the caller's transaction: screening decides the initial state, then the
/// rows, counters, the author's subscription and reading state, the search
/// outbox, the draft, and (for published content) notifications.
pub async fn submit(
    conn: &WriteTxn,
    ctx: &AppContext,
    viewer: &CurrentUser,
    target: Target,
    body: PreparedBody,
    now: DateTime<Utc>,
) -> AppResult<(thread::Model, post::Model)> {
    let (category, title) = match &target {
        Target::NewThread {
            category, title, ..
        } => (category, Some(title.as_str())),
        Target::Reply { category, .. } => (category, None),
    };
    let screened = crate::moderation::posting::screen_new_post(
        ctx,
        conn,
        &ScreenRequest {
            viewer,
            author_id: viewer.id,
            category,
            title,
            body: &body.source,
        },
    )
    .await?;
    let state = screened.state();
    let visible = state == ModerationState::Visible;

    let (mut t, number, draft_key) = match &target {
        Target::NewThread {
            category, title, ..
        } => {
            let t = thread::ActiveModel {
                category_id: Set(category.id),
                author_id: Set(viewer.id),
                title: Set(title.clone()),
                first_post_id: Set(None),
                post_number_seq: Set(1),
                last_post_number: Set(if visible { 1 } else { 0 }),
                reply_count: Set(0),
                view_count: Set(0),
                like_count: Set(0),
                pinned: Set(false),
                pinned_at: Set(None),
                locked: Set(false),
                solved_post_id: Set(None),
                moderation_state: Set(state.as_str().into()),
                deleted_at: Set(None),
                deleted_by: Set(None),
                created_at: Set(now),
                edited_at: Set(None),
                last_activity_at: Set(now),
                last_post_id: Set(None),
                last_poster_id: Set(None),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            (t, 1, "new_thread".to_string())
        }
        Target::Reply { thread: t, .. } => {
            // Taking the next number locks the thread row (PostgreSQL) for
            // the rest of the transaction, so numbers never collide.
            thread::Entity::update_many()
                .col_expr(
                    thread::Column::PostNumberSeq,
                    Expr::col(thread::Column::PostNumberSeq).add(1),
                )
                .filter(thread::Column::Id.eq(t.id))
                .exec(conn)
                .await?;
            let t = thread::Entity::find_by_id(t.id)
                .one(conn)
                .await?
                .ok_or(AppError::NotFound("thread"))?;
            let number = t.post_number_seq;
            let key = format!("reply:{}", t.id);
            (t, number, key)
        }
    };

    let (reply_to, quote) = match &target {
        Target::Reply {
            reply_to, quote, ..
        } => (reply_to.as_deref(), quote.clone()),
        Target::NewThread { .. } => (None, None),
    };
    let p = post::ActiveModel {
        thread_id: Set(t.id),
        number: Set(number),
        author_id: Set(viewer.id),
        reply_to_post_id: Set(reply_to.map(|r| r.id)),
        quote_text: Set(quote),
        body: Set(body.source.clone()),
        body_html: Set(body.html.clone()),
        excerpt: Set(stored_excerpt(number, &body.source)),
        like_count: Set(0),
        revision_count: Set(0),
        moderation_state: Set(state.as_str().into()),
        deleted_at: Set(None),
        deleted_by: Set(None),
        created_at: Set(now),
        edited_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;

    let mut update = thread::Entity::update_many().filter(thread::Column::Id.eq(t.id));
    let mut changed = false;
    if let Target::NewThread { .. } = &target {
        update = update.col_expr(thread::Column::FirstPostId, Expr::value(p.id));
        changed = true;
    }
    if visible {
        update = update
            .col_expr(thread::Column::LastPostNumber, Expr::value(number))
            .col_expr(thread::Column::LastPostId, Expr::value(p.id))
            .col_expr(thread::Column::LastPosterId, Expr::value(viewer.id))
            .col_expr(thread::Column::LastActivityAt, Expr::value(now));
        if number > 1 {
            update = update.col_expr(
                thread::Column::ReplyCount,
                Expr::col(thread::Column::ReplyCount).add(1),
            );
        }
        changed = true;
    }
    if changed {
        update.exec(conn).await?;
        t = thread::Entity::find_by_id(t.id)
            .one(conn)
            .await?
            .ok_or(AppError::NotFound("thread"))?;
    }

    let tags: Vec<(i64, String)> = match &target {
        Target::NewThread { tags, .. } => tags.iter().map(|g| (g.id, g.name.clone())).collect(),
        Target::Reply { .. } => Vec::new(),
    };
    if !tags.is_empty() {
        thread_tag::Entity::insert_many(tags.iter().map(|(id, _)| thread_tag::ActiveModel {
            thread_id: Set(t.id),
            tag_id: Set(*id),
        }))
        .exec_without_returning(conn)
        .await?;
    }

    if !visible {
        crate::moderation::queue::record_hold(conn, ctx, &p, &screened, None).await?;
    }
    let reason = if number == 1 { "created" } else { "replied" };
    service::auto_watch(conn, viewer.id, t.id, reason, now).await?;
    service::advance_read_state(conn, viewer.id, t.id, number, now).await?;
    service::index_post(conn, now, p.id).await?;
    if number == 1 {
        service::index_thread(conn, now, t.id).await?;
    }
    draft::Entity::delete_many()
        .filter(draft::Column::UserId.eq(viewer.id))
        .filter(draft::Column::DraftKey.eq(draft_key))
        .exec(conn)
        .await?;

    if visible && t.moderation_state == ModerationState::Visible.as_str() {
        let is_new = matches!(target, Target::NewThread { .. });
        service::notify_published(
            conn,
            ctx,
            Published {
                actor: viewer,
                thread: &t,
                category,
                post: &p,
                mentioned: &body.mentioned,
                reply_to,
                new_thread_tags: is_new.then_some(tags.as_slice()),
            },
        )
        .await?;
    }
    Ok((t, p))
}

pub struct NewReply {
    pub thread_id: i64,
    pub body: String,
    pub reply_to_post_id: Option<i64>,
    /// Text quoted from the post replied to.
    pub quote: Option<String>,
}

/// Collapses whitespace, for comparing a quote with its source.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replies in a thread. Locked threads refuse replies except from
/// moderators; a quote must be text from the post replied to.
pub async fn create_reply(
    ctx: &AppContext,
    viewer: &CurrentUser,
    input: NewReply,
) -> AppResult<(thread::Model, post::Model)> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    let source = service::validate_body(&input.body)?;
    let quote = match input.quote.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(q) => {
            let q = validate::text("quote", q, 1, QUOTE_MAX)?;
            if input.reply_to_post_id.is_none() {
                return Err(AppError::validation(
                    "quote",
                    "a quote needs the post it comes from (replyToPostId)",
                ));
            }
            Some(q)
        }
    };
    ctx.limits
        .check("create_post", &viewer.id.to_string())
        .await?;

    let txn = ctx.write().await?;
    let t = service::thread_for(&txn, viewer, input.thread_id).await?;
    if t.deleted_at.is_some() {
        return Err(AppError::InvalidState {
            state: "deleted".into(),
            message: "this thread was deleted".into(),
        });
    }
    if t.locked && !viewer.is_moderator() {
        return Err(AppError::forbidden(
            "this thread is locked: it takes no more replies",
        ));
    }
    let category = service::find_category(&txn, t.category_id).await?;
    service::require_post_in(viewer, &category)?;
    let reply_to = match input.reply_to_post_id {
        None => None,
        Some(id) => {
            let parent = post::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|p| p.thread_id == t.id && service::can_see_post(viewer, p))
                .filter(|p| p.deleted_at.is_none())
                .ok_or_else(|| {
                    AppError::validation("replyToPostId", "is not a post in this thread")
                })?;
            Some(parent)
        }
    };
    if let (Some(q), Some(parent)) = (&quote, &reply_to) {
        let wanted = squash(q);
        let found = markdown::plain_text(&parent.body).contains(&wanted)
            || squash(&parent.body).contains(&wanted);
        if !found {
            return Err(AppError::validation(
                "quote",
                "must be text from the post you reply to",
            ));
        }
    }
    let body = service::prepare_body(&txn, source).await?;
    let result = submit(
        &txn,
        ctx,
        viewer,
        Target::Reply {
            thread: Box::new(t),
            category,
            reply_to: reply_to.map(Box::new),
            quote,
        },
        body,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(result)
}

/// Edits a post's body, keeping the previous source as a revision.
pub async fn edit_post(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
    body: &str,
    reason: Option<&str>,
) -> AppResult<post::Model> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    let source = service::validate_body(body)?;
    let reason = validate::single_line("reason", reason.unwrap_or(""), 0, 300)?;
    ctx.limits
        .check("edit_post", &viewer.id.to_string())
        .await?;

    let txn = ctx.write().await?;
    let (p, t) = service::post_for(&txn, viewer, post_id).await?;
    if !service::can_change_post(viewer, &p) {
        return Err(AppError::forbidden(
            "only the author or a moderator can edit this post",
        ));
    }
    if p.deleted_at.is_some() || t.deleted_at.is_some() {
        return Err(AppError::InvalidState {
            state: "deleted".into(),
            message: "a deleted post cannot be edited; restore it first".into(),
        });
    }
    if p.body == source {
        return Ok(p);
    }
    let category = service::find_category(&txn, t.category_id).await?;
    let prepared = service::prepare_body(&txn, source).await?;
    let screened = crate::moderation::posting::screen_edit(
        ctx,
        &txn,
        &ScreenRequest {
            viewer,
            author_id: p.author_id,
            category: &category,
            title: (p.number == 1).then_some(t.title.as_str()),
            body: &prepared.source,
        },
    )
    .await?;
    let previous_state = ModerationState::parse(&p.moderation_state);
    let new_state = screened.state_after_edit(previous_state);
    let replaced = Replaced {
        body: p.body.clone(),
        title: None,
        withheld: service::replaces_withheld(&p, &t),
    };
    add_revision(&txn, &p, viewer.id, replaced, &reason, now).await?;
    let previous_body = p.body.clone();
    let was_visible = p.moderation_state == ModerationState::Visible.as_str();
    let number = p.number;
    let mut active: post::ActiveModel = p.into();
    active.body = Set(prepared.source.clone());
    active.body_html = Set(prepared.html.clone());
    active.excerpt = Set(stored_excerpt(number, &prepared.source));
    active.edited_at = Set(Some(now));
    if let Some(state) = new_state {
        active.moderation_state = Set(state.as_str().into());
    }
    let p = active.update(&txn).await?;
    let state_changed = was_visible != (p.moderation_state == ModerationState::Visible.as_str());
    if state_changed {
        service::recount_thread(&txn, t.id).await?;
    }
    crate::moderation::queue::after_edit(&txn, ctx, viewer, &p, previous_state, &screened).await?;
    if p.number == 1 {
        let mut update =
            thread::Entity::update_many().col_expr(thread::Column::EditedAt, Expr::value(now));
        if let Some(state) = new_state {
            // A thread's state follows its opening post's.
            update = update.col_expr(thread::Column::ModerationState, Expr::value(state.as_str()));
        }
        update
            .filter(thread::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
        service::index_thread(&txn, now, t.id).await?;
    }
    service::index_post(&txn, now, p.id).await?;
    if p.moderation_state == ModerationState::Visible.as_str()
        && t.moderation_state == ModerationState::Visible.as_str()
    {
        service::notify_new_mentions(
            &txn,
            ctx,
            viewer,
            &t,
            &p,
            &previous_body,
            &prepared.mentioned,
        )
        .await?;
    }
    draft::Entity::delete_many()
        .filter(draft::Column::UserId.eq(viewer.id))
        .filter(draft::Column::DraftKey.eq(format!("edit:{}", p.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(p)
}

/// What an edit replaces.
pub struct Replaced {
    pub body: String,
    /// The thread's title, when the edit changes it.
    pub title: Option<String>,
    /// The text was not public as it was replaced
    /// ([`service::replaces_withheld`]).
    pub withheld: bool,
}

/// Records what a post was before an edit.
pub async fn add_revision(
    conn: &impl ConnectionTrait,
    p: &post::Model,
    editor_id: i64,
    replaced: Replaced,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let number = p.revision_count + 1;
    revision::ActiveModel {
        post_id: Set(p.id),
        number: Set(number),
        editor_id: Set(editor_id),
        previous_body: Set(replaced.body),
        previous_title: Set(replaced.title),
        reason: Set(reason.to_string()),
        created_at: Set(now),
        withheld: Set(replaced.withheld),
        redacted_at: Set(None),
        redacted_by_id: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    post::Entity::update_many()
        .col_expr(post::Column::RevisionCount, Expr::value(number))
        .filter(post::Column::Id.eq(p.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A post's revisions, oldest first, for anyone who can read its body;
/// withheld ones only for its author and moderators.
pub async fn revisions(
    ctx: &AppContext,
    viewer: &CurrentUser,
    p: &post::Model,
) -> AppResult<Vec<revision::Model>> {
    if !service::can_read_post_body(viewer, p) {
        return Ok(Vec::new());
    }
    Ok(revision::Entity::find()
        .filter(revision::Column::PostId.eq(p.id))
        .order_by_asc(revision::Column::Number)
        .all(&ctx.db)
        .await?
        .into_iter()
        .filter(|r| service::can_read_revision(viewer, p, r))
        .collect())
}

/// Empties the text of revision `number` of a post, for everyone, and
/// returns it as it was and as it is now; `None` when there is no such
/// revision. A revision already redacted is returned unchanged (twice the
/// same). Moderation decides who may and audits it.
pub async fn redact_revision(
    conn: &impl ConnectionTrait,
    post_id: i64,
    number: i32,
    redactor_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Option<(revision::Model, revision::Model)>> {
    let Some(before) = revision::Entity::find()
        .filter(revision::Column::PostId.eq(post_id))
        .filter(revision::Column::Number.eq(number))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if before.redacted_at.is_some() {
        return Ok(Some((before.clone(), before)));
    }
    let mut active: revision::ActiveModel = before.clone().into();
    active.previous_body = Set(String::new());
    // A title revision stays one, with its text gone.
    active.previous_title = Set(before.previous_title.as_ref().map(|_| String::new()));
    active.redacted_at = Set(Some(now));
    active.redacted_by_id = Set(Some(redactor_id));
    let after = active.update(conn).await?;
    Ok(Some((before, after)))
}

/// Soft-deletes a post (the author or a moderator). Deleting the opening
/// post deletes the thread. The content stays for moderators.
pub async fn delete_post(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
) -> AppResult<post::Model> {
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    let (p, t) = service::post_for(&txn, viewer, post_id).await?;
    if !service::can_change_post(viewer, &p) {
        return Err(AppError::forbidden(
            "only the author or a moderator can delete this post",
        ));
    }
    if p.deleted_at.is_some() {
        return Ok(p);
    }
    let mut active: post::ActiveModel = p.into();
    active.deleted_at = Set(Some(now));
    active.deleted_by = Set(Some(viewer.id));
    let p = active.update(&txn).await?;
    let mut thread_update = thread::Entity::update_many().filter(thread::Column::Id.eq(t.id));
    let mut thread_changed = false;
    if p.number == 1 {
        thread_update = thread_update
            .col_expr(thread::Column::DeletedAt, Expr::value(now))
            .col_expr(thread::Column::DeletedBy, Expr::value(viewer.id));
        thread_changed = true;
    }
    if t.solved_post_id == Some(p.id) {
        thread_update = thread_update.col_expr(
            thread::Column::SolvedPostId,
            Expr::value(Option::<i64>::None),
        );
        thread_changed = true;
    }
    if thread_changed {
        thread_update.exec(&txn).await?;
        service::index_thread(&txn, now, t.id).await?;
    }
    service::recount_thread(&txn, t.id).await?;
    service::index_post(&txn, now, p.id).await?;
    txn.commit().await?;
    Ok(p)
}

/// Restores a deleted post: moderators, or the author of a post they
/// deleted themselves.
pub async fn restore_post(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
) -> AppResult<post::Model> {
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    let (p, t) = service::post_for(&txn, viewer, post_id).await?;
    let own_delete = p.author_id == viewer.id && p.deleted_by == Some(viewer.id);
    if !(viewer.is_moderator() || own_delete) {
        return Err(AppError::forbidden(
            "only a moderator can restore this post",
        ));
    }
    if p.deleted_at.is_none() {
        return Ok(p);
    }
    let mut active: post::ActiveModel = p.into();
    active.deleted_at = Set(None);
    active.deleted_by = Set(None);
    let p = active.update(&txn).await?;
    if p.number == 1 {
        thread::Entity::update_many()
            .col_expr(
                thread::Column::DeletedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(thread::Column::DeletedBy, Expr::value(Option::<i64>::None))
            .filter(thread::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
        service::index_thread(&txn, now, t.id).await?;
    }
    service::recount_thread(&txn, t.id).await?;
    service::index_post(&txn, now, p.id).await?;
    txn.commit().await?;
    Ok(p)
}

/// Likes a post, once per user; liking twice changes nothing.
pub async fn like_post(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
) -> AppResult<post::Model> {
    set_like(ctx, viewer, post_id, true).await
}

/// Takes a like back; unliking a post not liked changes nothing.
pub async fn unlike_post(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
) -> AppResult<post::Model> {
    set_like(ctx, viewer, post_id, false).await
}

async fn set_like(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
    liked: bool,
) -> AppResult<post::Model> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    ctx.limits.check("react", &viewer.id.to_string()).await?;
    let txn = ctx.write().await?;
    let (p, t) = service::post_for(&txn, viewer, post_id).await?;
    if p.deleted_at.is_some() || t.deleted_at.is_some() {
        return Err(AppError::InvalidState {
            state: "deleted".into(),
            message: "this post was deleted".into(),
        });
    }
    if liked && p.author_id == viewer.id {
        return Err(AppError::forbidden("you cannot like your own post"));
    }
    let changed = if liked {
        reaction::Entity::insert(reaction::ActiveModel {
            post_id: Set(p.id),
            user_id: Set(viewer.id),
            kind: Set("like".into()),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                reaction::Column::PostId,
                reaction::Column::UserId,
                reaction::Column::Kind,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?
    } else {
        reaction::Entity::delete_many()
            .filter(reaction::Column::PostId.eq(p.id))
            .filter(reaction::Column::UserId.eq(viewer.id))
            .filter(reaction::Column::Kind.eq("like"))
            .exec(&txn)
            .await?
            .rows_affected
    };
    if changed == 0 {
        return Ok(p);
    }
    let delta = if liked { 1 } else { -1 };
    post::Entity::update_many()
        .col_expr(
            post::Column::LikeCount,
            Expr::col(post::Column::LikeCount).add(delta),
        )
        .filter(post::Column::Id.eq(p.id))
        .exec(&txn)
        .await?;
    if p.moderation_state == ModerationState::Visible.as_str() {
        thread::Entity::update_many()
            .col_expr(
                thread::Column::LikeCount,
                Expr::col(thread::Column::LikeCount).add(delta),
            )
            .filter(thread::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
    }
    let p = post::Entity::find_by_id(p.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("post"))?;
    txn.commit().await?;
    Ok(p)
}

/// MODERATION HOOK: moves a post (and, for an opening post, its thread)
/// between visible, held and hidden, in the caller's transaction so the
/// moderation service can write its audit log beside it. Publishing held
/// content sends the notifications it would have sent when posted.
pub async fn set_moderation_state(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    post_id: i64,
    state: ModerationState,
) -> AppResult<post::Model> {
    actor.require_moderator()?;
    apply_moderation_state(conn, ctx, post_id, state).await
}

/// [`set_moderation_state`] without the moderator check, for the
/// moderation service's own decisions (the flag threshold hides content
/// with no moderator involved).
pub async fn apply_moderation_state(
    conn: &WriteTxn,
    ctx: &AppContext,
    post_id: i64,
    state: ModerationState,
) -> AppResult<post::Model> {
    let now = service::now(ctx);
    let p = post::Entity::find_by_id(post_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("post"))?;
    let previous = ModerationState::parse(&p.moderation_state);
    if previous == state {
        return Ok(p);
    }
    let mut active: post::ActiveModel = p.into();
    active.moderation_state = Set(state.as_str().into());
    let p = active.update(conn).await?;
    if p.number == 1 {
        thread::Entity::update_many()
            .col_expr(thread::Column::ModerationState, Expr::value(state.as_str()))
            .filter(thread::Column::Id.eq(p.thread_id))
            .exec(conn)
            .await?;
        service::index_thread(conn, now, p.thread_id).await?;
    }
    service::recount_thread(conn, p.thread_id).await?;
    service::index_post(conn, now, p.id).await?;

    let t = thread::Entity::find_by_id(p.thread_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("thread"))?;
    if previous == ModerationState::Held
        && state == ModerationState::Visible
        && t.moderation_state == ModerationState::Visible.as_str()
        && p.deleted_at.is_none()
    {
        let author = user::Entity::find_by_id(p.author_id)
            .one(conn)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let author = CurrentUser::from_model(&author, None);
        let category = service::find_category(conn, t.category_id).await?;
        let mentioned = service::prepare_body(conn, p.body.clone()).await?.mentioned;
        let reply_to = match p.reply_to_post_id {
            Some(id) => post::Entity::find_by_id(id).one(conn).await?,
            None => None,
        };
        let tags: Vec<(i64, String)> = if p.number == 1 {
            super::loaders::thread_tags(conn, &[t.id])
                .await?
                .remove(&t.id)
                .unwrap_or_default()
                .into_iter()
                .map(|g| (g.id, g.name))
                .collect()
        } else {
            Vec::new()
        };
        service::notify_published(
            conn,
            ctx,
            Published {
                actor: &author,
                thread: &t,
                category: &category,
                post: &p,
                mentioned: &mentioned,
                reply_to: reply_to.as_ref(),
                new_thread_tags: (p.number == 1).then_some(tags.as_slice()),
            },
        )
        .await?;
    }
    Ok(p)
}
