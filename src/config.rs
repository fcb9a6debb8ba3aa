//! Configuration from `COMMONS_*` environment variables, with laptop-safe
//! defaults. Every value is validated at start-up; a bad one stops the process
//! with one line naming the variable and the problem.

use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf, time::Duration};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailerConfig {
    /// One `.eml` file per message under `<data>/mail/`.
    File(PathBuf),
    /// lettre connection URL, e.g. `smtp://user:pass@mail.example.org:587?tls=required`.
    Smtp(String),
    /// Kept in memory; for tests.
    Memory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchConfig {
    Tantivy(PathBuf),
    Meilisearch {
        url: String,
        api_key: String,
        index_prefix: String,
    },
}

#[derive(Clone, Debug)]
pub struct Config {
    pub env: Environment,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub database_url: String,
    pub auto_migrate: bool,
    pub secret_key: String,
    pub public_url: String,
    pub allowed_email_domains: BTreeSet<String>,
    pub mailer: MailerConfig,
    pub mail_from: String,
    pub search: SearchConfig,
    pub moderation_dir: Option<PathBuf>,
    pub session_ttl: Duration,
    pub cookie_secure: bool,
    pub introspection: bool,
    pub limits: GraphqlLimits,
    pub max_body_bytes: usize,
    pub run_worker: bool,
    /// Per-action rate limits (off only for load benchmarks).
    pub rate_limits: bool,
    pub response_cache: ResponseCacheConfig,
    pub frontend_dir: Option<PathBuf>,
    pub log_json: bool,
    /// Approvals an exemption request needs (1 or 2).
    pub exemption_approvals: u8,
    /// Business days from submission until an exemption request is due.
    pub exemption_sla_days: u32,
    /// Peers whose `X-Forwarded-For` names the client (`client_addr`).
    pub trusted_proxies: crate::client_addr::TrustedProxies,
    /// Hosts whose images readers' browsers may load; images elsewhere are
    /// rendered as links. Empty by default.
    pub image_hosts: BTreeSet<String>,
    /// Serve GraphiQL on `GET /graphql` (off in production unless set).
    pub graphiql: bool,
    /// This replica's stable name: the owner of the jobs its worker leases.
    pub replica_id: String,
    /// How long a claimed job stays leased without a heartbeat; a dead
    /// replica's jobs are taken over this long after its last heartbeat.
    pub job_lease: Duration,
    /// Most search documents one indexing batch sends
    /// (`COMMONS_INDEX_BATCH`): due `search.index` jobs are coalesced up to
    /// this many, into one engine write per index.
    pub index_batch: usize,
    /// The bearer token `/metrics` requires. Without one, `/metrics` is
    /// open outside production and not served in production.
    pub metrics_token: Option<String>,
    /// Sign-in through the program's OpenID Connect provider, when set.
    pub oidc: Option<OidcConfig>,
    /// Password sign-in, sign-up and reset (`COMMONS_PASSWORD_SIGN_IN`).
    /// Off, only the provider signs people in.
    pub password_sign_in: bool,
}

/// The OpenID Connect provider (`COMMONS_OIDC_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer URL; the rest is discovered from it.
    pub issuer: String,
    pub client_id: String,
    /// Absent for a public client, which relies on PKCE alone.
    pub client_secret: Option<String>,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The provider's name on the sign-in button ("Sign in with …").
    pub display_name: String,
    /// Take the provider's emails as verified when it sends no
    /// `email_verified` (Entra ID). An explicit `false` is still refused.
    pub trust_email: bool,
    /// The claim that carries the data tier, re-read at every sign-in.
    pub tier_claim: Option<String>,
    /// The claim that carries the roles, re-read at every sign-in.
    pub roles_claim: Option<String>,
    /// The longest a session from the provider lasts.
    pub session_ttl: Duration,
}

#[derive(Clone, Copy, Debug)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_recursive_depth: usize,
    pub max_aliases: usize,
    pub max_batch: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

fn bad(var: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var: var.to_string(),
        problem: problem.into(),
    }
}

/// The cache of whole responses to read-only forum queries
/// (`response_cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseCacheConfig {
    /// Memory for cached bodies; 0 turns the cache off.
    pub max_bytes: u64,
    /// The longest a response is reused. It bounds what no change counter
    /// sees: the passing of time (a session's expiry, an edit window), and
    /// writes by other processes on SQLite (the command line).
    pub max_age: Duration,
}

/// Reads variables through a lookup function so tests can pass a map.
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, var: &str) -> Option<String> {
        (self.0)(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, var: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| bad(var, format!("invalid value {raw:?}: {e}"))),
        }
    }

    fn flag(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self
            .get(var)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(bad(var, format!("expected true or false, got {other:?}"))),
        }
    }

    fn range(
        &self,
        var: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, ConfigError> {
        let value: usize = self.parse(var, default)?;
        if value < min || value > max {
            return Err(bad(
                var,
                format!("must be between {min} and {max}, got {value}"),
            ));
        }
        Ok(value)
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|var| std::env::var(var).ok())
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(lookup);
        let env = match vars.get("COMMONS_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("test") => Environment::Test,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(bad(
                    "COMMONS_ENV",
                    format!("expected development, test or production, got {other:?}"),
                ));
            }
        };
        let production = env == Environment::Production;
        let data_dir = PathBuf::from(
            vars.get("COMMONS_DATA_DIR")
                .unwrap_or_else(|| "./data".into()),
        );
        let bind: SocketAddr =
            vars.parse("COMMONS_BIND", SocketAddr::from(([127, 0, 0, 1], 8080)))?;

        let database_url = match vars.get("COMMONS_DATABASE_URL") {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => url,
            Some(url) if url.starts_with("sqlite:") => url,
            Some(url) => {
                return Err(bad(
                    "COMMONS_DATABASE_URL",
                    format!("expected a postgres:// or sqlite: URL, got {url:?}"),
                ));
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("commons.db").display()
            ),
        };
        if production && database_url.starts_with("sqlite:") {
            return Err(bad(
                "COMMONS_DATABASE_URL",
                "production needs PostgreSQL (postgres://…); SQLite is for a single laptop",
            ));
        }

        let secret_key = match vars.get("COMMONS_SECRET_KEY") {
            Some(key) if key.len() < 32 => {
                return Err(bad("COMMONS_SECRET_KEY", "must be at least 32 characters"));
            }
            Some(key) => key,
            None if production => {
                return Err(bad("COMMONS_SECRET_KEY", "is required in production"));
            }
            // Development only: a fixed key is fine for signed links on a laptop.
            None => "development-secret-key-not-for-production-use".into(),
        };

        let public_url = vars
            .get("COMMONS_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"));
        let parsed = url::Url::parse(&public_url)
            .map_err(|e| bad("COMMONS_PUBLIC_URL", format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("COMMONS_PUBLIC_URL", "must be an http(s) URL"));
        }
        let public_url = public_url.trim_end_matches('/').to_string();

        let allowed_email_domains: BTreeSet<String> = vars
            .get("COMMONS_ALLOWED_EMAIL_DOMAINS")
            .unwrap_or_else(|| "researchallofus.org".into())
            .split(',')
            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        if allowed_email_domains.is_empty()
            || allowed_email_domains
                .iter()
                .any(|d| !d.contains('.') || d.contains(char::is_whitespace))
        {
            return Err(bad(
                "COMMONS_ALLOWED_EMAIL_DOMAINS",
                "expected a comma-separated list of domains such as researchallofus.org",
            ));
        }

        let mailer = match vars.get("COMMONS_MAILER").as_deref() {
            None | Some("file") => MailerConfig::File(data_dir.join("mail")),
            Some("memory") => MailerConfig::Memory,
            Some("smtp") => {
                MailerConfig::Smtp(vars.get("COMMONS_SMTP_URL").ok_or_else(|| {
                    bad("COMMONS_SMTP_URL", "is required when COMMONS_MAILER=smtp")
                })?)
            }
            Some(other) => {
                return Err(bad(
                    "COMMONS_MAILER",
                    format!("expected file, smtp or memory, got {other:?}"),
                ));
            }
        };
        if production && mailer != MailerConfig::Memory && !matches!(mailer, MailerConfig::Smtp(_))
        {
            return Err(bad(
                "COMMONS_MAILER",
                "production needs smtp; the file mailer would silently keep mail on disk",
            ));
        }
        if production && mailer == MailerConfig::Memory {
            return Err(bad("COMMONS_MAILER", "production needs smtp"));
        }
        let mail_from = vars
            .get("COMMONS_MAIL_FROM")
            .unwrap_or_else(|| "Research Commons <no-reply@researchallofus.org>".into());
        mail_from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| bad("COMMONS_MAIL_FROM", format!("not a mailbox: {e}")))?;

        let search = match (vars.get("MEILI_URL"), vars.get("MEILI_MASTER_KEY")) {
            (Some(url), Some(api_key)) => SearchConfig::Meilisearch {
                url,
                api_key,
                index_prefix: vars
                    .get("COMMONS_MEILI_INDEX_PREFIX")
                    .unwrap_or_else(|| "commons_".into()),
            },
            (Some(_), None) => {
                return Err(bad("MEILI_MASTER_KEY", "is required when MEILI_URL is set"));
            }
            _ => SearchConfig::Tantivy(data_dir.join("search")),
        };

        let limits = GraphqlLimits {
            max_depth: vars.range("COMMONS_GRAPHQL_MAX_DEPTH", 12, 2, 64)?,
            max_complexity: vars.range("COMMONS_GRAPHQL_MAX_COMPLEXITY", 50_000, 10, 1_000_000)?,
            max_recursive_depth: vars.range("COMMONS_GRAPHQL_MAX_RECURSION", 32, 4, 256)?,
            max_aliases: vars.range("COMMONS_GRAPHQL_MAX_ALIASES", 30, 1, 1_000)?,
            max_batch: vars.range("COMMONS_GRAPHQL_MAX_BATCH", 10, 1, 100)?,
        };

        let exemption_approvals = vars.range("COMMONS_EXEMPTION_APPROVALS", 2, 1, 2)? as u8;
        let exemption_sla_days = vars.range("COMMONS_EXEMPTION_SLA_DAYS", 10, 1, 90)? as u32;

        let replica_id = match vars.get("COMMONS_REPLICA_ID") {
            Some(id)
                if id.len() <= 48
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
            {
                id
            }
            Some(_) => {
                return Err(bad(
                    "COMMONS_REPLICA_ID",
                    "use at most 48 letters, digits, '-' or '.'",
                ));
            }
            None => derived_replica_id(&data_dir),
        };
        let job_lease =
            Duration::from_secs(vars.range("COMMONS_JOB_LEASE_SECONDS", 30, 2, 3600)? as u64);
        let index_batch = vars.range("COMMONS_INDEX_BATCH", 1000, 1, 10_000)?;
        let metrics_token = vars.get("COMMONS_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(bad(
                "COMMONS_METRICS_TOKEN",
                "must be at least 16 characters",
            ));
        }

        let oidc = oidc_config(&vars)?;
        let password_sign_in = vars.flag("COMMONS_PASSWORD_SIGN_IN", true)?;
        if !password_sign_in && oidc.is_none() {
            return Err(bad(
                "COMMONS_PASSWORD_SIGN_IN",
                "password sign-in can be turned off only when COMMONS_OIDC_ISSUER is set; nobody could sign in",
            ));
        }

        Ok(Config {
            oidc,
            password_sign_in,
            replica_id,
            job_lease,
            index_batch,
            metrics_token,
            env,
            bind,
            database_url,
            auto_migrate: vars.flag("COMMONS_AUTO_MIGRATE", true)?,
            secret_key,
            public_url,
            allowed_email_domains,
            mailer,
            mail_from,
            search,
            moderation_dir: vars.get("COMMONS_MODERATION_DIR").map(PathBuf::from),
            session_ttl: Duration::from_secs(
                vars.range("COMMONS_SESSION_TTL_HOURS", 24 * 30, 1, 24 * 365)? as u64 * 3600,
            ),
            cookie_secure: vars.flag("COMMONS_COOKIE_SECURE", production)?,
            introspection: vars.flag("COMMONS_GRAPHQL_INTROSPECTION", !production)?,
            limits,
            max_body_bytes: vars.range(
                "COMMONS_MAX_BODY_BYTES",
                256 * 1024,
                1024,
                16 * 1024 * 1024,
            )?,
            run_worker: vars.flag("COMMONS_WORKER", true)?,
            rate_limits: vars.flag("COMMONS_RATE_LIMITS", true)?,
            response_cache: ResponseCacheConfig {
                max_bytes: vars.range("COMMONS_RESPONSE_CACHE_MIB", 64, 0, 64 * 1024)? as u64
                    * 1024
                    * 1024,
                max_age: Duration::from_secs(vars.range(
                    "COMMONS_RESPONSE_CACHE_SECONDS",
                    10,
                    1,
                    3600,
                )? as u64),
            },
            frontend_dir: vars.get("COMMONS_FRONTEND_DIR").map(PathBuf::from),
            log_json: vars.flag("COMMONS_LOG_JSON", production)?,
            exemption_approvals,
            exemption_sla_days,
            trusted_proxies: crate::client_addr::TrustedProxies::parse(
                &vars.get("COMMONS_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|e| bad("COMMONS_TRUSTED_PROXIES", e))?,
            image_hosts: image_hosts(vars.get("COMMONS_IMAGE_HOSTS"))?,
            graphiql: vars.flag("COMMONS_GRAPHIQL", !production)?,
            data_dir,
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// `COMMONS_OIDC_*`: absent unless `COMMONS_OIDC_ISSUER` is set, and then
/// `COMMONS_OIDC_CLIENT_ID` is required.
fn oidc_config(vars: &Vars<'_>) -> Result<Option<OidcConfig>, ConfigError> {
    let Some(issuer) = vars.get("COMMONS_OIDC_ISSUER") else {
        return Ok(None);
    };
    let parsed = url::Url::parse(&issuer)
        .map_err(|e| bad("COMMONS_OIDC_ISSUER", format!("not a URL: {e}")))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err(bad(
            "COMMONS_OIDC_ISSUER",
            "must be an https URL (http only on loopback, for development)",
        ));
    }
    let client_id = vars.get("COMMONS_OIDC_CLIENT_ID").ok_or_else(|| {
        bad(
            "COMMONS_OIDC_CLIENT_ID",
            "is required when COMMONS_OIDC_ISSUER is set",
        )
    })?;
    let scopes: Vec<String> = vars
        .get("COMMONS_OIDC_SCOPES")
        .unwrap_or_else(|| "openid email profile".into())
        .split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "openid")
        .map(str::to_string)
        .collect();
    let display_name = vars
        .get("COMMONS_OIDC_DISPLAY_NAME")
        .unwrap_or_else(|| "your program account".into());
    if display_name.chars().count() > 60 {
        return Err(bad(
            "COMMONS_OIDC_DISPLAY_NAME",
            "must be at most 60 characters",
        ));
    }
    let hours = vars.range("COMMONS_OIDC_SESSION_HOURS", 12, 1, 24 * 30)?;
    Ok(Some(OidcConfig {
        issuer,
        client_id,
        client_secret: vars.get("COMMONS_OIDC_CLIENT_SECRET"),
        scopes,
        display_name,
        trust_email: vars.flag("COMMONS_OIDC_TRUST_EMAIL", false)?,
        tier_claim: vars.get("COMMONS_OIDC_TIER_CLAIM"),
        roles_claim: vars.get("COMMONS_OIDC_ROLES_CLAIM"),
        session_ttl: Duration::from_secs(hours as u64 * 3600),
    }))
}

/// `COMMONS_IMAGE_HOSTS`: comma-separated host names such as
/// `images.example.org`, without scheme, port or path.
fn image_hosts(raw: Option<String>) -> Result<BTreeSet<String>, ConfigError> {
    let hosts: BTreeSet<String> = raw
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if let Some(h) = hosts.iter().find(|h| {
        !h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            || !h.contains('.')
    }) {
        return Err(bad(
            "COMMONS_IMAGE_HOSTS",
            format!("{h:?} is not a host name such as images.example.org"),
        ));
    }
    Ok(hosts)
}

/// `host-xxxxxxxx`: the host name and a hash of the data directory's
/// absolute path, so a restarted replica keeps its name and two replicas on
/// one host (with different data directories) get different ones.
fn derived_replica_id(data_dir: &std::path::Path) -> String {
    use sha2::Digest as _;
    let host: String = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "host".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(30)
        .collect();
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = sha2::Sha256::digest(absolute.to_string_lossy().as_bytes());
    format!("{host}-{}", hex::encode(&digest[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&move |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_laptop_safe() {
        let c = config(&[]).expect("defaults");
        assert!(c.is_sqlite());
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert!(c.allowed_email_domains.contains("researchallofus.org"));
        assert!(matches!(c.mailer, MailerConfig::File(_)));
        assert!(!c.cookie_secure);
        assert_eq!(c.job_lease, Duration::from_secs(30));
    }

    #[test]
    fn replica_ids_are_stable_per_data_directory() {
        let a = config(&[("COMMONS_DATA_DIR", "/srv/a")]).expect("a");
        let again = config(&[("COMMONS_DATA_DIR", "/srv/a")]).expect("a again");
        let b = config(&[("COMMONS_DATA_DIR", "/srv/b")]).expect("b");
        assert_eq!(a.replica_id, again.replica_id);
        assert_ne!(a.replica_id, b.replica_id);
        assert!(a.replica_id.len() <= 48, "{}", a.replica_id);
        let named = config(&[("COMMONS_REPLICA_ID", "web-1")]).expect("named");
        assert_eq!(named.replica_id, "web-1");
        let err = config(&[("COMMONS_REPLICA_ID", "web/1")]).unwrap_err();
        assert_eq!(err.var, "COMMONS_REPLICA_ID");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let err = config(&[("COMMONS_BIND", "nowhere")]).unwrap_err();
        assert!(err.to_string().starts_with("COMMONS_BIND: "), "{err}");
        let err = config(&[("COMMONS_AUTO_MIGRATE", "maybe")]).unwrap_err();
        assert!(
            err.to_string().starts_with("COMMONS_AUTO_MIGRATE: "),
            "{err}"
        );
    }

    #[test]
    fn production_refuses_unsafe_defaults() {
        let pg = ("COMMONS_DATABASE_URL", "postgres://db/commons");
        let key = ("COMMONS_SECRET_KEY", "0123456789abcdef0123456789abcdef");
        let smtp = [
            ("COMMONS_MAILER", "smtp"),
            ("COMMONS_SMTP_URL", "smtp://mail:587"),
        ];
        let prod = ("COMMONS_ENV", "production");

        let err = config(&[prod, key, smtp[0], smtp[1]]).unwrap_err();
        assert_eq!(err.var, "COMMONS_DATABASE_URL");
        let err = config(&[prod, pg, smtp[0], smtp[1]]).unwrap_err();
        assert_eq!(err.var, "COMMONS_SECRET_KEY");
        let err = config(&[prod, pg, key]).unwrap_err();
        assert_eq!(err.var, "COMMONS_MAILER");
        let ok = config(&[prod, pg, key, smtp[0], smtp[1]]).expect("safe production config");
        assert!(ok.cookie_secure);
        assert!(!ok.introspection);
    }

    #[test]
    fn the_identity_provider_is_optional_and_checked() {
        let c = config(&[]).expect("defaults");
        assert!(c.oidc.is_none());
        assert!(c.password_sign_in);
        let err = config(&[("COMMONS_PASSWORD_SIGN_IN", "false")]).unwrap_err();
        assert_eq!(err.var, "COMMONS_PASSWORD_SIGN_IN");
        let issuer = ("COMMONS_OIDC_ISSUER", "https://accounts.google.com");
        let err = config(&[issuer]).unwrap_err();
        assert_eq!(err.var, "COMMONS_OIDC_CLIENT_ID");
        let err = config(&[
            ("COMMONS_OIDC_ISSUER", "http://idp.example.org"),
            ("COMMONS_OIDC_CLIENT_ID", "commons"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "COMMONS_OIDC_ISSUER");
        let c = config(&[
            issuer,
            ("COMMONS_OIDC_CLIENT_ID", "commons"),
            ("COMMONS_OIDC_SCOPES", "openid email,profile"),
            ("COMMONS_PASSWORD_SIGN_IN", "false"),
        ])
        .expect("sso only");
        let oidc = c.oidc.expect("oidc");
        assert_eq!(oidc.scopes, ["email", "profile"]);
        assert_eq!(oidc.client_secret, None);
        assert_eq!(oidc.session_ttl, Duration::from_secs(12 * 3600));
        assert!(!c.password_sign_in);
    }
}
