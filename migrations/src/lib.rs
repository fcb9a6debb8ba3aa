//! Database migrations. Each migration is frozen once released: they speak in
//! table and column identifiers only and never import the application's entities.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_accounts;
mod m20261124_000002_jobs;
mod m20261124_000005_notifications;
mod m20261124_000010_forum;
mod m20261124_000020_workspaces;
mod m20261124_000025_profiles_matching;
mod m20261124_000040_moderation;
mod m20261124_000050_exemptions;
mod m20261124_000060_email;
mod m20261124_000070_publications;
mod m20261124_000080_read_paths;
mod m20261124_000090_post_excerpts;
mod m20261202_000140_rate_limits;
mod m20261202_000150_membership_history;
mod m20261202_000180_oidc;
mod m20261203_000200_withheld_revisions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_accounts::Migration),
            Box::new(m20261124_000002_jobs::Migration),
            Box::new(m20261124_000005_notifications::Migration),
            Box::new(m20261124_000010_forum::Migration),
            Box::new(m20261124_000020_workspaces::Migration),
            Box::new(m20261124_000025_profiles_matching::Migration),
            Box::new(m20261124_000040_moderation::Migration),
            Box::new(m20261124_000050_exemptions::Migration),
            Box::new(m20261124_000060_email::Migration),
            Box::new(m20261124_000070_publications::Migration),
            Box::new(m20261124_000080_read_paths::Migration),
            Box::new(m20261124_000090_post_excerpts::Migration),
            Box::new(m20261202_000140_rate_limits::Migration),
            Box::new(m20261202_000150_membership_history::Migration),
            Box::new(m20261202_000180_oidc::Migration),
            Box::new(m20261203_000200_withheld_revisions::Migration),
        ]
    }
}
