//! The staff CSV export of publication reports.
//!
//! Columns, in this order; the names are stable and spreadsheets may depend
//! on them (add new columns at the end, never rename):
//!
//! | column | content |
//! |---|---|
//! | `id` | report id |
//! | `filed_at` | when the report was submitted (RFC 3339, UTC) |
//! | `status` | planned, submitted, accepted, published, presented, withdrawn |
//! | `type` | journal_article, preprint, conference_abstract, oral_presentation, poster, thesis, book_chapter, media, other |
//! | `title` | |
//! | `summary` | the abstract or summary as written (may hold line breaks) |
//! | `lead_author` | display name |
//! | `lead_author_handle` | @handle without the `@` |
//! | `filer_handle` | |
//! | `co_authors` | `Name (Affiliation)` entries joined by `; `; platform users as `Name (@handle)` |
//! | `venue` | |
//! | `submission_date`, `presentation_date`, `publication_date` | `YYYY-MM-DD` or empty |
//! | `due_date` | the date the work first appears, which the notice is measured against |
//! | `days_notice` | days between filing and `due_date` (negative when filed afterwards) |
//! | `late` | `true` when filed with less than 14 days' notice |
//! | `tier` | registered or controlled |
//! | `cdr_version` | dataset version |
//! | `workspaces` | Workbench namespaces joined by `; ` |
//! | `doi`, `pmcid`, `url` | |
//! | `embargo_until` | RFC 3339 or empty |
//! | `exemption_request_id` | linked dissemination exemption request, or empty |
//! | `acknowledgement_included`, `data_availability_included`, `complies_with_policy` | attestations, `true`/`false` |
//!
//! Quoting follows RFC 4180 (fields with commas, quotes or line breaks are
//! quoted, quotes doubled, records end in CRLF). Free-text cells that
//! would start with `=`, `+`, `-`, `@`, a tab or a carriage return get a
//! leading `'`, so a spreadsheet does not evaluate them as formulas.

use std::collections::HashMap;

use chrono::SecondsFormat;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::lists::{self, ReportFilter};
use crate::{
    context::AppContext,
    entities::{
        publication_report_coauthor as coauthor, publication_report_workspace as rws, user,
    },
    error::{AppError, AppResult},
    identity::CurrentUser,
};

/// The most rows one export returns.
pub const MAX_ROWS: u64 = 10_000;
/// Ids per `IN (…)` list, well under every driver's parameter limit.
const CHUNK: usize = 1000;

pub const COLUMNS: [&str; 28] = [
    "id",
    "filed_at",
    "status",
    "type",
    "title",
    "summary",
    "lead_author",
    "lead_author_handle",
    "filer_handle",
    "co_authors",
    "venue",
    "submission_date",
    "presentation_date",
    "publication_date",
    "due_date",
    "days_notice",
    "late",
    "tier",
    "cdr_version",
    "workspaces",
    "doi",
    "pmcid",
    "url",
    "embargo_until",
    "exemption_request_id",
    "acknowledgement_included",
    "data_availability_included",
    "complies_with_policy",
];

/// Neutralises spreadsheet formulas in free text.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// Staff: the filtered reports as CSV text.
pub async fn export_csv(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &ReportFilter,
) -> AppResult<String> {
    let reports = lists::export_rows(ctx, viewer, filter, MAX_ROWS).await?;
    let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();

    let mut co_authors: HashMap<i64, Vec<coauthor::Model>> = HashMap::new();
    let mut workspaces: HashMap<i64, Vec<rws::Model>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for row in coauthor::Entity::find()
            .filter(coauthor::Column::ReportId.is_in(chunk.iter().copied()))
            .order_by_asc(coauthor::Column::Position)
            .all(&ctx.db)
            .await?
        {
            co_authors.entry(row.report_id).or_default().push(row);
        }
        for row in rws::Entity::find()
            .filter(rws::Column::ReportId.is_in(chunk.iter().copied()))
            .order_by_asc(rws::Column::Position)
            .all(&ctx.db)
            .await?
        {
            workspaces.entry(row.report_id).or_default().push(row);
        }
    }
    let mut user_ids: Vec<i64> = reports
        .iter()
        .flat_map(|r| [r.filer_id, r.lead_author_id])
        .chain(co_authors.values().flatten().filter_map(|c| c.user_id))
        .collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let mut users: HashMap<i64, user::Model> = HashMap::new();
    for chunk in user_ids.chunks(CHUNK) {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(&ctx.db)
            .await?
        {
            users.insert(u.id, u);
        }
    }

    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(COLUMNS).map_err(AppError::internal)?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    for r in &reports {
        let lead = users.get(&r.lead_author_id);
        let co = co_authors
            .get(&r.id)
            .map(|list| {
                list.iter()
                    .map(|c| match c.user_id.and_then(|id| users.get(&id)) {
                        Some(u) => format!("{} (@{})", u.display_name, u.handle),
                        None => format!("{} ({})", c.name, c.affiliation),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let spaces = workspaces
            .get(&r.id)
            .map(|list| {
                list.iter()
                    .map(|w| w.namespace.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let record: [String; 28] = [
            r.id.to_string(),
            time(r.filed_at),
            r.status.clone(),
            r.output_type.clone(),
            cell(&r.title),
            cell(&r.summary),
            cell(lead.map(|u| u.display_name.as_str()).unwrap_or("")),
            lead.map(|u| u.handle.clone()).unwrap_or_default(),
            users
                .get(&r.filer_id)
                .map(|u| u.handle.clone())
                .unwrap_or_default(),
            cell(&co),
            cell(&r.venue),
            date(r.submission_date),
            date(r.presentation_date),
            date(r.publication_date),
            date(r.due_date),
            r.days_notice.map(|d| d.to_string()).unwrap_or_default(),
            r.late.to_string(),
            r.tier.clone().unwrap_or_default(),
            cell(&r.cdr_version),
            spaces,
            r.doi.clone().unwrap_or_default(),
            r.pmcid.clone().unwrap_or_default(),
            r.url.clone().unwrap_or_default(),
            time(r.embargo_until),
            r.exemption_request_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            r.acknowledgement_included.to_string(),
            r.data_availability_included.to_string(),
            r.complies_with_policy.to_string(),
        ];
        out.write_record(&record).map_err(AppError::internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}
