//! Addresses that refused mail for good (a permanent SMTP rejection, or a
//! complaint): nothing more is sent to them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{entities::email_suppression, error::AppResult};

/// The longest refusal reason kept.
const REASON_MAX_CHARS: usize = 2000;

/// Whether mail to `email` was refused for good before.
pub async fn is_suppressed(conn: &impl ConnectionTrait, email: &str) -> AppResult<bool> {
    Ok(email_suppression::Entity::find()
        .filter(email_suppression::Column::Email.eq(email))
        .one(conn)
        .await?
        .is_some())
}

/// Records that `email` refused mail for good; the first reason is kept.
pub async fn record(
    conn: &impl ConnectionTrait,
    email: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    email_suppression::Entity::insert(email_suppression::ActiveModel {
        email: Set(email.to_string()),
        reason: Set(reason.chars().take(REASON_MAX_CHARS).collect()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(email_suppression::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
