//! The integration suite: one binary, every test on SQLite and again on
//! PostgreSQL when `TEST_DATABASE_URL` is set.

mod helpers;

mod accounts;
mod benchmarked;
mod derived_counts;
mod digest;
mod exemptions;
mod forum;
mod forum_lists;
mod http_limits;
mod matching;
mod moderation;
mod oidc;
mod oidc_provider;
mod preview;
mod processes;
mod production;
mod publications;
mod response_cache;
mod schema;
mod search;
mod search_batching;
mod search_contract;
mod smtp_sink;
mod startup;
mod trust_accounts;
mod trust_cost;
mod trust_links;
mod trust_moderation;
mod trust_names;
mod trust_review;
mod trust_visibility;
mod workspaces;
