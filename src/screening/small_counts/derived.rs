//! Counts a reader can work out from the numbers a paragraph states, though no
//! number in it is a small count: "We enrolled 250 participants and 238
//! completed" (12 did not), "35% of the 40 carriers" (14), "42 of 50 were female"
//! (8 were not), "19 were excluded", "Of the forty carriers, thirty-one were
//! heterozygous" (9).
//!
//! # How it reads a paragraph
//!
//! One pass over the paragraph's tokens keeps its current *total*: the latest
//! count of people ("250 participants", "n = 1,240", "the 40 carriers", "a
//! 250-person cohort"), and the *parts* of it stated since (bare numbers such as
//! "238" in "238 completed"). From them:
//!
//! * a part followed by a verb ("238 completed", "300 remained", "1,028 also
//!   had") leaves `total − part`;
//! * "k of N", "k out of N" and "k of them" leave `N − k`, when N counts people
//!   or the sentence is about people ("42 of 50 were female");
//! * "the rest", "the remainder", "the others" are `total − Σ parts`;
//! * a share (a percentage, "half", "a third", "3 in 4", "4 per 1,000") of a
//!   stated group, or of the paragraph's total when it is the subject ("80%
//!   completed"), is every count that rounds to it, and leaves the complement;
//! * "all but k" and a bare count before a verb of exclusion, withdrawal or loss
//!   ("19 were excluded", "we lost 7 to follow-up") count people directly.
//!
//! Totals never cross a paragraph, a table or a code block: a number in another
//! paragraph is about something else often enough that linking them would hold
//! posts for nothing. Numbers that count things ("45 minutes", "10,000 VCF
//! shards", "60 more") are never totals or parts, and a count of things in a
//! sentence makes the bare numbers after it in that sentence more of those things.
//!
//! Every step looks a bounded number of tokens ahead, so a paragraph is read in
//! time linear in its length.

use std::collections::HashSet;
use std::ops::{Range, RangeInclusive};

use super::Hit;
use super::arithmetic::{Share, complement, touches};
use super::bounds::{Bound, reveals};
use super::explanation as explain;
use super::prose::{Prefix, Prose};
use super::tokens::{Kind, NumVal};
use super::words::*;

pub(super) fn detect(prose: &Prose<'_>) -> Vec<Hit> {
    Derived::new(prose).run()
}

/// Paragraph number of a token that belongs to no paragraph (a table row).
const NO_PARAGRAPH: usize = usize::MAX;

/// A number as written, in digits or words: "1,204", "forty", "one hundred and
/// ninety", "a dozen".
#[derive(Debug, Clone, Copy)]
struct Number {
    value: u64,
    first: usize,
    last: usize,
}

/// What a number counts, judged by the words right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Counted {
    /// A count noun for people, and its index: "250 participants", "a
    /// 250-person cohort", "the 50 pilot participants".
    People(String, usize),
    /// Anything else that is named: "45 minutes", "10,000 VCF shards", "60 more".
    Things,
    /// Nothing named: "238 completed", "(221)", "3,400 from the main extract".
    Bare,
}

/// A count of people that later numbers in the paragraph may be parts of.
#[derive(Debug, Clone)]
struct Total {
    value: u64,
    noun: String,
    /// First token quoted for it.
    first: usize,
}

#[derive(Debug, Default)]
struct Paragraph {
    total: Option<Total>,
    /// Bare counts stated since the total, for "the rest".
    parts: Vec<u64>,
    /// Whether the latest count counted people: what "of them" refers to.
    last_people: bool,
    /// The sentence of the latest count of things.
    things_sentence: Option<usize>,
}

impl Paragraph {
    fn set_total(&mut self, total: Total) {
        self.total = Some(total);
        self.parts.clear();
        self.last_people = true;
    }
}

struct Derived<'p, 'a> {
    p: &'p Prose<'a>,
    /// Lower-cased words; "" for numbers and punctuation.
    words: Vec<String>,
    paragraph: Vec<usize>,
    /// Sentences that mention people: a count noun, or a word like "female".
    people_sentences: HashSet<usize>,
}

impl<'p, 'a> Derived<'p, 'a> {
    fn new(p: &'p Prose<'a>) -> Self {
        let words: Vec<String> = p
            .toks
            .iter()
            .map(|t| {
                if t.kind == Kind::Word {
                    super::words::norm(t.text)
                } else {
                    String::new()
                }
            })
            .collect();
        let mut paragraph = Vec::with_capacity(p.toks.len());
        let mut current = 0;
        let mut table_line = false;
        for (i, t) in p.toks.iter().enumerate() {
            if i == 0 || t.newlines_before > 0 {
                let was_table = table_line;
                table_line = t.kind == Kind::Punct && t.text == "|";
                if t.newlines_before >= 2 || was_table != table_line {
                    current += 1;
                }
            }
            paragraph.push(if table_line { NO_PARAGRAPH } else { current });
        }
        let people_sentences = words
            .iter()
            .enumerate()
            .filter(|(_, w)| is_in(PEOPLE_WORDS, w) || p.rules.count_nouns.contains(w.as_str()))
            .map(|(i, _)| p.sentence[i])
            .collect();
        Derived {
            p,
            words,
            paragraph,
            people_sentences,
        }
    }

    fn w(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }

    fn small(&self, v: u64) -> bool {
        self.p.rules.is_small(v)
    }

    fn touches_small(&self, r: &RangeInclusive<u64>) -> bool {
        touches(r, self.p.rules.min_count, self.p.rules.max_count)
    }

    fn span(&self, first: usize, last: usize) -> Range<usize> {
        let (a, b) = (first.min(last), first.max(last));
        self.p.toks[a].start..self.p.toks[b].end
    }

    fn run(&self) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut para = Paragraph::default();
        let mut current = NO_PARAGRAPH;
        let mut i = 0;
        while i < self.p.toks.len() {
            let id = self.paragraph[i];
            if id == NO_PARAGRAPH {
                i += 1;
                continue;
            }
            if id != current {
                para = Paragraph::default();
                current = id;
            }
            i = self.step(i, &mut para, &mut hits).max(i + 1);
        }
        hits
    }

    /// Reads what starts at token `i`; returns the token to go on from.
    fn step(&self, i: usize, para: &mut Paragraph, hits: &mut Vec<Hit>) -> usize {
        if let Some(end) = self.remainder(i, para, hits) {
            return end + 1;
        }
        if let Some(end) = self.all_but(i, para, hits) {
            return end + 1;
        }
        if let Some((share, first, last)) = self.share_at(i) {
            return self.share(share, first, last, para, hits) + 1;
        }
        let Some(num) = self.number_at(i) else {
            return i + 1;
        };
        let prefix = self.p.prefix(num.first);
        let before = prefix.before.map_or("", |b| self.w(b));
        if prefix.label.is_none() && self.p.rules.label_words.contains(before) {
            return num.last + 1; // "Table 3", "step 2", "age 18"
        }
        if prefix.bound == Bound::Lower {
            return num.last + 1; // "more than 20", "at least 5"
        }
        let sentence = self.p.sentence[num.first];
        let counted = if prefix.label.is_some() {
            Counted::People("participants".to_owned(), num.last) // "n = 1,240"
        } else {
            self.counted(num.last)
        };
        match counted {
            Counted::Things => {
                para.last_people = false;
                para.things_sentence = Some(sentence);
                num.last + 1
            }
            Counted::People(noun, end) => {
                let part_of = para
                    .total
                    .clone()
                    .filter(|t| t.noun == noun && num.value < t.value && self.verb_follows(end));
                match part_of {
                    // "We enrolled 250 participants; 238 participants completed"
                    Some(t) if !is_in(NOT_A_PART, before) => {
                        para.parts.push(num.value);
                        self.difference(&t, num.value, end, hits);
                    }
                    _ => para.set_total(Total {
                        value: num.value,
                        noun,
                        first: prefix.qual_start.unwrap_or(num.first).min(num.first),
                    }),
                }
                end + 1
            }
            Counted::Bare => {
                let things = para.things_sentence == Some(sentence);
                if !things {
                    self.exclusion(&num, &prefix, hits);
                }
                if let Some(end) = self.partitive(&num, para, hits) {
                    return end + 1;
                }
                let year = !self.p.toks[num.first].text.contains(',')
                    && (1900..=2100).contains(&num.value)
                    && self.p.toks[num.first].kind == Kind::Num;
                if things || year || is_in(NOT_A_PART, before) {
                    return num.last + 1;
                }
                if let Some(t) = para.total.clone()
                    && num.value <= t.value
                {
                    para.parts.push(num.value);
                    if self.verb_follows(num.last) {
                        self.difference(&t, num.value, num.last, hits);
                    }
                }
                num.last + 1
            }
        }
    }

    /// A number in digits or words starting at `i`.
    fn number_at(&self, i: usize) -> Option<Number> {
        let t = self.p.toks.get(i)?;
        match t.kind {
            Kind::Num => {
                let NumVal::Int(value) = t.num else {
                    return None;
                };
                self.p.free_standing(t).then_some(Number {
                    value,
                    first: i,
                    last: i,
                })
            }
            Kind::Word => {
                if i > 0 {
                    // The tail of a phrase that started earlier: "one hundred and five".
                    let prev = self.w(i - 1);
                    let tail = word_below_hundred(prev).is_some()
                        || is_multiplier(prev)
                        || (prev == "and" && i > 1 && is_multiplier(self.w(i - 2)));
                    if tail {
                        return None;
                    }
                }
                let window: Vec<&str> = (i..(i + 8).min(self.words.len()))
                    .map(|k| self.w(k))
                    .collect();
                let (value, used) = number_phrase(&window)?;
                // "no one", "the one that", "any one of them"
                let idiom = value == 1
                    && i > 0
                    && matches!(
                        self.w(i - 1),
                        "no" | "any"
                            | "every"
                            | "each"
                            | "some"
                            | "which"
                            | "the"
                            | "this"
                            | "that"
                    );
                (!idiom).then_some(Number {
                    value,
                    first: i,
                    last: i + used - 1,
                })
            }
            Kind::Punct => None,
        }
    }

    /// Whether the word at `k` reads as a verb: "had", "remained", "completed".
    fn is_verb(&self, k: usize) -> bool {
        let w = self.w(k);
        is_in(PART_VERBS, w) || is_in(EXCLUSION_VERBS, w) || (w.len() > 4 && w.ends_with("ed"))
    }

    /// A verb after the number at `last`, past a few adverbs: "238 completed",
    /// "1,028 also had", "488 were still wearing".
    fn verb_follows(&self, last: usize) -> bool {
        let mut k = self.p.fwd(last + 1);
        for _ in 0..2 {
            if matches!(
                self.w(k),
                "also"
                    | "still"
                    | "then"
                    | "later"
                    | "eventually"
                    | "ultimately"
                    | "only"
                    | "all"
                    | "already"
                    | "finally"
            ) {
                k = self.p.fwd(k + 1);
            }
        }
        self.is_verb(k)
    }

    fn counted(&self, last: usize) -> Counted {
        let mut k = self.p.fwd(last + 1);
        // "a 250-person cohort", "12-month survey"
        if self.p.punct(k) == Some("-") && self.p.toks.get(k).is_some_and(|t| !t.space_before) {
            return match self.p.is_noun(k + 1) {
                Some(noun) => Counted::People(plural(&noun), k + 1),
                None => Counted::Things,
            };
        }
        let mut modifiers = 0;
        loop {
            let named = if modifiers == 0 {
                Counted::Bare
            } else {
                Counted::Things
            };
            match self.p.toks.get(k) {
                Some(t) if t.kind == Kind::Word => {}
                _ => return named,
            }
            let w = self.w(k);
            if self.p.rules.count_nouns.contains(w) {
                // "5 quality control steps": the noun is a modifier.
                if is_in(UNITS, self.w(self.p.fwd(k + 1))) {
                    return Counted::Things;
                }
                return Counted::People(w.to_owned(), k);
            }
            if is_in(UNITS, w) || is_in(HYPOTHETICAL, w) || is_in(NOT_A_PART, w) {
                return Counted::Things;
            }
            let partitive = w == "of" || (w == "out" && self.w(k + 1) == "of");
            if partitive || is_in(BREAK, w) || is_in(AUXILIARIES, w) || self.is_verb(k) {
                return named;
            }
            modifiers += 1;
            if modifiers > 4 {
                return Counted::Things;
            }
            k = self.p.fwd(k + 1);
        }
    }

    /// "250 − 238 = 12 participants", when that is small.
    fn difference(&self, total: &Total, part: u64, last: usize, hits: &mut Vec<Hit>) {
        let left = total.value - part;
        if self.small(left) {
            hits.push(self.p.derived_hit(
                self.span(total.first, last),
                "a count that follows from a total and a part of it",
                explain::difference(total.value, &[part], &total.noun),
            ));
        }
    }

    /// "k of N", "k out of N", "k of them": returns the last token read.
    fn partitive(&self, num: &Number, para: &mut Paragraph, hits: &mut Vec<Hit>) -> Option<usize> {
        let mut k = self.p.fwd(num.last + 1);
        if self.w(k) == "out" && self.w(k + 1) == "of" {
            k += 1;
        }
        if self.w(k) != "of" {
            return None;
        }
        let mut j = self.p.fwd(k + 1);
        if matches!(self.w(j), "them" | "these" | "those" | "whom") {
            if para.last_people
                && let Some(t) = para.total.clone()
                && num.value <= t.value
            {
                para.parts.push(num.value);
                self.difference(&t, num.value, j, hits);
            }
            return Some(j);
        }
        if is_in(DETERMINERS, self.w(j)) {
            j = self.p.fwd(j + 1);
        }
        let whole = self.number_at(j)?;
        if whole.value < num.value {
            return Some(whole.last);
        }
        let (noun, end) = match self.counted(whole.last) {
            Counted::People(noun, end) => (noun, end),
            Counted::Bare if self.people_sentences.contains(&self.p.sentence[j]) => {
                ("participants".to_owned(), whole.last)
            }
            _ => {
                para.last_people = false;
                return Some(whole.last);
            }
        };
        let total = Total {
            value: whole.value,
            noun,
            first: num.first,
        };
        // "3 of 40 were female": the part itself is a small count of people.
        let one_anecdote = num.value == 1 && self.p.toks[num.first].kind == Kind::Word;
        if self.small(num.value) && !one_anecdote {
            hits.push(self.p.derived_hit(
                self.span(num.first, end),
                "a count of people out of a stated total",
                format!(
                    "{} of {} {}",
                    explain::count(num.value),
                    explain::count(whole.value),
                    total.noun
                ),
            ));
        }
        self.difference(&total, num.value, end, hits);
        para.set_total(total);
        para.parts.push(num.value);
        Some(end)
    }

    /// "the rest", "the remainder", "the others", "everyone else": what the total
    /// leaves once the parts stated are taken away.
    fn remainder(&self, i: usize, para: &Paragraph, hits: &mut Vec<Hit>) -> Option<usize> {
        let end = match self.w(i) {
            "the" if is_in(REMAINDER, self.w(i + 1)) => i + 1,
            "everyone" | "everybody" if self.w(i + 1) == "else" => i + 1,
            _ => return None,
        };
        // "the remaining 12 participants" is a count written out.
        if self.number_at(end + 1).is_some() {
            return None;
        }
        let total = para.total.as_ref()?;
        let taken: u64 = para.parts.iter().sum();
        if !para.parts.is_empty() && taken <= total.value && self.small(total.value - taken) {
            hits.push(self.p.derived_hit(
                self.span(total.first, end),
                "a count that follows from a total and its parts",
                format!(
                    "{} (“{}”)",
                    explain::difference(total.value, &para.parts, &total.noun),
                    self.words[i + 1..=end].join(" ")
                ),
            ));
        }
        Some(end)
    }

    /// "all but 3 of the cases", "everyone except 2".
    fn all_but(&self, i: usize, para: &Paragraph, hits: &mut Vec<Hit>) -> Option<usize> {
        if !matches!(self.w(i), "all" | "everyone" | "everybody")
            || !matches!(self.w(i + 1), "but" | "except" | "bar" | "save")
        {
            return None;
        }
        let num = self.number_at(self.p.fwd(i + 2))?;
        let noun = match self.counted(num.last) {
            Counted::People(noun, _) => Some(noun),
            Counted::Things => None,
            Counted::Bare => {
                let of = self.p.fwd(num.last + 1);
                let mut j = self.p.fwd(of + 1);
                if self.w(of) != "of" {
                    (self.w(i) != "all" || para.last_people).then(|| "people".to_owned())
                } else if matches!(self.w(j), "them" | "these" | "those") {
                    para.last_people.then(|| {
                        para.total
                            .as_ref()
                            .map_or("people".to_owned(), |t| t.noun.clone())
                    })
                } else {
                    if is_in(DETERMINERS, self.w(j)) {
                        j = self.p.fwd(j + 1);
                    }
                    if let Some(whole) = self.number_at(j) {
                        j = whole.last + 1;
                    }
                    match self.counted(j.saturating_sub(1)) {
                        Counted::People(noun, _) => Some(noun),
                        _ => self.p.is_noun(j),
                    }
                }
            }
        };
        if let Some(noun) = noun
            && self.small(num.value)
        {
            hits.push(self.p.derived_hit(
                self.span(i, num.last),
                "a count of the people a group leaves out",
                format!(
                    "“{} {} {}” leaves out {} {noun}",
                    self.w(i),
                    self.w(i + 1),
                    explain::count(num.value),
                    explain::count(num.value)
                ),
            ));
        }
        Some(num.last)
    }

    /// "19 were excluded", "2 dropped out", "we lost 7 to follow-up".
    fn exclusion(&self, num: &Number, prefix: &Prefix, hits: &mut Vec<Hit>) {
        if !reveals(self.p.rules, prefix.bound, NumVal::Int(num.value)) {
            return; // "≤20 were excluded" is the sanctioned way to say it
        }
        let mut k = self.p.fwd(num.last + 1);
        for _ in 0..3 {
            if is_in(AUXILIARIES, self.w(k)) {
                k = self.p.fwd(k + 1);
            }
        }
        let verb_after = is_in(EXCLUSION_VERBS, self.w(k)).then_some(k);
        let verb_before = prefix.before.filter(|&b| {
            let b = match self.w(b) {
                // "we lost a further 4", "excluded another 3"
                "further" | "another" | "additional" => b.saturating_sub(1),
                _ => b,
            };
            let b = if self.w(b) == "a" {
                b.saturating_sub(1)
            } else {
                b
            };
            let next = self.p.fwd(num.last + 1);
            let ends = match self.p.toks.get(next) {
                None => true,
                Some(t) => t.kind != Kind::Word || is_in(BREAK, self.w(next)),
            };
            is_in(EXCLUSION_VERBS, self.w(b)) && ends
        });
        let (first, last) = match (verb_after, verb_before) {
            (Some(v), _) => (num.first, v),
            (None, Some(v)) => (v, num.last),
            (None, None) => return,
        };
        hits.push(self.p.hit(
            self.span(prefix.qual_start.unwrap_or(first).min(first), last),
            "a count of people excluded, withdrawn or lost".to_owned(),
        ));
    }

    /// A share starting at `i`: "2.4%", "half", "a third", "two thirds", "3 in 4",
    /// "4 per 1,000". Returns it with its first and last token.
    fn share_at(&self, i: usize) -> Option<(Share, usize, usize)> {
        let t = self.p.toks.get(i)?;
        if t.kind == Kind::Num {
            let next = self.p.toks.get(i + 1);
            if next.is_some_and(|n| n.text == "%" && n.start == t.end) {
                let before = self.p.text[..t.start].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || ".,-+±".contains(c)) {
                    return None;
                }
                let (whole, frac) = t.text.split_once('.').unwrap_or((t.text, ""));
                if !whole.bytes().all(|b| b.is_ascii_digit())
                    || !frac.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let scaled = format!("{whole}{frac}").parse().ok()?;
                let decimals = u32::try_from(frac.len()).ok().filter(|d| *d <= 4)?;
                return Some((Share::Percent { scaled, decimals }, i, i + 1));
            }
            // "3 in 4", "4 per 1,000"
            let NumVal::Int(num) = t.num else {
                return None;
            };
            if !self.p.free_standing(t) || !matches!(self.w(i + 1), "in" | "per") {
                return None;
            }
            let den_tok = self.p.toks.get(i + 2)?;
            let NumVal::Int(den) = den_tok.num else {
                return None;
            };
            let year = !den_tok.text.contains(',') && (1900..=2100).contains(&den);
            if den_tok.kind != Kind::Num
                || den <= num
                || year
                || self.counted(i + 2) != Counted::Bare
            {
                return None;
            }
            return Some((Share::Ratio { num, den }, i, i + 2));
        }
        let w = self.w(i);
        if w == "half" {
            let first = if i > 0 && matches!(self.w(i - 1), "a" | "one") {
                i - 1
            } else {
                i
            };
            return Some((Share::Ratio { num: 1, den: 2 }, first, i));
        }
        let den = match w {
            "third" | "thirds" => 3,
            "quarter" | "quarters" => 4,
            "fifth" | "fifths" => 5,
            "tenth" | "tenths" => 10,
            _ => return None,
        };
        let prev = i.checked_sub(1)?;
        let num = match self.w(prev) {
            "a" | "one" => 1,
            other => word_below_hundred(other).filter(|n| (2..den).contains(n))?,
        };
        Some((Share::Ratio { num, den }, prev, i))
    }

    /// A share of a group: "35% of the 40 carriers", "half of them", "80%
    /// completed" (of the paragraph's total). Returns the last token read.
    fn share(
        &self,
        share: Share,
        first: usize,
        last: usize,
        para: &mut Paragraph,
        hits: &mut Vec<Hit>,
    ) -> usize {
        // "12 (1.4%)", "5/240 (2.1%)": the count's own percentage.
        if first >= 2
            && self.p.punct(first - 1) == Some("(")
            && self.p.toks[first - 2].kind == Kind::Num
        {
            return last;
        }
        let Some((total, end, stated)) = self.share_target(last, para) else {
            return last;
        };
        if stated {
            para.set_total(total.clone());
        }
        let Some(part) = share.candidates(total.value) else {
            return end;
        };
        let rest = complement(total.value, &part);
        let rest_small = !self.touches_small(&part) && self.touches_small(&rest);
        if self.touches_small(&part) || rest_small {
            let mut written = self.p.text[self.span(first, last)]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if self.p.toks[first].kind == Kind::Word {
                written = written.to_lowercase(); // "Half of the 18" reads "half of 18"
            }
            hits.push(self.p.derived_hit(
                self.span(first.min(total.first), end.max(last)),
                "a share of a stated group that gives away a small count",
                explain::share(
                    &written,
                    total.value,
                    &part,
                    rest_small.then_some(&rest),
                    &total.noun,
                ),
            ));
        }
        end
    }

    /// The group a share is of, the last token read, and whether the group was
    /// stated in the phrase itself (rather than earlier in the paragraph).
    fn share_target(&self, last: usize, para: &Paragraph) -> Option<(Total, usize, bool)> {
        let k = self.p.fwd(last + 1);
        let earlier = |end: usize| para.total.clone().map(|t| (t, end, false));
        match self.w(k) {
            prep @ ("of" | "among" | "amongst" | "in") => {
                let mut j = self.p.fwd(k + 1);
                if prep == "of" && matches!(self.w(j), "them" | "these" | "those" | "whom") {
                    return para.last_people.then(|| earlier(j)).flatten();
                }
                if is_in(DETERMINERS, self.w(j)) {
                    j = self.p.fwd(j + 1);
                }
                if let Some(whole) = self.number_at(j) {
                    return match self.counted(whole.last) {
                        Counted::People(noun, end) => Some((
                            Total {
                                value: whole.value,
                                noun,
                                first: whole.first,
                            },
                            end,
                            true,
                        )),
                        Counted::Bare
                            if prep == "of"
                                && self.people_sentences.contains(&self.p.sentence[j]) =>
                        {
                            Some((
                                Total {
                                    value: whole.value,
                                    noun: "participants".to_owned(),
                                    first: whole.first,
                                },
                                whole.last,
                                true,
                            ))
                        }
                        _ => None,
                    };
                }
                let names_group = is_in(GROUP_WORDS, self.w(j)) || self.p.is_noun(j).is_some();
                if prep != "of" || !names_group {
                    return None;
                }
                // "15% of our cohort of 52,000 adults"
                let of = self.p.fwd(j + 1);
                if self.w(of) == "of"
                    && let Some(whole) = self.number_at(self.p.fwd(of + 1))
                    && let Counted::People(noun, end) = self.counted(whole.last)
                {
                    return Some((
                        Total {
                            value: whole.value,
                            noun,
                            first: whole.first,
                        },
                        end,
                        true,
                    ));
                }
                earlier(j)
            }
            // "2.4% reported", "80% completed", "48% women", "3 in 4 reported"
            _ if self.is_verb(k)
                || is_in(AUXILIARIES, self.w(k))
                || self.p.is_noun(k).is_some() =>
            {
                earlier(last)
            }
            _ => None,
        }
    }
}

/// "person" → "people", "patient" → "patients": a compound names one of the
/// group ("a 250-person cohort"), the arithmetic counts several.
fn plural(noun: &str) -> String {
    match noun {
        "person" => "people".to_owned(),
        "child" => "children".to_owned(),
        "man" => "men".to_owned(),
        "woman" => "women".to_owned(),
        n if n.ends_with('s') => n.to_owned(),
        n => format!("{n}s"),
    }
}
