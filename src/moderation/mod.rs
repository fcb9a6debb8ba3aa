//! Content moderation: the rule set read from `moderation/*.toml`, and screening of
//! posts against it (blocked words, links, and the small-count guard required by
//! the Data and Statistics Dissemination Policy).

pub mod actions;
pub mod audit;
pub mod disclosure;
pub mod flags;
pub mod graphql;
pub mod loaders;
pub mod queue;
pub mod rules;
pub mod screen;
pub mod screening;
pub mod seed;
pub mod small_counts;
pub mod types;

pub use rules::{RuleError, RuleSet};
pub use screen::{Finding, RuleKind, ScreenInput, Screening, Verdict, screen};
