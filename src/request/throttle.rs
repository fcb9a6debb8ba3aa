//! Rate limits on reads that cost far more than a page: search, suggested
//! collaborators and the CSV export. Each is counted against the member
//! (so a fresh session does not reset it) and against the client address
//! (so many accounts from one address share a ceiling).

use async_graphql::Context;

use super::{app, request_auth, require_user};
use crate::error::AppResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpensiveRead {
    Search,
    SuggestedCollaborators,
    CsvExport,
}

impl ExpensiveRead {
    /// The `[rate_limits]` actions: per member, then per client address.
    fn actions(self) -> (&'static str, &'static str) {
        match self {
            Self::Search => ("search", "search_per_client"),
            Self::SuggestedCollaborators => (
                "suggested_collaborators",
                "suggested_collaborators_per_client",
            ),
            Self::CsvExport => ("csv_export", "csv_export_per_client"),
        }
    }
}

/// Counts one `read` by the signed-in viewer; RATE_LIMITED once either the
/// member's or the address's quota is spent.
pub async fn count(ctx: &Context<'_>, read: ExpensiveRead) -> AppResult<()> {
    let viewer = require_user(ctx)?;
    let limits = &app(ctx).limits;
    let (per_member, per_client) = read.actions();
    limits.check(per_member, &viewer.id.to_string()).await?;
    if let Some(ip) = request_auth(ctx).and_then(|auth| auth.client_ip.as_deref()) {
        limits.check(per_client, ip).await?;
    }
    Ok(())
}
