//! GraphQL for researcher profiles, collaborator suggestions, collaboration
//! requests and their message threads.

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};

use super::{
    loaders::{MatchingLoader, TermsOf},
    profiles::{self, KIND_EXPERTISE, KIND_METHOD, KIND_SEEKING, ProfileChange},
    requests::{self, Direction},
    suggest,
    vocabulary::{self, CareerStage, VocabularyTerm},
};
use crate::{
    auth::{graphql::User, loaders::UserLoader},
    entities::{collaboration_message, collaboration_request, researcher_profile, user},
    error::AppError,
    request::{GqlResult, app, page, require_user},
    validate,
};

pub const MAX_PAGE: usize = 50;

fn loader_err(e: std::sync::Arc<AppError>) -> AppError {
    AppError::internal(anyhow::anyhow!("{e:?}"))
}

async fn load_user(ctx: &Context<'_>, id: i64) -> GqlResult<Option<user::Model>> {
    let loader = ctx.data_unchecked::<DataLoader<UserLoader>>();
    Ok(loader.load_one(id).await.map_err(loader_err)?)
}

/// A term of a profile: curated terms carry their vocabulary key.
#[derive(SimpleObject, Clone)]
pub struct ProfileTerm {
    pub key: String,
    pub label: String,
    /// From the curated vocabulary (not a free tag).
    pub curated: bool,
}

/// A researcher's collaboration profile. Email addresses are never part of
/// it.
pub struct ResearcherProfile(pub researcher_profile::Model);

impl ResearcherProfile {
    async fn terms(&self, ctx: &Context<'_>, kind: &str) -> GqlResult<Vec<ProfileTerm>> {
        let loader = ctx.data_unchecked::<DataLoader<MatchingLoader>>();
        let terms = loader
            .load_one(TermsOf(self.0.user_id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default();
        Ok(terms
            .get(kind)
            .map(|list| {
                list.iter()
                    .map(|(key, label)| ProfileTerm {
                        curated: vocabulary::curated(key).is_some_and(|t| t.key == key),
                        key: key.clone(),
                        label: label.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[Object]
impl ResearcherProfile {
    async fn user(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.user_id).await?.map(User))
    }
    /// Research areas: curated areas and free tags.
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn expertise(&self, ctx: &Context<'_>) -> GqlResult<Vec<ProfileTerm>> {
        self.terms(ctx, KIND_EXPERTISE).await
    }
    /// Methods and tools, such as R, Hail, survival analysis.
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn methods(&self, ctx: &Context<'_>) -> GqlResult<Vec<ProfileTerm>> {
        self.terms(ctx, KIND_METHOD).await
    }
    /// Skills and expertise the researcher is looking for in a collaborator.
    #[graphql(complexity = "crate::request::cost::listed(20, child_complexity)")]
    async fn seeking(&self, ctx: &Context<'_>) -> GqlResult<Vec<ProfileTerm>> {
        self.terms(ctx, KIND_SEEKING).await
    }
    /// Plain text; clients escape it.
    async fn research_interests(&self) -> &str {
        &self.0.research_interests
    }
    /// What they are looking for, in their words (plain text).
    async fn looking_for(&self) -> &str {
        &self.0.looking_for
    }
    async fn open_to_collaborate(&self) -> bool {
        self.0.open_to_collaborate
    }
    async fn orcid(&self) -> Option<&str> {
        self.0.orcid.as_deref()
    }
    async fn career_stage(&self) -> Option<CareerStage> {
        self.0.career_stage.as_deref().and_then(CareerStage::parse)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct ProfileVocabulary {
    #[graphql(complexity = "crate::request::cost::listed(100, child_complexity)")]
    pub areas: Vec<VocabularyTerm>,
    #[graphql(complexity = "crate::request::cost::listed(100, child_complexity)")]
    pub methods: Vec<VocabularyTerm>,
    pub career_stages: Vec<CareerStage>,
}

/// One suggested collaborator and why.
pub struct CollaboratorSuggestion(suggest::Suggestion);

#[Object]
impl CollaboratorSuggestion {
    async fn profile(&self) -> ResearcherProfile {
        ResearcherProfile(self.0.profile.clone())
    }
    async fn user(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.profile.user_id).await?.map(User))
    }
    /// The combined score in [0, 1]; higher is a better match.
    async fn score(&self) -> f64 {
        self.0.score
    }
    /// How well they offer what the viewer is looking for, in [0, 1].
    async fn complementarity(&self) -> f64 {
        self.0.complementarity
    }
    /// TF-IDF cosine of interests, workspace purposes and forum posts.
    async fn shared_interests(&self) -> f64 {
        self.0.shared_interests
    }
    /// Overlap of research areas, in [0, 1].
    async fn shared_areas(&self) -> f64 {
        self.0.shared_areas
    }
    /// The viewer already works with them; their score is halved.
    async fn already_working_together(&self) -> bool {
        self.0.already_working_together
    }
    /// Human-readable reasons, such as "looking for: GWAS — has GWAS, PLINK".
    async fn reasons(&self) -> &[String] {
        &self.0.reasons
    }
}

pub struct CollaboratorSuggestions(suggest::Suggestions);

#[Object]
impl CollaboratorSuggestions {
    async fn suggestions(&self) -> Vec<CollaboratorSuggestion> {
        self.0
            .items
            .iter()
            .cloned()
            .map(CollaboratorSuggestion)
            .collect()
    }
    /// How many researchers open to collaboration were weighed.
    async fn considered(&self) -> i32 {
        self.0.considered as i32
    }
    /// Why no one matched, when no one did.
    async fn explanation(&self) -> Option<&str> {
        self.0.explanation.as_deref()
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CollaborationRequestStatus {
    Pending,
    Accepted,
    Declined,
    Withdrawn,
}

impl CollaborationRequestStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => requests::PENDING,
            Self::Accepted => requests::ACCEPTED,
            Self::Declined => requests::DECLINED,
            Self::Withdrawn => requests::WITHDRAWN,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            requests::ACCEPTED => Self::Accepted,
            requests::DECLINED => Self::Declined,
            requests::WITHDRAWN => Self::Withdrawn,
            _ => Self::Pending,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RequestDirection {
    /// Requests others sent to the viewer.
    Incoming,
    /// Requests the viewer sent.
    Outgoing,
}

/// How the two sides of an accepted request reach each other.
#[derive(SimpleObject)]
pub struct CollaborationContact {
    /// The in-app thread: `collaborationMessages(requestId)`.
    pub request_id: ID,
    /// The other side's email address, only if they chose to share it.
    pub email: Option<String>,
}

pub struct CollaborationRequest(pub collaboration_request::Model);

#[Object]
impl CollaborationRequest {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn sender(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.sender_id).await?.map(User))
    }
    async fn recipient(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.recipient_id).await?.map(User))
    }
    /// Plain text; clients escape it.
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn status(&self) -> CollaborationRequestStatus {
        CollaborationRequestStatus::parse(&self.0.status)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }
    /// Once accepted: the message thread, and the other side's email if they
    /// chose to share it. Null before.
    async fn contact(&self, ctx: &Context<'_>) -> GqlResult<Option<CollaborationContact>> {
        let viewer = require_user(ctx)?;
        if self.0.status != requests::ACCEPTED {
            return Ok(None);
        }
        let (other, shares) = if viewer.id == self.0.sender_id {
            (self.0.recipient_id, self.0.recipient_shares_email)
        } else if viewer.id == self.0.recipient_id {
            (self.0.sender_id, self.0.sender_shares_email)
        } else {
            return Ok(None);
        };
        let email = if shares {
            load_user(ctx, other).await?.map(|u| u.email)
        } else {
            None
        };
        Ok(Some(CollaborationContact {
            request_id: ID(self.0.id.to_string()),
            email,
        }))
    }
}

pub struct CollaborationMessage(pub collaboration_message::Model);

#[Object]
impl CollaborationMessage {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn sender(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        Ok(load_user(ctx, self.0.sender_id).await?.map(User))
    }
    /// Plain text; clients escape it.
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Fields left out stay as they are; null clears `orcid` and `careerStage`.
#[derive(InputObject, Default)]
pub struct ProfileInput {
    /// Research areas: curated keys or labels, or free tags.
    pub expertise: Option<Vec<String>>,
    pub methods: Option<Vec<String>>,
    /// What you are looking for in a collaborator (skills, methods, areas).
    pub seeking: Option<Vec<String>>,
    pub research_interests: Option<String>,
    pub looking_for: Option<String>,
    pub open_to_collaborate: Option<bool>,
    pub orcid: MaybeUndefined<String>,
    pub career_stage: MaybeUndefined<CareerStage>,
}

fn maybe<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(InputObject)]
pub struct CollaborationRequestInput {
    pub recipient_id: ID,
    /// Plain text: who you are and what you have in mind.
    pub message: String,
    /// Share your email address with the recipient if they accept.
    #[graphql(default)]
    pub share_email: bool,
}

#[derive(Default)]
pub struct MatchingQuery;

#[Object]
impl MatchingQuery {
    /// A researcher's profile by user id or handle; null when there is none.
    async fn researcher_profile(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
        handle: Option<String>,
    ) -> GqlResult<Option<ResearcherProfile>> {
        let viewer = require_user(ctx)?;
        let db = &app(ctx).db;
        let id = match (user_id, handle) {
            (Some(id), _) => validate::id("userId", &id)?,
            (None, Some(handle)) => {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                match user::Entity::find()
                    .filter(user::Column::Handle.eq(handle.trim().to_ascii_lowercase()))
                    .one(db)
                    .await?
                {
                    Some(u) => u.id,
                    None => return Ok(None),
                }
            }
            (None, None) => {
                return Err(AppError::validation("userId", "give a user id or a handle").into());
            }
        };
        Ok(profiles::find(db, viewer, id).await?.map(ResearcherProfile))
    }

    /// The viewer's own profile, or null before they create one.
    async fn my_profile(&self, ctx: &Context<'_>) -> GqlResult<Option<ResearcherProfile>> {
        let viewer = require_user(ctx)?;
        Ok(profiles::find(&app(ctx).db, viewer, viewer.id)
            .await?
            .map(ResearcherProfile))
    }

    /// The curated terms for profile pickers.
    async fn profile_vocabulary(&self) -> ProfileVocabulary {
        ProfileVocabulary {
            areas: vocabulary::area_terms(),
            methods: vocabulary::method_terms(),
            career_stages: CareerStage::ALL.to_vec(),
        }
    }

    /// Researchers open to collaborate, ranked for the viewer, with reasons;
    /// `explanation` says why the list is empty when it is.
    #[graphql(complexity = "crate::request::cost::paged(first, 10, MAX_PAGE, child_complexity)")]
    async fn suggested_collaborators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 50; 10 when left out")] first: Option<i32>,
    ) -> GqlResult<CollaboratorSuggestions> {
        let viewer = require_user(ctx)?;
        crate::request::throttle::count(
            ctx,
            crate::request::throttle::ExpensiveRead::SuggestedCollaborators,
        )
        .await?;
        let first = usize::try_from(first.unwrap_or(10)).unwrap_or(1);
        Ok(CollaboratorSuggestions(
            suggest::suggest(app(ctx), viewer, first).await?,
        ))
    }

    /// The viewer's collaboration requests, newest first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn collaboration_requests(
        &self,
        ctx: &Context<'_>,
        direction: RequestDirection,
        status: Option<CollaborationRequestStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, CollaborationRequest, EmptyFields, EmptyFields>> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        let direction = match direction {
            RequestDirection::Incoming => Direction::Incoming,
            RequestDirection::Outgoing => Direction::Outgoing,
        };
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows = requests::list(
                    app,
                    viewer,
                    direction,
                    status.map(|s| s.as_str()),
                    before_id,
                    page::fetch(limit),
                )
                .await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|r| Edge::new(r.id.to_string(), CollaborationRequest(r))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// A request the viewer sent or received; null otherwise.
    async fn collaboration_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<Option<CollaborationRequest>> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        match requests::find_for_party(&app(ctx).db, viewer, id).await {
            Ok(r) => Ok(Some(CollaborationRequest(r))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The message thread of an accepted request, newest first.
    #[graphql(complexity = "crate::request::cost::paged(first, 20, MAX_PAGE, child_complexity)")]
    async fn collaboration_messages(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, CollaborationMessage, EmptyFields, EmptyFields>> {
        let viewer = require_user(ctx)?;
        let app = app(ctx);
        let request_id = validate::id("requestId", &request_id)?;
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _before: Option<String>, first, _last| async move {
                let limit = page::limit(first, 20, MAX_PAGE);
                let before_id = page::after_id(after)?;
                let rows =
                    requests::messages(app, viewer, request_id, before_id, page::fetch(limit))
                        .await?;
                let (rows, has_next) = page::cut(rows, limit);
                let mut connection = Connection::new(before_id.is_some(), has_next);
                connection.edges.extend(
                    rows.into_iter()
                        .map(|m| Edge::new(m.id.to_string(), CollaborationMessage(m))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct MatchingMutation;

#[Object]
impl MatchingMutation {
    /// Creates or changes the viewer's researcher profile.
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        input: ProfileInput,
    ) -> GqlResult<ResearcherProfile> {
        let viewer = require_user(ctx)?;
        let saved = profiles::update_mine(
            app(ctx),
            viewer,
            ProfileChange {
                expertise: input.expertise,
                methods: input.methods,
                seeking: input.seeking,
                research_interests: input.research_interests,
                looking_for: input.looking_for,
                open_to_collaborate: input.open_to_collaborate,
                orcid: maybe(input.orcid),
                career_stage: maybe(input.career_stage),
            },
        )
        .await?;
        Ok(ResearcherProfile(saved))
    }

    /// Asks a researcher who is open to collaboration to work together.
    async fn send_collaboration_request(
        &self,
        ctx: &Context<'_>,
        input: CollaborationRequestInput,
    ) -> GqlResult<CollaborationRequest> {
        let viewer = require_user(ctx)?;
        let recipient = validate::id("recipientId", &input.recipient_id)?;
        Ok(CollaborationRequest(
            requests::send(
                app(ctx),
                viewer,
                recipient,
                &input.message,
                input.share_email,
            )
            .await?,
        ))
    }

    /// The recipient accepts; `shareEmail` shows the sender their address.
    async fn accept_collaboration_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] share_email: bool,
    ) -> GqlResult<CollaborationRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(CollaborationRequest(
            requests::respond(app(ctx), viewer, id, true, share_email).await?,
        ))
    }

    async fn decline_collaboration_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<CollaborationRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(CollaborationRequest(
            requests::respond(app(ctx), viewer, id, false, false).await?,
        ))
    }

    /// The sender takes back a pending request.
    async fn withdraw_collaboration_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> GqlResult<CollaborationRequest> {
        let viewer = require_user(ctx)?;
        let id = validate::id("id", &id)?;
        Ok(CollaborationRequest(
            requests::withdraw(app(ctx), viewer, id).await?,
        ))
    }

    /// Sends a message in an accepted request's thread.
    async fn send_collaboration_message(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        body: String,
    ) -> GqlResult<CollaborationMessage> {
        let viewer = require_user(ctx)?;
        let request_id = validate::id("requestId", &request_id)?;
        Ok(CollaborationMessage(
            requests::send_message(app(ctx), viewer, request_id, &body).await?,
        ))
    }
}
