//! Who may read a publication report, and as whom: its authors, staff, or
//! the community once it is published and out of embargo.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::types::PublicationStatus;
use crate::{
    context::AppContext,
    entities::{publication_report as report, publication_report_coauthor as coauthor},
    error::{AppError, AppResult},
    identity::{CurrentUser, Tier},
};

/// How a viewer relates to a report; decides what they may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The filer, the lead author or a co-author on the platform.
    Author,
    /// Program staff who read reports (reviewers and admins).
    Staff,
    /// Any researcher of a matching tier, once published and out of embargo.
    Community,
}

impl Access {
    /// Authors and staff see the compliance details (late flag, history,
    /// attestations, exemption link); the community sees the work itself.
    pub fn full(self) -> bool {
        matches!(self, Access::Author | Access::Staff)
    }
}

async fn coauthor_user_ids(conn: &impl ConnectionTrait, report_id: i64) -> AppResult<Vec<i64>> {
    Ok(coauthor::Entity::find()
        .select_only()
        .column(coauthor::Column::UserId)
        .filter(coauthor::Column::ReportId.eq(report_id))
        .filter(coauthor::Column::UserId.is_not_null())
        .into_tuple::<Option<i64>>()
        .all(conn)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

fn is_embargoed(m: &report::Model, now: DateTime<Utc>) -> bool {
    m.embargo_until.is_some_and(|until| until > now)
}

fn report_tier(m: &report::Model) -> Tier {
    m.tier
        .as_deref()
        .and_then(Tier::parse)
        .unwrap_or(Tier::Registered)
}

/// What `viewer` may see of `m`, or `None` when it must stay hidden.
pub async fn access(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    m: &report::Model,
    now: DateTime<Utc>,
) -> AppResult<Option<Access>> {
    if m.filer_id == viewer.id
        || m.lead_author_id == viewer.id
        || coauthor_user_ids(conn, m.id).await?.contains(&viewer.id)
    {
        return Ok(Some(Access::Author));
    }
    // A draft is its authors' business only.
    if m.filed_at.is_none() {
        return Ok(None);
    }
    if viewer.is_reviewer() {
        return Ok(Some(Access::Staff));
    }
    if m.status == PublicationStatus::Published.as_str()
        && !is_embargoed(m, now)
        && viewer.tier.covers(report_tier(m))
    {
        return Ok(Some(Access::Community));
    }
    Ok(None)
}

/// A report the viewer may read. Hidden reports are "not found", so their
/// existence does not leak.
pub async fn get(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<(report::Model, Access)> {
    let m = report::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::NotFound("publication report"))?;
    match access(&ctx.db, viewer, &m, ctx.clock.now()).await? {
        Some(a) => Ok((m, a)),
        None => Err(AppError::NotFound("publication report")),
    }
}

pub(super) fn require_staff(viewer: &CurrentUser) -> AppResult<()> {
    if viewer.is_reviewer() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "only reviewers and admins can see every publication report",
        ))
    }
}
