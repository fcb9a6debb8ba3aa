//! Batch loading for exemption requests' relations, so a queue page costs a
//! constant number of statements whatever its length.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    context::AppContext,
    entities::{
        exemption_approval as approval, exemption_event as event, workspace,
        workspace_collaborator as collaborator, workspace_membership as stretch,
    },
    error::AppError,
    membership::{MembershipRole, Stretch},
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

    /// One statement: the history, the current collaborators and the
    /// owners, as rows of one shape.
    async fn load(&self, keys: &[i64]) -> LoadResult<Self::Value> {
        use sea_orm::{
            FromQueryResult, StatementBuilder,
            sea_query::{Expr, Query, UnionType},
        };

        #[derive(FromQueryResult)]
        struct Row {
            workspace_id: i64,
            user_id: i64,
            role: String,
            started_at: chrono::DateTime<chrono::Utc>,
            ended_at: Option<chrono::DateTime<chrono::Utc>>,
            /// 0: a stretch of the history; 1: a current collaborator; 2: the owner.
            source: i32,
        }

        let ids = || keys.iter().copied();
        let none: Option<chrono::DateTime<chrono::Utc>> = None;
        let collaborators = Query::select()
            .column(collaborator::Column::WorkspaceId)
            .column(collaborator::Column::UserId)
            .expr(Expr::val(MembershipRole::Collaborator.as_str()))
            .column(collaborator::Column::AddedAt)
            .expr(Expr::val(none))
            .expr(Expr::val(1))
            .from(collaborator::Entity)
            .and_where(collaborator::Column::WorkspaceId.is_in(ids()))
            .to_owned();
        let owners = Query::select()
            .expr_as(Expr::col(workspace::Column::Id), "workspace_id")
            .expr_as(Expr::col(workspace::Column::OwnerId), "user_id")
            .expr(Expr::val(MembershipRole::Owner.as_str()))
            .column(workspace::Column::CreatedAt)
            .expr(Expr::val(none))
            .expr(Expr::val(2))
            .from(workspace::Entity)
            .and_where(workspace::Column::Id.is_in(ids()))
            .to_owned();
        let statement = Query::select()
            .column(stretch::Column::WorkspaceId)
            .column(stretch::Column::UserId)
            .column(stretch::Column::Role)
            .column(stretch::Column::StartedAt)
            .column(stretch::Column::EndedAt)
            .expr_as(Expr::val(0), "source")
            .from(stretch::Entity)
            .and_where(stretch::Column::WorkspaceId.is_in(ids()))
            .union(UnionType::All, collaborators)
            .union(UnionType::All, owners)
            .to_owned();
        let backend = self.0.get_database_backend();
        let rows = Row::find_by_statement(StatementBuilder::build(&statement, &backend))
            .all(&self.0)
            .await
            .map_err(db_err)?;
        let mut members: HashMap<i64, Members> = HashMap::new();
        for row in rows {
            let entry = members.entry(row.workspace_id).or_default();
            match row.source {
                2 => entry.owner_id = Some(row.user_id),
                1 => entry.collaborators.push(row.user_id),
                _ => entry.history.push(Stretch {
                    workspace_id: row.workspace_id,
                    user_id: row.user_id,
                    role: MembershipRole::parse(&row.role).unwrap_or(MembershipRole::Owner),
                    started_at: row.started_at,
                    ended_at: row.ended_at,
                }),
            }
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
