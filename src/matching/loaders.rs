//! Batch loading of profile terms by user id.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{SchemaBuilder, dataloader::DataLoader, dataloader::Loader};
use sea_orm::DatabaseConnection;

use super::profiles;
use crate::{context::AppContext, error::AppError};

pub struct MatchingLoader {
    db: DatabaseConnection,
}

/// Registers the loader on the schema.
pub fn register<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    ctx: &AppContext,
) -> SchemaBuilder<Q, M, S> {
    builder.data(DataLoader::new(
        MatchingLoader { db: ctx.db.clone() },
        tokio::spawn,
    ))
}

/// A user's profile terms: kind → [(key, label)].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TermsOf(pub i64);

impl Loader<TermsOf> for MatchingLoader {
    type Value = std::collections::BTreeMap<String, Vec<(String, String)>>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TermsOf]) -> Result<HashMap<TermsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let terms = profiles::terms_of(&self.db, &ids).await.map_err(Arc::new)?;
        Ok(terms.into_iter().map(|(id, t)| (TermsOf(id), t)).collect())
    }
}
