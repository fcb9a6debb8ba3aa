//! The link from a report to a Data and Statistics Dissemination Exemption
//! request. The exemptions domain owns `exemption_requests`; this module only
//! reads it, and tolerates its absence.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::AppResult;

/// Whether exemption request `id` exists and has been approved. A missing
/// table or row counts as "not approved". The table's presence is checked
/// first, so the lookup never fails inside a PostgreSQL transaction.
pub async fn exemption_is_approved(conn: &impl ConnectionTrait, id: i64) -> AppResult<bool> {
    let backend = conn.get_database_backend();
    let (exists_sql, lookup_sql) = match backend {
        DbBackend::Postgres => (
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'exemption_requests'",
            "SELECT state FROM exemption_requests WHERE id = $1",
        ),
        _ => (
            "SELECT COUNT(*) AS n FROM sqlite_master \
             WHERE type = 'table' AND name = 'exemption_requests'",
            "SELECT state FROM exemption_requests WHERE id = ?1",
        ),
    };
    let present = conn
        .query_one_raw(Statement::from_string(backend, exists_sql))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0;
    if !present {
        return Ok(false);
    }
    let state = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            lookup_sql,
            [id.into()],
        ))
        .await?
        .map(|row| row.try_get::<String>("", "state"))
        .transpose()?;
    Ok(state.as_deref() == Some("approved"))
}
