//! Batch loading of a report's co-authors, workspaces and status history,
//! so a page of reports costs a constant number of queries.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    context::AppContext,
    entities::{
        publication_report_coauthor as coauthor, publication_report_status_change as change,
        publication_report_workspace as rws,
    },
    error::AppError,
};

/// The publication loaders, registered together as one schema datum.
pub struct PublicationLoaders {
    pub co_authors: DataLoader<CoAuthorsLoader>,
    pub workspaces: DataLoader<WorkspacesLoader>,
    pub history: DataLoader<HistoryLoader>,
}

impl PublicationLoaders {
    pub fn new(ctx: &AppContext) -> Self {
        Self {
            co_authors: DataLoader::new(CoAuthorsLoader(ctx.db.clone()), tokio::spawn),
            workspaces: DataLoader::new(WorkspacesLoader(ctx.db.clone()), tokio::spawn),
            history: DataLoader::new(HistoryLoader(ctx.db.clone()), tokio::spawn),
        }
    }
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut map: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

pub struct CoAuthorsLoader(DatabaseConnection);

impl Loader<i64> for CoAuthorsLoader {
    type Value = Vec<coauthor::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = coauthor::Entity::find()
            .filter(coauthor::Column::ReportId.is_in(keys.iter().copied()))
            .order_by_asc(coauthor::Column::ReportId)
            .order_by_asc(coauthor::Column::Position)
            .all(&self.0)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        Ok(group(rows, |r| r.report_id))
    }
}

pub struct WorkspacesLoader(DatabaseConnection);

impl Loader<i64> for WorkspacesLoader {
    type Value = Vec<rws::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = rws::Entity::find()
            .filter(rws::Column::ReportId.is_in(keys.iter().copied()))
            .order_by_asc(rws::Column::ReportId)
            .order_by_asc(rws::Column::Position)
            .all(&self.0)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        Ok(group(rows, |r| r.report_id))
    }
}

pub struct HistoryLoader(DatabaseConnection);

impl Loader<i64> for HistoryLoader {
    type Value = Vec<change::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = change::Entity::find()
            .filter(change::Column::ReportId.is_in(keys.iter().copied()))
            .order_by_asc(change::Column::Id)
            .all(&self.0)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        Ok(group(rows, |r| r.report_id))
    }
}
