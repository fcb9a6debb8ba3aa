//! The small-count guard for what members publish to each other outside the
//! forum: community workspace listings, researcher profiles, collaboration
//! requests and their messages.
//!
//! These have no moderation queue (a listing, a profile or a message is the
//! member's own words, shown as soon as it is saved), so instead of holding it,
//! a disclosure refuses the write: VALIDATION on the field, with the same
//! explanation a held post gets, naming the numbers that give the count away and
//! how to fix them. Nothing is stored, and the client still has the text to edit.
//! Exemption requests are not screened: small counts are their subject.

use super::{RuleSet, screen::disclosures};
use crate::error::{AppError, AppResult};

/// Refuses `text` when the small-count guard finds something in it. `field` is
/// the input field the error names; `what` is how the author calls the text
/// ("listing", "profile", "message").
pub fn refuse_disclosures(rules: &RuleSet, field: &str, what: &str, text: &str) -> AppResult<()> {
    let found = disclosures(rules, text, what, "");
    if found.is_empty() {
        return Ok(());
    }
    let mut message = found
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    message.push_str(" Nothing was saved: edit the text and try again.");
    Err(AppError::validation(field, message))
}

/// [`refuse_disclosures`] over several fields, in order.
pub fn refuse_disclosures_in(
    rules: &RuleSet,
    what: &str,
    fields: &[(&str, &str)],
) -> AppResult<()> {
    fields
        .iter()
        .try_for_each(|(field, text)| refuse_disclosures(rules, field, what, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_count_refuses_the_field_with_the_arithmetic() {
        let rules = RuleSet::defaults();
        let err = refuse_disclosures_in(
            &rules,
            "listing",
            &[
                ("name", "Sleep and blood pressure"),
                ("intendedStudy", "Of our 40 carriers, 31 were heterozygous."),
            ],
        )
        .expect_err("refused");
        match err {
            AppError::Validation { field, message } => {
                assert_eq!(field, "intendedStudy");
                assert!(message.contains("40 − 31 = 9 carriers"), "{message}");
                assert!(message.contains("Nothing was saved"));
            }
            other => panic!("expected VALIDATION, got {other:?}"),
        }
        assert!(
            refuse_disclosures(&rules, "bio", "profile", "I study sleep in 400,000 adults.")
                .is_ok()
        );
    }
}
