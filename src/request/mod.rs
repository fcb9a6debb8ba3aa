//! What every resolver uses: the caller the HTTP layer established, the
//! application handle, the result type, what a field may cost and the
//! throttles on expensive reads. It sits below the domains and imports
//! none of them, so a domain never reaches up into the schema.

pub mod cost;
pub mod page;
pub mod throttle;

use async_graphql::Context;

use crate::{
    context::AppContext,
    error::{AppError, AppResult},
    identity::CurrentUser,
};

/// What resolvers return: `?` on an `AppError` keeps it as the error's
/// source, and `graphql::policy::execute` turns it into a coded error.
pub type GqlResult<T> = async_graphql::Result<T>;

/// Who is calling, as established by the HTTP layer.
#[derive(Clone, Debug, Default)]
pub struct RequestAuth {
    pub user: Option<CurrentUser>,
    /// The session came from the cookie (not a bearer token).
    pub via_cookie: bool,
    pub user_agent: String,
    pub client_ip: Option<String>,
}

pub fn app<'a>(ctx: &Context<'a>) -> &'a AppContext {
    ctx.data_unchecked::<AppContext>()
}

/// The signed-in account, verified or not. Only the few operations an
/// account may use before proving its address read this; everything else
/// goes through [`viewer`] or [`require_user`].
pub fn account<'a>(ctx: &Context<'a>) -> Option<&'a CurrentUser> {
    ctx.data_opt::<RequestAuth>().and_then(|a| a.user.as_ref())
}

/// The caller as a reader: a signed-in account whose address is verified.
/// An unverified account reads as nobody, so a field that forgets to ask
/// [`require_user`] still shows it nothing.
pub fn viewer<'a>(ctx: &Context<'a>) -> Option<&'a CurrentUser> {
    account(ctx).filter(|u| u.verified)
}

/// A verified account, or `UNAUTHENTICATED` / `EMAIL_NOT_VERIFIED`.
pub fn require_user<'a>(ctx: &Context<'a>) -> AppResult<&'a CurrentUser> {
    let user = require_account(ctx)?;
    if user.verified {
        Ok(user)
    } else {
        Err(AppError::EmailNotVerified)
    }
}

/// Any signed-in account, verified or not: for verifying, resending,
/// editing one's own account and signing out.
pub fn require_account<'a>(ctx: &Context<'a>) -> AppResult<&'a CurrentUser> {
    account(ctx).ok_or(AppError::Unauthenticated)
}

pub fn request_auth<'a>(ctx: &Context<'a>) -> Option<&'a RequestAuth> {
    ctx.data_opt::<RequestAuth>()
}

/// Stored markdown HTML as readers receive it: images from hosts off the
/// allow-list become links (`images`).
pub fn html_for_readers(ctx: &Context<'_>, html: &str) -> String {
    crate::images::for_readers(html, &app(ctx).config).into_owned()
}
