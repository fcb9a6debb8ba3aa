//! sea-orm models. They are the storage shape only: the GraphQL schema wraps
//! them in its own types and never exposes them directly.

pub mod collaboration_message;
pub mod collaboration_request;
pub mod email_suppression;
pub mod exemption_approval;
pub mod exemption_event;
pub mod exemption_request;
pub mod forum_bookmark;
pub mod forum_category;
pub mod forum_draft;
pub mod forum_post;
pub mod forum_post_revision;
pub mod forum_reaction;
pub mod forum_read_state;
pub mod forum_subscription;
pub mod forum_tag;
pub mod forum_thread;
pub mod forum_thread_tag;
pub mod job;
pub mod notification;
pub mod profile_term;
pub mod publication_report;
pub mod publication_report_coauthor;
pub mod publication_report_status_change;
pub mod publication_report_workspace;
pub mod researcher_profile;
pub mod session;
pub mod user;
pub mod user_preference;
pub mod user_token;
pub mod workspace;
pub mod workspace_collaborator;
pub mod workspace_consent;
pub mod workspace_data_type;
pub mod workspace_revision;
pub mod workspace_tag;
