//! DataLoaders for moderation's relations: a page of queue entries, or of
//! posts with their notices, costs one statement per relation.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_graphql::{ObjectType, SchemaBuilder, SubscriptionType, dataloader::DataLoader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    entities::{
        moderation_flag as flag, moderation_queue_entry as entry, moderation_queue_event as event,
        moderation_queue_reason as reason,
    },
    error::AppError,
};

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

fn db_err(e: sea_orm::DbErr) -> Arc<AppError> {
    Arc::new(AppError::from(e))
}

/// Registers every moderation loader with `delay` as its batch window.
pub fn register<Q, M, S>(
    mut builder: SchemaBuilder<Q, M, S>,
    db: &DatabaseConnection,
    delay: Duration,
) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    macro_rules! add {
        ($($loader:ident),*) => {
            $(
                builder = builder.data(
                    DataLoader::new($loader { db: db.clone() }, tokio::spawn).delay(delay),
                );
            )*
        };
    }
    add!(EntryByPostLoader, ReasonsLoader, FlagsLoader, EventsLoader);
    builder
}

/// A post's queue entry.
pub struct EntryByPostLoader {
    db: DatabaseConnection,
}

impl async_graphql::dataloader::Loader<i64> for EntryByPostLoader {
    type Value = entry::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = entry::Entity::find()
            .filter(entry::Column::PostId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(|e| (e.post_id, e)).collect())
    }
}

/// An entry's reasons this round, in the order they arrived.
pub struct ReasonsLoader {
    db: DatabaseConnection,
}

impl async_graphql::dataloader::Loader<i64> for ReasonsLoader {
    type Value = Vec<reason::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = reason::Entity::find()
            .filter(reason::Column::EntryId.is_in(keys.iter().copied()))
            .order_by_asc(reason::Column::CreatedAt)
            .order_by_asc(reason::Column::Code)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<reason::Model>> = HashMap::new();
        for r in rows {
            out.entry(r.entry_id).or_default().push(r);
        }
        Ok(out)
    }
}

/// An entry's flags, oldest first (every round).
pub struct FlagsLoader {
    db: DatabaseConnection,
}

impl async_graphql::dataloader::Loader<i64> for FlagsLoader {
    type Value = Vec<flag::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = flag::Entity::find()
            .filter(flag::Column::EntryId.is_in(keys.iter().copied()))
            .order_by_asc(flag::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<flag::Model>> = HashMap::new();
        for f in rows {
            out.entry(f.entry_id).or_default().push(f);
        }
        Ok(out)
    }
}

/// An entry's history, oldest first.
pub struct EventsLoader {
    db: DatabaseConnection,
}

impl async_graphql::dataloader::Loader<i64> for EventsLoader {
    type Value = Vec<event::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = event::Entity::find()
            .filter(event::Column::EntryId.is_in(keys.iter().copied()))
            .order_by_asc(event::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<event::Model>> = HashMap::new();
        for e in rows {
            out.entry(e.entry_id).or_default().push(e);
        }
        Ok(out)
    }
}
