//! Threads: starting one, changing its title, category and tags, accepted
//! answers, and the moderator switches (pin, lock, move) that the
//! moderation issue wraps with its audit log.

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::Expr,
};

use super::{
    MAX_TAGS, ModerationState,
    posts::{self, Target},
    service,
};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        forum_category as category, forum_post as post, forum_tag as tag, forum_thread as thread,
        forum_thread_tag as thread_tag,
    },
    error::{AppError, AppResult},
    identity::CurrentUser,
    notifications::service::{NewNotification, notify},
    validate,
};

pub struct NewThread {
    pub category_id: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// Normalizes tag names: trimmed, lower case, deduplicated, at most five.
pub fn normalize_tags(names: &[String]) -> AppResult<Vec<String>> {
    let mut seen = HashSet::new();
    let tags: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .filter(|n| seen.insert(n.clone()))
        .collect();
    if tags.len() > MAX_TAGS {
        return Err(AppError::validation(
            "tags",
            format!("a thread can have at most {MAX_TAGS} tags"),
        ));
    }
    Ok(tags)
}

/// Resolves tag names to the moderator-managed set; unknown and retired
/// tags are refused.
pub async fn resolve_tags(
    conn: &impl ConnectionTrait,
    names: &[String],
    allow_retired: &HashSet<i64>,
) -> AppResult<Vec<tag::Model>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let found = tag::Entity::find()
        .filter(tag::Column::Name.is_in(names.iter().cloned()))
        .all(conn)
        .await?;
    let mut tags = Vec::with_capacity(names.len());
    for name in names {
        let Some(t) = found.iter().find(|t| &t.name == name) else {
            return Err(AppError::validation(
                "tags",
                format!("there is no tag {name:?}; choose from the forum's tags"),
            ));
        };
        if t.retired_at.is_some() && !allow_retired.contains(&t.id) {
            return Err(AppError::validation(
                "tags",
                format!("the tag {name:?} is retired"),
            ));
        }
        tags.push(t.clone());
    }
    Ok(tags)
}

/// A category by id, refused as a VALIDATION error on `field` when absent.
async fn category_input(
    conn: &impl ConnectionTrait,
    field: &str,
    id: i64,
) -> AppResult<category::Model> {
    category::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::validation(field, "there is no such category"))
}

/// Starts a thread: its opening post goes through `posts::submit` like
/// every other post.
pub async fn create_thread(
    ctx: &AppContext,
    viewer: &CurrentUser,
    input: NewThread,
) -> AppResult<(thread::Model, post::Model)> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    let title = service::validate_title(&input.title)?;
    let source = service::validate_body(&input.body)?;
    let tag_names = normalize_tags(&input.tags)?;
    ctx.limits
        .check("create_thread", &viewer.id.to_string())
        .await?;

    let txn = ctx.write().await?;
    let category = category_input(&txn, "categoryId", input.category_id).await?;
    service::require_post_in(viewer, &category)?;
    let tags = resolve_tags(&txn, &tag_names, &HashSet::new()).await?;
    let body = service::prepare_body(&txn, source).await?;
    let result = posts::submit(
        &txn,
        ctx,
        viewer,
        Target::NewThread {
            category,
            title,
            tags,
        },
        body,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(result)
}

pub struct ThreadChange {
    pub title: Option<String>,
    pub category_id: Option<i64>,
    pub tags: Option<Vec<String>>,
    pub reason: Option<String>,
}

/// Changes a thread's title, category or tags (the author or a moderator).
/// A new title is kept as a revision of the opening post.
pub async fn update_thread(
    ctx: &AppContext,
    viewer: &CurrentUser,
    thread_id: i64,
    change: ThreadChange,
) -> AppResult<thread::Model> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    let title = change
        .title
        .as_deref()
        .map(service::validate_title)
        .transpose()?;
    let tag_names = change.tags.as_deref().map(normalize_tags).transpose()?;
    let reason = validate::single_line("reason", change.reason.as_deref().unwrap_or(""), 0, 300)?;
    ctx.limits
        .check("edit_post", &viewer.id.to_string())
        .await?;

    let txn = ctx.write().await?;
    let t = service::thread_for(&txn, viewer, thread_id).await?;
    if !(t.author_id == viewer.id || viewer.is_moderator()) {
        return Err(AppError::forbidden(
            "only the author or a moderator can change this thread",
        ));
    }
    if t.deleted_at.is_some() {
        return Err(AppError::InvalidState {
            state: "deleted".into(),
            message: "a deleted thread cannot be changed; restore it first".into(),
        });
    }
    let mut active: thread::ActiveModel = t.clone().into();
    let mut changed = false;
    let mut title_screening = None;
    if let Some(title) = title
        && title != t.title
    {
        let first = match t.first_post_id {
            Some(id) => post::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        }
        .ok_or(AppError::NotFound("post"))?;
        // A new title is screened with the opening post, like a new thread.
        let category = service::find_category(&txn, t.category_id).await?;
        let screened = crate::moderation::posting::screen_edit(
            ctx,
            &txn,
            &service::ScreenRequest {
                viewer,
                author_id: t.author_id,
                category: &category,
                title: Some(&title),
                body: &first.body,
            },
        )
        .await?;
        title_screening = Some((first.clone(), screened));
        let replaced = posts::Replaced {
            body: first.body.clone(),
            title: Some(t.title.clone()),
            withheld: service::replaces_withheld(&first, &t),
        };
        posts::add_revision(&txn, &first, viewer.id, replaced, &reason, now).await?;
        active.title = Set(title);
        changed = true;
    }
    if let Some(category_id) = change.category_id
        && category_id != t.category_id
    {
        let category = category_input(&txn, "categoryId", category_id).await?;
        service::require_post_in(viewer, &category)?;
        active.category_id = Set(category.id);
        changed = true;
    }
    if let Some(names) = tag_names {
        let current: Vec<i64> = super::loaders::thread_tags(&txn, &[t.id])
            .await?
            .remove(&t.id)
            .unwrap_or_default()
            .into_iter()
            .map(|g| g.id)
            .collect();
        // Retired tags a thread already has may stay on it.
        let keep: HashSet<i64> = current.iter().copied().collect();
        let tags = resolve_tags(&txn, &names, &keep).await?;
        let wanted: Vec<i64> = tags.iter().map(|g| g.id).collect();
        if wanted.iter().collect::<HashSet<_>>() != current.iter().collect::<HashSet<_>>() {
            set_tags(&txn, t.id, &wanted).await?;
            changed = true;
        }
    }
    if !changed {
        return Ok(t);
    }
    active.edited_at = Set(Some(now));
    let mut t = active.update(&txn).await?;
    if let Some((first, screened)) = title_screening {
        let previous = ModerationState::parse(&first.moderation_state);
        let first = match screened.state_after_edit(previous) {
            Some(state) => {
                let first = posts::apply_moderation_state(&txn, ctx, first.id, state).await?;
                t = thread::Entity::find_by_id(t.id)
                    .one(&txn)
                    .await?
                    .ok_or(AppError::NotFound("thread"))?;
                first
            }
            None => first,
        };
        crate::moderation::queue::after_edit(&txn, ctx, viewer, &first, previous, &screened)
            .await?;
    }
    service::index_thread(&txn, now, t.id).await?;
    txn.commit().await?;
    Ok(t)
}

async fn set_tags(conn: &impl ConnectionTrait, thread_id: i64, tag_ids: &[i64]) -> AppResult<()> {
    thread_tag::Entity::delete_many()
        .filter(thread_tag::Column::ThreadId.eq(thread_id))
        .exec(conn)
        .await?;
    if !tag_ids.is_empty() {
        thread_tag::Entity::insert_many(tag_ids.iter().map(|id| thread_tag::ActiveModel {
            thread_id: Set(thread_id),
            tag_id: Set(*id),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Deletes a thread by deleting its opening post (the author or a moderator).
pub async fn delete_thread(
    ctx: &AppContext,
    viewer: &CurrentUser,
    thread_id: i64,
) -> AppResult<thread::Model> {
    let t = service::thread_for(&ctx.db, viewer, thread_id).await?;
    let first = t.first_post_id.ok_or(AppError::NotFound("thread"))?;
    posts::delete_post(ctx, viewer, first).await?;
    service::thread_for(&ctx.db, viewer, thread_id).await
}

/// Marks a reply as the thread's accepted answer (the thread's author or a
/// moderator), replacing any earlier one, and tells the answer's author.
pub async fn accept_answer(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
) -> AppResult<thread::Model> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let (p, t) = service::post_for(&txn, viewer, post_id).await?;
    if !(t.author_id == viewer.id || viewer.is_moderator()) {
        return Err(AppError::forbidden(
            "only the thread's author or a moderator can accept an answer",
        ));
    }
    if p.number == 1 {
        return Err(AppError::validation(
            "postId",
            "the opening post cannot be its own answer; choose a reply",
        ));
    }
    if p.deleted_at.is_some() || t.deleted_at.is_some() {
        return Err(AppError::InvalidState {
            state: "deleted".into(),
            message: "a deleted post cannot be the answer".into(),
        });
    }
    if t.solved_post_id == Some(p.id) {
        return Ok(t);
    }
    let mut active: thread::ActiveModel = t.into();
    active.solved_post_id = Set(Some(p.id));
    let t = active.update(&txn).await?;
    service::index_thread(&txn, now, t.id).await?;
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: p.author_id,
            kind: "accepted_answer",
            actor_id: Some(viewer.id),
            title: format!(
                "{} accepted your answer in “{}”",
                viewer.display_name, t.title
            ),
            excerpt: crate::markdown::excerpt(&p.body, 240),
            link: service::post_link(t.id, &p),
            subject: Some(("post", p.id)),
            email: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

pub async fn unaccept_answer(
    ctx: &AppContext,
    viewer: &CurrentUser,
    thread_id: i64,
) -> AppResult<thread::Model> {
    let now = service::now(ctx);
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let t = service::thread_for(&txn, viewer, thread_id).await?;
    if !(t.author_id == viewer.id || viewer.is_moderator()) {
        return Err(AppError::forbidden(
            "only the thread's author or a moderator can change the answer",
        ));
    }
    if t.solved_post_id.is_none() {
        return Ok(t);
    }
    let mut active: thread::ActiveModel = t.into();
    active.solved_post_id = Set(None);
    let t = active.update(&txn).await?;
    service::index_thread(&txn, now, t.id).await?;
    txn.commit().await?;
    Ok(t)
}

async fn moderator_thread(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    thread_id: i64,
) -> AppResult<thread::Model> {
    actor.require_moderator()?;
    thread::Entity::find_by_id(thread_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("thread"))
}

/// Moderators: pins a thread to the top of its category, or unpins it. In
/// the caller's transaction (the moderation issue adds its audit log).
pub async fn set_pinned(
    conn: &impl ConnectionTrait,
    ctx: &AppContext,
    actor: &CurrentUser,
    thread_id: i64,
    pinned: bool,
) -> AppResult<thread::Model> {
    let t = moderator_thread(conn, actor, thread_id).await?;
    if t.pinned == pinned {
        return Ok(t);
    }
    let mut active: thread::ActiveModel = t.into();
    active.pinned = Set(pinned);
    active.pinned_at = Set(pinned.then(|| service::now(ctx)));
    Ok(active.update(conn).await?)
}

/// Moderators: locks a thread (no more replies except from moderators) or
/// unlocks it. In the caller's transaction.
pub async fn set_locked(
    conn: &impl ConnectionTrait,
    _ctx: &AppContext,
    actor: &CurrentUser,
    thread_id: i64,
    locked: bool,
) -> AppResult<thread::Model> {
    let t = moderator_thread(conn, actor, thread_id).await?;
    if t.locked == locked {
        return Ok(t);
    }
    let mut active: thread::ActiveModel = t.into();
    active.locked = Set(locked);
    Ok(active.update(conn).await?)
}

/// Moderators: moves a thread to another category, whatever its posting
/// roles. In the caller's transaction.
pub async fn move_thread(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    thread_id: i64,
    category_id: i64,
) -> AppResult<thread::Model> {
    let t = moderator_thread(conn, actor, thread_id).await?;
    let category = category_input(conn, "categoryId", category_id).await?;
    if t.category_id == category.id {
        return Ok(t);
    }
    let now = service::now(ctx);
    thread::Entity::update_many()
        .col_expr(thread::Column::CategoryId, Expr::value(category.id))
        .filter(thread::Column::Id.eq(t.id))
        .exec(conn)
        .await?;
    service::index_thread(conn, now, t.id).await?;
    thread::Entity::find_by_id(t.id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("thread"))
}
