//! Data and Statistics Dissemination Exemption requests: the requests, their
//! append-only history, and the approval votes of each review round.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExemptionRequests {
    Table,
    Id,
    RequesterId,
    WorkspaceId,
    Title,
    Dissemination,
    DisseminationHtml,
    Cells,
    Justification,
    JustificationHtml,
    Venue,
    PublicationReportId,
    NeededBy,
    State,
    Version,
    Round,
    ApprovalsRequired,
    AssigneeId,
    QueuedAt,
    SubmittedAt,
    ClockStartedAt,
    DueAt,
    RemindedDueAt,
    DecidedAt,
    DecidedVersion,
    DecisionNote,
    DecisionNoteHtml,
    AppealedAt,
    AppealReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExemptionEvents {
    Table,
    Id,
    RequestId,
    ActorId,
    Kind,
    FromState,
    ToState,
    Comment,
    CommentHtml,
    Internal,
    RequestVersion,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExemptionApprovals {
    Table,
    Id,
    RequestId,
    Round,
    ReviewerId,
    RequestVersion,
    Conditions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExemptionRequests::Table)
                    .col(big_pk_auto(ExemptionRequests::Id))
                    .col(big_integer(ExemptionRequests::RequesterId))
                    .col(big_integer(ExemptionRequests::WorkspaceId))
                    .col(string_len(ExemptionRequests::Title, 200))
                    .col(text(ExemptionRequests::Dissemination).default(""))
                    .col(text(ExemptionRequests::DisseminationHtml).default(""))
                    // JSON array of {description, countMin, countMax, whyNotSuppressed}.
                    .col(text(ExemptionRequests::Cells).default("[]"))
                    .col(text(ExemptionRequests::Justification).default(""))
                    .col(text(ExemptionRequests::JustificationHtml).default(""))
                    .col(string_len(ExemptionRequests::Venue, 300).default(""))
                    // Links a publication report; no foreign key, so the two
                    // domains can evolve (and be deleted) independently.
                    .col(big_integer_null(ExemptionRequests::PublicationReportId))
                    .col(date(ExemptionRequests::NeededBy))
                    .col(string_len(ExemptionRequests::State, 32))
                    .col(integer(ExemptionRequests::Version).default(1))
                    .col(integer(ExemptionRequests::Round).default(0))
                    .col(integer(ExemptionRequests::ApprovalsRequired).default(1))
                    .col(big_integer_null(ExemptionRequests::AssigneeId))
                    .col(timestamp_with_time_zone(ExemptionRequests::QueuedAt))
                    .col(timestamp_with_time_zone_null(
                        ExemptionRequests::SubmittedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        ExemptionRequests::ClockStartedAt,
                    ))
                    .col(timestamp_with_time_zone_null(ExemptionRequests::DueAt))
                    .col(timestamp_with_time_zone_null(
                        ExemptionRequests::RemindedDueAt,
                    ))
                    .col(timestamp_with_time_zone_null(ExemptionRequests::DecidedAt))
                    .col(integer_null(ExemptionRequests::DecidedVersion))
                    .col(text(ExemptionRequests::DecisionNote).default(""))
                    .col(text(ExemptionRequests::DecisionNoteHtml).default(""))
                    .col(timestamp_with_time_zone_null(ExemptionRequests::AppealedAt))
                    .col(text(ExemptionRequests::AppealReason).default(""))
                    .col(timestamp_with_time_zone(ExemptionRequests::CreatedAt))
                    .col(timestamp_with_time_zone(ExemptionRequests::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionRequests::Table, ExemptionRequests::RequesterId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionRequests::Table, ExemptionRequests::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionRequests::Table, ExemptionRequests::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // "My requests", newest first.
            (
                "idx_exemption_requests_requester",
                vec![ExemptionRequests::RequesterId, ExemptionRequests::Id],
            ),
            // The queue: by state, then needed-by date, then age.
            (
                "idx_exemption_requests_queue",
                vec![
                    ExemptionRequests::State,
                    ExemptionRequests::NeededBy,
                    ExemptionRequests::QueuedAt,
                    ExemptionRequests::Id,
                ],
            ),
            (
                "idx_exemption_requests_workspace",
                vec![ExemptionRequests::WorkspaceId, ExemptionRequests::State],
            ),
            (
                "idx_exemption_requests_assignee",
                vec![ExemptionRequests::AssigneeId, ExemptionRequests::State],
            ),
            // Overdue filter, overdue count and the reminder scan.
            (
                "idx_exemption_requests_due",
                vec![ExemptionRequests::State, ExemptionRequests::DueAt],
            ),
            // "Linked exemption" lookups from publication reports.
            (
                "idx_exemption_requests_publication_report",
                vec![ExemptionRequests::PublicationReportId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ExemptionRequests::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ExemptionEvents::Table)
                    .col(big_pk_auto(ExemptionEvents::Id))
                    .col(big_integer(ExemptionEvents::RequestId))
                    .col(big_integer_null(ExemptionEvents::ActorId))
                    .col(string_len(ExemptionEvents::Kind, 32))
                    .col(string_len_null(ExemptionEvents::FromState, 32))
                    .col(string_len(ExemptionEvents::ToState, 32))
                    .col(text(ExemptionEvents::Comment).default(""))
                    .col(text(ExemptionEvents::CommentHtml).default(""))
                    .col(boolean(ExemptionEvents::Internal).default(false))
                    .col(integer(ExemptionEvents::RequestVersion))
                    .col(timestamp_with_time_zone(ExemptionEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionEvents::Table, ExemptionEvents::RequestId)
                            .to(ExemptionRequests::Table, ExemptionRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionEvents::Table, ExemptionEvents::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The history of one request, in order; also who denied it.
        manager
            .create_index(
                Index::create()
                    .name("idx_exemption_events_request")
                    .table(ExemptionEvents::Table)
                    .col(ExemptionEvents::RequestId)
                    .col(ExemptionEvents::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExemptionApprovals::Table)
                    .col(big_pk_auto(ExemptionApprovals::Id))
                    .col(big_integer(ExemptionApprovals::RequestId))
                    .col(integer(ExemptionApprovals::Round))
                    .col(big_integer(ExemptionApprovals::ReviewerId))
                    .col(integer(ExemptionApprovals::RequestVersion))
                    .col(text(ExemptionApprovals::Conditions).default(""))
                    .col(timestamp_with_time_zone(ExemptionApprovals::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionApprovals::Table, ExemptionApprovals::RequestId)
                            .to(ExemptionRequests::Table, ExemptionRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExemptionApprovals::Table, ExemptionApprovals::ReviewerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One vote per reviewer per round: the second approval must come
        // from a different person.
        manager
            .create_index(
                Index::create()
                    .name("idx_exemption_approvals_reviewer")
                    .table(ExemptionApprovals::Table)
                    .col(ExemptionApprovals::RequestId)
                    .col(ExemptionApprovals::Round)
                    .col(ExemptionApprovals::ReviewerId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExemptionApprovals::Table.into_iden(),
            ExemptionEvents::Table.into_iden(),
            ExemptionRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
