//! The provider's metadata (OpenID Connect Discovery) and signing keys.
//!
//! Discovery runs on first use and is kept; a failure is retried on the
//! next sign-in. The keys are refetched when a token names a key id that
//! is not known, at most once a minute, so a rotation at the provider is
//! picked up without a restart and a flood of bad tokens cannot turn into a
//! flood of requests to the provider.

use std::time::Duration;

use chrono::{DateTime, Utc};

use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    ProviderMetadataWithLogout, RedirectUrl,
    core::{CoreClient, CoreJsonWebKeySet},
    reqwest,
};
use tokio::sync::Mutex;

use super::{CALLBACK_PATH, Refusal};
use crate::{clock::Clock, config::OidcConfig};

/// The least time between two fetches of the keys.
pub const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// A client of the discovered provider, with its endpoints.
pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What discovery found, and the keys as last fetched.
#[derive(Clone)]
pub struct Discovered {
    pub metadata: ProviderMetadataWithLogout,
    /// The same keys, for the back-channel logout tokens.
    pub jwks: jsonwebtoken::jwk::JwkSet,
}

struct State {
    discovered: Option<Discovered>,
    keys_fetched_at: Option<DateTime<Utc>>,
}

pub struct Provider {
    pub config: OidcConfig,
    /// `<public URL>/auth/oidc/callback`.
    pub redirect_url: String,
    /// The site's own URL, where the provider returns after logout.
    pub public_url: String,
    /// Redirects are not followed: a provider's redirect must not steer
    /// this server's requests elsewhere.
    pub http: reqwest::Client,
    clock: Clock,
    state: Mutex<State>,
}

impl Provider {
    pub fn new(config: OidcConfig, public_url: &str, clock: Clock) -> Result<Self, Refusal> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(Refusal::internal)?;
        Ok(Self {
            config,
            redirect_url: format!("{public_url}{CALLBACK_PATH}"),
            public_url: public_url.to_string(),
            http,
            clock,
            state: Mutex::new(State {
                discovered: None,
                keys_fetched_at: None,
            }),
        })
    }

    /// The provider's metadata and keys, discovered on first use.
    pub async fn discovered(&self) -> Result<Discovered, Refusal> {
        let mut state = self.state.lock().await;
        if let Some(discovered) = &state.discovered {
            return Ok(discovered.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| Refusal::ProviderUnavailable(format!("issuer URL: {e}")))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| Refusal::ProviderUnavailable(format!("discovery: {e}")))?;
        let (keys, jwks) = self.fetch_keys(&metadata).await?;
        let discovered = Discovered {
            metadata: metadata.set_jwks(keys),
            jwks,
        };
        state.discovered = Some(discovered.clone());
        state.keys_fetched_at = Some(self.clock.now());
        Ok(discovered)
    }

    /// Fetches the keys again, unless they were fetched less than
    /// [`KEY_REFETCH_INTERVAL`] ago; answers whether they were.
    pub async fn refresh_keys(&self) -> Result<bool, Refusal> {
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        let interval = chrono::Duration::from_std(KEY_REFETCH_INTERVAL).unwrap_or_default();
        if state.keys_fetched_at.is_some_and(|at| now - at < interval) {
            return Ok(false);
        }
        let Some(discovered) = state.discovered.clone() else {
            return Ok(false);
        };
        state.keys_fetched_at = Some(now);
        let (keys, jwks) = self.fetch_keys(&discovered.metadata).await?;
        tracing::info!(
            keys = jwks.keys.len(),
            "fetched the identity provider's keys again"
        );
        state.discovered = Some(Discovered {
            metadata: discovered.metadata.set_jwks(keys),
            jwks,
        });
        Ok(true)
    }

    async fn fetch_keys(
        &self,
        metadata: &ProviderMetadataWithLogout,
    ) -> Result<(CoreJsonWebKeySet, jsonwebtoken::jwk::JwkSet), Refusal> {
        let unavailable = |e: String| Refusal::ProviderUnavailable(format!("keys: {e}"));
        let response = self
            .http
            .get(metadata.jwks_uri().url().as_str())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("status {}", response.status())));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let keys: CoreJsonWebKeySet =
            serde_json::from_slice(&body).map_err(|e| unavailable(e.to_string()))?;
        // Keys of kinds jsonwebtoken does not know are left out, not fatal.
        let raw: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| unavailable(e.to_string()))?;
        let jwks = jsonwebtoken::jwk::JwkSet {
            keys: raw
                .get("keys")
                .and_then(|k| k.as_array())
                .into_iter()
                .flatten()
                .filter_map(|k| serde_json::from_value(k.clone()).ok())
                .collect(),
        };
        Ok((keys, jwks))
    }

    /// A client of the discovered provider, sending people back to
    /// [`CALLBACK_PATH`].
    pub fn client(&self, discovered: &Discovered) -> Result<Client, Refusal> {
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|e| Refusal::internal(format!("redirect URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }
}
