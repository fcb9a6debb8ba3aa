//! Revisions that must not be published by a later edit. `withheld` marks a
//! revision whose text was not public when it was replaced: the post (or
//! its thread) was held or hidden, so the text was held by the guard, hidden
//! by a moderator or flags, or written while the content was held. Such a
//! revision is readable by the post's author and moderators only.
//! `redacted_at` and `redacted_by_id` record a moderator's redaction, which
//! empties the revision's text for everyone.
//!
//! Revisions written before this migration do not say what state their
//! post was in. Every revision of a post that has ever been in the
//! moderation queue, or is not visible now, is marked withheld: the history
//! cannot tell which of them the guard held, and withholding one that was
//! public costs other members an old version, not participants their
//! privacy.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "forum_post_revisions";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        let columns = [
            ColumnDef::new(Alias::new("withheld"))
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Alias::new("redacted_at"))
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Alias::new("redacted_by_id"))
                .big_integer()
                .null()
                .to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(TABLE))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE forum_post_revisions SET withheld = TRUE
                 WHERE post_id IN (SELECT post_id FROM moderation_queue)
                    OR post_id IN (SELECT id FROM forum_posts WHERE moderation_state <> 'visible')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["redacted_by_id", "redacted_at", "withheld"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(TABLE))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
