//! Believable text for generated content: names, titles and markdown bodies
//! of varied length with code, lists, links and @mentions.

use rand::{Rng, rngs::StdRng, seq::IndexedRandom};

pub const FIRST: &[&str] = &[
    "Amara", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Keiko",
    "Luis", "Maya", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Sanjay", "Tessa", "Uche", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Dmitri", "Esther", "Felix",
    "Gita", "Hannah", "Ivan", "Julia", "Kwame", "Lena", "Marco", "Nadia",
];

pub const LAST: &[&str] = &[
    "Okafor", "Nguyen", "Garcia", "Smith", "Patel", "Kim", "Rossi", "Cohen", "Silva", "Haddad",
    "Müller", "Johnson", "Tanaka", "Ivanova", "Mensah", "Lopez", "Brown", "Singh", "Chen", "Novak",
    "Walker", "Diallo", "Larsen", "Moreau", "Ahmed", "Bianchi", "Kowalski", "Reyes", "Ortiz",
    "Yamamoto", "Adeyemi", "Fischer", "Hughes", "Costa", "Park", "Rahman",
];

pub const INSTITUTIONS: &[&str] = &[
    "Vanderbilt University Medical Center",
    "Columbia University",
    "University of Arizona",
    "Broad Institute",
    "Scripps Research",
    "Northwestern University",
    "University of Pittsburgh",
    "Baylor College of Medicine",
    "Mayo Clinic",
    "University of Wisconsin–Madison",
    "Emory University",
    "Kaiser Permanente",
    "University of California, San Francisco",
    "Harvard T.H. Chan School of Public Health",
    "Independent researcher",
];

pub const CATEGORIES: &[(&str, &str, &str)] = &[
    (
        "Getting Started",
        "getting-started",
        "New to the Workbench? Ask anything.",
    ),
    (
        "Data & Methods",
        "data-methods",
        "Study design, cohorts and statistics.",
    ),
    (
        "Genomics",
        "genomics",
        "Short- and long-read data, variant calls, Hail.",
    ),
    (
        "Surveys & EHR",
        "surveys-ehr",
        "Survey instruments, OMOP tables, concept sets.",
    ),
    (
        "Workbench Tools",
        "workbench-tools",
        "Notebooks, Cohort Builder, billing and environments.",
    ),
    (
        "Publications & Dissemination",
        "publications",
        "Reporting outputs, the dissemination policy and exemptions.",
    ),
    ("Wearables", "wearables", "Fitbit and other device data."),
    (
        "Community",
        "community",
        "Introductions, events, collaborations.",
    ),
];

pub const TAGS: &[&str] = &[
    "r",
    "python",
    "sql",
    "hail",
    "gwas",
    "ehr",
    "fitbit",
    "survey",
    "cohort-builder",
    "concept-sets",
    "jupyter",
    "billing",
    "cdr-v7",
    "cdr-v8",
    "phenotype",
    "omop",
    "statistics",
    "visualization",
    "machine-learning",
    "dissemination",
    "genomics",
    "long-read",
    "ancestry",
    "mental-health",
    "cardiology",
    "diabetes",
    "covid",
    "sdoh",
    "wearables",
    "bigquery",
];

const TOPICS: &[&str] = &[
    "cohort",
    "concept set",
    "genotype data",
    "survey responses",
    "EHR visits",
    "Fitbit step counts",
    "polygenic score",
    "GWAS summary statistics",
    "ancestry groups",
    "BigQuery export",
    "Hail matrix table",
    "phenotype definition",
    "blood pressure measurements",
    "medication exposures",
    "condition occurrences",
    "social determinants questions",
    "long-read structural variants",
    "Jupyter environment",
    "billing project",
    "controlled tier dataset",
];

const VERBS: &[&str] = &[
    "build",
    "filter",
    "join",
    "export",
    "summarise",
    "validate",
    "harmonise",
    "visualise",
    "impute",
    "stratify",
    "model",
    "deduplicate",
];

const WORDS: &[&str] = &[
    "the",
    "data",
    "analysis",
    "participants",
    "table",
    "query",
    "results",
    "variable",
    "model",
    "version",
    "dataset",
    "notebook",
    "cohort",
    "values",
    "missing",
    "counts",
    "measurement",
    "survey",
    "records",
    "criteria",
    "code",
    "visit",
    "date",
    "age",
    "sex",
    "ancestry",
    "race",
    "ethnicity",
    "diagnosis",
    "condition",
    "drug",
    "exposure",
    "outcome",
    "baseline",
    "follow-up",
    "regression",
    "association",
    "sample",
    "size",
    "power",
    "threshold",
    "filter",
    "join",
    "schema",
    "column",
    "person",
    "observation",
    "procedure",
    "device",
    "steps",
    "sleep",
    "heart",
    "rate",
    "genotype",
    "variant",
    "allele",
    "frequency",
    "quality",
    "control",
    "pipeline",
    "runtime",
    "memory",
    "cluster",
    "workers",
    "cost",
    "export",
    "bucket",
    "file",
    "plot",
    "figure",
    "estimate",
    "interval",
    "bias",
    "confounding",
    "adjusted",
    "covariates",
    "principal",
    "components",
    "phenotype",
    "definition",
    "concept",
    "hierarchy",
    "descendants",
    "domain",
    "standard",
    "source",
    "mapping",
    "duplicates",
    "timeline",
    "window",
    "index",
    "event",
    "prevalence",
    "incidence",
    "median",
    "distribution",
    "histogram",
    "summary",
];

const QUESTIONS: &[&str] = &[
    "How do I {verb} a {topic} across CDR versions?",
    "Best way to {verb} the {topic} for a case-control study?",
    "Why does my {topic} differ between the Cohort Builder and the notebook?",
    "Tips to {verb} {topic} without running out of memory",
    "Is it allowed to share {topic} counts below 20?",
    "Trouble trying to {verb} {topic} in R",
    "Announcing a tutorial workspace: how to {verb} {topic}",
    "Anyone else seeing slow queries on the {topic}?",
    "Looking for collaborators: {topic} and cardiometabolic outcomes",
    "Reproducible way to {verb} the {topic} in Python",
];

fn sentence(rng: &mut StdRng) -> String {
    let n = rng.random_range(6..20);
    let mut words: Vec<&str> = (0..n)
        .map(|_| *WORDS.choose(rng).unwrap_or(&"data"))
        .collect();
    if rng.random_bool(0.3) {
        let at = rng.random_range(0..words.len());
        words.insert(at, TOPICS.choose(rng).unwrap_or(&"cohort"));
    }
    let mut s = words.join(" ");
    if let Some(first) = s.get(..1) {
        let upper = first.to_ascii_uppercase();
        s.replace_range(..1, &upper);
    }
    s.push(if rng.random_bool(0.15) { '?' } else { '.' });
    s
}

pub fn title(rng: &mut StdRng) -> String {
    let template = QUESTIONS.choose(rng).unwrap_or(&QUESTIONS[0]);
    template
        .replace("{verb}", VERBS.choose(rng).unwrap_or(&"build"))
        .replace("{topic}", TOPICS.choose(rng).unwrap_or(&"cohort"))
}

/// A markdown body. Length is skewed: most posts are a short paragraph or
/// two, a few are long write-ups with code. `mention` names a handle to
/// @mention, if any.
pub fn body(rng: &mut StdRng, mention: Option<&str>) -> String {
    let roll: f64 = rng.random();
    let paragraphs = if roll < 0.55 {
        1
    } else if roll < 0.85 {
        rng.random_range(2..4)
    } else if roll < 0.97 {
        rng.random_range(4..7)
    } else {
        rng.random_range(8..14)
    };
    let mut out = String::new();
    if let Some(handle) = mention {
        out.push_str(&format!("@{handle} "));
    }
    for i in 0..paragraphs {
        if i > 0 {
            out.push_str("\n\n");
        }
        let kind: f64 = rng.random();
        if i > 0 && kind < 0.12 {
            let lang = if rng.random_bool(0.5) { "r" } else { "python" };
            out.push_str(&format!(
                "```{lang}\nresult <- {verb}(dataset, \"{topic}\")\nsummary(result)\n```",
                verb = VERBS.choose(rng).unwrap_or(&"build"),
                topic = TOPICS.choose(rng).unwrap_or(&"cohort"),
            ));
        } else if i > 0 && kind < 0.22 {
            for _ in 0..rng.random_range(2..5) {
                out.push_str(&format!("- {}\n", sentence(rng)));
            }
        } else {
            let sentences = rng.random_range(1..5);
            for s in 0..sentences {
                if s > 0 {
                    out.push(' ');
                }
                let mut text = sentence(rng);
                if rng.random_bool(0.08) {
                    text = format!("**{text}**");
                } else if rng.random_bool(0.05) {
                    text.push_str(" See the [user support hub](https://support.researchallofus.org/) for details.");
                } else if rng.random_bool(0.06) {
                    text.push_str(" I used `person_id` as the key.");
                }
                out.push_str(&text);
            }
        }
    }
    out
}

pub fn paragraph(rng: &mut StdRng, sentences: usize) -> String {
    (0..sentences)
        .map(|_| sentence(rng))
        .collect::<Vec<_>>()
        .join(" ")
}
