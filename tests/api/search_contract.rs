//! The search contract, run against the embedded tantivy index always and
//! against Meilisearch when `MEILI_URL` and `MEILI_MASTER_KEY` are set (with
//! a unique index prefix per run).

use commons::search::{contract::Subject, tantivy_index::TantivyIndex};

async fn tantivy_on_disk() -> Option<Subject> {
    let dir = tempfile::tempdir().expect("temp dir");
    Some(Subject::new(TantivyIndex::open(dir.path()).expect("open tantivy")).keep(dir))
}

mod tantivy {
    commons::search_contract_tests!(super::tantivy_on_disk);
}

mod meilisearch {
    commons::search_contract_tests!(commons::search::contract::meili_subject_from_env);
}
