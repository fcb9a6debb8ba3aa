//! Batch loading of a listing's relations: data types, tags, collaborators
//! and the latest consent. A page of listings costs one query per relation.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{SchemaBuilder, dataloader::DataLoader, dataloader::Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::types::DataType;
use crate::{
    context::AppContext,
    entities::{workspace_collaborator, workspace_consent, workspace_data_type, workspace_tag},
    error::AppError,
};

pub struct WorkspaceLoader {
    db: DatabaseConnection,
}

/// Registers the loader on the schema.
pub fn register<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    ctx: &AppContext,
) -> SchemaBuilder<Q, M, S> {
    builder.data(DataLoader::new(
        WorkspaceLoader { db: ctx.db.clone() },
        tokio::spawn,
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataTypesOf(pub i64);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TagsOf(pub i64);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CollaboratorsOf(pub i64);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConsentOf(pub i64);

fn db_err(e: sea_orm::DbErr) -> Arc<AppError> {
    Arc::new(AppError::from(e))
}

impl Loader<DataTypesOf> for WorkspaceLoader {
    type Value = Vec<DataType>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[DataTypesOf],
    ) -> Result<HashMap<DataTypesOf, Vec<DataType>>, Self::Error> {
        let rows = workspace_data_type::Entity::find()
            .filter(workspace_data_type::Column::WorkspaceId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<DataTypesOf, Vec<DataType>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(dt) = DataType::parse(&row.data_type) {
                out.entry(DataTypesOf(row.workspace_id))
                    .or_default()
                    .push(dt);
            }
        }
        out.values_mut().for_each(|v| v.sort());
        Ok(out)
    }
}

impl Loader<TagsOf> for WorkspaceLoader {
    type Value = Vec<String>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TagsOf]) -> Result<HashMap<TagsOf, Vec<String>>, Self::Error> {
        let rows = workspace_tag::Entity::find()
            .filter(workspace_tag::Column::WorkspaceId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(workspace_tag::Column::Tag)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<TagsOf, Vec<String>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(TagsOf(row.workspace_id))
                .or_default()
                .push(row.tag);
        }
        Ok(out)
    }
}

impl Loader<CollaboratorsOf> for WorkspaceLoader {
    /// User ids, in the order they were added.
    type Value = Vec<i64>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[CollaboratorsOf],
    ) -> Result<HashMap<CollaboratorsOf, Vec<i64>>, Self::Error> {
        let rows = workspace_collaborator::Entity::find()
            .filter(workspace_collaborator::Column::WorkspaceId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(workspace_collaborator::Column::AddedAt)
            .order_by_asc(workspace_collaborator::Column::UserId)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<CollaboratorsOf, Vec<i64>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(CollaboratorsOf(row.workspace_id))
                .or_default()
                .push(row.user_id);
        }
        Ok(out)
    }
}

impl Loader<ConsentOf> for WorkspaceLoader {
    type Value = workspace_consent::Model;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[ConsentOf],
    ) -> Result<HashMap<ConsentOf, Self::Value>, Self::Error> {
        let rows = workspace_consent::Entity::find()
            .filter(workspace_consent::Column::WorkspaceId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(workspace_consent::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        // Ascending ids: the last one written per listing wins.
        Ok(rows
            .into_iter()
            .map(|c| (ConsentOf(c.workspace_id), c))
            .collect())
    }
}
