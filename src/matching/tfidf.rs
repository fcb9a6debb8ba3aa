//! A small, deterministic TF-IDF: tokenize, drop stop words, strip common
//! English suffixes, weight by inverse document frequency over the corpus
//! given, and compare by cosine similarity.

use std::collections::{BTreeMap, BTreeSet};

const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "among",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "during",
    "each",
    "either",
    "etc",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "like",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "per",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "use",
    "used",
    "using",
    "very",
    "via",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "within",
    "would",
    "you",
    "your",
    // Words every researcher's text has: they say nothing about the topic.
    "analysis",
    "analyses",
    "approach",
    "data",
    "interested",
    "interest",
    "interests",
    "looking",
    "project",
    "projects",
    "research",
    "researcher",
    "researchers",
    "study",
    "studies",
    "studying",
    "work",
    "working",
    "want",
    "aim",
    "aims",
    "new",
];

/// A light stemmer: enough to meet "diseases" with "disease" and "sleeping"
/// with "sleep", without pretending to be Porter.
pub fn stem(word: &str) -> String {
    let w = word;
    let n = w.chars().count();
    let strip = |suffix: &str, min_rest: usize| -> Option<String> {
        let rest = w.strip_suffix(suffix)?;
        (rest.chars().count() >= min_rest).then(|| rest.to_string())
    };
    if let Some(r) = strip("ies", 3) {
        return format!("{r}y");
    }
    if let Some(r) = strip("sses", 2) {
        return format!("{r}ss");
    }
    if let Some(r) = strip("ing", 4) {
        return undouble(r);
    }
    if let Some(r) = strip("ed", 4) {
        return undouble(r);
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        return w[..w.len() - 1].to_string();
    }
    w.to_string()
}

/// Porter's rule: "running" → "runn" → "run", but "falling" keeps "fall".
fn undouble(mut r: String) -> String {
    let chars: Vec<char> = r.chars().collect();
    if let [.., a, b] = chars.as_slice()
        && a == b
        && !matches!(a, 'a' | 'e' | 'i' | 'o' | 'u' | 'l' | 's' | 'z')
    {
        r.pop();
    }
    r
}

/// Tokens of `text` as (stem, surface word) pairs, stop words dropped.
pub fn tokens(text: &str) -> Vec<(String, String)> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .flat_map(|chunk| chunk.split('-'))
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| (stem(&w), w))
        .collect()
}

/// A weighted term vector with the surface form seen for each stem.
#[derive(Clone, Debug, Default)]
pub struct Vector {
    pub weights: BTreeMap<String, f64>,
    pub surface: BTreeMap<String, String>,
}

impl Vector {
    fn norm(&self) -> f64 {
        self.weights.values().map(|w| w * w).sum::<f64>().sqrt()
    }
}

/// TF-IDF over a corpus of documents keyed by id. IDF is smoothed,
/// `ln((1 + N) / (1 + df)) + 1`, so a term in every document still counts a
/// little; TF is sublinear, `1 + ln(count)`.
pub struct Corpus {
    pub vectors: BTreeMap<i64, Vector>,
}

impl Corpus {
    pub fn build(docs: &BTreeMap<i64, String>) -> Self {
        let mut counts: BTreeMap<i64, BTreeMap<String, u32>> = BTreeMap::new();
        let mut surfaces: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
        let mut df: BTreeMap<String, u32> = BTreeMap::new();
        for (id, text) in docs {
            let c = counts.entry(*id).or_default();
            let s = surfaces.entry(*id).or_default();
            for (stem, word) in tokens(text) {
                *c.entry(stem.clone()).or_default() += 1;
                // The shortest spelling reads best ("disease" over "diseases");
                // ties go to the alphabetically first, for determinism.
                s.entry(stem)
                    .and_modify(|cur| {
                        if (word.len(), &word) < (cur.len(), cur) {
                            *cur = word.clone();
                        }
                    })
                    .or_insert(word);
            }
            for stem in c.keys() {
                *df.entry(stem.clone()).or_default() += 1;
            }
        }
        let n = docs.len() as f64;
        let vectors = counts
            .into_iter()
            .map(|(id, c)| {
                let weights = c
                    .into_iter()
                    .map(|(stem, count)| {
                        let idf = ((1.0 + n) / (1.0 + f64::from(df[&stem]))).ln() + 1.0;
                        let tf = 1.0 + f64::from(count).ln();
                        (stem, tf * idf)
                    })
                    .collect();
                let surface = surfaces.remove(&id).unwrap_or_default();
                (id, Vector { weights, surface })
            })
            .collect();
        Corpus { vectors }
    }

    /// Cosine similarity of two documents, and the shared terms that
    /// contribute most (surface forms from `a`), strongest first.
    pub fn similarity(&self, a: i64, b: i64, top: usize) -> (f64, Vec<String>) {
        let (Some(va), Some(vb)) = (self.vectors.get(&a), self.vectors.get(&b)) else {
            return (0.0, vec![]);
        };
        let (na, nb) = (va.norm(), vb.norm());
        if na == 0.0 || nb == 0.0 {
            return (0.0, vec![]);
        }
        let mut shared: Vec<(f64, &String)> = va
            .weights
            .iter()
            .filter_map(|(stem, wa)| vb.weights.get(stem).map(|wb| (wa * wb, stem)))
            .collect();
        let dot: f64 = shared.iter().map(|(p, _)| p).sum();
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        let terms = shared
            .into_iter()
            .take(top)
            .map(|(_, stem)| {
                va.surface
                    .get(stem)
                    .cloned()
                    .unwrap_or_else(|| stem.clone())
            })
            .collect();
        (dot / (na * nb), terms)
    }
}

/// Distinct tokens, for tests and debugging.
pub fn stems(text: &str) -> BTreeSet<String> {
    tokens(text).into_iter().map(|(s, _)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stemming_meets_plural_and_progressive_forms() {
        assert_eq!(stem("diseases"), "disease");
        assert_eq!(stem("studies"), "study");
        assert_eq!(stem("sleeping"), "sleep");
        assert_eq!(stem("modeling"), "model");
        assert_eq!(stem("running"), "run");
        assert_eq!(stem("hypertension"), "hypertension");
        assert_eq!(stem("analysis"), "analysis");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn stop_words_and_short_tokens_go() {
        let s = stems("We study the effects of sleep on blood pressure, in R.");
        assert_eq!(
            s,
            ["blood", "effect", "pressure", "sleep"]
                .into_iter()
                .map(String::from)
                .collect()
        );
    }

    #[test]
    fn similar_documents_score_higher_and_name_shared_terms() {
        let docs: BTreeMap<i64, String> = [
            (1, "sleep and hypertension in older adults".to_string()),
            (2, "hypertension and sleep apnea".to_string()),
            (3, "diabetes medication adherence".to_string()),
        ]
        .into_iter()
        .collect();
        let corpus = Corpus::build(&docs);
        let (s12, terms) = corpus.similarity(1, 2, 3);
        let (s13, none) = corpus.similarity(1, 3, 3);
        assert!(s12 > 0.3, "{s12}");
        assert_eq!(s13, 0.0);
        assert!(none.is_empty());
        assert_eq!(terms, vec!["hypertension", "sleep"]);
        // Same data, same answer.
        assert_eq!(Corpus::build(&docs).similarity(1, 2, 3).0, s12);
    }
}
