//! Rate limits shared by every replica on PostgreSQL: one row per action
//! and (hashed) key. `tat_ms` is the GCRA's theoretical arrival time, or for
//! a back-off the end of the current wait; `hits` counts failures for
//! back-offs; `seen_ms` is the last update. SQLite keeps limits in memory
//! and never writes here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Action,
    Key,
    TatMs,
    Hits,
    SeenMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .col(string_len(RateLimits::Action, 64))
                    .col(string_len(RateLimits::Key, 140))
                    .col(big_integer(RateLimits::TatMs))
                    .col(integer(RateLimits::Hits).default(0))
                    .col(big_integer(RateLimits::SeenMs))
                    .primary_key(Index::create().col(RateLimits::Action).col(RateLimits::Key))
                    .to_owned(),
            )
            .await?;
        // Housekeeping deletes rows whose limit has fully recovered.
        manager
            .create_index(
                Index::create()
                    .name("idx_rate_limits_seen_ms")
                    .table(RateLimits::Table)
                    .col(RateLimits::SeenMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimits::Table).to_owned())
            .await
    }
}
