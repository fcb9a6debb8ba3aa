//! Community workspaces: researchers share their Workbench workspaces as
//! listings, with a research purpose, collaborators and revisions.

pub mod graphql;
pub mod loaders;
pub mod service;
pub mod types;
