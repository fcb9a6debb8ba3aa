//! Publication and presentation reports. The Data User Code of Conduct asks
//! researchers to report every upcoming publication or presentation that
//! uses the program's data at least two weeks before it appears; authors
//! file and update reports here, staff track and export them, and the
//! community sees what has been published.

pub mod access;
pub mod exemption;
pub mod export;
pub mod graphql;
pub mod lists;
pub mod loaders;
pub mod reminders;
pub mod service;
pub mod types;
pub mod workflow;

pub use exemption::{ExemptionLink, exemption_link};
pub use reminders::run_scheduled;
