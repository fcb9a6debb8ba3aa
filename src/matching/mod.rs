//! Finding people to work with: researcher profiles, ranked collaborator
//! suggestions with their reasons, collaboration requests and the message
//! threads that accepted requests open.

pub mod graphql;
pub mod loaders;
pub mod profiles;
pub mod requests;
pub mod seed;
pub mod suggest;
pub mod tfidf;
pub mod vocabulary;
