//! What goes into one user's digest. Each domain contributes a section;
//! items the user has already read are left out, and an empty digest is
//! not sent.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::{
    context::AppContext,
    entities::{notification, user},
    error::AppResult,
    identity::CurrentUser,
};

/// Items per section: a digest is a summary, not an archive.
pub const SECTION_LIMIT: u64 = 8;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Item {
    pub title: String,
    /// Plain text; the templates escape it.
    pub excerpt: String,
    /// Absolute link into the frontend.
    pub link: String,
    pub meta: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Section {
    pub key: &'static str,
    pub title: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub sections: Vec<Section>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(|s| s.items.is_empty())
    }

    pub fn item_count(&self) -> usize {
        self.sections.iter().map(|s| s.items.len()).sum()
    }
}

pub async fn build(
    ctx: &AppContext,
    user: &user::Model,
    since: DateTime<Utc>,
) -> AppResult<Digest> {
    let mut sections = Vec::new();
    sections.push(waiting_for_you(ctx, user, since).await?);
    sections.extend(super::forum::sections(ctx, user, since).await?);
    sections.retain(|s| !s.items.is_empty());
    Ok(Digest { sections })
}

/// Unread notifications since the last digest: mentions, replies,
/// decisions on exemption requests, publication reminders, collaboration
/// requests. Read ones are what the user saw on a visit, so they stay out.
async fn waiting_for_you(
    ctx: &AppContext,
    user: &user::Model,
    since: DateTime<Utc>,
) -> AppResult<Section> {
    let rows = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user.id))
        .filter(notification::Column::ReadAt.is_null())
        .filter(notification::Column::CreatedAt.gt(since))
        // The forum section lists activity in watched categories and tags.
        .filter(
            notification::Column::Kind.is_not_in(["watched_category_thread", "watched_tag_thread"]),
        )
        .order_by_desc(notification::Column::Id)
        .limit(SECTION_LIMIT * 3)
        .all(&ctx.db)
        .await?;
    // A notification about a post the user has since read on a visit is
    // not news any more.
    let read_posts = super::forum::read_post_ids(
        &ctx.db,
        user.id,
        rows.iter()
            .filter(|n| n.subject_type.as_deref() == Some("post"))
            .filter_map(|n| n.subject_id)
            .collect(),
    )
    .await?;
    // Checked again now, as the reader would be on opening it: a post
    // hidden or a listing unpublished since the notification was written
    // stays out of the mail.
    let reader = CurrentUser::from_model(user, None);
    let closed = crate::visibility::closed(ctx, &reader, &rows).await?;
    let rows = rows
        .into_iter()
        .filter(|n| !closed.contains(&n.id))
        .filter(|n| {
            !(n.subject_type.as_deref() == Some("post")
                && n.subject_id.is_some_and(|id| read_posts.contains(&id)))
        })
        .take(SECTION_LIMIT as usize);
    Ok(Section {
        key: "waiting",
        title: "Waiting for you".into(),
        items: rows
            .into_iter()
            .map(|n| Item {
                title: n.title,
                excerpt: n.excerpt,
                link: format!("{}{}", ctx.config.public_url, n.link),
                meta: n.kind.replace('_', " "),
            })
            .collect(),
    })
}
