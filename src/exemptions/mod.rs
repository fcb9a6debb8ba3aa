//! Data and Statistics Dissemination Exemption requests: a researcher asks
//! to publish counts below the policy's threshold, and program reviewers
//! decide through a queue, with an SLA clock, an append-only history and
//! appeals. Requests are private: never indexed for search.

pub mod conflict;
pub mod graphql;
pub mod loaders;
pub mod reminders;
pub mod seed;
pub mod service;
pub mod sla;
pub mod state;
pub mod unassign;

pub use reminders::run_scheduled;
