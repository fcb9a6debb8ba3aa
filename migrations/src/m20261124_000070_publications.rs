//! Publication and presentation reports: the report, its co-authors, the
//! workspaces it used, and the history of its status changes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PublicationReports {
    Table,
    Id,
    FilerId,
    LeadAuthorId,
    OutputType,
    Title,
    Summary,
    SummaryHtml,
    Venue,
    SubmissionDate,
    PresentationDate,
    PublicationDate,
    /// The date the work first appears (computed on write); drives the late
    /// flag, the date filters and the "date passed" reminder.
    DueDate,
    Tier,
    CdrVersion,
    Status,
    FiledAt,
    Late,
    DaysNotice,
    StatusChangedAt,
    PublishedAt,
    EmbargoUntil,
    Doi,
    Pmcid,
    Url,
    /// A dissemination exemption request; deliberately without a foreign key.
    ExemptionRequestId,
    AcknowledgementIncluded,
    DataAvailabilityIncluded,
    CompliesWithPolicy,
    DataAvailabilityStatement,
    DateReminderFor,
    IdentifierRemindedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PublicationReportCoauthors {
    Table,
    Id,
    ReportId,
    Position,
    UserId,
    Name,
    Affiliation,
}

#[derive(DeriveIden)]
enum PublicationReportWorkspaces {
    Table,
    Id,
    ReportId,
    Position,
    WorkspaceId,
    Namespace,
}

#[derive(DeriveIden)]
enum PublicationReportStatusChanges {
    Table,
    Id,
    ReportId,
    ActorId,
    FromStatus,
    ToStatus,
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
                    .table(PublicationReports::Table)
                    .col(big_pk_auto(PublicationReports::Id))
                    .col(big_integer(PublicationReports::FilerId))
                    .col(big_integer(PublicationReports::LeadAuthorId))
                    .col(string_len(PublicationReports::OutputType, 32))
                    .col(string_len(PublicationReports::Title, 500))
                    .col(text(PublicationReports::Summary).default(""))
                    .col(text(PublicationReports::SummaryHtml).default(""))
                    .col(string_len(PublicationReports::Venue, 300).default(""))
                    .col(date_null(PublicationReports::SubmissionDate))
                    .col(date_null(PublicationReports::PresentationDate))
                    .col(date_null(PublicationReports::PublicationDate))
                    .col(date_null(PublicationReports::DueDate))
                    .col(string_len_null(PublicationReports::Tier, 16))
                    .col(string_len(PublicationReports::CdrVersion, 32).default(""))
                    .col(string_len(PublicationReports::Status, 16).default("planned"))
                    .col(timestamp_with_time_zone_null(PublicationReports::FiledAt))
                    .col(boolean(PublicationReports::Late).default(false))
                    .col(integer_null(PublicationReports::DaysNotice))
                    .col(timestamp_with_time_zone_null(
                        PublicationReports::StatusChangedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PublicationReports::PublishedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PublicationReports::EmbargoUntil,
                    ))
                    .col(string_len_null(PublicationReports::Doi, 300))
                    .col(string_len_null(PublicationReports::Pmcid, 20))
                    .col(string_len_null(PublicationReports::Url, 2000))
                    .col(big_integer_null(PublicationReports::ExemptionRequestId))
                    .col(boolean(PublicationReports::AcknowledgementIncluded).default(false))
                    .col(boolean(PublicationReports::DataAvailabilityIncluded).default(false))
                    .col(boolean(PublicationReports::CompliesWithPolicy).default(false))
                    .col(text(PublicationReports::DataAvailabilityStatement).default(""))
                    .col(date_null(PublicationReports::DateReminderFor))
                    .col(timestamp_with_time_zone_null(
                        PublicationReports::IdentifierRemindedAt,
                    ))
                    .col(timestamp_with_time_zone(PublicationReports::CreatedAt))
                    .col(timestamp_with_time_zone(PublicationReports::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PublicationReports::Table, PublicationReports::FilerId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PublicationReports::Table, PublicationReports::LeadAuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // "My reports".
            (
                "idx_publication_reports_filer",
                vec![PublicationReports::FilerId, PublicationReports::Id],
            ),
            (
                "idx_publication_reports_lead",
                vec![PublicationReports::LeadAuthorId, PublicationReports::Id],
            ),
            // Staff filters by status and date; the "date passed" scan.
            (
                "idx_publication_reports_status_due",
                vec![PublicationReports::Status, PublicationReports::DueDate],
            ),
            (
                "idx_publication_reports_due",
                vec![PublicationReports::DueDate],
            ),
            // The community list and the missing-identifier scan.
            (
                "idx_publication_reports_status_published",
                vec![PublicationReports::Status, PublicationReports::PublishedAt],
            ),
            // The staff list: filed reports, newest first.
            (
                "idx_publication_reports_filed",
                vec![PublicationReports::FiledAt, PublicationReports::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(PublicationReports::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PublicationReportCoauthors::Table)
                    .col(big_pk_auto(PublicationReportCoauthors::Id))
                    .col(big_integer(PublicationReportCoauthors::ReportId))
                    .col(integer(PublicationReportCoauthors::Position))
                    .col(big_integer_null(PublicationReportCoauthors::UserId))
                    .col(string_len(PublicationReportCoauthors::Name, 200).default(""))
                    .col(string_len(PublicationReportCoauthors::Affiliation, 300).default(""))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PublicationReportCoauthors::Table,
                                PublicationReportCoauthors::ReportId,
                            )
                            .to(PublicationReports::Table, PublicationReports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PublicationReportCoauthors::Table,
                                PublicationReportCoauthors::UserId,
                            )
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_publication_report_coauthors_report")
                    .table(PublicationReportCoauthors::Table)
                    .col(PublicationReportCoauthors::ReportId)
                    .col(PublicationReportCoauthors::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_publication_report_coauthors_user")
                    .table(PublicationReportCoauthors::Table)
                    .col(PublicationReportCoauthors::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PublicationReportWorkspaces::Table)
                    .col(big_pk_auto(PublicationReportWorkspaces::Id))
                    .col(big_integer(PublicationReportWorkspaces::ReportId))
                    .col(integer(PublicationReportWorkspaces::Position))
                    .col(big_integer_null(PublicationReportWorkspaces::WorkspaceId))
                    // The Workbench namespace; copied from the listing when linked.
                    .col(string_len(PublicationReportWorkspaces::Namespace, 100))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PublicationReportWorkspaces::Table,
                                PublicationReportWorkspaces::ReportId,
                            )
                            .to(PublicationReports::Table, PublicationReports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PublicationReportWorkspaces::Table,
                                PublicationReportWorkspaces::WorkspaceId,
                            )
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_publication_report_workspaces_report")
                    .table(PublicationReportWorkspaces::Table)
                    .col(PublicationReportWorkspaces::ReportId)
                    .col(PublicationReportWorkspaces::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_publication_report_workspaces_workspace")
                    .table(PublicationReportWorkspaces::Table)
                    .col(PublicationReportWorkspaces::WorkspaceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PublicationReportStatusChanges::Table)
                    .col(big_pk_auto(PublicationReportStatusChanges::Id))
                    .col(big_integer(PublicationReportStatusChanges::ReportId))
                    .col(big_integer(PublicationReportStatusChanges::ActorId))
                    .col(string_len_null(
                        PublicationReportStatusChanges::FromStatus,
                        16,
                    ))
                    .col(string_len(PublicationReportStatusChanges::ToStatus, 16))
                    .col(timestamp_with_time_zone(
                        PublicationReportStatusChanges::CreatedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PublicationReportStatusChanges::Table,
                                PublicationReportStatusChanges::ReportId,
                            )
                            .to(PublicationReports::Table, PublicationReports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PublicationReportStatusChanges::Table,
                                PublicationReportStatusChanges::ActorId,
                            )
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_publication_report_status_changes_report")
                    .table(PublicationReportStatusChanges::Table)
                    .col(PublicationReportStatusChanges::ReportId)
                    .col(PublicationReportStatusChanges::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PublicationReportStatusChanges::Table.into_iden(),
            PublicationReportWorkspaces::Table.into_iden(),
            PublicationReportCoauthors::Table.into_iden(),
            PublicationReports::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
