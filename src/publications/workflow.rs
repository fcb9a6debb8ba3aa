//! Writing reports: drafts and edits, what a report needs before it is
//! filed, the late flag, status changes and their history.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set, Unchanged},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::{
    access::access,
    service::{MAX_COAUTHORS, MAX_WORKSPACES, NOTICE_DAYS, due_date, notice},
};
use super::{
    exemption::ExemptionLink,
    types::{self, OutputType, PublicationStatus},
};
use crate::{
    context::AppContext,
    entities::{
        publication_report as report, publication_report_coauthor as coauthor,
        publication_report_status_change as status_change, publication_report_workspace as rws,
        user, workspace, workspace_collaborator,
    },
    error::{AppError, AppResult},
    identity::{CurrentUser, Tier},
    validate,
};

/// A co-author as given: a platform user, or a name with an affiliation.
#[derive(Debug, Clone, Default)]
pub struct CoAuthorInput {
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub affiliation: Option<String>,
}

/// A workspace as given: a listing id, or a Workbench namespace.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceInput {
    pub workspace_id: Option<i64>,
    pub namespace: Option<String>,
}

/// Changes to a report. `None` leaves a field as it is; for optional
/// fields, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ReportChanges {
    pub output_type: Option<OutputType>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub lead_author_id: Option<i64>,
    pub co_authors: Option<Vec<CoAuthorInput>>,
    pub venue: Option<String>,
    pub submission_date: Option<Option<NaiveDate>>,
    pub presentation_date: Option<Option<NaiveDate>>,
    pub publication_date: Option<Option<NaiveDate>>,
    pub workspaces: Option<Vec<WorkspaceInput>>,
    pub tier: Option<Option<Tier>>,
    pub cdr_version: Option<String>,
    pub status: Option<PublicationStatus>,
    pub embargo_until: Option<Option<DateTime<Utc>>>,
    pub doi: Option<Option<String>>,
    pub pmcid: Option<Option<String>>,
    pub url: Option<Option<String>>,
    pub exemption_request_id: Option<Option<i64>>,
    pub acknowledgement_included: Option<bool>,
    pub data_availability_included: Option<bool>,
    pub complies_with_policy: Option<bool>,
    pub data_availability_statement: Option<String>,
}

/// The outcome of filing, with the plain-language notice for the filer.
pub struct Filed {
    pub report: report::Model,
    pub late: bool,
    pub days_notice: i64,
    pub notice: String,
}

/// Loads a report for editing, inside the write transaction. Only the filer
/// and the lead author edit; co-authors read; others do not see it at all.
async fn load_for_edit(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<report::Model> {
    let m = report::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("publication report"))?;
    if m.filer_id == actor.id || m.lead_author_id == actor.id {
        return Ok(m);
    }
    match access(txn, actor, &m, now).await? {
        None => Err(AppError::NotFound("publication report")),
        Some(_) => Err(AppError::forbidden(
            "only the filer and the lead author can change this report",
        )),
    }
}

/// Starts a draft report. Only the type and the title are needed now;
/// everything else can follow before it is submitted.
pub async fn create(
    ctx: &AppContext,
    actor: &CurrentUser,
    changes: ReportChanges,
) -> AppResult<report::Model> {
    let now = ctx.clock.now();
    actor.require_writer(now)?;
    let output_type = changes
        .output_type
        .ok_or_else(|| AppError::validation("type", "choose the kind of output"))?;
    if changes.title.is_none() {
        return Err(AppError::validation("title", "must not be empty"));
    }
    let mut m = report::Model {
        id: 0,
        filer_id: actor.id,
        lead_author_id: actor.id,
        output_type: output_type.as_str().into(),
        title: String::new(),
        summary: String::new(),
        summary_html: String::new(),
        venue: String::new(),
        submission_date: None,
        presentation_date: None,
        publication_date: None,
        due_date: None,
        tier: None,
        cdr_version: String::new(),
        status: PublicationStatus::Planned.as_str().into(),
        filed_at: None,
        late: false,
        days_notice: None,
        status_changed_at: None,
        published_at: None,
        embargo_until: None,
        doi: None,
        pmcid: None,
        url: None,
        exemption_request_id: None,
        acknowledgement_included: false,
        data_availability_included: false,
        complies_with_policy: false,
        data_availability_statement: String::new(),
        date_reminder_for: None,
        identifier_reminded_at: None,
        created_at: now,
        updated_at: now,
    };
    let txn = ctx.write().await?;
    let lists = apply(&txn, actor, &mut m, changes, now).await?;
    let inserted = to_active(&m, true).insert(&txn).await?;
    write_lists(&txn, inserted.id, lists).await?;
    txn.commit().await?;
    Ok(inserted)
}

/// Edits a report. A filed report must stay complete; a status change on a
/// filed report is recorded in its history.
pub async fn update(
    ctx: &AppContext,
    actor: &CurrentUser,
    id: i64,
    changes: ReportChanges,
) -> AppResult<report::Model> {
    let now = ctx.clock.now();
    actor.require_writer(now)?;
    let txn = ctx.write().await?;
    let mut m = load_for_edit(&txn, actor, id, now).await?;
    let old_status = m.status.clone();
    let lists = apply(&txn, actor, &mut m, changes, now).await?;
    // The lists go first so the completeness check sees them (same transaction).
    write_lists(&txn, id, lists).await?;
    if m.filed_at.is_some() {
        check_complete(&txn, &m).await?;
        // The late flag describes the filing and stays; the due date follows
        // the dates, so a moved date gets its own "date passed" reminder.
        m.due_date = due_date(&m).map(|(d, _)| d);
        if m.status != old_status {
            record_status(&txn, &mut m, actor.id, Some(old_status), now).await?;
        }
    }
    m.updated_at = now;
    let saved = to_active(&m, false).update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Moves a report along its lifecycle.
pub async fn set_status(
    ctx: &AppContext,
    actor: &CurrentUser,
    id: i64,
    status: PublicationStatus,
) -> AppResult<report::Model> {
    update(
        ctx,
        actor,
        id,
        ReportChanges {
            status: Some(status),
            ..Default::default()
        },
    )
    .await
}

/// Files a draft. Everything a report needs is checked here, each refusal
/// naming its field. A report filed with less than the required notice is
/// accepted and flagged late, and the filer is told so.
pub async fn submit(ctx: &AppContext, actor: &CurrentUser, id: i64) -> AppResult<Filed> {
    let now = ctx.clock.now();
    actor.require_writer(now)?;
    let txn = ctx.write().await?;
    let mut m = load_for_edit(&txn, actor, id, now).await?;
    if m.filed_at.is_some() {
        return Err(AppError::InvalidState {
            state: "filed".into(),
            message: "this report has already been submitted".into(),
        });
    }
    check_complete(&txn, &m).await?;
    let (due, date_name) = due_date(&m).ok_or_else(|| missing_date(&m))?;
    let days = (due - now.date_naive()).num_days();
    m.due_date = Some(due);
    m.filed_at = Some(now);
    m.days_notice = Some(days.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
    m.late = days < NOTICE_DAYS;
    m.updated_at = now;
    record_status(&txn, &mut m, actor.id, None, now).await?;
    let saved = to_active(&m, false).update(&txn).await?;
    txn.commit().await?;
    Ok(Filed {
        late: saved.late,
        days_notice: days,
        notice: notice(days, date_name),
        report: saved,
    })
}

/// Deletes a draft. Filed reports are part of the record and stay.
pub async fn delete_draft(ctx: &AppContext, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let m = load_for_edit(&txn, actor, id, now).await?;
    if m.filed_at.is_some() {
        return Err(AppError::InvalidState {
            state: "filed".into(),
            message: "a submitted report cannot be deleted; set its status to withdrawn".into(),
        });
    }
    report::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

async fn record_status(
    txn: &impl ConnectionTrait,
    m: &mut report::Model,
    actor_id: i64,
    from: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    status_change::ActiveModel {
        report_id: Set(m.id),
        actor_id: Set(actor_id),
        from_status: Set(from),
        to_status: Set(m.status.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    m.status_changed_at = Some(now);
    if m.status == PublicationStatus::Published.as_str() {
        m.published_at = Some(now);
    }
    Ok(())
}

/// Co-author and workspace lists resolved from the input, written after the
/// report row.
#[derive(Default)]
struct Lists {
    co_authors: Option<Vec<coauthor::ActiveModel>>,
    workspaces: Option<Vec<rws::ActiveModel>>,
}

async fn write_lists(txn: &impl ConnectionTrait, report_id: i64, lists: Lists) -> AppResult<()> {
    if let Some(list) = lists.co_authors {
        coauthor::Entity::delete_many()
            .filter(coauthor::Column::ReportId.eq(report_id))
            .exec(txn)
            .await?;
        if !list.is_empty() {
            let rows = list.into_iter().map(|mut row| {
                row.report_id = Set(report_id);
                row
            });
            coauthor::Entity::insert_many(rows)
                .exec_without_returning(txn)
                .await?;
        }
    }
    if let Some(list) = lists.workspaces {
        rws::Entity::delete_many()
            .filter(rws::Column::ReportId.eq(report_id))
            .exec(txn)
            .await?;
        if !list.is_empty() {
            let rows = list.into_iter().map(|mut row| {
                row.report_id = Set(report_id);
                row
            });
            rws::Entity::insert_many(rows)
                .exec_without_returning(txn)
                .await?;
        }
    }
    Ok(())
}

fn missing_date(m: &report::Model) -> AppError {
    let presentation = matches!(
        OutputType::parse(&m.output_type),
        Some(OutputType::OralPresentation | OutputType::Poster | OutputType::ConferenceAbstract)
    );
    AppError::validation(
        if presentation {
            "presentationDate"
        } else {
            "publicationDate"
        },
        "give the date the work will be presented or published (or at least its submission date)",
    )
}

/// Applies `changes` to `m`, validating each given field and the rules
/// between fields. Returns the co-author and workspace rows to write.
async fn apply(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    m: &mut report::Model,
    c: ReportChanges,
    now: DateTime<Utc>,
) -> AppResult<Lists> {
    let today = now.date_naive();
    if let Some(t) = c.output_type {
        m.output_type = t.as_str().into();
    }
    if let Some(title) = c.title {
        m.title = validate::single_line("title", &title, 1, 500)?;
    }
    if let Some(summary) = c.summary {
        m.summary = validate::text("summary", &summary, 0, 10_000)?;
        m.summary_html = crate::markdown::render(&m.summary, &|_| false).html;
    }
    if let Some(venue) = c.venue {
        m.venue = validate::single_line("venue", &venue, 0, 300)?;
    }
    for (field, given, slot) in [
        ("submissionDate", c.submission_date, &mut m.submission_date),
        (
            "presentationDate",
            c.presentation_date,
            &mut m.presentation_date,
        ),
        (
            "publicationDate",
            c.publication_date,
            &mut m.publication_date,
        ),
    ] {
        if let Some(date) = given {
            *slot = date
                .map(|d| types::sane_date(field, d, today))
                .transpose()?;
        }
    }
    if let Some(submitted) = m.submission_date {
        if m.publication_date.is_some_and(|d| d < submitted) {
            return Err(AppError::validation(
                "publicationDate",
                "must not be before the submission date",
            ));
        }
        if m.presentation_date.is_some_and(|d| d < submitted) {
            return Err(AppError::validation(
                "presentationDate",
                "must not be before the submission date",
            ));
        }
    }
    if let Some(tier) = c.tier {
        m.tier = tier.map(|t| t.as_str().to_string());
    }
    if let Some(version) = c.cdr_version {
        m.cdr_version = validate::single_line("cdrVersion", &version, 0, 32)?;
    }
    if let Some(status) = c.status {
        m.status = status.as_str().into();
    }
    if let Some(embargo) = c.embargo_until {
        m.embargo_until = embargo;
    }
    if let Some(doi) = c.doi {
        m.doi = non_empty(doi).map(|v| types::doi("doi", &v)).transpose()?;
    }
    if let Some(pmcid) = c.pmcid {
        m.pmcid = non_empty(pmcid)
            .map(|v| types::pmcid("pmcid", &v))
            .transpose()?;
    }
    if let Some(url) = c.url {
        m.url = non_empty(url)
            .map(|v| types::web_url("url", &v))
            .transpose()?;
    }
    if let Some(exemption) = c.exemption_request_id {
        if exemption.is_some_and(|id| id <= 0) {
            return Err(AppError::validation(
                "exemptionRequestId",
                "is not a valid id",
            ));
        }
        m.exemption_request_id = exemption;
    }
    if let Some(v) = c.acknowledgement_included {
        m.acknowledgement_included = v;
    }
    if let Some(v) = c.data_availability_included {
        m.data_availability_included = v;
    }
    if let Some(v) = c.complies_with_policy {
        m.complies_with_policy = v;
    }
    if let Some(statement) = c.data_availability_statement {
        m.data_availability_statement =
            validate::text("dataAvailabilityStatement", &statement, 0, 4000)?;
    }

    if let Some(lead) = c.lead_author_id {
        if lead != m.lead_author_id && !user_exists(conn, lead).await? {
            return Err(AppError::validation("leadAuthorId", "no such user"));
        }
        // The lead author cannot also be listed as a co-author.
        if c.co_authors.is_none() && m.id > 0 && lead != m.lead_author_id {
            let listed = coauthor::Entity::find()
                .filter(coauthor::Column::ReportId.eq(m.id))
                .filter(coauthor::Column::UserId.eq(lead))
                .one(conn)
                .await?;
            if listed.is_some() {
                return Err(AppError::validation(
                    "leadAuthorId",
                    "is listed as a co-author; send the co-author list without them",
                ));
            }
        }
        m.lead_author_id = lead;
    }
    let mut lists = Lists::default();
    if let Some(list) = c.co_authors {
        lists.co_authors = Some(resolve_coauthors(conn, m, list).await?);
    }
    if let Some(list) = c.workspaces {
        lists.workspaces = Some(resolve_workspaces(conn, actor, list).await?);
    }
    // The declared tier must cover the data of every linked workspace.
    let linked: Vec<i64> = match &lists.workspaces {
        Some(rows) => rows
            .iter()
            .filter_map(|r| match &r.workspace_id {
                Set(Some(id)) => Some(*id),
                _ => None,
            })
            .collect(),
        None if m.id > 0 => rws::Entity::find()
            .select_only()
            .column(rws::Column::WorkspaceId)
            .filter(rws::Column::ReportId.eq(m.id))
            .filter(rws::Column::WorkspaceId.is_not_null())
            .into_tuple::<Option<i64>>()
            .all(conn)
            .await?
            .into_iter()
            .flatten()
            .collect(),
        None => vec![],
    };
    if let Some(declared) = m.tier.as_deref().and_then(Tier::parse)
        && !declared.covers(Tier::Controlled)
        && !linked.is_empty()
        && let Some(ws) = workspace::Entity::find()
            .filter(workspace::Column::Id.is_in(linked))
            .filter(workspace::Column::Tier.eq(Tier::Controlled.as_str()))
            .one(conn)
            .await?
    {
        return Err(AppError::validation(
            "tier",
            format!(
                "workspace {} uses controlled-tier data; set the tier to controlled",
                ws.namespace
            ),
        ));
    }
    Ok(lists)
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

async fn user_exists(conn: &impl ConnectionTrait, id: i64) -> AppResult<bool> {
    Ok(user::Entity::find_by_id(id)
        .select_only()
        .column(user::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .is_some())
}

async fn resolve_coauthors(
    conn: &impl ConnectionTrait,
    m: &report::Model,
    list: Vec<CoAuthorInput>,
) -> AppResult<Vec<coauthor::ActiveModel>> {
    if list.len() > MAX_COAUTHORS {
        return Err(AppError::validation(
            "coAuthors",
            format!("at most {MAX_COAUTHORS} co-authors"),
        ));
    }
    let ids: Vec<i64> = list.iter().filter_map(|c| c.user_id).collect();
    let known: HashSet<i64> = if ids.is_empty() {
        HashSet::new()
    } else {
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Id.is_in(ids))
            .into_tuple::<i64>()
            .all(conn)
            .await?
            .into_iter()
            .collect()
    };
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(list.len());
    for (i, c) in list.into_iter().enumerate() {
        let field = |name: &str| format!("coAuthors[{i}].{name}");
        let affiliation = validate::single_line(
            &field("affiliation"),
            c.affiliation.as_deref().unwrap_or(""),
            0,
            300,
        )?;
        let row = match (c.user_id, non_empty(c.name)) {
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    field("name"),
                    "give a user or a name, not both",
                ));
            }
            (None, None) => {
                return Err(AppError::validation(
                    field("name"),
                    "give a user or a name with an affiliation",
                ));
            }
            (Some(uid), None) => {
                if !known.contains(&uid) {
                    return Err(AppError::validation(field("userId"), "no such user"));
                }
                if uid == m.lead_author_id {
                    return Err(AppError::validation(
                        field("userId"),
                        "is already the lead author",
                    ));
                }
                if !seen.insert(uid) {
                    return Err(AppError::validation(field("userId"), "is listed twice"));
                }
                coauthor::ActiveModel {
                    id: NotSet,
                    report_id: NotSet,
                    position: Set(i as i32),
                    user_id: Set(Some(uid)),
                    name: Set(String::new()),
                    affiliation: Set(affiliation),
                }
            }
            (None, Some(name)) => {
                let name = validate::single_line(&field("name"), &name, 1, 200)?;
                if affiliation.is_empty() {
                    return Err(AppError::validation(
                        field("affiliation"),
                        "give the co-author's affiliation",
                    ));
                }
                coauthor::ActiveModel {
                    id: NotSet,
                    report_id: NotSet,
                    position: Set(i as i32),
                    user_id: Set(None),
                    name: Set(name),
                    affiliation: Set(affiliation),
                }
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Workspaces by listing id (which must exist and be visible to the actor:
/// their own, shared with them, or published for their tier) or by
/// Workbench namespace.
async fn resolve_workspaces(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    list: Vec<WorkspaceInput>,
) -> AppResult<Vec<rws::ActiveModel>> {
    if list.len() > MAX_WORKSPACES {
        return Err(AppError::validation(
            "workspaces",
            format!("at most {MAX_WORKSPACES} workspaces"),
        ));
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(list.len());
    for (i, w) in list.into_iter().enumerate() {
        let field = |name: &str| format!("workspaces[{i}].{name}");
        let (workspace_id, namespace) = match (w.workspace_id, non_empty(w.namespace)) {
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    field("namespace"),
                    "give a workspace or a namespace, not both",
                ));
            }
            (None, None) => {
                return Err(AppError::validation(
                    field("workspaceId"),
                    "give a workspace or a Workbench namespace",
                ));
            }
            (Some(id), None) => {
                let ws = visible_workspace(conn, actor, id).await?.ok_or_else(|| {
                    AppError::validation(field("workspaceId"), "no such workspace")
                })?;
                (Some(id), ws.namespace)
            }
            (None, Some(ns)) => (None, types::namespace(&field("namespace"), &ns)?),
        };
        if !seen.insert(namespace.clone()) {
            return Err(AppError::validation(
                field("workspaceId"),
                "is listed twice",
            ));
        }
        rows.push(rws::ActiveModel {
            id: NotSet,
            report_id: NotSet,
            position: Set(i as i32),
            workspace_id: Set(workspace_id),
            namespace: Set(namespace),
        });
    }
    Ok(rows)
}

async fn visible_workspace(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    id: i64,
) -> AppResult<Option<workspace::Model>> {
    let Some(ws) = workspace::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    // Tiered data: nobody, staff included, links a listing above their tier.
    let tier = Tier::parse(&ws.tier).unwrap_or(Tier::Controlled);
    if !actor.tier.covers(tier) {
        return Ok(None);
    }
    if ws.owner_id == actor.id || actor.is_reviewer() || ws.published_at.is_some() {
        return Ok(Some(ws));
    }
    let collaborator = workspace_collaborator::Entity::find_by_id((id, actor.id))
        .one(conn)
        .await?
        .is_some();
    Ok(collaborator.then_some(ws))
}

/// What a report must have before it is filed (and keep afterwards).
async fn check_complete(conn: &impl ConnectionTrait, m: &report::Model) -> AppResult<()> {
    if m.summary.trim().is_empty() {
        return Err(AppError::validation(
            "summary",
            "give an abstract or a short summary",
        ));
    }
    if m.venue.trim().is_empty() {
        return Err(AppError::validation(
            "venue",
            "name the journal, conference or outlet",
        ));
    }
    if due_date(m).is_none() {
        return Err(missing_date(m));
    }
    let Some(tier) = m.tier.as_deref().and_then(Tier::parse) else {
        return Err(AppError::validation(
            "tier",
            "give the data access tier the work used",
        ));
    };
    if m.cdr_version.is_empty() {
        return Err(AppError::validation(
            "cdrVersion",
            "give the dataset (CDR) version, such as v7",
        ));
    }
    let workspaces = rws::Entity::find()
        .filter(rws::Column::ReportId.eq(m.id))
        .select_only()
        .column(rws::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    if workspaces.is_none() {
        return Err(AppError::validation(
            "workspaces",
            "list at least one workspace the work used",
        ));
    }
    if !m.acknowledgement_included {
        return Err(AppError::validation(
            "acknowledgementIncluded",
            "confirm the program's acknowledgement statement is included",
        ));
    }
    if !m.data_availability_included {
        return Err(AppError::validation(
            "dataAvailabilityIncluded",
            "confirm a data-availability statement names the data access tier and dataset version",
        ));
    }
    if !m.data_availability_statement.is_empty() {
        let statement = m.data_availability_statement.to_lowercase();
        let tier_name = match tier {
            Tier::Registered => "registered",
            Tier::Controlled => "controlled",
        };
        if !statement.contains(tier_name) || !statement.contains(&m.cdr_version.to_lowercase()) {
            return Err(AppError::validation(
                "dataAvailabilityStatement",
                format!(
                    "must name the data access tier ({tier_name}) and the dataset version ({})",
                    m.cdr_version
                ),
            ));
        }
    }
    // A linked exemption must be one of this report's filer or workspaces;
    // it stands in for the policy attestation only once approved. Someone
    // else's request answers as one that is not approved, so the refusal
    // reveals nothing of it.
    let link = match m.exemption_request_id {
        Some(id) => Some(super::exemption::exemption_link(conn, id, m.id, m.filer_id).await?),
        None => None,
    };
    let refused = || {
        AppError::validation(
            "exemptionRequestId",
            "is not an approved exemption request of this report's filer or workspaces; \
             confirm compliance with the Data and Statistics Dissemination Policy instead, \
             or wait for the decision",
        )
    };
    match (m.complies_with_policy, link) {
        (_, Some(ExemptionLink::Foreign)) => return Err(refused()),
        (false, Some(ExemptionLink::Pending)) => return Err(refused()),
        (false, None) => {
            return Err(AppError::validation(
                "compliesWithPolicy",
                "confirm the work complies with the Data and Statistics Dissemination Policy, \
                 or link an approved exemption request",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Every field set, for an insert (`id` left to the database) or a full
/// update.
fn to_active(m: &report::Model, insert: bool) -> report::ActiveModel {
    report::ActiveModel {
        id: if insert { NotSet } else { Unchanged(m.id) },
        filer_id: Set(m.filer_id),
        lead_author_id: Set(m.lead_author_id),
        output_type: Set(m.output_type.clone()),
        title: Set(m.title.clone()),
        summary: Set(m.summary.clone()),
        summary_html: Set(m.summary_html.clone()),
        venue: Set(m.venue.clone()),
        submission_date: Set(m.submission_date),
        presentation_date: Set(m.presentation_date),
        publication_date: Set(m.publication_date),
        due_date: Set(m.due_date),
        tier: Set(m.tier.clone()),
        cdr_version: Set(m.cdr_version.clone()),
        status: Set(m.status.clone()),
        filed_at: Set(m.filed_at),
        late: Set(m.late),
        days_notice: Set(m.days_notice),
        status_changed_at: Set(m.status_changed_at),
        published_at: Set(m.published_at),
        embargo_until: Set(m.embargo_until),
        doi: Set(m.doi.clone()),
        pmcid: Set(m.pmcid.clone()),
        url: Set(m.url.clone()),
        exemption_request_id: Set(m.exemption_request_id),
        acknowledgement_included: Set(m.acknowledgement_included),
        data_availability_included: Set(m.data_availability_included),
        complies_with_policy: Set(m.complies_with_policy),
        data_availability_statement: Set(m.data_availability_statement.clone()),
        date_reminder_for: Set(m.date_reminder_for),
        identifier_reminded_at: Set(m.identifier_reminded_at),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}
