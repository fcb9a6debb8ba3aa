//! GraphQL for moderation: flags for every member; the queue, actions and
//! audit log for moderators and admins. Resolvers are thin: authorization
//! lives in the services.

use async_graphql::{
    Context, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
};
use chrono::{DateTime, Utc};

use super::{
    actions::{self, ThreadSwitch},
    audit::{self, AuditFilter},
    flags::{self, FlagTarget, NewFlag},
    loaders::{EntryByPostLoader, EventsLoader, FlagsLoader, ReasonsLoader},
    posting::StoredFinding,
    queue::{self, Decision, Outcome, QueueCursor, QueueFilter},
    types::{
        FlagReason, FlagStatus, ModerationAction, ModerationEventKind, ModerationItemStatus,
        ModerationPriority, ModerationReason, ModerationTargetType,
    },
};
use crate::{
    auth::{graphql::User, loaders::UserLoader},
    context::AppContext,
    entities::{
        forum_post as post, moderation_audit_log as audit_row, moderation_flag as flag,
        moderation_queue_entry as entry, moderation_queue_event as event,
    },
    error::AppError,
    forum::{
        ModerationState,
        loaders::{PostLoader, ThreadLoader, load},
        objects::{Category, Post, PostRevision, Thread},
        service as forum,
    },
    request::{GqlResult, app, page, require_user, viewer},
    validate,
};

pub const DEFAULT_PAGE: usize = 20;
pub const MAX_PAGE: usize = 50;

async fn user(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<User>> {
    match id {
        Some(id) => Ok(load::<UserLoader, _>(ctx, id).await?.map(User)),
        None => Ok(None),
    }
}

/// One finding of the screening rules, addressed to the author.
#[derive(SimpleObject, Clone)]
pub struct ModerationFinding {
    pub code: ModerationReason,
    /// What was found and how to fix it.
    pub message: String,
    /// The matched text (Social Security numbers masked).
    pub excerpt: String,
}

impl ModerationFinding {
    fn from_stored(f: &StoredFinding) -> Option<Self> {
        Some(ModerationFinding {
            code: f.reason()?,
            message: f.message.clone(),
            excerpt: f.excerpt.clone(),
        })
    }
}

/// What the author (and moderators) are told about held or hidden content.
#[derive(SimpleObject)]
pub struct ModerationNotice {
    pub state: ModerationState,
    /// One plain sentence: where the content stands.
    pub summary: String,
    /// The program policy the content may breach, when one applies.
    pub policy: Option<String>,
    /// How to fix the content, when it can be fixed.
    pub fix: Option<String>,
    #[graphql(complexity = "crate::request::cost::listed(10, child_complexity)")]
    pub reasons: Vec<ModerationFinding>,
    /// A moderator's reason for hiding it.
    pub decision_reason: Option<String>,
}

pub const DISSEMINATION_POLICY: &str = "All of Us Data and Statistics Dissemination Policy";
pub const CODE_OF_CONDUCT: &str = "All of Us Data User Code of Conduct";

fn build_notice(
    ctx: &AppContext,
    p: &post::Model,
    state: ModerationState,
    e: Option<&entry::Model>,
) -> ModerationNotice {
    let what = if p.number <= 1 { "thread" } else { "post" };
    let mut reasons: Vec<ModerationFinding> = e
        .map(queue::findings_of)
        .unwrap_or_default()
        .iter()
        .filter_map(ModerationFinding::from_stored)
        .collect();
    if state == ModerationState::Held && e.is_some_and(|e| e.first_post) {
        let n = ctx.rules.new_users.hold_first_posts;
        let posts = if n == 1 {
            "first post is".to_string()
        } else {
            format!("first {n} posts are")
        };
        reasons.push(ModerationFinding {
            code: ModerationReason::NewUser,
            message: format!(
                "A new member's {posts} reviewed by a moderator before others see them. \
                 Nothing needs fixing: it appears once it is approved."
            ),
            excerpt: String::new(),
        });
    }
    let has = |r: ModerationReason| reasons.iter().any(|f| f.code == r);
    let policy = if has(ModerationReason::SmallCount) {
        Some(DISSEMINATION_POLICY.to_string())
    } else if has(ModerationReason::PersonIdentifier) || has(ModerationReason::Ssn) {
        Some(CODE_OF_CONDUCT.to_string())
    } else {
        None
    };
    let max = ctx.rules.small_counts.max_count;
    let mut fixes = Vec::new();
    if has(ModerationReason::SmallCount) {
        fixes.push(format!(
            "Suppress any participant count from 1 to {max} (and any figure it can be derived from): \
             remove the cell, coarsen or collapse categories until every count is above {max}, or write “≤{max}”."
        ));
    }
    if has(ModerationReason::PersonIdentifier) || has(ModerationReason::Ssn) {
        fixes.push("Remove the identifier: participant-level data must not leave the Researcher Workbench.".into());
    }
    if has(ModerationReason::BlockedWord)
        || has(ModerationReason::BlockedDomain)
        || has(ModerationReason::LinkLimit)
    {
        fixes.push("Remove the words or links named above.".into());
    }
    let fix = (!fixes.is_empty()).then(|| {
        fixes.push(format!(
            "Then edit the {what}: a moderator will review it again."
        ));
        fixes.join(" ")
    });
    let pending = e.is_some_and(|e| queue::status_of(e) == ModerationItemStatus::Pending);
    let rejected = e.is_some_and(|e| queue::status_of(e) == ModerationItemStatus::Rejected);
    let summary = match state {
        ModerationState::Visible => format!("This {what} is published."),
        ModerationState::Held if rejected => format!(
            "A moderator did not publish this {what}. Only you and the moderators can see it."
        ),
        ModerationState::Held => format!(
            "This {what} is waiting for a moderator's review. Until it is approved, only you and the moderators can see it."
        ),
        ModerationState::Hidden if rejected => {
            format!("A moderator hid this {what}. Only you and the moderators can see it.")
        }
        ModerationState::Hidden if pending && e.is_some_and(|e| e.hidden_by_flags) => format!(
            "Members reported this {what}, so it is hidden until a moderator reviews it. Only you and the moderators can see it."
        ),
        ModerationState::Hidden if pending => format!(
            "This {what} is hidden and waiting for a moderator's review. Only you and the moderators can see it."
        ),
        ModerationState::Hidden => {
            format!("A moderator hid this {what}. Only you and the moderators can see it.")
        }
    };
    let decision_reason = e
        .filter(|_| rejected)
        .map(|e| e.decision_reason.clone())
        .filter(|r| !r.is_empty());
    ModerationNotice {
        state,
        summary,
        policy,
        fix,
        reasons,
        decision_reason,
    }
}

/// The notice on a post, for its author and moderators; null for
/// published content and for everyone else.
pub async fn notice_for(ctx: &Context<'_>, p: &post::Model) -> GqlResult<Option<ModerationNotice>> {
    let Some(v) = viewer(ctx) else {
        return Ok(None);
    };
    if v.id != p.author_id && !v.is_moderator() {
        return Ok(None);
    }
    let state = ModerationState::parse(&p.moderation_state);
    if state == ModerationState::Visible {
        return Ok(None);
    }
    let e = load::<EntryByPostLoader, _>(ctx, p.id).await?;
    Ok(Some(build_notice(app(ctx), p, state, e.as_ref())))
}

/// The notice on a thread: its opening post's.
pub async fn notice_for_thread(
    ctx: &Context<'_>,
    first_post_id: Option<i64>,
) -> GqlResult<Option<ModerationNotice>> {
    let Some(id) = first_post_id else {
        return Ok(None);
    };
    match load::<PostLoader, _>(ctx, id).await? {
        Some(p) => notice_for(ctx, &p).await,
        None => Ok(None),
    }
}

#[derive(SimpleObject)]
pub struct ModerationReasonCount {
    pub reason: ModerationReason,
    /// Flags with this reason, or findings of this rule.
    pub count: i32,
}

pub struct ModerationItem(pub entry::Model);

/// A post or thread in the moderation queue, with why it is there and
/// what happened to it. Moderators and admins only.
#[Object]
impl ModerationItem {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn status(&self) -> ModerationItemStatus {
        queue::status_of(&self.0)
    }
    async fn priority(&self) -> ModerationPriority {
        ModerationPriority::from_level(self.0.priority)
    }
    /// Send it back with a decision; a newer version is a CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// POST, or THREAD for a thread's opening post.
    async fn target_type(&self) -> ModerationTargetType {
        queue::target_of(&self.0).0
    }
    /// Summed weights of this round's flags.
    async fn score(&self) -> i32 {
        self.0.score
    }
    async fn flag_count(&self) -> i32 {
        self.0.flag_count
    }
    /// Held as one of a new member's first posts.
    async fn first_post(&self) -> bool {
        self.0.first_post
    }
    /// Hidden because the flag score reached the threshold.
    async fn hidden_by_flags(&self) -> bool {
        self.0.hidden_by_flags
    }
    async fn post(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        Ok(load::<PostLoader, _>(ctx, self.0.post_id)
            .await?
            .map(Post::new))
    }
    async fn thread(&self, ctx: &Context<'_>) -> GqlResult<Option<Thread>> {
        Ok(load::<ThreadLoader, _>(ctx, self.0.thread_id)
            .await?
            .map(Thread::new))
    }
    async fn category(&self, ctx: &Context<'_>) -> GqlResult<Option<Category>> {
        let Some(t) = load::<ThreadLoader, _>(ctx, self.0.thread_id).await? else {
            return Ok(None);
        };
        let app = app(ctx);
        Ok(app
            .categories
            .by_id(&app.db, t.category_id)
            .await?
            .map(Category))
    }
    /// The content's author.
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, Some(self.0.author_id)).await
    }
    /// Where the content stands now.
    async fn content_state(&self, ctx: &Context<'_>) -> GqlResult<Option<ModerationState>> {
        Ok(load::<PostLoader, _>(ctx, self.0.post_id)
            .await?
            .map(|p| ModerationState::parse(&p.moderation_state)))
    }
    /// Why the item is in the queue this round.
    #[graphql(complexity = "crate::request::cost::listed(10, child_complexity)")]
    async fn reasons(&self, ctx: &Context<'_>) -> GqlResult<Vec<ModerationReasonCount>> {
        Ok(load::<ReasonsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| {
                Some(ModerationReasonCount {
                    reason: ModerationReason::parse(&r.code)?,
                    count: r.count,
                })
            })
            .collect())
    }
    /// The screening rules' findings on the current content.
    #[graphql(complexity = "crate::request::cost::listed(10, child_complexity)")]
    async fn findings(&self) -> Vec<ModerationFinding> {
        queue::findings_of(&self.0)
            .iter()
            .filter_map(ModerationFinding::from_stored)
            .collect()
    }
    /// Every flag, oldest first, from every round.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn flags(&self, ctx: &Context<'_>) -> GqlResult<Vec<ModerationFlag>> {
        Ok(load::<FlagsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ModerationFlag)
            .collect())
    }
    /// What happened, oldest first.
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> GqlResult<Vec<ModerationEvent>> {
        Ok(load::<EventsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ModerationEvent)
            .collect())
    }
    async fn claimed_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.claimed_by).await
    }
    async fn claimed_at(&self) -> Option<DateTime<Utc>> {
        self.0.claimed_at
    }
    async fn decided_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.decided_by).await
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    async fn decision_reason(&self) -> &str {
        &self.0.decision_reason
    }
    /// When this review round began (the age filter's clock).
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct ModerationFlag(pub flag::Model);

/// A member's flag.
#[Object]
impl ModerationFlag {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn reason(&self) -> Option<FlagReason> {
        FlagReason::parse(&self.0.reason)
    }
    /// The member's explanation (plain text; escape it).
    async fn text(&self) -> &str {
        &self.0.note
    }
    async fn status(&self) -> Option<FlagStatus> {
        FlagStatus::parse(&self.0.status)
    }
    /// POST, or THREAD when the member flagged the thread.
    async fn target_type(&self) -> Option<ModerationTargetType> {
        ModerationTargetType::parse(&self.0.target_type)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Who flagged: moderators, and the flagger themself.
    async fn flagged_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        let allowed = viewer(ctx).is_some_and(|v| v.id == self.0.user_id || v.is_moderator());
        if !allowed {
            return Ok(None);
        }
        user(ctx, Some(self.0.user_id)).await
    }
    /// The flagged post, while the viewer can see it.
    async fn post(&self, ctx: &Context<'_>) -> GqlResult<Option<Post>> {
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(load::<PostLoader, _>(ctx, self.0.post_id)
            .await?
            .filter(|p| forum::can_see_post(v, p))
            .map(Post::new))
    }
}

pub struct ModerationEvent(pub event::Model);

/// One step in a queue item's history.
#[Object]
impl ModerationEvent {
    async fn kind(&self) -> Option<ModerationEventKind> {
        ModerationEventKind::parse(&self.0.kind)
    }
    /// Null: the system (screening rules, the flag threshold).
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.actor_id).await
    }
    /// A reason, the codes that held the content, or a flag's reason.
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ModerationAuditEntry(pub audit_row::Model);

/// One moderation action in the audit log.
#[Object]
impl ModerationAuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn action(&self) -> Option<ModerationAction> {
        ModerationAction::parse(&self.0.action)
    }
    /// Null: the system (the flag threshold).
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user(ctx, self.0.actor_id).await
    }
    async fn target_type(&self) -> Option<ModerationTargetType> {
        ModerationTargetType::parse(&self.0.target_type)
    }
    async fn target_id(&self) -> ID {
        ID(self.0.target_id.to_string())
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// A JSON object: before and after values, the queue item.
    async fn details(&self) -> &str {
        &self.0.details
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct ModerationQueueFilter {
    /// PENDING when omitted.
    pub status: Option<ModerationItemStatus>,
    pub category_id: Option<ID>,
    pub reason: Option<ModerationReason>,
    /// Only items waiting at least this many hours.
    pub older_than_hours: Option<i32>,
}

#[derive(InputObject, Default)]
pub struct ModerationAuditFilter {
    pub actor_id: Option<ID>,
    pub action: Option<ModerationAction>,
    pub target_type: Option<ModerationTargetType>,
    /// With `targetType`.
    pub target_id: Option<ID>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct FlagInput {
    /// The post to flag; give this or `threadId`.
    pub post_id: Option<ID>,
    /// The thread to flag (its title and opening post).
    pub thread_id: Option<ID>,
    pub reason: FlagReason,
    /// Required for OTHER; up to 1,000 characters.
    pub text: Option<String>,
}

#[derive(SimpleObject)]
pub struct FlagPayload {
    pub flag: ModerationFlag,
    /// Whether the flags on the content reached the threshold and hid it.
    pub hidden: bool,
}

#[derive(InputObject)]
pub struct ModerationDecisionInput {
    pub id: ID,
    /// The item's `version` as the moderator saw it.
    pub expected_version: i32,
    /// Required to reject (the author is told); optional otherwise.
    pub reason: Option<String>,
}

#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// Moderators: the queue, most urgent first, then oldest first. At most
    /// 50 a page.
    #[graphql(
        complexity = "crate::request::cost::paged(first, DEFAULT_PAGE, MAX_PAGE, child_complexity)"
    )]
    async fn moderation_queue(
        &self,
        ctx: &Context<'_>,
        filter: Option<ModerationQueueFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, ModerationItem, EmptyFields, EmptyFields>> {
        let v = require_user(ctx)?;
        let filter = filter.unwrap_or_default();
        let filter = QueueFilter {
            status: filter.status.unwrap_or(ModerationItemStatus::Pending),
            category_id: filter
                .category_id
                .map(|id| validate::id("categoryId", &id))
                .transpose()?,
            reason: filter.reason,
            older_than_hours: filter.older_than_hours.map(i64::from),
        };
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, DEFAULT_PAGE, MAX_PAGE);
                let cursor = after.as_deref().map(QueueCursor::decode).transpose()?;
                let rows = queue::list(app(ctx), v, &filter, cursor, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(cursor.is_some(), has_next);
                connection.edges.extend(rows.into_iter().map(|e| {
                    let c = QueueCursor {
                        priority: e.priority,
                        id: e.id,
                    };
                    Edge::new(c.encode(), ModerationItem(e))
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Moderators: one queue item.
    async fn moderation_item(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ModerationItem> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ModerationItem(queue::get(app(ctx), v, id).await?))
    }

    /// Moderators and admins: the audit log, newest first. At most 50 a page.
    #[graphql(
        complexity = "crate::request::cost::paged(first, DEFAULT_PAGE, MAX_PAGE, child_complexity)"
    )]
    async fn moderation_audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<ModerationAuditFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, ModerationAuditEntry, EmptyFields, EmptyFields>> {
        let v = require_user(ctx)?;
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            actor_id: filter
                .actor_id
                .map(|id| validate::id("actorId", &id))
                .transpose()?,
            action: filter.action,
            target_type: filter.target_type,
            target_id: filter
                .target_id
                .map(|id| validate::id("targetId", &id))
                .transpose()?,
            since: filter.since,
            until: filter.until,
        };
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, DEFAULT_PAGE, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows = audit::list(app(ctx), v, &filter, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|r| Edge::new(r.id.to_string(), ModerationAuditEntry(r))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct ModerationMutation;

fn decision(input: ModerationDecisionInput) -> GqlResult<Decision> {
    Ok(Decision {
        id: validate::id("id", &input.id)?,
        expected_version: input.expected_version,
        reason: input.reason,
    })
}

#[Object]
impl ModerationMutation {
    /// Flags a post or a thread, once per member. Flags add up; at the
    /// configured threshold the content is hidden until a moderator reviews
    /// it. Rate limited per user.
    async fn flag(&self, ctx: &Context<'_>, input: FlagInput) -> GqlResult<FlagPayload> {
        let v = require_user(ctx)?;
        let target = match (&input.post_id, &input.thread_id) {
            (Some(id), None) => FlagTarget::Post(validate::id("postId", id)?),
            (None, Some(id)) => FlagTarget::Thread(validate::id("threadId", id)?),
            _ => {
                return Err(
                    AppError::validation("postId", "give either postId or threadId").into(),
                );
            }
        };
        let flagged = flags::flag(
            app(ctx),
            v,
            NewFlag {
                target,
                reason: input.reason,
                text: input.text,
            },
        )
        .await?;
        Ok(FlagPayload {
            flag: ModerationFlag(flagged.flag),
            hidden: flagged.hidden,
        })
    }

    /// Moderators: take an item for review. Another moderator's live claim
    /// is a CONFLICT.
    async fn claim_moderation_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
    ) -> GqlResult<ModerationItem> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ModerationItem(
            queue::claim(app(ctx), v, id, expected_version).await?,
        ))
    }

    /// Moderators: give a claimed item back to the queue.
    async fn release_moderation_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<ModerationItem> {
        let v = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(ModerationItem(queue::release(app(ctx), v, id).await?))
    }

    /// Moderators: the content is fine. Held content is published, hidden
    /// content restored.
    async fn approve_moderation_item(
        &self,
        ctx: &Context<'_>,
        input: ModerationDecisionInput,
    ) -> GqlResult<ModerationItem> {
        let v = require_user(ctx)?;
        Ok(ModerationItem(
            queue::decide(app(ctx), v, Outcome::Approve, decision(input)?).await?,
        ))
    }

    /// Moderators: hide the content; the author is told the reason (in the
    /// app and by email).
    async fn reject_moderation_item(
        &self,
        ctx: &Context<'_>,
        input: ModerationDecisionInput,
    ) -> GqlResult<ModerationItem> {
        let v = require_user(ctx)?;
        Ok(ModerationItem(
            queue::decide(app(ctx), v, Outcome::Reject, decision(input)?).await?,
        ))
    }

    /// Moderators: close the item without judging the content, which must
    /// still be published (held or hidden content needs approve or reject).
    async fn ignore_moderation_item(
        &self,
        ctx: &Context<'_>,
        input: ModerationDecisionInput,
    ) -> GqlResult<ModerationItem> {
        let v = require_user(ctx)?;
        Ok(ModerationItem(
            queue::decide(app(ctx), v, Outcome::Ignore, decision(input)?).await?,
        ))
    }

    /// Moderators: no more replies except from moderators.
    async fn lock_thread(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Thread> {
        switch(ctx, thread_id, ThreadSwitch::Lock, reason).await
    }

    async fn unlock_thread(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Thread> {
        switch(ctx, thread_id, ThreadSwitch::Unlock, reason).await
    }

    /// Moderators: keep the thread at the top of its category.
    async fn pin_thread(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Thread> {
        switch(ctx, thread_id, ThreadSwitch::Pin, reason).await
    }

    async fn unpin_thread(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Thread> {
        switch(ctx, thread_id, ThreadSwitch::Unpin, reason).await
    }

    /// Moderators: move a thread to another category.
    async fn move_thread(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
        category_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Thread> {
        let v = require_user(ctx)?;
        let thread_id = validate::id("threadId", &thread_id)?;
        let category_id = validate::id("categoryId", &category_id)?;
        Ok(Thread::new(
            actions::move_thread(app(ctx), v, thread_id, category_id, reason.as_deref()).await?,
        ))
    }

    /// Moderators: hide a post (an opening post hides its thread); the
    /// author is told the reason.
    async fn hide_post(&self, ctx: &Context<'_>, post_id: ID, reason: String) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("postId", &post_id)?;
        Ok(Post::new(
            actions::hide_post(app(ctx), v, id, &reason).await?,
        ))
    }

    /// Moderators: empty the text of one revision of a post (`number`, 1
    /// for the first edit) for everyone, the author included. Audited with
    /// the reason, never the text.
    async fn redact_post_revision(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        number: i32,
        reason: String,
    ) -> GqlResult<PostRevision> {
        let v = require_user(ctx)?;
        let id = validate::id("postId", &post_id)?;
        Ok(PostRevision(
            actions::redact_revision(app(ctx), v, id, number, &reason).await?,
        ))
    }

    /// Moderators: publish a held or hidden post. (`restorePost` undoes a
    /// delete.)
    async fn unhide_post(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Post> {
        let v = require_user(ctx)?;
        let id = validate::id("postId", &post_id)?;
        Ok(Post::new(
            actions::unhide_post(app(ctx), v, id, reason.as_deref()).await?,
        ))
    }

    /// Moderators: the user may read but not post until `until` (at most a
    /// year away). Only admins silence staff.
    async fn silence_user(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        until: DateTime<Utc>,
        reason: String,
    ) -> GqlResult<User> {
        let v = require_user(ctx)?;
        let id = validate::id("userId", &user_id)?;
        Ok(User(
            actions::silence_user(app(ctx), v, id, until, &reason).await?,
        ))
    }

    async fn unsilence_user(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        reason: Option<String>,
    ) -> GqlResult<User> {
        let v = require_user(ctx)?;
        let id = validate::id("userId", &user_id)?;
        Ok(User(
            actions::unsilence_user(app(ctx), v, id, reason.as_deref()).await?,
        ))
    }

    /// Moderators: suspend an account; it is signed out everywhere at once
    /// and emailed the reason. Only admins suspend staff.
    async fn suspend_user(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        reason: String,
    ) -> GqlResult<User> {
        let v = require_user(ctx)?;
        let id = validate::id("userId", &user_id)?;
        Ok(User(actions::suspend_user(app(ctx), v, id, &reason).await?))
    }

    async fn unsuspend_user(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        reason: Option<String>,
    ) -> GqlResult<User> {
        let v = require_user(ctx)?;
        let id = validate::id("userId", &user_id)?;
        Ok(User(
            actions::unsuspend_user(app(ctx), v, id, reason.as_deref()).await?,
        ))
    }
}

async fn switch(
    ctx: &Context<'_>,
    thread_id: ID,
    switch: ThreadSwitch,
    reason: Option<String>,
) -> GqlResult<Thread> {
    let v = require_user(ctx)?;
    let id = validate::id("threadId", &thread_id)?;
    Ok(Thread::new(
        actions::switch_thread(app(ctx), v, id, switch, reason.as_deref()).await?,
    ))
}
