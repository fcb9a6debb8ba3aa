//! A small, deterministic TF-IDF: tokenize, drop stop words, strip common
//! English suffixes, weight by inverse document frequency over the corpus
//! given, and compare by cosine similarity.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use std::sync::LazyLock;

/// Words that say nothing about a topic: English function words, and words
/// every researcher's text has.
static STOPWORDS: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    concat!(
        "a about above across after again against all also am among an and any are as at be been ",
        "before being between both but by can could did do does doing during each either etc for ",
        "from further had has have having he her here hers him his how i if in into is it its ",
        "just like may me might more most much must my no nor not now of off on once one only or ",
        "other our ours out over own per same she should so some such than that the their them ",
        "then there these they this those through to too under until up us use used using very ",
        "via was we were what when where which while who whom why will with within would you your ",
        "analysis analyses approach data interested interest interests looking project projects ",
        "research researcher researchers study studies studying work working want aim aims new ",
    )
    .split_whitespace()
    .collect()
});

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
    phrases(text).into_iter().flatten().collect()
}

/// Runs of adjacent content words: punctuation and stop words end a run,
/// so "sleep and blood pressure." gives [sleep] [blood pressure].
fn phrases(text: &str) -> Vec<Vec<(String, String)>> {
    let mut runs = Vec::new();
    // Line breaks end a clause too: titles and fields are joined by them.
    for clause in text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == ' ' || c == '\t'))
    {
        let mut run: Vec<(String, String)> = Vec::new();
        for word in clause.split(|c: char| c.is_whitespace() || c == '-') {
            let w = word.to_lowercase();
            let content = w.chars().count() >= 3
                && !w.chars().all(|c| c.is_ascii_digit())
                && !STOPWORDS.contains(w.as_str());
            if content {
                run.push((stem(&w), w));
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
    }
    runs
}

/// The terms a document is compared by: single words and two-word phrases
/// ("blood pressure"), as (stemmed key, surface form).
pub fn terms(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for run in phrases(text) {
        for pair in run.windows(2) {
            out.push((
                format!("{} {}", pair[0].0, pair[1].0),
                format!("{} {}", pair[0].1, pair[1].1),
            ));
        }
        out.extend(run);
    }
    out
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
            for (stem, word) in terms(text) {
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
        let ranked: Vec<&String> = shared.into_iter().map(|(_, k)| k).collect();
        (dot / (na * nb), display(&ranked, va, top))
    }
}

/// The shared terms as a reader wants them, strongest first: chained
/// phrases join ("nocturnal blood" + "blood pressure" → "nocturnal blood
/// pressure"), and a word already shown in a phrase is not repeated.
fn display(ranked: &[&String], v: &Vector, top: usize) -> Vec<String> {
    let surface = |k: &str| v.surface.get(k).cloned().unwrap_or_else(|| k.to_string());
    // Each shown item: its stems and its surface words.
    let mut shown: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for key in ranked.iter().filter(|k| k.contains(' ')) {
        let stems: Vec<String> = key.split(' ').map(String::from).collect();
        let words: Vec<String> = surface(key).split(' ').map(String::from).collect();
        let (Some(first), Some(last)) = (stems.first(), stems.last()) else {
            continue;
        };
        if shown
            .iter()
            .any(|(s, _)| s.contains(first) && s.contains(last))
        {
            continue;
        }
        if let Some(item) = shown.iter_mut().find(|(s, _)| s.last() == Some(first)) {
            item.0.extend(stems.iter().skip(1).cloned());
            item.1.extend(words.iter().skip(1).cloned());
        } else if let Some(item) = shown.iter_mut().find(|(s, _)| s.first() == Some(last)) {
            let mut s: Vec<String> = stems[..stems.len() - 1].to_vec();
            s.append(&mut item.0);
            let mut w: Vec<String> = words[..words.len().saturating_sub(1)].to_vec();
            w.append(&mut item.1);
            *item = (s, w);
        } else if shown.len() < top {
            shown.push((stems, words));
        }
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    // Keep the strength order: an item ranks where its strongest term did.
    for (i, key) in ranked.iter().enumerate() {
        if key.contains(' ') {
            if let Some((_, words)) = shown
                .iter()
                .find(|(s, _)| s.windows(2).any(|p| p.join(" ") == **key))
            {
                let text = words.join(" ");
                if !out.iter().any(|(_, t)| *t == text) {
                    out.push((i, text));
                }
            }
        } else if !shown.iter().any(|(s, _)| s.contains(key)) {
            out.push((i, surface(key)));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).take(top).collect()
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
    fn phrases_stop_at_punctuation_and_stop_words() {
        let keys: Vec<String> = terms("Sleep and blood pressure. Older adults")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "sleep",
                "blood pressure",
                "blood",
                "pressure",
                "older adult",
                "older",
                "adult"
            ]
        );
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
        // Phrases are compared too, and shown instead of their words.
        let docs: BTreeMap<i64, String> = [
            (1, "Blood pressure and sleep duration.".to_string()),
            (2, "Sleep duration, then blood pressure.".to_string()),
            (3, "Pressure ulcers; blood transfusion.".to_string()),
        ]
        .into_iter()
        .collect();
        let corpus = Corpus::build(&docs);
        let (_, terms) = corpus.similarity(1, 2, 3);
        assert_eq!(terms, vec!["blood pressure", "sleep duration"]);
        // Chained phrases read as one.
        let docs: BTreeMap<i64, String> = [
            (
                1,
                "Nocturnal blood pressure dipping\nin shift workers".to_string(),
            ),
            (2, "Nocturnal blood pressure dipping".to_string()),
            (3, "Shift work".to_string()),
        ]
        .into_iter()
        .collect();
        let (_, terms) = Corpus::build(&docs).similarity(1, 2, 3);
        assert_eq!(terms, vec!["nocturnal blood pressure dipping"]);
    }
}
