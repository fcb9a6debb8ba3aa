//! Measures how fast the small-count guard screens a long post: a 32,000-character
//! post made of the kinds of paragraphs researchers write (totals and parts,
//! shares, exclusions, numbers in words, a table with a total row, code), screened
//! with the shipped rules.
//!
//! ```sh
//! cargo run --release --example small_count_speed
//! ```
//!
//! Prints milliseconds per post and per kilobyte (median of the runs), and how
//! many findings the post gave, for the post as written and for an adversarial
//! one (one long paragraph of numbers and count nouns, no sentence breaks).

use std::time::Instant;

use commons::screening::{RuleSet, small_counts::detect};

const TARGET_CHARS: usize = 32_000;
const RUNS: usize = 30;

const PARAGRAPHS: &[&str] = &[
    "We enrolled 250 participants in the sleep substudy and 238 completed the 12-month survey, so attrition was lower than we feared.",
    "Of the 1,204 patients with a T2D code, 1,190 had at least one HbA1c in the year before index. About 35% of the 40 carriers also had a second variant.",
    "My Dataproc cluster has 2 cores per worker and 10 GB of memory; the job died after 5 minutes on CDR v7 with Hail 0.2 and Python 3.",
    "19 were excluded for missing sex at birth, and of the forty carriers we found, thirty-one were heterozygous. The rest of the notebook is unchanged.",
    "| Race | n |\n|---|---|\n| Asian | ≤20 |\n| Black or African American | 230 |\n| White | 1,400 |\n| Total | 1,642 |",
    "```sql\nSELECT race, COUNT(*) AS n FROM person GROUP BY race HAVING COUNT(*) > 20 LIMIT 10\n```",
    "Our cohort has 5,000 participants. 80% completed the sleep diary and the others never opened it; Table 3 covers the 2023 refresh.",
    "The association held (p < 0.05 after Bonferroni correction), OR 1.5 (95% CI 1.2–1.9), in the 2019-2021 enrollment window.",
];

fn post() -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.chars().count() < TARGET_CHARS {
        text.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
        text.push_str("\n\n");
        i += 1;
    }
    text.chars().take(TARGET_CHARS).collect()
}

/// One paragraph with no sentence or paragraph break: every total stays live.
fn adversarial() -> String {
    let unit =
        "of the 1,204 patients 1,190 had 35% of the 40 carriers half of them the rest all but 3 ";
    unit.repeat(TARGET_CHARS / unit.len() + 1)
        .chars()
        .take(TARGET_CHARS)
        .collect()
}

fn measure(name: &str, rules: &RuleSet, text: &str) {
    let mut times = Vec::with_capacity(RUNS);
    let mut findings = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        findings = detect(&rules.small_counts, text).len();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[RUNS / 2];
    let kb = text.len() as f64 / 1024.0;
    println!(
        "{name}: {} chars ({kb:.1} KB), {findings} findings; median {median:.2} ms per post, {:.3} ms per KB (fastest {:.2} ms, slowest {:.2} ms)",
        text.chars().count(),
        median / kb,
        times[0],
        times[RUNS - 1],
    );
}

fn main() {
    let rules = RuleSet::defaults();
    measure("realistic post", &rules, &post());
    measure("adversarial post", &rules, &adversarial());
}
