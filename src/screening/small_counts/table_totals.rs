//! Counts a table gives away through its totals: a row or column total minus the
//! cells shown is the suppressed cell ("1,642 − 230 − 1,400 = 12"), and a
//! percentage in a column whose header states its N is a count of that N
//! ("Cases (N=400)" with "Hispanic, %" at 3.0 is 12).

use std::ops::Range;

use super::arithmetic::{Share, complement, touches};
use super::explanation as explain;
use super::tables::{Cell, Role, Tables};
use super::tokens::{NumVal, classify};
use super::words::{PEOPLE_WORDS, TOTAL_LABELS, is_in};
use super::{Hit, HitKind, excerpt};

/// A body row of a markdown table.
pub(super) struct Row {
    /// The row's line, for the finding.
    pub(super) span: Range<usize>,
    pub(super) cells: Vec<Cell>,
}

/// What a cell holds, as far as totals go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    /// "230", "1,400", "120 (48.0)".
    Count(u64),
    /// Left out on purpose: empty, "*", "—", "≤20", "<20", "suppressed".
    Suppressed,
    /// Anything else: a decimal, a mean, text. A column holding one is not a
    /// column of counts that add up.
    Other,
}

fn value(cell: &str) -> Value {
    let c = cell.trim();
    let bare = c.trim_matches(|ch: char| ch == '*' || ch == '_').trim();
    if bare.is_empty()
        || matches!(
            bare,
            "—" | "–" | "-" | "x" | "X" | "s" | "S" | "†" | "‡" | "NR"
        )
        || bare.eq_ignore_ascii_case("suppressed")
        || bare.eq_ignore_ascii_case("(suppressed)")
    {
        return Value::Suppressed;
    }
    let bound = ["≤", "⩽", "<=", "<"]
        .iter()
        .find_map(|op| bare.strip_prefix(op));
    if let Some(rest) = bound
        && rest.trim().parse::<u64>().is_ok()
    {
        return Value::Suppressed;
    }
    let first = bare.split_whitespace().next().unwrap_or_default();
    let after = bare[first.len()..].trim();
    if !(after.is_empty() || after.starts_with('(')) {
        return Value::Other;
    }
    match classify(first) {
        NumVal::Int(v) => Value::Count(v),
        _ => Value::Other,
    }
}

fn label_words(label: &str) -> Vec<String> {
    label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// "Total", "All", "Overall", "Total N": the label of a total row or column.
fn is_total(label: &str) -> bool {
    let words = label_words(label);
    words.len() <= 3 && words.first().is_some_and(|w| is_in(TOTAL_LABELS, w))
}

/// The N a header states: "Cases (N=400)", "Controls (n = 1,600)".
fn header_n(header: &str) -> Option<u64> {
    let bytes = header.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if !matches!(b, b'n' | b'N') || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let rest = header[i + 1..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .collect();
        if let NumVal::Int(n) = classify(digits.trim_end_matches(',')) {
            return Some(n);
        }
    }
    None
}

/// A percentage as written in a cell: "3.0", "2.5%".
fn percent(cell: &str) -> Option<Share> {
    let c = cell.trim().trim_end_matches('%').trim();
    let (whole, frac) = c.split_once('.').unwrap_or((c, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 4
    {
        return None;
    }
    let scaled = format!("{whole}{frac}").parse().ok()?;
    Some(Share::Percent {
        scaled,
        decimals: u32::try_from(frac.len()).ok()?,
    })
}

/// Totals the table states and shares of its columns' N that reveal a count
/// from 1 to 20. Only tables about people are read: one with a count column or
/// row (`n`, `Cases`, `Participants`) or a header naming people (`Female`,
/// `Race`).
pub(super) fn derive(tables: &Tables<'_>, headers: &[Cell], rows: &[Row]) -> Vec<Hit> {
    let rules = tables.rules;
    let small = |v: u64| rules.is_small(v);
    let roles: Vec<Role> = headers.iter().map(|(h, _)| tables.role(h)).collect();
    let about_people = roles.contains(&Role::Count)
        || headers
            .iter()
            .chain(rows.iter().filter_map(|r| r.cells.first()))
            .any(|(label, _)| {
                label_words(label).iter().any(|w| {
                    is_in(PEOPLE_WORDS, w)
                        || rules.count_nouns.contains(w)
                        || matches!(
                            w.as_str(),
                            "sex" | "race" | "ethnicity" | "ancestry" | "gender"
                        )
                })
            });
    if !about_people {
        return Vec::new();
    }
    let header = |c: usize| headers.get(c).map_or("", |(h, _)| h.as_str());
    // Counts add up only in columns of counts: not the label column, not a
    // statistic ("Age, mean"), not percentages.
    let additive =
        |c: usize| c > 0 && roles.get(c) != Some(&Role::Stat) && !header(c).contains('%');
    let cell = |r: &Row, c: usize| r.cells.get(c).map_or(Value::Suppressed, |(t, _)| value(t));
    let label = |r: &Row| r.cells.first().map_or("", |(t, _)| t.as_str()).to_owned();
    let mut hits = Vec::new();
    let mut push = |span: Range<usize>, derivation: String| {
        hits.push(Hit {
            kind: HitKind::SmallCount,
            excerpt: excerpt(tables.text, span.clone()),
            span,
            reason: "a table cell that follows from the table's totals".to_owned(),
            derivation: Some(derivation),
        })
    };

    // Column totals: a "Total" row. A few at most, so a pathological table stays
    // linear.
    let total_rows: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| is_total(&label(r)))
        .map(|(i, _)| i)
        .take(3)
        .collect();
    for &tr in &total_rows {
        for c in (1..headers.len()).filter(|&c| additive(c)) {
            let Value::Count(total) = cell(&rows[tr], c) else {
                continue;
            };
            let others = rows
                .iter()
                .enumerate()
                .filter(|(i, _)| !total_rows.contains(i))
                .map(|(_, r)| (label(r), cell(r, c)));
            if let Some(text) =
                left_over(total, others, &format!("the “{}” column", header(c)), small)
            {
                push(rows[tr].span.clone(), text);
            }
        }
    }

    // Row totals: a "Total" column.
    let total_cols: Vec<usize> = (1..headers.len())
        .filter(|&c| is_total(header(c)) && roles.get(c) != Some(&Role::Stat))
        .take(3)
        .collect();
    for &tc in &total_cols {
        for r in rows {
            let Value::Count(total) = cell(r, tc) else {
                continue;
            };
            let others = (1..headers.len())
                .filter(|c| additive(*c) && !total_cols.contains(c))
                .map(|c| (header(c).to_owned(), cell(r, c)));
            if let Some(text) = left_over(total, others, &format!("the “{}” row", label(r)), small)
            {
                push(r.span.clone(), text);
            }
        }
    }

    // Percentages of a column's stated N.
    for (c, (h, _)) in headers.iter().enumerate().skip(1) {
        let Some(n) = header_n(h) else {
            continue;
        };
        for r in rows {
            let row_label = label(r);
            let lower = row_label.to_lowercase();
            if !(row_label.contains('%') || lower.contains("percent") || h.contains('%')) {
                continue;
            }
            let Some((text, _)) = r.cells.get(c) else {
                continue;
            };
            let Some(share) = percent(text) else {
                continue;
            };
            let Some(part) = share.candidates(n) else {
                continue;
            };
            let rest = complement(n, &part);
            let (min, max) = (rules.min_count, rules.max_count);
            let rest_small = !touches(&part, min, max) && touches(&rest, min, max);
            if touches(&part, min, max) || rest_small {
                let written = format!("{}%", text.trim().trim_end_matches('%'));
                push(
                    r.span.clone(),
                    format!(
                        "{} (the “{row_label}” row of “{h}”)",
                        explain::share(
                            &written,
                            n,
                            &part,
                            rest_small.then_some(&rest),
                            "participants"
                        )
                    ),
                );
            }
        }
    }
    hits
}

/// What a total leaves once the cells shown are taken away, when that is a
/// small count: the suppressed cell, the suppressed cells together, or people
/// the table does not show at all.
fn left_over(
    total: u64,
    cells: impl Iterator<Item = (String, Value)>,
    line: &str,
    small: impl Fn(u64) -> bool,
) -> Option<String> {
    let mut shown = Vec::new();
    let mut hidden = Vec::new();
    for (name, v) in cells {
        match v {
            Value::Count(n) => shown.push(n),
            Value::Suppressed => hidden.push(name),
            Value::Other => return None,
        }
    }
    let sum: u64 = shown.iter().sum();
    if shown.is_empty() || sum > total || !small(total - sum) {
        return None;
    }
    let arithmetic = explain::difference(total, &shown, "");
    Some(match hidden.as_slice() {
        [] => format!("{arithmetic} participants that no cell of {line} shows"),
        [one] => format!("{arithmetic} in the suppressed “{one}” cell of {line}"),
        many => format!(
            "{arithmetic} across the suppressed cells of {line} ({})",
            many.iter()
                .map(|n| format!("“{n}”"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_values() {
        assert_eq!(value("1,400"), Value::Count(1400));
        assert_eq!(value("120 (48.0)"), Value::Count(120));
        assert_eq!(value("≤20"), Value::Suppressed);
        assert_eq!(value("<20"), Value::Suppressed);
        assert_eq!(value(""), Value::Suppressed);
        assert_eq!(value("*"), Value::Suppressed);
        assert_eq!(value("—"), Value::Suppressed);
        assert_eq!(value("63.3"), Value::Other);
        assert_eq!(value("$120"), Value::Other);
        assert_eq!(value("61.2 (9.8)"), Value::Other);
    }

    #[test]
    fn header_ns() {
        assert_eq!(header_n("Cases (N=400)"), Some(400));
        assert_eq!(header_n("Controls (n = 1,600)"), Some(1600));
        assert_eq!(header_n("n (%)"), None);
        assert_eq!(header_n("Run=3"), None);
    }
}
