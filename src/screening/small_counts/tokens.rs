//! Words, numbers and punctuation, with byte offsets into the scanned text.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Word,
    Num,
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumVal {
    Int(u64),
    Range(u64, u64),
    Frac(u64, u64),
    /// Decimals, dates, times, versions, identifiers, "3rd", "10GB".
    Other,
}

#[derive(Debug, Clone)]
pub(super) struct Tok<'a> {
    pub(super) kind: Kind,
    pub(super) text: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) num: NumVal,
    /// Line breaks in the whitespace before this token.
    pub(super) newlines_before: usize,
    pub(super) space_before: bool,
}

pub(super) fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|(_, c)| *c);
    let pos = |k: usize| chars.get(k).map_or(text.len(), |(i, _)| *i);
    let mut toks = Vec::new();
    let mut k = 0;
    let mut newlines = 0;
    let mut space = false;
    while let Some(c) = at(k) {
        if c.is_whitespace() {
            if c == '\n' {
                newlines += 1;
            }
            space = true;
            k += 1;
            continue;
        }
        let start = k;
        let mut num = NumVal::Other;
        let kind = if c.is_alphabetic() {
            k += 1;
            while let Some(c) = at(k) {
                let next = at(k + 1);
                let joins = match c {
                    '-' => next.is_some_and(char::is_alphanumeric),
                    '\'' | '’' => next.is_some_and(char::is_alphabetic),
                    _ => c.is_alphanumeric() || c == '_',
                };
                if !joins {
                    break;
                }
                k += 1;
            }
            Kind::Word
        } else if c.is_ascii_digit() {
            k += 1;
            loop {
                match (at(k), at(k + 1)) {
                    (Some(d), _) if d.is_ascii_digit() => k += 1,
                    (Some('.' | ',' | ':' | '/' | '-' | '–'), Some(d)) if d.is_ascii_digit() => {
                        k += 2
                    }
                    _ => break,
                }
            }
            let mut suffix = false;
            while at(k).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                suffix = true;
                k += 1;
            }
            num = if suffix {
                NumVal::Other
            } else {
                classify(&text[pos(start)..pos(k)])
            };
            Kind::Num
        } else {
            k += 1;
            Kind::Punct
        };
        toks.push(Tok {
            kind,
            text: &text[pos(start)..pos(k)],
            start: pos(start),
            end: pos(k),
            num,
            newlines_before: newlines,
            space_before: space,
        });
        newlines = 0;
        space = false;
    }
    toks
}

/// Classifies a run of digits and separators.
pub(super) fn classify(s: &str) -> NumVal {
    let seps: Vec<char> = s.chars().filter(|c| !c.is_ascii_digit()).collect();
    let parts: Vec<&str> = s.split(|c: char| !c.is_ascii_digit()).collect();
    let int = |p: &str| {
        // "007" and the like are codes, not counts.
        if p.len() > 1 && p.starts_with('0') {
            None
        } else {
            p.parse::<u64>().ok()
        }
    };
    if seps.is_empty() {
        return int(s).map_or(NumVal::Other, NumVal::Int);
    }
    if seps.iter().all(|c| *c == ',') {
        let grouped = parts.first().is_some_and(|p| (1..=3).contains(&p.len()))
            && parts.iter().skip(1).all(|p| p.len() == 3);
        return if grouped {
            int(&parts.concat()).map_or(NumVal::Other, NumVal::Int)
        } else {
            NumVal::Other
        };
    }
    match (seps.as_slice(), parts.as_slice()) {
        (['-' | '–'], [a, b]) => match (int(a), int(b)) {
            (Some(a), Some(b)) => NumVal::Range(a, b),
            _ => NumVal::Other,
        },
        (['/'], [a, b]) => match (int(a), int(b)) {
            (Some(a), Some(b)) => NumVal::Frac(a, b),
            _ => NumVal::Other,
        },
        _ => NumVal::Other,
    }
}
