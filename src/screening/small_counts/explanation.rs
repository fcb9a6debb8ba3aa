//! How a derived count is written out for the author and the moderators: the
//! numbers from the post and the arithmetic that turns them into a small count,
//! "250 − 238 = 12 participants".

use std::ops::RangeInclusive;

/// A count with thousands separators, as researchers write them: "1,642".
pub(super) fn count(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "12", or "11 to 14" for the candidates of a rounded share.
pub(super) fn range(r: &RangeInclusive<u64>) -> String {
    if r.start() == r.end() {
        count(*r.start())
    } else {
        format!("{} to {}", count(*r.start()), count(*r.end()))
    }
}

/// "250 − 238 = 12 participants", "1,642 − 230 − 1,400 = 12".
pub(super) fn difference(total: u64, parts: &[u64], noun: &str) -> String {
    let taken: u64 = parts.iter().sum();
    let mut out = count(total);
    for p in parts {
        out.push_str(" − ");
        out.push_str(&count(*p));
    }
    out.push_str(&format!(" = {}", count(total.saturating_sub(taken))));
    if !noun.is_empty() {
        out.push(' ');
        out.push_str(noun);
    }
    out
}

/// "35% of 40 = 14 carriers"; a rounded share says which counts round to it:
/// "3% of 412 = 11 to 14 controls (every count from 11 to 14 rounds to 3%)".
/// When the small count is what is left, that is said too: "98% of 600 = 585 to
/// 591 participants, which leaves 600 − 585 to 591 = 9 to 15 participants".
pub(super) fn share(
    share: &str,
    total: u64,
    part: &RangeInclusive<u64>,
    rest: Option<&RangeInclusive<u64>>,
    noun: &str,
) -> String {
    let mut out = format!("{share} of {} = {} {noun}", count(total), range(part));
    if part.start() != part.end() {
        out.push_str(&format!(
            " (every count from {} rounds to {share})",
            range(part)
        ));
    }
    if let Some(rest) = rest {
        out.push_str(&format!(
            ", which leaves {} − {} = {} {noun}",
            count(total),
            range(part),
            range(rest)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_arithmetic_out() {
        assert_eq!(count(1642), "1,642");
        assert_eq!(count(12), "12");
        assert_eq!(count(100000), "100,000");
        assert_eq!(
            difference(250, &[238], "participants"),
            "250 − 238 = 12 participants"
        );
        assert_eq!(
            difference(1642, &[230, 1400], ""),
            "1,642 − 230 − 1,400 = 12"
        );
        assert_eq!(
            share("35%", 40, &(14..=14), None, "carriers"),
            "35% of 40 = 14 carriers"
        );
        assert_eq!(
            share("3%", 412, &(11..=14), None, "controls"),
            "3% of 412 = 11 to 14 controls (every count from 11 to 14 rounds to 3%)"
        );
        assert_eq!(
            share("98%", 600, &(585..=591), Some(&(9..=15)), "participants"),
            "98% of 600 = 585 to 591 participants (every count from 585 to 591 rounds to 98%), \
             which leaves 600 − 585 to 591 = 9 to 15 participants"
        );
    }
}
