//! What a qualifier says about a count: exact, at most, less than, at least.

use super::tokens::NumVal;
use crate::screening::rules::SmallCountRules;

/// What the text says about the count relative to the number written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    Exact,
    /// ≤ n
    AtMost,
    /// < n
    Less,
    /// > n or ≥ n: says nothing about small values.
    Lower,
}

/// Whether the stated count narrows the true count into the forbidden range
/// further than the sanctioned "≤max" does.
pub(super) fn reveals(rules: &SmallCountRules, bound: Bound, value: NumVal) -> bool {
    let (min, max) = (rules.min_count, rules.max_count);
    let upper_reveals = |u: u64| u >= min && u < max;
    match value {
        NumVal::Int(v) | NumVal::Frac(v, _) => match bound {
            Bound::Exact => rules.is_small(v),
            Bound::AtMost => upper_reveals(v),
            Bound::Less => v >= 1 && upper_reveals(v - 1),
            Bound::Lower => false,
        },
        NumVal::Range(a, b) => {
            if bound == Bound::Lower || (a, b) == (min, max) {
                return false;
            }
            let (a, b) = (a.min(b), a.max(b));
            rules.is_small(a) || upper_reveals(b)
        }
        NumVal::Other => false,
    }
}

/// Whether the number is the policy's own threshold ("20", "1-20"), which sentences
/// about the rule quote without disclosing anything.
pub(super) fn is_threshold(rules: &SmallCountRules, bound: Bound, value: NumVal) -> bool {
    match value {
        NumVal::Int(v) => bound != Bound::Lower && v == rules.max_count,
        NumVal::Range(a, b) => (a, b) == (rules.min_count, rules.max_count),
        _ => false,
    }
}

pub(super) fn bound_of_ops(ops: &str) -> Bound {
    if ops.contains('≤') || ops.contains('⩽') || (ops.contains('<') && ops.contains('=')) {
        Bound::AtMost
    } else if ops.contains('<') {
        Bound::Less
    } else if ops.contains('>') || ops.contains('≥') || ops.contains('⩾') {
        Bound::Lower
    } else {
        Bound::Exact
    }
}

pub(super) const OPS: &str = "=:<>≤≥⩽⩾~≈";

/// Word qualifiers before a number, longest first.
pub(super) const WORD_QUALIFIERS: &[(&[&str], Bound)] = &[
    (&["no", "more", "than"], Bound::AtMost),
    (&["not", "more", "than"], Bound::AtMost),
    (&["no", "greater", "than"], Bound::AtMost),
    (&["at", "most"], Bound::AtMost),
    (&["up", "to"], Bound::AtMost),
    (&["maximum", "of"], Bound::AtMost),
    (&["fewer", "than"], Bound::Less),
    (&["less", "than"], Bound::Less),
    (&["under"], Bound::Less),
    (&["below"], Bound::Less),
    (&["more", "than"], Bound::Lower),
    (&["greater", "than"], Bound::Lower),
    (&["at", "least"], Bound::Lower),
    (&["over"], Bound::Lower),
    (&["above"], Bound::Lower),
    (&["exceeding"], Bound::Lower),
    (&["minimum", "of"], Bound::Lower),
    (&["about"], Bound::Exact),
    (&["around"], Bound::Exact),
    (&["approximately"], Bound::Exact),
    (&["approx"], Bound::Exact),
    (&["roughly"], Bound::Exact),
    (&["nearly"], Bound::Exact),
    (&["almost"], Bound::Exact),
    (&["only"], Bound::Exact),
    (&["just"], Bound::Exact),
    (&["exactly"], Bound::Exact),
];
