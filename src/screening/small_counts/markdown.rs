//! What of a post is prose: code, URLs and e-mail addresses are blanked out,
//! keeping byte offsets, and fenced blocks are kept aside for pasted output.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A fenced code block.
#[derive(Debug, Clone)]
pub(crate) struct CodeBlock {
    /// The first word of the info string, lower-cased ("" when none).
    pub lang: String,
    /// Byte range of the lines between the fences.
    pub content: Range<usize>,
}

pub(crate) struct Scanned {
    /// The text with code, URLs and e-mail addresses blanked to spaces (newlines
    /// kept), so byte offsets still line up with the original.
    pub masked: String,
    pub blocks: Vec<CodeBlock>,
}

pub(super) static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:https?|ftp)://[^\s<>]+|\bwww\.[^\s<>]+|\]\([^)\s]*\)|[\w.+-]+@[\w-]+\.[\w.-]+",
    )
    .expect("constant regex")
});

/// Blanks fenced code blocks and inline code spans, returning the masked text and
/// the fenced blocks.
pub(crate) fn mask_code(text: &str) -> (String, Vec<CodeBlock>) {
    let mut masked_ranges: Vec<Range<usize>> = Vec::new();
    let mut blocks = Vec::new();

    // Fenced code blocks: ``` or ~~~ (three or more), indented at most three spaces.
    let mut open: Option<(char, usize, String, usize, usize)> = None; // char, len, lang, fence start, content start
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = line.trim_start_matches(' ');
        let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~');
        let fence_len = fence_char.map_or(0, |c| rest.chars().take_while(|x| *x == c).count());
        match &open {
            None => {
                if let Some(c) = fence_char
                    && indent <= 3
                    && fence_len >= 3
                {
                    let info = rest[fence_len..].trim();
                    if c == '`' && info.contains('`') {
                        continue; // an inline code span, not a fence
                    }
                    let lang = info
                        .split(|ch: char| ch.is_whitespace() || ch == '{' || ch == ',')
                        .next()
                        .unwrap_or_default()
                        .to_lowercase();
                    open = Some((c, fence_len, lang, line_start, offset));
                }
            }
            Some((c, len, lang, fence_start, content_start)) => {
                let closes = fence_char == Some(*c)
                    && indent <= 3
                    && fence_len >= *len
                    && rest[fence_len..].trim().is_empty();
                if closes {
                    blocks.push(CodeBlock {
                        lang: lang.clone(),
                        content: *content_start..line_start,
                    });
                    masked_ranges.push(*fence_start..offset);
                    open = None;
                }
            }
        }
    }
    if let Some((_, _, lang, fence_start, content_start)) = open {
        // An unclosed fence runs to the end of the document, as in CommonMark.
        blocks.push(CodeBlock {
            lang,
            content: content_start..text.len(),
        });
        masked_ranges.push(fence_start..text.len());
    }

    let mut masked = mask(text, &masked_ranges);

    // Inline code: a run of N backticks up to the next run of exactly N. Runs are
    // collected once and each is linked to the next run of the same length, so
    // unmatched runs cost nothing extra.
    let bytes = masked.as_bytes();
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, length)
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let len = bytes[i..].iter().take_while(|b| **b == b'`').count();
            runs.push((i, len));
            i += len;
        } else {
            i += 1;
        }
    }
    let mut next_same = vec![None; runs.len()];
    let mut last_seen: HashMap<usize, usize> = HashMap::new();
    for (k, (_, len)) in runs.iter().enumerate().rev() {
        next_same[k] = last_seen.insert(*len, k);
    }
    let mut spans = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        match next_same[k] {
            Some(j) => {
                spans.push(runs[k].0..runs[j].0 + runs[j].1);
                k = j + 1;
            }
            None => k += 1,
        }
    }
    masked = mask(&masked, &spans);

    (masked, blocks)
}

pub(crate) fn scan_markdown(text: &str) -> Scanned {
    let (mut masked, blocks) = mask_code(text);
    let urls: Vec<Range<usize>> = URL.find_iter(&masked).map(|m| m.range()).collect();
    masked = mask(&masked, &urls);

    Scanned { masked, blocks }
}

/// Replaces every character inside `ranges` except newlines with spaces, one space
/// per byte, so offsets are preserved and the result stays valid UTF-8.
pub(super) fn mask(text: &str, ranges: &[Range<usize>]) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut next = sorted.iter().peekable();
    let mut current: Option<&Range<usize>> = None;
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        // Advance through the sorted ranges in step with the text: linear time.
        while current.is_none_or(|r| r.end <= i) {
            match next.peek() {
                Some(r) if r.start <= i => current = next.next(),
                _ => break,
            }
        }
        let inside = current.is_some_and(|r| r.contains(&i));
        if inside && c != '\n' {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Lines with their byte offsets, without the line break.
pub(super) fn lines_of(text: &str) -> Vec<(usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|l| {
            let start = offset;
            offset += l.len();
            (start, l.trim_end_matches(['\n', '\r']))
        })
        .collect()
}
