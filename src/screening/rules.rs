//! The moderation rule set, read from TOML files at start-up.
//!
//! Each file in the rules directory is optional: a missing file falls back to the
//! copy shipped in the repository's `moderation/` directory, which is compiled into
//! the binary. Every file is strict (`deny_unknown_fields`) and validated, and any
//! problem is reported as one line, `path:line:column: problem`, so a moderator who
//! mistypes a key sees exactly where.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// File names inside the rules directory.
pub const WORDS_FILE: &str = "words.toml";
pub const LINKS_FILE: &str = "links.toml";
pub const LIMITS_FILE: &str = "limits.toml";
pub const SMALL_COUNTS_FILE: &str = "small_counts.toml";

/// The shipped rule files, used when a file is absent from the rules directory.
const BUILT_IN_WORDS: &str = include_str!("../../moderation/words.toml");
const BUILT_IN_LINKS: &str = include_str!("../../moderation/links.toml");
const BUILT_IN_LIMITS: &str = include_str!("../../moderation/limits.toml");
const BUILT_IN_SMALL_COUNTS: &str = include_str!("../../moderation/small_counts.toml");

/// Actions that must have a rate limit; the server looks these up by name.
pub const REQUIRED_RATE_LIMITS: [&str; 7] = [
    "create_thread",
    "create_post",
    "edit_post",
    "flag",
    "collaboration_request",
    "sign_in",
    "sign_up",
];

/// Reads whose cost is far above a page's, limited per member and per
/// client address (`graphql::throttle`); these must have a rate limit too.
pub const EXPENSIVE_READ_LIMITS: [&str; 6] = [
    "search",
    "search_per_client",
    "suggested_collaborators",
    "suggested_collaborators_per_client",
    "csv_export",
    "csv_export_per_client",
];

/// A rule file that could not be read or is invalid. Displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{}: cannot read rule file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        message: String,
    },
}

/// Where one rule file came from, for a start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    pub file: &'static str,
    /// `None` when the built-in default was used because the file was absent.
    pub path: Option<PathBuf>,
}

/// Every moderation rule the server applies.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub words: WordRules,
    pub links: LinkRules,
    pub new_users: NewUserRules,
    pub rate_limits: RateLimits,
    pub flags: FlagRules,
    pub small_counts: SmallCountRules,
    pub sources: Vec<RuleSource>,
}

impl RuleSet {
    /// Reads the rule files from `dir`; each missing file falls back to its built-in
    /// default (so does a missing directory).
    pub fn load_dir(dir: &Path) -> Result<RuleSet, RuleError> {
        let mut sources = Vec::new();
        let mut read = |file: &'static str, built_in: &'static str| {
            let path = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    sources.push(RuleSource {
                        file,
                        path: Some(path.clone()),
                    });
                    Ok((path, text))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    sources.push(RuleSource { file, path: None });
                    Ok((built_in_path(file), built_in.to_owned()))
                }
                Err(source) => Err(RuleError::Io { path, source }),
            }
        };
        let words = read(WORDS_FILE, BUILT_IN_WORDS)?;
        let links = read(LINKS_FILE, BUILT_IN_LINKS)?;
        let limits = read(LIMITS_FILE, BUILT_IN_LIMITS)?;
        let small = read(SMALL_COUNTS_FILE, BUILT_IN_SMALL_COUNTS)?;
        let mut rules = Self::from_texts(
            (&words.0, &words.1),
            (&links.0, &links.1),
            (&limits.0, &limits.1),
            (&small.0, &small.1),
        )?;
        rules.sources = sources;
        Ok(rules)
    }

    /// The rules shipped in the repository's `moderation/` directory.
    pub fn defaults() -> RuleSet {
        let rules = Self::from_texts(
            (&built_in_path(WORDS_FILE), BUILT_IN_WORDS),
            (&built_in_path(LINKS_FILE), BUILT_IN_LINKS),
            (&built_in_path(LIMITS_FILE), BUILT_IN_LIMITS),
            (&built_in_path(SMALL_COUNTS_FILE), BUILT_IN_SMALL_COUNTS),
        );
        // The shipped files are compile-time constants covered by tests, so an error
        // here is a bug in the repository, not bad input.
        match rules {
            Ok(mut rules) => {
                rules.sources = [WORDS_FILE, LINKS_FILE, LIMITS_FILE, SMALL_COUNTS_FILE]
                    .into_iter()
                    .map(|file| RuleSource { file, path: None })
                    .collect();
                rules
            }
            Err(e) => panic!("built-in moderation rules are invalid: {e}"),
        }
    }

    fn from_texts(
        words: (&Path, &str),
        links: (&Path, &str),
        limits: (&Path, &str),
        small: (&Path, &str),
    ) -> Result<RuleSet, RuleError> {
        let words_file: WordsFile = parse(words.0, words.1)?;
        let links_file: LinksFile = parse(links.0, links.1)?;
        let limits_file: LimitsFile = parse(limits.0, limits.1)?;
        let small_file: SmallCountsFile = parse(small.0, small.1)?;
        let word_rules = words_file
            .validate()
            .map_err(|e| e.into_rule_error(words.0, words.1))?;
        let link_rules = links_file
            .validate()
            .map_err(|e| e.into_rule_error(links.0, links.1))?;
        let limits_file = limits_file
            .validate()
            .map_err(|e| e.into_rule_error(limits.0, limits.1))?;
        let small_counts = small_file
            .validate()
            .map_err(|e| e.into_rule_error(small.0, small.1))?;
        Ok(RuleSet {
            words: word_rules,
            links: link_rules,
            new_users: limits_file.new_users,
            rate_limits: RateLimits(limits_file.rate_limits.into_inner()),
            flags: limits_file.flags,
            small_counts,
            sources: Vec::new(),
        })
    }

    /// The rate limit for an action, if one is configured.
    pub fn rate_limit(&self, action: &str) -> Option<RateLimit> {
        self.rate_limits.get(action)
    }
}

fn built_in_path(file: &str) -> PathBuf {
    Path::new("<built-in moderation>").join(file)
}

fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, RuleError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        RuleError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message: one_line(e.message()),
        }
    })
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A validation problem found after parsing, located by a span in the file.
struct SpannedProblem {
    span: Range<usize>,
    message: String,
}

impl SpannedProblem {
    fn into_rule_error(self, path: &Path, text: &str) -> RuleError {
        let (line, column) = line_col(text, self.span.start);
        RuleError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message: self.message,
        }
    }
}

// ----------------------------------------------------------------------------- words

/// What happens to a post that trips a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Hold,
    Reject,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsFile {
    hold: Vec<Spanned<String>>,
    reject: Vec<Spanned<String>>,
}

impl WordsFile {
    fn validate(self) -> Result<WordRules, SpannedProblem> {
        Ok(WordRules {
            hold: each(self.hold, Phrase::new)?,
            reject: each(self.reject, Phrase::new)?,
        })
    }
}

/// Validates every entry of a list, pointing an error at the entry itself (toml
/// would otherwise report the span of the whole array).
fn each<T>(
    items: Vec<Spanned<String>>,
    f: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, SpannedProblem> {
    items
        .into_iter()
        .map(|item| {
            f(item.get_ref()).map_err(|message| SpannedProblem {
                span: item.span(),
                message,
            })
        })
        .collect()
}

/// Blocked words and phrases (`words.toml`).
#[derive(Debug, Clone)]
pub struct WordRules {
    pub hold: Vec<Phrase>,
    pub reject: Vec<Phrase>,
}

impl WordRules {
    pub fn new(hold: &[&str], reject: &[&str]) -> Result<WordRules, String> {
        let build = |list: &[&str]| {
            list.iter()
                .map(|t| Phrase::new(t))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(WordRules {
            hold: build(hold)?,
            reject: build(reject)?,
        })
    }

    /// Every blocked phrase in `text`, with its action and the matched byte range.
    pub fn find<'r>(&'r self, text: &str) -> Vec<(Action, &'r Phrase, Range<usize>)> {
        let lists = [(Action::Reject, &self.reject), (Action::Hold, &self.hold)];
        let mut found = Vec::new();
        for (action, phrases) in lists {
            for phrase in phrases {
                found.extend(
                    phrase
                        .regex
                        .find_iter(text)
                        .map(|m| (action, phrase, m.range())),
                );
            }
        }
        found
    }
}

/// One blocked word or phrase, compiled to a whole-word, case-insensitive regex.
#[derive(Debug, Clone)]
pub struct Phrase {
    pub text: String,
    regex: Regex,
}

impl Phrase {
    pub fn new(text: &str) -> Result<Phrase, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.is_empty() || !text.chars().any(char::is_alphanumeric) {
            return Err(format!(
                "blocked phrase {text:?} must contain a letter or digit"
            ));
        }
        let body = parts
            .iter()
            .map(|p| regex::escape(p))
            .collect::<Vec<_>>()
            .join(r"\s+");
        // `\b` only where the phrase edge is a word character: a phrase that ends in
        // punctuation ("c.o.d.") could never satisfy a boundary after it.
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let start = if is_word(text.trim().chars().next()) {
            r"\b"
        } else {
            ""
        };
        let end = if is_word(text.trim().chars().last()) {
            r"\b"
        } else {
            ""
        };
        let regex = Regex::new(&format!("(?i){start}{body}{end}"))
            .map_err(|e| format!("blocked phrase {text:?}: {e}"))?;
        Ok(Phrase {
            text: parts.join(" "),
            regex,
        })
    }
}

// ----------------------------------------------------------------------------- links

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinksFile {
    max_links_for_new_users: u32,
    blocked_domains: Vec<Spanned<String>>,
    blocked_domain_action: Action,
}

impl LinksFile {
    fn validate(self) -> Result<LinkRules, SpannedProblem> {
        Ok(LinkRules {
            max_links_for_new_users: self.max_links_for_new_users,
            blocked_domains: each(self.blocked_domains, Domain::new)?,
            blocked_domain_action: self.blocked_domain_action,
        })
    }
}

/// Link rules (`links.toml`).
#[derive(Debug, Clone)]
pub struct LinkRules {
    pub max_links_for_new_users: u32,
    pub blocked_domains: Vec<Domain>,
    pub blocked_domain_action: Action,
}

impl LinkRules {
    /// The blocked domain that `host` is, or is a subdomain of.
    pub fn blocked_domain(&self, host: &str) -> Option<&Domain> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.blocked_domains.iter().find(|d| {
            host == d.0
                || host
                    .strip_suffix(d.0.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }
}

/// A bare, lower-case domain name such as `bit.ly`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain(pub String);

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Domain {
    pub fn new(raw: &str) -> Result<Domain, String> {
        let domain = raw.trim().to_ascii_lowercase();
        if domain.contains("://") || domain.contains('/') {
            return Err(format!(
                "blocked domain {raw:?} must be a bare domain such as \"example.com\" (no scheme or path)"
            ));
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !labels_ok || !domain.contains('.') {
            return Err(format!(
                "blocked domain {raw:?} is not a domain name such as \"example.com\""
            ));
        }
        Ok(Domain(domain))
    }
}

// ---------------------------------------------------------------------------- limits

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    new_users: NewUserRules,
    rate_limits: Spanned<BTreeMap<String, RateLimit>>,
    flags: FlagRules,
}

impl LimitsFile {
    fn validate(self) -> Result<Self, SpannedProblem> {
        let missing: Vec<&str> = REQUIRED_RATE_LIMITS
            .into_iter()
            .chain(EXPENSIVE_READ_LIMITS)
            .filter(|a| !self.rate_limits.get_ref().contains_key(*a))
            .collect();
        if !missing.is_empty() {
            return Err(SpannedProblem {
                span: self.rate_limits.span(),
                message: format!(
                    "[rate_limits] is missing {}",
                    missing
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        Ok(self)
    }
}

/// Limits on users with few approved posts (`[new_users]` in `limits.toml`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserRules {
    /// A user with fewer approved posts than this is "new".
    pub new_user_post_threshold: u32,
    /// A user's first N posts are held for review (0: off).
    pub hold_first_posts: u32,
    #[serde(deserialize_with = "at_least_one")]
    pub new_user_threads_per_day: u32,
}

impl NewUserRules {
    pub fn is_new(&self, approved_posts: u32) -> bool {
        approved_posts < self.new_user_post_threshold
    }

    /// Whether a user's next post (they have `posts_so_far`) must be held.
    pub fn hold_next_post(&self, posts_so_far: u32) -> bool {
        posts_so_far < self.hold_first_posts
    }
}

/// At most `max` actions in any `per_seconds` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    #[serde(deserialize_with = "at_least_one")]
    pub max: u32,
    #[serde(deserialize_with = "at_least_one_u64")]
    pub per_seconds: u64,
}

/// Rate limits by action name (`[rate_limits]` in `limits.toml`). Always contains
/// every name in [`REQUIRED_RATE_LIMITS`].
#[derive(Debug, Clone)]
pub struct RateLimits(pub BTreeMap<String, RateLimit>);

impl RateLimits {
    pub fn get(&self, action: &str) -> Option<RateLimit> {
        self.0.get(action).copied()
    }

    /// `(action, max, per_seconds)` for every configured action.
    pub fn quotas(&self) -> impl Iterator<Item = (String, u32, u64)> + '_ {
        self.0
            .iter()
            .map(|(action, r)| (action.clone(), r.max, r.per_seconds))
    }
}

/// Flag scoring (`[flags]` in `limits.toml`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagRules {
    /// A post whose summed flag weights reach this is hidden pending review.
    #[serde(deserialize_with = "at_least_one")]
    pub hide_threshold: u32,
    pub weights: FlagWeights,
    /// How much a flag weighs by its flagger's standing.
    #[serde(default)]
    pub standing: FlagStanding,
}

/// A flag weighs in full once its flagger's account is
/// `full_weight_after_days` old (staff: at once); before that it weighs
/// `new_member_percent` of its reason's weight, rounded down but at least 1,
/// so one new account's flag queues the content without taking it down.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlagStanding {
    pub full_weight_after_days: u32,
    pub new_member_percent: u32,
}

impl Default for FlagStanding {
    fn default() -> Self {
        Self {
            full_weight_after_days: 14,
            new_member_percent: 20,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagWeights {
    pub spam: u32,
    pub off_topic: u32,
    pub inappropriate: u32,
    pub privacy: u32,
    pub other: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagReason {
    Spam,
    OffTopic,
    Inappropriate,
    Privacy,
    Other,
}

impl FlagRules {
    pub fn weight(&self, reason: FlagReason) -> u32 {
        let w = &self.weights;
        match reason {
            FlagReason::Spam => w.spam,
            FlagReason::OffTopic => w.off_topic,
            FlagReason::Inappropriate => w.inappropriate,
            FlagReason::Privacy => w.privacy,
            FlagReason::Other => w.other,
        }
    }

    /// The weight of a flag for `reason` from a flagger whose account is
    /// `account_age_days` old; staff flags weigh in full.
    pub fn weight_by_standing(
        &self,
        reason: FlagReason,
        account_age_days: i64,
        staff: bool,
    ) -> u32 {
        let full = self.weight(reason);
        let s = &self.standing;
        if full == 0 || staff || account_age_days >= i64::from(s.full_weight_after_days) {
            return full;
        }
        (full.saturating_mul(s.new_member_percent) / 100).clamp(1, full)
    }

    /// Whether flags with these reasons add up to the hide threshold.
    pub fn should_hide(&self, reasons: impl IntoIterator<Item = FlagReason>) -> bool {
        let score: u64 = reasons.into_iter().map(|r| u64::from(self.weight(r))).sum();
        score >= u64::from(self.hide_threshold)
    }
}

fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v == 0 {
        return Err(D::Error::custom("must be at least 1"));
    }
    Ok(v)
}

fn at_least_one_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v == 0 {
        return Err(D::Error::custom("must be at least 1"));
    }
    Ok(v)
}

// ---------------------------------------------------------------------- small counts

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmallCountsFile {
    enabled: bool,
    #[serde(deserialize_with = "at_least_one_u64")]
    min_count: u64,
    max_count: Spanned<u64>,
    count_nouns: Vec<Spanned<String>>,
    ambiguous_nouns: Vec<Spanned<String>>,
    header_words: Vec<Spanned<String>>,
    label_words: Vec<Spanned<String>>,
    team_words: Vec<Spanned<String>>,
    workbench_words: Vec<Spanned<String>>,
    policy_words: Vec<Spanned<String>>,
    person_id_pattern: Spanned<String>,
    detect_ssn: bool,
}

impl SmallCountsFile {
    fn validate(self) -> Result<SmallCountRules, SpannedProblem> {
        let max_count = *self.max_count.get_ref();
        if max_count < self.min_count {
            return Err(SpannedProblem {
                span: self.max_count.span(),
                message: format!(
                    "max_count ({max_count}) must be at least min_count ({})",
                    self.min_count
                ),
            });
        }
        Ok(SmallCountRules {
            enabled: self.enabled,
            min_count: self.min_count,
            max_count,
            count_nouns: word_set(self.count_nouns)?,
            ambiguous_nouns: word_set(self.ambiguous_nouns)?,
            header_words: word_set(self.header_words)?,
            label_words: word_set(self.label_words)?,
            team_words: word_set(self.team_words)?,
            workbench_words: word_set(self.workbench_words)?,
            policy_words: word_set(self.policy_words)?,
            person_id_pattern: person_id_pattern(self.person_id_pattern.get_ref()).map_err(
                |message| SpannedProblem {
                    span: self.person_id_pattern.span(),
                    message,
                },
            )?,
            detect_ssn: self.detect_ssn,
        })
    }
}

/// The small-count guard (`small_counts.toml`). Word lists are lower-cased.
#[derive(Debug, Clone)]
pub struct SmallCountRules {
    /// Whether counts are checked at all (identifiers and SSNs have their own switches).
    pub enabled: bool,
    pub min_count: u64,
    pub max_count: u64,
    pub count_nouns: BTreeSet<String>,
    /// Count nouns that often mean colleagues or Workbench users ("people", "users").
    pub ambiguous_nouns: BTreeSet<String>,
    pub header_words: BTreeSet<String>,
    pub label_words: BTreeSet<String>,
    pub team_words: BTreeSet<String>,
    pub workbench_words: BTreeSet<String>,
    pub policy_words: BTreeSet<String>,
    /// `None` when person-identifier detection is off.
    pub person_id_pattern: Option<Regex>,
    pub detect_ssn: bool,
}

impl SmallCountRules {
    pub fn is_small(&self, n: u64) -> bool {
        (self.min_count..=self.max_count).contains(&n)
    }
}

/// A set of single lower-cased words.
fn word_set(words: Vec<Spanned<String>>) -> Result<BTreeSet<String>, SpannedProblem> {
    let words = each(words, |word| {
        let w = word.trim().to_lowercase();
        if w.is_empty() || w.chars().any(char::is_whitespace) {
            return Err(format!("{word:?} must be a single word (no spaces)"));
        }
        Ok(w)
    })?;
    Ok(words.into_iter().collect())
}

/// A participant-identifier regex; the empty string turns detection off.
fn person_id_pattern(raw: &str) -> Result<Option<Regex>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    let regex = Regex::new(raw).map_err(|e| {
        format!(
            "person_id_pattern is not a valid regex: {}",
            one_line(&e.to_string())
        )
    })?;
    // A pattern that matches empty text would hold every post.
    if regex.is_match("") {
        return Err("person_id_pattern matches empty text, so it would hold every post".to_owned());
    }
    Ok(Some(regex))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir (no tempfile crate needed).
    fn temp_dir() -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "moderation-rules-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        dir
    }

    fn load_with(file: &str, text: &str) -> (PathBuf, Result<RuleSet, RuleError>) {
        let dir = temp_dir();
        std::fs::write(dir.join(file), text).expect("write rule file");
        let result = RuleSet::load_dir(&dir);
        // The path is still needed for the expected messages, the files are not.
        let _ = std::fs::remove_dir_all(&dir);
        (dir, result)
    }

    #[test]
    fn defaults_load_and_have_required_limits() {
        let rules = RuleSet::defaults();
        for action in REQUIRED_RATE_LIMITS {
            assert!(rules.rate_limit(action).is_some(), "{action}");
        }
        assert!(
            rules
                .rate_limits
                .quotas()
                .any(|q| q == ("sign_in".to_owned(), 10, 900))
        );
        assert_eq!(rules.small_counts.min_count, 1);
        assert_eq!(rules.small_counts.max_count, 20);
        assert!(rules.small_counts.person_id_pattern.is_some());
        assert!(rules.sources.iter().all(|s| s.path.is_none()));
    }

    #[test]
    fn missing_directory_falls_back_to_defaults() {
        let parent = temp_dir();
        let rules = RuleSet::load_dir(&parent.join("absent")).expect("defaults");
        let _ = std::fs::remove_dir_all(&parent);
        assert_eq!(rules.sources.len(), 4);
        assert!(rules.sources.iter().all(|s| s.path.is_none()));
    }

    #[test]
    fn present_file_is_used_and_recorded() {
        let (dir, rules) = load_with(
            LINKS_FILE,
            "max_links_for_new_users = 0\nblocked_domains = []\nblocked_domain_action = \"reject\"\n",
        );
        let rules = rules.expect("valid");
        assert_eq!(rules.links.max_links_for_new_users, 0);
        assert_eq!(rules.links.blocked_domain_action, Action::Reject);
        let links = rules.sources.iter().find(|s| s.file == LINKS_FILE);
        assert_eq!(
            links.and_then(|s| s.path.clone()),
            Some(dir.join(LINKS_FILE))
        );
    }

    #[test]
    fn unknown_field_reports_file_line_and_column() {
        // Line 12, indented by four spaces: the error must point at 12:5.
        let mut text = String::new();
        text.push_str(
            "[new_users]\n\
             new_user_post_threshold = 3\n\
             hold_first_posts = 1\n\
             new_user_threads_per_day = 3\n\
             \n\
             [rate_limits]\n\
             create_thread = { max = 5, per_seconds = 3600 }\n\
             create_post = { max = 30, per_seconds = 3600 }\n\
             \n\
             [flags]\n\
             hide_threshold = 5\n    foo = 1\n",
        );
        let (dir, result) = load_with(LIMITS_FILE, &text);
        let err = result.expect_err("unknown field must fail").to_string();
        let expected = format!(
            "{}:12:5: unknown field `foo`, expected one of `hide_threshold`, `weights`, `standing`",
            dir.join(LIMITS_FILE).display()
        );
        assert_eq!(err, expected);
        assert!(!err.contains('\n'));
    }

    #[test]
    fn syntax_error_reports_file_line_and_column() {
        let (dir, result) = load_with(WORDS_FILE, "hold = [\"spam\"]\nreject = [\"a\",\n");
        let err = result.expect_err("syntax error").to_string();
        // toml reports an unclosed array where it expected the `]`: end of line 2.
        let prefix = format!("{}:2:15: unclosed array", dir.join(WORDS_FILE).display());
        assert!(err.starts_with(&prefix), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn invalid_values_are_located() {
        let limits = BUILT_IN_LIMITS.replace(
            "sign_up               = { max = 5,",
            "sign_up               = { max = 0,",
        );
        let (dir, result) = load_with(LIMITS_FILE, &limits);
        let err = result.expect_err("max = 0").to_string();
        let line = limits
            .lines()
            .position(|l| l.starts_with("sign_up"))
            .map(|i| i + 1)
            .unwrap_or_default();
        let col = "sign_up               = { max = ".chars().count() + 1;
        assert_eq!(
            err,
            format!(
                "{}:{line}:{col}: must be at least 1",
                dir.join(LIMITS_FILE).display()
            )
        );

        let small = BUILT_IN_SMALL_COUNTS.replace("max_count = 20", "max_count = 0");
        let (_, result) = load_with(SMALL_COUNTS_FILE, &small);
        let err = result.expect_err("max < min").to_string();
        assert!(
            err.contains("max_count (0) must be at least min_count (1)"),
            "{err}"
        );

        let small =
            BUILT_IN_SMALL_COUNTS.replace("person_id_pattern = '''", "person_id_pattern = '''(");
        let (_, result) = load_with(SMALL_COUNTS_FILE, &small);
        let err = result.expect_err("bad regex").to_string();
        assert!(
            err.contains("person_id_pattern is not a valid regex"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");

        let (_, result) = load_with(
            LINKS_FILE,
            "max_links_for_new_users = 1\nblocked_domains = [\"https://bit.ly/x\"]\nblocked_domain_action = \"hold\"\n",
        );
        let err = result.expect_err("bad domain").to_string();
        assert!(err.contains(":2:20: blocked domain"), "{err}");

        // In a multi-line list the error points at the bad entry, not the list.
        let (_, result) = load_with(
            WORDS_FILE,
            "hold = [\n    \"fine\",\n    \"  \",\n]\nreject = []\n",
        );
        let err = result.expect_err("blank phrase").to_string();
        assert!(err.contains(":3:5: blocked phrase"), "{err}");
        let (_, result) = load_with(
            SMALL_COUNTS_FILE,
            &BUILT_IN_SMALL_COUNTS.replace("\"case\", \"cases\",", "\"case\", \"test case\","),
        );
        let err = result.expect_err("two words").to_string();
        assert!(err.contains("\"test case\" must be a single word"), "{err}");

        let (_, result) = load_with(
            LINKS_FILE,
            "max_links_for_new_users = 1\nblocked_domains = []\nblocked_domain_action = \"delete\"\n",
        );
        let err = result.expect_err("bad action").to_string();
        assert!(err.contains(":3:25: unknown variant `delete`"), "{err}");
    }

    #[test]
    fn missing_rate_limit_is_reported() {
        let limits = BUILT_IN_LIMITS
            .lines()
            .filter(|l| !l.starts_with("sign_in"))
            .collect::<Vec<_>>()
            .join("\n");
        let (_, result) = load_with(LIMITS_FILE, &limits);
        let err = result.expect_err("missing sign_in").to_string();
        assert!(err.contains("[rate_limits] is missing `sign_in`"), "{err}");
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let words = WordRules::new(&["ass", "send me  the data"], &["spam bot"]).expect("valid");
        assert!(words.find("a class on assays, passing the bass").is_empty());
        let found = words.find("You ASS. Please send me\nthe   data; I am a Spam Bot.");
        let texts: Vec<(Action, &str)> = found
            .iter()
            .map(|(a, p, _)| (*a, p.text.as_str()))
            .collect();
        assert!(texts.contains(&(Action::Hold, "ass")));
        assert!(texts.contains(&(Action::Hold, "send me the data")));
        assert!(texts.contains(&(Action::Reject, "spam bot")));
    }

    #[test]
    fn domains_match_subdomains_only() {
        let rules = RuleSet::defaults();
        assert!(rules.links.blocked_domain("bit.ly").is_some());
        assert!(rules.links.blocked_domain("www.BIT.ly").is_some());
        assert!(
            rules
                .links
                .blocked_domain("files.wetransfer.com.")
                .is_some()
        );
        assert!(rules.links.blocked_domain("notbit.ly").is_none());
        assert!(rules.links.blocked_domain("bit.ly.example.org").is_none());
    }

    #[test]
    fn flags_and_new_users() {
        let rules = RuleSet::defaults();
        assert!(rules.new_users.is_new(0));
        assert!(
            !rules
                .new_users
                .is_new(rules.new_users.new_user_post_threshold)
        );
        assert!(rules.flags.should_hide([FlagReason::Privacy]));
        assert!(!rules.flags.should_hide([FlagReason::OffTopic]));
    }

    #[test]
    fn a_flag_weighs_by_its_flaggers_standing() {
        let flags = RuleSet::defaults().flags;
        let full = flags.weight(FlagReason::Privacy);
        // A day-old account's privacy flag queues the post but cannot hide it.
        let new = flags.weight_by_standing(FlagReason::Privacy, 1, false);
        assert!(new >= 1 && new < flags.hide_threshold, "{new}");
        let days = i64::from(flags.standing.full_weight_after_days);
        assert_eq!(
            flags.weight_by_standing(FlagReason::Privacy, days, false),
            full
        );
        assert_eq!(flags.weight_by_standing(FlagReason::Privacy, 0, true), full);
        assert_eq!(flags.weight_by_standing(FlagReason::OffTopic, 0, false), 1);
    }
}
