//! The detector against hand-written cases and the labelled corpus.

use super::super::rules::RuleSet;
use super::markdown::scan_markdown;
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

const CORPUS: &str = include_str!("../../../moderation/small_count_corpus.toml");

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
            if let Some(hit) = hits.first() {
                let why = hit.derivation.as_deref().unwrap_or(&hit.reason);
                println!("  held: {why} (“{}”)", hit.excerpt);
            }
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
        earlier.false_holds.is_empty(),
        "false holds: {:#?}",
        earlier.false_holds
    );
    assert!(
        derived.recall() == 1.0,
        "derived cases missed: {:#?}",
        derived.misses
    );
    assert!(
        derived.precision() >= 0.95,
        "derived cases held wrongly: {:#?}",
        derived.false_holds
    );
    // Every category has at least five cases of each label.
    let mut per_category: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for case in &corpus.case {
        if let Some(c) = &case.category {
            let e = per_category.entry(c.as_str()).or_default();
            if case.expect == "hold" {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    assert_eq!(per_category.len(), 7, "{per_category:?}");
    for (category, (hold, pass)) in &per_category {
        assert!(
            *hold >= 5 && *pass >= 5,
            "{category} needs five of each: {hold} hold, {pass} pass"
        );
    }
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
