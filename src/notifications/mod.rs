//! In-app notifications (replies, mentions, decisions, requests), with an
//! optional immediate email through the jobs table, and each member's email
//! preferences. Every domain notifies through here; reading the inbox is in
//! `graphql::notifications`, above the domains whose content it points at.

pub mod mail;
pub mod preferences;
pub mod service;
