//! Researcher profiles and their terms, collaboration requests and the
//! message threads they open, and the consent recorded when a workspace is
//! published.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ResearcherProfiles {
    Table,
    UserId,
    ResearchInterests,
    LookingFor,
    OpenToCollaborate,
    Orcid,
    CareerStage,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProfileTerms {
    Table,
    UserId,
    /// expertise | method | seeking
    Kind,
    TermKey,
    Term,
}

#[derive(DeriveIden)]
enum CollaborationRequests {
    Table,
    Id,
    SenderId,
    RecipientId,
    Message,
    Status,
    SenderSharesEmail,
    RecipientSharesEmail,
    PendingKey,
    CreatedAt,
    RespondedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CollaborationMessages {
    Table,
    Id,
    RequestId,
    SenderId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WorkspaceConsents {
    Table,
    Id,
    WorkspaceId,
    UserId,
    NoHarmfulLanguage,
    ContactInfoInDescription,
    CollaboratorsAgreed,
    WorkspaceVersion,
    ConsentedAt,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResearcherProfiles::Table)
                    .col(
                        big_integer(ResearcherProfiles::UserId)
                            .primary_key()
                            .to_owned(),
                    )
                    .col(text(ResearcherProfiles::ResearchInterests).default(""))
                    .col(text(ResearcherProfiles::LookingFor).default(""))
                    .col(boolean(ResearcherProfiles::OpenToCollaborate).default(false))
                    .col(string_len_null(ResearcherProfiles::Orcid, 19))
                    .col(string_len_null(ResearcherProfiles::CareerStage, 32))
                    .col(timestamp_with_time_zone(ResearcherProfiles::CreatedAt))
                    .col(timestamp_with_time_zone(ResearcherProfiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ResearcherProfiles::Table, ResearcherProfiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Matching starts from the open profiles.
        index(
            manager,
            "idx_researcher_profiles_open",
            ResearcherProfiles::Table,
            vec![
                ResearcherProfiles::OpenToCollaborate.into_iden(),
                ResearcherProfiles::UserId.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProfileTerms::Table)
                    .col(big_integer(ProfileTerms::UserId))
                    .col(string_len(ProfileTerms::Kind, 16))
                    .col(string_len(ProfileTerms::TermKey, 64))
                    .col(string_len(ProfileTerms::Term, 64))
                    .primary_key(
                        Index::create()
                            .col(ProfileTerms::UserId)
                            .col(ProfileTerms::Kind)
                            .col(ProfileTerms::TermKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProfileTerms::Table, ProfileTerms::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "Who has GWAS?": researchers by term.
        index(
            manager,
            "idx_profile_terms_term",
            ProfileTerms::Table,
            vec![
                ProfileTerms::Kind.into_iden(),
                ProfileTerms::TermKey.into_iden(),
                ProfileTerms::UserId.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CollaborationRequests::Table)
                    .col(big_pk_auto(CollaborationRequests::Id))
                    .col(big_integer(CollaborationRequests::SenderId))
                    .col(big_integer(CollaborationRequests::RecipientId))
                    .col(text(CollaborationRequests::Message))
                    .col(string_len(CollaborationRequests::Status, 16))
                    .col(boolean(CollaborationRequests::SenderSharesEmail).default(false))
                    .col(boolean(CollaborationRequests::RecipientSharesEmail).default(false))
                    // `low:high` user ids while pending, NULL otherwise: at most
                    // one pending request between two people, in either
                    // direction, even under concurrent sends.
                    .col(string_len_uniq(CollaborationRequests::PendingKey, 64).null())
                    .col(timestamp_with_time_zone(CollaborationRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        CollaborationRequests::RespondedAt,
                    ))
                    .col(timestamp_with_time_zone(CollaborationRequests::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CollaborationRequests::Table,
                                CollaborationRequests::SenderId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CollaborationRequests::Table,
                                CollaborationRequests::RecipientId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_collaboration_requests_recipient",
            CollaborationRequests::Table,
            vec![
                CollaborationRequests::RecipientId.into_iden(),
                CollaborationRequests::Id.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "idx_collaboration_requests_sender",
            CollaborationRequests::Table,
            vec![
                CollaborationRequests::SenderId.into_iden(),
                CollaborationRequests::RecipientId.into_iden(),
                CollaborationRequests::Id.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CollaborationMessages::Table)
                    .col(big_pk_auto(CollaborationMessages::Id))
                    .col(big_integer(CollaborationMessages::RequestId))
                    .col(big_integer(CollaborationMessages::SenderId))
                    .col(text(CollaborationMessages::Body))
                    .col(timestamp_with_time_zone(CollaborationMessages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CollaborationMessages::Table,
                                CollaborationMessages::RequestId,
                            )
                            .to(CollaborationRequests::Table, CollaborationRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CollaborationMessages::Table,
                                CollaborationMessages::SenderId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_collaboration_messages_request",
            CollaborationMessages::Table,
            vec![
                CollaborationMessages::RequestId.into_iden(),
                CollaborationMessages::Id.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WorkspaceConsents::Table)
                    .col(big_pk_auto(WorkspaceConsents::Id))
                    .col(big_integer(WorkspaceConsents::WorkspaceId))
                    .col(big_integer(WorkspaceConsents::UserId))
                    .col(boolean(WorkspaceConsents::NoHarmfulLanguage))
                    .col(boolean(WorkspaceConsents::ContactInfoInDescription))
                    .col(boolean(WorkspaceConsents::CollaboratorsAgreed))
                    .col(integer(WorkspaceConsents::WorkspaceVersion))
                    .col(timestamp_with_time_zone(WorkspaceConsents::ConsentedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkspaceConsents::Table, WorkspaceConsents::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkspaceConsents::Table, WorkspaceConsents::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_workspace_consents_workspace",
            WorkspaceConsents::Table,
            vec![
                WorkspaceConsents::WorkspaceId.into_iden(),
                WorkspaceConsents::Id.into_iden(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WorkspaceConsents::Table.into_iden(),
            CollaborationMessages::Table.into_iden(),
            CollaborationRequests::Table.into_iden(),
            ProfileTerms::Table.into_iden(),
            ResearcherProfiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
