//! Word lists the detectors share, and number words.

#[rustfmt::skip]
pub(super) const NUMBER_WORDS: [&str; 20] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty",
];

pub(super) fn number_word(w: &str) -> Option<u64> {
    NUMBER_WORDS
        .iter()
        .position(|n| *n == w)
        .and_then(|i| u64::try_from(i + 1).ok())
}

/// Words that end the search for a count noun after a number: prepositions,
/// conjunctions, verbs, pronouns and quantifiers. "3 days after participants
/// enrolled" is about days.
pub(super) const BREAK: &[&str] = &[
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
pub(super) const UNITS: &[&str] = &[
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
pub(super) const HYPOTHETICAL: &[&str] = &[
    "test", "tests", "edge", "use", "corner", "unit", "example", "toy", "dummy", "synthetic",
    "simulated", "fake", "hypothetical", "mock", "imaginary", "demo", "fictional", "made-up",
];

/// Determiners allowed after a partitive "of": "3 of our participants".
pub(super) const DETERMINERS: &[&str] = &[
    "the", "our", "my", "these", "those", "their", "all", "his", "her", "your", "its", "this",
];

/// Words in a table header or row label that mark it as a statistic other than a
/// count ("Age, mean (SD)", "BMI, median (IQR)"), or as a label column ("Step count").
#[rustfmt::skip]
pub(super) const STAT_WORDS: &[&str] = &[
    "mean", "median", "sd", "se", "iqr", "avg", "average", "std", "variance", "ratio", "rate",
    "percent", "percentage", "pct", "score", "range", "min", "max", "or", "hr", "rr", "ci", "p",
    "pvalue", "beta", "estimate", "coefficient", "step", "steps", "version", "id", "rank",
    "position", "pos", "index", "chr", "chromosome", "page", "cost", "price", "usd",
];

/// Header words that mark a count column on their own, whatever else is there.
pub(super) const STRONG_HEADER: &[&str] = &["n", "count", "counts", "cnt"];

/// Fence languages treated as pasted output rather than code.
#[rustfmt::skip]
pub(super) const OUTPUT_LANGS: &[&str] = &[
    "", "text", "txt", "output", "out", "console", "plain", "plaintext", "csv", "tsv", "log",
    "md", "markdown", "table", "psql",
];

pub(super) fn is_in(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

/// Lower-cases a word and drops a possessive: "participants'" and "patient's".
pub(super) fn norm(w: &str) -> String {
    let lower = w.to_lowercase();
    let trimmed = lower
        .strip_suffix("'s")
        .or_else(|| lower.strip_suffix("’s"))
        .unwrap_or(&lower);
    trimmed.trim_end_matches(['\'', '’']).to_owned()
}

// ------------------------------------------------------------- number phrases

#[rustfmt::skip]
const ONES: [&str; 20] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
];

#[rustfmt::skip]
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// "seven", "forty", "thirty-one": a number word below a hundred.
pub(super) fn word_below_hundred(w: &str) -> Option<u64> {
    let index = |list: &[&str], w: &str| {
        list.iter()
            .position(|n| *n == w)
            .and_then(|i| u64::try_from(i).ok())
    };
    if let Some(v) = index(&ONES, w) {
        return Some(v);
    }
    if let Some(t) = index(&TENS, w) {
        return Some(20 + 10 * t);
    }
    let (tens, ones) = w.split_once('-')?;
    let t = index(&TENS, tens)?;
    let o = index(&ONES, ones).filter(|o| (1..10).contains(o))?;
    Some(20 + 10 * t + o)
}

/// Whether a word can continue a number phrase: "hundred", "thousand", "dozen".
pub(super) fn is_multiplier(w: &str) -> bool {
    matches!(w, "hundred" | "thousand" | "dozen")
}

/// Reads a number written in words from the start of `words`: "forty",
/// "thirty-one", "two hundred", "one hundred and ninety", "a dozen", "two dozen",
/// "a thousand". Returns the value and how many words it took. The words must be
/// lower-cased.
pub(super) fn number_phrase(words: &[&str]) -> Option<(u64, usize)> {
    let mut total = 0u64;
    let mut current = 0u64;
    let mut used = 0;
    let mut seen_number = false;
    let mut k = 0;
    while let Some(&w) = words.get(k) {
        if let Some(v) = word_below_hundred(w) {
            // "two three" is two numbers, not one.
            if seen_number && !current.is_multiple_of(100) {
                break;
            }
            current += v;
            seen_number = true;
        } else if w == "a" && k == 0 && words.get(1).is_some_and(|n| is_multiplier(n)) {
            current = 1;
        } else if w == "hundred" && k > 0 && !current.is_multiple_of(100) && current < 100 {
            current *= 100;
            seen_number = true;
        } else if w == "thousand" && k > 0 && current > 0 {
            total += current * 1000;
            current = 0;
            seen_number = true;
        } else if w == "dozen" && k > 0 && current > 0 && current < 100 {
            current *= 12;
            seen_number = true;
            used = k + 1;
            break;
        } else if w == "and"
            && seen_number
            && (current.is_multiple_of(100) || total > 0)
            && words
                .get(k + 1)
                .is_some_and(|n| word_below_hundred(n).is_some())
        {
            // "one hundred and ninety"
        } else {
            break;
        }
        k += 1;
        if w != "and" && w != "a" {
            used = k;
        }
    }
    (seen_number && used > 0).then_some((total + current, used))
}

// ------------------------------------------------------ words about derived counts

/// Verbs of exclusion, withdrawal and loss: "19 were excluded", "2 dropped out",
/// "we lost 7 to follow-up". Whoever they happen to is a count of people.
#[rustfmt::skip]
pub(super) const EXCLUSION_VERBS: &[&str] = &[
    "excluded", "dropped", "removed", "withdrew", "withdrawn", "died", "lost",
    "discontinued", "censored", "declined", "refused", "disenrolled", "unenrolled",
    "deceased", "opted", "quit",
];

/// Words that may stand between a count and its verb: "19 were excluded", "7 had
/// already withdrawn", "1,028 also had".
#[rustfmt::skip]
pub(super) const AUXILIARIES: &[&str] = &[
    "were", "was", "had", "have", "has", "been", "being", "are", "is", "also", "then",
    "later", "subsequently", "eventually", "ultimately", "already", "still", "only", "all",
    "finally", "further", "again", "each",
];

/// Verbs that say what part of a group did or was: "238 completed", "300
/// remained", "1,190 had". Past-tense verbs ("-ed") count as well.
#[rustfmt::skip]
pub(super) const PART_VERBS: &[&str] = &[
    "had", "have", "has", "were", "was", "are", "is", "remain", "remains", "live", "lived",
    "met", "kept", "got", "took", "did", "do", "does", "showed", "carry", "carried", "came",
    "left", "stayed", "chose", "gave", "wore", "went", "fell", "saw", "made", "held",
    "reported", "responded", "answered", "returned", "survived", "lacked",
];

/// Words before a number that make it something added rather than a part of the
/// group before it: "60 more", "another 12", "the other 10".
#[rustfmt::skip]
pub(super) const NOT_A_PART: &[&str] = &[
    "other", "another", "additional", "more", "further", "extra", "new", "next", "first",
    "last", "top", "every", "each", "per",
];

/// Words that name a group without counting it, so "half of the cohort" refers
/// to a total stated earlier.
#[rustfmt::skip]
pub(super) const GROUP_WORDS: &[&str] = &[
    "cohort", "cohorts", "sample", "samples", "group", "subgroup", "population", "stratum",
    "subset", "extract", "pilot", "total",
];

/// Words other than count nouns that show a sentence is about people: "42 of 50
/// were female".
#[rustfmt::skip]
pub(super) const PEOPLE_WORDS: &[&str] = &[
    "female", "male", "females", "males", "heterozygous", "homozygous", "hispanic", "latino",
    "latina", "black", "white", "asian", "enrolled", "consented", "diagnosed", "insured",
    "uninsured", "pregnant", "married", "employed", "unemployed", "vaccinated", "smoked",
    "right-handed", "left-handed",
];

/// Markers of what is left of a group: "the rest", "the remainder", "the others".
pub(super) const REMAINDER: &[&str] = &["rest", "remainder", "others", "remaining"];

/// Labels of a table's total row or column.
pub(super) const TOTAL_LABELS: &[&str] = &["total", "totals", "all", "overall", "sum"];

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(text: &str) -> Option<(u64, usize)> {
        let words: Vec<&str> = text.split(' ').collect();
        number_phrase(&words)
    }

    #[test]
    fn number_phrases() {
        assert_eq!(phrase("forty carriers"), Some((40, 1)));
        assert_eq!(phrase("thirty-one were"), Some((31, 1)));
        assert_eq!(phrase("two hundred participants"), Some((200, 2)));
        assert_eq!(phrase("one hundred and ninety had"), Some((190, 4)));
        assert_eq!(phrase("a dozen patients"), Some((12, 2)));
        assert_eq!(phrase("two dozen participants"), Some((24, 2)));
        assert_eq!(phrase("three thousand two hundred adults"), Some((3200, 4)));
        assert_eq!(phrase("one and two"), Some((1, 1)));
        assert_eq!(phrase("a patient"), None);
        assert_eq!(phrase("hundred"), None);
    }
}
