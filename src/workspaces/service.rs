//! The rules of community workspace listings: who may see, edit, publish,
//! unpublish and feature them, and the browse.
//!
//! Visibility, one rule everywhere: a listing is visible to a user whose data
//! tier covers the listing's tier, and then only once published, unless the
//! user is its owner or a collaborator (drafts). Everyone else, admins
//! included, gets NOT_FOUND, so the existence of a controlled-tier listing
//! does not leak through an error code.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Deserialize, Serialize};

use super::types::{DataType, FeaturedCategory, PurposeFlag, WorkspaceSort};
use crate::{
    context::AppContext,
    db::WriteTxn,
    entities::{
        user, workspace, workspace_collaborator, workspace_consent, workspace_data_type,
        workspace_revision, workspace_tag,
    },
    error::{AppError, AppResult},
    identity::{CurrentUser, Tier, UserStatus},
    indexer::{self, Doc},
    markdown,
    membership::{self, MembershipRole},
    notifications::service::{NewNotification, notify},
    validate,
};

pub const MAX_TAGS: usize = 10;
pub const MAX_COLLABORATORS: u64 = 50;
pub const MAX_DUPLICATE_COUNT: i32 = 1_000_000;
const TEXT_MAX: usize = 10_000;

/// The viewer's relation to a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    Owner,
    Collaborator,
    None,
}

impl Membership {
    pub fn is_member(self) -> bool {
        self != Membership::None
    }
}

/// The research purpose of a listing, as entered.
#[derive(Clone, Debug, Default)]
pub struct Purpose {
    pub intended_study: String,
    pub scientific_approach: String,
    pub anticipated_findings: String,
    pub flags: Vec<PurposeFlag>,
    pub disease: Option<String>,
    pub other_purpose: Option<String>,
}

pub struct NewListing {
    pub name: String,
    pub namespace: String,
    pub tier: Tier,
    pub cdr_version: String,
    pub purpose: Purpose,
    pub data_types: Vec<DataType>,
    pub tags: Vec<String>,
}

/// An edit: every field is optional; `expected_version` guards against
/// overwriting someone else's concurrent edit.
#[derive(Default)]
pub struct ListingChange {
    pub expected_version: Option<i32>,
    pub name: Option<String>,
    pub cdr_version: Option<String>,
    pub intended_study: Option<String>,
    pub scientific_approach: Option<String>,
    pub anticipated_findings: Option<String>,
    pub flags: Option<Vec<PurposeFlag>>,
    pub disease: Option<String>,
    pub other_purpose: Option<String>,
    pub data_types: Option<Vec<DataType>>,
    pub tags: Option<Vec<String>>,
}

/// The three points the owner confirms when publishing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Consent {
    pub no_harmful_language: bool,
    pub contact_info_in_description: bool,
    pub collaborators_agreed: bool,
}

#[derive(Clone, Debug, Default)]
pub struct BrowseFilter {
    pub tier: Option<Tier>,
    /// Listings using every one of these.
    pub data_types: Vec<DataType>,
    /// Listings with every one of these flags.
    pub purposes: Vec<PurposeFlag>,
    /// Listings carrying every one of these tags.
    pub tags: Vec<String>,
    pub cdr_version: Option<String>,
    pub featured_category: Option<FeaturedCategory>,
}

/// The editable fields of a listing, as kept in a revision.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Snapshot {
    pub name: String,
    pub cdr_version: String,
    pub intended_study: String,
    pub scientific_approach: String,
    pub anticipated_findings: String,
    pub purposes: Vec<PurposeFlag>,
    pub disease: String,
    pub other_purpose: String,
    pub data_types: Vec<DataType>,
    pub tags: Vec<String>,
}

// PurposeFlag and DataType travel in snapshots by their stored names.
impl Serialize for PurposeFlag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for PurposeFlag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PurposeFlag::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown purpose {s}")))
    }
}
impl Serialize for DataType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DataType::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown type {s}")))
    }
}

pub fn purposes_of(w: &workspace::Model) -> Vec<PurposeFlag> {
    PurposeFlag::ALL
        .into_iter()
        .filter(|f| flag_value(w, *f))
        .collect()
}

fn flag_value(w: &workspace::Model, flag: PurposeFlag) -> bool {
    match flag {
        PurposeFlag::DiseaseFocused => w.disease_focused,
        PurposeFlag::MethodsDevelopment => w.methods_development,
        PurposeFlag::PopulationHealth => w.population_health,
        PurposeFlag::SocialBehavioral => w.social_behavioral,
        PurposeFlag::Ancestry => w.ancestry,
        PurposeFlag::DrugDevelopment => w.drug_development,
        PurposeFlag::Educational => w.educational,
        PurposeFlag::Other => w.other_purpose,
    }
}

fn flag_column(flag: PurposeFlag) -> workspace::Column {
    match flag {
        PurposeFlag::DiseaseFocused => workspace::Column::DiseaseFocused,
        PurposeFlag::MethodsDevelopment => workspace::Column::MethodsDevelopment,
        PurposeFlag::PopulationHealth => workspace::Column::PopulationHealth,
        PurposeFlag::SocialBehavioral => workspace::Column::SocialBehavioral,
        PurposeFlag::Ancestry => workspace::Column::Ancestry,
        PurposeFlag::DrugDevelopment => workspace::Column::DrugDevelopment,
        PurposeFlag::Educational => workspace::Column::Educational,
        PurposeFlag::Other => workspace::Column::OtherPurpose,
    }
}

fn set_flags(active: &mut workspace::ActiveModel, flags: &[PurposeFlag]) {
    let has = |f| flags.contains(&f);
    active.disease_focused = Set(has(PurposeFlag::DiseaseFocused));
    active.methods_development = Set(has(PurposeFlag::MethodsDevelopment));
    active.population_health = Set(has(PurposeFlag::PopulationHealth));
    active.social_behavioral = Set(has(PurposeFlag::SocialBehavioral));
    active.ancestry = Set(has(PurposeFlag::Ancestry));
    active.drug_development = Set(has(PurposeFlag::DrugDevelopment));
    active.educational = Set(has(PurposeFlag::Educational));
    active.other_purpose = Set(has(PurposeFlag::Other));
}

pub fn tier_of(w: &workspace::Model) -> Tier {
    Tier::parse(&w.tier).unwrap_or(Tier::Controlled)
}

// ---------------------------------------------------------------- validation

fn validate_namespace(value: &str) -> AppResult<String> {
    let ns = value.trim().to_ascii_lowercase();
    let ok = (3..=100).contains(&ns.len())
        && ns
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && ns.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(ns)
    } else {
        Err(AppError::validation(
            "namespace",
            "is the Workbench namespace: 3 to 100 lower-case letters, digits and '-'",
        ))
    }
}

fn validate_cdr_version(value: &str) -> AppResult<String> {
    let v = validate::single_line("cdrVersion", value, 1, 32)?;
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Ok(v)
    } else {
        Err(AppError::validation(
            "cdrVersion",
            "is a dataset version such as \"v7\"",
        ))
    }
}

/// A tag in its stored form: lower case, words joined by '-'.
pub fn normalize_tag(raw: &str) -> AppResult<String> {
    let mut tag = String::new();
    for c in raw.trim().to_lowercase().chars() {
        if c.is_alphanumeric() || c == '+' || c == '#' {
            tag.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '_' || c == '.') && !tag.ends_with('-') {
            tag.push('-');
        }
    }
    let tag = tag.trim_matches('-').to_string();
    let len = tag.chars().count();
    if !(1..=48).contains(&len) {
        return Err(AppError::validation(
            "tags",
            format!("{raw:?} is not a tag: use 1 to 48 letters, digits or '-'"),
        ));
    }
    Ok(tag)
}

fn normalize_tags(raw: &[String]) -> AppResult<Vec<String>> {
    let tags: BTreeSet<String> = raw
        .iter()
        .map(|t| normalize_tag(t))
        .collect::<AppResult<_>>()?;
    if tags.len() > MAX_TAGS {
        return Err(AppError::validation(
            "tags",
            format!("use at most {MAX_TAGS} tags"),
        ));
    }
    Ok(tags.into_iter().collect())
}

fn check_data_types(tier: Tier, types: &[DataType]) -> AppResult<Vec<DataType>> {
    let set: BTreeSet<DataType> = types.iter().copied().collect();
    if tier == Tier::Registered
        && let Some(dt) = set.iter().find(|d| d.needs_controlled_tier())
    {
        return Err(AppError::validation(
            "dataTypes",
            format!(
                "{} data is in the Controlled Tier; a registered-tier workspace cannot use it",
                dt.as_str().replace('_', " ")
            ),
        ));
    }
    Ok(set.into_iter().collect())
}

/// The disease and "other" text accompany their flags, and only them.
fn check_flag_texts(
    flags: &[PurposeFlag],
    disease: &str,
    other: &str,
) -> AppResult<(String, String)> {
    let disease = if flags.contains(&PurposeFlag::DiseaseFocused) {
        validate::single_line("disease", disease, 1, 200)?
    } else {
        String::new()
    };
    let other = if flags.contains(&PurposeFlag::Other) {
        validate::single_line("otherPurpose", other, 1, 500)?
    } else {
        String::new()
    };
    Ok((disease, other))
}

fn markdown_field(field: &str, value: &str) -> AppResult<(String, String)> {
    let source = validate::text(field, value, 0, TEXT_MAX)?;
    let html = markdown::render(&source, &|_| false).html;
    Ok((source, html))
}

// ---------------------------------------------------------------- access

/// The listing if `viewer` may see it, with their relation to it.
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: i64,
) -> AppResult<(workspace::Model, Membership)> {
    let found = workspace::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("workspace"))?;
    let membership = membership(conn, viewer.id, &found).await?;
    if !can_see(viewer, &found, membership) {
        return Err(AppError::NotFound("workspace"));
    }
    Ok((found, membership))
}

pub fn can_see(viewer: &CurrentUser, w: &workspace::Model, membership: Membership) -> bool {
    viewer.tier.covers(tier_of(w)) && (w.published_at.is_some() || membership.is_member())
}

pub async fn membership(
    conn: &impl ConnectionTrait,
    user_id: i64,
    w: &workspace::Model,
) -> AppResult<Membership> {
    if w.owner_id == user_id {
        return Ok(Membership::Owner);
    }
    let collaborator = workspace_collaborator::Entity::find_by_id((w.id, user_id))
        .one(conn)
        .await?
        .is_some();
    Ok(if collaborator {
        Membership::Collaborator
    } else {
        Membership::None
    })
}

/// Asks the search indexer to refresh a listing; it reads the row and drops
/// the document when the listing is no longer published.
pub async fn enqueue_index(txn: &WriteTxn, now: DateTime<Utc>, id: i64) -> AppResult<()> {
    indexer::enqueue(txn, now, Doc::Workspace(id)).await
}

// ---------------------------------------------------------------- writes

/// Creates a draft listing of the viewer's Workbench workspace.
pub async fn create(
    ctx: &AppContext,
    viewer: &CurrentUser,
    input: NewListing,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let name = validate::single_line("name", &input.name, 1, 200)?;
    let namespace = validate_namespace(&input.namespace)?;
    if !viewer.tier.covers(input.tier) {
        return Err(AppError::validation(
            "tier",
            "you need controlled-tier access to list a controlled-tier workspace",
        ));
    }
    let cdr_version = validate_cdr_version(&input.cdr_version)?;
    let p = input.purpose;
    let (intended, intended_html) = markdown_field("intendedStudy", &p.intended_study)?;
    let (approach, approach_html) = markdown_field("scientificApproach", &p.scientific_approach)?;
    let (findings, findings_html) = markdown_field("anticipatedFindings", &p.anticipated_findings)?;
    let (disease, other) = check_flag_texts(
        &p.flags,
        p.disease.as_deref().unwrap_or(""),
        p.other_purpose.as_deref().unwrap_or(""),
    )?;
    let data_types = check_data_types(input.tier, &input.data_types)?;
    let tags = normalize_tags(&input.tags)?;

    let txn = ctx.write().await?;
    let taken = workspace::Entity::find()
        .filter(workspace::Column::Namespace.eq(&namespace))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(namespace_taken());
    }
    let mut active = workspace::ActiveModel {
        name: Set(name),
        namespace: Set(namespace),
        owner_id: Set(viewer.id),
        intended_study: Set(intended),
        intended_study_html: Set(intended_html),
        scientific_approach: Set(approach),
        scientific_approach_html: Set(approach_html),
        anticipated_findings: Set(findings),
        anticipated_findings_html: Set(findings_html),
        disease: Set(disease),
        other_purpose_text: Set(other),
        tier: Set(input.tier.as_str().into()),
        cdr_version: Set(cdr_version),
        featured_category: Set(None),
        published_at: Set(None),
        consented_at: Set(None),
        consented_by: Set(None),
        duplicate_count: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_flags(&mut active, &p.flags);
    let created = active
        .insert(&txn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => namespace_taken(),
            other => other,
        })?;
    membership::began(&txn, created.id, viewer.id, MembershipRole::Owner, now).await?;
    replace_data_types(&txn, created.id, &data_types).await?;
    replace_tags(&txn, created.id, &tags).await?;
    enqueue_index(&txn, now, created.id).await?;
    txn.commit().await?;
    Ok(created)
}

fn namespace_taken() -> AppError {
    AppError::conflict_on("namespace", "this Workbench workspace is already listed")
}

async fn replace_data_types(
    conn: &impl ConnectionTrait,
    id: i64,
    types: &[DataType],
) -> AppResult<()> {
    workspace_data_type::Entity::delete_many()
        .filter(workspace_data_type::Column::WorkspaceId.eq(id))
        .exec(conn)
        .await?;
    if !types.is_empty() {
        workspace_data_type::Entity::insert_many(types.iter().map(|t| {
            workspace_data_type::ActiveModel {
                workspace_id: Set(id),
                data_type: Set(t.as_str().into()),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

async fn replace_tags(conn: &impl ConnectionTrait, id: i64, tags: &[String]) -> AppResult<()> {
    workspace_tag::Entity::delete_many()
        .filter(workspace_tag::Column::WorkspaceId.eq(id))
        .exec(conn)
        .await?;
    if !tags.is_empty() {
        workspace_tag::Entity::insert_many(tags.iter().map(|t| workspace_tag::ActiveModel {
            workspace_id: Set(id),
            tag: Set(t.clone()),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

pub async fn data_types_of(conn: &impl ConnectionTrait, id: i64) -> AppResult<Vec<DataType>> {
    let rows: Vec<String> = workspace_data_type::Entity::find()
        .select_only()
        .column(workspace_data_type::Column::DataType)
        .filter(workspace_data_type::Column::WorkspaceId.eq(id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut types: Vec<DataType> = rows.iter().filter_map(|s| DataType::parse(s)).collect();
    types.sort();
    Ok(types)
}

pub async fn tags_of(conn: &impl ConnectionTrait, id: i64) -> AppResult<Vec<String>> {
    let mut tags: Vec<String> = workspace_tag::Entity::find()
        .select_only()
        .column(workspace_tag::Column::Tag)
        .filter(workspace_tag::Column::WorkspaceId.eq(id))
        .into_tuple()
        .all(conn)
        .await?;
    tags.sort();
    Ok(tags)
}

async fn snapshot(conn: &impl ConnectionTrait, w: &workspace::Model) -> AppResult<Snapshot> {
    Ok(Snapshot {
        name: w.name.clone(),
        cdr_version: w.cdr_version.clone(),
        intended_study: w.intended_study.clone(),
        scientific_approach: w.scientific_approach.clone(),
        anticipated_findings: w.anticipated_findings.clone(),
        purposes: purposes_of(w),
        disease: w.disease.clone(),
        other_purpose: w.other_purpose_text.clone(),
        data_types: data_types_of(conn, w.id).await?,
        tags: tags_of(conn, w.id).await?,
    })
}

/// A published listing is read by every researcher of its tier, so its text
/// goes through the small-count guard (see `screening::disclosure`).
fn refuse_disclosures(ctx: &AppContext, s: &Snapshot) -> AppResult<()> {
    crate::screening::disclosure::refuse_disclosures_in(
        &ctx.rules,
        "listing",
        &[
            ("name", &s.name),
            ("intendedStudy", &s.intended_study),
            ("scientificApproach", &s.scientific_approach),
            ("anticipatedFindings", &s.anticipated_findings),
            ("disease", &s.disease),
            ("otherPurpose", &s.other_purpose),
        ],
    )
}

/// Edits a listing (owner and collaborators). The fields as they were before
/// the edit are kept as a revision, and the version moves on by one.
pub async fn update(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    change: ListingChange,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let (current, membership) = load_visible(&txn, viewer, id).await?;
    if !membership.is_member() {
        return Err(AppError::forbidden(
            "only the owner and collaborators can edit this listing",
        ));
    }
    if let Some(expected) = change.expected_version
        && expected != current.version
    {
        return Err(stale(current.version));
    }
    let before = snapshot(&txn, &current).await?;
    let mut after = before.clone();
    let mut active: workspace::ActiveModel = current.clone().into();
    if let Some(name) = &change.name {
        after.name = validate::single_line("name", name, 1, 200)?;
        active.name = Set(after.name.clone());
    }
    if let Some(v) = &change.cdr_version {
        after.cdr_version = validate_cdr_version(v)?;
        active.cdr_version = Set(after.cdr_version.clone());
    }
    for (field, value, source, html) in [
        (
            "intendedStudy",
            &change.intended_study,
            &mut after.intended_study,
            &mut active.intended_study_html,
        ),
        (
            "scientificApproach",
            &change.scientific_approach,
            &mut after.scientific_approach,
            &mut active.scientific_approach_html,
        ),
        (
            "anticipatedFindings",
            &change.anticipated_findings,
            &mut after.anticipated_findings,
            &mut active.anticipated_findings_html,
        ),
    ] {
        if let Some(value) = value {
            let (s, h) = markdown_field(field, value)?;
            *source = s;
            *html = Set(h);
        }
    }
    active.intended_study = Set(after.intended_study.clone());
    active.scientific_approach = Set(after.scientific_approach.clone());
    active.anticipated_findings = Set(after.anticipated_findings.clone());
    if let Some(flags) = &change.flags {
        let mut flags = flags.clone();
        flags.sort();
        flags.dedup();
        after.purposes = flags;
    }
    let (disease, other) = check_flag_texts(
        &after.purposes,
        change.disease.as_deref().unwrap_or(&after.disease),
        change
            .other_purpose
            .as_deref()
            .unwrap_or(&after.other_purpose),
    )?;
    after.disease = disease;
    after.other_purpose = other;
    set_flags(&mut active, &after.purposes);
    active.disease = Set(after.disease.clone());
    active.other_purpose_text = Set(after.other_purpose.clone());
    if let Some(types) = &change.data_types {
        after.data_types = check_data_types(tier_of(&current), types)?;
    }
    if let Some(tags) = &change.tags {
        after.tags = normalize_tags(tags)?;
    }
    if after == before {
        // Nothing changed: no revision, no new version.
        return Ok(current);
    }
    if current.published_at.is_some() {
        refuse_disclosures(ctx, &after)?;
    }
    active.version = Set(current.version + 1);
    active.updated_at = Set(now);
    // The version check in the WHERE clause makes a concurrent edit lose
    // cleanly instead of overwriting.
    let updated = workspace::Entity::update_many()
        .set(active)
        .filter(workspace::Column::Id.eq(id))
        .filter(workspace::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale(current.version));
    }
    if after.data_types != before.data_types {
        replace_data_types(&txn, id, &after.data_types).await?;
    }
    if after.tags != before.tags {
        replace_tags(&txn, id, &after.tags).await?;
    }
    workspace_revision::ActiveModel {
        workspace_id: Set(id),
        editor_id: Set(viewer.id),
        version: Set(current.version),
        snapshot: Set(serde_json::to_string(&before).map_err(AppError::internal)?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    enqueue_index(&txn, now, id).await?;
    let saved = find(&txn, id).await?;
    txn.commit().await?;
    Ok(saved)
}

fn stale(current: i32) -> AppError {
    AppError::conflict_on(
        "expectedVersion",
        format!("the listing changed meanwhile (now version {current}); reload and edit again"),
    )
}

async fn find(conn: &impl ConnectionTrait, id: i64) -> AppResult<workspace::Model> {
    workspace::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("workspace"))
}

/// Publishes a listing. Only the owner may, and only after confirming the
/// three points; the confirmation is recorded.
pub async fn publish(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    consent: Consent,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let (current, membership) = load_visible(&txn, viewer, id).await?;
    if membership != Membership::Owner {
        return Err(AppError::forbidden(
            "only the owner can publish this listing",
        ));
    }
    if current.published_at.is_some() {
        return Err(AppError::InvalidState {
            state: "published".into(),
            message: "this listing is already published".into(),
        });
    }
    for (given, field, message) in [
        (
            consent.no_harmful_language,
            "consent.noHarmfulLanguage",
            "confirm that the listing uses no harmful or stigmatizing language",
        ),
        (
            consent.contact_info_in_description,
            "consent.contactInfoInDescription",
            "confirm that the description tells people how to contact you",
        ),
        (
            consent.collaborators_agreed,
            "consent.collaboratorsAgreed",
            "confirm that your collaborators agreed to publishing",
        ),
    ] {
        if !given {
            return Err(AppError::validation(field, message));
        }
    }
    if current.intended_study.trim().is_empty() {
        return Err(AppError::validation(
            "intendedStudy",
            "describe the intended study before publishing",
        ));
    }
    if purposes_of(&current).is_empty() {
        return Err(AppError::validation(
            "purposes",
            "choose at least one research purpose before publishing",
        ));
    }
    refuse_disclosures(ctx, &snapshot(&txn, &current).await?)?;
    workspace_consent::ActiveModel {
        workspace_id: Set(id),
        user_id: Set(viewer.id),
        no_harmful_language: Set(true),
        contact_info_in_description: Set(true),
        collaborators_agreed: Set(true),
        workspace_version: Set(current.version),
        consented_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut active: workspace::ActiveModel = current.clone().into();
    active.published_at = Set(Some(now));
    active.consented_at = Set(Some(now));
    active.consented_by = Set(Some(viewer.id));
    let published = active.update(&txn).await?;
    for collaborator in collaborator_ids(&txn, id).await? {
        notify(
            &txn,
            ctx,
            NewNotification {
                user_id: collaborator,
                kind: "workspace_published",
                actor_id: Some(viewer.id),
                title: format!("{} published {}", viewer.display_name, published.name),
                excerpt: markdown::excerpt(&published.intended_study, 200),
                link: format!("/workspaces/{id}"),
                subject: Some(("workspace", id)),
                email: false,
            },
        )
        .await?;
    }
    enqueue_index(&txn, now, id).await?;
    txn.commit().await?;
    Ok(published)
}

/// Takes a listing back to draft: its owner, or an admin (who may give a
/// reason; the owner is told).
pub async fn unpublish(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    reason: Option<String>,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    let reason = match reason {
        Some(r) => validate::text("reason", &r, 0, 1000)?,
        None => String::new(),
    };
    let txn = ctx.write().await?;
    let (current, membership) = load_visible(&txn, viewer, id).await?;
    if membership != Membership::Owner && !viewer.is_admin() {
        return Err(AppError::forbidden(
            "only the owner or an admin can unpublish this listing",
        ));
    }
    if current.published_at.is_none() {
        return Err(AppError::InvalidState {
            state: "draft".into(),
            message: "this listing is not published".into(),
        });
    }
    let mut active: workspace::ActiveModel = current.clone().into();
    active.published_at = Set(None);
    // Featuring is a curation of the published listing; it does not survive.
    active.featured_category = Set(None);
    let draft = active.update(&txn).await?;
    if membership != Membership::Owner {
        notify(
            &txn,
            ctx,
            NewNotification {
                user_id: current.owner_id,
                kind: "workspace_unpublished",
                actor_id: Some(viewer.id),
                title: format!("Your workspace {} was unpublished", current.name),
                excerpt: reason,
                link: format!("/workspaces/{id}"),
                subject: Some(("workspace", id)),
                email: true,
            },
        )
        .await?;
    }
    enqueue_index(&txn, now, id).await?;
    txn.commit().await?;
    Ok(draft)
}

/// Admins: puts a published listing in a featured category, or takes it out.
pub async fn feature(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    category: Option<FeaturedCategory>,
) -> AppResult<workspace::Model> {
    viewer.require_admin()?;
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let (current, _) = load_visible(&txn, viewer, id).await?;
    if current.published_at.is_none() {
        return Err(AppError::InvalidState {
            state: "draft".into(),
            message: "only published listings can be featured".into(),
        });
    }
    let mut active: workspace::ActiveModel = current.into();
    active.featured_category = Set(category.map(|c| c.as_str().to_string()));
    let saved = active.update(&txn).await?;
    enqueue_index(&txn, now, id).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The owner reports how many times the workspace has been duplicated on
/// the Workbench.
pub async fn report_duplicates(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    count: i32,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    if !(0..=MAX_DUPLICATE_COUNT).contains(&count) {
        return Err(AppError::validation(
            "count",
            format!("must be between 0 and {MAX_DUPLICATE_COUNT}"),
        ));
    }
    let txn = ctx.write().await?;
    let (current, membership) = load_visible(&txn, viewer, id).await?;
    if membership != Membership::Owner {
        return Err(AppError::forbidden(
            "only the owner can report the duplicate count",
        ));
    }
    let mut active: workspace::ActiveModel = current.into();
    active.duplicate_count = Set(count);
    let saved = active.update(&txn).await?;
    enqueue_index(&txn, now, id).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn collaborator_ids(conn: &impl ConnectionTrait, id: i64) -> AppResult<Vec<i64>> {
    Ok(workspace_collaborator::Entity::find()
        .select_only()
        .column(workspace_collaborator::Column::UserId)
        .filter(workspace_collaborator::Column::WorkspaceId.eq(id))
        .order_by_asc(workspace_collaborator::Column::UserId)
        .into_tuple()
        .all(conn)
        .await?)
}

/// The owner adds a platform user as a collaborator. A controlled-tier
/// listing takes only collaborators with controlled-tier access.
pub async fn add_collaborator(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    user_id: i64,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    viewer.require_writer(now)?;
    let txn = ctx.write().await?;
    let (current, membership) = load_visible(&txn, viewer, id).await?;
    if membership != Membership::Owner {
        return Err(AppError::forbidden("only the owner can add collaborators"));
    }
    if user_id == current.owner_id {
        return Err(AppError::validation(
            "userId",
            "the owner is not listed as a collaborator",
        ));
    }
    let person = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .filter(|u| u.status == UserStatus::Active.as_str())
        .ok_or_else(|| AppError::validation("userId", "no such active user"))?;
    let person_tier = Tier::parse(&person.tier).unwrap_or(Tier::Registered);
    if !person_tier.covers(tier_of(&current)) {
        return Err(AppError::validation(
            "userId",
            format!(
                "{} does not have controlled-tier access, which this listing needs",
                person.display_name
            ),
        ));
    }
    if workspace_collaborator::Entity::find_by_id((id, user_id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict_on("userId", "already a collaborator"));
    }
    let count = workspace_collaborator::Entity::find()
        .filter(workspace_collaborator::Column::WorkspaceId.eq(id))
        .count(&txn)
        .await?;
    if count >= MAX_COLLABORATORS {
        return Err(AppError::validation(
            "userId",
            format!("a listing has at most {MAX_COLLABORATORS} collaborators"),
        ));
    }
    workspace_collaborator::ActiveModel {
        workspace_id: Set(id),
        user_id: Set(user_id),
        added_at: Set(now),
    }
    .insert(&txn)
    .await?;
    membership::joined(&txn, id, user_id, MembershipRole::Collaborator, now).await?;
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id,
            kind: "workspace_collaborator",
            actor_id: Some(viewer.id),
            title: format!(
                "{} added you as a collaborator on {}",
                viewer.display_name, current.name
            ),
            excerpt: String::new(),
            link: format!("/workspaces/{id}"),
            subject: Some(("workspace", id)),
            email: false,
        },
    )
    .await?;
    enqueue_index(&txn, now, id).await?;
    txn.commit().await?;
    Ok(current)
}

/// The owner removes a collaborator, or a collaborator leaves.
pub async fn remove_collaborator(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    user_id: i64,
) -> AppResult<workspace::Model> {
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let (current, membership) = load_visible(&txn, viewer, id).await?;
    let leaving = membership == Membership::Collaborator && user_id == viewer.id;
    if membership != Membership::Owner && !leaving {
        return Err(AppError::forbidden(
            "only the owner can remove collaborators",
        ));
    }
    let Some(row) = workspace_collaborator::Entity::find_by_id((id, user_id))
        .one(&txn)
        .await?
    else {
        return Err(AppError::validation("userId", "is not a collaborator"));
    };
    workspace_collaborator::Entity::delete_by_id((id, user_id))
        .exec(&txn)
        .await?;
    // The membership ends, its history stays: a conflict of interest it
    // caused is not shed by leaving.
    membership::ended(
        &txn,
        id,
        user_id,
        MembershipRole::Collaborator,
        row.added_at,
        now,
    )
    .await?;
    enqueue_index(&txn, now, id).await?;
    txn.commit().await?;
    Ok(current)
}

// ---------------------------------------------------------------- reads

pub async fn get(ctx: &AppContext, viewer: &CurrentUser, id: i64) -> AppResult<workspace::Model> {
    Ok(load_visible(&ctx.db, viewer, id).await?.0)
}

/// Where the next page of a browse starts; opaque to clients.
#[derive(Clone, Debug, PartialEq)]
pub enum BrowseCursor {
    Newest {
        published_at: DateTime<Utc>,
        id: i64,
    },
    MostDuplicated {
        count: i32,
        id: i64,
    },
    Featured {
        featured: bool,
        published_at: DateTime<Utc>,
        id: i64,
    },
}

impl BrowseCursor {
    pub fn after(sort: WorkspaceSort, w: &workspace::Model) -> Self {
        let published_at = w.published_at.unwrap_or(w.created_at);
        match sort {
            WorkspaceSort::Newest => Self::Newest {
                published_at,
                id: w.id,
            },
            WorkspaceSort::MostDuplicated => Self::MostDuplicated {
                count: w.duplicate_count,
                id: w.id,
            },
            WorkspaceSort::Featured => Self::Featured {
                featured: w.featured_category.is_some(),
                published_at,
                id: w.id,
            },
        }
    }

    pub fn encode(&self) -> String {
        let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Nanos, true);
        let raw = match self {
            Self::Newest { published_at, id } => format!("n|{}|{id}", ts(published_at)),
            Self::MostDuplicated { count, id } => format!("d|{count}|{id}"),
            Self::Featured {
                featured,
                published_at,
                id,
            } => format!("f|{}|{}|{id}", u8::from(*featured), ts(published_at)),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(sort: WorkspaceSort, cursor: &str) -> AppResult<Self> {
        let invalid = || AppError::validation("after", "is not a cursor of this list");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let parts: Vec<&str> = raw.split('|').collect();
        let ts = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid())
        };
        let id = |s: &str| s.parse::<i64>().map_err(|_| invalid());
        match (sort, parts.as_slice()) {
            (WorkspaceSort::Newest, ["n", t, i]) => Ok(Self::Newest {
                published_at: ts(t)?,
                id: id(i)?,
            }),
            (WorkspaceSort::MostDuplicated, ["d", c, i]) => Ok(Self::MostDuplicated {
                count: c.parse().map_err(|_| invalid())?,
                id: id(i)?,
            }),
            (WorkspaceSort::Featured, ["f", f, t, i]) => Ok(Self::Featured {
                featured: *f == "1",
                published_at: ts(t)?,
                id: id(i)?,
            }),
            _ => Err(invalid()),
        }
    }
}

/// "Strictly after (published_at, id)" in descending order.
fn newer_than(published_at: DateTime<Utc>, id: i64) -> Condition {
    Condition::any()
        .add(workspace::Column::PublishedAt.lt(published_at))
        .add(
            Condition::all()
                .add(workspace::Column::PublishedAt.eq(published_at))
                .add(workspace::Column::Id.lt(id)),
        )
}

/// A page of published listings the viewer may see, filtered and sorted.
/// Filters combine with AND; within a list filter, a listing must have every
/// value given.
pub async fn browse(
    ctx: &AppContext,
    viewer: &CurrentUser,
    filter: &BrowseFilter,
    sort: WorkspaceSort,
    after: Option<&BrowseCursor>,
    limit: u64,
) -> AppResult<Vec<workspace::Model>> {
    let mut tiers: Vec<&str> = viewer.tier.visible().iter().map(|t| t.as_str()).collect();
    if let Some(t) = filter.tier {
        tiers.retain(|v| *v == t.as_str());
    }
    if tiers.is_empty() {
        return Ok(vec![]);
    }
    let mut query = workspace::Entity::find()
        .filter(workspace::Column::PublishedAt.is_not_null())
        .filter(workspace::Column::Tier.is_in(tiers));
    for flag in &filter.purposes {
        query = query.filter(flag_column(*flag).eq(true));
    }
    for dt in &filter.data_types {
        query = query.filter(
            workspace::Column::Id.in_subquery(
                Query::select()
                    .column(workspace_data_type::Column::WorkspaceId)
                    .from(workspace_data_type::Entity)
                    .and_where(workspace_data_type::Column::DataType.eq(dt.as_str()))
                    .to_owned(),
            ),
        );
    }
    for tag in &filter.tags {
        let tag = normalize_tag(tag)?;
        query = query.filter(
            workspace::Column::Id.in_subquery(
                Query::select()
                    .column(workspace_tag::Column::WorkspaceId)
                    .from(workspace_tag::Entity)
                    .and_where(workspace_tag::Column::Tag.eq(tag))
                    .to_owned(),
            ),
        );
    }
    if let Some(v) = &filter.cdr_version {
        query = query.filter(workspace::Column::CdrVersion.eq(v.trim()));
    }
    if let Some(c) = filter.featured_category {
        query = query.filter(workspace::Column::FeaturedCategory.eq(c.as_str()));
    }
    query = match sort {
        WorkspaceSort::Newest => query
            .order_by_desc(workspace::Column::PublishedAt)
            .order_by_desc(workspace::Column::Id),
        WorkspaceSort::MostDuplicated => query
            .order_by_desc(workspace::Column::DuplicateCount)
            .order_by_desc(workspace::Column::Id),
        WorkspaceSort::Featured => query
            .order_by(
                Expr::col(workspace::Column::FeaturedCategory).is_null(),
                Order::Asc,
            )
            .order_by_desc(workspace::Column::PublishedAt)
            .order_by_desc(workspace::Column::Id),
    };
    match after {
        None => {}
        Some(BrowseCursor::Newest { published_at, id }) => {
            query = query.filter(newer_than(*published_at, *id));
        }
        Some(BrowseCursor::MostDuplicated { count, id }) => {
            query = query.filter(
                Condition::any()
                    .add(workspace::Column::DuplicateCount.lt(*count))
                    .add(
                        Condition::all()
                            .add(workspace::Column::DuplicateCount.eq(*count))
                            .add(workspace::Column::Id.lt(*id)),
                    ),
            );
        }
        Some(BrowseCursor::Featured {
            featured,
            published_at,
            id,
        }) => {
            let rest = newer_than(*published_at, *id);
            query = query.filter(if *featured {
                Condition::any()
                    .add(workspace::Column::FeaturedCategory.is_null())
                    .add(
                        Condition::all()
                            .add(workspace::Column::FeaturedCategory.is_not_null())
                            .add(rest),
                    )
            } else {
                Condition::all()
                    .add(workspace::Column::FeaturedCategory.is_null())
                    .add(rest)
            });
        }
    }
    Ok(query.limit(limit).all(&ctx.db).await?)
}

/// The viewer's own listings and those they collaborate on, drafts
/// included; most recently created first, before `before_id`.
pub async fn mine(
    ctx: &AppContext,
    viewer: &CurrentUser,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<workspace::Model>> {
    let mut query = workspace::Entity::find()
        .filter(
            Condition::any()
                .add(workspace::Column::OwnerId.eq(viewer.id))
                .add(
                    workspace::Column::Id.in_subquery(
                        Query::select()
                            .column(workspace_collaborator::Column::WorkspaceId)
                            .from(workspace_collaborator::Entity)
                            .and_where(workspace_collaborator::Column::UserId.eq(viewer.id))
                            .to_owned(),
                    ),
                ),
        )
        .filter(
            workspace::Column::Tier.is_in(
                viewer
                    .tier
                    .visible()
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>(),
            ),
        )
        .order_by_desc(workspace::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(workspace::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

/// Whether the viewer may read a listing's revision history and consent
/// record: its members and admins.
pub fn may_audit(viewer: &CurrentUser, membership: Membership) -> bool {
    membership.is_member() || viewer.is_admin()
}

/// The revisions of a listing, newest first, before `before_id`.
pub async fn revisions(
    ctx: &AppContext,
    viewer: &CurrentUser,
    id: i64,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<workspace_revision::Model>> {
    let (_, membership) = load_visible(&ctx.db, viewer, id).await?;
    if !may_audit(viewer, membership) {
        return Err(AppError::forbidden(
            "only the owner, collaborators and admins can read the revision history",
        ));
    }
    let mut query = workspace_revision::Entity::find()
        .filter(workspace_revision::Column::WorkspaceId.eq(id))
        .order_by_desc(workspace_revision::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(workspace_revision::Column::Id.lt(before));
    }
    Ok(query.all(&ctx.db).await?)
}

/// The published listings each user owns or collaborates on that `viewer`
/// may see, keyed by user id (for matching).
pub async fn published_for_users(
    conn: &impl ConnectionTrait,
    viewer_tier: Tier,
    user_ids: &[i64],
) -> AppResult<BTreeMap<i64, Vec<workspace::Model>>> {
    let tiers: Vec<&str> = viewer_tier.visible().iter().map(|t| t.as_str()).collect();
    let mut by_user: BTreeMap<i64, Vec<workspace::Model>> = BTreeMap::new();
    if user_ids.is_empty() {
        return Ok(by_user);
    }
    let collaborations: Vec<(i64, i64)> = workspace_collaborator::Entity::find()
        .select_only()
        .column(workspace_collaborator::Column::WorkspaceId)
        .column(workspace_collaborator::Column::UserId)
        .filter(workspace_collaborator::Column::UserId.is_in(user_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    let listings = workspace::Entity::find()
        .filter(workspace::Column::PublishedAt.is_not_null())
        .filter(workspace::Column::Tier.is_in(tiers))
        .filter(
            Condition::any()
                .add(workspace::Column::OwnerId.is_in(user_ids.iter().copied()))
                .add(workspace::Column::Id.is_in(collaborations.iter().map(|(w, _)| *w))),
        )
        .order_by_asc(workspace::Column::Id)
        .all(conn)
        .await?;
    for w in &listings {
        if user_ids.contains(&w.owner_id) {
            by_user.entry(w.owner_id).or_default().push(w.clone());
        }
        for (wid, uid) in &collaborations {
            if *wid == w.id {
                by_user.entry(*uid).or_default().push(w.clone());
            }
        }
    }
    Ok(by_user)
}

/// Ids of the people `user_id` shares a listing with (any state), with the
/// name of one shared listing.
pub async fn coworkers(
    conn: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<BTreeMap<i64, String>> {
    let own: Vec<(i64, String, i64)> = workspace::Entity::find()
        .select_only()
        .column(workspace::Column::Id)
        .column(workspace::Column::Name)
        .column(workspace::Column::OwnerId)
        .filter(
            Condition::any()
                .add(workspace::Column::OwnerId.eq(user_id))
                .add(
                    workspace::Column::Id.in_subquery(
                        Query::select()
                            .column(workspace_collaborator::Column::WorkspaceId)
                            .from(workspace_collaborator::Entity)
                            .and_where(workspace_collaborator::Column::UserId.eq(user_id))
                            .to_owned(),
                    ),
                ),
        )
        .order_by_asc(workspace::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let mut people: BTreeMap<i64, String> = BTreeMap::new();
    if own.is_empty() {
        return Ok(people);
    }
    let members: Vec<(i64, i64)> = workspace_collaborator::Entity::find()
        .select_only()
        .column(workspace_collaborator::Column::WorkspaceId)
        .column(workspace_collaborator::Column::UserId)
        .filter(workspace_collaborator::Column::WorkspaceId.is_in(own.iter().map(|w| w.0)))
        .order_by_asc(workspace_collaborator::Column::WorkspaceId)
        .into_tuple()
        .all(conn)
        .await?;
    for (wid, name, owner) in &own {
        let in_this = std::iter::once(*owner)
            .chain(members.iter().filter(|(w, _)| w == wid).map(|(_, u)| *u));
        for person in in_this {
            if person != user_id {
                people.entry(person).or_insert_with(|| name.clone());
            }
        }
    }
    Ok(people)
}
