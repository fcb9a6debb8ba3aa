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
                field: unique_field(&err, &detail),
                message: "already exists".into(),
            };
        }
        Self::Internal(err.into())
    }
}

/// Unique columns a client may be told it collided with; any other (a
/// token's hash, a job's dedupe key, a key of several columns) names none.
const CLIENT_FIELDS: [&str; 5] = ["email", "handle", "slug", "name", "namespace"];

/// The field a unique violation names. PostgreSQL says which constraint
/// failed; SQLite, which has none to name, says `table.column` in its text.
fn unique_field(err: &sea_orm::DbErr, detail: &str) -> Option<String> {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let postgres = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Database(db) => db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .map(|pg| (pg.table(), pg.constraint())),
                _ => None,
            }
        }
        _ => None,
    };
    let column = match postgres {
        Some((table, Some(constraint))) => postgres_unique_column(table, constraint),
        Some((_, None)) => None,
        None => sqlite_unique_column(detail),
    }?;
    CLIENT_FIELDS.contains(&column).then(|| column.to_string())
}

/// The column of a PostgreSQL unique constraint of one column, which
/// PostgreSQL names `<table>_<column>_key`. Unique indexes of several
/// columns (`idx_…`) name no single column.
fn postgres_unique_column<'a>(table: Option<&str>, constraint: &'a str) -> Option<&'a str> {
    constraint
        .strip_prefix(table?)?
        .strip_prefix('_')?
        .strip_suffix("_key")
        .filter(|c| !c.is_empty())
}

/// The column of SQLite's `UNIQUE constraint failed: table.column`; none
/// when the key has several columns (`t.a, t.b`).
fn sqlite_unique_column(detail: &str) -> Option<&str> {
    let (_, columns) = detail.split_once("constraint failed: ")?;
    let columns = columns.trim();
    if columns.contains(',') {
        return None;
    }
    let (_, column) = columns.rsplit_once('.')?;
    Some(column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_unique_constraint_names_its_column() {
        assert_eq!(
            postgres_unique_column(Some("users"), "users_email_key"),
            Some("email")
        );
        assert_eq!(
            postgres_unique_column(Some("jobs"), "jobs_dedupe_key_key"),
            Some("dedupe_key")
        );
        assert_eq!(
            postgres_unique_column(Some("workspaces"), "workspaces_namespace_key"),
            Some("namespace")
        );
        assert_eq!(
            postgres_unique_column(Some("forum_drafts"), "idx_forum_drafts_user_key"),
            None
        );
        assert_eq!(postgres_unique_column(None, "users_email_key"), None);
        assert_eq!(postgres_unique_column(Some("users"), "users__key"), None);
    }

    #[test]
    fn sqlite_names_table_and_column_in_its_text() {
        assert_eq!(
            sqlite_unique_column("UNIQUE constraint failed: users.handle"),
            Some("handle")
        );
        assert_eq!(
            sqlite_unique_column(
                "error returned from database: (code: 2067) UNIQUE constraint failed: forum_categories.slug"
            ),
            Some("slug")
        );
        assert_eq!(
            sqlite_unique_column(
                "UNIQUE constraint failed: forum_reactions.post_id, forum_reactions.user_id"
            ),
            None
        );
        assert_eq!(sqlite_unique_column("disk I/O error"), None);
    }

    #[test]
    fn only_fields_a_client_may_see_are_named() {
        let detail = "UNIQUE constraint failed: sessions.token_hash";
        assert_eq!(
            unique_field(&sea_orm::DbErr::Custom(detail.into()), detail),
            None
        );
        let detail = "UNIQUE constraint failed: users.email";
        assert_eq!(
            unique_field(&sea_orm::DbErr::Custom(detail.into()), detail).as_deref(),
            Some("email")
        );
    }
}
