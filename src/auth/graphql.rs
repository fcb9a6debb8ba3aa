//! GraphQL for accounts: `me`, `viewer`, sign-up/in/out, verification,
//! password reset, and admin changes to accounts.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::service::{self, AccountChange, SignUp};
use crate::{
    entities::user,
    error::AppError,
    identity::{CurrentUser, Role, Roles, Tier, UserStatus},
    request::{GqlResult, account, app, request_auth, require_account, require_user, viewer},
    validate,
};

pub const SESSION_COOKIE: &str = "commons_session";

/// A member of the community. Private fields (email, status, last seen)
/// resolve only for the user themself and for admins.
pub struct User(pub user::Model);

impl User {
    fn is_self_or_admin(&self, ctx: &Context<'_>) -> bool {
        self.is_self(ctx) || viewer(ctx).is_some_and(|v| v.is_admin())
    }

    /// The account itself, verified or not: it sees its own private fields.
    fn is_self(&self, ctx: &Context<'_>) -> bool {
        account(ctx).is_some_and(|a| a.id == self.0.id)
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The @handle used for mentions.
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn institution(&self) -> &str {
        &self.0.institution
    }
    async fn roles(&self) -> Vec<Role> {
        Roles::parse_column(&self.0.roles).list().to_vec()
    }
    async fn tier(&self) -> Tier {
        Tier::parse(&self.0.tier).unwrap_or(Tier::Registered)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Only for the user themself and admins.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.is_self_or_admin(ctx).then_some(self.0.email.as_str())
    }
    /// Only for the user themself, moderators and admins.
    async fn status(&self, ctx: &Context<'_>) -> Option<UserStatus> {
        let allowed = self.is_self(ctx) || viewer(ctx).is_some_and(|v| v.is_moderator());
        allowed.then(|| UserStatus::parse(&self.0.status)).flatten()
    }
    /// Only for the user themself and admins.
    async fn email_verified(&self, ctx: &Context<'_>) -> Option<bool> {
        self.is_self_or_admin(ctx)
            .then_some(self.0.email_verified_at.is_some())
    }
    /// Whether the account signs in with a password: false for an account
    /// of the identity provider. Only for the user themself and admins.
    async fn has_password(&self, ctx: &Context<'_>) -> Option<bool> {
        self.is_self_or_admin(ctx)
            .then(|| !super::password::is_disabled(&self.0.password_hash))
    }
    /// Only for the user themself, moderators and admins.
    async fn silenced_until(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        let allowed = self.is_self(ctx) || viewer(ctx).is_some_and(|v| v.is_moderator());
        if allowed { self.0.silenced_until } else { None }
    }
    /// Only for the user themself and admins.
    async fn last_seen_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        if self.is_self_or_admin(ctx) {
            self.0.last_seen_at
        } else {
            None
        }
    }
}

/// What the current caller may do; safe to ask anonymously.
#[derive(SimpleObject)]
pub struct Viewer {
    pub signed_in: bool,
    pub user: Option<User>,
    pub verified: bool,
    pub is_moderator: bool,
    pub is_reviewer: bool,
    pub is_admin: bool,
    /// The domains sign-up accepts.
    pub allowed_email_domains: Vec<String>,
}

/// The ways to sign in here, for the sign-in page.
#[derive(SimpleObject)]
pub struct SignInOptions {
    /// Whether email and password sign-in, sign-up and reset are open.
    pub password: bool,
    /// The program's identity provider, when sign-in through it is set up.
    pub provider: Option<IdentityProvider>,
}

#[derive(SimpleObject)]
pub struct IdentityProvider {
    /// The name on the button: "Sign in with …".
    pub display_name: String,
    /// Where the button goes; add `?next=/path` to come back to a page.
    pub start_path: String,
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    /// The session token, for clients that send `Authorization: Bearer`.
    /// Browsers can ignore it: the same session is set as an HttpOnly cookie.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// What sign-up answers. It is the same whether or not the address already
/// had an account (its owner is mailed a note instead), so it names only the
/// address the confirmation link was sent to.
#[derive(SimpleObject)]
pub struct SignUpPayload {
    /// The address, normalized, that the confirmation link goes to.
    pub email: String,
}

#[derive(InputObject)]
pub struct SignUpInput {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub institution: Option<String>,
    /// Optional @handle; derived from the email when omitted.
    pub handle: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub user_id: ID,
    pub roles: Option<Vec<Role>>,
    pub tier: Option<Tier>,
    pub status: Option<UserStatus>,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user, or null. Answers for accounts that have not yet
    /// confirmed their address too.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        let Some(v) = account(ctx) else {
            return Ok(None);
        };
        Ok(Some(User(service::find_user(&app(ctx).db, v.id).await?)))
    }

    async fn viewer(&self, ctx: &Context<'_>) -> GqlResult<Viewer> {
        let app = app(ctx);
        let domains = app.config.allowed_email_domains.iter().cloned().collect();
        let Some(v) = account(ctx) else {
            return Ok(Viewer {
                signed_in: false,
                user: None,
                verified: false,
                is_moderator: false,
                is_reviewer: false,
                is_admin: false,
                allowed_email_domains: domains,
            });
        };
        Ok(Viewer {
            signed_in: true,
            user: Some(User(service::find_user(&app.db, v.id).await?)),
            verified: v.verified,
            is_moderator: v.is_moderator(),
            is_reviewer: v.is_reviewer(),
            is_admin: v.is_admin(),
            allowed_email_domains: domains,
        })
    }

    /// How people sign in here. Safe to ask anonymously.
    async fn sign_in_options(&self, ctx: &Context<'_>) -> SignInOptions {
        let config = &app(ctx).config;
        SignInOptions {
            password: config.password_sign_in,
            provider: config.oidc.as_ref().map(|oidc| IdentityProvider {
                display_name: oidc.display_name.clone(),
                start_path: super::oidc::START_PATH.into(),
            }),
        }
    }

    /// A user by id or handle. Visible to signed-in users.
    async fn user(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        handle: Option<String>,
    ) -> GqlResult<Option<User>> {
        require_user(ctx)?;
        let mut query = user::Entity::find();
        match (id, handle) {
            (Some(id), _) => query = query.filter(user::Column::Id.eq(validate::id("id", &id)?)),
            (None, Some(handle)) => {
                query = query.filter(user::Column::Handle.eq(handle.trim().to_ascii_lowercase()))
            }
            (None, None) => return Err(AppError::validation("id", "give an id or a handle").into()),
        }
        Ok(query.one(&app(ctx).db).await?.map(User))
    }

    /// Admins: accounts matching a name, handle or email fragment.
    #[graphql(complexity = "crate::request::cost::paged(Some(first), 50, 200, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(default = 50)] first: u64,
    ) -> GqlResult<Vec<User>> {
        require_user(ctx)?.require_admin()?;
        let mut query = user::Entity::find().order_by_asc(user::Column::Id);
        if let Some(term) = search
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
        {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(user::Column::Email.contains(&term))
                    .add(user::Column::Handle.contains(&term))
                    .add(user::Column::DisplayName.contains(&term)),
            );
        }
        let rows = query.limit(first.min(200)).all(&app(ctx).db).await?;
        Ok(rows.into_iter().map(User).collect())
    }
}

#[derive(Default)]
pub struct AuthMutation;

fn session_cookie(ctx: &Context<'_>, token: &str, max_age_secs: i64) -> String {
    session_cookie_header(app(ctx).config.cookie_secure, token, max_age_secs)
}

/// The `Set-Cookie` value of a session (an empty token and 0 clear it).
pub fn session_cookie_header(secure: bool, token: &str, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

/// The caller's address, for the per-client limits.
fn client_ip<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    request_auth(ctx).and_then(|a| a.client_ip.as_deref())
}

#[Object]
impl AuthMutation {
    /// Creates an account on an allowed domain and emails a confirmation
    /// link. For an address that already has an account the answer is the
    /// same, and the owner is mailed a note instead.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> GqlResult<SignUpPayload> {
        let email = service::sign_up(
            app(ctx),
            SignUp {
                email: input.email,
                password: input.password,
                display_name: input.display_name,
                institution: input.institution,
                handle: input.handle.map(|h| h.trim().to_ascii_lowercase()),
            },
            client_ip(ctx),
        )
        .await?;
        Ok(SignUpPayload { email })
    }

    /// Confirms the email address with the token from the emailed link.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> GqlResult<User> {
        Ok(User(service::verify_email(app(ctx), &token).await?))
    }

    /// Sends a new confirmation link. Always answers true.
    async fn resend_verification(&self, ctx: &Context<'_>, email: String) -> GqlResult<bool> {
        service::resend_verification(app(ctx), &email).await?;
        Ok(true)
    }

    /// Signs in, setting an HttpOnly session cookie and returning the token.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> GqlResult<SignInPayload> {
        let agent = request_auth(ctx)
            .map(|a| a.user_agent.clone())
            .unwrap_or_default();
        let signed = service::sign_in(app(ctx), &email, &password, &agent, client_ip(ctx)).await?;
        let max_age = (signed.expires_at - app(ctx).clock.now())
            .num_seconds()
            .max(0);
        ctx.append_http_header("set-cookie", session_cookie(ctx, &signed.token, max_age));
        Ok(SignInPayload {
            token: signed.token,
            expires_at: signed.expires_at,
            user: User(signed.user),
        })
    }

    /// Ends this session.
    async fn sign_out(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let v = require_account(ctx)?;
        service::sign_out(app(ctx), v).await?;
        ctx.append_http_header("set-cookie", session_cookie(ctx, "", 0));
        Ok(true)
    }

    /// Ends every session of this account, on every device. Returns how many.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> GqlResult<i32> {
        let v = require_account(ctx)?;
        let n = service::sign_out_everywhere(app(ctx), v).await?;
        ctx.append_http_header("set-cookie", session_cookie(ctx, "", 0));
        Ok(n as i32)
    }

    /// Emails a reset link if the account exists. Always answers true.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> GqlResult<bool> {
        service::request_password_reset(app(ctx), &email, client_ip(ctx)).await?;
        Ok(true)
    }

    /// Sets a new password with the token from the emailed link; every
    /// session of the account is signed out.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> GqlResult<bool> {
        service::reset_password(app(ctx), &token, &new_password).await?;
        Ok(true)
    }

    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> GqlResult<bool> {
        let v = require_account(ctx)?;
        service::change_password(app(ctx), v, &current_password, &new_password).await?;
        Ok(true)
    }

    /// Changes the caller's own display name or institution.
    async fn update_account(
        &self,
        ctx: &Context<'_>,
        display_name: Option<String>,
        institution: Option<String>,
    ) -> GqlResult<User> {
        let v = require_account(ctx)?;
        let user =
            service::update_account(app(ctx), v, display_name.as_deref(), institution.as_deref())
                .await?;
        Ok(User(user))
    }

    /// Admins: change another account's roles, data tier or status.
    /// Suspending signs the user out everywhere at once.
    async fn update_user(&self, ctx: &Context<'_>, input: UpdateUserInput) -> GqlResult<User> {
        let actor: &CurrentUser = require_user(ctx)?;
        let user_id = validate::id("userId", &input.user_id)?;
        let user = service::admin_update_user(
            app(ctx),
            actor,
            user_id,
            AccountChange {
                roles: input.roles.map(Roles::new),
                tier: input.tier,
                status: input.status,
            },
        )
        .await?;
        Ok(User(user))
    }
}
