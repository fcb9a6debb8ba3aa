//! A reviewer who becomes conflicted while a request is theirs does not
//! stay its assignee. Joining the request's workspace is the one way to
//! become conflicted after the fact (leaving keeps a conflict, it never
//! starts one); the membership history announces it as a job
//! (`membership::JOINED`), and this takes the reviewer off every request of
//! that workspace still with reviewers, records it in the history, and
//! leaves the request unassigned in the queue for another reviewer. Their
//! approval, if they cast one, already voids itself (`conflict::approval_void`).

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{
    conflict::ConflictReason,
    service::{self, NewEvent, kind},
    state::State,
};
use crate::{
    context::AppContext,
    entities::exemption_request as request,
    error::AppResult,
    jobs::JobError,
    membership::{JOINED, Joined},
    notifications::service::{NewNotification, notify},
};

/// The `membership.joined` job's handler.
pub async fn member_joined(ctx: &AppContext, payload: &str) -> Result<(), JobError> {
    let joined: Joined =
        serde_json::from_str(payload).map_err(|e| JobError::bad_payload(&JOINED, e))?;
    unassign_conflicted(ctx, joined.workspace_id, joined.user_id).await?;
    Ok(())
}

/// Takes `user_id` off each request of the workspace that is theirs and
/// with reviewers, if they are now conflicted on it. Returns how many.
pub async fn unassign_conflicted(
    ctx: &AppContext,
    workspace_id: i64,
    user_id: i64,
) -> AppResult<usize> {
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let theirs: Vec<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::WorkspaceId.eq(workspace_id))
        .filter(request::Column::AssigneeId.eq(user_id))
        .filter(request::Column::State.is_in(State::WITH_REVIEWERS.map(State::as_str)))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut unassigned = 0;
    for id in theirs {
        // Judged again on the locked row: the request may have moved on.
        let before = service::lock(&txn, id).await?;
        let state = service::state_of(&before)?;
        if before.assignee_id != Some(user_id) || !state.is_with_reviewers() {
            continue;
        }
        let Some(reason) = service::conflict_of(&txn, &before, user_id)
            .await?
            .filter(|r| ConflictReason::is_of_interest(*r))
        else {
            continue;
        };
        let handle = format!("@{}", service::handle_of(&txn, user_id).await?);
        // The version stays: nothing reviewers decide on has changed.
        let mut active: request::ActiveModel = before.clone().into();
        active.assignee_id = Set(None);
        active.updated_at = Set(now);
        let req = service::save(&txn, &before, active).await?;
        service::record(
            &txn,
            now,
            &req,
            NewEvent {
                actor_id: None,
                kind: kind::UNASSIGN,
                from: Some(state),
                comment: &format!(
                    "Unassigned from {handle}, back to the queue: {}.",
                    reason.message(&handle)
                ),
                internal: false,
            },
        )
        .await?;
        notify(
            &txn,
            ctx,
            NewNotification {
                user_id,
                kind: service::NOTIFICATION_REVIEW,
                actor_id: None,
                title: format!("Exemption request taken off your queue: {}", req.title),
                excerpt: reason.message("you"),
                link: service::link(req.id),
                subject: Some(("exemption_request", req.id)),
                email: false,
            },
        )
        .await?;
        unassigned += 1;
    }
    txn.commit().await?;
    Ok(unassigned)
}
