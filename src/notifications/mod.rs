//! In-app notifications (replies, mentions, decisions, requests), with an
//! optional immediate email through the jobs table.

pub mod graphql;
pub mod service;
pub mod visibility;
