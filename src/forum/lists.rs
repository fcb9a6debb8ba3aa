//! Thread lists (latest, top by period, unread; per category and per tag)
//! and a thread's posts, with keyset pagination. Each page is one query;
//! its relations resolve through the DataLoaders.

use chrono::Duration;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    ModerationState, SubscriptionLevel, SubscriptionTarget, ThreadList, TopPeriod,
    cursor::ThreadCursor, service,
};
use crate::{
    context::AppContext,
    entities::{
        forum_post as post, forum_read_state as read_state, forum_subscription as subscription,
        forum_tag as tag, forum_thread as thread, forum_thread_tag as thread_tag,
    },
    error::{AppError, AppResult},
    identity::CurrentUser,
    request::page as keyset,
};

pub struct ThreadQuery {
    pub list: ThreadList,
    pub period: TopPeriod,
    pub category_id: Option<i64>,
    pub category_slug: Option<String>,
    pub tag: Option<String>,
    /// Only solved (true) or unsolved (false) threads.
    pub solved: Option<bool>,
    pub after: Option<ThreadCursor>,
    pub limit: u64,
}

/// The score the top list ranks by.
const SCORE_SQL: &str = "(3 * like_count + 2 * reply_count + view_count / 10)";

pub fn score(t: &thread::Model) -> i64 {
    3 * i64::from(t.like_count) + 2 * i64::from(t.reply_count) + t.view_count / 10
}

/// The cursor of `t` in `list`.
pub fn cursor_for(list: ThreadList, in_category: bool, t: &thread::Model) -> ThreadCursor {
    match list {
        ThreadList::Top => ThreadCursor::Score {
            score: score(t),
            id: t.id,
        },
        ThreadList::Latest | ThreadList::Unread => ThreadCursor::Activity {
            pinned: in_category && list == ThreadList::Latest && t.pinned,
            at: t.last_activity_at,
            id: t.id,
        },
    }
}

/// Whether pinned threads lead this list: the latest list of one category.
pub fn pins_first(q: &ThreadQuery) -> bool {
    q.list == ThreadList::Latest && (q.category_id.is_some() || q.category_slug.is_some())
}

/// One page of threads, plus whether more follow. Fetches `limit + 1` rows
/// to know.
pub async fn threads(
    ctx: &AppContext,
    viewer: &CurrentUser,
    q: &ThreadQuery,
) -> AppResult<(Vec<thread::Model>, bool)> {
    let now = service::now(ctx);
    let mut query = thread::Entity::find().filter(thread::Column::DeletedAt.is_null());
    if !viewer.is_moderator() {
        query = query.filter(
            Condition::any()
                .add(thread::Column::ModerationState.eq(ModerationState::Visible.as_str()))
                .add(thread::Column::AuthorId.eq(viewer.id)),
        );
    }

    let category_id = match (&q.category_id, &q.category_slug) {
        (Some(id), _) => Some(*id),
        (None, Some(slug)) => Some(
            ctx.categories
                .by_slug(&ctx.db, slug)
                .await?
                .ok_or(AppError::NotFound("category"))?
                .id,
        ),
        (None, None) => None,
    };
    if let Some(id) = category_id {
        query = query.filter(thread::Column::CategoryId.eq(id));
    }
    let tag_id = match &q.tag {
        Some(name) => {
            let found = tag::Entity::find()
                .filter(tag::Column::Name.eq(name.trim().to_ascii_lowercase()))
                .one(&ctx.db)
                .await?
                .ok_or(AppError::NotFound("tag"))?;
            query = query.filter(
                thread::Column::Id.in_subquery(
                    Query::select()
                        .column(thread_tag::Column::ThreadId)
                        .from(thread_tag::Entity)
                        .and_where(thread_tag::Column::TagId.eq(found.id))
                        .to_owned(),
                ),
            );
            Some(found.id)
        }
        None => None,
    };
    match q.solved {
        Some(true) => query = query.filter(thread::Column::SolvedPostId.is_not_null()),
        Some(false) => query = query.filter(thread::Column::SolvedPostId.is_null()),
        None => {}
    }

    // What the viewer muted stays out of their lists, unless they are
    // looking at that very category or tag. Subqueries keep it one statement.
    let muted = |kind: SubscriptionTarget| {
        Query::select()
            .column(subscription::Column::TargetId)
            .from(subscription::Entity)
            .and_where(subscription::Column::UserId.eq(viewer.id))
            .and_where(subscription::Column::TargetType.eq(kind.as_str()))
            .and_where(subscription::Column::Level.eq(SubscriptionLevel::Muted.as_str()))
            .to_owned()
    };
    query = query.filter(thread::Column::Id.not_in_subquery(muted(SubscriptionTarget::Thread)));
    if category_id.is_none() {
        query = query.filter(
            thread::Column::CategoryId.not_in_subquery(muted(SubscriptionTarget::Category)),
        );
    }
    let mut muted_tags = muted(SubscriptionTarget::Tag);
    if let Some(tag_id) = tag_id {
        muted_tags.and_where(subscription::Column::TargetId.ne(tag_id));
    }
    query = query.filter(
        thread::Column::Id.not_in_subquery(
            Query::select()
                .column(thread_tag::Column::ThreadId)
                .from(thread_tag::Entity)
                .and_where(thread_tag::Column::TagId.in_subquery(muted_tags))
                .to_owned(),
        ),
    );

    let pins = pins_first(q);
    match q.list {
        ThreadList::Latest | ThreadList::Unread => {
            if q.list == ThreadList::Unread {
                query = query.filter(Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(read_state::Entity)
                        .and_where(read_state::Column::UserId.eq(viewer.id))
                        .and_where(
                            Expr::col((read_state::Entity, read_state::Column::ThreadId))
                                .equals((thread::Entity, thread::Column::Id)),
                        )
                        .and_where(
                            Expr::col((read_state::Entity, read_state::Column::LastReadPostNumber))
                                .lt(Expr::col((thread::Entity, thread::Column::LastPostNumber))),
                        )
                        .to_owned(),
                ));
            }
            if let Some(after) = q.after {
                let ThreadCursor::Activity { pinned, at, id } = after else {
                    return Err(AppError::validation(
                        "after",
                        "is not a cursor of this list",
                    ));
                };
                let older = Condition::any()
                    .add(thread::Column::LastActivityAt.lt(at))
                    .add(
                        Condition::all()
                            .add(thread::Column::LastActivityAt.eq(at))
                            .add(thread::Column::Id.lt(id)),
                    );
                let condition = if pins {
                    if pinned {
                        Condition::any().add(thread::Column::Pinned.eq(false)).add(
                            Condition::all()
                                .add(thread::Column::Pinned.eq(true))
                                .add(older),
                        )
                    } else {
                        Condition::all()
                            .add(thread::Column::Pinned.eq(false))
                            .add(older)
                    }
                } else {
                    older
                };
                query = query.filter(condition);
            }
            if pins {
                query = query.order_by_desc(thread::Column::Pinned);
            }
            query = query
                .order_by_desc(thread::Column::LastActivityAt)
                .order_by_desc(thread::Column::Id);
        }
        ThreadList::Top => {
            if let Some(days) = q.period.days() {
                query = query.filter(thread::Column::CreatedAt.gte(now - Duration::days(days)));
            }
            if let Some(after) = q.after {
                let ThreadCursor::Score { score, id } = after else {
                    return Err(AppError::validation(
                        "after",
                        "is not a cursor of this list",
                    ));
                };
                query = query.filter(
                    Condition::any().add(Expr::cust(SCORE_SQL).lt(score)).add(
                        Condition::all()
                            .add(Expr::cust(SCORE_SQL).eq(score))
                            .add(thread::Column::Id.lt(id)),
                    ),
                );
            }
            query = query
                .order_by(Expr::cust(SCORE_SQL), Order::Desc)
                .order_by_desc(thread::Column::Id);
        }
    }
    let rows = query
        .limit(keyset::fetch(q.limit as usize))
        .all(&ctx.db)
        .await?;
    Ok(keyset::cut(rows, q.limit as usize))
}

/// Which posts of a thread to show.
pub struct PostPage {
    /// Posts numbered above this (forward paging).
    pub after: Option<i32>,
    /// Posts numbered below this (backward paging).
    pub before: Option<i32>,
    /// Start at this post number (e.g. the first unread one).
    pub from_number: Option<i32>,
    pub limit: u64,
    /// Take the page from the end (`last`), not the start.
    pub backward: bool,
}

/// A page of a thread's posts in order. Deleted posts stay as
/// placeholders; held and hidden ones only for their author and moderators.
/// Returns the posts and whether more exist before and after them.
pub async fn posts(
    ctx: &AppContext,
    viewer: &CurrentUser,
    t: &thread::Model,
    page: &PostPage,
) -> AppResult<(Vec<post::Model>, bool, bool)> {
    let mut query = post::Entity::find().filter(post::Column::ThreadId.eq(t.id));
    if !viewer.is_moderator() {
        query = query.filter(
            Condition::any()
                .add(post::Column::ModerationState.eq(ModerationState::Visible.as_str()))
                .add(post::Column::AuthorId.eq(viewer.id)),
        );
    }
    let lower = match (page.after, page.from_number) {
        (Some(a), _) => Some(a),
        (None, Some(n)) => Some(n - 1),
        (None, None) => None,
    };
    if let Some(lower) = lower {
        query = query.filter(post::Column::Number.gt(lower));
    }
    if let Some(before) = page.before {
        query = query.filter(post::Column::Number.lt(before));
    }
    query = if page.backward {
        query.order_by_desc(post::Column::Number)
    } else {
        query.order_by_asc(post::Column::Number)
    };
    let rows = query
        .limit(keyset::fetch(page.limit as usize))
        .all(&ctx.db)
        .await?;
    let (mut rows, more) = keyset::cut(rows, page.limit as usize);
    if page.backward {
        rows.reverse();
        // Something before: the extra row; after: we started below `before`.
        Ok((rows, more, page.before.is_some()))
    } else {
        Ok((rows, lower.is_some_and(|l| l > 0), more))
    }
}
