//! The audit log: every moderation action (who, what, target, reason,
//! when), written in the action's own transaction, readable by moderators
//! and admins.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;

use super::types::{ModerationAction, ModerationTargetType};
use crate::{
    context::AppContext,
    entities::moderation_audit_log as audit,
    error::{AppError, AppResult},
    identity::CurrentUser,
};

/// One row to write.
pub struct AuditEntry<'a> {
    /// None: the system.
    pub actor_id: Option<i64>,
    pub action: ModerationAction,
    pub target: (ModerationTargetType, i64),
    pub reason: &'a str,
    pub details: Value,
}

pub async fn record(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    entry: AuditEntry<'_>,
) -> AppResult<audit::Model> {
    let details = if entry.details.is_null() {
        "{}".to_string()
    } else {
        entry.details.to_string()
    };
    Ok(audit::ActiveModel {
        actor_id: Set(entry.actor_id),
        action: Set(entry.action.as_str().into()),
        target_type: Set(entry.target.0.as_str().into()),
        target_id: Set(entry.target.1),
        reason: Set(entry.reason.to_string()),
        details: Set(details),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

#[derive(Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub action: Option<ModerationAction>,
    pub target_type: Option<ModerationTargetType>,
    pub target_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// A page of the log, newest first, before row `before_id`.
pub async fn list(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<audit::Model>> {
    viewer.require_moderator()?;
    if filter.target_id.is_some() && filter.target_type.is_none() {
        return Err(AppError::validation(
            "targetType",
            "give the target's type with its id",
        ));
    }
    let mut query = audit::Entity::find()
        .order_by_desc(audit::Column::Id)
        .limit(limit);
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit::Column::ActorId.eq(actor));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit::Column::Action.eq(action.as_str()));
    }
    if let Some(t) = filter.target_type {
        query = query.filter(audit::Column::TargetType.eq(t.as_str()));
    }
    if let Some(id) = filter.target_id {
        query = query.filter(audit::Column::TargetId.eq(id));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit::Column::CreatedAt.lt(until));
    }
    if let Some(before) = before_id {
        query = query.filter(audit::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}
