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
//! Spans are byte ranges into the text passed to [`detect`].

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::rules::SmallCountRules;

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
}

/// Scans markdown for small counts, person identifiers and SSNs.
pub fn detect(rules: &SmallCountRules, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    if rules.enabled {
        let scanned = scan_markdown(text);
        let prose = Prose::new(rules, &scanned.masked);
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

// ---------------------------------------------------------------------------- SSNs

static SSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{3})-([0-9]{2})-([0-9]{4})\b").expect("constant regex"));

/// SSN-shaped strings, using the SSA's never-issued ranges to skip impossible ones.
/// Phone numbers (3-3-4) and ISO dates (4-2-2) have other shapes; a dash on either
/// side means a longer identifier, not an SSN.
fn ssns(text: &str) -> Vec<Hit> {
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
            })
        })
        .collect()
}

// ------------------------------------------------------------------------ markdown

/// A fenced code block.
#[derive(Debug, Clone)]
pub(crate) struct CodeBlock {
    /// The first word of the info string, lower-cased ("" when none).
    pub lang: String,
    /// Byte range of the lines between the fences.
    pub content: Range<usize>,
}

pub(crate) struct Scanned {
    /// The text with code, URLs and e-mail addresses blanked to spaces (newlines
    /// kept), so byte offsets still line up with the original.
    pub masked: String,
    pub blocks: Vec<CodeBlock>,
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:https?|ftp)://[^\s<>]+|\bwww\.[^\s<>]+|\]\([^)\s]*\)|[\w.+-]+@[\w-]+\.[\w.-]+",
    )
    .expect("constant regex")
});

/// Blanks fenced code blocks and inline code spans, returning the masked text and
/// the fenced blocks.
pub(crate) fn mask_code(text: &str) -> (String, Vec<CodeBlock>) {
    let mut masked_ranges: Vec<Range<usize>> = Vec::new();
    let mut blocks = Vec::new();

    // Fenced code blocks: ``` or ~~~ (three or more), indented at most three spaces.
    let mut open: Option<(char, usize, String, usize, usize)> = None; // char, len, lang, fence start, content start
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = line.trim_start_matches(' ');
        let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~');
        let fence_len = fence_char.map_or(0, |c| rest.chars().take_while(|x| *x == c).count());
        match &open {
            None => {
                if let Some(c) = fence_char
                    && indent <= 3
                    && fence_len >= 3
                {
                    let info = rest[fence_len..].trim();
                    if c == '`' && info.contains('`') {
                        continue; // an inline code span, not a fence
                    }
                    let lang = info
                        .split(|ch: char| ch.is_whitespace() || ch == '{' || ch == ',')
                        .next()
                        .unwrap_or_default()
                        .to_lowercase();
                    open = Some((c, fence_len, lang, line_start, offset));
                }
            }
            Some((c, len, lang, fence_start, content_start)) => {
                let closes = fence_char == Some(*c)
                    && indent <= 3
                    && fence_len >= *len
                    && rest[fence_len..].trim().is_empty();
                if closes {
                    blocks.push(CodeBlock {
                        lang: lang.clone(),
                        content: *content_start..line_start,
                    });
                    masked_ranges.push(*fence_start..offset);
                    open = None;
                }
            }
        }
    }
    if let Some((_, _, lang, fence_start, content_start)) = open {
        // An unclosed fence runs to the end of the document, as in CommonMark.
        blocks.push(CodeBlock {
            lang,
            content: content_start..text.len(),
        });
        masked_ranges.push(fence_start..text.len());
    }

    let mut masked = mask(text, &masked_ranges);

    // Inline code: a run of N backticks up to the next run of exactly N. Runs are
    // collected once and each is linked to the next run of the same length, so
    // unmatched runs cost nothing extra.
    let bytes = masked.as_bytes();
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, length)
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let len = bytes[i..].iter().take_while(|b| **b == b'`').count();
            runs.push((i, len));
            i += len;
        } else {
            i += 1;
        }
    }
    let mut next_same = vec![None; runs.len()];
    let mut last_seen: HashMap<usize, usize> = HashMap::new();
    for (k, (_, len)) in runs.iter().enumerate().rev() {
        next_same[k] = last_seen.insert(*len, k);
    }
    let mut spans = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        match next_same[k] {
            Some(j) => {
                spans.push(runs[k].0..runs[j].0 + runs[j].1);
                k = j + 1;
            }
            None => k += 1,
        }
    }
    masked = mask(&masked, &spans);

    (masked, blocks)
}

pub(crate) fn scan_markdown(text: &str) -> Scanned {
    let (mut masked, blocks) = mask_code(text);
    let urls: Vec<Range<usize>> = URL.find_iter(&masked).map(|m| m.range()).collect();
    masked = mask(&masked, &urls);

    Scanned { masked, blocks }
}

/// Replaces every character inside `ranges` except newlines with spaces, one space
/// per byte, so offsets are preserved and the result stays valid UTF-8.
fn mask(text: &str, ranges: &[Range<usize>]) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut next = sorted.iter().peekable();
    let mut current: Option<&Range<usize>> = None;
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        // Advance through the sorted ranges in step with the text: linear time.
        while current.is_none_or(|r| r.end <= i) {
            match next.peek() {
                Some(r) if r.start <= i => current = next.next(),
                _ => break,
            }
        }
        let inside = current.is_some_and(|r| r.contains(&i));
        if inside && c != '\n' {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Lines with their byte offsets, without the line break.
fn lines_of(text: &str) -> Vec<(usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|l| {
            let start = offset;
            offset += l.len();
            (start, l.trim_end_matches(['\n', '\r']))
        })
        .collect()
}

// ----------------------------------------------------------------------- tokenizer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Num,
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumVal {
    Int(u64),
    Range(u64, u64),
    Frac(u64, u64),
    /// Decimals, dates, times, versions, identifiers, "3rd", "10GB".
    Other,
}

#[derive(Debug, Clone)]
struct Tok<'a> {
    kind: Kind,
    text: &'a str,
    start: usize,
    end: usize,
    num: NumVal,
    /// Line breaks in the whitespace before this token.
    newlines_before: usize,
    space_before: bool,
}

fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|(_, c)| *c);
    let pos = |k: usize| chars.get(k).map_or(text.len(), |(i, _)| *i);
    let mut toks = Vec::new();
    let mut k = 0;
    let mut newlines = 0;
    let mut space = false;
    while let Some(c) = at(k) {
        if c.is_whitespace() {
            if c == '\n' {
                newlines += 1;
            }
            space = true;
            k += 1;
            continue;
        }
        let start = k;
        let mut num = NumVal::Other;
        let kind = if c.is_alphabetic() {
            k += 1;
            while let Some(c) = at(k) {
                let next = at(k + 1);
                let joins = match c {
                    '-' => next.is_some_and(char::is_alphanumeric),
                    '\'' | '’' => next.is_some_and(char::is_alphabetic),
                    _ => c.is_alphanumeric() || c == '_',
                };
                if !joins {
                    break;
                }
                k += 1;
            }
            Kind::Word
        } else if c.is_ascii_digit() {
            k += 1;
            loop {
                match (at(k), at(k + 1)) {
                    (Some(d), _) if d.is_ascii_digit() => k += 1,
                    (Some('.' | ',' | ':' | '/' | '-' | '–'), Some(d)) if d.is_ascii_digit() => {
                        k += 2
                    }
                    _ => break,
                }
            }
            let mut suffix = false;
            while at(k).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                suffix = true;
                k += 1;
            }
            num = if suffix {
                NumVal::Other
            } else {
                classify(&text[pos(start)..pos(k)])
            };
            Kind::Num
        } else {
            k += 1;
            Kind::Punct
        };
        toks.push(Tok {
            kind,
            text: &text[pos(start)..pos(k)],
            start: pos(start),
            end: pos(k),
            num,
            newlines_before: newlines,
            space_before: space,
        });
        newlines = 0;
        space = false;
    }
    toks
}

/// Classifies a run of digits and separators.
fn classify(s: &str) -> NumVal {
    let seps: Vec<char> = s.chars().filter(|c| !c.is_ascii_digit()).collect();
    let parts: Vec<&str> = s.split(|c: char| !c.is_ascii_digit()).collect();
    let int = |p: &str| {
        // "007" and the like are codes, not counts.
        if p.len() > 1 && p.starts_with('0') {
            None
        } else {
            p.parse::<u64>().ok()
        }
    };
    if seps.is_empty() {
        return int(s).map_or(NumVal::Other, NumVal::Int);
    }
    if seps.iter().all(|c| *c == ',') {
        let grouped = parts.first().is_some_and(|p| (1..=3).contains(&p.len()))
            && parts.iter().skip(1).all(|p| p.len() == 3);
        return if grouped {
            int(&parts.concat()).map_or(NumVal::Other, NumVal::Int)
        } else {
            NumVal::Other
        };
    }
    match (seps.as_slice(), parts.as_slice()) {
        (['-' | '–'], [a, b]) => match (int(a), int(b)) {
            (Some(a), Some(b)) => NumVal::Range(a, b),
            _ => NumVal::Other,
        },
        (['/'], [a, b]) => match (int(a), int(b)) {
            (Some(a), Some(b)) => NumVal::Frac(a, b),
            _ => NumVal::Other,
        },
        _ => NumVal::Other,
    }
}

// -------------------------------------------------------------------- word tables

#[rustfmt::skip]
const NUMBER_WORDS: [&str; 20] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty",
];

fn number_word(w: &str) -> Option<u64> {
    NUMBER_WORDS
        .iter()
        .position(|n| *n == w)
        .and_then(|i| u64::try_from(i + 1).ok())
}

/// Words that end the search for a count noun after a number: prepositions,
/// conjunctions, verbs, pronouns and quantifiers. "3 days after participants
/// enrolled" is about days.
const BREAK: &[&str] = &[
    "in", "on", "at", "for", "from", "to", "with", "without", "by", "per", "after", "before",
    "during", "than", "into", "onto", "over", "under", "within", "across", "between", "among",
    "about", "via", "since", "until", "through", "against", "and", "or", "but", "nor", "so", "if",
    "while", "because", "whereas", "is", "are", "was", "were", "be", "been", "being", "am", "has",
    "have", "had", "do", "does", "did", "will", "would", "can", "could", "should", "may", "might",
    "must", "shall", "get", "got", "it", "its", "they", "them", "we", "us", "you", "he", "she",
    "i", "this", "that", "these", "those", "which", "who", "whom", "whose", "what", "when",
    "where", "why", "how", "not", "no", "there", "here", "each", "every", "any", "some", "all",
    "both", "either", "neither", "as", "like", "vs", "versus", "also", "most", "least", "many",
    "much", "several", "few", "the", "a", "an", "our", "my", "their", "his", "her", "your",
];

/// Non-person nouns: units, and things researchers count that are not people. After
/// a number they end the search ("3 days", "2 cores"); right after a count noun they
/// make it a modifier ("5 quality control steps", "2 case studies").
#[rustfmt::skip]
const UNITS: &[&str] = &[
    "year", "years", "yr", "yrs", "month", "months", "week", "weeks", "day", "days", "hour",
    "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "second", "seconds", "sec",
    "secs", "ms", "pm", "am", "gb", "mb", "tb", "kb", "gib", "mib", "tib", "bytes", "cpu",
    "cpus", "vcpu", "vcpus", "core", "cores", "gpu", "gpus", "node", "nodes", "worker",
    "workers", "machine", "machines", "vm", "vms", "thread", "threads", "job", "jobs", "task",
    "tasks", "step", "steps", "time", "times", "row", "rows", "column", "columns", "table",
    "tables", "file", "files", "field", "fields", "variable", "variables", "feature",
    "features", "record", "records", "study", "studies", "group", "groups", "arm", "arms",
    "sample", "samples", "visit", "visits", "question", "questions", "item", "items", "page",
    "pages", "line", "lines", "iteration", "iterations", "epoch", "epochs", "fold", "folds",
    "repeat", "repeats", "run", "runs", "batch", "batches", "query", "queries", "result",
    "results", "concept", "concepts", "code", "codes", "definition", "definitions", "report",
    "reports", "series", "site", "sites", "workspace", "workspaces", "notebook", "notebooks",
    "cluster", "clusters", "dollars", "usd", "credits", "percent", "fraction", "points",
    "times", "x",
];

/// Modifiers that make the people hypothetical: "3 test cases", "12 synthetic
/// participants" are not disclosures.
#[rustfmt::skip]
const HYPOTHETICAL: &[&str] = &[
    "test", "tests", "edge", "use", "corner", "unit", "example", "toy", "dummy", "synthetic",
    "simulated", "fake", "hypothetical", "mock", "imaginary", "demo", "fictional", "made-up",
];

/// Determiners allowed after a partitive "of": "3 of our participants".
const DETERMINERS: &[&str] = &[
    "the", "our", "my", "these", "those", "their", "all", "his", "her", "your", "its", "this",
];

/// Words in a table header or row label that mark it as a statistic other than a
/// count ("Age, mean (SD)", "BMI, median (IQR)"), or as a label column ("Step count").
#[rustfmt::skip]
const STAT_WORDS: &[&str] = &[
    "mean", "median", "sd", "se", "iqr", "avg", "average", "std", "variance", "ratio", "rate",
    "percent", "percentage", "pct", "score", "range", "min", "max", "or", "hr", "rr", "ci", "p",
    "pvalue", "beta", "estimate", "coefficient", "step", "steps", "version", "id", "rank",
    "position", "pos", "index", "chr", "chromosome", "page", "cost", "price", "usd",
];

/// Header words that mark a count column on their own, whatever else is there.
const STRONG_HEADER: &[&str] = &["n", "count", "counts", "cnt"];

/// Fence languages treated as pasted output rather than code.
#[rustfmt::skip]
const OUTPUT_LANGS: &[&str] = &[
    "", "text", "txt", "output", "out", "console", "plain", "plaintext", "csv", "tsv", "log",
    "md", "markdown", "table", "psql",
];

fn is_in(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

/// Lower-cases a word and drops a possessive: "participants'" and "patient's".
fn norm(w: &str) -> String {
    let lower = w.to_lowercase();
    let trimmed = lower
        .strip_suffix("'s")
        .or_else(|| lower.strip_suffix("’s"))
        .unwrap_or(&lower);
    trimmed.trim_end_matches(['\'', '’']).to_owned()
}

// ------------------------------------------------------------------------- bounds

/// What the text says about the count relative to the number written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
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
fn reveals(rules: &SmallCountRules, bound: Bound, value: NumVal) -> bool {
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
fn is_threshold(rules: &SmallCountRules, bound: Bound, value: NumVal) -> bool {
    match value {
        NumVal::Int(v) => bound != Bound::Lower && v == rules.max_count,
        NumVal::Range(a, b) => (a, b) == (rules.min_count, rules.max_count),
        _ => false,
    }
}

fn bound_of_ops(ops: &str) -> Bound {
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

const OPS: &str = "=:<>≤≥⩽⩾~≈";

/// Word qualifiers before a number, longest first.
const WORD_QUALIFIERS: &[(&[&str], Bound)] = &[
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

// -------------------------------------------------------------------------- prose

/// What precedes a candidate number.
struct Prefix {
    bound: Bound,
    /// The operator characters right before the number ("=", "<", ":").
    ops: String,
    /// Index of an `n` label ("n", "N", "n_cases", "count", "sample size").
    label: Option<usize>,
    /// Index of the token before the operators / qualifier words.
    before: Option<usize>,
    /// First token of a qualifier worth quoting ("fewer than", "<", "only").
    qual_start: Option<usize>,
}

/// Why a number counts people.
enum Evidence {
    Label,
    Noun(String),
    Percentage,
}

struct Prose<'a> {
    rules: &'a SmallCountRules,
    text: &'a str,
    toks: Vec<Tok<'a>>,
    /// Sentence number of each token.
    sentence: Vec<usize>,
    /// Sentences containing a policy word.
    policy_sentences: HashSet<usize>,
    /// Sentences containing a team or Workbench word.
    colleague_sentences: HashSet<usize>,
}

impl<'a> Prose<'a> {
    fn new(rules: &'a SmallCountRules, text: &'a str) -> Self {
        let toks = tokenize(text);
        let mut sentence = Vec::with_capacity(toks.len());
        let mut current = 0;
        for (i, t) in toks.iter().enumerate() {
            let prev_ends = i > 0
                && toks[i - 1].kind == Kind::Punct
                && matches!(toks[i - 1].text, "." | "!" | "?")
                && t.space_before;
            let new_block = t.newlines_before >= 2
                || (t.newlines_before >= 1
                    && t.kind == Kind::Punct
                    && matches!(t.text, "|" | "#" | ">" | "-" | "*" | "+"));
            if prev_ends || new_block {
                current += 1;
            }
            sentence.push(current);
        }
        let mut policy_sentences = HashSet::new();
        let mut colleague_sentences = HashSet::new();
        for (t, s) in toks.iter().zip(&sentence) {
            if t.kind != Kind::Word {
                continue;
            }
            let w = norm(t.text);
            if rules.policy_words.contains(&w) {
                policy_sentences.insert(*s);
            }
            if rules.team_words.contains(&w) || rules.workbench_words.contains(&w) {
                colleague_sentences.insert(*s);
            }
        }
        Prose {
            rules,
            text,
            toks,
            sentence,
            policy_sentences,
            colleague_sentences,
        }
    }

    fn word(&self, i: usize) -> Option<String> {
        self.toks
            .get(i)
            .filter(|t| t.kind == Kind::Word)
            .map(|t| norm(t.text))
    }

    fn is_word(&self, i: usize, w: &str) -> bool {
        self.word(i).as_deref() == Some(w)
    }

    fn punct(&self, i: usize) -> Option<&str> {
        self.toks
            .get(i)
            .filter(|t| t.kind == Kind::Punct)
            .map(|t| t.text)
    }

    fn is_noun(&self, i: usize) -> Option<String> {
        self.word(i).filter(|w| self.rules.count_nouns.contains(w))
    }

    /// Skips markdown emphasis markers forwards.
    fn fwd(&self, mut i: usize) -> usize {
        while matches!(self.punct(i), Some("*" | "_")) {
            i += 1;
        }
        i
    }

    /// The index before `i`, skipping emphasis markers backwards.
    fn back(&self, i: usize) -> Option<usize> {
        let mut j = i.checked_sub(1)?;
        while matches!(self.punct(j), Some("*" | "_")) {
            j = j.checked_sub(1)?;
        }
        Some(j)
    }

    fn detect(&self) -> Vec<Hit> {
        let mut hits = Vec::new();
        for i in 0..self.toks.len() {
            if let Some(hit) = self.candidate(i) {
                hits.push(hit);
            }
            if let Some(hit) = self.percent_of_total(i) {
                hits.push(hit);
            }
        }
        hits
    }

    /// Whether a number token stands on its own: not "$5", "#3", "-2", ".5", "15%".
    fn free_standing(&self, t: &Tok<'_>) -> bool {
        let before = self.text[..t.start].chars().next_back();
        let after = self.text[t.end..].chars().next();
        let bad_before = before.is_some_and(|c| c.is_alphanumeric() || "$£€#@./\\^_-+".contains(c));
        let bad_after = after.is_some_and(|c| "%+°′″".contains(c));
        !bad_before && !bad_after
    }

    fn prefix(&self, i: usize) -> Prefix {
        let mut ops = String::new();
        let mut first_op = None;
        let mut j = self.back(i);
        while let Some(k) = j {
            match self.punct(k) {
                Some(p) if OPS.contains(p) => {
                    ops.insert_str(0, p);
                    first_op = Some(k);
                    j = self.back(k);
                }
                _ => break,
            }
        }
        if !ops.is_empty() {
            let bound = bound_of_ops(&ops);
            if let Some(k) = j
                && self.is_n_label(k)
            {
                return Prefix {
                    bound,
                    label: Some(k),
                    before: self.back(k),
                    qual_start: Some(k),
                    ops,
                };
            }
            // "Result: 5" quotes just the number; "<20" and "~12" quote the sign.
            let plain = matches!(ops.as_str(), ":" | "=" | "==");
            return Prefix {
                bound,
                label: None,
                before: j,
                qual_start: if plain { None } else { first_op },
                ops,
            };
        }
        if let Some(end) = j {
            for (words, bound) in WORD_QUALIFIERS {
                let n = words.len();
                let Some(first) = (end + 1).checked_sub(n) else {
                    continue;
                };
                if (0..n).all(|m| self.is_word(first + m, words[m])) {
                    return Prefix {
                        bound: *bound,
                        ops,
                        label: None,
                        before: first.checked_sub(1),
                        qual_start: Some(first),
                    };
                }
            }
        }
        Prefix {
            bound: Bound::Exact,
            ops,
            label: None,
            before: j,
            qual_start: None,
        }
    }

    fn is_n_label(&self, k: usize) -> bool {
        let Some(t) = self.toks.get(k).filter(|t| t.kind == Kind::Word) else {
            return false;
        };
        let w = t.text.to_lowercase();
        // "row count: 12" and "word count: 15" count things, not people.
        let counts_things = || {
            k > 0
                && self
                    .word(k - 1)
                    .is_some_and(|p| is_in(UNITS, &p) || p == "word" || p == "character")
        };
        w == "n"
            || (w.starts_with("n_") && w.len() > 2)
            || ((w == "count" || w == "cnt") && !counts_things())
            || (w == "size" && k > 0 && self.is_word(k - 1, "sample"))
    }

    fn candidate(&self, i: usize) -> Option<Hit> {
        let t = &self.toks[i];
        let (value, is_word_number) = match t.kind {
            Kind::Num => {
                if matches!(t.num, NumVal::Other) || !self.free_standing(t) {
                    return None;
                }
                (t.num, false)
            }
            Kind::Word => {
                let w = norm(t.text);
                let v = if w == "single" && i > 0 && self.is_word(i - 1, "a") {
                    1
                } else {
                    number_word(&w)?
                };
                (NumVal::Int(v), true)
            }
            Kind::Punct => return None,
        };
        // Cheap exit: nothing this number could say is a forbidden count.
        if !reveals(self.rules, Bound::Exact, value)
            && !reveals(self.rules, Bound::AtMost, value)
            && !reveals(self.rules, Bound::Less, value)
        {
            return None;
        }
        let prefix = self.prefix(i);
        if prefix.label.is_none()
            && let Some(b) = prefix.before
            && let Some(w) = self.word(b)
        {
            if self.rules.label_words.contains(&w) {
                return None; // "Table 2", "type 2", "age 18", "top 10"
            }
            if is_word_number
                && value == NumVal::Int(1)
                && matches!(
                    w.as_str(),
                    "no" | "any" | "every" | "each" | "some" | "which"
                )
            {
                return None; // "no one", "any one"
            }
        }

        // (evidence, first token to quote, last token to quote)
        let (evidence, first, last) = if let Some(label) = prefix.label {
            // "n = 10 threads" is a parameter, not a sample size.
            let next = self.fwd(i + 1);
            if self.word(next).is_some_and(|w| is_in(UNITS, &w)) {
                return None;
            }
            (Evidence::Label, label, i)
        } else if let Some(end) = self.percentage_after(i, value) {
            (Evidence::Percentage, i, end)
        } else if let Some(end) = self.percentage_before(i, &prefix) {
            (Evidence::Percentage, i, end)
        } else if let Some((word, k)) = self.noun_after(i) {
            if self.noun_vetoed(i, k, &word, value, is_word_number) {
                return None;
            }
            (Evidence::Noun(word), i, k)
        } else if let Some((word, start)) = self.noun_before(&prefix, i) {
            (Evidence::Noun(word), start, i)
        } else if let Some((word, k)) = self.anaphora_after(i, is_word_number) {
            (Evidence::Noun(word), i, k)
        } else {
            return None;
        };
        if is_word_number && !matches!(evidence, Evidence::Noun(_)) {
            return None;
        }
        if !reveals(self.rules, prefix.bound, value) {
            return None;
        }
        if is_threshold(self.rules, prefix.bound, value)
            && (self.in_policy_sentence(i) || self.follows_policy_range(&prefix))
        {
            return None;
        }
        let mut first = prefix.qual_start.map_or(first, |q| q.min(first));
        if is_word_number && i > 0 && self.is_word(i, "single") {
            first = first.min(i - 1); // "a single participant"
        }
        let span = self.toks[first].start..self.toks[last].end;
        let reason = match evidence {
            Evidence::Label => "a sample size (n) between the limits".to_owned(),
            Evidence::Percentage => "a count given with a percentage".to_owned(),
            Evidence::Noun(w) => format!("a count of “{w}”"),
        };
        Some(self.hit(span, reason))
    }

    fn hit(&self, span: Range<usize>, reason: String) -> Hit {
        Hit {
            kind: HitKind::SmallCount,
            excerpt: excerpt(self.text, span.clone()),
            span,
            reason,
        }
    }

    /// The count noun after a number: "7 participants", "4 Native Hawaiian
    /// participants", "3 of our participants", "2 of the 150 patients". Returns the
    /// noun and its index.
    fn noun_after(&self, i: usize) -> Option<(String, usize)> {
        let mut k = self.fwd(i + 1);
        let mut partitive = false;
        if self.is_word(k, "of") {
            k = self.fwd(k + 1);
            partitive = true;
        } else if self.is_word(k, "out") && self.is_word(k + 1, "of") {
            k = self.fwd(k + 2);
            partitive = true;
        }
        if partitive {
            if self.word(k).is_some_and(|w| is_in(DETERMINERS, &w)) {
                k = self.fwd(k + 1);
            }
            if self.toks.get(k).is_some_and(|t| t.kind == Kind::Num) {
                k = self.fwd(k + 1);
            }
        }
        let mut modifiers = 0;
        let mut prev_capitalised = false;
        loop {
            let t = self.toks.get(k)?;
            match t.kind {
                Kind::Word => {
                    let w = norm(t.text);
                    if self.rules.count_nouns.contains(&w) {
                        return Some((w, k));
                    }
                    let capitalised = t.text.chars().next().is_some_and(char::is_uppercase);
                    // "Black or African American participants": a connector between
                    // two capitalised words is part of a category name.
                    let connector = (w == "or" || w == "and")
                        && prev_capitalised
                        && self
                            .toks
                            .get(k + 1)
                            .is_some_and(|n| n.text.chars().next().is_some_and(char::is_uppercase));
                    if !connector
                        && (is_in(BREAK, &w)
                            || is_in(UNITS, &w)
                            || is_in(HYPOTHETICAL, &w)
                            || number_word(&w).is_some())
                    {
                        return None;
                    }
                    modifiers += 1;
                    if modifiers > 5 {
                        return None;
                    }
                    prev_capitalised = capitalised;
                    k = self.fwd(k + 1);
                }
                // "Hispanic/Latino participants"
                Kind::Punct if t.text == "/" && modifiers > 0 => k = self.fwd(k + 1),
                _ => return None,
            }
        }
    }

    /// Reasons a number followed by a count noun is still not a disclosure.
    fn noun_vetoed(
        &self,
        i: usize,
        k: usize,
        noun: &str,
        value: NumVal,
        word_number: bool,
    ) -> bool {
        let next = self.fwd(k + 1);
        // "5 quality control steps", "2 case studies": the noun is a modifier.
        if self.word(next).is_some_and(|w| is_in(UNITS, &w)) {
            return true;
        }
        if value == NumVal::Int(1) {
            // "one participant per row" is a shape, not a count.
            if self.is_word(next, "per") {
                return true;
            }
            // "In one case the cluster never started" is an idiom.
            if noun == "case" && i > 0 && self.is_word(i - 1, "in") {
                return true;
            }
            // "one of the participants asked ..." is anecdote, not a statistic.
            if word_number && self.is_word(self.fwd(i + 1), "of") {
                return true;
            }
        }
        // "2 controls per case": a matching ratio, not a count.
        if self.is_word(next, "per") && self.is_noun(self.fwd(next + 1)).is_some() {
            return true;
        }
        // "3 people in our lab": colleagues, not participants. Ambiguous nouns
        // ("people", "users") are cleared by team or Workbench words anywhere in the
        // sentence; other nouns only by a team word shortly after them.
        if self.rules.ambiguous_nouns.contains(noun) {
            return self.colleague_sentences.contains(&self.sentence[k]);
        }
        let sentence = self.sentence[k];
        (k + 1..self.toks.len())
            .take_while(|&j| self.sentence[j] == sentence)
            .take(6)
            .any(|j| {
                self.word(j)
                    .is_some_and(|w| self.rules.team_words.contains(&w))
            })
    }

    /// "7 of whom", or "Seven of them" after a sentence that counted people.
    fn anaphora_after(&self, i: usize, word_number: bool) -> Option<(String, usize)> {
        let of = self.fwd(i + 1);
        if !self.is_word(of, "of") || (word_number && self.is_word(i, "one")) {
            return None;
        }
        let pronoun = self.fwd(of + 1);
        let w = self.word(pronoun)?;
        if w == "whom" {
            return Some(("people (“of whom”)".to_owned(), pronoun));
        }
        if !matches!(w.as_str(), "them" | "these" | "those") {
            return None;
        }
        // The people must have been named just before: this or the previous sentence.
        let s = self.sentence[i];
        (0..i)
            .rev()
            .take_while(|&j| self.sentence[j] + 1 >= s)
            .take(80) // a sentence or two, even in unpunctuated text
            .find_map(|j| self.is_noun(j))
            .map(|noun| (noun, pronoun))
    }

    /// "5 (2.1%)", "5/240 (2.1%)", "5 of 240 (2.1%)": returns the index of ')' or '%'.
    fn percentage_after(&self, i: usize, value: NumVal) -> Option<usize> {
        if !matches!(value, NumVal::Int(_) | NumVal::Frac(..)) {
            return None;
        }
        let mut k = self.fwd(i + 1);
        if self.is_word(k, "of") || (self.is_word(k, "out") && self.is_word(k + 1, "of")) {
            k += if self.is_word(k, "of") { 1 } else { 2 };
            if !self.toks.get(k).is_some_and(|t| t.kind == Kind::Num) {
                return None;
            }
            k += 1;
        }
        if self.punct(k) != Some("(") {
            return None;
        }
        let num = self.toks.get(k + 1).filter(|t| t.kind == Kind::Num)?;
        let pct = k + 2;
        if self.punct(pct) != Some("%") || num.end != self.toks[pct].start {
            return None;
        }
        Some(if self.punct(pct + 1) == Some(")") {
            pct + 1
        } else {
            pct
        })
    }

    /// "2.1% (5)": the number is in brackets right after a percentage.
    fn percentage_before(&self, i: usize, prefix: &Prefix) -> Option<usize> {
        if !prefix.ops.is_empty() {
            return None;
        }
        let open = prefix.before?;
        if self.punct(open) != Some("(") || self.punct(i + 1) != Some(")") {
            return None;
        }
        let pct = open.checked_sub(1)?;
        (self.punct(pct) == Some("%")).then_some(i + 1)
    }

    /// A count noun before the number: "Cases: 7", "Participants with both codes: 12",
    /// "controls (12)", "the number of participants was 16", "Of the 412 controls,
    /// 6 were ...", "340 participants, of whom 7". Returns the noun and the index of
    /// the first token worth quoting.
    fn noun_before(&self, prefix: &Prefix, i: usize) -> Option<(String, usize)> {
        let b = prefix.before?;
        // "Cases: 7 minutes" would be a duration.
        if self.word(self.fwd(i + 1)).is_some_and(|w| is_in(UNITS, &w)) {
            return None;
        }
        if matches!(prefix.ops.as_str(), ":" | "=") {
            // The noun may open a short phrase: "Participants with both codes: 12".
            return self
                .clause_back(b, 8)
                .find_map(|j| self.is_noun(j).map(|n| (n, j)));
        }
        if !prefix.ops.is_empty() {
            return None;
        }
        if self.punct(b) == Some("(") && self.punct(i + 1) == Some(")") {
            let noun_at = b.checked_sub(1)?;
            return self.is_noun(noun_at).map(|n| (n, noun_at));
        }
        if self.is_word(b, "whom") && b > 0 && self.is_word(b - 1, "of") {
            return Some(("people (“of whom”)".to_owned(), b - 1));
        }
        if let Some(w) = self.word(b)
            && matches!(
                w.as_str(),
                "was" | "were" | "is" | "of" | "totaled" | "totalled"
            )
        {
            let noun_at = b.checked_sub(1)?;
            let noun = self.is_noun(noun_at)?;
            // Look back a few words for "number of" / "total of" / "count of".
            return self.clause_back(noun_at, 4).find_map(|j| {
                let counted = self.is_word(j, "of")
                    && j > 0
                    && self
                        .word(j - 1)
                        .is_some_and(|w| matches!(w.as_str(), "number" | "total" | "count"));
                counted.then(|| (noun.clone(), j - 1))
            });
        }
        if self.punct(b) == Some(",") {
            // "Of the 412 controls, 6" / "Out of 1,532 participants with a heart
            // failure code, 12" / "Among participants with type 1 diabetes, 9".
            let comma = b;
            let opener = self.clause_back(comma, 12).find(|&j| {
                self.word(j)
                    .is_some_and(|w| matches!(w.as_str(), "of" | "among" | "amongst"))
            })?;
            let noun = (opener + 1..comma).find_map(|j| self.is_noun(j))?;
            let start = if opener > 0 && self.is_word(opener - 1, "out") {
                opener - 1
            } else {
                opener
            };
            return Some((noun, start));
        }
        None
    }

    /// Token indices from `from` backwards, at most `n`, staying within one clause:
    /// stops at sentence punctuation, a colon, a semicolon or a table pipe.
    fn clause_back(&self, from: usize, n: usize) -> impl Iterator<Item = usize> + '_ {
        let sentence = self.sentence[from];
        (0..=from).rev().take(n).take_while(move |&j| {
            self.sentence[j] == sentence
                && (j == from || !matches!(self.punct(j), Some(";" | ":" | "|" | "." | "!" | "?")))
        })
    }

    /// "0.5% of 3,000 participants": a percentage of a stated total that works out
    /// to a small count.
    fn percent_of_total(&self, i: usize) -> Option<Hit> {
        let t = &self.toks[i];
        if t.kind != Kind::Num || self.punct(i + 1) != Some("%") {
            return None;
        }
        let pct: f64 = t.text.parse().ok()?;
        let mut k = i + 2;
        if !self.is_word(k, "of") {
            return None;
        }
        k += 1;
        if self.word(k).is_some_and(|w| is_in(DETERMINERS, &w)) {
            k += 1;
        }
        let NumVal::Int(total) = self.toks.get(k).filter(|t| t.kind == Kind::Num)?.num else {
            return None;
        };
        let (noun, end) = self.noun_after(k)?;
        let derived = pct * total as f64 / 100.0;
        let rounded = derived.round();
        if derived < 0.5 || !(rounded >= 1.0 && rounded <= self.rules.max_count as f64) {
            return None;
        }
        // Rounded to an integer and checked against the range above, so the cast is exact.
        if !self.rules.is_small(rounded as u64) {
            return None;
        }
        Some(self.hit(
            t.start..self.toks[end].end,
            format!("a percentage of a total that works out to about {rounded} {noun}"),
        ))
    }

    fn in_policy_sentence(&self, i: usize) -> bool {
        self.policy_sentences.contains(&self.sentence[i])
    }

    /// "1 to 20 participants", "between 1 and 20": the policy's own range.
    fn follows_policy_range(&self, prefix: &Prefix) -> bool {
        let Some(b) = prefix.before else {
            return false;
        };
        let joined = self.is_word(b, "to")
            || self.is_word(b, "and")
            || matches!(self.punct(b), Some("-" | "–"));
        joined && b > 0 && self.toks[b - 1].num == NumVal::Int(self.rules.min_count)
    }
}

// ------------------------------------------------------------------------- tables

struct Tables<'a> {
    rules: &'a SmallCountRules,
    /// The original text, for excerpts.
    text: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Count,
    Stat,
    Neutral,
}

/// Splits a table row into trimmed cells (text and absolute byte range).
fn split_cells(offset: usize, line: &str) -> Vec<(String, Range<usize>)> {
    let mut cells = Vec::new();
    let trimmed_start = line.len() - line.trim_start().len();
    let mut body = &line[trimmed_start..];
    let mut base = offset + trimmed_start;
    if let Some(rest) = body.strip_prefix('|') {
        body = rest;
        base += 1;
    }
    let body = body.trim_end();
    let body = match body.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => body,
    };
    let mut start = 0;
    let bytes = body.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            cells.push(start..i);
            start = i + 1;
        }
    }
    cells.push(start..body.len());
    cells
        .into_iter()
        .map(|r| {
            let raw = &body[r.clone()];
            let lead = raw.len() - raw.trim_start().len();
            let text = raw.trim();
            let s = base + r.start + lead;
            (text.to_owned(), s..s + text.len())
        })
        .collect()
}

fn is_delimiter_row(line: &str, relaxed: bool) -> bool {
    let t = line.trim();
    let allowed =
        |c: char| matches!(c, '-' | '|' | ':' | ' ' | '\t') || (relaxed && matches!(c, '+' | '='));
    !t.is_empty()
        && t.chars().all(allowed)
        && t.chars().filter(|c| *c == '-').count() >= if relaxed { 3 } else { 1 }
        && (relaxed || t.contains('|') || t.starts_with('-'))
}

impl Tables<'_> {
    fn role(&self, label: &str) -> Role {
        let words: Vec<String> = label
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let header = |w: &String| self.rules.header_words.contains(w);
        if words.iter().any(|w| is_in(STRONG_HEADER, w) && header(w)) {
            Role::Count
        } else if words.iter().any(|w| is_in(STAT_WORDS, w)) {
            Role::Stat
        } else if words.iter().any(header) {
            Role::Count
        } else {
            Role::Neutral
        }
    }

    /// The count a cell states, if it starts with one: "12", "9 (3.6)", "<20", "5-10".
    fn cell_count(&self, cell: &str) -> Option<(Bound, NumVal)> {
        let toks = tokenize(cell);
        let mut ops = String::new();
        let mut k = 0;
        while let Some(t) = toks.get(k) {
            if t.kind == Kind::Punct && (OPS.contains(t.text) || matches!(t.text, "*" | "_")) {
                if OPS.contains(t.text) {
                    ops.push_str(t.text);
                }
                k += 1;
            } else {
                break;
            }
        }
        let t = toks.get(k).filter(|t| t.kind == Kind::Num)?;
        let after = cell[t.end..].chars().next();
        if after.is_some_and(|c| "%+°".contains(c)) {
            return None;
        }
        if toks
            .get(k + 1)
            .is_some_and(|n| n.kind == Kind::Word && is_in(UNITS, &norm(n.text)))
        {
            return None;
        }
        Some((bound_of_ops(&ops), t.num))
    }

    fn row_hit(&self, row: Range<usize>, reason: String) -> Hit {
        Hit {
            kind: HitKind::SmallCount,
            excerpt: excerpt(self.text, row.clone()),
            span: row,
            reason,
        }
    }

    /// Pipe tables. `relaxed` also accepts psql's `----+----` delimiter rows.
    fn markdown_tables(&self, lines: &[(usize, &str)], relaxed: bool) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut li = 0;
        while li + 1 < lines.len() {
            let (off, header) = lines[li];
            if !header.contains('|') || !is_delimiter_row(lines[li + 1].1, relaxed) {
                li += 1;
                continue;
            }
            let headers = split_cells(off, header);
            let roles: Vec<Role> = headers.iter().map(|(h, _)| self.role(h)).collect();
            let mut ri = li + 2;
            while let Some(&(roff, row)) = lines.get(ri) {
                if !row.contains('|') || row.trim().is_empty() {
                    break;
                }
                let cells = split_cells(roff, row);
                let row_role = cells.first().map_or(Role::Neutral, |(c, _)| self.role(c));
                for (ci, (cell, _)) in cells.iter().enumerate() {
                    let col_role = roles.get(ci).copied().unwrap_or(Role::Neutral);
                    let counts = match (ci, row_role) {
                        (0, _) => col_role == Role::Count,
                        (_, Role::Count) => col_role != Role::Stat,
                        (_, Role::Stat) => false,
                        (_, Role::Neutral) => col_role == Role::Count,
                    };
                    if !counts {
                        continue;
                    }
                    if let Some((bound, value)) = self.cell_count(cell)
                        && reveals(self.rules, bound, value)
                    {
                        let reason = if ci > 0 && row_role == Role::Count {
                            format!("a count in the “{}” row of a table", cells[0].0)
                        } else {
                            let h = headers.get(ci).map_or("", |(h, _)| h.as_str());
                            format!("a count in the “{h}” column of a table")
                        };
                        let trimmed = row.trim_end();
                        hits.push(self.row_hit(roff..roff + trimmed.len(), reason));
                        break; // one finding per row is enough
                    }
                }
                ri += 1;
            }
            li = ri;
        }
        hits
    }

    /// Query output pasted in a code block: pipe tables (psql, to_markdown),
    /// whitespace-aligned tables (pandas, R tibbles) and pandas value_counts().
    fn code_output(&self, block: &CodeBlock) -> Vec<Hit> {
        let content = self.text.get(block.content.clone()).unwrap_or_default();
        let output = is_in(OUTPUT_LANGS, &block.lang);
        // In code written in a language, only reprex-style "#>" lines are output.
        let lines: Vec<(usize, String)> = lines_of(content)
            .into_iter()
            .filter_map(|(o, l)| {
                let o = o + block.content.start;
                if output {
                    return Some((o, l.to_owned()));
                }
                let lead = l.len() - l.trim_start().len();
                l[lead..]
                    .starts_with("#>")
                    .then(|| (o, format!("{}  {}", &l[..lead], &l[lead + 2..])))
            })
            .collect();
        let borrowed: Vec<(usize, &str)> = lines.iter().map(|(o, l)| (*o, l.as_str())).collect();
        let mut hits = self.markdown_tables(&borrowed, true);
        hits.extend(self.aligned_tables(&borrowed));
        hits.extend(self.value_counts(&borrowed));
        if block.lang == "csv" || block.lang == "tsv" {
            let sep = if block.lang == "csv" { ',' } else { '\t' };
            hits.extend(self.delimited(&borrowed, sep));
        }
        hits
    }

    fn aligned_tables(&self, lines: &[(usize, &str)]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut li = 0;
        while li < lines.len() {
            let (_, header) = lines[li];
            li += 1;
            if header.contains('|') || header.contains('=') || header.trim_start().starts_with('#')
            {
                continue;
            }
            let cols = ws_tokens(header);
            if cols
                .iter()
                .any(|(_, w)| w.chars().any(|c| c.is_ascii_digit()))
            {
                continue; // header rows hold names, not numbers
            }
            let count_cols: Vec<(Range<usize>, &str)> = cols
                .into_iter()
                .filter(|(_, w)| self.role(w) == Role::Count)
                .collect();
            if count_cols.is_empty() {
                continue;
            }
            while let Some(&(roff, row)) = lines.get(li) {
                if row.trim().is_empty() {
                    break;
                }
                li += 1;
                let cells = ws_tokens(row);
                let type_row = cells
                    .iter()
                    .all(|(_, c)| c.starts_with('<') && c.ends_with('>'));
                if cells.len() < 2 || type_row || is_delimiter_row(row, true) {
                    continue;
                }
                for (hr, name) in &count_cols {
                    let under = cells
                        .iter()
                        .find(|(r, _)| r.start < hr.end && hr.start < r.end);
                    if let Some((_, cell)) = under
                        && let Some((bound, value)) = self.cell_count(cell)
                        && reveals(self.rules, bound, value)
                    {
                        let trimmed = row.trim_end();
                        hits.push(self.row_hit(
                            roff..roff + trimmed.len(),
                            format!("a count in the “{name}” column of pasted output"),
                        ));
                        break;
                    }
                }
            }
        }
        hits
    }

    /// pandas `Series` output ending in "Name: count, dtype: int64".
    fn value_counts(&self, lines: &[(usize, &str)]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (fi, (_, footer)) in lines.iter().enumerate() {
            let Some(rest) = footer.trim().strip_prefix("Name: ") else {
                continue;
            };
            let name = rest.split(',').next().unwrap_or_default().trim();
            if self.role(name) != Role::Count || !rest.contains("dtype") {
                continue;
            }
            for &(roff, row) in lines[..fi].iter().rev() {
                if row.trim().is_empty() {
                    break;
                }
                let cells = ws_tokens(row);
                if cells.len() < 2 {
                    continue;
                }
                if let Some((_, last)) = cells.last()
                    && let Some((bound, value)) = self.cell_count(last)
                    && reveals(self.rules, bound, value)
                {
                    let trimmed = row.trim_end();
                    hits.push(self.row_hit(
                        roff..roff + trimmed.len(),
                        format!("a count in pasted “{name}” output"),
                    ));
                }
            }
        }
        hits
    }

    fn delimited(&self, lines: &[(usize, &str)], sep: char) -> Vec<Hit> {
        let mut hits = Vec::new();
        let Some((_, header)) = lines.first() else {
            return hits;
        };
        let roles: Vec<Role> = header.split(sep).map(|h| self.role(h)).collect();
        let names: Vec<&str> = header.split(sep).map(str::trim).collect();
        for &(roff, row) in &lines[1..] {
            for (ci, cell) in row.split(sep).enumerate() {
                if roles.get(ci) == Some(&Role::Count)
                    && let Some((bound, value)) = self.cell_count(cell.trim())
                    && reveals(self.rules, bound, value)
                {
                    hits.push(self.row_hit(
                        roff..roff + row.trim_end().len(),
                        format!(
                            "a count in the “{}” column of pasted output",
                            names.get(ci).copied().unwrap_or_default()
                        ),
                    ));
                    break;
                }
            }
        }
        hits
    }
}

/// Whitespace-separated tokens with their byte ranges within the line.
fn ws_tokens(line: &str) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s..i, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s..line.len(), &line[s..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::rules::RuleSet;
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Corpus {
        case: Vec<Case>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Case {
        text: String,
        expect: String,
        #[allow(dead_code)]
        note: Option<String>,
        /// The kind of derived count; absent for the cases written before the
        /// guard did arithmetic.
        category: Option<String>,
        /// Written and recorded before the arithmetic existed, never tuned on.
        #[serde(default)]
        kept_out: bool,
        /// What the guard said about a kept-out case when it was recorded.
        #[allow(dead_code)]
        first_output: Option<String>,
    }

    const CORPUS: &str = include_str!("../../moderation/small_count_corpus.toml");

    fn rules() -> SmallCountRules {
        RuleSet::defaults().small_counts
    }

    fn holds(text: &str) -> bool {
        !detect(&rules(), text).is_empty()
    }

    /// Confusion counts for the "hold" label over one part of the corpus.
    #[derive(Default)]
    struct Tally {
        tp: usize,
        fp: usize,
        fn_: usize,
        tn: usize,
        misses: Vec<String>,
        false_holds: Vec<String>,
    }

    impl Tally {
        fn add(&mut self, case: &Case, hits: &[Hit]) {
            match (case.expect.as_str(), hits.is_empty()) {
                ("hold", false) => self.tp += 1,
                ("hold", true) => {
                    self.fn_ += 1;
                    self.misses.push(case.text.trim().to_owned());
                }
                ("pass", false) => {
                    self.fp += 1;
                    self.false_holds
                        .push(format!("{} => {:?}", case.text.trim(), hits));
                }
                ("pass", true) => self.tn += 1,
                (other, _) => panic!("corpus expect must be hold or pass, not {other:?}"),
            }
        }

        fn precision(&self) -> f64 {
            self.tp as f64 / (self.tp + self.fp).max(1) as f64
        }

        fn recall(&self) -> f64 {
            self.tp as f64 / (self.tp + self.fn_).max(1) as f64
        }

        fn report(&self, name: &str) {
            println!(
                "{name}: {} cases ({} hold, {} pass); hold precision {:.3}, recall {:.3} \
                 (tp {}, fp {}, fn {}, tn {})",
                self.tp + self.fp + self.fn_ + self.tn,
                self.tp + self.fn_,
                self.fp + self.tn,
                self.precision(),
                self.recall(),
                self.tp,
                self.fp,
                self.fn_,
                self.tn
            );
            for m in &self.misses {
                println!("  MISSED HOLD: {m}");
            }
            for f in &self.false_holds {
                println!("  FALSE HOLD: {f}");
            }
        }
    }

    #[test]
    fn corpus_precision_and_recall() {
        let corpus: Corpus = toml::from_str(CORPUS).expect("corpus parses");
        let rules = rules();
        let (mut all, mut earlier, mut derived, mut kept_out) = (
            Tally::default(),
            Tally::default(),
            Tally::default(),
            Tally::default(),
        );
        for case in &corpus.case {
            let hits = detect(&rules, &case.text);
            all.add(case, &hits);
            if case.category.is_some() {
                derived.add(case, &hits);
                if case.kept_out {
                    kept_out.add(case, &hits);
                }
            } else {
                earlier.add(case, &hits);
            }
        }
        all.report("small-count corpus");
        earlier.report("earlier cases");
        derived.report("derived cases");
        kept_out.report("kept-out derived cases");
        assert!(
            earlier.tp + earlier.fn_ >= 30 && earlier.fp + earlier.tn >= 30,
            "corpus needs 30 of each"
        );
        assert!(
            earlier.misses.is_empty(),
            "missed holds: {:#?}",
            earlier.misses
        );
        assert!(
            earlier.false_holds.len() <= 2,
            "false holds: {:#?}",
            earlier.false_holds
        );
    }

    #[test]
    fn must_hold() {
        for text in [
            "n = 12",
            "n=7",
            "N: 15",
            "(n = 3)",
            "n<5",
            "n < 20",
            "n ≤ 10",
            "7 participants",
            "15 patients",
            "twelve patients",
            "Twenty women",
            "3 of our participants",
            "only 4 cases",
            "5 (2.1%)",
            "2.1% (5)",
            "5/240 (2.1%)",
            "0.5% of 3,000 participants",
            "<20 participants",
            "the 12 Black or African American participants",
            "**7** participants",
            "sample size = 14",
            "n_cases = 9",
        ] {
            assert!(holds(text), "should hold: {text}");
        }
    }

    #[test]
    fn must_pass() {
        for text in [
            "20 years",
            "v7",
            "CDR v7",
            "2024",
            "p < 0.05",
            "1 of 3 steps",
            "step 2",
            "0 participants",
            "n = 0",
            "n = 25",
            "≤20 participants",
            "n ≤ 20",
            "<20",
            "21 patients",
            "version 5",
            "chr 7",
            "age 18",
            "18 years old",
            "OR 1.5",
            "95% CI",
            "Table 2",
            "Figure 3",
            "3 days",
            "5 minutes",
            "2 cores",
            "Python 3",
            "R 4.3",
            "2024-03-15",
            "March 3, 2024",
            "2019-2021",
            "15%",
            "top 10 results",
            "LIMIT 10",
            "10 GB",
            "`SELECT * FROM person LIMIT 10` returns 10 rows",
            "more than 20 participants",
            "at least 5 participants",
            "n > 5",
            "n = 10 threads",
            "row count: 12",
            "see https://example.org/cohort/12/participants",
            "COVID-19 patients",
            "1 to 20 participants is the forbidden range",
            "$12 per participant",
        ] {
            assert!(
                !holds(text),
                "should pass: {text} => {:?}",
                detect(&rules(), text)
            );
        }
    }

    #[test]
    fn code_blocks_are_not_prose() {
        let sql = "```sql\nSELECT COUNT(*) AS n FROM person WHERE n = 5 LIMIT 10\n```\n";
        assert!(!holds(sql));
        let reprex =
            "```r\ncount(df, race)\n#>   race      n\n#>   <chr> <int>\n#> 1 Asian    12\n```\n";
        assert!(holds(reprex));
    }

    #[test]
    fn person_identifiers() {
        for text in [
            "person_id 1234567",
            "person_id=1234567",
            "person_id: 1234567",
            "PERSON_ID = 1234567",
            "`WHERE person_id IN (1234567, 7654321)`",
        ] {
            let hits = detect(&rules(), text);
            assert!(
                hits.iter().any(|h| h.kind == HitKind::PersonIdentifier),
                "should flag: {text}"
            );
        }
        for text in [
            "SELECT person_id FROM person",
            "person_id_hash",
            "group by person_id",
        ] {
            assert!(detect(&rules(), text).is_empty(), "should pass: {text}");
        }
    }

    #[test]
    fn ssns() {
        let hits = detect(&rules(), "ssn 123-45-6789 in the note");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].kind, HitKind::Ssn);
        assert_eq!(hits[0].excerpt, "***-**-6789");
        for text in [
            "call 617-555-0142",
            "1-888-555-0134",
            "2024-03-15",
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "123-00-4567",
            "123-45-0000",
            "id 12-123-45-6789",
        ] {
            assert!(
                !detect(&rules(), text)
                    .iter()
                    .any(|h| h.kind == HitKind::Ssn),
                "should pass: {text}"
            );
        }
    }

    #[test]
    fn disabled_guard_still_finds_identifiers() {
        let mut rules = rules();
        rules.enabled = false;
        assert!(detect(&rules, "n = 12").is_empty());
        assert!(!detect(&rules, "person_id 1234567").is_empty());
        rules.detect_ssn = false;
        rules.person_id_pattern = None;
        assert!(detect(&rules, "person_id 1234567 and 123-45-6789").is_empty());
    }

    #[test]
    fn threshold_is_configurable() {
        let mut rules = rules();
        rules.max_count = 10;
        assert!(detect(&rules, "15 patients").is_empty());
        assert!(!detect(&rules, "9 patients").is_empty());
    }

    #[test]
    fn masking_keeps_offsets() {
        let text = "é `code 12` https://x.org/12 ünï 7 participants";
        let scanned = scan_markdown(text);
        assert_eq!(scanned.masked.len(), text.len());
        let hits = detect(&rules(), text);
        assert_eq!(hits.len(), 1);
        assert_eq!(&text[hits[0].span.clone()], "7 participants");
    }
}
