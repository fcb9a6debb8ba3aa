//! Every forum category, held in memory: there are a handful, every thread
//! list names one, and only admins change them. The cache knows rows, not
//! rules; the forum's `categories` module owns what they mean.

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::{entities::forum_category as category, error::AppResult};

/// Changes made through this
/// process show at once; changes made by another replica within
/// [`CategoryCache::MAX_AGE`].
#[derive(Default)]
pub struct CategoryCache {
    held: RwLock<Option<(Instant, Arc<Vec<category::Model>>)>>,
}

impl CategoryCache {
    pub const MAX_AGE: Duration = Duration::from_secs(30);

    /// Every category, in the admins' order.
    pub async fn all(&self, conn: &impl ConnectionTrait) -> AppResult<Arc<Vec<category::Model>>> {
        if let Ok(held) = self.held.read()
            && let Some((at, all)) = held.as_ref()
            && at.elapsed() < Self::MAX_AGE
        {
            return Ok(all.clone());
        }
        let all = Arc::new(list(conn).await?);
        if let Ok(mut held) = self.held.write() {
            *held = Some((Instant::now(), all.clone()));
        }
        Ok(all)
    }

    pub async fn by_slug(
        &self,
        conn: &impl ConnectionTrait,
        slug: &str,
    ) -> AppResult<Option<category::Model>> {
        let slug = slug.trim().to_ascii_lowercase();
        Ok(self
            .all(conn)
            .await?
            .iter()
            .find(|c| c.slug == slug)
            .cloned())
    }

    pub async fn by_id(
        &self,
        conn: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<Option<category::Model>> {
        Ok(self.all(conn).await?.iter().find(|c| c.id == id).cloned())
    }

    /// After a committed change: the next reader loads them again.
    pub fn forget(&self) {
        if let Ok(mut held) = self.held.write() {
            *held = None;
        }
    }
}

/// Every category, in the admins' order.
pub async fn list(conn: &impl ConnectionTrait) -> AppResult<Vec<category::Model>> {
    Ok(category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Id)
        .all(conn)
        .await?)
}
