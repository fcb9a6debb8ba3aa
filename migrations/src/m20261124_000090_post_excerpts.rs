//! The plain-text excerpt of an opening post, made once when it is written,
//! so thread lists neither load whole bodies nor parse markdown per request.
//! Posts written before this migration have none; readers derive it from
//! the body until the post is next edited.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("forum_posts"))
                    .add_column(ColumnDef::new(Alias::new("excerpt")).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("forum_posts"))
                    .drop_column(Alias::new("excerpt"))
                    .to_owned(),
            )
            .await
    }
}
