//! The reader's own state: last-read post per thread (and view counts),
//! subscriptions, bookmarks and drafts.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::{
    BODY_MAX, MAX_DRAFTS, SubscriptionLevel, SubscriptionTarget, TITLE_MAX, VIEW_WINDOW_MINUTES,
    service,
};
use crate::{
    context::AppContext,
    db::Reach,
    entities::{
        forum_bookmark as bookmark, forum_draft as draft, forum_post as post,
        forum_read_state as read_state, forum_subscription as subscription, forum_tag as tag,
        forum_thread as thread,
    },
    error::{AppError, AppResult},
    identity::CurrentUser,
    validate,
};

/// Records that the viewer has read a thread up to post `up_to` (the whole
/// thread when `None`). The last-read post only moves forward. A visit
/// counts as a view once per user and thread per hour.
pub async fn mark_read(
    ctx: &AppContext,
    viewer: &CurrentUser,
    thread_id: i64,
    up_to: Option<i32>,
) -> AppResult<thread::Model> {
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    // The member's own reading state: nobody else's cached reads change.
    txn.reaches(Reach::Member(viewer.id));
    let t = service::thread_for(&txn, viewer, thread_id).await?;
    let number = up_to
        .unwrap_or(t.post_number_seq)
        .clamp(0, t.post_number_seq);
    let existing = read_state::Entity::find_by_id((viewer.id, t.id))
        .one(&txn)
        .await?;
    let counts_as_view = match &existing {
        None => true,
        Some(r) => now - r.last_viewed_at >= Duration::minutes(VIEW_WINDOW_MINUTES),
    };
    match existing {
        None => {
            read_state::Entity::insert(read_state::ActiveModel {
                user_id: Set(viewer.id),
                thread_id: Set(t.id),
                last_read_post_number: Set(number),
                last_viewed_at: Set(now),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([read_state::Column::UserId, read_state::Column::ThreadId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        Some(r) => {
            let mut update = read_state::Entity::update_many()
                .col_expr(read_state::Column::UpdatedAt, Expr::value(now))
                .filter(read_state::Column::UserId.eq(viewer.id))
                .filter(read_state::Column::ThreadId.eq(t.id));
            if number > r.last_read_post_number {
                update =
                    update.col_expr(read_state::Column::LastReadPostNumber, Expr::value(number));
            }
            if counts_as_view {
                update = update.col_expr(read_state::Column::LastViewedAt, Expr::value(now));
            }
            update.exec(&txn).await?;
        }
    }
    if counts_as_view {
        thread::Entity::update_many()
            .col_expr(
                thread::Column::ViewCount,
                Expr::col(thread::Column::ViewCount).add(1),
            )
            .filter(thread::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
    }
    let t = service::thread_for(&txn, viewer, t.id).await?;
    txn.commit().await?;
    Ok(t)
}

/// Sets the viewer's level on a thread, category or tag. Muting hides it
/// from the viewer's lists and silences its notifications.
pub async fn set_subscription(
    ctx: &AppContext,
    viewer: &CurrentUser,
    target: SubscriptionTarget,
    target_id: i64,
    level: SubscriptionLevel,
) -> AppResult<subscription::Model> {
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    // The member's own reading state: nobody else's cached reads change.
    txn.reaches(Reach::Member(viewer.id));
    match target {
        SubscriptionTarget::Thread => {
            service::thread_for(&txn, viewer, target_id).await?;
        }
        SubscriptionTarget::Category => {
            service::find_category(&txn, target_id).await?;
        }
        SubscriptionTarget::Tag => {
            tag::Entity::find_by_id(target_id)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("tag"))?;
        }
    }
    subscription::Entity::insert(subscription::ActiveModel {
        user_id: Set(viewer.id),
        target_type: Set(target.as_str().into()),
        target_id: Set(target_id),
        level: Set(level.as_str().into()),
        reason: Set("manual".into()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            subscription::Column::UserId,
            subscription::Column::TargetType,
            subscription::Column::TargetId,
        ])
        .update_columns([
            subscription::Column::Level,
            subscription::Column::Reason,
            subscription::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let saved =
        subscription::Entity::find_by_id((viewer.id, target.as_str().to_string(), target_id))
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound("subscription"))?;
    txn.commit().await?;
    Ok(saved)
}

/// The viewer's explicit and automatic subscriptions, other than "normal".
pub async fn subscriptions(
    ctx: &AppContext,
    viewer: &CurrentUser,
) -> AppResult<Vec<subscription::Model>> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(viewer.id))
        .filter(subscription::Column::Level.ne("normal"))
        .order_by_desc(subscription::Column::UpdatedAt)
        .limit(500)
        .all(&ctx.db)
        .await?)
}

/// Bookmarks a post the viewer can see (idempotent).
pub async fn bookmark(
    ctx: &AppContext,
    viewer: &CurrentUser,
    post_id: i64,
    on: bool,
) -> AppResult<post::Model> {
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    // The member's own reading state: nobody else's cached reads change.
    txn.reaches(Reach::Member(viewer.id));
    let (p, _) = service::post_for(&txn, viewer, post_id).await?;
    if on {
        bookmark::Entity::insert(bookmark::ActiveModel {
            user_id: Set(viewer.id),
            post_id: Set(p.id),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([bookmark::Column::UserId, bookmark::Column::PostId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    } else {
        bookmark::Entity::delete_many()
            .filter(bookmark::Column::UserId.eq(viewer.id))
            .filter(bookmark::Column::PostId.eq(p.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(p)
}

/// A page of the viewer's bookmarks, newest first, after a (time, post id)
/// position.
pub async fn bookmarks(
    ctx: &AppContext,
    viewer: &CurrentUser,
    after: Option<(chrono::DateTime<chrono::Utc>, i64)>,
    limit: u64,
) -> AppResult<Vec<bookmark::Model>> {
    let mut query = bookmark::Entity::find()
        .filter(bookmark::Column::UserId.eq(viewer.id))
        .order_by_desc(bookmark::Column::CreatedAt)
        .order_by_desc(bookmark::Column::PostId)
        .limit(limit);
    if let Some((at, post_id)) = after {
        query = query.filter(
            sea_orm::Condition::any()
                .add(bookmark::Column::CreatedAt.lt(at))
                .add(
                    sea_orm::Condition::all()
                        .add(bookmark::Column::CreatedAt.eq(at))
                        .add(bookmark::Column::PostId.lt(post_id)),
                ),
        );
    }
    Ok(query.all(&ctx.db).await?)
}

/// Draft keys: `new_thread`, `reply:<thread id>` or `edit:<post id>`.
pub fn validate_draft_key(key: &str) -> AppResult<String> {
    let key = key.trim();
    let ok = key == "new_thread"
        || key
            .strip_prefix("reply:")
            .or_else(|| key.strip_prefix("edit:"))
            .and_then(|id| id.parse::<i64>().ok())
            .is_some_and(|id| id > 0);
    if ok {
        Ok(key.to_string())
    } else {
        Err(AppError::validation(
            "key",
            "use new_thread, reply:<thread id> or edit:<post id>",
        ))
    }
}

pub struct DraftInput {
    pub key: String,
    pub title: Option<String>,
    pub body: String,
    /// JSON object chosen by the client (category, tags, reply-to, quote).
    pub payload: Option<String>,
    /// The version the client last saw; a different stored version is a
    /// CONFLICT (another tab saved in between). None overwrites.
    pub version: Option<i32>,
}

/// Saves a draft server-side, so a long reply survives a failed request or
/// a closed tab. Each save bumps the version.
pub async fn save_draft(
    ctx: &AppContext,
    viewer: &CurrentUser,
    input: DraftInput,
) -> AppResult<draft::Model> {
    let key = validate_draft_key(&input.key)?;
    // Drafts may be empty or short, but never larger than a post.
    let body = validate::text("body", &input.body, 0, BODY_MAX)?;
    let title = validate::text("title", input.title.as_deref().unwrap_or(""), 0, TITLE_MAX)?;
    let payload = match input.payload.as_deref().map(str::trim) {
        None | Some("") => "{}".to_string(),
        Some(p) => {
            if p.len() > 4000 {
                return Err(AppError::validation("payload", "is too large"));
            }
            match serde_json::from_str::<serde_json::Value>(p) {
                Ok(v) if v.is_object() => v.to_string(),
                _ => return Err(AppError::validation("payload", "must be a JSON object")),
            }
        }
    };
    let now = service::now(ctx);
    let txn = ctx.write().await?;
    // The member's own reading state: nobody else's cached reads change.
    txn.reaches(Reach::Member(viewer.id));
    let existing = draft::Entity::find()
        .filter(draft::Column::UserId.eq(viewer.id))
        .filter(draft::Column::DraftKey.eq(&key))
        .one(&txn)
        .await?;
    let saved = match existing {
        Some(d) => {
            if let Some(expected) = input.version
                && expected != d.version
            {
                return Err(AppError::conflict_on(
                    "version",
                    "this draft was saved elsewhere since you opened it",
                ));
            }
            let version = d.version + 1;
            let mut active: draft::ActiveModel = d.into();
            active.title = Set(title);
            active.body = Set(body);
            active.payload = Set(payload);
            active.version = Set(version);
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            let count = draft::Entity::find()
                .filter(draft::Column::UserId.eq(viewer.id))
                .count(&txn)
                .await?;
            if count >= MAX_DRAFTS {
                return Err(AppError::validation(
                    "key",
                    format!("you can keep at most {MAX_DRAFTS} drafts; delete some first"),
                ));
            }
            draft::ActiveModel {
                user_id: Set(viewer.id),
                draft_key: Set(key),
                title: Set(title),
                body: Set(body),
                payload: Set(payload),
                version: Set(1),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

pub async fn draft(
    ctx: &AppContext,
    viewer: &CurrentUser,
    key: &str,
) -> AppResult<Option<draft::Model>> {
    let key = validate_draft_key(key)?;
    Ok(draft::Entity::find()
        .filter(draft::Column::UserId.eq(viewer.id))
        .filter(draft::Column::DraftKey.eq(key))
        .one(&ctx.db)
        .await?)
}

pub async fn drafts(ctx: &AppContext, viewer: &CurrentUser) -> AppResult<Vec<draft::Model>> {
    Ok(draft::Entity::find()
        .filter(draft::Column::UserId.eq(viewer.id))
        .order_by_desc(draft::Column::UpdatedAt)
        .all(&ctx.db)
        .await?)
}

pub async fn delete_draft(ctx: &AppContext, viewer: &CurrentUser, key: &str) -> AppResult<bool> {
    let key = validate_draft_key(key)?;
    let txn = ctx.write().await?;
    txn.reaches(Reach::Member(viewer.id));
    let deleted = draft::Entity::delete_many()
        .filter(draft::Column::UserId.eq(viewer.id))
        .filter(draft::Column::DraftKey.eq(key))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(deleted.rows_affected > 0)
}
