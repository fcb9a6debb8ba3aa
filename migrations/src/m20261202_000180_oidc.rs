//! Sign-in through the program's OpenID Connect provider.
//!
//! - `oidc_identities`: the provider's `iss` + `sub` of an account (one
//!   account may hold one identity per issuer).
//! - `oidc_flows`: sign-ins under way, so any replica can finish a flow that
//!   another began: the hashed `state`, the `nonce`, the PKCE verifier and
//!   the same-origin path to return to. Each row is used once.
//! - `oidc_logout_tokens`: the `jti` of back-channel logout tokens already
//!   honoured, so none is replayed.
//! - `sessions` gain the ID token and the provider's `sid`, to end the
//!   provider's session on sign-out and to match back-channel logouts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    OidcIdToken,
    OidcSid,
}

#[derive(DeriveIden)]
enum OidcIdentities {
    Table,
    Id,
    UserId,
    Issuer,
    Subject,
    CreatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum OidcFlows {
    Table,
    Id,
    StateHash,
    Nonce,
    PkceVerifier,
    NextPath,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OidcLogoutTokens {
    Table,
    Id,
    Issuer,
    Jti,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OidcIdentities::Table)
                    .col(big_pk_auto(OidcIdentities::Id))
                    .col(big_integer(OidcIdentities::UserId))
                    .col(string_len(OidcIdentities::Issuer, 255))
                    .col(string_len(OidcIdentities::Subject, 255))
                    .col(timestamp_with_time_zone(OidcIdentities::CreatedAt))
                    .col(timestamp_with_time_zone(OidcIdentities::LastSignInAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OidcIdentities::Table, OidcIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oidc_identities_issuer_subject")
                    .table(OidcIdentities::Table)
                    .col(OidcIdentities::Issuer)
                    .col(OidcIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oidc_identities_user")
                    .table(OidcIdentities::Table)
                    .col(OidcIdentities::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OidcFlows::Table)
                    .col(big_pk_auto(OidcFlows::Id))
                    .col(string_len_uniq(OidcFlows::StateHash, 64))
                    .col(string_len(OidcFlows::Nonce, 128))
                    .col(string_len(OidcFlows::PkceVerifier, 128))
                    .col(string_len(OidcFlows::NextPath, 512))
                    .col(timestamp_with_time_zone(OidcFlows::CreatedAt))
                    .col(timestamp_with_time_zone(OidcFlows::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oidc_flows_expires_at")
                    .table(OidcFlows::Table)
                    .col(OidcFlows::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OidcLogoutTokens::Table)
                    .col(big_pk_auto(OidcLogoutTokens::Id))
                    .col(string_len(OidcLogoutTokens::Issuer, 255))
                    .col(string_len(OidcLogoutTokens::Jti, 255))
                    .col(timestamp_with_time_zone(OidcLogoutTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oidc_logout_tokens_issuer_jti")
                    .table(OidcLogoutTokens::Table)
                    .col(OidcLogoutTokens::Issuer)
                    .col(OidcLogoutTokens::Jti)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(text_null(Sessions::OidcIdToken))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(string_len_null(Sessions::OidcSid, 255))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_oidc_sid")
                    .table(Sessions::Table)
                    .col(Sessions::OidcSid)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sessions_oidc_sid")
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Sessions::OidcSid, Sessions::OidcIdToken] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(OidcLogoutTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OidcFlows::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OidcIdentities::Table).to_owned())
            .await
    }
}
