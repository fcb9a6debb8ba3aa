//! Whole responses to read-only forum queries, kept for the session that
//! asked, until anything they could show has changed.
//!
//! Forum lists and thread pages are read far more often than anything in
//! them changes, and each costs hundreds of resolved fields and several
//! statements. A response is reused only when all of these hold:
//! - the same session sends the same query, operation and variables (the
//!   key is a hash of the token and the request, so one member's reading
//!   state can never reach another, and a revoked token cannot reach its old
//!   entries through someone else's session);
//! - every root field is a forum read (`CACHEABLE_ROOTS`): no time-driven
//!   queue, nothing from the search engine, nothing from another domain;
//! - no shared change, and no private change of that member, committed since
//!   the response was built (`crate::changes`): every mutation and every job
//!   counts as one after it commits;
//! - it is younger than the configured maximum age, which bounds what no
//!   counter sees: time passing, and writes by another process on SQLite.
//!
//! A response with errors or HTTP headers is never kept. A request with
//! `Cache-Control: no-cache` (a browser's hard reload) is always executed.

use std::sync::Arc;

use async_graphql::{
    Request,
    parser::types::{ExecutableDocument, OperationDefinition, OperationType, Selection},
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{
    changes::{Changes, Version},
    config::ResponseCacheConfig,
};

/// Root fields whose responses may be kept: the forum's reads. Each depends
/// only on forum data, accounts and the viewer's own state, all of which
/// move the change counters when they change.
const CACHEABLE_ROOTS: &[&str] = &[
    "threads",
    "thread",
    "post",
    "forumCategories",
    "forumCategory",
    "forumTags",
    "__typename",
];

pub type Key = [u8; 32];

pub struct Entry {
    pub body: bytes::Bytes,
    user_id: i64,
    version: Version,
    made_at: DateTime<Utc>,
}

#[derive(Clone)]
struct BodySize;

impl quick_cache::Weighter<Key, Arc<Entry>> for BodySize {
    fn weight(&self, _key: &Key, entry: &Arc<Entry>) -> u64 {
        // The key, the entry and the map's own share, roughly.
        entry.body.len() as u64 + 128
    }
}

pub struct ResponseCache {
    entries: Option<quick_cache::sync::Cache<Key, Arc<Entry>, BodySize>>,
    max_age: chrono::Duration,
}

/// Typical cached body, for sizing the map up front.
const TYPICAL_BODY_BYTES: u64 = 16 * 1024;

impl ResponseCache {
    pub fn new(config: ResponseCacheConfig) -> Self {
        let entries = (config.max_bytes > 0).then(|| {
            let estimated = (config.max_bytes / TYPICAL_BODY_BYTES).max(16) as usize;
            quick_cache::sync::Cache::with_weighter(estimated, config.max_bytes, BodySize)
        });
        Self {
            entries,
            max_age: chrono::Duration::from_std(config.max_age)
                .unwrap_or_else(|_| chrono::Duration::seconds(10)),
        }
    }

    /// The key of `request` for the session `token`, when its response may
    /// be kept.
    pub fn key_for(&self, token: &str, request: &mut Request) -> Option<Key> {
        self.entries.as_ref()?;
        let operation_name = request.operation_name.clone();
        let doc = request.parsed_query().ok()?;
        if !is_cacheable(doc, operation_name.as_deref()) {
            return None;
        }
        let variables = serde_json::to_vec(&request.variables).ok()?;
        let mut hash = Sha256::new();
        // Lengths first, so no two different requests hash the same bytes.
        for part in [
            token.as_bytes(),
            request.query.as_bytes(),
            request.operation_name.as_deref().unwrap_or("").as_bytes(),
            &variables,
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        Some(hash.finalize().into())
    }

    /// The kept body for `key`, when nothing it shows has changed since.
    pub fn get(&self, key: &Key, changes: &Changes, now: DateTime<Utc>) -> Option<bytes::Bytes> {
        let entries = self.entries.as_ref()?;
        let entry = entries.get(key)?;
        let fresh = now - entry.made_at < self.max_age
            && entry.made_at <= now
            && changes.version(entry.user_id) == entry.version;
        if fresh {
            Some(entry.body.clone())
        } else {
            entries.remove(key);
            None
        }
    }

    /// Keeps `body`, built for `user_id` under `version` (read before the
    /// request executed) at `made_at`.
    pub fn put(
        &self,
        key: Key,
        body: bytes::Bytes,
        user_id: i64,
        version: Version,
        made_at: DateTime<Utc>,
    ) {
        if let Some(entries) = &self.entries {
            entries.insert(
                key,
                Arc::new(Entry {
                    body,
                    user_id,
                    version,
                    made_at,
                }),
            );
        }
    }
}

/// Whether the operation `request` runs reads only cacheable root fields.
fn is_cacheable(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let mut operations = doc.operations.iter();
    let operation = match operation_name {
        Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => match (operations.next(), operations.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        },
    };
    let Some((_, operation)) = operation else {
        return false;
    };
    operation.node.ty == OperationType::Query && selects_only(&operation.node, CACHEABLE_ROOTS)
}

/// Whether every root selection of `operation` is a field named in `names`.
/// Fragments at the root could select anything; they are not expanded, as
/// the clients' queries do not use them there.
fn selects_only(operation: &OperationDefinition, names: &[&str]) -> bool {
    operation
        .selection_set
        .node
        .items
        .iter()
        .all(|item| match &item.node {
            Selection::Field(field) => names.contains(&field.node.name.node.as_str()),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::Change;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("valid query")
    }

    #[test]
    fn forum_reads_are_cacheable_and_other_reads_are_not() {
        assert!(is_cacheable(
            &parse("query L { threads(first: 20) { edges { node { id } } } }"),
            None
        ));
        assert!(is_cacheable(
            &parse("{ thread(id: \"1\") { id } forumCategories { id } }"),
            None
        ));
        assert!(!is_cacheable(
            &parse("{ threads { totalCount } me { id } }"),
            None
        ));
        assert!(!is_cacheable(
            &parse("{ exemptionQueue { edges { cursor } } }"),
            None
        ));
        assert!(!is_cacheable(
            &parse("{ ...F } fragment F on Query { thread(id: \"1\") { id } }"),
            None
        ));
        assert!(!is_cacheable(
            &parse("mutation { markThreadRead(threadId: \"1\") }"),
            None
        ));
    }

    #[test]
    fn the_named_operation_decides() {
        let doc = parse("query A { threads { edges { cursor } } } query B { me { id } }");
        assert!(is_cacheable(&doc, Some("A")));
        assert!(!is_cacheable(&doc, Some("B")));
        assert!(!is_cacheable(&doc, None));
        assert!(!is_cacheable(&doc, Some("C")));
    }

    fn cache() -> ResponseCache {
        ResponseCache::new(ResponseCacheConfig {
            max_bytes: 1 << 20,
            max_age: std::time::Duration::from_secs(10),
        })
    }

    fn key(cache: &ResponseCache, token: &str, variables: serde_json::Value) -> Key {
        let mut request = Request::new("query T($id: ID!) { thread(id: $id) { id } }")
            .variables(async_graphql::Variables::from_json(variables));
        cache.key_for(token, &mut request).expect("cacheable")
    }

    #[test]
    fn keys_differ_by_session_and_variables() {
        let cache = cache();
        let a = key(&cache, "token-a", serde_json::json!({ "id": "1" }));
        assert_eq!(a, key(&cache, "token-a", serde_json::json!({ "id": "1" })));
        assert_ne!(a, key(&cache, "token-b", serde_json::json!({ "id": "1" })));
        assert_ne!(a, key(&cache, "token-a", serde_json::json!({ "id": "2" })));
    }

    #[test]
    fn an_entry_is_served_until_a_change_or_its_age_ends_it() {
        let cache = cache();
        let changes = Changes::default();
        let now = Utc::now();
        let k = key(&cache, "t", serde_json::json!({ "id": "1" }));
        let body = bytes::Bytes::from_static(b"{}");

        cache.put(k, body.clone(), 1, changes.version(1), now);
        assert_eq!(cache.get(&k, &changes, now), Some(body.clone()));
        changes.apply(Change::Private(2));
        assert!(
            cache.get(&k, &changes, now).is_some(),
            "another member's change"
        );
        changes.apply(Change::Private(1));
        assert!(
            cache.get(&k, &changes, now).is_none(),
            "the member's own change"
        );

        cache.put(k, body.clone(), 1, changes.version(1), now);
        changes.apply(Change::Shared);
        assert!(cache.get(&k, &changes, now).is_none(), "a shared change");

        cache.put(k, body.clone(), 1, changes.version(1), now);
        assert!(
            cache
                .get(&k, &changes, now + chrono::Duration::seconds(11))
                .is_none()
        );
    }

    #[test]
    fn a_cache_of_no_bytes_keeps_nothing() {
        let off = ResponseCache::new(ResponseCacheConfig {
            max_bytes: 0,
            max_age: std::time::Duration::from_secs(10),
        });
        let mut request = Request::new("{ threads { edges { cursor } } }");
        assert!(off.key_for("t", &mut request).is_none());
    }
}
