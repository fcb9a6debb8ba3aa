//! Batch loading for exemption requests' relations, so a queue page costs a
//! constant number of statements whatever its length.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    context::AppContext,
    entities::{
        exemption_approval as approval, exemption_event as event, workspace,
        workspace_collaborator as collaborator,
    },
    error::AppError,
    membership::{self, Stretch},
};

type LoadResult<V> = Result<HashMap<i64, V>, Arc<AppError>>;

fn db_err(e: sea_orm::DbErr) -> Arc<AppError> {
    Arc::new(AppError::from(e))
}

/// Registers this domain's loaders on the schema.
pub fn register<Q, M, S>(
    builder: async_graphql::SchemaBuilder<Q, M, S>,
    ctx: &AppContext,
) -> async_graphql::SchemaBuilder<Q, M, S> {
    let db = ctx.db.clone();
    builder
        .data(DataLoader::new(
            ExemptionWorkspaceLoader(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            WorkspaceMembersLoader(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ExemptionEventsLoader(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(ExemptionApprovalsLoader(db), tokio::spawn))
}

/// Workspaces by id.
pub struct ExemptionWorkspaceLoader(pub DatabaseConnection);

impl Loader<i64> for ExemptionWorkspaceLoader {
    type Value = workspace::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<Self::Value> {
        let rows = workspace::Entity::find()
            .filter(workspace::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|w| (w.id, w)).collect())
    }
}

/// Who is and was in a workspace, for the conflict-of-interest rule.
#[derive(Clone, Debug, Default)]
pub struct Members {
    pub owner_id: Option<i64>,
    /// Current collaborators.
    pub collaborators: Vec<i64>,
    /// Every stretch of membership, past and present.
    pub history: Vec<Stretch>,
}

impl Members {
    /// Owns or collaborates on the workspace now.
    pub fn contains(&self, user_id: i64) -> bool {
        self.owner_id == Some(user_id) || self.collaborators.contains(&user_id)
    }
}

/// The owner, collaborators and membership history of each workspace.
pub struct WorkspaceMembersLoader(pub DatabaseConnection);

impl Loader<i64> for WorkspaceMembersLoader {
    type Value = Members;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<Self::Value> {
        let owners: Vec<(i64, i64)> = workspace::Entity::find()
            .select_only()
            .column(workspace::Column::Id)
            .column(workspace::Column::OwnerId)
            .filter(workspace::Column::Id.is_in(keys.iter().copied()))
            .into_tuple()
            .all(&self.0)
            .await
            .map_err(db_err)?;
        let collaborators: Vec<(i64, i64)> = collaborator::Entity::find()
            .select_only()
            .column(collaborator::Column::WorkspaceId)
            .column(collaborator::Column::UserId)
            .filter(collaborator::Column::WorkspaceId.is_in(keys.iter().copied()))
            .into_tuple()
            .all(&self.0)
            .await
            .map_err(db_err)?;
        let history = membership::of_workspaces(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        let mut members: HashMap<i64, Members> = HashMap::new();
        for (workspace_id, owner_id) in owners {
            members.entry(workspace_id).or_default().owner_id = Some(owner_id);
        }
        for (workspace_id, user_id) in collaborators {
            members
                .entry(workspace_id)
                .or_default()
                .collaborators
                .push(user_id);
        }
        for stretch in history {
            members
                .entry(stretch.workspace_id)
                .or_default()
                .history
                .push(stretch);
        }
        Ok(members)
    }
}

/// Each request's history, oldest first.
pub struct ExemptionEventsLoader(pub DatabaseConnection);

impl Loader<i64> for ExemptionEventsLoader {
    type Value = Vec<event::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<Self::Value> {
        let rows = event::Entity::find()
            .filter(event::Column::RequestId.is_in(keys.iter().copied()))
            .order_by_asc(event::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<event::Model>> = HashMap::new();
        for row in rows {
            out.entry(row.request_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// Each request's approval votes, all rounds, oldest first.
pub struct ExemptionApprovalsLoader(pub DatabaseConnection);

impl Loader<i64> for ExemptionApprovalsLoader {
    type Value = Vec<approval::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<Self::Value> {
        let rows = approval::Entity::find()
            .filter(approval::Column::RequestId.is_in(keys.iter().copied()))
            .order_by_asc(approval::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<approval::Model>> = HashMap::new();
        for row in rows {
            out.entry(row.request_id).or_default().push(row);
        }
        Ok(out)
    }
}
