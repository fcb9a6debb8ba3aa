//! Per-request data the HTTP layer attaches, and accessors for resolvers.

use async_graphql::Context;

use crate::{
    auth::CurrentUser,
    context::AppContext,
    error::{AppError, AppResult},
};

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

pub fn viewer<'a>(ctx: &Context<'a>) -> Option<&'a CurrentUser> {
    ctx.data_opt::<RequestAuth>().and_then(|a| a.user.as_ref())
}

pub fn require_user<'a>(ctx: &Context<'a>) -> AppResult<&'a CurrentUser> {
    viewer(ctx).ok_or(AppError::Unauthenticated)
}

pub fn request_auth<'a>(ctx: &Context<'a>) -> Option<&'a RequestAuth> {
    ctx.data_opt::<RequestAuth>()
}

/// Stored markdown HTML as readers receive it: images from hosts off the
/// allow-list become links (`images`).
pub fn html_for_readers(ctx: &Context<'_>, html: &str) -> String {
    crate::images::for_readers(html, &app(ctx).config).into_owned()
}
