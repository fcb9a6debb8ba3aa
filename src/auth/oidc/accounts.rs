//! Accounts from the provider, keyed by its `iss` + `sub`, never by email.
//!
//! - A known identity signs in to its account. When the provider changed
//!   the email, the account follows, unless another account holds the new
//!   address (refused; nothing merges).
//! - A new identity whose verified email belongs to a *verified* password
//!   account is linked to it, and that account's password stops working.
//!   An unverified password account is never linked.
//! - Otherwise the first sign-in creates a verified account.
//! - The tier and roles from the claims (when configured) are applied at
//!   every sign-in; a suspended account is refused whatever the provider
//!   says.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::{Provider, Refusal, claims, claims::Verified};
use crate::{
    auth::{
        password,
        service::{self, ProviderSession, SignedIn},
    },
    context::AppContext,
    db::{Reach, WriteTxn},
    entities::{oidc_identity, user},
    identity::{Role, Roles, Tier, UserStatus},
};

/// Signs the verified person in: finds, links or creates the account, and
/// opens a session that lasts at most `COMMONS_OIDC_SESSION_HOURS`.
pub async fn sign_in(
    ctx: &AppContext,
    provider: &Provider,
    verified: Verified,
    user_agent: &str,
) -> Result<SignedIn, Refusal> {
    let oidc = &provider.config;
    let email = claims::checked_email(&ctx.config, oidc, &verified)?;
    let tier = claims::tier(oidc, &verified);
    let roles = claims::roles(oidc, &verified);
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let identity = oidc_identity::Entity::find()
        .filter(oidc_identity::Column::Issuer.eq(&verified.issuer))
        .filter(oidc_identity::Column::Subject.eq(&verified.subject))
        .one(&txn)
        .await?;
    let user = match identity {
        Some(identity) => {
            let user = service::find_user(&txn, identity.user_id).await?;
            refuse_suspended(&user)?;
            let user = follow_email(&txn, user, &email).await?;
            oidc_identity::Entity::update_many()
                .col_expr(
                    oidc_identity::Column::LastSignInAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(oidc_identity::Column::Id.eq(identity.id))
                .exec(&txn)
                .await?;
            user
        }
        None => {
            let user = match service::find_by_email(&txn, &email).await? {
                Some(existing) => link(&txn, existing, &verified, now).await?,
                None => create(&txn, &verified, &email, now).await?,
            };
            oidc_identity::ActiveModel {
                user_id: Set(user.id),
                issuer: Set(verified.issuer.clone()),
                subject: Set(verified.subject.clone()),
                created_at: Set(now),
                last_sign_in_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            user
        }
    };
    let user = apply_claims(&txn, user, tier, roles, now).await?;
    let ttl = ctx.config.session_ttl.min(oidc.session_ttl);
    let expires_at = now + Duration::from_std(ttl).unwrap_or(Duration::hours(12));
    let token = service::open_session(
        &txn,
        user.id,
        user_agent,
        now,
        expires_at,
        Some(ProviderSession {
            id_token: verified.id_token,
            sid: verified.sid,
        }),
    )
    .await?;
    // The member's tier or roles may have changed: their cached reads go.
    txn.reaches(Reach::Member(user.id));
    txn.commit().await?;
    Ok(SignedIn {
        token,
        expires_at,
        user,
    })
}

fn refuse_suspended(user: &user::Model) -> Result<(), Refusal> {
    if user.status == UserStatus::Suspended.as_str() {
        return Err(Refusal::Suspended);
    }
    Ok(())
}

/// The account takes the provider's new email, unless another holds it.
async fn follow_email(
    txn: &impl ConnectionTrait,
    user: user::Model,
    email: &str,
) -> Result<user::Model, Refusal> {
    if user.email == email {
        return Ok(user);
    }
    if let Some(other) = service::find_by_email(txn, email).await?
        && other.id != user.id
    {
        tracing::warn!(
            user_id = user.id,
            other_user_id = other.id,
            "the provider's new email for this account belongs to another account"
        );
        return Err(Refusal::EmailTaken);
    }
    tracing::info!(
        user_id = user.id,
        "the account follows its new email at the provider"
    );
    let mut active: user::ActiveModel = user.into();
    active.email = Set(email.to_string());
    Ok(active.update(txn).await?)
}

/// Links a password account with the same email: only a verified one, and
/// only one that has no identity at this provider yet.
async fn link(
    txn: &impl ConnectionTrait,
    existing: user::Model,
    verified: &Verified,
    now: DateTime<Utc>,
) -> Result<user::Model, Refusal> {
    refuse_suspended(&existing)?;
    if existing.email_verified_at.is_none() {
        return Err(Refusal::UnverifiedPasswordAccount);
    }
    let held = oidc_identity::Entity::find()
        .filter(oidc_identity::Column::UserId.eq(existing.id))
        .filter(oidc_identity::Column::Issuer.eq(&verified.issuer))
        .one(txn)
        .await?;
    if held.is_some() {
        // Another identity at this provider already signs in to it.
        return Err(Refusal::EmailTaken);
    }
    tracing::info!(
        user_id = existing.id,
        "linked a password account to its identity at the provider; its password is turned off"
    );
    let mut active: user::ActiveModel = existing.into();
    active.password_hash = Set(password::DISABLED.into());
    active.email_verified_at = Set(Some(now));
    let user = active.update(txn).await?;
    // Other sessions opened with the password end with it.
    service::revoke_all_sessions(txn, user.id, now).await?;
    Ok(user)
}

/// The first sign-in of a new person: a verified account.
async fn create(
    txn: &impl ConnectionTrait,
    verified: &Verified,
    email: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, Refusal> {
    let handle = service::derive_handle(txn, email).await?;
    let user = user::ActiveModel {
        email: Set(email.to_string()),
        handle: Set(handle),
        display_name: Set(claims::display_name(verified, email)),
        institution: Set(String::new()),
        password_hash: Set(password::DISABLED.into()),
        roles: Set(Roles::new([Role::Researcher]).to_string()),
        tier: Set(Tier::Registered.as_str().into()),
        status: Set(UserStatus::Active.as_str().into()),
        email_verified_at: Set(Some(now)),
        silenced_until: Set(None),
        created_at: Set(now),
        last_seen_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    tracing::info!(
        user_id = user.id,
        "created an account at its first sign-in through the provider"
    );
    Ok(user)
}

/// Applies the tier and roles the claims give (when configured).
async fn apply_claims(
    txn: &WriteTxn,
    user: user::Model,
    tier: Option<Tier>,
    roles: Option<Roles>,
    now: DateTime<Utc>,
) -> Result<user::Model, Refusal> {
    let tier = tier.map(|t| t.as_str().to_string());
    let roles = roles.map(|r| r.to_string());
    let tier_changed = tier.as_ref().is_some_and(|t| *t != user.tier);
    let roles_changed = roles.as_ref().is_some_and(|r| *r != user.roles);
    if !tier_changed && !roles_changed {
        return Ok(user);
    }
    let user_id = user.id;
    let mut active: user::ActiveModel = user.into();
    if let Some(tier) = tier.filter(|_| tier_changed) {
        active.tier = Set(tier);
    }
    if let Some(roles) = roles.filter(|_| roles_changed) {
        active.roles = Set(roles);
    }
    let user = active.update(txn).await?;
    tracing::info!(user_id, tier = %user.tier, roles = %user.roles, "applied the provider's tier and roles");
    // The profile's tier is searchable.
    crate::indexer::enqueue(txn, now, crate::indexer::Doc::Profile(user_id)).await?;
    Ok(user)
}
