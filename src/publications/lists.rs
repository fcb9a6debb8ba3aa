//! The lists of reports that authors, staff and the community see, and the
//! rows of the staff's export.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query,
};

use super::access::require_staff;
use super::types::{OutputType, PublicationStatus};
use crate::{
    context::AppContext,
    entities::{publication_report as report, publication_report_coauthor as coauthor},
    error::{AppError, AppResult},
    identity::{CurrentUser, Tier},
};

/// The staff view's filters. Dates bound the report's due date (when the
/// work first appears), inclusive.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub status: Option<PublicationStatus>,
    pub output_type: Option<OutputType>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub tier: Option<Tier>,
    pub late: Option<bool>,
}

/// Reports the viewer filed, leads or co-authors (drafts included), newest
/// first, before `before_id`.
pub async fn list_mine(
    ctx: &AppContext,
    viewer: &CurrentUser,
    status: Option<PublicationStatus>,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<report::Model>> {
    let mut query = report::Entity::find()
        .filter(
            Condition::any()
                .add(report::Column::FilerId.eq(viewer.id))
                .add(report::Column::LeadAuthorId.eq(viewer.id))
                .add(
                    report::Column::Id.in_subquery(
                        Query::select()
                            .column(coauthor::Column::ReportId)
                            .from(coauthor::Entity)
                            .and_where(coauthor::Column::UserId.eq(viewer.id))
                            .to_owned(),
                    ),
                ),
        )
        .order_by_desc(report::Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(report::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = before_id {
        query = query.filter(report::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

fn staff_query(filter: &ReportFilter) -> AppResult<sea_orm::Select<report::Entity>> {
    if let (Some(from), Some(to)) = (filter.date_from, filter.date_to)
        && to < from
    {
        return Err(AppError::validation(
            "dateTo",
            "must not be before dateFrom",
        ));
    }
    let mut query = report::Entity::find().filter(report::Column::FiledAt.is_not_null());
    if let Some(status) = filter.status {
        query = query.filter(report::Column::Status.eq(status.as_str()));
    }
    if let Some(t) = filter.output_type {
        query = query.filter(report::Column::OutputType.eq(t.as_str()));
    }
    if let Some(from) = filter.date_from {
        query = query.filter(report::Column::DueDate.gte(from));
    }
    if let Some(to) = filter.date_to {
        query = query.filter(report::Column::DueDate.lte(to));
    }
    if let Some(tier) = filter.tier {
        query = query.filter(report::Column::Tier.eq(tier.as_str()));
    }
    if let Some(late) = filter.late {
        query = query.filter(report::Column::Late.eq(late));
    }
    Ok(query)
}

/// Staff: every filed report (embargoed ones included), newest first.
pub async fn list_staff(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &ReportFilter,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<report::Model>> {
    require_staff(viewer)?;
    let mut query = staff_query(filter)?
        .order_by_desc(report::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(report::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

/// Staff: every filed report matching `filter`, oldest first, for export.
pub async fn export_rows(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &ReportFilter,
    max: u64,
) -> AppResult<Vec<report::Model>> {
    require_staff(viewer)?;
    Ok(staff_query(filter)?
        .order_by_asc(report::Column::Id)
        .limit(max)
        .all(&ctx.db)
        .await?)
}

/// The community's "recent publications": published, out of embargo, of a
/// tier the viewer holds; most recently published first. `after` is the
/// `(published_at, id)` of the last item of the previous page.
pub async fn list_recent(
    ctx: &AppContext,
    viewer: &CurrentUser,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> AppResult<Vec<report::Model>> {
    let now = ctx.clock.now();
    let tiers: Vec<&str> = viewer.tier.visible().iter().map(|t| t.as_str()).collect();
    let mut query = report::Entity::find()
        .filter(report::Column::Status.eq(PublicationStatus::Published.as_str()))
        .filter(report::Column::FiledAt.is_not_null())
        .filter(report::Column::PublishedAt.is_not_null())
        .filter(
            Condition::any()
                .add(report::Column::EmbargoUntil.is_null())
                .add(report::Column::EmbargoUntil.lte(now)),
        )
        .filter(report::Column::Tier.is_in(tiers))
        .order_by_desc(report::Column::PublishedAt)
        .order_by_desc(report::Column::Id)
        .limit(limit);
    if let Some((at, id)) = after {
        query = query.filter(
            Condition::any()
                .add(report::Column::PublishedAt.lt(at))
                .add(
                    Condition::all()
                        .add(report::Column::PublishedAt.eq(at))
                        .add(report::Column::Id.lt(id)),
                ),
        );
    }
    Ok(query.all(&ctx.db).await?)
}

// ---------------------------------------------------------------- writing
