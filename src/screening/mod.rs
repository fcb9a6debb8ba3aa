//! The rule set read from `moderation/*.toml` and the pure checks behind
//! it: blocked words, links, rate limits and the small-count guard required
//! by the Data and Statistics Dissemination Policy. Nothing here reads the
//! database or knows a forum: callers hand it text and get a verdict.

pub mod disclosure;
pub mod rules;
pub mod screen;
pub mod small_counts;

pub use rules::{RuleError, RuleSet};
pub use screen::{Finding, RuleKind, ScreenInput, Screening, Verdict, screen};
