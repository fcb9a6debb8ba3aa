//! Moderation: one queue entry per forum post (flags, rule holds, first
//! posts of new members), its reasons and history, the flags themselves, and
//! the audit log of moderators' actions.
//!
//! Every list the API serves has an index that matches its filter and order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ModerationQueue {
    Table,
    Id,
    PostId,
    ThreadId,
    TargetType,
    AuthorId,
    Status,
    Priority,
    Score,
    FlagCount,
    FirstPost,
    HiddenByFlags,
    Findings,
    ClaimedBy,
    ClaimedAt,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    Version,
    OpenedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModerationQueueReasons {
    Table,
    EntryId,
    Code,
    Count,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModerationQueueEvents {
    Table,
    Id,
    EntryId,
    ActorId,
    Kind,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModerationFlags {
    Table,
    Id,
    EntryId,
    PostId,
    TargetType,
    UserId,
    Reason,
    Note,
    Weight,
    Status,
    CreatedAt,
    ResolvedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModerationAuditLog {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Reason,
    Details,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ForumPosts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ForumThreads {
    Table,
    Id,
}

fn index<T: IntoIden + Copy + 'static>(
    name: &str,
    table: T,
    cols: &[T],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

fn to_user<T: IntoIden + 'static>(
    table: T,
    col: T,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The queue: one entry per post (a thread is its opening post), reused
        // across review rounds.
        manager
            .create_table(
                Table::create()
                    .table(ModerationQueue::Table)
                    .col(big_pk_auto(ModerationQueue::Id))
                    .col(big_integer(ModerationQueue::PostId))
                    .col(big_integer(ModerationQueue::ThreadId))
                    // post | thread (the opening post)
                    .col(string_len(ModerationQueue::TargetType, 16))
                    .col(big_integer(ModerationQueue::AuthorId))
                    // pending | approved | rejected | ignored
                    .col(string_len(ModerationQueue::Status, 16).default("pending"))
                    // 3 urgent (privacy), 2 high (content withheld), 1 normal
                    .col(integer(ModerationQueue::Priority).default(1))
                    // Summed weights of this round's open flags.
                    .col(integer(ModerationQueue::Score).default(0))
                    .col(integer(ModerationQueue::FlagCount).default(0))
                    .col(boolean(ModerationQueue::FirstPost).default(false))
                    .col(boolean(ModerationQueue::HiddenByFlags).default(false))
                    // JSON array of the latest screening's {code, message, excerpt}.
                    .col(text(ModerationQueue::Findings).default("[]"))
                    .col(big_integer_null(ModerationQueue::ClaimedBy))
                    .col(timestamp_with_time_zone_null(ModerationQueue::ClaimedAt))
                    .col(big_integer_null(ModerationQueue::DecidedBy))
                    .col(timestamp_with_time_zone_null(ModerationQueue::DecidedAt))
                    .col(text(ModerationQueue::DecisionReason).default(""))
                    .col(integer(ModerationQueue::Version).default(1))
                    // When the current review round began.
                    .col(timestamp_with_time_zone(ModerationQueue::OpenedAt))
                    .col(timestamp_with_time_zone(ModerationQueue::CreatedAt))
                    .col(timestamp_with_time_zone(ModerationQueue::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModerationQueue::Table, ModerationQueue::PostId)
                            .to(ForumPosts::Table, ForumPosts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModerationQueue::Table, ModerationQueue::ThreadId)
                            .to(ForumThreads::Table, ForumThreads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut to_user(
                        ModerationQueue::Table,
                        ModerationQueue::AuthorId,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut to_user(
                        ModerationQueue::Table,
                        ModerationQueue::ClaimedBy,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut to_user(
                        ModerationQueue::Table,
                        ModerationQueue::DecidedBy,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            // The entry of a post (notices, flags, holds).
            (
                "idx_moderation_queue_post",
                &[ModerationQueue::PostId][..],
                true,
            ),
            // The queue: by status, most urgent first, oldest first.
            (
                "idx_moderation_queue_status_priority",
                &[
                    ModerationQueue::Status,
                    ModerationQueue::Priority,
                    ModerationQueue::Id,
                ][..],
                false,
            ),
            // The age filter.
            (
                "idx_moderation_queue_status_opened",
                &[ModerationQueue::Status, ModerationQueue::OpenedAt][..],
                false,
            ),
            // The category filter goes through the thread.
            (
                "idx_moderation_queue_thread",
                &[ModerationQueue::ThreadId][..],
                false,
            ),
            (
                "idx_moderation_queue_author",
                &[ModerationQueue::AuthorId, ModerationQueue::Id][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, ModerationQueue::Table, cols, unique))
                .await?;
        }

        // Why an entry is in the queue this round: flag reasons and rule codes.
        manager
            .create_table(
                Table::create()
                    .table(ModerationQueueReasons::Table)
                    .col(big_integer(ModerationQueueReasons::EntryId))
                    .col(string_len(ModerationQueueReasons::Code, 32))
                    .col(integer(ModerationQueueReasons::Count).default(1))
                    .col(timestamp_with_time_zone(ModerationQueueReasons::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ModerationQueueReasons::EntryId)
                            .col(ModerationQueueReasons::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ModerationQueueReasons::Table,
                                ModerationQueueReasons::EntryId,
                            )
                            .to(ModerationQueue::Table, ModerationQueue::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The reason filter.
        manager
            .create_index(index(
                "idx_moderation_queue_reasons_code",
                ModerationQueueReasons::Table,
                &[
                    ModerationQueueReasons::Code,
                    ModerationQueueReasons::EntryId,
                ],
                false,
            ))
            .await?;

        // Each entry's append-only history.
        manager
            .create_table(
                Table::create()
                    .table(ModerationQueueEvents::Table)
                    .col(big_pk_auto(ModerationQueueEvents::Id))
                    .col(big_integer(ModerationQueueEvents::EntryId))
                    // Null: the system (rules, flag threshold).
                    .col(big_integer_null(ModerationQueueEvents::ActorId))
                    .col(string_len(ModerationQueueEvents::Kind, 32))
                    .col(text(ModerationQueueEvents::Note).default(""))
                    .col(timestamp_with_time_zone(ModerationQueueEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModerationQueueEvents::Table, ModerationQueueEvents::EntryId)
                            .to(ModerationQueue::Table, ModerationQueue::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut to_user(
                        ModerationQueueEvents::Table,
                        ModerationQueueEvents::ActorId,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_moderation_queue_events_entry",
                ModerationQueueEvents::Table,
                &[ModerationQueueEvents::EntryId, ModerationQueueEvents::Id],
                false,
            ))
            .await?;

        // Flags: one per user per post.
        manager
            .create_table(
                Table::create()
                    .table(ModerationFlags::Table)
                    .col(big_pk_auto(ModerationFlags::Id))
                    .col(big_integer(ModerationFlags::EntryId))
                    .col(big_integer(ModerationFlags::PostId))
                    // post | thread: what the user flagged
                    .col(string_len(ModerationFlags::TargetType, 16))
                    .col(big_integer(ModerationFlags::UserId))
                    // spam | off_topic | inappropriate | privacy | other
                    .col(string_len(ModerationFlags::Reason, 16))
                    .col(text(ModerationFlags::Note).default(""))
                    .col(integer(ModerationFlags::Weight))
                    // open | agreed | declined | ignored
                    .col(string_len(ModerationFlags::Status, 16).default("open"))
                    .col(timestamp_with_time_zone(ModerationFlags::CreatedAt))
                    .col(timestamp_with_time_zone_null(ModerationFlags::ResolvedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModerationFlags::Table, ModerationFlags::EntryId)
                            .to(ModerationQueue::Table, ModerationQueue::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModerationFlags::Table, ModerationFlags::PostId)
                            .to(ForumPosts::Table, ForumPosts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut to_user(
                        ModerationFlags::Table,
                        ModerationFlags::UserId,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "idx_moderation_flags_post_user",
                &[ModerationFlags::PostId, ModerationFlags::UserId][..],
                true,
            ),
            // An entry's flags, and its open ones when deciding.
            (
                "idx_moderation_flags_entry",
                &[
                    ModerationFlags::EntryId,
                    ModerationFlags::Status,
                    ModerationFlags::Id,
                ][..],
                false,
            ),
            (
                "idx_moderation_flags_user",
                &[ModerationFlags::UserId, ModerationFlags::CreatedAt][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, ModerationFlags::Table, cols, unique))
                .await?;
        }

        // The audit log: who did what to which target, why, and when.
        manager
            .create_table(
                Table::create()
                    .table(ModerationAuditLog::Table)
                    .col(big_pk_auto(ModerationAuditLog::Id))
                    // Null: the system (the flag threshold).
                    .col(big_integer_null(ModerationAuditLog::ActorId))
                    .col(string_len(ModerationAuditLog::Action, 32))
                    // post | thread | user
                    .col(string_len(ModerationAuditLog::TargetType, 16))
                    .col(big_integer(ModerationAuditLog::TargetId))
                    .col(text(ModerationAuditLog::Reason).default(""))
                    // JSON object: before/after values, the queue entry.
                    .col(text(ModerationAuditLog::Details).default("{}"))
                    .col(timestamp_with_time_zone(ModerationAuditLog::CreatedAt))
                    .foreign_key(&mut to_user(
                        ModerationAuditLog::Table,
                        ModerationAuditLog::ActorId,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_moderation_audit_actor",
                &[ModerationAuditLog::ActorId, ModerationAuditLog::Id][..],
            ),
            (
                "idx_moderation_audit_target",
                &[
                    ModerationAuditLog::TargetType,
                    ModerationAuditLog::TargetId,
                    ModerationAuditLog::Id,
                ][..],
            ),
            (
                "idx_moderation_audit_action",
                &[ModerationAuditLog::Action, ModerationAuditLog::Id][..],
            ),
            (
                "idx_moderation_audit_created",
                &[ModerationAuditLog::CreatedAt, ModerationAuditLog::Id][..],
            ),
        ] {
            manager
                .create_index(index(name, ModerationAuditLog::Table, cols, false))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ModerationAuditLog::Table.into_iden(),
            ModerationFlags::Table.into_iden(),
            ModerationQueueEvents::Table.into_iden(),
            ModerationQueueReasons::Table.into_iden(),
            ModerationQueue::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
