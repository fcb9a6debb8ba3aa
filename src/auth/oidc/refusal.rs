//! Why a sign-in through the provider (or a logout from it) was refused:
//! one message for the person, and the details for the operator's log.

use poem::http::StatusCode;

#[derive(Debug)]
pub enum Refusal {
    /// `COMMONS_OIDC_ISSUER` is not set.
    NotConfigured,
    /// Discovery, the keys or the token endpoint could not be reached.
    ProviderUnavailable(String),
    /// The `state` is missing, unknown, already used or expired.
    UnknownFlow(&'static str),
    /// The provider answered with an error (`access_denied`, …).
    ProviderError(String),
    /// The token endpoint refused the code: replayed, expired or stolen.
    CodeRejected(String),
    /// The ID token failed a check: signature, issuer, audience, expiry,
    /// nonce, the access token hash.
    InvalidIdToken(String),
    /// No email in the ID token nor in UserInfo.
    NoEmail,
    /// The provider says the email is not verified, or says nothing and is
    /// not trusted to.
    EmailUnverified,
    /// The email's domain is not one of `COMMONS_ALLOWED_EMAIL_DOMAINS`.
    ForeignDomain(String),
    /// The `hd` (hosted domain) claim names a domain that is not allowed.
    ForeignHostedDomain(String),
    /// A password account with this email was never confirmed: its holder
    /// may not own the address, so it is not linked.
    UnverifiedPasswordAccount,
    /// The provider's new email for this person belongs to another account.
    EmailTaken,
    /// The account is suspended here.
    Suspended,
    /// Too many sign-ins begun from this client.
    RateLimited,
    /// A back-channel logout token failed a check.
    InvalidLogoutToken(String),
    /// A back-channel logout token was already honoured.
    ReplayedLogoutToken,
    Internal(String),
}

impl Refusal {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    /// A stable name for the log and for tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::ProviderUnavailable(_) => "provider_unavailable",
            Self::UnknownFlow(_) => "unknown_flow",
            Self::ProviderError(_) => "provider_error",
            Self::CodeRejected(_) => "code_rejected",
            Self::InvalidIdToken(_) => "invalid_id_token",
            Self::NoEmail => "no_email",
            Self::EmailUnverified => "email_unverified",
            Self::ForeignDomain(_) => "foreign_domain",
            Self::ForeignHostedDomain(_) => "foreign_hosted_domain",
            Self::UnverifiedPasswordAccount => "unverified_password_account",
            Self::EmailTaken => "email_taken",
            Self::Suspended => "suspended",
            Self::RateLimited => "rate_limited",
            Self::InvalidLogoutToken(_) => "invalid_logout_token",
            Self::ReplayedLogoutToken => "replayed_logout_token",
            Self::Internal(_) => "internal",
        }
    }

    /// What the operator reads; never shown to the person.
    pub fn detail(&self) -> &str {
        match self {
            Self::ProviderUnavailable(d)
            | Self::ProviderError(d)
            | Self::CodeRejected(d)
            | Self::InvalidIdToken(d)
            | Self::ForeignDomain(d)
            | Self::ForeignHostedDomain(d)
            | Self::InvalidLogoutToken(d)
            | Self::Internal(d) => d,
            Self::UnknownFlow(d) => d,
            _ => "",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotConfigured => StatusCode::NOT_FOUND,
            Self::ProviderUnavailable(_) => StatusCode::BAD_GATEWAY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Suspended
            | Self::EmailUnverified
            | Self::ForeignDomain(_)
            | Self::ForeignHostedDomain(_)
            | Self::UnverifiedPasswordAccount
            | Self::EmailTaken => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The page's title and its explanation, in plain words.
    pub fn explain(&self) -> (&'static str, String) {
        match self {
            Self::NotConfigured => (
                "Sign-in with a program account is not set up",
                "This site does not sign in through an identity provider.".into(),
            ),
            Self::ProviderUnavailable(_) => (
                "The sign-in service did not answer",
                "We could not reach the program's sign-in service. Please try again in a few minutes.".into(),
            ),
            Self::UnknownFlow(_) => (
                "This sign-in has expired",
                "The sign-in took too long, was already finished, or did not start here. Please start again.".into(),
            ),
            Self::ProviderError(_) => (
                "Sign-in was not completed",
                "The program's sign-in service did not sign you in. Please start again.".into(),
            ),
            Self::CodeRejected(_) | Self::InvalidIdToken(_) => (
                "We could not confirm who you are",
                "The answer from the program's sign-in service did not pass our checks, so you are not signed in. Please start again; if it keeps happening, contact the help desk.".into(),
            ),
            Self::NoEmail => (
                "Your account has no email address",
                "The program's sign-in service did not tell us your email address, which this site needs. Contact the help desk.".into(),
            ),
            Self::EmailUnverified => (
                "Your email address is not verified",
                "The program's sign-in service has not verified your email address. Verify it there, then sign in again.".into(),
            ),
            Self::ForeignDomain(_) | Self::ForeignHostedDomain(_) => (
                "This account cannot sign in here",
                "Research Commons is open to program accounts only. Sign in with your program account.".into(),
            ),
            Self::UnverifiedPasswordAccount => (
                "An unconfirmed account uses this address",
                "An account here was created with your email address but never confirmed, so we cannot tell it is yours and will not join it to your program account. Contact the help desk to have it removed, then sign in again.".into(),
            ),
            Self::EmailTaken => (
                "Your new email address belongs to another account",
                "The program's sign-in service gave your account an email address that another account here already uses. Nothing was changed. Contact the help desk to sort out the two accounts.".into(),
            ),
            Self::Suspended => (
                "This account is suspended",
                "Your Research Commons account is suspended, so you cannot sign in. Contact the help desk if you think this is a mistake.".into(),
            ),
            Self::RateLimited => (
                "Too many sign-in attempts",
                "Too many sign-ins were started from your network. Please wait a few minutes and try again.".into(),
            ),
            Self::InvalidLogoutToken(_) | Self::ReplayedLogoutToken => (
                "Logout refused",
                "The logout request did not pass our checks.".into(),
            ),
            Self::Internal(_) => (
                "Something went wrong",
                "We could not finish signing you in. Please try again.".into(),
            ),
        }
    }

    /// The operator's log line.
    pub fn log(&self) {
        match self {
            Self::Internal(_) | Self::ProviderUnavailable(_) => tracing::error!(
                refusal = self.code(),
                detail = self.detail(),
                "identity provider sign-in refused"
            ),
            _ => tracing::warn!(
                refusal = self.code(),
                detail = self.detail(),
                "identity provider sign-in refused"
            ),
        }
    }
}

impl From<crate::error::AppError> for Refusal {
    fn from(err: crate::error::AppError) -> Self {
        match err {
            crate::error::AppError::RateLimited { .. } => Self::RateLimited,
            other => Self::Internal(format!("{other:?}")),
        }
    }
}

impl From<sea_orm::DbErr> for Refusal {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.to_string())
    }
}
