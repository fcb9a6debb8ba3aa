//! The arithmetic behind derived counts: what a share of a stated total can be,
//! given how the share was rounded, and what is left when parts are taken away.
//!
//! Everything is integer arithmetic on scaled values, so "2.4% of 250" is decided
//! exactly rather than through floating point.

use std::ops::RangeInclusive;

/// A share as written: a percentage with its decimals, or an exact ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Share {
    /// `scaled / 10^decimals` percent, rounded to `decimals` places when written:
    /// "2.4%" is `Percent { scaled: 24, decimals: 1 }`.
    Percent { scaled: u64, decimals: u32 },
    /// `num / den` of the group, exactly: "half", "a third", "3 in 4", "4 per 1,000".
    Ratio { num: u64, den: u64 },
}

impl Share {
    /// Every count `k` of a group of `total` that this share can describe.
    ///
    /// A percentage written with `d` decimals stands for any `k` with
    /// `round(100·k/total, d) == p`, that is `p − ½·10⁻ᵈ ≤ 100·k/total ≤ p + ½·10⁻ᵈ`
    /// (both ends included, so both rounding conventions are covered). Multiplying
    /// through by `200·10ᵈ·total` keeps it in integers:
    /// `(2P − 1)·total ≤ 200·10ᵈ·k ≤ (2P + 1)·total`, with `P = p·10ᵈ`.
    /// A ratio of a total it does not divide is a rounded figure too ("half of 19"
    /// is 9 or 10), so it gives the integers either side.
    pub(super) fn candidates(self, total: u64) -> Option<RangeInclusive<u64>> {
        let total = u128::from(total);
        let (lo, hi) = match self {
            Share::Percent { scaled, decimals } => {
                let unit = 200u128.checked_mul(10u128.checked_pow(decimals)?)?;
                let p = u128::from(scaled);
                let lo_num = (2 * p).saturating_sub(1).checked_mul(total)?;
                let hi_num = (2 * p + 1).checked_mul(total)?;
                (lo_num.div_ceil(unit), hi_num / unit)
            }
            Share::Ratio { num, den } => {
                if den == 0 {
                    return None;
                }
                let prod = u128::from(num).checked_mul(total)?;
                let den = u128::from(den);
                (prod / den, prod.div_ceil(den))
            }
        };
        let hi = hi.min(total);
        if lo > hi {
            return None;
        }
        Some(u64::try_from(lo).ok()?..=u64::try_from(hi).ok()?)
    }
}

/// The counts left in a group of `total` once a count in `part` is taken away.
pub(super) fn complement(total: u64, part: &RangeInclusive<u64>) -> RangeInclusive<u64> {
    total.saturating_sub(*part.end())..=total.saturating_sub(*part.start())
}

/// Whether any count in `range` lies in `min..=max`.
pub(super) fn touches(range: &RangeInclusive<u64>, min: u64, max: u64) -> bool {
    *range.start() <= max && *range.end() >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(scaled: u64, decimals: u32) -> Share {
        Share::Percent { scaled, decimals }
    }

    #[test]
    fn rounded_percentages_give_every_count_that_rounds_to_them() {
        assert_eq!(pct(24, 1).candidates(250), Some(6..=6));
        assert_eq!(pct(35, 0).candidates(40), Some(14..=14));
        // 11/412 = 2.67% … 14/412 = 3.40%: all round to 3%.
        assert_eq!(pct(3, 0).candidates(412), Some(11..=14));
        assert_eq!(pct(30, 1).candidates(400), Some(12..=12));
        // "0% of 300" may hide one participant (0.33% rounds to 0%).
        assert_eq!(pct(0, 0).candidates(300), Some(0..=1));
        assert_eq!(pct(98, 0).candidates(600), Some(585..=591));
        assert_eq!(pct(100, 0).candidates(10), Some(10..=10));
    }

    #[test]
    fn ratios_round_both_ways() {
        assert_eq!(Share::Ratio { num: 1, den: 2 }.candidates(18), Some(9..=9));
        assert_eq!(Share::Ratio { num: 1, den: 2 }.candidates(19), Some(9..=10));
        assert_eq!(
            Share::Ratio { num: 4, den: 1000 }.candidates(2500),
            Some(10..=10)
        );
    }

    #[test]
    fn complements_and_ranges() {
        assert_eq!(complement(600, &(585..=591)), 9..=15);
        assert!(touches(&(9..=15), 1, 20));
        assert!(!touches(&(21..=30), 1, 20));
        assert!(!touches(&(0..=0), 1, 20));
    }
}
