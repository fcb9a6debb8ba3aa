//! Community workspace listings, their collaborators, data types, tags and
//! revisions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    Name,
    Namespace,
    OwnerId,
    IntendedStudy,
    IntendedStudyHtml,
    ScientificApproach,
    ScientificApproachHtml,
    AnticipatedFindings,
    AnticipatedFindingsHtml,
    DiseaseFocused,
    Disease,
    MethodsDevelopment,
    PopulationHealth,
    SocialBehavioral,
    Ancestry,
    DrugDevelopment,
    Educational,
    OtherPurpose,
    OtherPurposeText,
    Tier,
    CdrVersion,
    FeaturedCategory,
    PublishedAt,
    ConsentedAt,
    ConsentedBy,
    DuplicateCount,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WorkspaceCollaborators {
    Table,
    WorkspaceId,
    UserId,
    AddedAt,
}

#[derive(DeriveIden)]
enum WorkspaceDataTypes {
    Table,
    WorkspaceId,
    DataType,
}

#[derive(DeriveIden)]
enum WorkspaceTags {
    Table,
    WorkspaceId,
    Tag,
}

#[derive(DeriveIden)]
enum WorkspaceRevisions {
    Table,
    Id,
    WorkspaceId,
    EditorId,
    Version,
    Snapshot,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Workspaces::Table)
                    .col(big_pk_auto(Workspaces::Id))
                    .col(string_len(Workspaces::Name, 200))
                    // The Workbench namespace, e.g. `aou-rw-1234abcd`.
                    .col(string_len_uniq(Workspaces::Namespace, 100))
                    .col(big_integer(Workspaces::OwnerId))
                    .col(text(Workspaces::IntendedStudy).default(""))
                    .col(text(Workspaces::IntendedStudyHtml).default(""))
                    .col(text(Workspaces::ScientificApproach).default(""))
                    .col(text(Workspaces::ScientificApproachHtml).default(""))
                    .col(text(Workspaces::AnticipatedFindings).default(""))
                    .col(text(Workspaces::AnticipatedFindingsHtml).default(""))
                    .col(boolean(Workspaces::DiseaseFocused).default(false))
                    .col(string_len(Workspaces::Disease, 200).default(""))
                    .col(boolean(Workspaces::MethodsDevelopment).default(false))
                    .col(boolean(Workspaces::PopulationHealth).default(false))
                    .col(boolean(Workspaces::SocialBehavioral).default(false))
                    .col(boolean(Workspaces::Ancestry).default(false))
                    .col(boolean(Workspaces::DrugDevelopment).default(false))
                    .col(boolean(Workspaces::Educational).default(false))
                    .col(boolean(Workspaces::OtherPurpose).default(false))
                    .col(string_len(Workspaces::OtherPurposeText, 500).default(""))
                    .col(string_len(Workspaces::Tier, 16).default("registered"))
                    .col(string_len(Workspaces::CdrVersion, 32))
                    .col(string_len_null(Workspaces::FeaturedCategory, 32))
                    .col(timestamp_with_time_zone_null(Workspaces::PublishedAt))
                    .col(timestamp_with_time_zone_null(Workspaces::ConsentedAt))
                    .col(big_integer_null(Workspaces::ConsentedBy))
                    .col(integer(Workspaces::DuplicateCount).default(0))
                    .col(integer(Workspaces::Version).default(1))
                    .col(timestamp_with_time_zone(Workspaces::CreatedAt))
                    .col(timestamp_with_time_zone(Workspaces::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Workspaces::Table, Workspaces::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_workspaces_owner", vec![Workspaces::OwnerId]),
            (
                "idx_workspaces_published",
                vec![Workspaces::PublishedAt, Workspaces::Tier],
            ),
            (
                "idx_workspaces_featured",
                vec![Workspaces::FeaturedCategory],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Workspaces::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(WorkspaceCollaborators::Table)
                    .col(big_integer(WorkspaceCollaborators::WorkspaceId))
                    .col(big_integer(WorkspaceCollaborators::UserId))
                    .col(timestamp_with_time_zone(WorkspaceCollaborators::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(WorkspaceCollaborators::WorkspaceId)
                            .col(WorkspaceCollaborators::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WorkspaceCollaborators::Table,
                                WorkspaceCollaborators::WorkspaceId,
                            )
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WorkspaceCollaborators::Table,
                                WorkspaceCollaborators::UserId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workspace_collaborators_user")
                    .table(WorkspaceCollaborators::Table)
                    .col(WorkspaceCollaborators::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WorkspaceDataTypes::Table)
                    .col(big_integer(WorkspaceDataTypes::WorkspaceId))
                    .col(string_len(WorkspaceDataTypes::DataType, 32))
                    .primary_key(
                        Index::create()
                            .col(WorkspaceDataTypes::WorkspaceId)
                            .col(WorkspaceDataTypes::DataType),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkspaceDataTypes::Table, WorkspaceDataTypes::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workspace_data_types_type")
                    .table(WorkspaceDataTypes::Table)
                    .col(WorkspaceDataTypes::DataType)
                    .col(WorkspaceDataTypes::WorkspaceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WorkspaceTags::Table)
                    .col(big_integer(WorkspaceTags::WorkspaceId))
                    .col(string_len(WorkspaceTags::Tag, 48))
                    .primary_key(
                        Index::create()
                            .col(WorkspaceTags::WorkspaceId)
                            .col(WorkspaceTags::Tag),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkspaceTags::Table, WorkspaceTags::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workspace_tags_tag")
                    .table(WorkspaceTags::Table)
                    .col(WorkspaceTags::Tag)
                    .col(WorkspaceTags::WorkspaceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WorkspaceRevisions::Table)
                    .col(big_pk_auto(WorkspaceRevisions::Id))
                    .col(big_integer(WorkspaceRevisions::WorkspaceId))
                    .col(big_integer(WorkspaceRevisions::EditorId))
                    .col(integer(WorkspaceRevisions::Version))
                    // JSON of the listing's editable fields before the edit.
                    .col(text(WorkspaceRevisions::Snapshot))
                    .col(timestamp_with_time_zone(WorkspaceRevisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkspaceRevisions::Table, WorkspaceRevisions::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workspace_revisions_workspace")
                    .table(WorkspaceRevisions::Table)
                    .col(WorkspaceRevisions::WorkspaceId)
                    .col(WorkspaceRevisions::Version)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WorkspaceRevisions::Table.into_iden(),
            WorkspaceTags::Table.into_iden(),
            WorkspaceDataTypes::Table.into_iden(),
            WorkspaceCollaborators::Table.into_iden(),
            Workspaces::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
