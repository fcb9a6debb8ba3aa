//! GraphQL for community workspace listings: browse, fetch, the viewer's
//! own listings, and the owner's, collaborators' and admins' changes.

use async_graphql::{
    Context, ID, InputObject, Object,
    connection::{Connection, Edge, EmptyFields, query},
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};

use super::{
    loaders::{CollaboratorsOf, ConsentOf, DataTypesOf, TagsOf, WorkspaceLoader},
    service::{
        self, BrowseCursor, BrowseFilter, Consent, ListingChange, Membership, NewListing, Purpose,
        Snapshot,
    },
    types::{DataType, FeaturedCategory, PurposeFlag, WorkspaceSort},
};
use crate::{
    auth::{graphql::User, loaders::UserLoader},
    entities::{workspace, workspace_consent, workspace_revision},
    error::AppError,
    identity::Tier,
    request::{GqlResult, app, page, require_user, viewer},
    validate,
};

pub const MAX_PAGE: usize = 50;

fn loader_err(e: std::sync::Arc<AppError>) -> AppError {
    AppError::internal(anyhow::anyhow!("{e:?}"))
}

fn workspaces_loader<'a>(ctx: &Context<'a>) -> &'a DataLoader<WorkspaceLoader> {
    ctx.data_unchecked::<DataLoader<WorkspaceLoader>>()
}

async fn load_user(ctx: &Context<'_>, id: i64) -> GqlResult<Option<User>> {
    let loader = ctx.data_unchecked::<DataLoader<UserLoader>>();
    Ok(loader.load_one(id).await.map_err(loader_err)?.map(User))
}

/// A community workspace listing: a Workbench workspace shared with the
/// researchers whose data tier covers it.
pub struct Workspace(pub workspace::Model);

impl Workspace {
    async fn collaborator_ids(&self, ctx: &Context<'_>) -> GqlResult<Vec<i64>> {
        Ok(workspaces_loader(ctx)
            .load_one(CollaboratorsOf(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default())
    }

    async fn membership(&self, ctx: &Context<'_>) -> GqlResult<Membership> {
        let Some(v) = viewer(ctx) else {
            return Ok(Membership::None);
        };
        if v.id == self.0.owner_id {
            return Ok(Membership::Owner);
        }
        Ok(if self.collaborator_ids(ctx).await?.contains(&v.id) {
            Membership::Collaborator
        } else {
            Membership::None
        })
    }
}

#[Object]
impl Workspace {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The Workbench namespace, e.g. `aou-rw-1234abcd`.
    async fn namespace(&self) -> &str {
        &self.0.namespace
    }
    async fn owner(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        load_user(ctx, self.0.owner_id).await
    }
    #[graphql(complexity = "crate::request::cost::listed(50, child_complexity)")]
    async fn collaborators(&self, ctx: &Context<'_>) -> GqlResult<Vec<User>> {
        let ids = self.collaborator_ids(ctx).await?;
        let users = ctx
            .data_unchecked::<DataLoader<UserLoader>>()
            .load_many(ids.iter().copied())
            .await
            .map_err(loader_err)?;
        Ok(ids
            .iter()
            .filter_map(|id| users.get(id).cloned().map(User))
            .collect())
    }
    /// Markdown source.
    async fn intended_study(&self) -> &str {
        &self.0.intended_study
    }
    /// Sanitized HTML.
    async fn intended_study_html(&self, ctx: &Context<'_>) -> String {
        crate::request::html_for_readers(ctx, &self.0.intended_study_html)
    }
    async fn scientific_approach(&self) -> &str {
        &self.0.scientific_approach
    }
    async fn scientific_approach_html(&self, ctx: &Context<'_>) -> String {
        crate::request::html_for_readers(ctx, &self.0.scientific_approach_html)
    }
    async fn anticipated_findings(&self) -> &str {
        &self.0.anticipated_findings
    }
    async fn anticipated_findings_html(&self, ctx: &Context<'_>) -> String {
        crate::request::html_for_readers(ctx, &self.0.anticipated_findings_html)
    }
    async fn purposes(&self) -> Vec<PurposeFlag> {
        service::purposes_of(&self.0)
    }
    /// The disease, for disease-focused research.
    async fn disease(&self) -> Option<&str> {
        self.0.disease_focused.then_some(self.0.disease.as_str())
    }
    /// The purpose, when flagged OTHER.
    async fn other_purpose(&self) -> Option<&str> {
        self.0
            .other_purpose
            .then_some(self.0.other_purpose_text.as_str())
    }
    async fn tier(&self) -> Tier {
        service::tier_of(&self.0)
    }
    /// The dataset (CDR) version, such as "v7".
    async fn cdr_version(&self) -> &str {
        &self.0.cdr_version
    }
    async fn data_types(&self, ctx: &Context<'_>) -> GqlResult<Vec<DataType>> {
        Ok(workspaces_loader(ctx)
            .load_one(DataTypesOf(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default())
    }
    async fn tags(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        Ok(workspaces_loader(ctx)
            .load_one(TagsOf(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default())
    }
    async fn featured_category(&self) -> Option<FeaturedCategory> {
        self.0
            .featured_category
            .as_deref()
            .and_then(FeaturedCategory::parse)
    }
    async fn published(&self) -> bool {
        self.0.published_at.is_some()
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// How many times the workspace was duplicated, as its owner reports.
    async fn duplicate_count(&self) -> i32 {
        self.0.duplicate_count
    }
    /// Moves on by one with every edit; pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn viewer_is_owner(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.membership(ctx).await? == Membership::Owner)
    }
    /// Owners and collaborators edit the listing.
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.membership(ctx).await?.is_member())
    }
    /// The consent recorded at the last publication; for the owner,
    /// collaborators and admins.
    async fn consent(&self, ctx: &Context<'_>) -> GqlResult<Option<WorkspaceConsent>> {
        let Some(v) = viewer(ctx) else {
            return Ok(None);
        };
        if !service::may_audit(v, self.membership(ctx).await?) {
            return Ok(None);
        }
        Ok(workspaces_loader(ctx)
            .load_one(ConsentOf(self.0.id))
            .await
            .map_err(loader_err)?
            .map(WorkspaceConsent))
    }
    /// Earlier versions of the listing, newest first; for the owner,
    /// collaborators and admins.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, WorkspaceRevision, EmptyFields, EmptyFields>> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        let id = self.0.id;
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows =
                    service::revisions(app, viewer, id, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                for row in rows {
                    connection
                        .edges
                        .push(Edge::new(row.id.to_string(), WorkspaceRevision::new(row)?));
                }
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

/// The listing as it was before an edit.
pub struct WorkspaceRevision {
    row: workspace_revision::Model,
    snapshot: Snapshot,
}

impl WorkspaceRevision {
    fn new(row: workspace_revision::Model) -> Result<Self, AppError> {
        let snapshot = serde_json::from_str(&row.snapshot).map_err(AppError::internal)?;
        Ok(Self { row, snapshot })
    }
}

#[Object]
impl WorkspaceRevision {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// The version these fields belonged to.
    async fn version(&self) -> i32 {
        self.row.version
    }
    /// Who made the edit that replaced this version.
    async fn editor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        load_user(ctx, self.row.editor_id).await
    }
    /// When this version was replaced.
    async fn replaced_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    async fn name(&self) -> &str {
        &self.snapshot.name
    }
    async fn cdr_version(&self) -> &str {
        &self.snapshot.cdr_version
    }
    async fn intended_study(&self) -> &str {
        &self.snapshot.intended_study
    }
    async fn scientific_approach(&self) -> &str {
        &self.snapshot.scientific_approach
    }
    async fn anticipated_findings(&self) -> &str {
        &self.snapshot.anticipated_findings
    }
    async fn purposes(&self) -> &[PurposeFlag] {
        &self.snapshot.purposes
    }
    async fn disease(&self) -> &str {
        &self.snapshot.disease
    }
    async fn other_purpose(&self) -> &str {
        &self.snapshot.other_purpose
    }
    async fn data_types(&self) -> &[DataType] {
        &self.snapshot.data_types
    }
    async fn tags(&self) -> &[String] {
        &self.snapshot.tags
    }
}

/// The owner's confirmation of the publishing terms.
pub struct WorkspaceConsent(pub workspace_consent::Model);

#[Object]
impl WorkspaceConsent {
    async fn consented_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        load_user(ctx, self.0.user_id).await
    }
    async fn consented_at(&self) -> DateTime<Utc> {
        self.0.consented_at
    }
    async fn no_harmful_language(&self) -> bool {
        self.0.no_harmful_language
    }
    async fn contact_info_in_description(&self) -> bool {
        self.0.contact_info_in_description
    }
    async fn collaborators_agreed(&self) -> bool {
        self.0.collaborators_agreed
    }
    /// The listing version that was published.
    async fn workspace_version(&self) -> i32 {
        self.0.workspace_version
    }
}

#[derive(InputObject)]
pub struct WorkspacePurposeInput {
    /// Markdown.
    pub intended_study: String,
    #[graphql(default)]
    pub scientific_approach: String,
    #[graphql(default)]
    pub anticipated_findings: String,
    pub purposes: Vec<PurposeFlag>,
    /// Required with DISEASE_FOCUSED.
    pub disease: Option<String>,
    /// Required with OTHER.
    pub other_purpose: Option<String>,
}

#[derive(InputObject)]
pub struct CreateWorkspaceInput {
    pub name: String,
    /// The Workbench namespace; one listing per Workbench workspace.
    pub namespace: String,
    /// Fixed for the life of the listing, as on the Workbench.
    pub tier: Tier,
    pub cdr_version: String,
    pub purpose: WorkspacePurposeInput,
    #[graphql(default)]
    pub data_types: Vec<DataType>,
    #[graphql(default)]
    pub tags: Vec<String>,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateWorkspaceInput {
    pub id: ID,
    /// The `version` the edit is based on; a newer version is a CONFLICT.
    pub expected_version: Option<i32>,
    pub name: Option<String>,
    pub cdr_version: Option<String>,
    pub intended_study: Option<String>,
    pub scientific_approach: Option<String>,
    pub anticipated_findings: Option<String>,
    pub purposes: Option<Vec<PurposeFlag>>,
    pub disease: Option<String>,
    pub other_purpose: Option<String>,
    pub data_types: Option<Vec<DataType>>,
    pub tags: Option<Vec<String>>,
}

/// The three points an owner confirms to publish.
#[derive(InputObject)]
pub struct PublishConsentInput {
    /// The listing uses no harmful or stigmatizing language.
    pub no_harmful_language: bool,
    /// The description says how to contact the team.
    pub contact_info_in_description: bool,
    /// The collaborators agreed to publishing.
    pub collaborators_agreed: bool,
}

/// Browse filters; they combine with AND, and a list filter keeps the
/// listings that have every value given.
#[derive(InputObject, Default)]
pub struct WorkspaceFilter {
    pub tier: Option<Tier>,
    #[graphql(default)]
    pub data_types: Vec<DataType>,
    #[graphql(default)]
    pub purposes: Vec<PurposeFlag>,
    #[graphql(default)]
    pub tags: Vec<String>,
    pub cdr_version: Option<String>,
    pub featured_category: Option<FeaturedCategory>,
}

#[derive(Default)]
pub struct WorkspaceQuery;

#[Object]
impl WorkspaceQuery {
    /// A listing by id, or null when it does not exist or the viewer may not
    /// see it (a draft of someone else, or a tier the viewer lacks).
    async fn workspace(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Option<Workspace>> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        match service::get(app(ctx), viewer, id).await {
            Ok(w) => Ok(Some(Workspace(w))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Published community workspaces the viewer may see.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn community_workspaces(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkspaceFilter>,
        #[graphql(desc = "NEWEST when left out")] sort: Option<WorkspaceSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, Workspace, EmptyFields, EmptyFields>> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        let sort = sort.unwrap_or_default();
        let filter = filter.unwrap_or_default();
        if filter.tags.len() > service::MAX_TAGS {
            return Err(AppError::validation(
                "filter.tags",
                format!("filter by at most {} tags", service::MAX_TAGS),
            )
            .into());
        }
        let filter = BrowseFilter {
            tier: filter.tier,
            data_types: filter.data_types,
            purposes: filter.purposes,
            tags: filter.tags,
            cdr_version: filter.cdr_version,
            featured_category: filter.featured_category,
        };
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let cursor = match &after {
                    Some(c) => Some(BrowseCursor::decode(sort, c)?),
                    None => None,
                };
                let rows = service::browse(
                    app,
                    viewer,
                    &filter,
                    sort,
                    cursor.as_ref(),
                    page::fetch(limit),
                )
                .await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(cursor.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|w| Edge::new(BrowseCursor::after(sort, &w).encode(), Workspace(w))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// The viewer's listings and those they collaborate on, drafts included.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn my_workspaces(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, Workspace, EmptyFields, EmptyFields>> {
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
                let rows = service::mine(app, viewer, before_id, page::fetch(limit)).await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|w| Edge::new(w.id.to_string(), Workspace(w))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct WorkspaceMutation;

#[Object]
impl WorkspaceMutation {
    /// Lists a Workbench workspace as a draft; only its owner and
    /// collaborators see it until it is published.
    async fn create_workspace(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkspaceInput,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let p = input.purpose;
        let created = service::create(
            app(ctx),
            viewer,
            NewListing {
                name: input.name,
                namespace: input.namespace,
                tier: input.tier,
                cdr_version: input.cdr_version,
                purpose: Purpose {
                    intended_study: p.intended_study,
                    scientific_approach: p.scientific_approach,
                    anticipated_findings: p.anticipated_findings,
                    flags: p.purposes,
                    disease: p.disease,
                    other_purpose: p.other_purpose,
                },
                data_types: input.data_types,
                tags: input.tags,
            },
        )
        .await?;
        Ok(Workspace(created))
    }

    /// Owners and collaborators edit a listing; the previous version is kept
    /// as a revision.
    async fn update_workspace(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceInput,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &input.id)?;
        let updated = service::update(
            app(ctx),
            viewer,
            id,
            ListingChange {
                expected_version: input.expected_version,
                name: input.name,
                cdr_version: input.cdr_version,
                intended_study: input.intended_study,
                scientific_approach: input.scientific_approach,
                anticipated_findings: input.anticipated_findings,
                flags: input.purposes,
                disease: input.disease,
                other_purpose: input.other_purpose,
                data_types: input.data_types,
                tags: input.tags,
            },
        )
        .await?;
        Ok(Workspace(updated))
    }

    async fn add_workspace_collaborator(
        &self,
        ctx: &Context<'_>,
        workspace_id: ID,
        user_id: ID,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("workspaceId", &workspace_id)?;
        let user_id = validate::id("userId", &user_id)?;
        Ok(Workspace(
            service::add_collaborator(app(ctx), viewer, id, user_id).await?,
        ))
    }

    /// The owner removes a collaborator; a collaborator may remove themself.
    async fn remove_workspace_collaborator(
        &self,
        ctx: &Context<'_>,
        workspace_id: ID,
        user_id: ID,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("workspaceId", &workspace_id)?;
        let user_id = validate::id("userId", &user_id)?;
        Ok(Workspace(
            service::remove_collaborator(app(ctx), viewer, id, user_id).await?,
        ))
    }

    /// The owner publishes, confirming the three points.
    async fn publish_workspace(
        &self,
        ctx: &Context<'_>,
        id: ID,
        consent: PublishConsentInput,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        let consent = Consent {
            no_harmful_language: consent.no_harmful_language,
            contact_info_in_description: consent.contact_info_in_description,
            collaborators_agreed: consent.collaborators_agreed,
        };
        Ok(Workspace(
            service::publish(app(ctx), viewer, id, consent).await?,
        ))
    }

    /// The owner or an admin takes a listing back to draft.
    async fn unpublish_workspace(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Workspace(
            service::unpublish(app(ctx), viewer, id, reason).await?,
        ))
    }

    /// Admins: feature a published listing in a category, or pass null to
    /// stop featuring it.
    async fn feature_workspace(
        &self,
        ctx: &Context<'_>,
        id: ID,
        category: Option<FeaturedCategory>,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Workspace(
            service::feature(app(ctx), viewer, id, category).await?,
        ))
    }

    /// The owner reports how many times the workspace has been duplicated.
    async fn report_workspace_duplicates(
        &self,
        ctx: &Context<'_>,
        id: ID,
        count: i32,
    ) -> GqlResult<Workspace> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(Workspace(
            service::report_duplicates(app(ctx), viewer, id, count).await?,
        ))
    }
}
