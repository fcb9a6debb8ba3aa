//! The link from a report to a Data and Statistics Dissemination Exemption
//! request: only an approved request of the report's own filer or of one of
//! its linked workspaces stands in for the compliance attestation.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    entities::{exemption_request, publication_report_workspace as rws},
    error::AppResult,
    exemptions::state::State,
};

/// What a report's link to exemption request `id` is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExemptionLink {
    /// Made by the report's filer or for one of its workspaces, and approved.
    Approved,
    /// The report's own, not (yet) approved.
    Pending,
    /// Missing, or someone else's: answered alike.
    Foreign,
}

/// Whether exemption request `id` was made by `filer_id` or for one of
/// report `report_id`'s linked workspaces, and whether it is approved.
pub async fn exemption_link(
    conn: &impl ConnectionTrait,
    id: i64,
    report_id: i64,
    filer_id: i64,
) -> AppResult<ExemptionLink> {
    let Some(req) = exemption_request::Entity::find_by_id(id).one(conn).await? else {
        return Ok(ExemptionLink::Foreign);
    };
    let own = req.requester_id == filer_id || linked_to(conn, &req, report_id).await?;
    Ok(
        match (own, State::parse(&req.state) == Some(State::Approved)) {
            (false, _) => ExemptionLink::Foreign,
            (true, true) => ExemptionLink::Approved,
            (true, false) => ExemptionLink::Pending,
        },
    )
}

async fn linked_to(
    conn: &impl ConnectionTrait,
    req: &exemption_request::Model,
    report_id: i64,
) -> AppResult<bool> {
    let linked: Vec<Option<i64>> = rws::Entity::find()
        .select_only()
        .column(rws::Column::WorkspaceId)
        .filter(rws::Column::ReportId.eq(report_id))
        .filter(rws::Column::WorkspaceId.eq(req.workspace_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(!linked.is_empty())
}
