//! The history of workspace membership: one row per stretch of time a user
//! owned or collaborated on a workspace. `ended_at` null means the stretch
//! is still open. The exemption review's conflict-of-interest rule reads it,
//! so a reviewer who leaves a workspace stays conflicted on the requests made
//! while they were in it. No foreign keys: the history outlives the rows it
//! describes.
//!
//! Existing workspaces are backfilled from their current owner and
//! collaborators, each stretch starting when the listing was created or the
//! collaborator added, so every existing request is judged on its
//! workspace's current membership.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkspaceMemberships {
    Table,
    Id,
    WorkspaceId,
    UserId,
    Role,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    OwnerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WorkspaceCollaborators {
    Table,
    WorkspaceId,
    UserId,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkspaceMemberships::Table)
                    .col(big_pk_auto(WorkspaceMemberships::Id))
                    .col(big_integer(WorkspaceMemberships::WorkspaceId))
                    .col(big_integer(WorkspaceMemberships::UserId))
                    // owner | collaborator
                    .col(string_len(WorkspaceMemberships::Role, 16))
                    .col(timestamp_with_time_zone(WorkspaceMemberships::StartedAt))
                    .col(timestamp_with_time_zone_null(WorkspaceMemberships::EndedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workspace_memberships_workspace_user")
                    .table(WorkspaceMemberships::Table)
                    .col(WorkspaceMemberships::WorkspaceId)
                    .col(WorkspaceMemberships::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workspace_memberships_user")
                    .table(WorkspaceMemberships::Table)
                    .col(WorkspaceMemberships::UserId)
                    .to_owned(),
            )
            .await?;

        // Backfill: owners, then collaborators, as they are now.
        backfill(
            manager,
            Query::select()
                .column(Workspaces::Id)
                .column(Workspaces::OwnerId)
                .expr(Expr::val("owner"))
                .column(Workspaces::CreatedAt)
                .from(Workspaces::Table)
                .to_owned(),
        )
        .await?;
        backfill(
            manager,
            Query::select()
                .column(WorkspaceCollaborators::WorkspaceId)
                .column(WorkspaceCollaborators::UserId)
                .expr(Expr::val("collaborator"))
                .column(WorkspaceCollaborators::AddedAt)
                .from(WorkspaceCollaborators::Table)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WorkspaceMemberships::Table).to_owned())
            .await
    }
}

/// Inserts open stretches from `rows`: workspace, user, role, start.
async fn backfill(manager: &SchemaManager<'_>, rows: SelectStatement) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(WorkspaceMemberships::Table)
        .columns([
            WorkspaceMemberships::WorkspaceId,
            WorkspaceMemberships::UserId,
            WorkspaceMemberships::Role,
            WorkspaceMemberships::StartedAt,
        ])
        .select_from(rows)
        .map_err(|e| DbErr::Migration(e.to_string()))?
        .to_owned();
    manager.exec_stmt(insert).await
}
