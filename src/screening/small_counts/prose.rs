//! Counts written in running text: a number with a word for people, an `n`
//! label or a percentage.

use std::collections::HashSet;
use std::ops::Range;

use super::bounds::*;
use super::tokens::*;
use super::words::*;
use super::{Hit, HitKind, excerpt};
use crate::screening::rules::SmallCountRules;

/// What precedes a candidate number.
pub(super) struct Prefix {
    pub(super) bound: Bound,
    /// The operator characters right before the number ("=", "<", ":").
    pub(super) ops: String,
    /// Index of an `n` label ("n", "N", "n_cases", "count", "sample size").
    pub(super) label: Option<usize>,
    /// Index of the token before the operators / qualifier words.
    pub(super) before: Option<usize>,
    /// First token of a qualifier worth quoting ("fewer than", "<", "only").
    pub(super) qual_start: Option<usize>,
}

/// Why a number counts people.
pub(super) enum Evidence {
    Label,
    Noun(String),
    Percentage,
}

pub(super) struct Prose<'a> {
    pub(super) rules: &'a SmallCountRules,
    pub(super) text: &'a str,
    pub(super) toks: Vec<Tok<'a>>,
    /// Sentence number of each token.
    pub(super) sentence: Vec<usize>,
    /// Sentences containing a policy word.
    pub(super) policy_sentences: HashSet<usize>,
    /// Sentences containing a team or Workbench word.
    pub(super) colleague_sentences: HashSet<usize>,
}

impl<'a> Prose<'a> {
    pub(super) fn new(rules: &'a SmallCountRules, text: &'a str) -> Self {
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

    pub(super) fn word(&self, i: usize) -> Option<String> {
        self.toks
            .get(i)
            .filter(|t| t.kind == Kind::Word)
            .map(|t| norm(t.text))
    }

    pub(super) fn is_word(&self, i: usize, w: &str) -> bool {
        self.word(i).as_deref() == Some(w)
    }

    pub(super) fn punct(&self, i: usize) -> Option<&str> {
        self.toks
            .get(i)
            .filter(|t| t.kind == Kind::Punct)
            .map(|t| t.text)
    }

    pub(super) fn is_noun(&self, i: usize) -> Option<String> {
        self.word(i).filter(|w| self.rules.count_nouns.contains(w))
    }

    /// Skips markdown emphasis markers forwards.
    pub(super) fn fwd(&self, mut i: usize) -> usize {
        while matches!(self.punct(i), Some("*" | "_")) {
            i += 1;
        }
        i
    }

    /// The index before `i`, skipping emphasis markers backwards.
    pub(super) fn back(&self, i: usize) -> Option<usize> {
        let mut j = i.checked_sub(1)?;
        while matches!(self.punct(j), Some("*" | "_")) {
            j = j.checked_sub(1)?;
        }
        Some(j)
    }

    pub(super) fn detect(&self) -> Vec<Hit> {
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
    pub(super) fn free_standing(&self, t: &Tok<'_>) -> bool {
        let before = self.text[..t.start].chars().next_back();
        let after = self.text[t.end..].chars().next();
        let bad_before = before.is_some_and(|c| c.is_alphanumeric() || "$£€#@./\\^_-+".contains(c));
        let bad_after = after.is_some_and(|c| "%+°′″".contains(c));
        !bad_before && !bad_after
    }

    pub(super) fn prefix(&self, i: usize) -> Prefix {
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

    pub(super) fn is_n_label(&self, k: usize) -> bool {
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

    pub(super) fn candidate(&self, i: usize) -> Option<Hit> {
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
                let after_a = i > 0 && self.is_word(i - 1, "a");
                let v = match w.as_str() {
                    "single" if after_a => 1,
                    "dozen" if after_a => 12,
                    _ => {
                        // "two dozen", "one hundred", "five thousand" are not small;
                        // "hundred and five" is the tail of a larger number.
                        let next = self.word(i + 1).unwrap_or_default();
                        let prev = i
                            .checked_sub(1)
                            .and_then(|p| self.word(p))
                            .unwrap_or_default();
                        let prev2 = i
                            .checked_sub(2)
                            .and_then(|p| self.word(p))
                            .unwrap_or_default();
                        if is_multiplier(&next)
                            || is_multiplier(&prev)
                            || (prev == "and" && is_multiplier(&prev2))
                        {
                            return None;
                        }
                        number_word(&w)?
                    }
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
        if is_word_number && i > 0 && (self.is_word(i, "single") || self.is_word(i, "dozen")) {
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

    pub(super) fn hit(&self, span: Range<usize>, reason: String) -> Hit {
        Hit {
            kind: HitKind::SmallCount,
            excerpt: excerpt(self.text, span.clone()),
            span,
            reason,
            derivation: None,
        }
    }

    /// A finding for a count that follows from other numbers.
    pub(super) fn derived_hit(&self, span: Range<usize>, reason: &str, derivation: String) -> Hit {
        Hit {
            derivation: Some(derivation),
            ..self.hit(span, reason.to_owned())
        }
    }

    /// The count noun after a number: "7 participants", "4 Native Hawaiian
    /// participants", "3 of our participants", "2 of the 150 patients". Returns the
    /// noun and its index.
    pub(super) fn noun_after(&self, i: usize) -> Option<(String, usize)> {
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
    pub(super) fn noun_vetoed(
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
    pub(super) fn anaphora_after(&self, i: usize, word_number: bool) -> Option<(String, usize)> {
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
    pub(super) fn percentage_after(&self, i: usize, value: NumVal) -> Option<usize> {
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
    pub(super) fn percentage_before(&self, i: usize, prefix: &Prefix) -> Option<usize> {
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
    pub(super) fn noun_before(&self, prefix: &Prefix, i: usize) -> Option<(String, usize)> {
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
    pub(super) fn clause_back(&self, from: usize, n: usize) -> impl Iterator<Item = usize> + '_ {
        let sentence = self.sentence[from];
        (0..=from).rev().take(n).take_while(move |&j| {
            self.sentence[j] == sentence
                && (j == from || !matches!(self.punct(j), Some(";" | ":" | "|" | "." | "!" | "?")))
        })
    }

    /// "0.5% of 3,000 participants": a percentage of a stated total that works out
    /// to a small count.
    pub(super) fn percent_of_total(&self, i: usize) -> Option<Hit> {
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

    pub(super) fn in_policy_sentence(&self, i: usize) -> bool {
        self.policy_sentences.contains(&self.sentence[i])
    }

    /// "1 to 20 participants", "between 1 and 20": the policy's own range.
    pub(super) fn follows_policy_range(&self, prefix: &Prefix) -> bool {
        let Some(b) = prefix.before else {
            return false;
        };
        let joined = self.is_word(b, "to")
            || self.is_word(b, "and")
            || matches!(self.punct(b), Some("-" | "–"));
        joined && b > 0 && self.toks[b - 1].num == NumVal::Int(self.rules.min_count)
    }
}
