//! Research Commons: the community platform of a research program's
//! Researcher Workbench. `App` wires configuration, database, mail, search
//! and the GraphQL schema; `main.rs` and the tests both start it here.

pub mod auth;
pub mod clock;
pub mod commands;
pub mod config;
pub mod context;
pub mod db;
pub mod entities;
pub mod error;
pub mod forum;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod notifications;
pub mod ratelimit;
pub mod seed;
pub mod validate;

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
    clock::Clock, config::Config, context::AppContext, graphql::AppSchema, jobs::worker::Worker,
    mail::Mailer, ratelimit::RateLimits,
};

/// A built application: context and schema, ready to serve.
pub struct App {
    pub ctx: AppContext,
    pub schema: AppSchema,
}

/// Overrides for tests and tools: a shared clock, a given mailer, or no
/// rate limits.
#[derive(Default)]
pub struct BuildOptions {
    pub clock: Option<Clock>,
    pub mailer: Option<Mailer>,
    pub rate_limits: Option<RateLimits>,
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
        let limits = options.rate_limits.unwrap_or_else(default_rate_limits);
        let ctx = AppContext {
            db,
            config: Arc::new(config),
            clock: options.clock.unwrap_or_default(),
            mailer,
            limits,
            jobs_wakeup: Arc::new(Notify::new()),
        };
        let schema = graphql::schema::build_schema_with(
            Some(ctx.clone()),
            options.loader_delay.unwrap_or(forum::loaders::LOADER_DELAY),
        );
        Ok(App { ctx, schema })
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
        let worker = self
            .ctx
            .config
            .run_worker
            .then(|| tokio::spawn(Worker::new(self.ctx.clone()).run(stop_rx)));
        let routes = http::routes(self.ctx.clone(), self.schema);
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(routes, shutdown, Some(Duration::from_secs(20)))
            .await?;
        let _ = stop_tx.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        self.ctx.db.clone().close().await?;
        Ok(())
    }
}

fn default_rate_limits() -> RateLimits {
    RateLimits::new(
        [
            ("sign_in", 10, 300),
            ("sign_up", 5, 3600),
            ("resend_verification", 3, 3600),
            ("password_reset", 3, 3600),
            // The forum. Generous for people, tight for scripts; the
            // moderation rule files (limits.toml) set the production values.
            ("create_thread", 10, 3600),
            ("create_post", 60, 3600),
            ("edit_post", 120, 3600),
            ("react", 300, 3600),
        ]
        .map(|(a, m, p)| (a.to_string(), m, p)),
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
