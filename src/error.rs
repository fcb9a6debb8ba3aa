//! The one error type of the application, and how it reaches clients.
//!
//! Every error a client sees carries a stable `extensions.code`. Internal
//! failures are logged with their cause and reach the client as a generic
//! message: a database error's text never leaves the server.

use std::time::Duration;

use async_graphql::ErrorExtensions;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in to do this")]
    Unauthenticated,
    #[error("wrong email or password")]
    InvalidCredentials,
    /// Signed in, but the address is not confirmed yet: until it is, the
    /// account can only verify, resend the link, edit itself and sign out.
    #[error("confirm your email address first; check your inbox for the link")]
    EmailNotVerified,
    /// Password sign-in, sign-up and reset are turned off: members sign in
    /// through the identity provider.
    #[error("password sign-in is turned off here; sign in with the program's identity provider")]
    PasswordSignInDisabled,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("too many requests; try again in {} seconds", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// A state-machine move that the current state does not allow.
    #[error("{message}")]
    InvalidState { state: String, message: String },
    /// A dependency (the search engine) is down; the request may be retried.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            field: None,
            message: message.into(),
        }
    }

    pub fn conflict_on(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Self::PasswordSignInDisabled => "PASSWORD_SIGN_IN_DISABLED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Validation { .. } => "VALIDATION",
            Self::Conflict { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::InvalidState { .. } => "INVALID_STATE",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The GraphQL error a client receives. Internal causes are logged here,
    /// once, and replaced by a generic message.
    pub fn to_graphql(&self) -> async_graphql::Error {
        if let Self::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::Validation { field, .. } => ext.set("field", field.as_str()),
                Self::Conflict {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                Self::RateLimited { retry_after } => {
                    ext.set("retryAfter", retry_after.as_secs().max(1))
                }
                Self::InvalidState { state, .. } => ext.set("state", state.as_str()),
                _ => {}
            }
        })
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        self.to_graphql()
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        // A unique-key violation is the client's doing (a duplicate), not ours.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            return Self::Conflict {
                field: unique_field(&detail),
                message: "already exists".into(),
            };
        }
        Self::Internal(err.into())
    }
}

/// Best effort: name the column of a unique violation from the driver's text.
/// PostgreSQL names the constraint (`..._email_key`); SQLite names `table.column`.
fn unique_field(detail: &str) -> Option<String> {
    for field in ["email", "handle", "slug", "name", "dedupe_key"] {
        if detail.contains(field) {
            return Some(field.to_string());
        }
    }
    None
}
