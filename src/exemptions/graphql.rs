//! GraphQL for dissemination-exemption requests: the requester's drafts and
//! submissions, the reviewers' queue and decisions, the history, and staff
//! metrics. Thin: parse, call the service, wrap.

use std::sync::Arc;

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
    dataloader::{DataLoader, Loader},
};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    conflict::{self, ConflictReason, Facts},
    loaders::{
        ExemptionApprovalsLoader, ExemptionEventsLoader, ExemptionWorkspaceLoader, Members,
        WorkspaceMembersLoader,
    },
    service::{self, Cell, Changes, NewRequest, QueueCursor, QueueFilter},
    state::{self, Action, State},
};
use crate::{
    auth::{graphql::User, loaders::UserLoader},
    entities::{exemption_approval, exemption_event, exemption_request, workspace},
    error::{AppError, AppResult},
    identity::Tier,
    request::{GqlResult, app, page, require_user, viewer},
    validate,
};

pub const MAX_PAGE: usize = 50;

async fn load<L, V>(ctx: &Context<'_>, key: i64) -> AppResult<Option<V>>
where
    L: Loader<i64, Value = V, Error = Arc<AppError>>,
    V: Clone + Send + Sync + 'static,
{
    ctx.data_unchecked::<DataLoader<L>>()
        .load_one(key)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))
}

async fn load_user(ctx: &Context<'_>, id: Option<i64>) -> AppResult<Option<User>> {
    match id {
        Some(id) => Ok(load::<UserLoader, _>(ctx, id).await?.map(User)),
        None => Ok(None),
    }
}

/// A Data and Statistics Dissemination Exemption request. Visible to its
/// requester, the workspace's owner and collaborators (read-only), and
/// reviewers and admins.
pub struct ExemptionRequest(pub exemption_request::Model);

impl ExemptionRequest {
    fn current_state(&self) -> State {
        State::parse(&self.0.state).unwrap_or(State::Draft)
    }

    /// Whether the viewer's tier covers the request's workspace now. The
    /// service checked it when the request was loaded; the fields that
    /// carry tiered data check it again, so no path to this object (a
    /// mutation's answer, a nested field) shows them to a viewer who lost
    /// the tier.
    async fn tier_covered(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        let tier = load::<ExemptionWorkspaceLoader, _>(ctx, self.0.workspace_id)
            .await?
            .and_then(|w| Tier::parse(&w.tier))
            .unwrap_or(Tier::Controlled);
        Ok(v.tier.covers(tier))
    }

    /// What the conflict rule reads for this request.
    async fn facts(&self, ctx: &Context<'_>) -> AppResult<(Members, Vec<i64>)> {
        let members = load::<WorkspaceMembersLoader, _>(ctx, self.0.workspace_id)
            .await?
            .unwrap_or_default();
        let deniers: Vec<i64> = if self.0.appealed_at.is_some() {
            load::<ExemptionEventsLoader, _>(ctx, self.0.id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.kind == service::kind::DENY)
                .filter_map(|e| e.actor_id)
                .collect()
        } else {
            Vec::new()
        };
        Ok((members, deniers))
    }

    /// Why `reviewer_id` may not review this request.
    async fn conflict_for(
        &self,
        ctx: &Context<'_>,
        reviewer_id: i64,
    ) -> AppResult<Option<ConflictReason>> {
        let (members, deniers) = self.facts(ctx).await?;
        Ok(conflict::conflict(
            &self.0,
            reviewer_id,
            Facts {
                owner_id: members.owner_id,
                collaborators: &members.collaborators,
                history: &members.history,
                deniers: &deniers,
            },
        ))
    }

    /// Whether the viewer may read internal comments: a reviewer with no
    /// conflict of interest.
    async fn viewer_sees_internal(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let Some(v) = viewer(ctx) else {
            return Ok(false);
        };
        if !v.is_reviewer() || v.id == self.0.requester_id {
            return Ok(false);
        }
        let conflict = self.conflict_for(ctx, v.id).await?;
        Ok(!conflict.is_some_and(ConflictReason::is_of_interest))
    }

    /// This round's approvals that count: an approval whose reviewer became
    /// conflicted before the request was decided is void.
    async fn round_approvals(
        &self,
        ctx: &Context<'_>,
    ) -> AppResult<Vec<exemption_approval::Model>> {
        let cast: Vec<exemption_approval::Model> =
            load::<ExemptionApprovalsLoader, _>(ctx, self.0.id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.round == self.0.round)
                .collect();
        if cast.is_empty() {
            return Ok(cast);
        }
        let (members, deniers) = self.facts(ctx).await?;
        let facts = Facts {
            owner_id: members.owner_id,
            collaborators: &members.collaborators,
            history: &members.history,
            deniers: &deniers,
        };
        Ok(cast
            .into_iter()
            .filter(|vote| !conflict::approval_void(&self.0, vote.reviewer_id, facts))
            .collect())
    }
}

impl ExemptionRequest {
    /// `value` for a viewer whose tier covers the workspace; NOT_FOUND,
    /// the answer for the request itself, otherwise.
    async fn tiered(&self, ctx: &Context<'_>, value: &str) -> GqlResult<String> {
        if self.tier_covered(ctx).await? {
            Ok(value.to_string())
        } else {
            Err(not_found().into())
        }
    }
}

fn not_found() -> AppError {
    AppError::NotFound("exemption request")
}

/// Why the viewer may not review a request.
#[derive(SimpleObject)]
pub struct ExemptionConflict {
    pub reason: ConflictReason,
    /// The reason in words, as the refusal of a claim gives it.
    pub message: String,
}

#[Object]
impl ExemptionRequest {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn state(&self) -> State {
        self.current_state()
    }
    /// Bumped by every edit of the requester. Decisions pass the version
    /// they were made on as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn requester(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, Some(self.0.requester_id)).await?)
    }
    /// Null for a viewer whose data tier does not cover the workspace.
    async fn workspace(&self, ctx: &Context<'_>) -> GqlResult<Option<ExemptionWorkspace>> {
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(
            load::<ExemptionWorkspaceLoader, _>(ctx, self.0.workspace_id)
                .await?
                .filter(|w| {
                    v.tier
                        .covers(Tier::parse(&w.tier).unwrap_or(Tier::Controlled))
                })
                .map(ExemptionWorkspace),
        )
    }
    /// Why the viewer, a reviewer, may not review this request: their own,
    /// their workspace's now or while the request existed, or an appeal of
    /// their own denial. Null when they may, and for everyone else.
    async fn review_conflict(&self, ctx: &Context<'_>) -> GqlResult<Option<ExemptionConflict>> {
        let Some(v) = viewer(ctx).filter(|v| v.is_reviewer()) else {
            return Ok(None);
        };
        Ok(self
            .conflict_for(ctx, v.id)
            .await?
            .map(|reason| ExemptionConflict {
                reason,
                message: reason.message("you"),
            }))
    }
    /// What will be disseminated (markdown source).
    async fn dissemination(&self, ctx: &Context<'_>) -> GqlResult<String> {
        self.tiered(ctx, &self.0.dissemination).await
    }
    /// Sanitized HTML of `dissemination`.
    async fn dissemination_html(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let html = self.tiered(ctx, &self.0.dissemination_html).await?;
        Ok(crate::request::html_for_readers(ctx, &html))
    }
    /// The cells or statistics below the threshold.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn cells(&self, ctx: &Context<'_>) -> GqlResult<Vec<ExemptionCell>> {
        if !self.tier_covered(ctx).await? {
            return Err(not_found().into());
        }
        Ok(service::cells_of(&self.0)
            .into_iter()
            .map(ExemptionCell::from)
            .collect())
    }
    async fn justification(&self, ctx: &Context<'_>) -> GqlResult<String> {
        self.tiered(ctx, &self.0.justification).await
    }
    async fn justification_html(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let html = self.tiered(ctx, &self.0.justification_html).await?;
        Ok(crate::request::html_for_readers(ctx, &html))
    }
    /// The intended venue (journal, conference, preprint server, …).
    async fn venue(&self) -> &str {
        &self.0.venue
    }
    /// The linked publication report, if any.
    async fn publication_report_id(&self) -> Option<ID> {
        self.0.publication_report_id.map(|id| ID(id.to_string()))
    }
    async fn needed_by(&self) -> NaiveDate {
        self.0.needed_by
    }
    async fn assignee(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.assignee_id).await?)
    }
    /// First submission.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// When the review is due: business days (Monday to Friday) after the
    /// latest submission, resubmission or appeal.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// Waiting on reviewers past its due time.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        service::is_overdue(&self.0, app(ctx).clock.now())
    }
    /// Approvals this round needs (1 or 2).
    async fn approvals_required(&self) -> i32 {
        self.0.approvals_required
    }
    /// Approvals recorded in this round ("1 of 2").
    async fn approval_count(&self, ctx: &Context<'_>) -> GqlResult<i32> {
        Ok(self.round_approvals(ctx).await?.len() as i32)
    }
    /// The approving votes of this round.
    #[graphql(complexity = "crate::request::cost::listed(5, child_complexity)")]
    async fn approvals(&self, ctx: &Context<'_>) -> GqlResult<Vec<ExemptionApproval>> {
        Ok(self
            .round_approvals(ctx)
            .await?
            .into_iter()
            .map(ExemptionApproval)
            .collect())
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// The version the latest decision (or request for changes) was made on.
    async fn decided_version(&self) -> Option<i32> {
        self.0.decided_version
    }
    /// The latest decision's note: approval conditions, the reason for a
    /// denial, or the changes requested (markdown source).
    async fn decision_note(&self) -> &str {
        &self.0.decision_note
    }
    async fn decision_note_html(&self, ctx: &Context<'_>) -> String {
        crate::request::html_for_readers(ctx, &self.0.decision_note_html)
    }
    async fn appealed_at(&self) -> Option<DateTime<Utc>> {
        self.0.appealed_at
    }
    async fn appeal_reason(&self) -> &str {
        &self.0.appeal_reason
    }
    /// The moves the state machine allows from here (whoever may make them).
    async fn allowed_actions(&self) -> Vec<Action> {
        state::allowed_actions(self.current_state())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The append-only history, oldest first. Internal comments appear only
    /// for reviewers without a conflict of interest.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> GqlResult<Vec<ExemptionEvent>> {
        let internal = self.viewer_sees_internal(ctx).await?;
        Ok(load::<ExemptionEventsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|e| internal || !e.internal)
            .map(ExemptionEvent)
            .collect())
    }
}

/// The workspace a request is made from.
pub struct ExemptionWorkspace(pub workspace::Model);

#[Object]
impl ExemptionWorkspace {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The Workbench namespace.
    async fn namespace(&self) -> &str {
        &self.0.namespace
    }
    async fn cdr_version(&self) -> &str {
        &self.0.cdr_version
    }
}

/// A cell or statistic below the threshold of 20.
#[derive(SimpleObject)]
pub struct ExemptionCell {
    pub description: String,
    pub count_min: i32,
    pub count_max: i32,
    /// Why suppressing, collapsing or coarsening won't do.
    pub why_not_suppressed: String,
}

impl From<Cell> for ExemptionCell {
    fn from(c: Cell) -> Self {
        Self {
            description: c.description,
            count_min: c.count_min,
            count_max: c.count_max,
            why_not_suppressed: c.why_not_suppressed,
        }
    }
}

#[derive(InputObject)]
pub struct ExemptionCellInput {
    pub description: String,
    /// At least 1: a count of 0 needs no exemption.
    pub count_min: i32,
    /// At most 20: larger counts need no exemption.
    pub count_max: i32,
    pub why_not_suppressed: String,
}

impl From<ExemptionCellInput> for Cell {
    fn from(c: ExemptionCellInput) -> Self {
        Self {
            description: c.description,
            count_min: c.count_min,
            count_max: c.count_max,
            why_not_suppressed: c.why_not_suppressed,
        }
    }
}

pub struct ExemptionApproval(pub exemption_approval::Model);

#[Object]
impl ExemptionApproval {
    async fn reviewer(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, Some(self.0.reviewer_id)).await?)
    }
    async fn conditions(&self) -> &str {
        &self.0.conditions
    }
    /// The request version the approval was made on.
    async fn request_version(&self) -> i32 {
        self.0.request_version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExemptionEventKind {
    Create,
    Edit,
    Submit,
    Claim,
    Assign,
    RequestChanges,
    Resubmit,
    /// An approving vote; it decides when it is the last one needed.
    Approve,
    Deny,
    Withdraw,
    Appeal,
    Comment,
    /// The system took the assignee off the request: they became
    /// conflicted while it was theirs, and it went back to the queue.
    Unassign,
}

impl ExemptionEventKind {
    fn parse(s: &str) -> Self {
        use service::kind as k;
        match s {
            k::CREATE => Self::Create,
            k::EDIT => Self::Edit,
            k::SUBMIT => Self::Submit,
            k::CLAIM => Self::Claim,
            k::ASSIGN => Self::Assign,
            k::REQUEST_CHANGES => Self::RequestChanges,
            k::RESUBMIT => Self::Resubmit,
            k::APPROVE => Self::Approve,
            k::DENY => Self::Deny,
            k::WITHDRAW => Self::Withdraw,
            k::APPEAL => Self::Appeal,
            k::UNASSIGN => Self::Unassign,
            _ => Self::Comment,
        }
    }
}

/// One entry of a request's history.
pub struct ExemptionEvent(pub exemption_event::Model);

#[Object]
impl ExemptionEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> ExemptionEventKind {
        ExemptionEventKind::parse(&self.0.kind)
    }
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.actor_id).await?)
    }
    async fn from_state(&self) -> Option<State> {
        self.0.from_state.as_deref().and_then(State::parse)
    }
    async fn to_state(&self) -> Option<State> {
        State::parse(&self.0.to_state)
    }
    async fn comment(&self) -> &str {
        &self.0.comment
    }
    async fn comment_html(&self, ctx: &Context<'_>) -> String {
        crate::request::html_for_readers(ctx, &self.0.comment_html)
    }
    /// Reviewers only.
    async fn internal(&self) -> bool {
        self.0.internal
    }
    /// The request version when this happened.
    async fn request_version(&self) -> i32 {
        self.0.request_version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct ExemptionStateCount {
    pub state: State,
    pub count: i64,
}

/// Figures for program staff.
#[derive(SimpleObject)]
pub struct ExemptionMetrics {
    pub counts_by_state: Vec<ExemptionStateCount>,
    /// Median hours from first submission to decision over approved and
    /// denied requests; null before the first decision.
    pub median_hours_to_decision: Option<f64>,
    pub decided_count: i64,
    pub overdue_count: i64,
}

#[derive(InputObject)]
pub struct CreateExemptionRequestInput {
    /// A workspace the requester owns or collaborates on.
    pub workspace_id: ID,
    pub title: String,
    /// What will be disseminated (markdown).
    #[graphql(default)]
    pub dissemination: String,
    #[graphql(default)]
    pub cells: Vec<ExemptionCellInput>,
    #[graphql(default)]
    pub justification: String,
    #[graphql(default)]
    pub venue: String,
    pub needed_by: NaiveDate,
    pub publication_report_id: Option<ID>,
}

/// Omitted fields stay as they are; `cells` replaces the whole list;
/// `publicationReportId: null` unlinks the report.
#[derive(InputObject)]
pub struct UpdateExemptionRequestInput {
    pub title: Option<String>,
    pub dissemination: Option<String>,
    pub cells: Option<Vec<ExemptionCellInput>>,
    pub justification: Option<String>,
    pub venue: Option<String>,
    pub needed_by: Option<NaiveDate>,
    pub publication_report_id: MaybeUndefined<ID>,
}

#[derive(InputObject, Default)]
pub struct ExemptionQueueFilter {
    /// Defaults to every open state past the draft.
    pub states: Option<Vec<State>>,
    pub assignee_id: Option<ID>,
    /// Only requests nobody is assigned to.
    #[graphql(default)]
    pub unassigned: bool,
    pub workspace_id: Option<ID>,
    /// true: only overdue requests; false: only those on time.
    pub overdue: Option<bool>,
}

fn optional_id(field: &str, id: Option<&ID>) -> AppResult<Option<i64>> {
    id.map(|id| validate::id(field, id)).transpose()
}

type RequestConnection = Connection<String, ExemptionRequest, EmptyFields, EmptyFields>;

#[derive(Default)]
pub struct ExemptionQuery;

#[Object]
impl ExemptionQuery {
    /// A request the viewer may see; NOT_FOUND otherwise.
    async fn exemption_request(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let (req, _) = service::get(app(ctx), viewer, id).await?;
        Ok(ExemptionRequest(req))
    }

    /// The viewer's own requests, newest first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn my_exemption_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<RequestConnection> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows = service::mine(app, viewer, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|r| Edge::new(r.id.to_string(), ExemptionRequest(r))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Reviewers: open requests ordered by needed-by date, then age.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn exemption_queue(
        &self,
        ctx: &Context<'_>,
        filter: Option<ExemptionQueueFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<RequestConnection> {
        let viewer = require_user(ctx)?;
        viewer.require_reviewer()?;
        let app = app(ctx);
        let filter = filter.unwrap_or_default();
        let filter = QueueFilter {
            states: filter.states,
            assignee_id: optional_id("filter.assigneeId", filter.assignee_id.as_ref())?,
            unassigned: filter.unassigned,
            workspace_id: optional_id("filter.workspaceId", filter.workspace_id.as_ref())?,
            overdue: filter.overdue,
        };
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let cursor = after.as_deref().map(QueueCursor::decode).transpose()?;
                let rows =
                    service::queue(app, viewer, &filter, cursor.as_ref(), page::fetch(limit))
                        .await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(cursor.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|r| Edge::new(QueueCursor::of(&r).encode(), ExemptionRequest(r))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Staff: counts by state, median time to decision, overdue count.
    async fn exemption_metrics(&self, ctx: &Context<'_>) -> GqlResult<ExemptionMetrics> {
        let viewer = require_user(ctx)?;
        let m = service::metrics(app(ctx), viewer).await?;
        Ok(ExemptionMetrics {
            counts_by_state: m
                .counts
                .into_iter()
                .map(|(state, count)| ExemptionStateCount {
                    state,
                    count: count as i64,
                })
                .collect(),
            median_hours_to_decision: m.median_hours_to_decision,
            decided_count: m.decided as i64,
            overdue_count: m.overdue as i64,
        })
    }
}

#[derive(Default)]
pub struct ExemptionMutation;

#[Object]
impl ExemptionMutation {
    /// Saves a new request as a draft.
    async fn create_exemption_request(
        &self,
        ctx: &Context<'_>,
        input: CreateExemptionRequestInput,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let req = service::create(
            app(ctx),
            viewer,
            NewRequest {
                workspace_id: validate::id("workspaceId", &input.workspace_id)?,
                title: input.title,
                dissemination: input.dissemination,
                cells: input.cells.into_iter().map(Cell::from).collect(),
                justification: input.justification,
                venue: input.venue,
                needed_by: input.needed_by,
                publication_report_id: optional_id(
                    "publicationReportId",
                    input.publication_report_id.as_ref(),
                )?,
            },
        )
        .await?;
        Ok(ExemptionRequest(req))
    }

    /// The requester edits a draft, or a request sent back for changes.
    async fn update_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateExemptionRequestInput,
        expected_version: Option<i32>,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let publication_report_id = match &input.publication_report_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(validate::id("publicationReportId", id)?)),
        };
        let req = service::update(
            app(ctx),
            viewer,
            validate::id("id", &id)?,
            Changes {
                title: input.title,
                dissemination: input.dissemination,
                cells: input
                    .cells
                    .map(|cells| cells.into_iter().map(Cell::from).collect()),
                justification: input.justification,
                venue: input.venue,
                needed_by: input.needed_by,
                publication_report_id,
                expected_version,
            },
        )
        .await?;
        Ok(ExemptionRequest(req))
    }

    async fn submit_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::submit(app(ctx), viewer, id).await?,
        ))
    }

    async fn resubmit_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: Option<String>,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::resubmit(app(ctx), viewer, id, comment.as_deref()).await?,
        ))
    }

    async fn withdraw_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::withdraw(app(ctx), viewer, id, reason.as_deref()).await?,
        ))
    }

    /// Re-opens a denied request for a different reviewer (once).
    async fn appeal_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::appeal(app(ctx), viewer, id, &reason).await?,
        ))
    }

    /// Reviewers: take a request from the queue.
    async fn claim_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::claim(app(ctx), viewer, id).await?,
        ))
    }

    /// Reviewers: assign a request to an eligible reviewer.
    async fn assign_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reviewer_id: ID,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let reviewer_id = validate::id("reviewerId", &reviewer_id)?;
        Ok(ExemptionRequest(
            service::assign(app(ctx), viewer, id, reviewer_id).await?,
        ))
    }

    /// Reviewers: approve, with optional conditions. With two approvals
    /// required, the first is recorded and the request stays in review.
    async fn approve_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        conditions: Option<String>,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let outcome = service::approve(
            app(ctx),
            viewer,
            id,
            expected_version,
            conditions.as_deref(),
        )
        .await?;
        Ok(ExemptionRequest(outcome.request))
    }

    /// Reviewers: deny, with the reason.
    async fn deny_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        reason: String,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::deny(app(ctx), viewer, id, expected_version, &reason).await?,
        ))
    }

    /// Reviewers: send the request back to the requester with comments.
    async fn request_exemption_changes(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        comments: String,
    ) -> GqlResult<ExemptionRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ExemptionRequest(
            service::request_changes(app(ctx), viewer, id, expected_version, &comments).await?,
        ))
    }

    /// Adds a comment to the history; `internal` comments are for reviewers.
    async fn comment_on_exemption_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        body: String,
        #[graphql(desc = "Reviewers only; defaults to false.")] internal: Option<bool>,
    ) -> GqlResult<ExemptionEvent> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let internal = internal.unwrap_or(false);
        Ok(ExemptionEvent(
            service::comment(app(ctx), viewer, id, &body, internal).await?,
        ))
    }
}
