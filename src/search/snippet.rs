//! Snippet rendering shared by both engines.
//!
//! Document text is plain text written by users, so it may contain anything
//! (`<img onerror=…>`, `<script>`, entities). The only markup a snippet may
//! carry is the `<mark>` / `</mark>` pair we add around matches; everything
//! else is escaped. Marks are always balanced and never empty.

use std::ops::Range;

pub const MARK_OPEN: &str = "<mark>";
pub const MARK_CLOSE: &str = "</mark>";
/// Shown where a snippet cuts the text.
pub const ELLIPSIS: &str = "…";

/// Escapes text for use inside an HTML element (and, defensively, inside a
/// quoted attribute): `& < > " ' /` become entities.
pub fn escape(text: &str) -> String {
    html_escape::encode_safe(text).into_owned()
}

/// Sanitizes a string in which `<mark>` and `</mark>` delimit highlights:
/// those survive (balanced), everything else — including any other tag — is
/// escaped as text.
pub fn sanitize_marked(input: &str) -> String {
    render_marked(input, MARK_OPEN, MARK_CLOSE)
}

/// Renders raw text in which `pre` / `post` delimit highlights (e.g. an engine's
/// highlight tags) into sanitized HTML with `<mark>` only. Unbalanced markers
/// are dropped; an unclosed highlight is closed at the end.
pub fn render_marked(input: &str, pre: &str, post: &str) -> String {
    if pre.is_empty() || post.is_empty() {
        return escape(input);
    }
    let mut runs: Vec<(&str, bool)> = Vec::new();
    let mut open = false;
    let mut rest = input;
    loop {
        let next_pre = rest.find(pre);
        let next_post = rest.find(post);
        // Earliest marker wins; on a tie (one marker a prefix of the other)
        // prefer the longer one so `</mark>` is never read as text + `<mark>`.
        let next = match (next_pre, next_post) {
            (None, None) => None,
            (Some(a), None) => Some((a, true)),
            (None, Some(b)) => Some((b, false)),
            (Some(a), Some(b)) if a < b => Some((a, true)),
            (Some(a), Some(b)) if b < a => Some((b, false)),
            (Some(a), Some(_)) => Some((a, pre.len() >= post.len())),
        };
        match next {
            None => {
                runs.push((rest, open));
                break;
            }
            Some((at, is_pre)) => {
                runs.push((&rest[..at], open));
                let marker_len = if is_pre { pre.len() } else { post.len() };
                open = is_pre;
                rest = &rest[at + marker_len..];
            }
        }
    }
    emit_runs(runs)
}

/// Renders `text` with the given byte ranges highlighted. Ranges may overlap
/// or be unsorted; ranges outside the text or off char boundaries are ignored.
pub fn render_ranges(text: &str, ranges: &[Range<usize>]) -> String {
    let ranges = normalize_ranges(text, ranges);
    let mut runs: Vec<(&str, bool)> = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut pos = 0;
    for range in ranges {
        runs.push((&text[pos..range.start], false));
        runs.push((&text[range.clone()], true));
        pos = range.end;
    }
    runs.push((&text[pos..], false));
    emit_runs(runs)
}

/// Picks the window of at most `max_chars` characters of `text` holding the
/// most highlights and renders it, with an ellipsis where the text is cut.
/// Without highlights it shows the beginning of the text.
pub fn build_snippet(text: &str, highlights: &[Range<usize>], max_chars: usize) -> String {
    let highlights = normalize_ranges(text, highlights);
    // Byte offset of every char, plus the end: char index <-> byte offset.
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect();
    let total_chars = offsets.len() - 1;
    let max_chars = max_chars.max(1);
    if total_chars <= max_chars {
        return render_ranges(text, &highlights);
    }
    let char_of = |byte: usize| offsets.binary_search(&byte).unwrap_or_else(|i| i);

    let (start_char, end_char) = if highlights.is_empty() {
        (0, snap_end(text, &offsets, 0, max_chars, 0))
    } else {
        // Two pointers: the first run of highlights fitting in the budget
        // with the most highlights.
        let spans: Vec<(usize, usize)> = highlights
            .iter()
            .map(|r| (char_of(r.start), char_of(r.end)))
            .collect();
        let (mut best_i, mut best_count) = (0, 0);
        let mut j = 0;
        for i in 0..spans.len() {
            if j < i {
                j = i;
            }
            while j < spans.len() && spans[j].1.saturating_sub(spans[i].0) <= max_chars {
                j += 1;
            }
            let count = j - i;
            if count > best_count {
                best_count = count;
                best_i = i;
            }
        }
        let first = spans[best_i];
        let last_end = if best_count > 0 {
            spans[best_i + best_count - 1].1
        } else {
            first.1
        };
        // Give some context before the first highlight, starting on a word.
        let slack = max_chars.saturating_sub(last_end.saturating_sub(first.0));
        let lead = (slack / 2).min(40);
        let mut start = first.0.saturating_sub(lead);
        if start > 0 {
            // Move forward to the start of a word, but not past the highlight.
            let mut c = start;
            while c < first.0 {
                if text[offsets[c - 1]..offsets[c]]
                    .chars()
                    .all(char::is_whitespace)
                {
                    break;
                }
                c += 1;
            }
            start = c;
        }
        let end = snap_end(text, &offsets, start, max_chars, last_end);
        (start, end)
    };

    let start_byte = offsets[start_char];
    let end_byte = offsets[end_char];
    let window: Vec<Range<usize>> = highlights
        .iter()
        .filter(|r| r.start >= start_byte && r.end <= end_byte)
        .map(|r| r.start - start_byte..r.end - start_byte)
        .collect();
    let mut out = String::new();
    if start_char > 0 {
        out.push_str(ELLIPSIS);
    }
    out.push_str(&render_ranges(&text[start_byte..end_byte], &window));
    if end_char < total_chars {
        out.push_str(ELLIPSIS);
    }
    out
}

/// End char index of a window starting at `start`, at most `max_chars` long,
/// cut at whitespace when possible but never before `min_end`.
fn snap_end(
    text: &str,
    offsets: &[usize],
    start: usize,
    max_chars: usize,
    min_end: usize,
) -> usize {
    let total_chars = offsets.len() - 1;
    let hard_end = (start + max_chars).min(total_chars);
    if hard_end == total_chars {
        return hard_end;
    }
    let mut c = hard_end;
    while c > min_end.max(start + 1) {
        if text[offsets[c]..offsets[c + 1]]
            .chars()
            .all(char::is_whitespace)
        {
            return c;
        }
        c -= 1;
    }
    hard_end
}

/// Sorts, clips and merges ranges; drops empty ones and ones off char boundaries.
fn normalize_ranges(text: &str, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted: Vec<Range<usize>> = ranges
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        })
        .cloned()
        .collect();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for range in sorted {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// Writes (text, highlighted) runs: adjacent runs with the same state are
/// joined and empty ones skipped, so marks are balanced and never empty.
fn emit_runs(runs: Vec<(&str, bool)>) -> String {
    let mut out = String::new();
    let mut open = false;
    for (text, marked) in runs {
        if text.is_empty() {
            continue;
        }
        if marked != open {
            out.push_str(if marked { MARK_OPEN } else { MARK_CLOSE });
            open = marked;
        }
        html_escape::encode_safe_to_string(text, &mut out);
    }
    if open {
        out.push_str(MARK_CLOSE);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_but_marks() {
        let out = sanitize_marked(
            "a <mark>genomics</mark> <img src=x onerror=alert(1)> <script>alert(2)</script> &amp;",
        );
        assert_eq!(
            out,
            "a <mark>genomics</mark> &lt;img src=x onerror=alert(1)&gt; \
             &lt;script&gt;alert(2)&lt;&#x2F;script&gt; &amp;amp;"
        );
    }

    #[test]
    fn balances_marks() {
        assert_eq!(sanitize_marked("</mark>a<mark>b"), "a<mark>b</mark>");
        assert_eq!(
            sanitize_marked("<mark><mark>a</mark></mark>"),
            "<mark>a</mark>"
        );
        assert_eq!(sanitize_marked("<mark></mark>x"), "x");
        assert_eq!(
            sanitize_marked("<MARK>x</MARK>"),
            "&lt;MARK&gt;x&lt;&#x2F;MARK&gt;"
        );
        assert_eq!(
            sanitize_marked("<mark onclick=x>y</mark>"),
            "&lt;mark onclick=x&gt;y"
        );
    }

    #[test]
    fn custom_markers() {
        assert_eq!(
            render_marked("\u{e000}a<b>\u{e001} c", "\u{e000}", "\u{e001}"),
            "<mark>a&lt;b&gt;</mark> c"
        );
    }

    #[test]
    fn ranges_render() {
        let text = "x <b> genomics";
        assert_eq!(
            render_ranges(text, &[6..14, 0..1, 7..9, 100..200]),
            "<mark>x</mark> &lt;b&gt; <mark>genomics</mark>"
        );
        // Off a char boundary: ignored rather than panicking.
        assert_eq!(render_ranges("é", std::slice::from_ref(&(1..2))), "é");
    }

    #[test]
    fn snippet_windows_on_matches() {
        let mut text = "lorem ipsum ".repeat(40);
        let at = text.len();
        text.push_str("the genomics pipeline");
        text.push_str(&" dolor sit".repeat(40));
        let snippet = build_snippet(&text, std::slice::from_ref(&(at + 4..at + 12)), 80);
        assert!(snippet.starts_with(ELLIPSIS), "{snippet}");
        assert!(snippet.ends_with(ELLIPSIS), "{snippet}");
        assert!(snippet.contains("<mark>genomics</mark>"), "{snippet}");
        assert!(snippet.chars().count() <= 80 + 2 + "<mark></mark>".len());
    }

    #[test]
    fn snippet_without_matches_shows_start() {
        let text = "word ".repeat(100);
        let snippet = build_snippet(&text, &[], 50);
        assert!(snippet.starts_with("word"));
        assert!(snippet.ends_with(ELLIPSIS));
        assert_eq!(build_snippet("short <b>", &[], 50), "short &lt;b&gt;");
    }

    #[test]
    fn snippet_multibyte() {
        let text = "é".repeat(300) + " genomik " + &"ü".repeat(300);
        let start = "é".repeat(300).len() + 1;
        let snippet = build_snippet(&text, std::slice::from_ref(&(start..start + 7)), 40);
        assert!(snippet.contains("<mark>genomik</mark>"), "{snippet}");
    }
}
