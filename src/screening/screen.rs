//! Screens a post against the rule set before it is published.
//!
//! Screening only looks at the content. Rules that need the database — holding a
//! user's first posts, new users' threads per day, rate limits — are applied by the
//! services that call this, using the numbers in [`RuleSet`].

use std::sync::LazyLock;

use regex::Regex;

use super::rules::{Action, RuleSet};
use super::small_counts::{self, HitKind};

/// What to do with a post. Ordered: a reject beats a hold beats an allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Allow,
    Hold,
    Reject,
}

impl From<Action> for Verdict {
    fn from(action: Action) -> Self {
        match action {
            Action::Hold => Verdict::Hold,
            Action::Reject => Verdict::Reject,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    BlockedWord,
    LinkLimit,
    BlockedDomain,
    SmallCount,
    PersonIdentifier,
    Ssn,
}

impl RuleKind {
    /// A stable code for clients and the moderation queue.
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::BlockedWord => "BLOCKED_WORD",
            RuleKind::LinkLimit => "LINK_LIMIT",
            RuleKind::BlockedDomain => "BLOCKED_DOMAIN",
            RuleKind::SmallCount => "SMALL_COUNT",
            RuleKind::PersonIdentifier => "PERSON_IDENTIFIER",
            RuleKind::Ssn => "SSN",
        }
    }
}

/// What to screen. The title is absent for replies.
#[derive(Debug, Clone, Copy)]
pub struct ScreenInput<'a> {
    pub title: Option<&'a str>,
    pub body_markdown: &'a str,
    /// Fewer approved posts than `new_user_post_threshold`.
    pub author_is_new: bool,
}

/// One reason a post is held or rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleKind,
    /// Same as `rule.code()`.
    pub code: &'static str,
    /// Addressed to the author: what was found and how to fix it.
    pub message: String,
    /// The matched text (SSNs masked).
    pub excerpt: String,
    /// What this finding alone would do to the post.
    pub action: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

pub fn screen(rules: &RuleSet, input: &ScreenInput<'_>) -> Screening {
    let mut findings = Vec::new();
    let parts = input
        .title
        .map(|t| (t, " in the title"))
        .into_iter()
        .chain([(input.body_markdown, "")]);
    let mut links = 0;
    for (text, place) in parts {
        blocked_words(rules, text, place, &mut findings);
        blocked_domains(rules, text, place, &mut findings);
        small_counts(rules, text, place, &mut findings);
        // Code is not clickable once rendered, so only links outside it count.
        let (outside_code, _) = small_counts::mask_code(text);
        links += link_hosts(&outside_code).len();
    }
    let max = rules.links.max_links_for_new_users;
    if input.author_is_new && links > max as usize {
        let allowance = match max {
            0 => "cannot include links".to_owned(),
            1 => "can include at most 1 link in a post".to_owned(),
            n => format!("can include at most {n} links in a post"),
        };
        findings.push(finding(
            RuleKind::LinkLimit,
            Verdict::Hold,
            format!(
                "New members {allowance} until {} of their posts have been approved; this post has {links}. \
                 A moderator will review it, or you can remove some links.",
                rules.new_users.new_user_post_threshold
            ),
            format!("{links} links"),
        ));
    }
    let verdict = findings
        .iter()
        .map(|f| f.action)
        .max()
        .unwrap_or(Verdict::Allow);
    Screening {
        verdict,
        findings: cap_per_rule(findings),
    }
}

/// At most this many findings of one kind are reported: enough for the author to
/// see the pattern, without flooding the moderation queue on a pasted data dump.
pub const MAX_FINDINGS_PER_RULE: usize = 20;

fn cap_per_rule(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen: Vec<(RuleKind, usize)> = Vec::new();
    findings
        .into_iter()
        .filter(|f| match seen.iter_mut().find(|(r, _)| *r == f.rule) {
            Some((_, n)) => {
                *n += 1;
                *n <= MAX_FINDINGS_PER_RULE
            }
            None => {
                seen.push((f.rule, 1));
                true
            }
        })
        .collect()
}

fn finding(rule: RuleKind, action: Verdict, message: String, excerpt: String) -> Finding {
    Finding {
        rule,
        code: rule.code(),
        message,
        excerpt,
        action,
    }
}

fn blocked_words(rules: &RuleSet, text: &str, place: &str, out: &mut Vec<Finding>) {
    let mut seen = Vec::new();
    for (action, phrase, span) in rules.words.find(text) {
        if seen.contains(&phrase.text) {
            continue;
        }
        seen.push(phrase.text.clone());
        let message = match action {
            Action::Hold => format!(
                "Your post contains “{}”{place}, which a moderator reviews before it is published.",
                phrase.text
            ),
            Action::Reject => format!(
                "Your post contains “{}”{place}, which is not allowed on this forum, so it was not posted. \
                 Please remove it and try again.",
                phrase.text
            ),
        };
        let excerpt = text.get(span).unwrap_or_default().to_owned();
        out.push(finding(
            RuleKind::BlockedWord,
            action.into(),
            message,
            excerpt,
        ));
    }
}

fn blocked_domains(rules: &RuleSet, text: &str, place: &str, out: &mut Vec<Finding>) {
    let mut seen = Vec::new();
    for host in link_hosts(text) {
        let Some(domain) = rules.links.blocked_domain(&host) else {
            continue;
        };
        if seen.contains(&domain.0) {
            continue;
        }
        seen.push(domain.0.clone());
        let action = rules.links.blocked_domain_action;
        let message = match action {
            Action::Hold => format!(
                "Your post links to {domain}{place}, which a moderator reviews before the post is published. \
                 Link shorteners hide where a link goes, and file-sharing sites must never hold participant data."
            ),
            Action::Reject => format!(
                "Your post links to {domain}{place}, which is not allowed on this forum, so it was not posted. \
                 Please remove the link and try again."
            ),
        };
        out.push(finding(
            RuleKind::BlockedDomain,
            action.into(),
            message,
            host,
        ));
    }
}

fn small_counts(rules: &RuleSet, text: &str, place: &str, out: &mut Vec<Finding>) {
    for mut f in disclosures(rules, text, "post", place) {
        f.message.push_str(match f.rule {
            RuleKind::SmallCount => " A moderator will review the post; you can edit it meanwhile.",
            _ => " A moderator will review the post.",
        });
        out.push(f);
    }
}

/// What the small-count guard finds in `text`: small counts, counts that follow
/// from other numbers, participant identifiers and SSNs. Each message tells the
/// author of the `what` ("post", "profile", "message") what was found and how to
/// fix it; the caller says what happens next (a hold, a refusal). At most
/// [`MAX_FINDINGS_PER_RULE`] of each kind.
pub fn disclosures(rules: &RuleSet, text: &str, what: &str, place: &str) -> Vec<Finding> {
    let sc = &rules.small_counts;
    let (min, max) = (sc.min_count, sc.max_count);
    let policy = format!(
        "The All of Us Data and Statistics Dissemination Policy does not allow publishing participant \
         counts from {min} to {max} (0 is fine), or any statistic from which such a count can be derived."
    );
    let findings = small_counts::detect(sc, text)
        .into_iter()
        .map(|hit| {
            let (rule, message) = match (hit.kind, &hit.derivation) {
                (HitKind::SmallCount, Some(derivation)) => (
                    RuleKind::SmallCount,
                    format!(
                        "Your {what} lets a reader work out a participant count{place}: {derivation}, \
                         from “{}”. {policy} To fix it, suppress one of the numbers the count follows \
                         from, coarsen them (round the total, widen the share or collapse categories) \
                         until no count from {min} to {max} follows, or write “≤{max}” for the small \
                         group (and the total as “≤N” where it would give the group away).",
                        hit.excerpt
                    ),
                ),
                (HitKind::SmallCount, None) => (
                    RuleKind::SmallCount,
                    format!(
                        "Your {what} appears to report {}{place}: “{}”. {policy} To fix it, suppress \
                         the cell, coarsen or collapse categories until every count is above {max}, \
                         or write “≤{max}”.",
                        hit.reason, hit.excerpt
                    ),
                ),
                (HitKind::PersonIdentifier, _) => (
                    RuleKind::PersonIdentifier,
                    format!(
                        "Your {what} appears to contain a participant identifier{place}: “{}”. \
                         Participant-level identifiers must not leave the Researcher Workbench; \
                         please remove it.",
                        hit.excerpt
                    ),
                ),
                (HitKind::Ssn, _) => (
                    RuleKind::Ssn,
                    format!(
                        "Your {what} contains what looks like a Social Security number{place} ({}). \
                         Please remove it.",
                        hit.excerpt
                    ),
                ),
            };
            finding(rule, Verdict::Hold, message, hit.excerpt)
        })
        .collect();
    cap_per_rule(findings)
}

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bhttps?://([^\s<>()\[\]"'`/?#]+)|(?:^|[^\w.@/:-])(www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+)"#)
        .expect("constant regex")
});

/// The host of every http(s) URL and bare www. address, in order.
fn link_hosts(text: &str) -> Vec<String> {
    LINK.captures_iter(text)
        .filter_map(|c| {
            let authority = c.get(1).or_else(|| c.get(2))?.as_str();
            // Drop user info and port: "user@host:8080".
            let host = authority.rsplit('@').next().unwrap_or(authority);
            let host = host.split(':').next().unwrap_or(host);
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            (!host.is_empty()).then_some(host)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::rules::{Domain, LinkRules, WordRules};
    use super::*;

    fn rules() -> RuleSet {
        RuleSet::defaults()
    }

    fn body(text: &str) -> ScreenInput<'_> {
        ScreenInput {
            title: None,
            body_markdown: text,
            author_is_new: false,
        }
    }

    fn codes(s: &Screening) -> Vec<&'static str> {
        s.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn clean_post_is_allowed() {
        let s = screen(
            &rules(),
            &ScreenInput {
                title: Some("Hail 0.2 on CDR v7"),
                body_markdown: "My cluster has 2 cores and the job takes 5 minutes. See https://hail.is/docs.",
                author_is_new: true,
            },
        );
        assert_eq!(s.verdict, Verdict::Allow, "{s:?}");
        assert!(s.findings.is_empty());
    }

    #[test]
    fn small_count_is_held_with_policy_message() {
        let s = screen(&rules(), &body("We found 7 participants with the variant."));
        assert_eq!(s.verdict, Verdict::Hold);
        let f = &s.findings[0];
        assert_eq!(f.rule, RuleKind::SmallCount);
        assert_eq!(f.code, "SMALL_COUNT");
        assert_eq!(f.excerpt, "7 participants");
        assert!(
            f.message
                .contains("Data and Statistics Dissemination Policy")
        );
        assert!(f.message.contains("suppress the cell"));
        assert!(f.message.contains("collapse categories"));
        assert!(f.message.contains("≤20"));
    }

    #[test]
    fn derived_count_is_explained() {
        let s = screen(
            &rules(),
            &body("We enrolled 250 participants and 238 completed the 12-month survey."),
        );
        assert_eq!(s.verdict, Verdict::Hold);
        let f = &s.findings[0];
        assert_eq!(f.code, "SMALL_COUNT");
        assert!(
            f.message.contains("250 − 238 = 12 participants"),
            "{}",
            f.message
        );
        assert!(f.message.contains("suppress"));
        assert!(f.message.contains("coarsen"));
        assert!(f.message.contains("≤20"));
        assert!(f.message.contains("A moderator will review the post"));
    }

    #[test]
    fn disclosures_name_what_was_written() {
        let found = disclosures(
            &rules(),
            "Of our 40 carriers, 31 were heterozygous.",
            "profile",
            "",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .starts_with("Your profile lets a reader work out")
        );
        assert!(
            found[0].message.contains("40 − 31 = 9 carriers"),
            "{}",
            found[0].message
        );
        assert!(!found[0].message.contains("moderator"));
    }

    #[test]
    fn title_is_screened() {
        let s = screen(
            &rules(),
            &ScreenInput {
                title: Some("Only 3 cases of X in the cohort"),
                body_markdown: "Is that expected?",
                author_is_new: false,
            },
        );
        assert_eq!(s.verdict, Verdict::Hold);
        assert!(s.findings[0].message.contains("in the title"));
    }

    #[test]
    fn blocked_words_are_whole_word() {
        let rules = {
            let mut r = rules();
            r.words = WordRules::new(&["ass"], &["casino bonus"]).expect("valid");
            r
        };
        let s = screen(&rules, &body("This class on assays passes the bass."));
        assert_eq!(s.verdict, Verdict::Allow, "{s:?}");
        let s = screen(&rules, &body("What an ASS."));
        assert_eq!(s.verdict, Verdict::Hold);
        assert_eq!(codes(&s), ["BLOCKED_WORD"]);
        assert_eq!(s.findings[0].excerpt, "ASS");
        // Reject beats hold.
        let s = screen(&rules, &body("ass! Casino\nBonus inside"));
        assert_eq!(s.verdict, Verdict::Reject);
        assert_eq!(s.findings.len(), 2);
    }

    #[test]
    fn blocked_domains_include_subdomains() {
        let s = screen(
            &rules(),
            &body("Slides: https://bit.ly/3xYz and [data](https://files.wetransfer.com/x)"),
        );
        assert_eq!(s.verdict, Verdict::Hold);
        assert_eq!(codes(&s), ["BLOCKED_DOMAIN", "BLOCKED_DOMAIN"]);
        assert_eq!(s.findings[1].excerpt, "files.wetransfer.com");
        let s = screen(
            &rules(),
            &body("See https://notbit.ly/x and https://bit.ly.example.org/"),
        );
        assert_eq!(s.verdict, Verdict::Allow, "{s:?}");

        let mut rejecting = rules();
        rejecting.links = LinkRules {
            max_links_for_new_users: 2,
            blocked_domains: vec![Domain::new("spam.example").expect("valid")],
            blocked_domain_action: Action::Reject,
        };
        let s = screen(&rejecting, &body("visit www.spam.example today"));
        assert_eq!(s.verdict, Verdict::Reject);
    }

    #[test]
    fn new_user_link_limit() {
        let text = "Docs: https://a.example/1, <https://b.example>, www.c.example and [d](http://d.example).\n\n\
                    ```\ncurl https://e.example\n```";
        let new = ScreenInput {
            title: None,
            body_markdown: text,
            author_is_new: true,
        };
        let s = screen(&rules(), &new);
        assert_eq!(s.verdict, Verdict::Hold);
        assert_eq!(codes(&s), ["LINK_LIMIT"]);
        assert_eq!(s.findings[0].excerpt, "4 links"); // the one in code does not count
        let s = screen(&rules(), &body(text));
        assert_eq!(
            s.verdict,
            Verdict::Allow,
            "established users have no link limit"
        );
        let two = ScreenInput {
            body_markdown: "https://a.example and https://b.example",
            ..new
        };
        assert_eq!(screen(&rules(), &two).verdict, Verdict::Allow);
    }

    #[test]
    fn findings_are_capped_per_rule() {
        let text = "7 participants. ".repeat(100);
        let s = screen(&rules(), &body(&text));
        assert_eq!(s.verdict, Verdict::Hold);
        assert_eq!(s.findings.len(), MAX_FINDINGS_PER_RULE);
    }

    #[test]
    fn identifiers_and_ssns_are_held() {
        let s = screen(&rules(), &body("Row for person_id: 1234567 looks wrong"));
        assert_eq!(codes(&s), ["PERSON_IDENTIFIER"]);
        assert_eq!(s.verdict, Verdict::Hold);
        let s = screen(&rules(), &body("The note says 219-09-9999."));
        assert_eq!(codes(&s), ["SSN"]);
        assert!(!s.findings[0].message.contains("219-09"));
    }
}
