//! Indexes for the hottest read paths, found with `commons bench` at
//! 10k users, 50k threads and 500k posts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Plain SQL, the same on SQLite and PostgreSQL.
const UP: &[&str] = &[
    // Every thread list starts with the viewer's muted threads, categories
    // and tags.
    "CREATE INDEX idx_forum_subscriptions_user_level ON forum_subscriptions (user_id, level)",
];

const DOWN: &[&str] = &["DROP INDEX idx_forum_subscriptions_user_level"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in UP {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in DOWN {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
