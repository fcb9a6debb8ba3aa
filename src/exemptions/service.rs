//! The exemption rules: who may see and do what, the review workflow on top
//! of the state machine, the queue and the staff metrics. Every path
//! (GraphQL, CLI, jobs) goes through here, so authorization lives here too.
//!
//! Decisions. With one approval required, an approval decides. With two,
//! the first approval is recorded as a vote (the request stays in review,
//! showing "1 of 2 approvals") and the second approval, by a different
//! reviewer, approves it. A denial or a request for changes by any eligible
//! reviewer decides at once, whatever votes were cast: either one is a
//! reviewer's judgement that the request cannot go out as it stands.
//!
//! Concurrency. Every change locks the request row first (`FOR UPDATE` on
//! PostgreSQL; SQLite write transactions are already exclusive), checks the
//! rules against that locked row, and writes with `WHERE version = ? AND
//! state = ?`, so two concurrent decisions cannot both win.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query,
};
use serde::{Deserialize, Serialize};

use super::{
    conflict::{self, ConflictReason, Facts},
    state::{self, Action, State},
};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        exemption_approval as approval, exemption_event as event, exemption_request as request,
        publication_report as report, publication_report_coauthor as coauthor, user, workspace,
        workspace_collaborator as collaborator,
    },
    error::{AppError, AppResult},
    identity::{CurrentUser, Role, Roles, Tier, UserStatus},
    markdown, membership,
    notifications::service::{NewNotification, notify},
    validate,
};

pub const MAX_CELLS: usize = 50;
/// The dissemination policy's threshold: counts from 1 to 20 may not be shown.
pub const THRESHOLD: i32 = 20;
pub const NOTIFICATION_DECISION: &str = "exemption_decision";
pub const NOTIFICATION_REVIEW: &str = "exemption_review";

/// One cell or statistic below the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    pub description: String,
    /// The smallest count the cell can hold (at least 1).
    pub count_min: i32,
    /// The largest count the cell can hold (at most 20).
    pub count_max: i32,
    /// Why suppressing, collapsing or coarsening the cell won't do.
    pub why_not_suppressed: String,
}

/// A new request, saved as a draft. Only the title and the needed-by date
/// are needed to save; the rest must be complete to submit.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub workspace_id: i64,
    pub title: String,
    pub dissemination: String,
    pub cells: Vec<Cell>,
    pub justification: String,
    pub venue: String,
    pub needed_by: NaiveDate,
    pub publication_report_id: Option<i64>,
}

/// An edit by the requester; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub dissemination: Option<String>,
    pub cells: Option<Vec<Cell>>,
    pub justification: Option<String>,
    pub venue: Option<String>,
    pub needed_by: Option<NaiveDate>,
    /// `Some(None)` unlinks the publication report.
    pub publication_report_id: Option<Option<i64>>,
    /// When given, the edit is refused with CONFLICT unless the request is
    /// still at this version.
    pub expected_version: Option<i32>,
}

/// Event kinds of the history.
pub mod kind {
    pub const CREATE: &str = "create";
    pub const EDIT: &str = "edit";
    pub const SUBMIT: &str = "submit";
    pub const CLAIM: &str = "claim";
    pub const ASSIGN: &str = "assign";
    pub const REQUEST_CHANGES: &str = "request_changes";
    pub const RESUBMIT: &str = "resubmit";
    pub const APPROVE: &str = "approve";
    pub const DENY: &str = "deny";
    pub const WITHDRAW: &str = "withdraw";
    pub const APPEAL: &str = "appeal";
    pub const COMMENT: &str = "comment";
    /// The system took a reviewer who became conflicted off the request.
    pub const UNASSIGN: &str = "unassign";
}

/// How the viewer relates to a request, judged on their roles, tier and
/// memberships now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub requester: bool,
    /// Owns or collaborates on the request's workspace (read-only).
    pub member: bool,
    /// Holds the reviewer or admin role, and the request has been submitted:
    /// reviewers do not see drafts.
    pub reviewer: bool,
    /// Why the viewer may not review the request, for a reviewer.
    pub conflict: Option<ConflictReason>,
}

impl Access {
    /// Nobody: the answer for a viewer whose tier does not cover the
    /// request's workspace.
    const NONE: Access = Access {
        requester: false,
        member: false,
        reviewer: false,
        conflict: None,
    };

    pub fn can_read(self) -> bool {
        self.requester || self.member || self.reviewer
    }

    /// A reviewer may not review a request they made or whose workspace they
    /// own or collaborate on, or did while the request existed.
    pub fn conflicted(self) -> bool {
        self.requester || self.member || self.conflict.is_some_and(ConflictReason::is_of_interest)
    }

    /// Internal comments are for reviewers without a conflict of interest.
    pub fn sees_internal(self) -> bool {
        self.reviewer && !self.conflicted()
    }
}

pub fn state_of(req: &request::Model) -> AppResult<State> {
    State::parse(&req.state).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "exemption request {} has unknown state {:?}",
            req.id,
            req.state
        ))
    })
}

pub fn cells_of(req: &request::Model) -> Vec<Cell> {
    serde_json::from_str(&req.cells).unwrap_or_default()
}

/// Whether the request waits on reviewers past its due time.
pub fn is_overdue(req: &request::Model, now: DateTime<Utc>) -> bool {
    State::parse(&req.state).is_some_and(State::is_with_reviewers)
        && req.due_at.is_some_and(|due| due < now)
}

pub(super) fn link(id: i64) -> String {
    format!("/exemptions/{id}")
}

fn not_found() -> AppError {
    AppError::NotFound("exemption request")
}

/// Whether `user_id` owns or collaborates on the workspace.
pub async fn is_member(
    conn: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
) -> AppResult<bool> {
    let owner = workspace::Entity::find_by_id(workspace_id)
        .filter(workspace::Column::OwnerId.eq(user_id))
        .count(conn)
        .await?;
    if owner > 0 {
        return Ok(true);
    }
    Ok(collaborator::Entity::find()
        .filter(collaborator::Column::WorkspaceId.eq(workspace_id))
        .filter(collaborator::Column::UserId.eq(user_id))
        .count(conn)
        .await?
        > 0)
}

/// The data tier of a workspace; a missing one is treated as the
/// controlled tier.
pub async fn workspace_tier(conn: &impl ConnectionTrait, workspace_id: i64) -> AppResult<Tier> {
    let tier: Option<String> = workspace::Entity::find_by_id(workspace_id)
        .select_only()
        .column(workspace::Column::Tier)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(tier
        .as_deref()
        .and_then(Tier::parse)
        .unwrap_or(Tier::Controlled))
}

pub async fn access(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    req: &request::Model,
) -> AppResult<Access> {
    // Tiered data: the viewer's tier is checked on every read, so losing
    // the tier closes the request at once, to its requester too.
    if !viewer
        .tier
        .covers(workspace_tier(conn, req.workspace_id).await?)
    {
        return Ok(Access::NONE);
    }
    let requester = req.requester_id == viewer.id;
    let member = if requester {
        false
    } else {
        is_member(conn, req.workspace_id, viewer.id).await?
    };
    let conflict = if viewer.is_reviewer() {
        conflict_of(conn, req, viewer.id).await?
    } else {
        None
    };
    Ok(Access {
        requester,
        member,
        reviewer: viewer.is_reviewer() && req.submitted_at.is_some(),
        conflict,
    })
}

/// Why `reviewer_id` may not review the request, from the workspace's
/// current members, its membership history and the request's denials.
pub async fn conflict_of(
    conn: &impl ConnectionTrait,
    req: &request::Model,
    reviewer_id: i64,
) -> AppResult<Option<ConflictReason>> {
    let owner_id: Option<i64> = workspace::Entity::find_by_id(req.workspace_id)
        .select_only()
        .column(workspace::Column::OwnerId)
        .into_tuple()
        .one(conn)
        .await?;
    let collaborators: Vec<i64> = collaborator::Entity::find_by_id((req.workspace_id, reviewer_id))
        .select_only()
        .column(collaborator::Column::UserId)
        .into_tuple()
        .all(conn)
        .await?;
    let history = membership::of_member(conn, req.workspace_id, reviewer_id).await?;
    let deniers = if req.appealed_at.is_some() {
        deniers(conn, req.id).await?
    } else {
        Vec::new()
    };
    Ok(conflict::conflict(
        req,
        reviewer_id,
        Facts {
            owner_id,
            collaborators: &collaborators,
            history: &history,
            deniers: &deniers,
        },
    ))
}

/// The request if the viewer may read it. Strangers get NOT_FOUND, the same
/// answer as for a request that does not exist.
pub async fn get(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<(request::Model, Access)> {
    let req = request::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or_else(not_found)?;
    let access = access(&ctx.db, viewer, &req).await?;
    if !access.can_read() {
        return Err(not_found());
    }
    Ok((req, access))
}

/// Reads and locks the request for the rest of the transaction.
pub(super) async fn lock(conn: &impl ConnectionTrait, id: i64) -> AppResult<request::Model> {
    request::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

/// Locks a request the viewer may read; strangers get NOT_FOUND.
async fn lock_visible(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<(request::Model, Access)> {
    let req = lock(conn, id).await?;
    let access = access(conn, viewer, &req).await?;
    if !access.can_read() {
        return Err(not_found());
    }
    Ok((req, access))
}

/// Writes `active` only if the row is still at `before`'s version and state.
pub(super) async fn save(
    conn: &impl ConnectionTrait,
    before: &request::Model,
    active: request::ActiveModel,
) -> AppResult<request::Model> {
    let updated = request::Entity::update(active)
        .validate()?
        .filter(request::Column::Version.eq(before.version))
        .filter(request::Column::State.eq(before.state.clone()))
        .exec(conn)
        .await;
    match updated {
        Ok(model) => Ok(model),
        Err(DbErr::RecordNotUpdated) => Err(AppError::conflict_on(
            "expectedVersion",
            "the request changed while you were acting on it; reload it and try again",
        )),
        Err(e) => Err(e.into()),
    }
}

pub(super) struct NewEvent<'a> {
    pub actor_id: Option<i64>,
    pub kind: &'static str,
    pub from: Option<State>,
    pub comment: &'a str,
    pub internal: bool,
}

/// Appends to the history; `req` is the request after the change.
pub(super) async fn record(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    req: &request::Model,
    e: NewEvent<'_>,
) -> AppResult<event::Model> {
    Ok(event::ActiveModel {
        request_id: Set(req.id),
        actor_id: Set(e.actor_id),
        kind: Set(e.kind.to_string()),
        from_state: Set(e.from.map(|s| s.as_str().to_string())),
        to_state: Set(req.state.clone()),
        comment: Set(e.comment.to_string()),
        comment_html: Set(render(e.comment)),
        internal: Set(e.internal),
        request_version: Set(req.version),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

fn render(source: &str) -> String {
    if source.is_empty() {
        String::new()
    } else {
        markdown::render(source, &|_| false).html
    }
}

// ---------------------------------------------------------------------------
// Validation

fn validate_cells(cells: &[Cell]) -> AppResult<Vec<Cell>> {
    if cells.len() > MAX_CELLS {
        return Err(AppError::validation(
            "cells",
            format!("list at most {MAX_CELLS} cells"),
        ));
    }
    cells
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let field = |name: &str| format!("cells[{i}].{name}");
            let description =
                validate::text(&field("description"), &cell.description, 1, 1000)?;
            let why_not_suppressed = validate::text(
                &field("whyNotSuppressed"),
                &cell.why_not_suppressed,
                1,
                4000,
            )?;
            if !(1..=THRESHOLD).contains(&cell.count_min) {
                return Err(AppError::validation(
                    field("countMin"),
                    format!("must be from 1 to {THRESHOLD}: counts of 0 need no exemption"),
                ));
            }
            if cell.count_max < cell.count_min || cell.count_max > THRESHOLD {
                return Err(AppError::validation(
                    field("countMax"),
                    format!(
                        "must be from countMin to {THRESHOLD}: counts above {THRESHOLD} need no exemption"
                    ),
                ));
            }
            Ok(Cell {
                description,
                count_min: cell.count_min,
                count_max: cell.count_max,
                why_not_suppressed,
            })
        })
        .collect()
}

fn validate_needed_by(needed_by: NaiveDate, now: DateTime<Utc>) -> AppResult<NaiveDate> {
    if needed_by < now.date_naive() {
        return Err(AppError::validation("neededBy", "must not be in the past"));
    }
    Ok(needed_by)
}

fn title(value: &str) -> AppResult<String> {
    validate::single_line("title", value, 3, 200)
}
fn dissemination(value: &str) -> AppResult<String> {
    validate::text("dissemination", value, 0, 20_000)
}
fn justification(value: &str) -> AppResult<String> {
    validate::text("justification", value, 0, 10_000)
}
fn venue(value: &str) -> AppResult<String> {
    validate::single_line("venue", value, 0, 300)
}
fn publication_report(id: Option<i64>) -> AppResult<Option<i64>> {
    match id {
        Some(id) if id <= 0 => Err(AppError::validation(
            "publicationReportId",
            "is not a valid id",
        )),
        other => Ok(other),
    }
}

/// A request links only a publication report its requester filed or
/// authors; any other id, taken or not, is refused alike.
async fn check_report_link(
    conn: &impl ConnectionTrait,
    requester_id: i64,
    report_id: Option<i64>,
) -> AppResult<()> {
    let Some(id) = report_id else {
        return Ok(());
    };
    let theirs = report::Entity::find_by_id(id)
        .filter(
            Condition::any()
                .add(report::Column::FilerId.eq(requester_id))
                .add(report::Column::LeadAuthorId.eq(requester_id))
                .add(
                    report::Column::Id.in_subquery(
                        Query::select()
                            .column(coauthor::Column::ReportId)
                            .from(coauthor::Entity)
                            .and_where(coauthor::Column::UserId.eq(requester_id))
                            .to_owned(),
                    ),
                ),
        )
        .count(conn)
        .await?;
    if theirs == 0 {
        return Err(AppError::validation(
            "publicationReportId",
            "is not a publication report you filed or author",
        ));
    }
    Ok(())
}

/// A request must be complete before reviewers see it.
fn check_complete(req: &request::Model) -> AppResult<()> {
    let missing = |field: &str, what: &str| Err(AppError::validation(field, what));
    if req.dissemination.trim().is_empty() {
        return missing("dissemination", "describe what will be disseminated");
    }
    if cells_of(req).is_empty() {
        return missing(
            "cells",
            "list at least one cell or statistic below the threshold",
        );
    }
    if req.justification.trim().is_empty() {
        return missing("justification", "explain why the exemption is needed");
    }
    if req.venue.trim().is_empty() {
        return missing("venue", "name the intended venue");
    }
    Ok(())
}

fn requester_only(access: Access, what: &str) -> AppResult<()> {
    if access.requester {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "only the requester can {what} this request"
        )))
    }
}

// ---------------------------------------------------------------------------
// The requester's side

pub async fn create(
    ctx: &AppContext,
    viewer: &CurrentUser,
    input: NewRequest,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let title = title(&input.title)?;
    let dissemination = dissemination(&input.dissemination)?;
    let cells = validate_cells(&input.cells)?;
    let justification = justification(&input.justification)?;
    let venue = venue(&input.venue)?;
    let needed_by = validate_needed_by(input.needed_by, now)?;
    let publication_report_id = publication_report(input.publication_report_id)?;

    let txn = ctx.write().await?;
    // A workspace the viewer cannot see answers as one that does not exist.
    let found = workspace::Entity::find_by_id(input.workspace_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("workspace"))?;
    let member = is_member(&txn, found.id, viewer.id).await?;
    let tier = Tier::parse(&found.tier).unwrap_or(Tier::Controlled);
    if !viewer.tier.covers(tier) || (found.published_at.is_none() && !member) {
        return Err(AppError::NotFound("workspace"));
    }
    if !member {
        return Err(AppError::forbidden(
            "you can request an exemption only for a workspace you own or collaborate on",
        ));
    }
    check_report_link(&txn, viewer.id, publication_report_id).await?;
    let req = request::ActiveModel {
        requester_id: Set(viewer.id),
        workspace_id: Set(input.workspace_id),
        title: Set(title),
        dissemination_html: Set(render(&dissemination)),
        dissemination: Set(dissemination),
        cells: Set(serde_json::to_string(&cells).map_err(AppError::internal)?),
        justification_html: Set(render(&justification)),
        justification: Set(justification),
        venue: Set(venue),
        publication_report_id: Set(publication_report_id),
        needed_by: Set(needed_by),
        state: Set(State::Draft.as_str().into()),
        version: Set(1),
        round: Set(0),
        approvals_required: Set(i32::from(ctx.config.exemption_approvals)),
        assignee_id: Set(None),
        queued_at: Set(now),
        submitted_at: Set(None),
        clock_started_at: Set(None),
        due_at: Set(None),
        reminded_due_at: Set(None),
        decided_at: Set(None),
        decided_version: Set(None),
        decision_note: Set(String::new()),
        decision_note_html: Set(String::new()),
        appealed_at: Set(None),
        appeal_reason: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::CREATE,
            from: None,
            comment: "",
            internal: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

/// Edits by the requester, allowed as a draft and when changes are
/// requested. Each edit bumps the version, so a reviewer's decision on an
/// older version is refused.
pub async fn update(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    changes: Changes,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let (before, access) = lock_visible(&txn, viewer, id).await?;
    requester_only(access, "edit")?;
    let current = state_of(&before)?;
    if !current.is_editable() {
        return Err(AppError::InvalidState {
            state: current.as_str().into(),
            message: format!(
                "cannot edit a request that is {}: edit it as a draft or when changes are requested",
                current.label()
            ),
        });
    }
    if let Some(expected) = changes.expected_version {
        check_version(&before, expected)?;
    }
    let mut active: request::ActiveModel = before.clone().into();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(value) = &changes.title {
        let value = title(value)?;
        if value != before.title {
            changed.push("title");
            active.title = Set(value);
        }
    }
    if let Some(value) = &changes.dissemination {
        let value = dissemination(value)?;
        if value != before.dissemination {
            changed.push("dissemination");
            active.dissemination_html = Set(render(&value));
            active.dissemination = Set(value);
        }
    }
    if let Some(value) = &changes.cells {
        let value = validate_cells(value)?;
        if value != cells_of(&before) {
            changed.push("cells");
            active.cells = Set(serde_json::to_string(&value).map_err(AppError::internal)?);
        }
    }
    if let Some(value) = &changes.justification {
        let value = justification(value)?;
        if value != before.justification {
            changed.push("justification");
            active.justification_html = Set(render(&value));
            active.justification = Set(value);
        }
    }
    if let Some(value) = &changes.venue {
        let value = venue(value)?;
        if value != before.venue {
            changed.push("venue");
            active.venue = Set(value);
        }
    }
    if let Some(value) = changes.needed_by.filter(|v| *v != before.needed_by) {
        changed.push("needed-by date");
        active.needed_by = Set(validate_needed_by(value, now)?);
    }
    if let Some(value) = changes.publication_report_id {
        let value = publication_report(value)?;
        if value != before.publication_report_id {
            check_report_link(&txn, before.requester_id, value).await?;
            changed.push("publication report");
            active.publication_report_id = Set(value);
        }
    }
    if changed.is_empty() {
        return Ok(before);
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::EDIT,
            from: Some(current),
            comment: &format!("Changed {}.", changed.join(", ")),
            internal: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

/// Starts a review round: the rule in force and the SLA clock.
fn start_round(
    active: &mut request::ActiveModel,
    ctx: &AppContext,
    before: &request::Model,
    now: DateTime<Utc>,
) {
    active.round = Set(before.round + 1);
    active.approvals_required = Set(i32::from(ctx.config.exemption_approvals));
    active.clock_started_at = Set(Some(now));
    active.due_at = Set(Some(super::sla::add_business_days(
        now,
        ctx.config.exemption_sla_days,
    )));
}

pub async fn submit(ctx: &AppContext, viewer: &CurrentUser, id: i64) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let (before, access) = lock_visible(&txn, viewer, id).await?;
    requester_only(access, "submit")?;
    let from = state_of(&before)?;
    let to = state::apply(from, Action::Submit)?;
    check_complete(&before)?;
    validate_needed_by(before.needed_by, now)?;
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.submitted_at = Set(Some(now));
    active.queued_at = Set(now);
    active.updated_at = Set(now);
    start_round(&mut active, ctx, &before, now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::SUBMIT,
            from: Some(from),
            comment: "",
            internal: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

pub async fn resubmit(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    comment: Option<&str>,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let comment = validate::text("comment", comment.unwrap_or(""), 0, 10_000)?;
    let txn = ctx.write().await?;
    let (before, access) = lock_visible(&txn, viewer, id).await?;
    requester_only(access, "resubmit")?;
    let from = state_of(&before)?;
    let to = state::apply(from, Action::Resubmit)?;
    check_complete(&before)?;
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.updated_at = Set(now);
    start_round(&mut active, ctx, &before, now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::RESUBMIT,
            from: Some(from),
            comment: &comment,
            internal: false,
        },
    )
    .await?;
    if let Some(assignee) = req.assignee_id {
        notify(
            &txn,
            ctx,
            NewNotification {
                user_id: assignee,
                kind: NOTIFICATION_REVIEW,
                actor_id: Some(viewer.id),
                title: format!("Exemption request resubmitted: {}", req.title),
                excerpt: markdown::excerpt(&comment, 300),
                link: link(req.id),
                subject: Some(("exemption_request", req.id)),
                email: true,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(req)
}

pub async fn withdraw(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    reason: Option<&str>,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    let reason = validate::text("reason", reason.unwrap_or(""), 0, 10_000)?;
    let txn = ctx.write().await?;
    let (before, access) = lock_visible(&txn, viewer, id).await?;
    requester_only(access, "withdraw")?;
    let from = state_of(&before)?;
    let to = state::apply(from, Action::Withdraw)?;
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.updated_at = Set(now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::WITHDRAW,
            from: Some(from),
            comment: &reason,
            internal: false,
        },
    )
    .await?;
    if let Some(assignee) = req.assignee_id {
        notify(
            &txn,
            ctx,
            NewNotification {
                user_id: assignee,
                kind: NOTIFICATION_REVIEW,
                actor_id: Some(viewer.id),
                title: format!("Exemption request withdrawn: {}", req.title),
                excerpt: markdown::excerpt(&reason, 300),
                link: link(req.id),
                subject: Some(("exemption_request", req.id)),
                email: false,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(req)
}

/// Re-opens a denied request for a different reviewer. One appeal per
/// request: the decision on appeal is final.
pub async fn appeal(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    reason: &str,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let reason = validate::text("reason", reason, 1, 10_000)?;
    let txn = ctx.write().await?;
    let (before, access) = lock_visible(&txn, viewer, id).await?;
    requester_only(access, "appeal")?;
    let from = state_of(&before)?;
    let to = state::apply(from, Action::Appeal)?;
    if before.appealed_at.is_some() {
        return Err(AppError::InvalidState {
            state: from.as_str().into(),
            message: "this request was denied on appeal; the decision on an appeal is final".into(),
        });
    }
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    // The reviewers who denied it may not take the appeal.
    active.assignee_id = Set(None);
    active.appealed_at = Set(Some(now));
    active.appeal_reason = Set(reason.clone());
    active.decided_at = Set(None);
    active.decided_version = Set(None);
    active.updated_at = Set(now);
    start_round(&mut active, ctx, &before, now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::APPEAL,
            from: Some(from),
            comment: &reason,
            internal: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

// ---------------------------------------------------------------------------
// The reviewers' side

/// The reviewers who denied the request; they may not decide its appeal.
async fn deniers(conn: &impl ConnectionTrait, request_id: i64) -> AppResult<Vec<i64>> {
    let ids: Vec<Option<i64>> = event::Entity::find()
        .select_only()
        .column(event::Column::ActorId)
        .filter(event::Column::RequestId.eq(request_id))
        .filter(event::Column::Kind.eq(kind::DENY))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// Whether `reviewer_id` may review the request: not their own, no conflict
/// of interest now or since the request was made, and not an appeal of
/// their own denial. `who` words the refusal ("you" or the assignee's
/// handle).
async fn check_eligible(
    conn: &impl ConnectionTrait,
    req: &request::Model,
    reviewer_id: i64,
    who: &str,
) -> AppResult<()> {
    match conflict_of(conn, req, reviewer_id).await? {
        Some(reason) => Err(AppError::forbidden(reason.message(who))),
        None => Ok(()),
    }
}

/// Only requests whose workspace is of a tier the viewer holds.
fn within_tier(viewer: &CurrentUser) -> Condition {
    let tiers: Vec<&str> = viewer.tier.visible().iter().map(|t| t.as_str()).collect();
    Condition::all().add(
        request::Column::WorkspaceId.in_subquery(
            Query::select()
                .column(workspace::Column::Id)
                .from(workspace::Entity)
                .and_where(workspace::Column::Tier.is_in(tiers))
                .to_owned(),
        ),
    )
}

fn check_version(req: &request::Model, expected: i32) -> AppResult<()> {
    if req.version != expected {
        return Err(AppError::conflict_on(
            "expectedVersion",
            format!(
                "the request changed since you loaded it (you saw version {expected}, it is now version {}); reload it before deciding",
                req.version
            ),
        ));
    }
    Ok(())
}

/// Takes the request: a waiting request goes into review with the caller as
/// its assignee. A request assigned to someone else stays theirs (an
/// assignment moves it); a resubmitted request comes back to its assignee,
/// who claims it again to resume the review.
pub async fn claim(ctx: &AppContext, viewer: &CurrentUser, id: i64) -> AppResult<request::Model> {
    viewer.require_reviewer()?;
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let (before, _) = lock_visible(&txn, viewer, id).await?;
    let from = state_of(&before)?;
    if !from.is_with_reviewers() {
        return Err(state::refusal(from, Action::StartReview));
    }
    match before.assignee_id {
        Some(current) if current == viewer.id && from == State::InReview => return Ok(before),
        Some(current) if current != viewer.id => {
            let handle = handle_of(&txn, current).await?;
            return Err(AppError::conflict_on(
                "assignee",
                format!("already assigned to @{handle}; ask them or an admin to reassign it"),
            ));
        }
        _ => {}
    }
    check_eligible(&txn, &before, viewer.id, "you").await?;
    let to = state::transition(from, Action::StartReview).unwrap_or(from);
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.assignee_id = Set(Some(viewer.id));
    active.updated_at = Set(now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::CLAIM,
            from: Some(from),
            comment: "",
            internal: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

pub(super) async fn handle_of(conn: &impl ConnectionTrait, user_id: i64) -> AppResult<String> {
    Ok(user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .map(|u| u.handle)
        .unwrap_or_else(|| "someone".into()))
}

/// Assigns (or reassigns) a request waiting on reviewers to an eligible
/// reviewer. A waiting request goes into review.
pub async fn assign(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    reviewer_id: i64,
) -> AppResult<request::Model> {
    viewer.require_reviewer()?;
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let (before, viewer_access) = lock_visible(&txn, viewer, id).await?;
    let from = state_of(&before)?;
    if !from.is_with_reviewers() {
        return Err(state::refusal(from, Action::StartReview));
    }
    // Someone with a conflict of interest must not steer the review either.
    if viewer_access.conflicted() {
        return Err(AppError::forbidden(
            "conflict of interest: you cannot assign a request you made or whose workspace you own or collaborate on",
        ));
    }
    // Nor does the reviewer who denied it choose who hears its appeal.
    if let Some(reason @ ConflictReason::DeniedRequest) = viewer_access.conflict {
        return Err(AppError::forbidden(reason.message("you")));
    }
    let assignee = user::Entity::find_by_id(reviewer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("reviewerId", "no such user"))?;
    let roles = Roles::parse_column(&assignee.roles);
    if !(roles.has(Role::Reviewer) || roles.has(Role::Admin))
        || assignee.status != UserStatus::Active.as_str()
    {
        return Err(AppError::validation(
            "reviewerId",
            format!("@{} is not an active reviewer", assignee.handle),
        ));
    }
    let assignee_tier = Tier::parse(&assignee.tier).unwrap_or(Tier::Registered);
    if !assignee_tier.covers(workspace_tier(&txn, before.workspace_id).await?) {
        return Err(AppError::validation(
            "reviewerId",
            format!(
                "@{} does not hold the data tier of the request's workspace",
                assignee.handle
            ),
        ));
    }
    check_eligible(&txn, &before, assignee.id, &format!("@{}", assignee.handle))
        .await
        .map_err(|e| match e {
            AppError::Forbidden(message) => AppError::validation("reviewerId", message),
            other => other,
        })?;
    if before.assignee_id == Some(assignee.id) && from == State::InReview {
        return Ok(before);
    }
    let to = state::transition(from, Action::StartReview).unwrap_or(from);
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.assignee_id = Set(Some(assignee.id));
    active.updated_at = Set(now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::ASSIGN,
            from: Some(from),
            comment: &format!("Assigned to @{}.", assignee.handle),
            internal: false,
        },
    )
    .await?;
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: assignee.id,
            kind: NOTIFICATION_REVIEW,
            actor_id: Some(viewer.id),
            title: format!("Exemption request assigned to you: {}", req.title),
            excerpt: format!("Due {}", due_text(&req)),
            link: link(req.id),
            subject: Some(("exemption_request", req.id)),
            email: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

fn due_text(req: &request::Model) -> String {
    req.due_at
        .map(|d| d.format("%A %-d %B %Y, %H:%M UTC").to_string())
        .unwrap_or_else(|| "date not set".into())
}

/// The checks every decision shares, on the locked row: the move is in the
/// table, the version is the one the reviewer saw, and the reviewer may
/// review this request.
async fn begin_decision(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: i64,
    action: Action,
    expected_version: i32,
) -> AppResult<(request::Model, State, State)> {
    viewer.require_reviewer()?;
    let (before, access) = lock_visible(conn, viewer, id).await?;
    let from = state_of(&before)?;
    let to = state::apply(from, action)?;
    check_version(&before, expected_version)?;
    if let Some(reason) = access.conflict {
        return Err(AppError::forbidden(reason.message("you")));
    }
    Ok((before, from, to))
}

async fn notify_decision(
    conn: &WriteTxn,
    ctx: &AppContext,
    viewer: &CurrentUser,
    req: &request::Model,
    headline: &str,
    note: &str,
) -> AppResult<()> {
    notify(
        conn,
        ctx,
        NewNotification {
            user_id: req.requester_id,
            kind: NOTIFICATION_DECISION,
            actor_id: Some(viewer.id),
            title: format!("{headline}: {}", req.title),
            excerpt: markdown::excerpt(note, 500),
            link: link(req.id),
            subject: Some(("exemption_request", req.id)),
            email: true,
        },
    )
    .await?;
    Ok(())
}

/// The outcome of an approval.
pub struct Approval {
    pub request: request::Model,
    /// Approvals recorded in this round, this one included.
    pub approvals: i32,
}

pub async fn approve(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    expected_version: i32,
    conditions: Option<&str>,
) -> AppResult<Approval> {
    let now = ctx.clock.now();
    let conditions = validate::text("conditions", conditions.unwrap_or(""), 0, 10_000)?;
    let txn = ctx.write().await?;
    let (before, from, to) =
        begin_decision(&txn, viewer, id, Action::Approve, expected_version).await?;
    let cast = approval::Entity::find()
        .filter(approval::Column::RequestId.eq(before.id))
        .filter(approval::Column::Round.eq(before.round))
        .order_by_asc(approval::Column::Id)
        .all(&txn)
        .await?;
    // An approval by a reviewer who has since become conflicted voids
    // itself: it no longer counts towards the decision.
    let mut votes = Vec::with_capacity(cast.len());
    for vote in cast {
        let void = conflict_of(&txn, &before, vote.reviewer_id)
            .await?
            .is_some_and(ConflictReason::is_of_interest);
        if !void {
            votes.push(vote);
        }
    }
    if votes.iter().any(|v| v.reviewer_id == viewer.id) {
        return Err(AppError::forbidden(
            "you have already approved this request; the second approval must come from a different reviewer",
        ));
    }
    approval::ActiveModel {
        request_id: Set(before.id),
        round: Set(before.round),
        reviewer_id: Set(viewer.id),
        request_version: Set(before.version),
        conditions: Set(conditions.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let approvals = votes.len() as i32 + 1;
    let decided = approvals >= before.approvals_required;
    let mut active: request::ActiveModel = before.clone().into();
    active.updated_at = Set(now);
    if decided {
        let note = votes
            .iter()
            .map(|v| v.conditions.as_str())
            .chain([conditions.as_str()])
            .filter(|c| !c.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        active.state = Set(to.as_str().into());
        active.decided_at = Set(Some(now));
        active.decided_version = Set(Some(before.version));
        active.decision_note_html = Set(render(&note));
        active.decision_note = Set(note);
    }
    let req = save(&txn, &before, active).await?;
    let comment = if decided || before.approvals_required == 1 {
        conditions.clone()
    } else {
        let tally = format!("Approval {approvals} of {}.", before.approvals_required);
        if conditions.is_empty() {
            tally
        } else {
            format!("{tally}\n\n{conditions}")
        }
    };
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::APPROVE,
            from: Some(from),
            comment: &comment,
            internal: false,
        },
    )
    .await?;
    if decided {
        let note = if req.decision_note.is_empty() {
            "Approved without conditions."
        } else {
            req.decision_note.as_str()
        };
        notify_decision(&txn, ctx, viewer, &req, "Exemption approved", note).await?;
    }
    txn.commit().await?;
    Ok(Approval {
        request: req,
        approvals,
    })
}

pub async fn deny(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    expected_version: i32,
    reason: &str,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    let reason = validate::text("reason", reason, 1, 10_000)?;
    let txn = ctx.write().await?;
    let (before, from, to) =
        begin_decision(&txn, viewer, id, Action::Deny, expected_version).await?;
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.decided_at = Set(Some(now));
    active.decided_version = Set(Some(before.version));
    active.decision_note_html = Set(render(&reason));
    active.decision_note = Set(reason.clone());
    active.updated_at = Set(now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::DENY,
            from: Some(from),
            comment: &reason,
            internal: false,
        },
    )
    .await?;
    notify_decision(&txn, ctx, viewer, &req, "Exemption denied", &reason).await?;
    txn.commit().await?;
    Ok(req)
}

pub async fn request_changes(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    expected_version: i32,
    comments: &str,
) -> AppResult<request::Model> {
    let now = ctx.clock.now();
    let comments = validate::text("comments", comments, 1, 10_000)?;
    let txn = ctx.write().await?;
    let (before, from, to) =
        begin_decision(&txn, viewer, id, Action::RequestChanges, expected_version).await?;
    let mut active: request::ActiveModel = before.clone().into();
    active.state = Set(to.as_str().into());
    active.decided_version = Set(Some(before.version));
    active.decision_note_html = Set(render(&comments));
    active.decision_note = Set(comments.clone());
    active.updated_at = Set(now);
    let req = save(&txn, &before, active).await?;
    record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::REQUEST_CHANGES,
            from: Some(from),
            comment: &comments,
            internal: false,
        },
    )
    .await?;
    notify_decision(&txn, ctx, viewer, &req, "Changes requested", &comments).await?;
    txn.commit().await?;
    Ok(req)
}

/// A comment in the history. Internal comments are for reviewers without a
/// conflict of interest; the requester comments in the open; collaborators
/// only read.
pub async fn comment(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    body: &str,
    internal: bool,
) -> AppResult<event::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let body = validate::text("body", body, 1, 10_000)?;
    let txn = ctx.write().await?;
    let (req, access) = lock_visible(&txn, viewer, id).await?;
    let current = state_of(&req)?;
    if internal && !access.sees_internal() {
        return Err(AppError::forbidden(
            "only reviewers without a conflict of interest can write internal comments",
        ));
    }
    if !access.requester && !access.sees_internal() {
        return Err(AppError::forbidden(
            "workspace collaborators can read this request but not comment on it",
        ));
    }
    if current == State::Draft {
        return Err(AppError::InvalidState {
            state: current.as_str().into(),
            message: "cannot comment on a request that is a draft: submit it first".into(),
        });
    }
    let saved = record(
        &txn,
        now,
        &req,
        NewEvent {
            actor_id: Some(viewer.id),
            kind: kind::COMMENT,
            from: Some(current),
            comment: &body,
            internal,
        },
    )
    .await?;
    // The requester hears of open reviewer comments; the assignee hears of
    // everything else.
    let recipient = if access.requester || internal {
        req.assignee_id
    } else {
        Some(req.requester_id)
    };
    if let Some(user_id) = recipient {
        notify(
            &txn,
            ctx,
            NewNotification {
                user_id,
                kind: NOTIFICATION_REVIEW,
                actor_id: Some(viewer.id),
                title: format!("New comment on exemption request: {}", req.title),
                excerpt: markdown::excerpt(&body, 300),
                link: link(req.id),
                subject: Some(("exemption_request", req.id)),
                email: false,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(saved)
}

// ---------------------------------------------------------------------------
// Reading

/// Which requests the queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Defaults to the open states past the draft.
    pub states: Option<Vec<State>>,
    pub assignee_id: Option<i64>,
    pub unassigned: bool,
    pub workspace_id: Option<i64>,
    /// `Some(true)`: only overdue requests; `Some(false)`: none of them.
    pub overdue: Option<bool>,
}

/// A position in the queue's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    pub needed_by: NaiveDate,
    pub queued_at: DateTime<Utc>,
    pub id: i64,
}

impl QueueCursor {
    pub fn of(req: &request::Model) -> Self {
        Self {
            needed_by: req.needed_by,
            queued_at: req.queued_at,
            id: req.id,
        }
    }

    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}|{}|{}",
            self.needed_by,
            self.queued_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            self.id
        ))
    }

    pub fn decode(cursor: &str) -> AppResult<Self> {
        use base64::Engine;
        let invalid = || AppError::validation("after", "is not a valid cursor");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.split('|');
        let (Some(needed_by), Some(queued_at), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        Ok(Self {
            needed_by: needed_by.parse().map_err(|_| invalid())?,
            queued_at: DateTime::parse_from_rfc3339(queued_at)
                .map_err(|_| invalid())?
                .with_timezone(&Utc),
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

fn overdue_condition(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(request::Column::State.is_in(State::WITH_REVIEWERS.map(State::as_str)))
        .add(request::Column::DueAt.lt(now))
}

/// The reviewers' queue: ordered by needed-by date, then age (oldest
/// first), then id.
pub async fn queue(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &QueueFilter,
    after: Option<&QueueCursor>,
    limit: u64,
) -> AppResult<Vec<request::Model>> {
    viewer.require_reviewer()?;
    let now = ctx.clock.now();
    let states: Vec<&str> = match &filter.states {
        Some(states) if !states.is_empty() => states.iter().map(|s| s.as_str()).collect(),
        _ => State::OPEN
            .into_iter()
            .filter(|s| *s != State::Draft)
            .map(State::as_str)
            .collect(),
    };
    let mut query = request::Entity::find()
        .filter(request::Column::State.is_in(states))
        // Reviewers see a request once it has been submitted, and only
        // within their tier.
        .filter(request::Column::SubmittedAt.is_not_null())
        .filter(within_tier(viewer))
        .order_by_asc(request::Column::NeededBy)
        .order_by_asc(request::Column::QueuedAt)
        .order_by_asc(request::Column::Id)
        .limit(limit);
    if let Some(assignee) = filter.assignee_id {
        query = query.filter(request::Column::AssigneeId.eq(assignee));
    }
    if filter.unassigned {
        query = query.filter(request::Column::AssigneeId.is_null());
    }
    if let Some(workspace) = filter.workspace_id {
        query = query.filter(request::Column::WorkspaceId.eq(workspace));
    }
    match filter.overdue {
        Some(true) => query = query.filter(overdue_condition(now)),
        Some(false) => query = query.filter(overdue_condition(now).not()),
        None => {}
    }
    if let Some(c) = after {
        query = query.filter(
            Condition::any()
                .add(request::Column::NeededBy.gt(c.needed_by))
                .add(
                    Condition::all()
                        .add(request::Column::NeededBy.eq(c.needed_by))
                        .add(request::Column::QueuedAt.gt(c.queued_at)),
                )
                .add(
                    Condition::all()
                        .add(request::Column::NeededBy.eq(c.needed_by))
                        .add(request::Column::QueuedAt.eq(c.queued_at))
                        .add(request::Column::Id.gt(c.id)),
                ),
        );
    }
    Ok(query.all(&ctx.db).await?)
}

/// The viewer's own requests, newest first, before `before_id`.
pub async fn mine(
    ctx: &AppContext,
    viewer: &CurrentUser,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<request::Model>> {
    let mut query = request::Entity::find()
        .filter(request::Column::RequesterId.eq(viewer.id))
        .filter(within_tier(viewer))
        .order_by_desc(request::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(request::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub counts: Vec<(State, u64)>,
    /// Median hours from first submission to the (latest) decision, over
    /// approved and denied requests.
    pub median_hours_to_decision: Option<f64>,
    pub decided: u64,
    pub overdue: u64,
}

pub async fn metrics(ctx: &AppContext, viewer: &CurrentUser) -> AppResult<Metrics> {
    if !viewer.is_staff() {
        return Err(AppError::forbidden(
            "only program staff can see these metrics",
        ));
    }
    let now = ctx.clock.now();
    let rows: Vec<(String, i64)> = request::Entity::find()
        .select_only()
        .column(request::Column::State)
        .column_as(request::Column::Id.count(), "n")
        .group_by(request::Column::State)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let counts = State::ALL
        .into_iter()
        .map(|state| {
            let n = rows
                .iter()
                .find(|(s, _)| s == state.as_str())
                .map(|(_, n)| *n as u64)
                .unwrap_or(0);
            (state, n)
        })
        .collect();
    let overdue = request::Entity::find()
        .filter(overdue_condition(now))
        .count(&ctx.db)
        .await?;
    // In Rust rather than SQL: the two databases disagree on date arithmetic,
    // and the decided set is small.
    type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let spans: Vec<Span> = request::Entity::find()
        .select_only()
        .column(request::Column::SubmittedAt)
        .column(request::Column::DecidedAt)
        .filter(request::Column::State.is_in([State::Approved.as_str(), State::Denied.as_str()]))
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let mut hours: Vec<f64> = spans
        .into_iter()
        .filter_map(|(submitted, decided)| Some((decided? - submitted?).num_seconds()))
        .map(|secs| secs as f64 / 3600.0)
        .collect();
    Ok(Metrics {
        counts,
        median_hours_to_decision: median(&mut hours),
        decided: hours.len() as u64,
        overdue,
    })
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_sets() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5.0]), Some(5.0));
        assert_eq!(median(&mut [9.0, 1.0, 5.0]), Some(5.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 10.0]), Some(3.0));
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = QueueCursor {
            needed_by: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            queued_at: DateTime::parse_from_rfc3339("2026-11-24T10:11:12.123456789Z")
                .expect("time")
                .with_timezone(&Utc),
            id: 42,
        };
        assert_eq!(QueueCursor::decode(&cursor.encode()).ok(), Some(cursor));
        assert!(QueueCursor::decode("not a cursor").is_err());
        assert!(QueueCursor::decode("").is_err());
    }

    #[test]
    fn cells_must_be_below_the_threshold() {
        let cell = |min, max| Cell {
            description: "Participants with condition X in county Y".into(),
            count_min: min,
            count_max: max,
            why_not_suppressed: "The count itself is the finding.".into(),
        };
        assert!(validate_cells(&[cell(1, 20)]).is_ok());
        let field = |r: AppResult<Vec<Cell>>| match r {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(field(validate_cells(&[cell(0, 5)])), "cells[0].countMin");
        assert_eq!(
            field(validate_cells(&[cell(1, 5), cell(5, 21)])),
            "cells[1].countMax"
        );
        assert_eq!(field(validate_cells(&[cell(8, 3)])), "cells[0].countMax");
    }
}
