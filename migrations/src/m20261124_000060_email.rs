//! Email preferences per user, and addresses that bounced for good.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserPreferences {
    Table,
    UserId,
    DigestFrequency,
    DigestHour,
    DigestWeekday,
    TimeZone,
    EmailMentions,
    EmailReplies,
    EmailDecisions,
    LastDigestAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EmailSuppressions {
    Table,
    Id,
    Email,
    Reason,
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
                    .table(UserPreferences::Table)
                    .col(big_integer(UserPreferences::UserId).primary_key())
                    // off | daily | weekly
                    .col(string_len(UserPreferences::DigestFrequency, 8).default("weekly"))
                    .col(small_integer(UserPreferences::DigestHour).default(8))
                    // 0 = Monday … 6 = Sunday
                    .col(small_integer(UserPreferences::DigestWeekday).default(0))
                    .col(string_len(UserPreferences::TimeZone, 64).default("America/New_York"))
                    .col(boolean(UserPreferences::EmailMentions).default(true))
                    .col(boolean(UserPreferences::EmailReplies).default(false))
                    .col(boolean(UserPreferences::EmailDecisions).default(true))
                    .col(timestamp_with_time_zone_null(UserPreferences::LastDigestAt))
                    .col(timestamp_with_time_zone(UserPreferences::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserPreferences::Table, UserPreferences::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_preferences_frequency")
                    .table(UserPreferences::Table)
                    .col(UserPreferences::DigestFrequency)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailSuppressions::Table)
                    .col(big_pk_auto(EmailSuppressions::Id))
                    .col(string_len_uniq(EmailSuppressions::Email, 254))
                    .col(text(EmailSuppressions::Reason))
                    .col(timestamp_with_time_zone(EmailSuppressions::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailSuppressions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(UserPreferences::Table).to_owned())
            .await
    }
}
