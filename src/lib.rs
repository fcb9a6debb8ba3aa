//! Research Commons: the community platform of a research program's
//! Researcher Workbench. `App` wires configuration, database, mail, search
//! and the GraphQL schema; `main.rs` and the tests both start it here.

pub mod auth;
pub mod background;
pub mod backup;
pub mod bench;
pub mod category_cache;
pub mod changes;
pub mod client_addr;
pub mod clock;
pub mod commands;
pub mod config;
pub mod context;
pub mod db;
pub mod digest;
pub mod entities;
pub mod error;
pub mod exemptions;
pub mod forum;
pub mod frontend;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod identity;
pub mod images;
pub mod indexer;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod matching;
pub mod membership;
pub mod moderation;
pub mod notifications;
pub mod publications;
pub mod ratelimit;
pub mod request;
pub mod response_cache;
pub mod screening;
pub mod search;
pub mod seed;
pub mod telemetry;
pub mod validate;
pub mod visibility;
pub mod workspaces;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migrations::{Migrator, MigratorTrait};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use tokio::sync::{Notify, watch};

use crate::{
    clock::Clock,
    config::{Config, SearchConfig},
    context::AppContext,
    graphql::AppSchema,
    jobs::{Registry, worker::Worker},
    mail::Mailer,
    ratelimit::RateLimits,
    screening::rules::RuleSet,
    search::{SearchIndex, meili_index::MeiliIndex, tantivy_index::TantivyIndex},
};

/// A built application: context and schema, ready to serve.
pub struct App {
    pub ctx: AppContext,
    pub schema: AppSchema,
    /// What the job worker runs.
    pub jobs: Arc<Registry>,
}

/// Overrides for tests and tools: a shared clock, a given mailer, or no
/// rate limits.
#[derive(Default)]
pub struct BuildOptions {
    pub clock: Option<Clock>,
    pub mailer: Option<Mailer>,
    pub rate_limits: Option<RateLimits>,
    pub search: Option<Arc<dyn SearchIndex>>,
    /// Counts every SQL statement the app runs (tests of N+1 behaviour).
    pub statement_counter: Option<Arc<AtomicU64>>,
    /// The forum DataLoaders' batch window, instead of
    /// `forum::loaders::LOADER_DELAY` (benchmarks).
    pub loader_delay: Option<Duration>,
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<App> {
        Self::build_with(config, BuildOptions::default()).await
    }

    pub async fn build_with(config: Config, options: BuildOptions) -> anyhow::Result<App> {
        telemetry::install();
        std::fs::create_dir_all(&config.data_dir)?;
        let mut db = db::connect(&config.database_url).await?;
        if config.auto_migrate {
            Migrator::up(&db, None).await?;
        }
        if let Some(counter) = options.statement_counter {
            db.set_metric_callback(move |_| {
                counter.fetch_add(1, Ordering::Relaxed);
            });
        }
        let mailer = match options.mailer {
            Some(mailer) => mailer,
            None => Mailer::from_config(&config.mailer)?,
        };
        let rules = load_rules(&config)?;
        let clock = options.clock.unwrap_or_default();
        let limits = match options.rate_limits {
            Some(limits) => limits,
            None if !config.rate_limits => RateLimits::disabled(),
            None => rate_limits_from(&rules)
                .with_clock(clock.clone())
                .shared_through(&db),
        };
        let search = match options.search {
            Some(search) => search,
            None => open_search(&config.search).await?,
        };
        let responses = Arc::new(response_cache::ResponseCache::new(config.response_cache));
        let ctx = AppContext {
            db,
            config: Arc::new(config),
            clock,
            mailer,
            limits,
            search,
            rules: Arc::new(rules),
            jobs_wakeup: Arc::new(Notify::new()),
            categories: Arc::default(),
            changes: Arc::default(),
            responses,
        };
        let schema = graphql::schema::build_schema_with(
            Some(ctx.clone()),
            options.loader_delay.unwrap_or(forum::loaders::LOADER_DELAY),
        );
        let jobs = Arc::new(background::registry(&ctx.config));
        Ok(App { ctx, schema, jobs })
    }

    /// Serves HTTP (and the job worker, unless disabled) until `shutdown`
    /// resolves; returns once in-flight requests have finished.
    pub async fn serve(
        self,
        bind: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let acceptor = TcpListener::bind(bind).into_acceptor().await?;
        tracing::info!(address = %bind, "listening");
        self.serve_on(acceptor, shutdown).await
    }

    pub async fn serve_on<A: Acceptor + 'static>(
        self,
        acceptor: A,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // The worker stops taking jobs as soon as shutdown begins, while
        // requests in flight drain.
        let stop_worker = stop_tx.clone();
        let shutdown = async move {
            shutdown.await;
            let _ = stop_worker.send(true);
        };
        let worker =
            self.ctx.config.run_worker.then(|| {
                tokio::spawn(Worker::new(self.ctx.clone(), self.jobs.clone()).run(stop_rx))
            });
        // Other replicas' changes, on PostgreSQL; nothing to do on SQLite.
        let listener = tokio::spawn({
            let categories = self.ctx.categories.clone();
            changes::listen(self.ctx.db.clone(), self.ctx.changes.clone(), move || {
                categories.forget()
            })
        });
        let checkpoints = tokio::spawn(db::checkpoint_in_background(self.ctx.db.clone()));
        let routes = http::routes(self.ctx.clone(), self.schema);
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(routes, shutdown, Some(Duration::from_secs(20)))
            .await?;
        let _ = stop_tx.send(true);
        listener.abort();
        checkpoints.abort();
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        self.ctx.db.clone().close().await?;
        Ok(())
    }
}

/// Opens the configured engine and prepares its indexes. An unreachable
/// Meilisearch does not stop start-up: writes queue in the outbox and the
/// worker catches up once it answers.
pub async fn open_search(config: &SearchConfig) -> anyhow::Result<Arc<dyn SearchIndex>> {
    let index: Arc<dyn SearchIndex> = match config {
        SearchConfig::Tantivy(dir) => Arc::new(
            TantivyIndex::open(dir)
                .map_err(|e| anyhow::anyhow!("search index at {}: {e}", dir.display()))?,
        ),
        SearchConfig::Meilisearch {
            url,
            api_key,
            index_prefix,
        } => Arc::new(
            MeiliIndex::new(url, Some(api_key), index_prefix)
                .map_err(|e| anyhow::anyhow!("MEILI_URL: {e}"))?,
        ),
    };
    if let Err(e) = index.prepare().await {
        if e.is_retryable() {
            tracing::warn!(engine = index.engine(), error = %e, "search engine unavailable at start-up; updates will queue");
        } else {
            anyhow::bail!("search engine {}: {e}", index.engine());
        }
    }
    Ok(index)
}

/// The moderation rules: `COMMONS_MODERATION_DIR`, else `./moderation` when
/// present, else the built-in copies of the shipped files. A malformed file
/// stops start-up with its path, line and problem.
fn load_rules(config: &Config) -> anyhow::Result<RuleSet> {
    let dir = config
        .moderation_dir
        .clone()
        .or_else(|| Some(std::path::PathBuf::from("moderation")).filter(|d| d.is_dir()));
    let rules = match dir {
        Some(dir) => RuleSet::load_dir(&dir).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => RuleSet::defaults(),
    };
    Ok(rules)
}

/// Quotas from `moderation/limits.toml`, plus the account actions that are
/// not the moderators' business.
fn rate_limits_from(rules: &RuleSet) -> RateLimits {
    let account = [
        ("resend_verification", 3, 3600),
        ("password_reset", 3, 3600),
        // Likes: generous for people, tight for scripts.
        ("react", 300, 3600),
        ("collaboration_message", 30, 600),
    ]
    .map(|(a, m, p)| (a.to_string(), m, p));
    // Per client address; `limits.toml` may override them.
    let per_client = [
        // Against password spraying from one client, across addresses.
        ("sign_in_client", 100, 900),
        ("sign_up_client", 10, 3600),
        // Sign-ins begun at the identity provider: each keeps a row a while.
        ("oidc_start_client", 60, 600),
    ]
    .map(|(a, m, p)| (a.to_string(), m, p));
    RateLimits::new(
        per_client
            .into_iter()
            .chain(rules.rate_limits.quotas())
            .chain(account),
    )
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
