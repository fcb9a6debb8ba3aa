//! GraphQL for publication and presentation reports: the report, the
//! authors' and staff's lists, the community's recent publications, the CSV
//! export, and the draft → filed → lifecycle mutations.

use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
    dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    access::{self, Access},
    export,
    lists::{self, ReportFilter},
    loaders::PublicationLoaders,
    service,
    types::{OutputType, PublicationStatus},
    workflow::{self, CoAuthorInput, ReportChanges, WorkspaceInput},
};
use crate::{
    auth::{graphql::User, loaders::UserLoader},
    entities::{
        publication_report as report, publication_report_coauthor as coauthor,
        publication_report_status_change as change, publication_report_workspace as rws,
    },
    error::{AppError, AppResult},
    identity::Tier,
    request::{GqlResult, app, page, require_user},
    validate,
};

pub const MAX_PAGE: usize = 50;

fn load_err(e: std::sync::Arc<AppError>) -> AppError {
    AppError::internal(anyhow::anyhow!("{e:?}"))
}

async fn load_user(ctx: &Context<'_>, id: i64) -> GqlResult<Option<User>> {
    let loader = ctx.data_unchecked::<DataLoader<UserLoader>>();
    Ok(loader.load_one(id).await.map_err(load_err)?.map(User))
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a PublicationLoaders {
    ctx.data_unchecked::<PublicationLoaders>()
}

/// A publication or presentation report. Compliance details (late flag,
/// attestations, exemption link, history) are shown to its authors and to
/// staff; the community sees the work itself.
pub struct PublicationReport {
    pub model: report::Model,
    pub access: Access,
    pub viewer_id: i64,
}

#[Object]
impl PublicationReport {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    #[graphql(name = "type")]
    async fn output_type(&self) -> OutputType {
        OutputType::parse(&self.model.output_type).unwrap_or(OutputType::Other)
    }
    async fn title(&self) -> &str {
        &self.model.title
    }
    /// The abstract or summary, as written (markdown).
    async fn summary(&self) -> &str {
        &self.model.summary
    }
    /// The summary rendered and sanitized.
    async fn summary_html(&self, ctx: &Context<'_>) -> String {
        crate::request::html_for_readers(ctx, &self.model.summary_html)
    }
    async fn lead_author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        load_user(ctx, self.model.lead_author_id).await
    }
    /// Who filed the report.
    async fn filer(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        load_user(ctx, self.model.filer_id).await
    }
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn co_authors(&self, ctx: &Context<'_>) -> GqlResult<Vec<PublicationCoAuthor>> {
        Ok(loaders(ctx)
            .co_authors
            .load_one(self.model.id)
            .await
            .map_err(load_err)?
            .unwrap_or_default()
            .into_iter()
            .map(PublicationCoAuthor)
            .collect())
    }
    /// The journal, conference or outlet.
    async fn venue(&self) -> &str {
        &self.model.venue
    }
    async fn submission_date(&self) -> Option<NaiveDate> {
        self.model.submission_date
    }
    async fn presentation_date(&self) -> Option<NaiveDate> {
        self.model.presentation_date
    }
    async fn publication_date(&self) -> Option<NaiveDate> {
        self.model.publication_date
    }
    /// When the work first appears: the earliest presentation or
    /// publication date, else the submission date. Notice is measured
    /// against it.
    async fn due_date(&self) -> Option<NaiveDate> {
        service::due_date(&self.model).map(|(d, _)| d)
    }
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn workspaces(&self, ctx: &Context<'_>) -> GqlResult<Vec<PublicationWorkspace>> {
        Ok(loaders(ctx)
            .workspaces
            .load_one(self.model.id)
            .await
            .map_err(load_err)?
            .unwrap_or_default()
            .into_iter()
            .map(PublicationWorkspace)
            .collect())
    }
    /// The data access tier the work used.
    async fn tier(&self) -> Option<Tier> {
        self.model.tier.as_deref().and_then(Tier::parse)
    }
    /// The dataset (CDR) version, such as "v7".
    async fn cdr_version(&self) -> &str {
        &self.model.cdr_version
    }
    async fn status(&self) -> PublicationStatus {
        PublicationStatus::parse(&self.model.status).unwrap_or(PublicationStatus::Planned)
    }
    /// True until the report is submitted.
    async fn is_draft(&self) -> bool {
        self.model.filed_at.is_none()
    }
    /// When the report was submitted.
    async fn filed_at(&self) -> Option<DateTime<Utc>> {
        self.model.filed_at
    }
    /// Filed with less than 14 days' notice. Authors and staff only.
    async fn late(&self) -> Option<bool> {
        (self.access.full() && self.model.filed_at.is_some()).then_some(self.model.late)
    }
    /// Days between filing and the due date. Authors and staff only.
    async fn days_of_notice(&self) -> Option<i32> {
        if self.access.full() {
            self.model.days_notice
        } else {
            None
        }
    }
    /// Until then the community list leaves the report out.
    async fn embargo_until(&self) -> Option<DateTime<Utc>> {
        self.model.embargo_until
    }
    async fn doi(&self) -> Option<&str> {
        self.model.doi.as_deref()
    }
    /// The DOI as a resolver link.
    async fn doi_url(&self) -> Option<String> {
        self.model
            .doi
            .as_ref()
            .map(|d| format!("https://doi.org/{d}"))
    }
    /// PubMed Central id, such as PMC1234567.
    async fn pmcid(&self) -> Option<&str> {
        self.model.pmcid.as_deref()
    }
    async fn url(&self) -> Option<&str> {
        self.model.url.as_deref()
    }
    /// The linked dissemination exemption request. Authors and staff only.
    async fn exemption_request_id(&self) -> Option<ID> {
        if self.access.full() {
            self.model.exemption_request_id.map(|id| ID(id.to_string()))
        } else {
            None
        }
    }
    /// Authors and staff only.
    async fn attestations(&self) -> Option<PublicationAttestations> {
        self.access.full().then_some(PublicationAttestations {
            acknowledgement_included: self.model.acknowledgement_included,
            data_availability_included: self.model.data_availability_included,
            complies_with_policy: self.model.complies_with_policy,
        })
    }
    /// The data-availability statement as it appears in the work, if given.
    async fn data_availability_statement(&self) -> &str {
        &self.model.data_availability_statement
    }
    /// Every status change since filing, oldest first. Authors and staff
    /// only (empty otherwise).
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn status_history(&self, ctx: &Context<'_>) -> GqlResult<Vec<PublicationStatusChange>> {
        if !self.access.full() {
            return Ok(vec![]);
        }
        Ok(loaders(ctx)
            .history
            .load_one(self.model.id)
            .await
            .map_err(load_err)?
            .unwrap_or_default()
            .into_iter()
            .map(PublicationStatusChange)
            .collect())
    }
    /// The filer and the lead author may edit; co-authors read.
    async fn viewer_can_edit(&self) -> bool {
        self.viewer_id == self.model.filer_id || self.viewer_id == self.model.lead_author_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
}

#[derive(SimpleObject)]
pub struct PublicationAttestations {
    /// The program's acknowledgement statement is included.
    pub acknowledgement_included: bool,
    /// A data-availability statement names the tier and dataset version.
    pub data_availability_included: bool,
    /// The work complies with the Data and Statistics Dissemination Policy.
    /// (A linked exemption request stands in when this is false.)
    pub complies_with_policy: bool,
}

/// A co-author: a platform user, or a name with an affiliation.
pub struct PublicationCoAuthor(coauthor::Model);

#[Object]
impl PublicationCoAuthor {
    /// Null for co-authors who are not on the platform.
    async fn user(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        match self.0.user_id {
            Some(id) => load_user(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The free-text name, or the user's display name.
    async fn name(&self, ctx: &Context<'_>) -> GqlResult<String> {
        if let Some(id) = self.0.user_id
            && let Some(u) = load_user(ctx, id).await?
        {
            return Ok(u.0.display_name);
        }
        Ok(self.0.name.clone())
    }
    async fn affiliation(&self, ctx: &Context<'_>) -> GqlResult<String> {
        if self.0.affiliation.is_empty()
            && let Some(id) = self.0.user_id
            && let Some(u) = load_user(ctx, id).await?
        {
            return Ok(u.0.institution);
        }
        Ok(self.0.affiliation.clone())
    }
}

/// A workspace the work used: a community listing, or just a Workbench
/// namespace.
pub struct PublicationWorkspace(rws::Model);

#[Object]
impl PublicationWorkspace {
    /// The linked listing's id; null for a namespace given as text.
    async fn workspace_id(&self) -> Option<ID> {
        self.0.workspace_id.map(|id| ID(id.to_string()))
    }
    async fn namespace(&self) -> &str {
        &self.0.namespace
    }
}

/// One status change: who, when, old and new.
pub struct PublicationStatusChange(change::Model);

#[Object]
impl PublicationStatusChange {
    /// Null for the status the report was filed with.
    async fn from_status(&self) -> Option<PublicationStatus> {
        self.0
            .from_status
            .as_deref()
            .and_then(PublicationStatus::parse)
    }
    async fn to_status(&self) -> PublicationStatus {
        PublicationStatus::parse(&self.0.to_status).unwrap_or(PublicationStatus::Planned)
    }
    async fn changed_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        load_user(ctx, self.0.actor_id).await
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// What filing answered. `notice` says plainly whether the report was on
/// time or late.
#[derive(SimpleObject)]
pub struct SubmitPublicationReportPayload {
    pub report: PublicationReport,
    pub late: bool,
    pub days_of_notice: i32,
    pub notice: String,
}

/// A co-author: give `userId` for a platform user, or `name` and
/// `affiliation`.
#[derive(InputObject)]
pub struct PublicationCoAuthorInput {
    pub user_id: Option<ID>,
    pub name: Option<String>,
    pub affiliation: Option<String>,
}

/// A workspace: give a listing's `workspaceId`, or a Workbench `namespace`.
#[derive(InputObject)]
pub struct PublicationWorkspaceInput {
    pub workspace_id: Option<ID>,
    pub namespace: Option<String>,
}

/// The fields of a report. On update, omitted fields stay as they are and
/// `null` clears an optional one; lists replace the whole list.
#[derive(InputObject, Default)]
pub struct PublicationReportInput {
    #[graphql(name = "type")]
    pub output_type: Option<OutputType>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Defaults to the filer.
    pub lead_author_id: Option<ID>,
    #[graphql(name = "coAuthors")]
    pub co_authors: Option<Vec<PublicationCoAuthorInput>>,
    pub venue: Option<String>,
    pub submission_date: MaybeUndefined<NaiveDate>,
    pub presentation_date: MaybeUndefined<NaiveDate>,
    pub publication_date: MaybeUndefined<NaiveDate>,
    pub workspaces: Option<Vec<PublicationWorkspaceInput>>,
    pub tier: MaybeUndefined<Tier>,
    pub cdr_version: Option<String>,
    pub status: Option<PublicationStatus>,
    pub embargo_until: MaybeUndefined<DateTime<Utc>>,
    pub doi: MaybeUndefined<String>,
    pub pmcid: MaybeUndefined<String>,
    pub url: MaybeUndefined<String>,
    /// A dissemination exemption request; with it, `compliesWithPolicy`
    /// may be false.
    pub exemption_request_id: MaybeUndefined<ID>,
    pub acknowledgement_included: Option<bool>,
    pub data_availability_included: Option<bool>,
    pub complies_with_policy: Option<bool>,
    pub data_availability_statement: Option<String>,
}

fn optional_id(field: &str, id: Option<ID>) -> AppResult<Option<i64>> {
    id.map(|id| validate::id(field, &id)).transpose()
}

impl PublicationReportInput {
    fn into_changes(self) -> AppResult<ReportChanges> {
        let co_authors = self
            .co_authors
            .map(|list| {
                list.into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        Ok(CoAuthorInput {
                            user_id: optional_id(&format!("coAuthors[{i}].userId"), c.user_id)?,
                            name: c.name,
                            affiliation: c.affiliation,
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let workspaces = self
            .workspaces
            .map(|list| {
                list.into_iter()
                    .enumerate()
                    .map(|(i, w)| {
                        Ok(WorkspaceInput {
                            workspace_id: optional_id(
                                &format!("workspaces[{i}].workspaceId"),
                                w.workspace_id,
                            )?,
                            namespace: w.namespace,
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let exemption_request_id = match self.exemption_request_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(validate::id("exemptionRequestId", &id)?)),
        };
        Ok(ReportChanges {
            output_type: self.output_type,
            title: self.title,
            summary: self.summary,
            lead_author_id: optional_id("leadAuthorId", self.lead_author_id)?,
            co_authors,
            venue: self.venue,
            submission_date: self.submission_date.into(),
            presentation_date: self.presentation_date.into(),
            publication_date: self.publication_date.into(),
            workspaces,
            tier: self.tier.into(),
            cdr_version: self.cdr_version,
            status: self.status,
            embargo_until: self.embargo_until.into(),
            doi: self.doi.into(),
            pmcid: self.pmcid.into(),
            url: self.url.into(),
            exemption_request_id,
            acknowledgement_included: self.acknowledgement_included,
            data_availability_included: self.data_availability_included,
            complies_with_policy: self.complies_with_policy,
            data_availability_statement: self.data_availability_statement,
        })
    }
}

/// Staff filters. `dateFrom`/`dateTo` bound the due date, inclusive.
#[derive(InputObject, Default)]
pub struct PublicationReportFilter {
    pub status: Option<PublicationStatus>,
    #[graphql(name = "type")]
    pub output_type: Option<OutputType>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub tier: Option<Tier>,
    pub late: Option<bool>,
}

impl From<PublicationReportFilter> for ReportFilter {
    fn from(f: PublicationReportFilter) -> Self {
        ReportFilter {
            status: f.status,
            output_type: f.output_type,
            date_from: f.date_from,
            date_to: f.date_to,
            tier: f.tier,
            late: f.late,
        }
    }
}

type ReportConnection = Connection<String, PublicationReport, EmptyFields, EmptyFields>;

#[derive(Default)]
pub struct PublicationQuery;

#[Object]
impl PublicationQuery {
    /// A report the viewer may read: their own (drafts included), any filed
    /// report for staff, or a published one for the community.
    async fn publication_report(&self, ctx: &Context<'_>, id: ID) -> GqlResult<PublicationReport> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let (model, access) = access::get(app(ctx), viewer, id).await?;
        Ok(PublicationReport {
            model,
            access,
            viewer_id: viewer.id,
        })
    }

    /// "My reports": reports the viewer filed, leads or co-authors, newest
    /// first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn my_publication_reports(
        &self,
        ctx: &Context<'_>,
        status: Option<PublicationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<ReportConnection> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows =
                    lists::list_mine(app, viewer, status, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(rows.into_iter().map(|m| {
                    Edge::new(
                        m.id.to_string(),
                        PublicationReport {
                            model: m,
                            access: Access::Author,
                            viewer_id: viewer.id,
                        },
                    )
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Staff (reviewers and admins): every filed report, embargoed ones
    /// included, newest first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn publication_reports(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublicationReportFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<ReportConnection> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        let filter: ReportFilter = filter.unwrap_or_default().into();
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows =
                    lists::list_staff(app, viewer, &filter, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(rows.into_iter().map(|m| {
                    Edge::new(
                        m.id.to_string(),
                        PublicationReport {
                            model: m,
                            access: Access::Staff,
                            viewer_id: viewer.id,
                        },
                    )
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Staff: the filtered reports as CSV (RFC 4180, CRLF line ends), oldest
    /// first. The header is stable: id, filed_at, status, type, title,
    /// summary, lead_author, lead_author_handle, filer_handle, co_authors, venue,
    /// submission_date, presentation_date, publication_date, due_date,
    /// days_notice, late, tier, cdr_version, workspaces, doi, pmcid, url,
    /// embargo_until, exemption_request_id, acknowledgement_included,
    /// data_availability_included, complies_with_policy.
    async fn publication_reports_csv(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublicationReportFilter>,
    ) -> GqlResult<String> {
        let viewer = require_user(ctx)?;
        crate::request::throttle::count(ctx, crate::request::throttle::ExpensiveRead::CsvExport)
            .await?;
        let filter: ReportFilter = filter.unwrap_or_default().into();
        Ok(export::export_csv(app(ctx), viewer, &filter).await?)
    }

    /// The community's recent publications: published, out of embargo, of
    /// a tier the viewer holds; most recently published first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn recent_publications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<ReportConnection> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let cursor = after.as_deref().map(parse_recent_cursor).transpose()?;
                let rows = lists::list_recent(app, viewer, cursor, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(cursor.is_some(), has_next);
                connection.edges.extend(rows.into_iter().map(|m| {
                    let access = if m.filer_id == viewer.id || m.lead_author_id == viewer.id {
                        Access::Author
                    } else {
                        Access::Community
                    };
                    Edge::new(
                        recent_cursor(&m),
                        PublicationReport {
                            model: m,
                            access,
                            viewer_id: viewer.id,
                        },
                    )
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

/// `<published_at as nanoseconds since the epoch>-<id>`: exact, so no
/// item is skipped or repeated between pages.
fn recent_cursor(m: &report::Model) -> String {
    let nanos = m
        .published_at
        .and_then(|t| t.timestamp_nanos_opt())
        .unwrap_or_default();
    format!("{nanos}-{}", m.id)
}

fn parse_recent_cursor(cursor: &str) -> AppResult<(DateTime<Utc>, i64)> {
    let invalid = || AppError::validation("after", "is not a valid cursor");
    let (nanos, id) = cursor.rsplit_once('-').ok_or_else(invalid)?;
    let nanos: i64 = nanos.parse().map_err(|_| invalid())?;
    let id: i64 = id.parse().map_err(|_| invalid())?;
    Ok((DateTime::from_timestamp_nanos(nanos), id))
}

#[derive(Default)]
pub struct PublicationMutation;

fn as_author(model: report::Model, viewer_id: i64) -> PublicationReport {
    PublicationReport {
        model,
        access: Access::Author,
        viewer_id,
    }
}

#[Object]
impl PublicationMutation {
    /// Starts a draft report; `type` and `title` are required now, the rest
    /// before submitting.
    async fn create_publication_report(
        &self,
        ctx: &Context<'_>,
        input: PublicationReportInput,
    ) -> GqlResult<PublicationReport> {
        let viewer = require_user(ctx)?;
        let changes = input.into_changes()?;
        let model = workflow::create(app(ctx), viewer, changes).await?;
        Ok(as_author(model, viewer.id))
    }

    /// Edits a draft or a filed report (filer and lead author). A filed
    /// report must stay complete; status changes are recorded.
    async fn update_publication_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PublicationReportInput,
    ) -> GqlResult<PublicationReport> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let changes = input.into_changes()?;
        let model = workflow::update(app(ctx), viewer, id, changes).await?;
        Ok(as_author(model, viewer.id))
    }

    /// Moves a report along its lifecycle; the change is recorded in its
    /// history once it is filed.
    async fn set_publication_report_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: PublicationStatus,
    ) -> GqlResult<PublicationReport> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let model = workflow::set_status(app(ctx), viewer, id, status).await?;
        Ok(as_author(model, viewer.id))
    }

    /// Files a draft. Refusals name the missing field; a report with less
    /// than 14 days' notice is accepted, flagged late, and `notice` says so.
    async fn submit_publication_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<SubmitPublicationReportPayload> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let filed = workflow::submit(app(ctx), viewer, id).await?;
        Ok(SubmitPublicationReportPayload {
            late: filed.late,
            days_of_notice: filed.days_notice.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
            notice: filed.notice,
            report: as_author(filed.report, viewer.id),
        })
    }

    /// Deletes a draft (filer or lead author). Filed reports stay; withdraw
    /// them instead.
    async fn delete_publication_report(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        workflow::delete_draft(app(ctx), viewer, id).await?;
        Ok(true)
    }
}
