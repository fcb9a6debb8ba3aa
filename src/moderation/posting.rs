//! The forum's screening step: what happens to a new post or an edit
//! before it is stored. Content rules come from [`crate::screening::screen`]; the
//! rules that need the author's history (new members' first posts held,
//! their threads per day, their link limit) are applied here.
//!
//! A reject refuses the write with VALIDATION on `title` or `body` and the
//! rule's message. A hold stores the post as `held` and opens its queue
//! entry (see `queue::record_hold`); the author reads why in the post's
//! `moderationNotice`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::types::ModerationReason;
use crate::{
    context::AppContext,
    entities::{forum_thread as thread, user},
    error::{AppError, AppResult},
    forum::{ModerationState, service::ScreenRequest},
    identity::CurrentUser,
    screening::screen::{Finding, ScreenInput, Verdict, screen},
};

/// A finding as the queue stores it and the author reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    /// A `ModerationReason` storage string.
    pub code: String,
    /// Addressed to the author: what was found and how to fix it.
    pub message: String,
    /// The matched text (SSNs masked).
    pub excerpt: String,
}

impl From<&Finding> for StoredFinding {
    fn from(f: &Finding) -> Self {
        StoredFinding {
            code: f.code.to_string(),
            message: f.message.clone(),
            excerpt: f.excerpt.chars().take(200).collect(),
        }
    }
}

impl StoredFinding {
    pub fn reason(&self) -> Option<ModerationReason> {
        ModerationReason::parse(&self.code)
    }
}

/// What screening decided about a post.
#[derive(Clone, Debug, Default)]
pub struct Screened {
    /// Findings that hold the post.
    pub findings: Vec<StoredFinding>,
    /// One of the author's first posts, held for review.
    pub first_post: bool,
}

impl Screened {
    pub fn holds(&self) -> bool {
        self.first_post || !self.findings.is_empty()
    }

    /// The state of a new post.
    pub fn state(&self) -> ModerationState {
        if self.holds() {
            ModerationState::Held
        } else {
            ModerationState::Visible
        }
    }

    /// The state an edit moves a post to, if any: a visible post that now
    /// trips a rule is held. An edit never publishes held or hidden content;
    /// a moderator does (the entry is reopened for them).
    pub fn state_after_edit(&self, previous: ModerationState) -> Option<ModerationState> {
        (previous == ModerationState::Visible && self.holds()).then_some(ModerationState::Held)
    }
}

/// How many posts an author has written, and how many of them are
/// published.
#[derive(Clone, Copy, Debug)]
struct History {
    total: u32,
    approved: u32,
}

async fn history(conn: &impl ConnectionTrait, author_id: i64) -> AppResult<History> {
    let row = conn
        .query_one_raw(crate::db::statement(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS total,
                    COUNT(CASE WHEN moderation_state = 'visible' THEN 1 END) AS approved
             FROM forum_posts WHERE author_id = ?",
            [author_id.into()],
        ))
        .await?;
    let (total, approved) = match row {
        Some(row) => (
            row.try_get::<i64>("", "total")?,
            row.try_get::<i64>("", "approved")?,
        ),
        None => (0, 0),
    };
    Ok(History {
        total: u32::try_from(total).unwrap_or(u32::MAX),
        approved: u32::try_from(approved).unwrap_or(u32::MAX),
    })
}

/// The author's standing: staff (moderators, reviewers, admins) are never
/// "new"; anyone else is until enough of their posts are published.
async fn author_history(
    conn: &impl ConnectionTrait,
    request: &ScreenRequest<'_>,
) -> AppResult<Option<History>> {
    let staff = if request.author_id == request.viewer.id {
        request.viewer.is_staff()
    } else {
        let author = user::Entity::find_by_id(request.author_id)
            .one(conn)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        CurrentUser::from_model(&author, None).is_staff()
    };
    if staff {
        return Ok(None);
    }
    Ok(Some(history(conn, request.author_id).await?))
}

/// Screens a new thread's opening post or a reply. New members' threads
/// per day are enforced here: over the limit is RATE_LIMITED, with
/// `retryAfter` saying when the oldest of the day's threads stops counting.
pub async fn screen_new_post(
    ctx: &AppContext,
    conn: &impl ConnectionTrait,
    request: &ScreenRequest<'_>,
) -> AppResult<Screened> {
    let rules = &ctx.rules.new_users;
    let history = author_history(conn, request).await?;
    let is_new = history.is_some_and(|h| rules.is_new(h.approved));
    if request.title.is_some() && is_new {
        threads_per_day(ctx, conn, request.author_id).await?;
    }
    let mut screened = screen_content(ctx, request.title, request.body, is_new)?;
    screened.first_post = history.is_some_and(|h| rules.hold_next_post(h.total));
    Ok(screened)
}

/// Screens an edit (of the body, or of a thread's title with its opening
/// post), judged by the author's standing rather than the editor's.
pub async fn screen_edit(
    ctx: &AppContext,
    conn: &impl ConnectionTrait,
    request: &ScreenRequest<'_>,
) -> AppResult<Screened> {
    let history = author_history(conn, request).await?;
    let is_new = history.is_some_and(|h| ctx.rules.new_users.is_new(h.approved));
    screen_content(ctx, request.title, request.body, is_new)
}

/// The content rules alone. A reject becomes VALIDATION on the part that
/// tripped it.
pub fn screen_content(
    ctx: &AppContext,
    title: Option<&str>,
    body: &str,
    author_is_new: bool,
) -> AppResult<Screened> {
    let screening = screen(
        &ctx.rules,
        &ScreenInput {
            title,
            body_markdown: body,
            author_is_new,
        },
    );
    if screening.verdict == Verdict::Reject {
        let title_rejected = title.is_some_and(|t| {
            screen(
                &ctx.rules,
                &ScreenInput {
                    title: None,
                    body_markdown: t,
                    author_is_new: false,
                },
            )
            .verdict
                == Verdict::Reject
        });
        let message = screening
            .findings
            .iter()
            .filter(|f| f.action == Verdict::Reject)
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        return Err(AppError::validation(
            if title_rejected { "title" } else { "body" },
            message,
        ));
    }
    Ok(Screened {
        findings: screening
            .findings
            .iter()
            .filter(|f| f.action >= Verdict::Hold)
            .map(StoredFinding::from)
            .collect(),
        first_post: false,
    })
}

/// New members may start `new_user_threads_per_day` threads in any 24 hours.
async fn threads_per_day(
    ctx: &AppContext,
    conn: &impl ConnectionTrait,
    author_id: i64,
) -> AppResult<()> {
    let per_day = ctx.rules.new_users.new_user_threads_per_day as usize;
    let now = crate::forum::service::now(ctx);
    let since = now - Duration::hours(24);
    let recent: Vec<DateTime<Utc>> = thread::Entity::find()
        .select_only()
        .column(thread::Column::CreatedAt)
        .filter(thread::Column::AuthorId.eq(author_id))
        .filter(thread::Column::CreatedAt.gt(since))
        .order_by_desc(thread::Column::CreatedAt)
        .limit(per_day as u64)
        .into_tuple()
        .all(conn)
        .await?;
    if recent.len() < per_day {
        return Ok(());
    }
    // The oldest of the newest `per_day` threads frees a slot first.
    let frees_at = recent
        .last()
        .map_or(now, |oldest| *oldest + Duration::hours(24));
    let wait = (frees_at - now)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1));
    Err(AppError::RateLimited { retry_after: wait })
}
