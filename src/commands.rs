//! Subcommands of the `commons` binary.

use std::{
    io::{BufRead, IsTerminal},
    path::PathBuf,
};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use migrations::{Migrator, MigratorTrait};

use crate::{
    App,
    auth::service as auth,
    config::Config,
    graphql::build_schema,
    identity::{Role, Roles, Tier},
};

#[derive(Parser)]
#[command(
    name = "commons",
    version,
    about = "Research Commons: the community platform of the Researcher Workbench"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve HTTP and run the job worker (the default).
    Serve,
    /// Apply, roll back or inspect database migrations.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Write the GraphQL schema (SDL) to a file, or check that it is current.
    ExportSchema {
        #[arg(long, default_value = "graphql/schema.graphql")]
        path: PathBuf,
        /// Exit non-zero when the file differs from the code.
        #[arg(long)]
        check: bool,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fill a fresh database with a small, believable community.
    SeedDemo,
    /// Rebuild every search index from the database, without downtime.
    Reindex,
    /// Fill an empty database with a community at scale, for benchmarks.
    BenchData {
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 50_000)]
        threads: usize,
        /// Every post, opening posts included.
        #[arg(long, default_value_t = 500_000)]
        posts: usize,
        /// Add to a database that already has data.
        #[arg(long)]
        append: bool,
        /// The random seed: the same seed gives the same community.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Measure a running server over HTTP on loopback (after bench-data).
    Bench {
        /// The server; only loopback addresses are accepted.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Measured seconds per scenario.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Warm-up seconds per scenario, not measured.
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        /// The server's process id, to report its peak memory.
        #[arg(long)]
        pid: Option<u32>,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Run only scenarios whose names contain this (repeatable); the
        /// healthz floor always runs.
        #[arg(long)]
        only: Vec<String>,
        /// A note stored with the figures (engine, data scale).
        #[arg(long)]
        label: Option<String>,
        /// Also post replies at this many a second and report how long each
        /// takes to become searchable, and how long the queue takes to drain.
        #[arg(long)]
        lag_rate: Option<f64>,
        /// Seconds the search-lag scenario writes for.
        #[arg(long, default_value_t = 60)]
        lag_seconds: u64,
        /// Probe one reply in this many in the search-lag scenario.
        #[arg(long, default_value_t = 10)]
        lag_sample: u64,
    },
    /// Copy the SQLite database to a new file while the server keeps
    /// running (on PostgreSQL, use pg_dump).
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into this data directory (which must have no
    /// database yet) and rebuild the search index from it.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Enqueue the digests that are due now, or show one user's digest.
    Digest {
        /// Print the digest instead of sending it.
        #[arg(long, requires = "user")]
        dry_run: bool,
        /// The user's email address.
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MigrateAction {
    Up,
    Down,
    Status,
    Fresh,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a verified account. Prompts for the password unless
    /// --password-stdin is given.
    Create(CreateUser),
}

#[derive(Args)]
pub struct CreateUser {
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    handle: Option<String>,
    #[arg(long, default_value = "")]
    institution: String,
    /// Repeatable: researcher, moderator, reviewer, admin.
    #[arg(long = "role", value_parser = parse_role)]
    roles: Vec<Role>,
    #[arg(long, value_parser = parse_tier, default_value = "registered")]
    tier: Tier,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("unknown role {s:?}; use researcher, moderator, reviewer or admin"))
}

fn parse_tier(s: &str) -> Result<Tier, String> {
    Tier::parse(s).ok_or_else(|| format!("unknown tier {s:?}; use registered or controlled"))
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COMMONS_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tantivy=warn,sea_orm=warn")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::ExportSchema { path, check } = &command {
        return export_schema(path, *check);
    }
    if let Command::Bench {
        url,
        concurrency,
        seconds,
        warmup,
        pid,
        json,
        only,
        label,
        lag_rate,
        lag_seconds,
        lag_sample,
    } = command
    {
        // A client only: no database, no configuration.
        return crate::bench::run::run(crate::bench::run::BenchArgs {
            url,
            concurrency,
            seconds,
            warmup,
            pid,
            json,
            only,
            label,
            lag: lag_rate.map(|rate| crate::bench::lag::LagSettings {
                rate,
                duration: std::time::Duration::from_secs(lag_seconds),
                sample_every: lag_sample,
            }),
        })
        .await;
    }
    let config = Config::from_env()?;
    init_tracing(&config);
    match command {
        Command::Serve => {
            let bind = config.bind;
            let app = App::build(config).await?;
            app.serve(bind, crate::shutdown_signal()).await
        }
        Command::Migrate { action } => migrate(config, action).await,
        Command::User {
            command: UserCommand::Create(args),
        } => create_user(config, args).await,
        Command::SeedDemo => {
            let app = App::build(config).await?;
            crate::seed::seed_demo(&app.ctx).await
        }
        Command::Digest { dry_run, user } => digest(config, dry_run, user).await,
        Command::Reindex => reindex(config).await,
        Command::Backup { to } => {
            crate::backup::backup(&config, &to).await?;
            println!("backed up to {}", to.display());
            Ok(())
        }
        Command::Restore { from } => {
            let stats = crate::backup::restore(config, &from).await?;
            println!(
                "restored {}: {} jobs back in the queue; search rebuilt with {} posts, {} workspaces, {} profiles",
                from.display(),
                stats.requeued,
                stats.posts,
                stats.workspaces,
                stats.profiles
            );
            Ok(())
        }
        Command::BenchData {
            users,
            threads,
            posts,
            append,
            seed,
        } => {
            let app = App::build(config).await?;
            crate::bench::data::generate(
                &app.ctx,
                crate::bench::data::Scale {
                    users,
                    threads,
                    posts,
                    append,
                    seed,
                },
            )
            .await
        }
        Command::ExportSchema { .. } | Command::Bench { .. } => Ok(()),
    }
}

fn export_schema(path: &PathBuf, check: bool) -> anyhow::Result<()> {
    let sdl = build_schema(None).sdl();
    if check {
        let current =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        anyhow::ensure!(
            current == sdl,
            "{} is out of date; run `commons export-schema` and commit the result",
            path.display()
        );
        println!("{} is up to date", path.display());
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, sdl)?;
    println!("wrote {}", path.display());
    Ok(())
}

async fn migrate(config: Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database_url).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
        MigrateAction::Status => Migrator::status(&db).await?,
        MigrateAction::Fresh => Migrator::fresh(&db).await?,
    }
    Ok(())
}

async fn create_user(config: Config, args: CreateUser) -> anyhow::Result<()> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        anyhow::ensure!(
            std::io::stdin().is_terminal(),
            "no terminal to prompt on; use --password-stdin"
        );
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
        first
    };
    let app = App::build(config).await?;
    let roles = if args.roles.is_empty() {
        vec![Role::Researcher]
    } else {
        args.roles
    };
    let user = auth::create_account(
        &app.ctx,
        auth::NewAccount {
            sign_up: auth::SignUp {
                email: args.email,
                password,
                display_name: args.name,
                institution: Some(args.institution),
                handle: args.handle,
            },
            roles: Roles::new(roles),
            tier: args.tier,
            verified: true,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "created user {} (@{}, id {})",
        user.email, user.handle, user.id
    );
    Ok(())
}

async fn digest(config: Config, dry_run: bool, user: Option<String>) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = App::build(config).await?;
    let ctx = &app.ctx;
    if !dry_run {
        let n = crate::digest::schedule::run(ctx)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("enqueued {n} digest(s); `commons serve` delivers them");
        return Ok(());
    }
    let email = crate::auth::service::normalize_email(user.as_deref().unwrap_or_default());
    let user = crate::entities::user::Entity::find()
        .filter(crate::entities::user::Column::Email.eq(&email))
        .one(&ctx.db)
        .await?
        .with_context(|| format!("no user with email {email}"))?;
    let now = ctx.clock.now();
    let prefs = crate::notifications::preferences::get(&ctx.db, user.id, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let since = prefs
        .last_digest_at
        .unwrap_or(now - chrono::Duration::days(7));
    let digest = crate::digest::content::build(ctx, &user, since)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if digest.is_empty() {
        println!("nothing new for {email} since {since}: no digest would be sent");
        return Ok(());
    }
    let mail = crate::digest::send::render(ctx, &user, &digest, "dry-run")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "To: {} <{}>\nSubject: {}",
        mail.to_name, mail.to, mail.subject
    );
    for (name, value) in &mail.headers {
        println!("{name}: {value}");
    }
    println!("\n{}", mail.text);
    Ok(())
}

/// Rebuilds in this process when it can open the index. The embedded
/// tantivy index admits one writer, so while `commons serve` runs the
/// rebuild is handed to the server's worker through the jobs table.
async fn reindex(config: Config) -> anyhow::Result<()> {
    match crate::open_search(&config.search).await {
        Ok(_) => {
            let app = App::build(config).await?;
            let started = std::time::Instant::now();
            let stats = crate::indexer::rebuild_all(&app.ctx)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "rebuilt the search index in {:.1} s: {} posts, {} workspaces, {} profiles",
                started.elapsed().as_secs_f64(),
                stats.posts,
                stats.workspaces,
                stats.profiles
            );
        }
        Err(e) => {
            let db = crate::db::connect(&config.database_url).await?;
            let now = chrono::Utc::now();
            let job = crate::jobs::NewJob::new(crate::indexer::REINDEX, serde_json::json!({}))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .dedupe(format!("search.reindex:{}", now.format("%Y%m%dT%H%M")));
            let txn = crate::db::begin_write(&db).await?;
            crate::jobs::enqueue(&txn, now, job).await?;
            txn.commit().await?;
            println!("the index is in use ({e}); the running server will rebuild it (queued)");
        }
    }
    Ok(())
}
