//! Content moderation: the rule set read from `moderation/*.toml`, and screening of
//! posts against it (blocked words, links, and the small-count guard required by
//! the Data and Statistics Dissemination Policy).

pub mod rules;
pub mod screen;
pub mod small_counts;

pub use rules::{RuleError, RuleSet};
pub use screen::{Finding, RuleKind, ScreenInput, Screening, Verdict, screen};
