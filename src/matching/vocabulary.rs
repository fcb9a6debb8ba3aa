//! The curated vocabularies of researcher profiles: research areas, and
//! methods and tools with the ones they relate to (PLINK relates to GWAS),
//! so that "looking for GWAS" finds someone who lists PLINK.
//!
//! Free terms are welcome too; they match by their normalized key only.

use async_graphql::{Enum, SimpleObject};

pub struct Term {
    pub key: &'static str,
    pub label: &'static str,
    /// Other spellings that mean this term.
    pub aliases: &'static [&'static str],
    /// Keys of closely related terms. The relation is symmetric: listing it
    /// on one side is enough.
    pub related: &'static [&'static str],
}

const fn t(
    key: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
    related: &'static [&'static str],
) -> Term {
    Term {
        key,
        label,
        aliases,
        related,
    }
}

/// Research areas (profile "expertise areas").
pub const AREAS: &[Term] = &[
    t(
        "cardiovascular-disease",
        "cardiovascular disease",
        &["cvd", "cardiology", "heart-disease"],
        &[],
    ),
    t(
        "hypertension",
        "hypertension",
        &["high-blood-pressure", "blood-pressure"],
        &[],
    ),
    t("diabetes", "diabetes", &["type-2-diabetes", "t2d"], &[]),
    t("obesity", "obesity", &[], &[]),
    t("cancer", "cancer", &["oncology"], &[]),
    t(
        "kidney-disease",
        "kidney disease",
        &["ckd", "nephrology"],
        &[],
    ),
    t(
        "mental-health",
        "mental health",
        &["psychiatry", "depression"],
        &[],
    ),
    t("substance-use", "substance use", &["addiction"], &[]),
    t("sleep", "sleep", &["sleep-health"], &[]),
    t("neurology", "neurology", &["dementia", "alzheimers"], &[]),
    t("aging", "aging", &["ageing", "gerontology"], &[]),
    t("maternal-health", "maternal health", &["pregnancy"], &[]),
    t(
        "infectious-disease",
        "infectious disease",
        &["covid-19", "covid"],
        &[],
    ),
    t(
        "respiratory-disease",
        "respiratory disease",
        &["asthma", "copd"],
        &[],
    ),
    t("pharmacogenomics", "pharmacogenomics", &["pgx"], &[]),
    t("rare-disease", "rare disease", &[], &[]),
    t(
        "health-disparities",
        "health disparities",
        &["health-equity"],
        &[],
    ),
    t(
        "social-determinants",
        "social determinants of health",
        &["sdoh", "social-determinants-of-health"],
        &[],
    ),
    t("physical-activity", "physical activity", &["exercise"], &[]),
    t("nutrition", "nutrition", &["diet"], &[]),
    t(
        "population-genetics",
        "population genetics",
        &["genetic-ancestry"],
        &[],
    ),
    t("epidemiology", "epidemiology", &[], &[]),
    t(
        "health-services",
        "health services research",
        &["health-services-research"],
        &[],
    ),
    t("digital-health", "digital health", &["mhealth"], &[]),
];

/// Methods and tools.
pub const METHODS: &[Term] = &[
    t("r", "R", &["rstudio", "r-language"], &[]),
    t("python", "Python", &[], &[]),
    t("sql", "SQL", &["bigquery"], &["omop"]),
    t("sas", "SAS", &[], &[]),
    t("stata", "Stata", &[], &[]),
    t(
        "gwas",
        "GWAS",
        &["genome-wide-association", "genome-wide-association-study"],
        &["plink", "hail", "regenie", "saige", "prs"],
    ),
    t("plink", "PLINK", &["plink2"], &["hail"]),
    t("hail", "Hail", &[], &["wgs"]),
    t("regenie", "REGENIE", &[], &[]),
    t("saige", "SAIGE", &[], &[]),
    t(
        "prs",
        "polygenic risk scores",
        &["polygenic-risk-score", "polygenic-risk-scores", "prs-cs"],
        &[],
    ),
    t(
        "mendelian-randomization",
        "Mendelian randomization",
        &["mr"],
        &["gwas", "causal-inference"],
    ),
    t(
        "wgs",
        "whole-genome sequencing analysis",
        &["whole-genome-sequencing", "wgs-analysis"],
        &[],
    ),
    t(
        "survival-analysis",
        "survival analysis",
        &["time-to-event", "time-to-event-analysis"],
        &["cox-regression"],
    ),
    t(
        "cox-regression",
        "Cox regression",
        &["cox-models", "cox-proportional-hazards"],
        &[],
    ),
    t(
        "causal-inference",
        "causal inference",
        &[],
        &["target-trial-emulation", "propensity-scores"],
    ),
    t("target-trial-emulation", "target trial emulation", &[], &[]),
    t(
        "propensity-scores",
        "propensity scores",
        &["propensity-score-matching"],
        &[],
    ),
    t(
        "mixed-models",
        "mixed models",
        &["multilevel-models", "hierarchical-models"],
        &[],
    ),
    t(
        "bayesian-statistics",
        "Bayesian statistics",
        &["bayesian"],
        &[],
    ),
    t(
        "machine-learning",
        "machine learning",
        &["ml"],
        &["deep-learning", "nlp"],
    ),
    t("deep-learning", "deep learning", &[], &[]),
    t("nlp", "NLP", &["natural-language-processing"], &[]),
    t("omop", "OMOP CDM", &["omop-cdm"], &["ehr-phenotyping"]),
    t(
        "ehr-phenotyping",
        "EHR phenotyping",
        &["phenotyping", "computable-phenotypes"],
        &[],
    ),
    t("geospatial-analysis", "geospatial analysis", &["gis"], &[]),
    t(
        "survey-methods",
        "survey methodology",
        &["survey-methodology"],
        &["qualitative-methods"],
    ),
    t("qualitative-methods", "qualitative methods", &[], &[]),
    t(
        "wearables-analysis",
        "wearables data analysis",
        &["fitbit", "wearables"],
        &[],
    ),
    t("health-economics", "health economics", &[], &[]),
    t(
        "data-visualization",
        "data visualization",
        &["visualization"],
        &[],
    ),
];

/// The key a term is stored and compared by: lower case, words joined by '-'.
pub fn key_of(raw: &str) -> String {
    let mut key = String::new();
    for c in raw.trim().to_lowercase().chars() {
        if c.is_alphanumeric() || c == '+' || c == '#' {
            key.push(c);
        } else if !key.ends_with('-') {
            key.push('-');
        }
    }
    key.trim_matches('-').to_string()
}

/// The curated term a raw term names, by key or alias, in any vocabulary.
pub fn curated(key: &str) -> Option<&'static Term> {
    AREAS
        .iter()
        .chain(METHODS)
        .find(|t| t.key == key || t.aliases.contains(&key))
}

/// A profile term: the stored key and the label shown.
pub fn canonical(raw: &str) -> Option<(String, String)> {
    let key = key_of(raw);
    if key.is_empty() {
        return None;
    }
    Some(match curated(&key) {
        Some(term) => (term.key.to_string(), term.label.to_string()),
        None => (key, raw.split_whitespace().collect::<Vec<_>>().join(" ")),
    })
}

/// Whether two term keys are the same or closely related.
pub fn related(a: &str, b: &str) -> bool {
    let lists = |x: &str, y: &str| curated(x).is_some_and(|t| t.related.contains(&y));
    a != b && (lists(a, b) || lists(b, a))
}

/// Career stages.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CareerStage {
    Student,
    Postdoc,
    EarlyCareer,
    MidCareer,
    Senior,
    ResearchStaff,
    Clinician,
    Industry,
    Other,
}

impl CareerStage {
    pub const ALL: [CareerStage; 9] = [
        CareerStage::Student,
        CareerStage::Postdoc,
        CareerStage::EarlyCareer,
        CareerStage::MidCareer,
        CareerStage::Senior,
        CareerStage::ResearchStaff,
        CareerStage::Clinician,
        CareerStage::Industry,
        CareerStage::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CareerStage::Student => "student",
            CareerStage::Postdoc => "postdoc",
            CareerStage::EarlyCareer => "early_career",
            CareerStage::MidCareer => "mid_career",
            CareerStage::Senior => "senior",
            CareerStage::ResearchStaff => "research_staff",
            CareerStage::Clinician => "clinician",
            CareerStage::Industry => "industry",
            CareerStage::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<CareerStage> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A curated term, for pickers.
#[derive(SimpleObject, Clone)]
pub struct VocabularyTerm {
    pub key: String,
    pub label: String,
}

fn terms(list: &[Term]) -> Vec<VocabularyTerm> {
    list.iter()
        .map(|t| VocabularyTerm {
            key: t.key.into(),
            label: t.label.into(),
        })
        .collect()
}

pub fn area_terms() -> Vec<VocabularyTerm> {
    terms(AREAS)
}

pub fn method_terms() -> Vec<VocabularyTerm> {
    terms(METHODS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_case_reach_the_curated_term() {
        assert_eq!(canonical("Genome-wide association").unwrap().0, "gwas");
        assert_eq!(canonical("  plink ").unwrap().1, "PLINK");
        assert_eq!(canonical("High blood pressure").unwrap().1, "hypertension");
        assert_eq!(
            canonical("Tree-based scan statistics").unwrap().0,
            "tree-based-scan-statistics"
        );
        assert!(canonical("  --  ").is_none());
    }

    #[test]
    fn relations_are_symmetric_and_not_reflexive() {
        assert!(related("gwas", "plink"));
        assert!(related("plink", "gwas"));
        assert!(!related("gwas", "gwas"));
        assert!(!related("r", "python"));
    }

    #[test]
    fn related_keys_exist() {
        for term in AREAS.iter().chain(METHODS) {
            for r in term.related {
                assert!(curated(r).is_some(), "{} relates to unknown {r}", term.key);
            }
        }
    }
}
