//! The link from a report to a Data and Statistics Dissemination Exemption
//! request: only an approved request stands in for the compliance
//! attestation.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{entities::exemption_request, error::AppResult};

/// Whether exemption request `id` exists and has been approved.
pub async fn exemption_is_approved(conn: &impl ConnectionTrait, id: i64) -> AppResult<bool> {
    Ok(exemption_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|r| r.state == "approved"))
}
