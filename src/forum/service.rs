//! The forum's shared rules: who may see and write what, validation and
//! rendering of content, the screening hook, counters, automatic
//! subscriptions, notification fan-out and the search outbox. The
//! operations themselves live in `threads.rs`, `posts.rs`, `reading.rs`,
//! `categories.rs` and `lists.rs`, and all go through here.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::OnConflict,
};

use super::{BODY_MAX, BODY_MIN, MAX_MENTIONS, ModerationState, TITLE_MAX, TITLE_MIN};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        forum_category as category, forum_post as post, forum_post_revision as revision,
        forum_read_state as read_state, forum_subscription as subscription, forum_thread as thread,
        user,
    },
    error::{AppError, AppResult},
    identity::{CurrentUser, Roles, UserStatus},
    indexer::{self, Doc},
    markdown,
    notifications::service::{NewNotification, notify, notify_many},
    validate,
};

/// The forum's "now": the context clock at microsecond precision (what
/// PostgreSQL stores), so stored times and cursors round-trip exactly on
/// both databases.
pub fn now(ctx: &AppContext) -> DateTime<Utc> {
    ctx.clock.now().trunc_subsecs(6)
}

// ---------------------------------------------------------------------------
// Who may see and write what.

/// Held and hidden threads are visible to their author and moderators only.
/// Deleted threads stay visible, as a placeholder.
pub fn can_see_thread(viewer: &CurrentUser, t: &thread::Model) -> bool {
    t.moderation_state == ModerationState::Visible.as_str()
        || t.author_id == viewer.id
        || viewer.is_moderator()
}

pub fn can_see_post(viewer: &CurrentUser, p: &post::Model) -> bool {
    post_visible_to(viewer, p.author_id, &p.moderation_state)
}

fn post_visible_to(viewer: &CurrentUser, author_id: i64, moderation_state: &str) -> bool {
    moderation_state == ModerationState::Visible.as_str()
        || author_id == viewer.id
        || viewer.is_moderator()
}

/// A deleted post's body (and its revisions) are for moderators only.
pub fn can_read_post_body(viewer: &CurrentUser, p: &post::Model) -> bool {
    can_read_body(
        viewer,
        p.author_id,
        &p.moderation_state,
        p.deleted_at.is_some(),
    )
}

/// [`can_read_post_body`] for a post known by its author, state and deletion.
pub fn can_read_body(
    viewer: &CurrentUser,
    author_id: i64,
    moderation_state: &str,
    deleted: bool,
) -> bool {
    post_visible_to(viewer, author_id, moderation_state) && (!deleted || viewer.is_moderator())
}

/// A withheld revision (its text was held, hidden, or written while the
/// content was held) is for the post's author and moderators only, so
/// approving a later, fixed version never publishes it. The caller has
/// already checked that the viewer may read the post's body.
pub fn can_read_revision(viewer: &CurrentUser, p: &post::Model, r: &revision::Model) -> bool {
    !r.withheld || p.author_id == viewer.id || viewer.is_moderator()
}

/// Whether the text a post is about to replace is withheld: the post or its
/// thread is not visible to members as it is edited.
pub fn replaces_withheld(p: &post::Model, t: &thread::Model) -> bool {
    p.moderation_state != ModerationState::Visible.as_str()
        || t.moderation_state != ModerationState::Visible.as_str()
}

/// Edits and deletes come from the author or a moderator.
pub fn can_change_post(viewer: &CurrentUser, p: &post::Model) -> bool {
    p.author_id == viewer.id || viewer.is_moderator()
}

pub fn required_roles(c: &category::Model) -> Roles {
    Roles::parse_column(&c.required_roles)
}

/// Whether the viewer may start threads and reply in `c`: everyone when the
/// category names no roles, else holders of any of them (and admins).
pub fn can_post_in(viewer: &CurrentUser, c: &category::Model) -> bool {
    let roles = required_roles(c);
    roles.is_empty() || viewer.is_admin() || roles.list().iter().any(|r| viewer.has(*r))
}

pub fn require_post_in(viewer: &CurrentUser, c: &category::Model) -> AppResult<()> {
    if can_post_in(viewer, c) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "only {} can post in {}",
            required_roles(c)
                .list()
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            c.name
        )))
    }
}

/// Whether the viewer may reply in thread `t` of category `c`, ignoring
/// rate limits: verified and not silenced, allowed in the category, thread
/// not deleted, and unlocked unless they moderate.
pub fn can_reply(
    viewer: &CurrentUser,
    now: DateTime<Utc>,
    t: &thread::Model,
    c: &category::Model,
) -> bool {
    viewer.require_writer(now).is_ok()
        && can_post_in(viewer, c)
        && t.deleted_at.is_none()
        && (!t.locked || viewer.is_moderator())
}

/// A thread the viewer can see, or NOT_FOUND.
pub async fn thread_for(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<thread::Model> {
    thread::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|t| can_see_thread(viewer, t))
        .ok_or(AppError::NotFound("thread"))
}

/// A post and its thread, both visible to the viewer, or NOT_FOUND.
pub async fn post_for(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<(post::Model, thread::Model)> {
    let p = post::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| can_see_post(viewer, p))
        .ok_or(AppError::NotFound("post"))?;
    let t = thread_for(conn, viewer, p.thread_id)
        .await
        .map_err(|_| AppError::NotFound("post"))?;
    Ok((p, t))
}

pub async fn find_category(conn: &impl ConnectionTrait, id: i64) -> AppResult<category::Model> {
    category::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("category"))
}

// ---------------------------------------------------------------------------
// Content.

/// Titles are plain text on one line; clients must escape them.
pub fn validate_title(title: &str) -> AppResult<String> {
    let title = validate::single_line("title", title, TITLE_MIN, TITLE_MAX)?;
    // Collapse runs of spaces so titles cannot be padded to look alike.
    Ok(title.split_whitespace().collect::<Vec<_>>().join(" "))
}

pub fn validate_body(body: &str) -> AppResult<String> {
    validate::text("body", body, BODY_MIN, BODY_MAX)
}

/// A body ready to store: its source, sanitized HTML, and the users it
/// @mentions.
pub struct PreparedBody {
    pub source: String,
    pub html: String,
    pub mentioned: Vec<user::Model>,
}

/// Resolves @mentions to users and renders the markdown once, on write.
pub async fn prepare_body(conn: &impl ConnectionTrait, source: String) -> AppResult<PreparedBody> {
    let handles = markdown::extract_mentions(&source);
    let mentioned = if handles.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Handle.is_in(handles.iter().take(200).cloned()))
            .all(conn)
            .await?
    };
    if mentioned.len() > MAX_MENTIONS {
        return Err(AppError::validation(
            "body",
            format!("mention at most {MAX_MENTIONS} people in one post"),
        ));
    }
    let known: HashSet<&str> = mentioned.iter().map(|u| u.handle.as_str()).collect();
    let html = markdown::render(&source, &|h| known.contains(h)).html;
    Ok(PreparedBody {
        source,
        html,
        mentioned,
    })
}

/// What the screening step sees of a new post or an edit.
pub struct ScreenRequest<'a> {
    pub viewer: &'a CurrentUser,
    /// The content's author: the viewer for new posts, maybe not for edits.
    pub author_id: i64,
    pub category: &'a category::Model,
    /// Present for a thread's opening post.
    pub title: Option<&'a str>,
    pub body: &'a str,
}

// ---------------------------------------------------------------------------
// The search outbox: same transaction as the write.

pub async fn index_post(txn: &WriteTxn, now: DateTime<Utc>, post_id: i64) -> AppResult<()> {
    indexer::enqueue(txn, now, Doc::Post(post_id)).await
}

pub async fn index_thread(txn: &WriteTxn, now: DateTime<Utc>, thread_id: i64) -> AppResult<()> {
    indexer::enqueue(txn, now, Doc::Thread(thread_id)).await
}

// ---------------------------------------------------------------------------
// Counters.

/// Recomputes a thread's reply count, like count and last post from its
/// posts: after deletes, restores and moderation changes (new replies
/// update the counters incrementally).
pub async fn recount_thread(conn: &impl ConnectionTrait, thread_id: i64) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let counts = conn
        .query_one_raw(crate::db::statement(
            backend,
            "SELECT COUNT(CASE WHEN number > 1 THEN 1 END) AS replies,
                    COALESCE(SUM(like_count), 0) AS likes
             FROM forum_posts
             WHERE thread_id = ? AND deleted_at IS NULL AND moderation_state = 'visible'",
            [thread_id.into()],
        ))
        .await?;
    let (replies, likes) = match counts {
        Some(row) => (
            row.try_get::<i64>("", "replies")?,
            row.try_get::<i64>("", "likes")?,
        ),
        None => (0, 0),
    };
    let last = post::Entity::find()
        .filter(post::Column::ThreadId.eq(thread_id))
        .filter(post::Column::DeletedAt.is_null())
        .filter(post::Column::ModerationState.eq(ModerationState::Visible.as_str()))
        .order_by_desc(post::Column::Number)
        .one(conn)
        .await?;
    thread::Entity::update_many()
        .col_expr(thread::Column::ReplyCount, (replies as i32).into())
        .col_expr(thread::Column::LikeCount, (likes as i32).into())
        .col_expr(
            thread::Column::LastPostNumber,
            last.as_ref().map_or(0, |p| p.number).into(),
        )
        .col_expr(
            thread::Column::LastPostId,
            last.as_ref().map(|p| p.id).into(),
        )
        .col_expr(
            thread::Column::LastPosterId,
            last.as_ref().map(|p| p.author_id).into(),
        )
        .filter(thread::Column::Id.eq(thread_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Moves the user's last-read post forward to `number` (never back).
/// Returns whether a read state was created.
pub async fn advance_read_state(
    conn: &impl ConnectionTrait,
    user_id: i64,
    thread_id: i64,
    number: i32,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let moved = read_state::Entity::update_many()
        .col_expr(read_state::Column::LastReadPostNumber, number.into())
        .col_expr(read_state::Column::UpdatedAt, now.into())
        .filter(read_state::Column::UserId.eq(user_id))
        .filter(read_state::Column::ThreadId.eq(thread_id))
        .filter(read_state::Column::LastReadPostNumber.lt(number))
        .exec(conn)
        .await?;
    if moved.rows_affected > 0 {
        return Ok(false);
    }
    let inserted = read_state::Entity::insert(read_state::ActiveModel {
        user_id: sea_orm::Set(user_id),
        thread_id: sea_orm::Set(thread_id),
        last_read_post_number: sea_orm::Set(number),
        last_viewed_at: sea_orm::Set(now),
        updated_at: sea_orm::Set(now),
    })
    .on_conflict(
        OnConflict::columns([read_state::Column::UserId, read_state::Column::ThreadId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted > 0)
}

// ---------------------------------------------------------------------------
// Subscriptions and notifications.

/// Watches a thread for its author or a replier, unless they already chose
/// a level for it (an explicit mute stays).
pub async fn auto_watch(
    conn: &impl ConnectionTrait,
    user_id: i64,
    thread_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    subscription::Entity::insert(subscription::ActiveModel {
        user_id: sea_orm::Set(user_id),
        target_type: sea_orm::Set("thread".into()),
        target_id: sea_orm::Set(thread_id),
        level: sea_orm::Set("watching".into()),
        reason: sea_orm::Set(reason.into()),
        created_at: sea_orm::Set(now),
        updated_at: sea_orm::Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            subscription::Column::UserId,
            subscription::Column::TargetType,
            subscription::Column::TargetId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The users watching a thread.
pub async fn thread_watchers(conn: &impl ConnectionTrait, thread_id: i64) -> AppResult<Vec<i64>> {
    Ok(subscribers(conn, "thread", &[thread_id], "watching")
        .await?
        .into_iter()
        .map(|(user_id, _)| user_id)
        .collect())
}

/// Users at `level` on one target.
async fn subscribers(
    conn: &impl ConnectionTrait,
    target_type: &str,
    target_ids: &[i64],
    level: &str,
) -> AppResult<Vec<(i64, i64)>> {
    if target_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(subscription::Entity::find()
        .select_only()
        .column(subscription::Column::UserId)
        .column(subscription::Column::TargetId)
        .filter(subscription::Column::TargetType.eq(target_type))
        .filter(subscription::Column::TargetId.is_in(target_ids.iter().copied()))
        .filter(subscription::Column::Level.eq(level))
        .into_tuple()
        .all(conn)
        .await?)
}

/// One notification per user per post: the strongest reason wins.
#[derive(Clone)]
struct Reason {
    kind: &'static str,
    email: bool,
    title: String,
}

fn rank(kind: &str) -> u8 {
    match kind {
        "mention" => 0,
        "quote" => 1,
        "reply" => 2,
        _ => 3,
    }
}

#[derive(Default)]
struct Recipients {
    order: Vec<i64>,
    reasons: HashMap<i64, Reason>,
}

impl Recipients {
    fn add(&mut self, user_id: i64, reason: Reason) {
        match self.reasons.get(&user_id) {
            Some(existing) if rank(existing.kind) <= rank(reason.kind) => {}
            Some(_) => {
                self.reasons.insert(user_id, reason);
            }
            None => {
                self.order.push(user_id);
                self.reasons.insert(user_id, reason);
            }
        }
    }
}

/// What a newly published post means for others.
pub struct Published<'a> {
    pub actor: &'a CurrentUser,
    pub thread: &'a thread::Model,
    pub category: &'a category::Model,
    pub post: &'a post::Model,
    pub mentioned: &'a [user::Model],
    pub reply_to: Option<&'a post::Model>,
    /// The tags of a new thread (ids and names).
    pub new_thread_tags: Option<&'a [(i64, String)]>,
}

pub fn post_link(thread_id: i64, post: &post::Model) -> String {
    if post.number <= 1 {
        format!("/t/{thread_id}")
    } else {
        format!("/t/{thread_id}#p{}", post.id)
    }
}

/// Notifies everyone a published post concerns, once each: people it
/// mentions, the author it quotes or replies to, the thread's watchers, and
/// for a new thread the watchers of its category and tags. Users who muted
/// the thread hear nothing from it.
pub async fn notify_published(
    conn: &WriteTxn,
    ctx: &AppContext,
    p: Published<'_>,
) -> AppResult<()> {
    let name = &p.actor.display_name;
    let title = &p.thread.title;
    let mut to = Recipients::default();
    for u in p.mentioned {
        if UserStatus::is_active(&u.status) {
            to.add(
                u.id,
                Reason {
                    kind: "mention",
                    email: true,
                    title: format!("{name} mentioned you in “{title}”"),
                },
            );
        }
    }
    if let Some(parent) = p.reply_to {
        let (kind, verb) = if p.post.quote_text.is_some() {
            ("quote", "quoted")
        } else {
            ("reply", "replied to")
        };
        to.add(
            parent.author_id,
            Reason {
                kind,
                email: true,
                title: format!("{name} {verb} your post in “{title}”"),
            },
        );
    }
    if let Some(tags) = p.new_thread_tags {
        for (user_id, _) in subscribers(conn, "category", &[p.category.id], "watching").await? {
            to.add(
                user_id,
                Reason {
                    kind: "watched_category_thread",
                    email: false,
                    title: format!("New thread in {}: “{title}”", p.category.name),
                },
            );
        }
        let tag_ids: Vec<i64> = tags.iter().map(|(id, _)| *id).collect();
        let tag_names: HashMap<i64, &str> = tags.iter().map(|(id, n)| (*id, n.as_str())).collect();
        for (user_id, tag_id) in subscribers(conn, "tag", &tag_ids, "watching").await? {
            let tag = tag_names.get(&tag_id).copied().unwrap_or("a tag you watch");
            to.add(
                user_id,
                Reason {
                    kind: "watched_tag_thread",
                    email: false,
                    title: format!("New thread tagged {tag}: “{title}”"),
                },
            );
        }
    } else {
        // The thread's watchers (its author among them, auto-subscribed)
        // hear from a job: a busy thread has thousands.
        super::watchers::enqueue(conn, ctx.clock.now(), p.post.id).await?;
    }
    to.reasons.remove(&p.actor.id);
    if to.order.is_empty() {
        return Ok(());
    }
    let muted: HashSet<i64> = if p.new_thread_tags.is_none() {
        subscribers(conn, "thread", &[p.thread.id], "muted")
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .collect()
    } else {
        HashSet::new()
    };
    let excerpt = markdown::excerpt(&p.post.body, 240);
    let link = post_link(p.thread.id, p.post);
    let mut batch = Vec::with_capacity(to.order.len());
    for user_id in to.order {
        if muted.contains(&user_id) {
            continue;
        }
        let Some(reason) = to.reasons.remove(&user_id) else {
            continue;
        };
        batch.push(NewNotification {
            user_id,
            kind: reason.kind,
            actor_id: Some(p.actor.id),
            title: reason.title,
            excerpt: excerpt.clone(),
            link: link.clone(),
            subject: Some(("post", p.post.id)),
            email: reason.email,
        });
    }
    notify_many(conn, ctx, batch).await
}

/// Notifies users newly @mentioned by an edit.
pub async fn notify_new_mentions(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    t: &thread::Model,
    p: &post::Model,
    previous_body: &str,
    mentioned: &[user::Model],
) -> AppResult<()> {
    let before: HashSet<String> = markdown::extract_mentions(previous_body)
        .into_iter()
        .collect();
    let muted: HashSet<i64> = subscribers(conn, "thread", &[t.id], "muted")
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    for u in mentioned {
        if before.contains(&u.handle) || muted.contains(&u.id) || !UserStatus::is_active(&u.status)
        {
            continue;
        }
        notify(
            conn,
            ctx,
            NewNotification {
                user_id: u.id,
                kind: "mention",
                actor_id: Some(actor.id),
                title: format!("{} mentioned you in “{}”", actor.display_name, t.title),
                excerpt: markdown::excerpt(&p.body, 240),
                link: post_link(t.id, p),
                subject: Some(("post", p.id)),
                email: true,
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_single_lines_with_collapsed_spaces() {
        assert_eq!(
            validate_title("  Hail   on the  Workbench ")
                .ok()
                .as_deref(),
            Some("Hail on the Workbench")
        );
        assert!(validate_title("two\nlines here").is_err());
        assert!(validate_title("abc").is_err());
        assert!(validate_title(&"x".repeat(TITLE_MAX + 1)).is_err());
    }
}
