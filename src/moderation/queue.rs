//! The moderation queue: one entry per post (a thread is its opening
//! post) holding its flags, rule holds and first-post holds, with a status,
//! a priority, the reasons and the history.
//!
//! An entry is reused across review rounds: when something new happens to
//! a decided post (a flag, an edit), the entry is reopened with fresh
//! reasons and score, and its history carries on.
//!
//! Concurrency. Every change locks the entry row first (`FOR UPDATE` on
//! PostgreSQL; SQLite write transactions are already exclusive) and writes
//! with `WHERE version = ?`, bumping the version. A decision names the
//! version the moderator saw: if anything changed since (another
//! moderator's decision, a new flag), the decision is refused with CONFLICT.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::json;

use super::{
    audit::{self, AuditEntry},
    posting::{Screened, StoredFinding},
    types::{
        FlagStatus, ModerationAction, ModerationEventKind, ModerationItemStatus,
        ModerationPriority, ModerationReason, ModerationTargetType,
    },
};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        forum_post as post, forum_thread as thread, moderation_flag as flag,
        moderation_queue_entry as entry, moderation_queue_event as event,
        moderation_queue_reason as reason, user,
    },
    error::{AppError, AppResult},
    forum::{ModerationState, posts::apply_moderation_state, service as forum},
    identity::CurrentUser,
    markdown,
    notifications::service::{NewNotification, notify},
    validate,
};

/// A claim keeps other moderators off an entry for this long; after that
/// anyone may take it over.
pub const CLAIM_MINUTES: i64 = 30;
/// Decision reasons, in characters.
pub const REASON_MAX: usize = 1000;

fn not_found() -> AppError {
    AppError::NotFound("moderation item")
}

pub fn target_of(e: &entry::Model) -> (ModerationTargetType, i64) {
    if e.target_type == ModerationTargetType::Thread.as_str() {
        (ModerationTargetType::Thread, e.thread_id)
    } else {
        (ModerationTargetType::Post, e.post_id)
    }
}

pub fn status_of(e: &entry::Model) -> ModerationItemStatus {
    ModerationItemStatus::parse(&e.status).unwrap_or(ModerationItemStatus::Pending)
}

pub fn findings_of(e: &entry::Model) -> Vec<StoredFinding> {
    serde_json::from_str(&e.findings).unwrap_or_default()
}

fn is_pending(e: &entry::Model) -> bool {
    e.status == ModerationItemStatus::Pending.as_str()
}

/// Whether someone other than `actor` holds a live claim.
fn claimed_by_other(e: &entry::Model, actor: &CurrentUser, now: DateTime<Utc>) -> Option<i64> {
    match (e.claimed_by, e.claimed_at) {
        (Some(by), Some(at)) if by != actor.id && at > now - Duration::minutes(CLAIM_MINUTES) => {
            Some(by)
        }
        _ => None,
    }
}

async fn lock(conn: &impl ConnectionTrait, id: i64) -> AppResult<entry::Model> {
    entry::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

/// The post's entry, locked, if it has one.
pub async fn lock_for_post(
    conn: &impl ConnectionTrait,
    post_id: i64,
) -> AppResult<Option<entry::Model>> {
    Ok(entry::Entity::find()
        .filter(entry::Column::PostId.eq(post_id))
        .lock_exclusive()
        .one(conn)
        .await?)
}

/// The post's entry, created (pending, empty) when it has none, and locked.
/// Returns whether it was created.
pub async fn entry_for_post(
    conn: &impl ConnectionTrait,
    p: &post::Model,
    now: DateTime<Utc>,
) -> AppResult<(entry::Model, bool)> {
    let target = if p.number <= 1 {
        ModerationTargetType::Thread
    } else {
        ModerationTargetType::Post
    };
    // Concurrent first flags on one post: one insert wins, the other finds it.
    let inserted = entry::Entity::insert(entry::ActiveModel {
        post_id: Set(p.id),
        thread_id: Set(p.thread_id),
        target_type: Set(target.as_str().into()),
        author_id: Set(p.author_id),
        status: Set(ModerationItemStatus::Pending.as_str().into()),
        priority: Set(ModerationPriority::Normal.level()),
        score: Set(0),
        flag_count: Set(0),
        first_post: Set(false),
        hidden_by_flags: Set(false),
        findings: Set("[]".into()),
        claimed_by: Set(None),
        claimed_at: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(String::new()),
        version: Set(1),
        opened_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(entry::Column::PostId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let e = lock_for_post(conn, p.id).await?.ok_or_else(not_found)?;
    Ok((e, inserted > 0))
}

/// Writes `after` if the entry is still at `before`'s version, bumping it.
pub async fn save(
    conn: &impl ConnectionTrait,
    before: &entry::Model,
    mut after: entry::Model,
    now: DateTime<Utc>,
) -> AppResult<entry::Model> {
    after.version = before.version + 1;
    after.updated_at = now;
    let mut active = after.into_active_model().reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(before.id);
    match entry::Entity::update(active)
        .validate()?
        .filter(entry::Column::Version.eq(before.version))
        .exec(conn)
        .await
    {
        Ok(model) => Ok(model),
        Err(DbErr::RecordNotUpdated) => Err(AppError::conflict_on(
            "expectedVersion",
            "this item changed while you were acting on it; reload it and try again",
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn add_event(
    conn: &impl ConnectionTrait,
    entry_id: i64,
    actor_id: Option<i64>,
    kind: ModerationEventKind,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    event::ActiveModel {
        entry_id: Set(entry_id),
        actor_id: Set(actor_id),
        kind: Set(kind.as_str().into()),
        note: Set(note.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Adds `n` to a reason of this round.
pub async fn add_reason(
    conn: &impl ConnectionTrait,
    entry_id: i64,
    code: ModerationReason,
    n: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let existing = reason::Entity::find()
        .filter(reason::Column::EntryId.eq(entry_id))
        .filter(reason::Column::Code.eq(code.as_str()))
        .one(conn)
        .await?;
    match existing {
        Some(r) => {
            reason::Entity::update_many()
                .col_expr(reason::Column::Count, Expr::value(r.count + n))
                .filter(reason::Column::EntryId.eq(entry_id))
                .filter(reason::Column::Code.eq(code.as_str()))
                .exec(conn)
                .await?;
        }
        None => {
            reason::ActiveModel {
                entry_id: Set(entry_id),
                code: Set(code.as_str().into()),
                count: Set(n),
                created_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Replaces the screening's reasons (rule codes and the first-post hold);
/// flag reasons stay.
async fn set_screening_reasons(
    conn: &impl ConnectionTrait,
    e: &entry::Model,
    findings: &[StoredFinding],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let screening_codes: Vec<&str> = ModerationReason::ALL
        .iter()
        .filter(|r| !r.is_flag())
        .map(|r| r.as_str())
        .collect();
    reason::Entity::delete_many()
        .filter(reason::Column::EntryId.eq(e.id))
        .filter(reason::Column::Code.is_in(screening_codes))
        .exec(conn)
        .await?;
    let mut counts: Vec<(ModerationReason, i32)> = Vec::new();
    for f in findings {
        let Some(r) = f.reason() else { continue };
        match counts.iter_mut().find(|(c, _)| *c == r) {
            Some((_, n)) => *n += 1,
            None => counts.push((r, 1)),
        }
    }
    if e.first_post {
        counts.push((ModerationReason::NewUser, 1));
    }
    for (code, n) in counts {
        add_reason(conn, e.id, code, n, now).await?;
    }
    Ok(())
}

pub async fn reasons_of(
    conn: &impl ConnectionTrait,
    entry_id: i64,
) -> AppResult<Vec<ModerationReason>> {
    let codes: Vec<String> = reason::Entity::find()
        .select_only()
        .column(reason::Column::Code)
        .filter(reason::Column::EntryId.eq(entry_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(codes
        .iter()
        .filter_map(|c| ModerationReason::parse(c))
        .collect())
}

/// Privacy first; then content withheld from members; then the rest.
pub async fn refresh_priority(
    conn: &impl ConnectionTrait,
    e: &mut entry::Model,
    state: ModerationState,
) -> AppResult<()> {
    let reasons = reasons_of(conn, e.id).await?;
    let priority = if reasons.iter().any(|r| r.is_privacy()) {
        ModerationPriority::Urgent
    } else if state != ModerationState::Visible {
        ModerationPriority::High
    } else {
        ModerationPriority::Normal
    };
    e.priority = priority.level();
    Ok(())
}

/// Starts a new review round on a decided entry: fresh reasons and score.
pub async fn reopen(
    conn: &impl ConnectionTrait,
    e: &mut entry::Model,
    actor_id: Option<i64>,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if is_pending(e) {
        return Ok(());
    }
    reason::Entity::delete_many()
        .filter(reason::Column::EntryId.eq(e.id))
        .exec(conn)
        .await?;
    e.status = ModerationItemStatus::Pending.as_str().into();
    e.score = 0;
    e.flag_count = 0;
    e.first_post = false;
    e.hidden_by_flags = false;
    e.claimed_by = None;
    e.claimed_at = None;
    e.decided_by = None;
    e.decided_at = None;
    e.decision_reason = String::new();
    e.opened_at = now;
    add_event(
        conn,
        e.id,
        actor_id,
        ModerationEventKind::Reopened,
        note,
        now,
    )
    .await
}

fn codes_note(s: &Screened) -> String {
    let mut codes: Vec<&str> = Vec::new();
    if s.first_post {
        codes.push(ModerationReason::NewUser.as_str());
    }
    for f in &s.findings {
        if !codes.contains(&f.code.as_str()) {
            codes.push(&f.code);
        }
    }
    codes.join(", ")
}

/// Screening held `p` (already stored as held): opens or updates its entry.
/// Called in the write's transaction.
pub async fn record_hold(
    conn: &impl ConnectionTrait,
    ctx: &AppContext,
    p: &post::Model,
    s: &Screened,
    actor_id: Option<i64>,
) -> AppResult<entry::Model> {
    let now = forum::now(ctx);
    let (before, created) = entry_for_post(conn, p, now).await?;
    let mut e = before.clone();
    if !created {
        reopen(conn, &mut e, actor_id, "held again", now).await?;
    }
    e.findings = serde_json::to_string(&s.findings).map_err(AppError::internal)?;
    e.first_post = e.first_post || s.first_post;
    set_screening_reasons(conn, &e, &s.findings, now).await?;
    add_event(
        conn,
        e.id,
        None,
        ModerationEventKind::Held,
        &codes_note(s),
        now,
    )
    .await?;
    refresh_priority(conn, &mut e, ModerationState::Held).await?;
    save(conn, &before, e, now).await
}

/// After an edit (already stored): a post the edit held opens its entry;
/// held or hidden content gets the new findings, and a decided entry is
/// reopened so a moderator looks again. Published content that passes
/// screening is left alone.
pub async fn after_edit(
    conn: &impl ConnectionTrait,
    ctx: &AppContext,
    editor: &CurrentUser,
    p: &post::Model,
    previous: ModerationState,
    s: &Screened,
) -> AppResult<()> {
    if previous == ModerationState::Visible {
        if s.holds() {
            record_hold(conn, ctx, p, s, Some(editor.id)).await?;
        }
        return Ok(());
    }
    let now = forum::now(ctx);
    let (before, _) = entry_for_post(conn, p, now).await?;
    let mut e = before.clone();
    reopen(
        conn,
        &mut e,
        Some(editor.id),
        "edited after the decision",
        now,
    )
    .await?;
    e.findings = serde_json::to_string(&s.findings).map_err(AppError::internal)?;
    set_screening_reasons(conn, &e, &s.findings, now).await?;
    let note = if s.findings.is_empty() {
        "the screening rules no longer hold it".to_string()
    } else {
        format!("still held: {}", codes_note(s))
    };
    add_event(
        conn,
        e.id,
        Some(editor.id),
        ModerationEventKind::Edited,
        &note,
        now,
    )
    .await?;
    refresh_priority(conn, &mut e, ModerationState::parse(&p.moderation_state)).await?;
    save(conn, &before, e, now).await?;
    Ok(())
}

/// Resolves this round's open flags.
pub async fn resolve_flags(
    conn: &impl ConnectionTrait,
    entry_id: i64,
    status: FlagStatus,
    now: DateTime<Utc>,
) -> AppResult<()> {
    flag::Entity::update_many()
        .col_expr(flag::Column::Status, Expr::value(status.as_str()))
        .col_expr(flag::Column::ResolvedAt, Expr::value(now))
        .filter(flag::Column::EntryId.eq(entry_id))
        .filter(flag::Column::Status.eq(FlagStatus::Open.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Tells a post's author what moderation did to it.
pub async fn notify_author(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor_id: Option<i64>,
    p: &post::Model,
    title: String,
    excerpt: String,
    email: bool,
) -> AppResult<()> {
    notify(
        conn,
        ctx,
        NewNotification {
            user_id: p.author_id,
            kind: "moderation",
            actor_id,
            title,
            excerpt,
            link: forum::post_link(p.thread_id, p),
            subject: Some(("post", p.id)),
            email,
        },
    )
    .await?;
    Ok(())
}

async fn thread_title(conn: &impl ConnectionTrait, thread_id: i64) -> AppResult<String> {
    Ok(thread::Entity::find_by_id(thread_id)
        .one(conn)
        .await?
        .map(|t| t.title)
        .unwrap_or_default())
}

/// The message an author gets when a moderator takes content down.
pub async fn notify_rejected(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    p: &post::Model,
    previous: ModerationState,
    reason: &str,
) -> AppResult<()> {
    let title = thread_title(conn, p.thread_id).await?;
    let what = if p.number <= 1 { "thread" } else { "post" };
    let headline = if previous == ModerationState::Held {
        format!("A moderator did not publish your {what} in “{title}”")
    } else {
        format!("A moderator hid your {what} in “{title}”")
    };
    let excerpt = format!(
        "Reason: {reason} You can still see it, and you can edit it: a moderator will look at it again."
    );
    notify_author(conn, ctx, Some(actor.id), p, headline, excerpt, true).await
}

async fn notify_published(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    p: &post::Model,
    previous: ModerationState,
) -> AppResult<()> {
    let title = thread_title(conn, p.thread_id).await?;
    let what = if p.number <= 1 { "thread" } else { "post" };
    let headline = if previous == ModerationState::Held {
        format!("A moderator approved your {what} in “{title}”")
    } else {
        format!("A moderator restored your {what} in “{title}”")
    };
    let excerpt = markdown::excerpt(&p.body, 240);
    notify_author(conn, ctx, Some(actor.id), p, headline, excerpt, false).await
}

// ---------------------------------------------------------------------------
// Reading the queue.

pub struct QueueFilter {
    pub status: ModerationItemStatus,
    pub category_id: Option<i64>,
    pub reason: Option<ModerationReason>,
    /// Only entries whose round opened at least this many hours ago.
    pub older_than_hours: Option<i64>,
}

impl Default for QueueFilter {
    fn default() -> Self {
        QueueFilter {
            status: ModerationItemStatus::Pending,
            category_id: None,
            reason: None,
            older_than_hours: None,
        }
    }
}

/// Where a page starts: after (priority, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueCursor {
    pub priority: i32,
    pub id: i64,
}

impl QueueCursor {
    pub fn encode(self) -> String {
        format!("q:{}:{}", self.priority, self.id)
    }

    pub fn decode(s: &str) -> AppResult<QueueCursor> {
        let bad = || AppError::validation("after", "is not a cursor from this list");
        let mut parts = s.split(':');
        if parts.next() != Some("q") {
            return Err(bad());
        }
        let priority = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let id = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(QueueCursor { priority, id })
    }
}

/// Moderators: a page of the queue, most urgent first, then oldest first.
pub async fn list(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &QueueFilter,
    after: Option<QueueCursor>,
    limit: u64,
) -> AppResult<Vec<entry::Model>> {
    viewer.require_moderator()?;
    let mut query = entry::Entity::find()
        .filter(entry::Column::Status.eq(filter.status.as_str()))
        .order_by_desc(entry::Column::Priority)
        .order_by_asc(entry::Column::Id)
        .limit(limit);
    if let Some(category) = filter.category_id {
        query = query.filter(
            entry::Column::ThreadId.in_subquery(
                Query::select()
                    .column(thread::Column::Id)
                    .from(thread::Entity)
                    .and_where(thread::Column::CategoryId.eq(category))
                    .to_owned(),
            ),
        );
    }
    if let Some(code) = filter.reason {
        query = query.filter(
            entry::Column::Id.in_subquery(
                Query::select()
                    .column(reason::Column::EntryId)
                    .from(reason::Entity)
                    .and_where(reason::Column::Code.eq(code.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(hours) = filter.older_than_hours {
        if !(0..=24 * 365).contains(&hours) {
            return Err(AppError::validation(
                "olderThanHours",
                "must be between 0 and 8760",
            ));
        }
        let cutoff = forum::now(ctx) - Duration::hours(hours);
        query = query.filter(entry::Column::OpenedAt.lte(cutoff));
    }
    if let Some(c) = after {
        query = query.filter(
            Condition::any()
                .add(entry::Column::Priority.lt(c.priority))
                .add(
                    Condition::all()
                        .add(entry::Column::Priority.eq(c.priority))
                        .add(entry::Column::Id.gt(c.id)),
                ),
        );
    }
    Ok(query.all(&ctx.db).await?)
}

/// Moderators: one entry.
pub async fn get(ctx: &AppContext, viewer: &CurrentUser, id: i64) -> AppResult<entry::Model> {
    viewer.require_moderator()?;
    entry::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or_else(not_found)
}

// ---------------------------------------------------------------------------
// Claims and decisions.

fn check_version(e: &entry::Model, expected: i32) -> AppResult<()> {
    if e.version != expected {
        return Err(AppError::conflict_on(
            "expectedVersion",
            format!(
                "this item changed since you loaded it (you saw version {expected}, it is now version {}); reload it and decide again",
                e.version
            ),
        ));
    }
    Ok(())
}

fn require_pending(e: &entry::Model) -> AppResult<()> {
    if !is_pending(e) {
        return Err(AppError::InvalidState {
            state: e.status.clone(),
            message: format!("this item was already {}", e.status),
        });
    }
    Ok(())
}

async fn claimed_conflict(conn: &impl ConnectionTrait, by: i64) -> AppResult<AppError> {
    let handle = user::Entity::find_by_id(by).one(conn).await?.map_or_else(
        || "another moderator".to_string(),
        |u| format!("@{}", u.handle),
    );
    Ok(AppError::conflict_on(
        "id",
        format!("{handle} is reviewing this item"),
    ))
}

/// No one decides on their own content: a moderator's held, hidden or
/// flagged post goes to another moderator (an admin, when there is no
/// other), as a requester's own exemption goes to other reviewers. The
/// refusal is FORBIDDEN, as it is there.
pub fn not_own(actor: &CurrentUser, author_id: i64) -> AppResult<()> {
    if actor.id == author_id {
        return Err(AppError::forbidden(
            "you cannot decide on your own content; another moderator, or an admin, will",
        ));
    }
    Ok(())
}

/// Takes an entry for review, so other moderators leave it alone for
/// `CLAIM_MINUTES`. A live claim by someone else is a CONFLICT. Nobody
/// claims an entry on their own content (it would keep the others off it).
pub async fn claim(
    ctx: &AppContext,
    actor: &CurrentUser,
    id: i64,
    expected_version: Option<i32>,
) -> AppResult<entry::Model> {
    actor.require_moderator()?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let before = lock(&txn, id).await?;
    not_own(actor, before.author_id)?;
    if let Some(expected) = expected_version {
        check_version(&before, expected)?;
    }
    require_pending(&before)?;
    if let Some(by) = claimed_by_other(&before, actor, now) {
        return Err(claimed_conflict(&txn, by).await?);
    }
    let mut e = before.clone();
    e.claimed_by = Some(actor.id);
    e.claimed_at = Some(now);
    add_event(
        &txn,
        e.id,
        Some(actor.id),
        ModerationEventKind::Claimed,
        "",
        now,
    )
    .await?;
    let e = save(&txn, &before, e, now).await?;
    txn.commit().await?;
    Ok(e)
}

/// Gives a claimed entry back to the queue (the claimer, or any moderator
/// once the claim has lapsed).
pub async fn release(ctx: &AppContext, actor: &CurrentUser, id: i64) -> AppResult<entry::Model> {
    actor.require_moderator()?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let before = lock(&txn, id).await?;
    if before.claimed_by.is_none() {
        return Ok(before);
    }
    if let Some(by) = claimed_by_other(&before, actor, now) {
        return Err(claimed_conflict(&txn, by).await?);
    }
    let mut e = before.clone();
    e.claimed_by = None;
    e.claimed_at = None;
    add_event(
        &txn,
        e.id,
        Some(actor.id),
        ModerationEventKind::Released,
        "",
        now,
    )
    .await?;
    let e = save(&txn, &before, e, now).await?;
    txn.commit().await?;
    Ok(e)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The content is fine: publish or restore it.
    Approve,
    /// Hide it and tell the author why.
    Reject,
    /// Close the entry without judging; only for content that is up.
    Ignore,
}

/// A moderator's reason: required when the author is told (`required`).
pub fn decision_reason(raw: Option<&str>, required: bool) -> AppResult<String> {
    let raw = raw.unwrap_or("").trim();
    if required && raw.is_empty() {
        return Err(AppError::validation(
            "reason",
            "say why: the author is told",
        ));
    }
    validate::text("reason", raw, 0, REASON_MAX)
}

pub struct Decision {
    pub id: i64,
    /// The version the moderator saw.
    pub expected_version: i32,
    pub reason: Option<String>,
}

/// Decides an entry. The caller must hold the version they saw: a
/// concurrent decision, a new flag or an edit makes it CONFLICT.
pub async fn decide(
    ctx: &AppContext,
    actor: &CurrentUser,
    outcome: Outcome,
    decision: Decision,
) -> AppResult<entry::Model> {
    actor.require_moderator()?;
    let reason = decision_reason(decision.reason.as_deref(), outcome == Outcome::Reject)?;
    let now = forum::now(ctx);
    let txn = ctx.write().await?;
    let before = lock(&txn, decision.id).await?;
    not_own(actor, before.author_id)?;
    check_version(&before, decision.expected_version)?;
    require_pending(&before)?;
    if let Some(by) = claimed_by_other(&before, actor, now) {
        return Err(claimed_conflict(&txn, by).await?);
    }
    let p = post::Entity::find_by_id(before.post_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("post"))?;
    let previous = ModerationState::parse(&p.moderation_state);
    let (status, flags, kind, action, state) = match outcome {
        Outcome::Approve => (
            ModerationItemStatus::Approved,
            FlagStatus::Declined,
            ModerationEventKind::Approved,
            ModerationAction::ApproveItem,
            ModerationState::Visible,
        ),
        Outcome::Reject => (
            ModerationItemStatus::Rejected,
            FlagStatus::Agreed,
            ModerationEventKind::Rejected,
            ModerationAction::RejectItem,
            ModerationState::Hidden,
        ),
        Outcome::Ignore => {
            if previous != ModerationState::Visible {
                return Err(AppError::InvalidState {
                    state: previous.as_str().into(),
                    message: format!(
                        "this content is {}: approve it to publish it, or reject it",
                        previous.as_str()
                    ),
                });
            }
            (
                ModerationItemStatus::Ignored,
                FlagStatus::Ignored,
                ModerationEventKind::Ignored,
                ModerationAction::IgnoreItem,
                ModerationState::Visible,
            )
        }
    };
    let mut e = before.clone();
    e.status = status.as_str().into();
    e.decided_by = Some(actor.id);
    e.decided_at = Some(now);
    e.decision_reason = reason.clone();
    e.claimed_by = None;
    e.claimed_at = None;
    // The guarded write comes first: the loser of a race stops here.
    let e = save(&txn, &before, e, now).await?;
    let p = if previous != state {
        apply_moderation_state(&txn, ctx, p.id, state).await?
    } else {
        p
    };
    resolve_flags(&txn, e.id, flags, now).await?;
    add_event(&txn, e.id, Some(actor.id), kind, &reason, now).await?;
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_id: Some(actor.id),
            action,
            target: target_of(&e),
            reason: &reason,
            details: json!({
                "itemId": e.id,
                "postId": e.post_id,
                "from": previous.as_str(),
                "to": state.as_str(),
            }),
        },
    )
    .await?;
    match outcome {
        Outcome::Reject => notify_rejected(&txn, ctx, actor, &p, previous, &reason).await?,
        Outcome::Approve if previous != ModerationState::Visible => {
            notify_published(&txn, ctx, actor, &p, previous).await?
        }
        _ => {}
    }
    txn.commit().await?;
    Ok(e)
}

/// A moderator's direct action on a post (hide or unhide) settles its
/// entry the same way a decision would, so the queue never shows content
/// someone already dealt with.
pub async fn settle_by_action(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    p: &post::Model,
    hidden: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let (before, _) = entry_for_post(conn, p, now).await?;
    let mut e = before.clone();
    let (status, flags, kind) = if hidden {
        (
            ModerationItemStatus::Rejected,
            FlagStatus::Agreed,
            ModerationEventKind::Rejected,
        )
    } else {
        (
            ModerationItemStatus::Approved,
            FlagStatus::Declined,
            ModerationEventKind::Approved,
        )
    };
    e.status = status.as_str().into();
    e.decided_by = Some(actor.id);
    e.decided_at = Some(now);
    e.decision_reason = reason.to_string();
    e.claimed_by = None;
    e.claimed_at = None;
    e.hidden_by_flags = false;
    resolve_flags(conn, e.id, flags, now).await?;
    add_event(conn, e.id, Some(actor.id), kind, reason, now).await?;
    save(conn, &before, e, now).await?;
    Ok(())
}

/// Publishing or restoring content through the queue also tells its author.
pub async fn notify_restored(
    conn: &WriteTxn,
    ctx: &AppContext,
    actor: &CurrentUser,
    p: &post::Model,
    previous: ModerationState,
) -> AppResult<()> {
    notify_published(conn, ctx, actor, p, previous).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = QueueCursor {
            priority: 3,
            id: 42,
        };
        assert_eq!(QueueCursor::decode(&c.encode()).ok(), Some(c));
        for bad in ["", "q", "q:1", "x:1:2", "q:a:2", "q:1:2:3"] {
            assert!(QueueCursor::decode(bad).is_err(), "{bad}");
        }
    }
}
