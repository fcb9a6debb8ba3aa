//! The account rules. Every path (GraphQL, CLI, jobs) goes through here, so
//! authorization lives here too.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, sea_query::Expr,
};
use serde_json::json;

use super::{password, tokens};
use crate::identity::{CurrentUser, Role, Roles, Tier, UserStatus};
use crate::{
    context::AppContext,
    db::{Reach, WriteTxn},
    entities::{session, user, user_token},
    error::{AppError, AppResult},
    jobs::{self, NewJob},
    mail::{OutgoingMail, templates},
    validate,
};

pub const VERIFY_TTL_HOURS: i64 = 48;
pub const RESET_TTL_HOURS: i64 = 1;
const PURPOSE_VERIFY: &str = "verify_email";
const PURPOSE_RESET: &str = "reset_password";
/// `last_seen_at` is refreshed at most this often, so reads stay reads.
const SEEN_RESOLUTION_MINUTES: i64 = 5;

#[derive(Debug, Clone)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub institution: Option<String>,
    pub handle: Option<String>,
}

/// Options the CLI and seeding use to create accounts directly.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub sign_up: SignUp,
    pub roles: Roles,
    pub tier: Tier,
    pub verified: bool,
}

pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

fn validate_email(ctx: &AppContext, email: &str) -> AppResult<()> {
    let invalid = || AppError::validation("email", "is not a valid email address");
    if email.len() > 254 {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    if !ctx.config.allowed_email_domains.contains(domain) {
        let allowed: Vec<&str> = ctx
            .config
            .allowed_email_domains
            .iter()
            .map(String::as_str)
            .collect();
        return Err(AppError::Validation {
            field: "email".into(),
            message: format!(
                "sign-up is open to program accounts only ({})",
                allowed.join(", ")
            ),
        });
    }
    Ok(())
}

/// Handles that would pass their holder off as the service or its staff.
/// A handle derived from an address (`admin@…`) that is reserved becomes
/// `member`, `member2`, ….
/// A handle is reserved when one of its `-`/`_`-separated parts, less
/// trailing digits, is one of these (`admin`, `admin2`, `staff-alice`).
const RESERVED_HANDLE_PARTS: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "admins",
    "allofus",
    "aou",
    "commons",
    "drc",
    "help",
    "helpdesk",
    "mod",
    "moderator",
    "moderators",
    "mods",
    "noreply",
    "nih",
    "official",
    "postmaster",
    "researchcommons",
    "root",
    "security",
    "staff",
    "support",
    "sysadmin",
    "system",
    "team",
    "webmaster",
];

pub fn is_reserved_handle(handle: &str) -> bool {
    let whole = handle.replace(['-', '_'], "");
    std::iter::once(whole.as_str())
        .chain(handle.split(['-', '_']))
        .map(|part| part.trim_end_matches(|c: char| c.is_ascii_digit()))
        .any(|part| RESERVED_HANDLE_PARTS.contains(&part))
}

/// Members choosing their own handle cannot take a reserved one; accounts
/// an operator creates (the command line) may.
pub fn refuse_reserved_handle(handle: &str) -> AppResult<()> {
    if is_reserved_handle(handle) {
        return Err(AppError::validation(
            "handle",
            "this handle is reserved; choose another",
        ));
    }
    Ok(())
}

pub fn validate_handle(handle: &str) -> AppResult<()> {
    let ok = (2..=30).contains(&handle.len())
        && handle
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && handle
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(AppError::validation(
            "handle",
            "use 2 to 30 lower-case letters, digits, '-' or '_', starting with a letter or digit",
        ))
    }
}

/// A free handle derived from the email's local part: `jane.doe` → `jane-doe`, `jane-doe2`, …
pub(crate) async fn derive_handle(conn: &impl ConnectionTrait, email: &str) -> AppResult<String> {
    let local = email.split('@').next().unwrap_or("user");
    let mut base: String = local
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '-',
        })
        .collect();
    base = base.trim_matches('-').chars().take(24).collect();
    if base.len() < 2 {
        base = format!("user{base}");
    }
    if is_reserved_handle(&base) {
        base = "member".into();
    }
    let taken: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Handle)
        .filter(user::Column::Handle.starts_with(&base))
        .into_tuple()
        .all(conn)
        .await?;
    if !taken.contains(&base) {
        return Ok(base);
    }
    (2..10_000)
        .map(|n| format!("{base}{n}"))
        .find(|candidate| !taken.contains(candidate))
        .ok_or_else(|| AppError::conflict_on("handle", "no free handle; choose one"))
}

/// Open sign-up: allowed domains only; the address must then be verified.
/// `client` is the caller's address: sign-ups per client are limited too,
/// so one client cannot mint accounts across many addresses.
///
/// The answer does not say whether the address already has an account: for
/// a taken address nothing is created and its owner is mailed a note
/// instead, after the same checks and the same password hash. Returns the
/// normalized address.
pub async fn sign_up(ctx: &AppContext, input: SignUp, client: Option<&str>) -> AppResult<String> {
    require_password_sign_in(ctx)?;
    let email = normalize_email(&input.email);
    if let Some(handle) = &input.handle {
        refuse_reserved_handle(handle)?;
    }
    ctx.limits.check("sign_up", &email).await?;
    if let Some(client) = client {
        ctx.limits.check("sign_up_client", client).await?;
    }
    let prepared = prepare(
        ctx,
        SignUp {
            email: email.clone(),
            ..input
        },
    )
    .await?;
    let txn = ctx.write().await?;
    // A chosen handle that is taken is refused alike whoever holds the
    // address: handles are public, addresses are not.
    if let Some(handle) = &prepared.handle
        && handle_taken(&txn, handle).await?
    {
        return Err(AppError::conflict_on(
            "handle",
            "this handle is taken; choose another",
        ));
    }
    match find_by_email(&txn, &email).await? {
        Some(owner) => mail_account_exists(ctx, &txn, &owner).await?,
        None => {
            match insert_account(
                ctx,
                &txn,
                prepared,
                Roles::new([Role::Researcher]),
                Tier::Registered,
                false,
            )
            .await
            {
                Ok(_) => {}
                // Another sign-up for the address won the race: its owner
                // gets the note, as if this one had come second.
                Err(AppError::Conflict {
                    field: Some(field), ..
                }) if field == "email" => {
                    drop(txn);
                    let txn = ctx.write().await?;
                    if let Some(owner) = find_by_email(&txn, &email).await? {
                        mail_account_exists(ctx, &txn, &owner).await?;
                    }
                    txn.commit().await?;
                    return Ok(email);
                }
                Err(e) => return Err(e),
            }
        }
    }
    txn.commit().await?;
    Ok(email)
}

pub(crate) async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?)
}

async fn handle_taken(conn: &impl ConnectionTrait, handle: &str) -> AppResult<bool> {
    Ok(user::Entity::find()
        .filter(user::Column::Handle.eq(handle))
        .count(conn)
        .await?
        > 0)
}

/// Tells the owner of an address that someone tried to sign up with it.
/// Suspended accounts are not mailed.
async fn mail_account_exists(
    ctx: &AppContext,
    txn: &WriteTxn,
    owner: &user::Model,
) -> AppResult<()> {
    if owner.status != UserStatus::Active.as_str() {
        return Ok(());
    }
    let (text, html) = templates::render(
        "account_exists",
        json!({
            "name": owner.display_name,
            "sign_in_link": format!("{}/sign-in", ctx.config.public_url),
            "reset_link": format!("{}/forgot-password", ctx.config.public_url),
        }),
    )
    .map_err(AppError::internal)?;
    let mail = OutgoingMail {
        to: owner.email.clone(),
        to_name: owner.display_name.clone(),
        subject: "Someone tried to sign up with your address".into(),
        text,
        html: Some(html),
        headers: vec![],
    };
    jobs::enqueue(txn, ctx.clock.now(), NewJob::new(jobs::mail::KIND, mail)?).await?;
    Ok(())
}

/// A new account's fields, checked, with the password hashed.
struct Prepared {
    email: String,
    display_name: String,
    institution: String,
    handle: Option<String>,
    password_hash: String,
}

async fn prepare(ctx: &AppContext, input: SignUp) -> AppResult<Prepared> {
    let email = normalize_email(&input.email);
    validate_email(ctx, &email)?;
    password::validate(&input.password)?;
    let display_name = validate::name("displayName", &input.display_name, 1, 80)?;
    let institution = validate::name(
        "institution",
        input.institution.as_deref().unwrap_or(""),
        0,
        160,
    )?;
    if let Some(handle) = &input.handle {
        validate_handle(handle)?;
    }
    let password_hash = password::hash(input.password).await?;
    Ok(Prepared {
        email,
        display_name,
        institution,
        handle: input.handle,
        password_hash,
    })
}

/// Creates an account; unverified accounts get a verification mail in the
/// same transaction. An address that has an account is a `CONFLICT`: this
/// is for operators (the command line, seeding), not for sign-up.
pub async fn create_account(ctx: &AppContext, account: NewAccount) -> AppResult<user::Model> {
    let prepared = prepare(ctx, account.sign_up).await?;
    let txn = ctx.write().await?;
    if find_by_email(&txn, &prepared.email).await?.is_some() {
        return Err(AppError::conflict_on(
            "email",
            "an account with this email already exists; sign in or reset your password",
        ));
    }
    let user = insert_account(
        ctx,
        &txn,
        prepared,
        account.roles,
        account.tier,
        account.verified,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

async fn insert_account(
    ctx: &AppContext,
    txn: &WriteTxn,
    prepared: Prepared,
    roles: Roles,
    tier: Tier,
    verified: bool,
) -> AppResult<user::Model> {
    let now = ctx.clock.now();
    let handle = match prepared.handle {
        Some(h) => h,
        None => derive_handle(txn, &prepared.email).await?,
    };
    let user = user::ActiveModel {
        email: Set(prepared.email),
        handle: Set(handle),
        display_name: Set(prepared.display_name),
        institution: Set(prepared.institution),
        password_hash: Set(prepared.password_hash),
        roles: Set(roles.to_string()),
        tier: Set(tier.as_str().into()),
        status: Set(UserStatus::Active.as_str().into()),
        email_verified_at: Set(verified.then_some(now)),
        silenced_until: Set(None),
        created_at: Set(now),
        last_seen_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if !verified {
        send_token_mail(ctx, txn, &user, PURPOSE_VERIFY).await?;
    }
    Ok(user)
}

/// Issues a single-use token and enqueues its mail in `txn`.
async fn send_token_mail(
    ctx: &AppContext,
    txn: &WriteTxn,
    user: &user::Model,
    purpose: &str,
) -> AppResult<()> {
    let now = ctx.clock.now();
    let (ttl, template, subject, path) = if purpose == PURPOSE_VERIFY {
        (
            VERIFY_TTL_HOURS,
            "verify_email",
            "Confirm your email for Research Commons",
            "verify",
        )
    } else {
        (
            RESET_TTL_HOURS,
            "reset_password",
            "Reset your Research Commons password",
            "reset-password",
        )
    };
    // An older unused token of the same purpose stops working.
    user_token::Entity::update_many()
        .col_expr(user_token::Column::UsedAt, Expr::value(now))
        .filter(user_token::Column::UserId.eq(user.id))
        .filter(user_token::Column::Purpose.eq(purpose))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    let token = tokens::generate();
    user_token::ActiveModel {
        user_id: Set(user.id),
        purpose: Set(purpose.into()),
        token_hash: Set(tokens::hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(ttl)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let link = format!("{}/{path}?token={token}", ctx.config.public_url);
    let (text, html) = templates::render(
        template,
        json!({ "name": user.display_name, "link": link, "hours": ttl }),
    )
    .map_err(AppError::internal)?;
    let mail = OutgoingMail {
        to: user.email.clone(),
        to_name: user.display_name.clone(),
        subject: subject.into(),
        text,
        html: Some(html),
        headers: vec![],
    };
    jobs::enqueue(txn, now, NewJob::new(jobs::mail::KIND, mail)?).await?;
    Ok(())
}

/// Consumes a single-use token: valid, unexpired and unused, exactly once
/// even under concurrent use.
async fn consume_token(
    ctx: &AppContext,
    txn: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> AppResult<user_token::Model> {
    let now = ctx.clock.now();
    let invalid = |msg: &str| AppError::validation("token", msg);
    let found = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(tokens::hash(token.trim())))
        .filter(user_token::Column::Purpose.eq(purpose))
        .one(txn)
        .await?
        .ok_or_else(|| invalid("this link is not valid"))?;
    if found.used_at.is_some() {
        return Err(invalid("this link has already been used"));
    }
    if found.expires_at <= now {
        return Err(invalid("this link has expired; ask for a new one"));
    }
    let claimed = user_token::Entity::update_many()
        .col_expr(user_token::Column::UsedAt, Expr::value(now))
        .filter(user_token::Column::Id.eq(found.id))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid("this link has already been used"));
    }
    Ok(found)
}

pub async fn verify_email(ctx: &AppContext, token: &str) -> AppResult<user::Model> {
    let txn = ctx.write().await?;
    let used = consume_token(ctx, &txn, token, PURPOSE_VERIFY).await?;
    let user = find_user(&txn, used.user_id).await?;
    let mut active: user::ActiveModel = user.into();
    active.email_verified_at = Set(Some(ctx.clock.now()));
    let user = active.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

/// Sends a fresh verification link. Answers the same whether or not the
/// address has an account, so it cannot be used to probe for accounts.
pub async fn resend_verification(ctx: &AppContext, email: &str) -> AppResult<()> {
    let email = normalize_email(email);
    ctx.limits.check("resend_verification", &email).await?;
    let txn = ctx.write().await?;
    if let Some(user) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        && user.email_verified_at.is_none()
        && user.status == UserStatus::Active.as_str()
    {
        send_token_mail(ctx, &txn, &user, PURPOSE_VERIFY).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Signs in with a password. Attempts are limited, and failures back off,
/// per address *and client* (`client`, the caller's IP address): wrong
/// passwords sent from one client slow that client down without locking
/// the owner out from anywhere else. A client is also limited across
/// addresses, against password spraying.
pub async fn sign_in(
    ctx: &AppContext,
    email: &str,
    password_attempt: &str,
    user_agent: &str,
    client: Option<&str>,
) -> AppResult<SignedIn> {
    use crate::ratelimit::{SIGN_IN_FAILURES, pair_key};
    require_password_sign_in(ctx)?;
    let email = normalize_email(email);
    let pair = pair_key(&email, client);
    ctx.limits.check_backoff(SIGN_IN_FAILURES, &pair).await?;
    ctx.limits.check("sign_in", &pair).await?;
    if let Some(client) = client {
        ctx.limits.check("sign_in_client", client).await?;
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&ctx.db)
        .await?;
    let stored = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::DUMMY_HASH.clone());
    let matches = password::verify(password_attempt.to_string(), stored).await?;
    let user = match found {
        Some(user) if matches => user,
        _ => {
            ctx.limits.failed(SIGN_IN_FAILURES, &pair).await?;
            return Err(AppError::InvalidCredentials);
        }
    };
    ctx.limits.forgive_key(SIGN_IN_FAILURES, &pair).await?;
    if user.status == UserStatus::Suspended.as_str() {
        return Err(AppError::forbidden("this account is suspended"));
    }
    let now = ctx.clock.now();
    let expires_at = now + Duration::from_std(ctx.config.session_ttl).unwrap_or(Duration::days(30));
    let txn = ctx.write().await?;
    let token = open_session(&txn, user.id, user_agent, now, expires_at, None).await?;
    txn.commit().await?;
    Ok(SignedIn {
        token,
        expires_at,
        user,
    })
}

/// What a session from the identity provider keeps: its ID token (for
/// ending the provider's session) and the provider's `sid`.
pub struct ProviderSession {
    pub id_token: String,
    pub sid: Option<String>,
}

/// Opens a session for `user_id` in `txn`; returns its token.
pub(crate) async fn open_session(
    txn: &impl ConnectionTrait,
    user_id: i64,
    user_agent: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    provider: Option<ProviderSession>,
) -> AppResult<String> {
    let token = tokens::generate();
    let (id_token, sid) = match provider {
        Some(p) => (Some(p.id_token), p.sid),
        None => (None, None),
    };
    session::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(tokens::hash(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_seen_at: Set(now),
        revoked_at: Set(None),
        user_agent: Set(user_agent.chars().take(255).collect()),
        oidc_id_token: Set(id_token),
        oidc_sid: Set(sid),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastSeenAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(txn)
        .await?;
    Ok(token)
}

/// Refuses password sign-in, sign-up and reset when they are turned off.
fn require_password_sign_in(ctx: &AppContext) -> AppResult<()> {
    if ctx.config.password_sign_in {
        Ok(())
    } else {
        Err(AppError::PasswordSignInDisabled)
    }
}

/// Resolves a session token to its user. Revoked, expired and suspended
/// sessions resolve to nobody, so suspension cuts a user off at once.
pub async fn authenticate(ctx: &AppContext, token: &str) -> AppResult<Option<CurrentUser>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let now = ctx.clock.now();
    let Some((session, Some(user))) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(tokens::hash(token)))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .find_also_related(user::Entity)
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    if user.status != UserStatus::Active.as_str() {
        return Ok(None);
    }
    if now - session.last_seen_at > Duration::minutes(SEEN_RESOLUTION_MINUTES) {
        touch(ctx, session.id, user.id, now).await;
    }
    Ok(Some(CurrentUser::from_model(&user, Some(session.id))))
}

/// Best effort: a failed touch must not fail the request.
async fn touch(ctx: &AppContext, session_id: i64, user_id: i64, now: DateTime<Utc>) {
    let result = async {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(session_id))
            .exec(&ctx.db)
            .await?;
        user::Entity::update_many()
            .col_expr(user::Column::LastSeenAt, Expr::value(now))
            .filter(user::Column::Id.eq(user_id))
            .exec(&ctx.db)
            .await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record last-seen time");
    }
}

pub async fn sign_out(ctx: &AppContext, viewer: &CurrentUser) -> AppResult<()> {
    if let Some(session_id) = viewer.session_id {
        let txn = ctx.write().await?;
        // The member's cached responses must not outlive the session.
        txn.reaches(Reach::Member(viewer.id));
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(ctx.clock.now()))
            .filter(session::Column::Id.eq(session_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Revokes every session of `user_id`; returns how many were live.
pub async fn revoke_all_sessions(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

pub async fn sign_out_everywhere(ctx: &AppContext, viewer: &CurrentUser) -> AppResult<u64> {
    revoke_all_sessions(&ctx.db, viewer.id, ctx.clock.now()).await
}

/// Always succeeds from the caller's point of view (no account probing).
/// Requests are limited per address and client, so nobody can use up the
/// owner's requests from elsewhere.
pub async fn request_password_reset(
    ctx: &AppContext,
    email: &str,
    client: Option<&str>,
) -> AppResult<()> {
    require_password_sign_in(ctx)?;
    let email = normalize_email(email);
    ctx.limits
        .check(
            "password_reset",
            &crate::ratelimit::pair_key(&email, client),
        )
        .await?;
    let txn = ctx.write().await?;
    if let Some(user) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        && user.status == UserStatus::Active.as_str()
        // An account that signs in through the provider has no password to
        // reset: a reset must not open a way around the provider.
        && !password::is_disabled(&user.password_hash)
    {
        send_token_mail(ctx, &txn, &user, PURPOSE_RESET).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sets a new password from a reset link and signs the account out
/// everywhere. Following the link also proves the address.
pub async fn reset_password(ctx: &AppContext, token: &str, new_password: &str) -> AppResult<()> {
    require_password_sign_in(ctx)?;
    password::validate(new_password)?;
    let hash = password::hash(new_password.to_string()).await?;
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let used = consume_token(ctx, &txn, token, PURPOSE_RESET).await?;
    let user = find_user(&txn, used.user_id).await?;
    // A link mailed before the account was joined to the identity provider
    // must not bring its password back.
    if password::is_disabled(&user.password_hash) {
        return Err(AppError::forbidden(
            "this account signs in through the program's identity provider and has no password here",
        ));
    }
    let email = user.email.clone();
    let verified = user.email_verified_at.or(Some(now));
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(hash);
    active.email_verified_at = Set(verified);
    active.update(&txn).await?;
    revoke_all_sessions(&txn, used.user_id, now).await?;
    txn.commit().await?;
    // The owner proved the address: failed sign-ins no longer slow it
    // down from any client.
    ctx.limits
        .forgive(crate::ratelimit::SIGN_IN_FAILURES, &email)
        .await?;
    Ok(())
}

pub async fn change_password(
    ctx: &AppContext,
    viewer: &CurrentUser,
    current: &str,
    new_password: &str,
) -> AppResult<()> {
    password::validate(new_password)?;
    let user = find_user(&ctx.db, viewer.id).await?;
    if password::is_disabled(&user.password_hash) {
        return Err(AppError::forbidden(
            "this account signs in through the program's identity provider and has no password here",
        ));
    }
    if !password::verify(current.to_string(), user.password_hash.clone()).await? {
        return Err(AppError::validation(
            "currentPassword",
            "is not your current password",
        ));
    }
    let hash = password::hash(new_password.to_string()).await?;
    let txn = ctx.write().await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(viewer.id))
        .exec(&txn)
        .await?;
    // Other devices must sign in again; this session stays.
    let mut others = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(ctx.clock.now()))
        .filter(session::Column::UserId.eq(viewer.id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(current_session) = viewer.session_id {
        others = others.filter(session::Column::Id.ne(current_session));
    }
    others.exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn update_account(
    ctx: &AppContext,
    viewer: &CurrentUser,
    display_name: Option<&str>,
    institution: Option<&str>,
) -> AppResult<user::Model> {
    let user = find_user(&ctx.db, viewer.id).await?;
    // A silenced member keeps the name they were silenced under: a new one
    // would let them slip past readers who know to ignore them.
    if let Some(until) = user.silenced_until
        && until > ctx.clock.now()
        && (display_name.is_some() || institution.is_some())
    {
        return Err(AppError::forbidden(format!(
            "you cannot change your name while silenced (until {})",
            until.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    let mut active: user::ActiveModel = user.into();
    if let Some(name) = display_name {
        active.display_name = Set(validate::name("displayName", name, 1, 80)?);
    }
    if let Some(inst) = institution {
        active.institution = Set(validate::name("institution", inst, 0, 160)?);
    }
    // Names appear beside everything the member wrote.
    let txn = ctx.write().await?;
    let user = active.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

/// Admin changes to another account. Suspension revokes every session in
/// the same transaction.
pub struct AccountChange {
    pub roles: Option<Roles>,
    pub tier: Option<Tier>,
    pub status: Option<UserStatus>,
}

pub async fn admin_update_user(
    ctx: &AppContext,
    actor: &CurrentUser,
    user_id: i64,
    change: AccountChange,
) -> AppResult<user::Model> {
    actor.require_admin()?;
    if user_id == actor.id {
        if let Some(roles) = &change.roles
            && !roles.has(Role::Admin)
        {
            return Err(AppError::forbidden("you cannot remove your own admin role"));
        }
        if change.status == Some(UserStatus::Suspended) {
            return Err(AppError::forbidden("you cannot suspend yourself"));
        }
    }
    let now = ctx.clock.now();
    let txn = ctx.write().await?;
    let user = find_user(&txn, user_id).await?;
    let mut active: user::ActiveModel = user.into();
    if let Some(roles) = change.roles {
        if roles.is_empty() {
            return Err(AppError::validation(
                "roles",
                "a user needs at least one role",
            ));
        }
        active.roles = Set(roles.to_string());
    }
    if let Some(tier) = change.tier {
        active.tier = Set(tier.as_str().into());
    }
    if let Some(status) = change.status {
        active.status = Set(status.as_str().into());
        if status == UserStatus::Suspended {
            revoke_all_sessions(&txn, user_id, now).await?;
        }
        // The profile leaves search while suspended, and comes back after.
        crate::indexer::enqueue(&txn, now, crate::indexer::Doc::Profile(user_id)).await?;
    }
    let user = active.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

pub async fn find_user(conn: &impl ConnectionTrait, id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("user"))
}
