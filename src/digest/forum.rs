//! The forum's sections of a digest: activity in what the user watches, the
//! period's top threads, and unanswered questions in their areas. Threads
//! the user has already read to the end are left out.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::content::{Item, SECTION_LIMIT, Section};
use crate::{
    context::AppContext,
    entities::{
        forum_category, forum_post, forum_read_state, forum_subscription, forum_tag, forum_thread,
        forum_thread_tag, profile_term, user,
    },
    error::AppResult,
    markdown,
};

/// How far back "unanswered" reaches, in days.
const UNANSWERED_WINDOW_DAYS: i64 = 30;

pub async fn sections(
    ctx: &AppContext,
    user: &user::Model,
    since: DateTime<Utc>,
) -> AppResult<Vec<Section>> {
    let db = &ctx.db;
    let subscriptions = forum_subscription::Entity::find()
        .filter(forum_subscription::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    let of = |kind: &str, level: &str| -> HashSet<i64> {
        subscriptions
            .iter()
            .filter(|s| s.target_type == kind && s.level == level)
            .map(|s| s.target_id)
            .collect()
    };
    let watched_threads: HashSet<i64> = subscriptions
        .iter()
        .filter(|s| s.target_type == "thread" && s.level != "muted")
        .map(|s| s.target_id)
        .collect();
    let watched_categories = of("category", "watching");
    let watched_tags = of("tag", "watching");
    let muted_threads = of("thread", "muted");
    let muted_categories = of("category", "muted");

    // Recently active, visible threads: the pool every section draws from.
    let active: Vec<forum_thread::Model> = forum_thread::Entity::find()
        .filter(forum_thread::Column::LastActivityAt.gt(since))
        .filter(forum_thread::Column::DeletedAt.is_null())
        .filter(forum_thread::Column::ModerationState.eq("visible"))
        .order_by_desc(forum_thread::Column::LastActivityAt)
        .limit(500)
        .all(db)
        .await?;
    let ids: Vec<i64> = active.iter().map(|t| t.id).collect();
    let tags_by_thread = thread_tags(db, &ids).await?;
    let read = read_upto(db, user.id, &ids).await?;
    let unread = |t: &forum_thread::Model| {
        t.author_id != user.id
            && read.get(&t.id).is_none_or(|n| *n < t.last_post_number)
            && !muted_threads.contains(&t.id)
            && !muted_categories.contains(&t.category_id)
    };

    let watched: Vec<&forum_thread::Model> = active
        .iter()
        .filter(|t| unread(t))
        .filter(|t| {
            watched_threads.contains(&t.id)
                || watched_categories.contains(&t.category_id)
                || tags_by_thread
                    .get(&t.id)
                    .is_some_and(|tags| tags.iter().any(|(id, _)| watched_tags.contains(id)))
        })
        .take(SECTION_LIMIT as usize)
        .collect();
    let shown: HashSet<i64> = watched.iter().map(|t| t.id).collect();

    let mut top: Vec<&forum_thread::Model> = active
        .iter()
        .filter(|t| t.created_at > since && unread(t) && !shown.contains(&t.id))
        .collect();
    top.sort_by_key(|t| (std::cmp::Reverse(t.like_count * 2 + t.reply_count), t.id));
    top.truncate(5);
    let shown: HashSet<i64> = shown
        .union(&top.iter().map(|t| t.id).collect())
        .copied()
        .collect();

    let areas: HashSet<String> = profile_term::Entity::find()
        .filter(profile_term::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.term_key.to_lowercase())
        .collect();
    let unanswered: Vec<forum_thread::Model> = if areas.is_empty() {
        Vec::new()
    } else {
        let recent: Vec<forum_thread::Model> = forum_thread::Entity::find()
            .filter(forum_thread::Column::ReplyCount.eq(0))
            .filter(forum_thread::Column::SolvedPostId.is_null())
            .filter(forum_thread::Column::DeletedAt.is_null())
            .filter(forum_thread::Column::ModerationState.eq("visible"))
            .filter(
                forum_thread::Column::CreatedAt
                    .gt(ctx.clock.now() - chrono::Duration::days(UNANSWERED_WINDOW_DAYS)),
            )
            .filter(forum_thread::Column::AuthorId.ne(user.id))
            .order_by_desc(forum_thread::Column::CreatedAt)
            .limit(200)
            .all(db)
            .await?;
        let recent_ids: Vec<i64> = recent.iter().map(|t| t.id).collect();
        let recent_tags = thread_tags(db, &recent_ids).await?;
        recent
            .into_iter()
            .filter(|t| !shown.contains(&t.id))
            .filter(|t| {
                let title = t.title.to_lowercase();
                recent_tags.get(&t.id).is_some_and(|tags| {
                    tags.iter()
                        .any(|(_, name)| areas.contains(&name.to_lowercase()))
                }) || areas
                    .iter()
                    .any(|a| a.len() > 3 && title.contains(a.as_str()))
            })
            .take(5)
            .collect()
    };

    let mut wanted: Vec<&forum_thread::Model> = watched.iter().chain(top.iter()).copied().collect();
    wanted.extend(unanswered.iter());
    let first_posts = first_post_excerpts(db, &wanted).await?;
    let categories: HashMap<i64, String> = forum_category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let item = |t: &forum_thread::Model, meta: String| Item {
        title: t.title.clone(),
        excerpt: first_posts.get(&t.id).cloned().unwrap_or_default(),
        link: format!("{}/t/{}", ctx.config.public_url, t.id),
        meta,
    };
    let category =
        |t: &forum_thread::Model| categories.get(&t.category_id).cloned().unwrap_or_default();
    Ok(vec![
        Section {
            key: "watched",
            title: "New in what you watch".into(),
            items: watched
                .iter()
                .map(|t| {
                    let replies = match t.reply_count {
                        0 => "new thread".to_string(),
                        1 => "1 reply".to_string(),
                        n => format!("{n} replies"),
                    };
                    item(t, format!("{} · {replies}", category(t)))
                })
                .collect(),
        },
        Section {
            key: "top",
            title: "Top threads".into(),
            items: top
                .iter()
                .map(|t| item(t, format!("{} · {} likes", category(t), t.like_count)))
                .collect(),
        },
        Section {
            key: "unanswered",
            title: "Unanswered in your areas".into(),
            items: unanswered
                .iter()
                .map(|t| item(t, format!("{} · no replies yet", category(t))))
                .collect(),
        },
    ])
}

async fn thread_tags(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(i64, String)>>> {
    let links = forum_thread_tag::Entity::find()
        .filter(forum_thread_tag::Column::ThreadId.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let names: HashMap<i64, String> = forum_tag::Entity::find()
        .filter(forum_tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for link in links {
        if let Some(name) = names.get(&link.tag_id) {
            out.entry(link.thread_id)
                .or_default()
                .push((link.tag_id, name.clone()));
        }
    }
    Ok(out)
}

/// The last post number the user has read in each thread.
async fn read_upto(
    conn: &impl ConnectionTrait,
    user_id: i64,
    ids: &[i64],
) -> AppResult<HashMap<i64, i32>> {
    Ok(forum_read_state::Entity::find()
        .filter(forum_read_state::Column::UserId.eq(user_id))
        .filter(forum_read_state::Column::ThreadId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.thread_id, r.last_read_post_number))
        .collect())
}

async fn first_post_excerpts(
    conn: &impl ConnectionTrait,
    threads: &[&forum_thread::Model],
) -> AppResult<HashMap<i64, String>> {
    let ids: Vec<i64> = threads.iter().filter_map(|t| t.first_post_id).collect();
    // A first post that is held, hidden or deleted lends the thread no
    // excerpt, though the thread itself is visible.
    Ok(forum_post::Entity::find()
        .filter(forum_post::Column::Id.is_in(ids))
        .filter(forum_post::Column::ModerationState.eq("visible"))
        .filter(forum_post::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.thread_id, markdown::excerpt(&p.body, 220)))
        .collect())
}

/// Which of `post_ids` the user has read (their thread's read marker is at
/// or past the post).
pub async fn read_post_ids(
    conn: &impl ConnectionTrait,
    user_id: i64,
    post_ids: Vec<i64>,
) -> AppResult<HashSet<i64>> {
    if post_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let posts = forum_post::Entity::find()
        .filter(forum_post::Column::Id.is_in(post_ids))
        .all(conn)
        .await?;
    let threads: Vec<i64> = posts.iter().map(|p| p.thread_id).collect();
    let read = read_upto(conn, user_id, &threads).await?;
    Ok(posts
        .into_iter()
        .filter(|p| read.get(&p.thread_id).is_some_and(|n| *n >= p.number))
        .map(|p| p.id)
        .collect())
}
