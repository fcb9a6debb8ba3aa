//! Detects participant counts that the Data and Statistics Dissemination Policy
//! forbids publishing (1 to 20, or anything from which such a count follows), plus
//! participant identifiers and SSN-shaped strings.
//!
//! # Approach
//!
//! A bare number is never enough: "20 years", "step 2", "Python 3" and "LIMIT 10"
//! are everywhere on a research forum. A number is held only when its context says
//! it counts people:
//!
//! * an `n` label: `n = 12`, `N: 15`, `(n=3)`, `n < 10`;
//! * a count noun after it, with up to a few modifiers and an optional partitive:
//!   `7 participants`, `twelve patients`, `4 Native Hawaiian participants`,
//!   `3 of our participants`, `5/240 participants`;
//! * a count noun before it: `Cases: 7`, `the number of participants was 16`,
//!   `Of the 412 controls, 6 were ...`;
//! * a percentage with it: `5 (2.1%)`, `2.1% (5)`, `5/240 (2.1%)`;
//! * a percentage of a stated total that works out to a small count:
//!   `0.5% of 3,000 participants` (15);
//! * a table cell in a count column (`n`, `Count`, `Cases (n=250)`) or count row
//!   (`N`, `Female, n (%)`), in markdown tables and in pasted query output (psql,
//!   pandas, R tibbles).
//!
//! and nothing vetoes it: a label word before the number (`Table 2`, `type 2`,
//! `age 18`, `top 10`), a unit after it (`3 days`, `10 GB`), a lower bound
//! (`more than 20`), a sanctioned upper bound (`≤20`), a hypothetical
//! (`3 test cases`, `12 synthetic participants`), colleagues rather than
//! participants (`3 people in our lab`), or a sentence restating the rule itself
//! (`cells with fewer than 20 participants must be suppressed`).
//!
//! Code: inline code and code blocks in a programming language are not searched for
//! counts (`LIMIT 10`, `HAVING COUNT(*) > 20`); code blocks with no language or
//! marked as output are searched for count columns only, since that is where
//! researchers paste query results. Identifiers and SSNs are searched for
//! everywhere. Numbers inside URLs are ignored.
//!
//! # Derived counts
//!
//! The policy also forbids any statistic from which a small count follows. The
//! guard does the arithmetic a reader would (see [`derived`] and
//! [`table_totals`]): a total minus a part ("250 enrolled, 238 completed"), a
//! share of a stated group ("35% of the 40 carriers", with every count that
//! rounds to the share), complements ("42 of 50 were female", "the rest"), "all
//! but k", verbs of exclusion ("19 were excluded"), numbers in words, and a table
//! total minus the cells shown. It works within a sentence and across the
//! sentences of one paragraph or one table. Each such finding carries the
//! arithmetic in [`Hit::derivation`], so the author and the moderators see which
//! numbers give the count away.
//!
//! # Layout
//!
//! [`markdown`] decides what is prose, [`tokens`] and [`words`] read it,
//! [`prose`] and [`tables`] find written counts, [`derived`] and
//! [`table_totals`] derived ones, using [`arithmetic`] and [`explanation`];
//! [`identifiers`] finds participant identifiers and SSNs. Every step is linear
//! in the length of the text and uses no regex with backtracking.
//!
//! Spans are byte ranges into the text passed to [`detect`].

use std::ops::Range;

use super::rules::SmallCountRules;

mod arithmetic;
mod bounds;
mod derived;
mod explanation;
mod identifiers;
mod markdown;
mod prose;
mod table_totals;
mod tables;
mod tokens;
mod words;

pub(crate) use markdown::{mask_code, scan_markdown};

use identifiers::ssns;
use markdown::lines_of;
use prose::Prose;
use tables::Tables;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitKind {
    SmallCount,
    PersonIdentifier,
    Ssn,
}

/// One thing the detector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: HitKind,
    /// Byte range in the scanned text.
    pub span: Range<usize>,
    /// The matched text, whitespace collapsed and shortened; SSNs are masked.
    pub excerpt: String,
    /// Why it was flagged, as a phrase: "a count of “patients”".
    pub reason: String,
    /// For a count that follows from other numbers, the arithmetic that gives it
    /// away, written out for the author and moderators: "250 − 238 = 12
    /// participants".
    pub derivation: Option<String>,
}

/// Scans markdown for small counts, person identifiers and SSNs.
pub fn detect(rules: &SmallCountRules, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    if rules.enabled {
        let scanned = scan_markdown(text);
        let prose = Prose::new(rules, &scanned.masked);
        // Derived findings first: where one covers the same words as a written
        // count, it is the one kept, since it shows the arithmetic.
        hits.extend(derived::detect(&prose));
        hits.extend(prose.detect());
        let lines = lines_of(&scanned.masked);
        let tables = Tables { rules, text };
        hits.extend(tables.markdown_tables(&lines, false));
        for block in &scanned.blocks {
            hits.extend(tables.code_output(block));
        }
    }
    if let Some(pattern) = &rules.person_id_pattern {
        hits.extend(pattern.find_iter(text).map(|m| Hit {
            kind: HitKind::PersonIdentifier,
            span: m.range(),
            excerpt: excerpt(text, m.range()),
            reason: "a participant identifier".to_owned(),
            derivation: None,
        }));
    }
    if rules.detect_ssn {
        hits.extend(ssns(text));
    }
    dedupe(hits)
}

/// Keeps the first of overlapping hits of the same kind, in text order.
fn dedupe(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.span.start, h.kind, h.span.end));
    // Sorted by start, so a hit overlaps an earlier kept one of its kind exactly
    // when it starts before the furthest end kept so far for that kind.
    let mut reach: Vec<(HitKind, usize)> = Vec::new();
    hits.retain(|hit| {
        match reach.iter_mut().find(|(k, _)| *k == hit.kind) {
            Some((_, end)) if hit.span.start < *end => return false,
            Some((_, end)) => *end = hit.span.end,
            None => reach.push((hit.kind, hit.span.end)),
        }
        true
    });
    hits
}

fn excerpt(text: &str, span: Range<usize>) -> String {
    let raw = text.get(span).unwrap_or_default();
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX: usize = 100;
    if collapsed.chars().count() <= MAX {
        collapsed
    } else {
        let cut: String = collapsed.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests;
