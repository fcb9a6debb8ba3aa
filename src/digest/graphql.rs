//! GraphQL for email preferences.

use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::notifications::preferences::{self, DigestFrequency, PreferenceChange};
use crate::{
    entities::user_preference,
    request::{GqlResult, app, require_account},
};

pub struct Preferences(pub user_preference::Model);

#[Object]
impl Preferences {
    async fn digest_frequency(&self) -> DigestFrequency {
        DigestFrequency::parse(&self.0.digest_frequency)
    }
    /// Local hour (0–23) the digest is sent.
    async fn digest_hour(&self) -> i32 {
        self.0.digest_hour as i32
    }
    /// Weekday of the weekly digest: 0 = Monday … 6 = Sunday.
    async fn digest_weekday(&self) -> i32 {
        self.0.digest_weekday as i32
    }
    /// IANA time zone, e.g. America/Chicago.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    async fn email_mentions(&self) -> bool {
        self.0.email_mentions
    }
    async fn email_replies(&self) -> bool {
        self.0.email_replies
    }
    async fn email_decisions(&self) -> bool {
        self.0.email_decisions
    }
    async fn last_digest_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_digest_at
    }
}

#[derive(InputObject, Default)]
pub struct PreferencesInput {
    pub digest_frequency: Option<DigestFrequency>,
    pub digest_hour: Option<i32>,
    pub digest_weekday: Option<i32>,
    pub time_zone: Option<String>,
    pub email_mentions: Option<bool>,
    pub email_replies: Option<bool>,
    pub email_decisions: Option<bool>,
}

#[derive(Default)]
pub struct DigestQuery;

#[Object]
impl DigestQuery {
    /// The viewer's email preferences; open to accounts that have not yet
    /// confirmed their address.
    async fn preferences(&self, ctx: &Context<'_>) -> GqlResult<Preferences> {
        let viewer = require_account(ctx)?;
        let app = app(ctx);
        Ok(Preferences(
            preferences::get(&app.db, viewer.id, app.clock.now()).await?,
        ))
    }
}

#[derive(Default)]
pub struct DigestMutation;

#[Object]
impl DigestMutation {
    async fn update_preferences(
        &self,
        ctx: &Context<'_>,
        input: PreferencesInput,
    ) -> GqlResult<Preferences> {
        let viewer = require_account(ctx)?;
        let prefs = preferences::update(
            app(ctx),
            viewer,
            PreferenceChange {
                digest_frequency: input.digest_frequency,
                digest_hour: input.digest_hour,
                digest_weekday: input.digest_weekday,
                time_zone: input.time_zone,
                email_mentions: input.email_mentions,
                email_replies: input.email_replies,
                email_decisions: input.email_decisions,
            },
        )
        .await?;
        Ok(Preferences(prefs))
    }
}
