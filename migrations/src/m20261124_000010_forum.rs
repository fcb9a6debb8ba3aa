//! The forum: categories, tags, threads, posts and their revisions,
//! reactions, subscriptions, reading state, bookmarks and drafts.
//!
//! Every list the API serves has an index that matches its filter and order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ForumCategories {
    Table,
    Id,
    Name,
    Slug,
    Description,
    Position,
    RequiredRoles,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumTags {
    Table,
    Id,
    Name,
    Description,
    RetiredAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumThreads {
    Table,
    Id,
    CategoryId,
    AuthorId,
    Title,
    FirstPostId,
    PostNumberSeq,
    LastPostNumber,
    ReplyCount,
    ViewCount,
    LikeCount,
    Pinned,
    PinnedAt,
    Locked,
    SolvedPostId,
    ModerationState,
    DeletedAt,
    DeletedBy,
    CreatedAt,
    EditedAt,
    LastActivityAt,
    LastPostId,
    LastPosterId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumThreadTags {
    Table,
    ThreadId,
    TagId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumPosts {
    Table,
    Id,
    ThreadId,
    Number,
    AuthorId,
    ReplyToPostId,
    QuoteText,
    Body,
    BodyHtml,
    LikeCount,
    RevisionCount,
    ModerationState,
    DeletedAt,
    DeletedBy,
    CreatedAt,
    EditedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumPostRevisions {
    Table,
    Id,
    PostId,
    Number,
    EditorId,
    PreviousBody,
    PreviousTitle,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumReactions {
    Table,
    PostId,
    UserId,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumSubscriptions {
    Table,
    UserId,
    TargetType,
    TargetId,
    Level,
    Reason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumReadStates {
    Table,
    UserId,
    ThreadId,
    LastReadPostNumber,
    LastViewedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumBookmarks {
    Table,
    UserId,
    PostId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ForumDrafts {
    Table,
    Id,
    UserId,
    DraftKey,
    Title,
    Body,
    Payload,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
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

fn cascade_to_user<T: IntoIden + 'static>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Categories: listed by position; looked up by slug.
        manager
            .create_table(
                Table::create()
                    .table(ForumCategories::Table)
                    .col(big_pk_auto(ForumCategories::Id))
                    .col(string_len_uniq(ForumCategories::Name, 60))
                    .col(string_len_uniq(ForumCategories::Slug, 60))
                    .col(text(ForumCategories::Description).default(""))
                    .col(integer(ForumCategories::Position).default(0))
                    // Comma-separated roles, any of which may post; empty: everyone.
                    .col(string_len(ForumCategories::RequiredRoles, 100).default(""))
                    .col(timestamp_with_time_zone(ForumCategories::CreatedAt))
                    .col(timestamp_with_time_zone(ForumCategories::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_forum_categories_position",
                ForumCategories::Table,
                &[ForumCategories::Position, ForumCategories::Id],
                false,
            ))
            .await?;

        // Tags: the moderator-managed set.
        manager
            .create_table(
                Table::create()
                    .table(ForumTags::Table)
                    .col(big_pk_auto(ForumTags::Id))
                    .col(string_len_uniq(ForumTags::Name, 32))
                    .col(string_len(ForumTags::Description, 300).default(""))
                    .col(timestamp_with_time_zone_null(ForumTags::RetiredAt))
                    .col(big_integer_null(ForumTags::CreatedBy))
                    .col(timestamp_with_time_zone(ForumTags::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumTags::Table, ForumTags::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        // Threads. first_post_id, last_post_id and solved_post_id point into
        // forum_posts without a foreign key (the two tables refer to each other).
        manager
            .create_table(
                Table::create()
                    .table(ForumThreads::Table)
                    .col(big_pk_auto(ForumThreads::Id))
                    .col(big_integer(ForumThreads::CategoryId))
                    .col(big_integer(ForumThreads::AuthorId))
                    .col(string_len(ForumThreads::Title, 300))
                    .col(big_integer_null(ForumThreads::FirstPostId))
                    // The highest post number ever given out in the thread.
                    .col(integer(ForumThreads::PostNumberSeq).default(0))
                    // The number of the latest post everyone can read.
                    .col(integer(ForumThreads::LastPostNumber).default(0))
                    .col(integer(ForumThreads::ReplyCount).default(0))
                    .col(big_integer(ForumThreads::ViewCount).default(0))
                    .col(integer(ForumThreads::LikeCount).default(0))
                    .col(boolean(ForumThreads::Pinned).default(false))
                    .col(timestamp_with_time_zone_null(ForumThreads::PinnedAt))
                    .col(boolean(ForumThreads::Locked).default(false))
                    .col(big_integer_null(ForumThreads::SolvedPostId))
                    .col(string_len(ForumThreads::ModerationState, 16).default("visible"))
                    .col(timestamp_with_time_zone_null(ForumThreads::DeletedAt))
                    .col(big_integer_null(ForumThreads::DeletedBy))
                    .col(timestamp_with_time_zone(ForumThreads::CreatedAt))
                    .col(timestamp_with_time_zone_null(ForumThreads::EditedAt))
                    .col(timestamp_with_time_zone(ForumThreads::LastActivityAt))
                    .col(big_integer_null(ForumThreads::LastPostId))
                    .col(big_integer_null(ForumThreads::LastPosterId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumThreads::Table, ForumThreads::CategoryId)
                            .to(ForumCategories::Table, ForumCategories::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumThreads::Table, ForumThreads::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // Latest, everywhere.
            (
                "idx_forum_threads_activity",
                &[ForumThreads::LastActivityAt, ForumThreads::Id][..],
            ),
            // Latest in a category: pinned first.
            (
                "idx_forum_threads_category_activity",
                &[
                    ForumThreads::CategoryId,
                    ForumThreads::Pinned,
                    ForumThreads::LastActivityAt,
                    ForumThreads::Id,
                ][..],
            ),
            // Top by period.
            (
                "idx_forum_threads_created",
                &[ForumThreads::CreatedAt, ForumThreads::Id][..],
            ),
            // A user's threads; the first-posts rule of moderation.
            (
                "idx_forum_threads_author",
                &[ForumThreads::AuthorId, ForumThreads::CreatedAt][..],
            ),
        ] {
            manager
                .create_index(index(name, ForumThreads::Table, cols, false))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ForumThreadTags::Table)
                    .col(big_integer(ForumThreadTags::ThreadId))
                    .col(big_integer(ForumThreadTags::TagId))
                    .primary_key(
                        Index::create()
                            .col(ForumThreadTags::ThreadId)
                            .col(ForumThreadTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumThreadTags::Table, ForumThreadTags::ThreadId)
                            .to(ForumThreads::Table, ForumThreads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumThreadTags::Table, ForumThreadTags::TagId)
                            .to(ForumTags::Table, ForumTags::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Threads by tag.
        manager
            .create_index(index(
                "idx_forum_thread_tags_tag",
                ForumThreadTags::Table,
                &[ForumThreadTags::TagId, ForumThreadTags::ThreadId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumPosts::Table)
                    .col(big_pk_auto(ForumPosts::Id))
                    .col(big_integer(ForumPosts::ThreadId))
                    // 1 is the thread's opening post.
                    .col(integer(ForumPosts::Number))
                    .col(big_integer(ForumPosts::AuthorId))
                    .col(big_integer_null(ForumPosts::ReplyToPostId))
                    .col(text_null(ForumPosts::QuoteText))
                    .col(text(ForumPosts::Body))
                    .col(text(ForumPosts::BodyHtml))
                    .col(integer(ForumPosts::LikeCount).default(0))
                    .col(integer(ForumPosts::RevisionCount).default(0))
                    .col(string_len(ForumPosts::ModerationState, 16).default("visible"))
                    .col(timestamp_with_time_zone_null(ForumPosts::DeletedAt))
                    .col(big_integer_null(ForumPosts::DeletedBy))
                    .col(timestamp_with_time_zone(ForumPosts::CreatedAt))
                    .col(timestamp_with_time_zone_null(ForumPosts::EditedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumPosts::Table, ForumPosts::ThreadId)
                            .to(ForumThreads::Table, ForumThreads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumPosts::Table, ForumPosts::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumPosts::Table, ForumPosts::ReplyToPostId)
                            .to(ForumPosts::Table, ForumPosts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A thread's posts in order; unread counts (number > last read).
        manager
            .create_index(index(
                "idx_forum_posts_thread_number",
                ForumPosts::Table,
                &[ForumPosts::ThreadId, ForumPosts::Number],
                true,
            ))
            .await?;
        // A user's posts (profiles, first-posts rule).
        manager
            .create_index(index(
                "idx_forum_posts_author",
                ForumPosts::Table,
                &[ForumPosts::AuthorId, ForumPosts::CreatedAt],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_forum_posts_reply_to",
                ForumPosts::Table,
                &[ForumPosts::ReplyToPostId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumPostRevisions::Table)
                    .col(big_pk_auto(ForumPostRevisions::Id))
                    .col(big_integer(ForumPostRevisions::PostId))
                    .col(integer(ForumPostRevisions::Number))
                    .col(big_integer(ForumPostRevisions::EditorId))
                    .col(text(ForumPostRevisions::PreviousBody))
                    .col(string_len_null(ForumPostRevisions::PreviousTitle, 300))
                    .col(string_len(ForumPostRevisions::Reason, 300).default(""))
                    .col(timestamp_with_time_zone(ForumPostRevisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumPostRevisions::Table, ForumPostRevisions::PostId)
                            .to(ForumPosts::Table, ForumPosts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumPostRevisions::Table, ForumPostRevisions::EditorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_forum_post_revisions_post",
                ForumPostRevisions::Table,
                &[ForumPostRevisions::PostId, ForumPostRevisions::Number],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumReactions::Table)
                    .col(big_integer(ForumReactions::PostId))
                    .col(big_integer(ForumReactions::UserId))
                    .col(string_len(ForumReactions::Kind, 16).default("like"))
                    .col(timestamp_with_time_zone(ForumReactions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ForumReactions::PostId)
                            .col(ForumReactions::UserId)
                            .col(ForumReactions::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumReactions::Table, ForumReactions::PostId)
                            .to(ForumPosts::Table, ForumPosts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut cascade_to_user(
                        ForumReactions::Table,
                        ForumReactions::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // "Liked by me" for a page of posts.
        manager
            .create_index(index(
                "idx_forum_reactions_user",
                ForumReactions::Table,
                &[ForumReactions::UserId, ForumReactions::PostId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumSubscriptions::Table)
                    .col(big_integer(ForumSubscriptions::UserId))
                    // thread | category | tag
                    .col(string_len(ForumSubscriptions::TargetType, 16))
                    .col(big_integer(ForumSubscriptions::TargetId))
                    // watching | normal | muted
                    .col(string_len(ForumSubscriptions::Level, 16))
                    // manual | created | replied
                    .col(string_len(ForumSubscriptions::Reason, 16).default("manual"))
                    .col(timestamp_with_time_zone(ForumSubscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(ForumSubscriptions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ForumSubscriptions::UserId)
                            .col(ForumSubscriptions::TargetType)
                            .col(ForumSubscriptions::TargetId),
                    )
                    .foreign_key(&mut cascade_to_user(
                        ForumSubscriptions::Table,
                        ForumSubscriptions::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // Fan-out: who watches this thread, category or tag.
        manager
            .create_index(index(
                "idx_forum_subscriptions_target",
                ForumSubscriptions::Table,
                &[
                    ForumSubscriptions::TargetType,
                    ForumSubscriptions::TargetId,
                    ForumSubscriptions::Level,
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumReadStates::Table)
                    .col(big_integer(ForumReadStates::UserId))
                    .col(big_integer(ForumReadStates::ThreadId))
                    .col(integer(ForumReadStates::LastReadPostNumber).default(0))
                    .col(timestamp_with_time_zone(ForumReadStates::LastViewedAt))
                    .col(timestamp_with_time_zone(ForumReadStates::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ForumReadStates::UserId)
                            .col(ForumReadStates::ThreadId),
                    )
                    .foreign_key(&mut cascade_to_user(
                        ForumReadStates::Table,
                        ForumReadStates::UserId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumReadStates::Table, ForumReadStates::ThreadId)
                            .to(ForumThreads::Table, ForumThreads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_forum_read_states_thread",
                ForumReadStates::Table,
                &[ForumReadStates::ThreadId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumBookmarks::Table)
                    .col(big_integer(ForumBookmarks::UserId))
                    .col(big_integer(ForumBookmarks::PostId))
                    .col(timestamp_with_time_zone(ForumBookmarks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ForumBookmarks::UserId)
                            .col(ForumBookmarks::PostId),
                    )
                    .foreign_key(&mut cascade_to_user(
                        ForumBookmarks::Table,
                        ForumBookmarks::UserId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumBookmarks::Table, ForumBookmarks::PostId)
                            .to(ForumPosts::Table, ForumPosts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The viewer's bookmarks, newest first.
        manager
            .create_index(index(
                "idx_forum_bookmarks_user_created",
                ForumBookmarks::Table,
                &[ForumBookmarks::UserId, ForumBookmarks::CreatedAt],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_forum_bookmarks_post",
                ForumBookmarks::Table,
                &[ForumBookmarks::PostId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumDrafts::Table)
                    .col(big_pk_auto(ForumDrafts::Id))
                    .col(big_integer(ForumDrafts::UserId))
                    // new_thread | reply:<thread id> | edit:<post id>
                    .col(string_len(ForumDrafts::DraftKey, 64))
                    .col(string_len(ForumDrafts::Title, 300).default(""))
                    .col(text(ForumDrafts::Body))
                    // JSON: category, tags, reply-to post, quote.
                    .col(text(ForumDrafts::Payload).default("{}"))
                    .col(integer(ForumDrafts::Version).default(1))
                    .col(timestamp_with_time_zone(ForumDrafts::UpdatedAt))
                    .foreign_key(&mut cascade_to_user(
                        ForumDrafts::Table,
                        ForumDrafts::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_forum_drafts_user_key",
                ForumDrafts::Table,
                &[ForumDrafts::UserId, ForumDrafts::DraftKey],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_forum_drafts_user_updated",
                ForumDrafts::Table,
                &[ForumDrafts::UserId, ForumDrafts::UpdatedAt],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ForumDrafts::Table.into_iden(),
            ForumBookmarks::Table.into_iden(),
            ForumReadStates::Table.into_iden(),
            ForumSubscriptions::Table.into_iden(),
            ForumReactions::Table.into_iden(),
            ForumPostRevisions::Table.into_iden(),
            ForumPosts::Table.into_iden(),
            ForumThreadTags::Table.into_iden(),
            ForumThreads::Table.into_iden(),
            ForumTags::Table.into_iden(),
            ForumCategories::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
