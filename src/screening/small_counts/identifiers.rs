//! Participant identifiers and Social Security numbers: held wherever they
//! appear, code included.

use std::sync::LazyLock;

use regex::Regex;

use super::{Hit, HitKind};

pub(super) static SSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{3})-([0-9]{2})-([0-9]{4})\b").expect("constant regex"));

/// SSN-shaped strings, using the SSA's never-issued ranges to skip impossible ones.
/// Phone numbers (3-3-4) and ISO dates (4-2-2) have other shapes; a dash on either
/// side means a longer identifier, not an SSN.
pub(super) fn ssns(text: &str) -> Vec<Hit> {
    let bytes = text.as_bytes();
    SSN.captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let (area, group, serial) =
                (c.get(1)?.as_str(), c.get(2)?.as_str(), c.get(3)?.as_str());
            let dash_before = whole.start() > 0 && bytes[whole.start() - 1] == b'-';
            let dash_after = bytes.get(whole.end()) == Some(&b'-');
            let valid = area != "000"
                && area != "666"
                && !area.starts_with('9')
                && group != "00"
                && serial != "0000";
            (valid && !dash_before && !dash_after).then(|| Hit {
                kind: HitKind::Ssn,
                span: whole.range(),
                excerpt: format!("***-**-{serial}"),
                reason: "what looks like a Social Security number".to_owned(),
                derivation: None,
            })
        })
        .collect()
}
