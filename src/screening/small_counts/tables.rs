//! Counts in tables: markdown pipe tables and query output pasted in code blocks.

use std::ops::Range;

use super::bounds::*;
use super::markdown::{CodeBlock, lines_of};
use super::table_totals::{self, Row};
use super::tokens::*;
use super::words::*;
use super::{Hit, HitKind, excerpt};
use crate::screening::rules::SmallCountRules;

pub(super) struct Tables<'a> {
    pub(super) rules: &'a SmallCountRules,
    /// The original text, for excerpts.
    pub(super) text: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Count,
    Stat,
    Neutral,
}

/// Splits a table row into trimmed cells (text and absolute byte range).
/// A table cell: its trimmed text and byte range.
pub(super) type Cell = (String, Range<usize>);

pub(super) fn split_cells(offset: usize, line: &str) -> Vec<Cell> {
    let mut cells = Vec::new();
    let trimmed_start = line.len() - line.trim_start().len();
    let mut body = &line[trimmed_start..];
    let mut base = offset + trimmed_start;
    if let Some(rest) = body.strip_prefix('|') {
        body = rest;
        base += 1;
    }
    let body = body.trim_end();
    let body = match body.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => body,
    };
    let mut start = 0;
    let bytes = body.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            cells.push(start..i);
            start = i + 1;
        }
    }
    cells.push(start..body.len());
    cells
        .into_iter()
        .map(|r| {
            let raw = &body[r.clone()];
            let lead = raw.len() - raw.trim_start().len();
            let text = raw.trim();
            let s = base + r.start + lead;
            (text.to_owned(), s..s + text.len())
        })
        .collect()
}

pub(super) fn is_delimiter_row(line: &str, relaxed: bool) -> bool {
    let t = line.trim();
    let allowed =
        |c: char| matches!(c, '-' | '|' | ':' | ' ' | '\t') || (relaxed && matches!(c, '+' | '='));
    !t.is_empty()
        && t.chars().all(allowed)
        && t.chars().filter(|c| *c == '-').count() >= if relaxed { 3 } else { 1 }
        && (relaxed || t.contains('|') || t.starts_with('-'))
}

impl Tables<'_> {
    pub(super) fn role(&self, label: &str) -> Role {
        let words: Vec<String> = label
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let header = |w: &String| self.rules.header_words.contains(w);
        if words.iter().any(|w| is_in(STRONG_HEADER, w) && header(w)) {
            Role::Count
        } else if words.iter().any(|w| is_in(STAT_WORDS, w)) {
            Role::Stat
        } else if words.iter().any(header) {
            Role::Count
        } else {
            Role::Neutral
        }
    }

    /// The count a cell states, if it starts with one: "12", "9 (3.6)", "<20", "5-10".
    pub(super) fn cell_count(&self, cell: &str) -> Option<(Bound, NumVal)> {
        let toks = tokenize(cell);
        let mut ops = String::new();
        let mut k = 0;
        while let Some(t) = toks.get(k) {
            if t.kind == Kind::Punct && (OPS.contains(t.text) || matches!(t.text, "*" | "_")) {
                if OPS.contains(t.text) {
                    ops.push_str(t.text);
                }
                k += 1;
            } else {
                break;
            }
        }
        let t = toks.get(k).filter(|t| t.kind == Kind::Num)?;
        let after = cell[t.end..].chars().next();
        if after.is_some_and(|c| "%+°".contains(c)) {
            return None;
        }
        if toks
            .get(k + 1)
            .is_some_and(|n| n.kind == Kind::Word && is_in(UNITS, &norm(n.text)))
        {
            return None;
        }
        Some((bound_of_ops(&ops), t.num))
    }

    pub(super) fn row_hit(&self, row: Range<usize>, reason: String) -> Hit {
        Hit {
            kind: HitKind::SmallCount,
            excerpt: excerpt(self.text, row.clone()),
            span: row,
            reason,
            derivation: None,
        }
    }

    /// Pipe tables. `relaxed` also accepts psql's `----+----` delimiter rows.
    pub(super) fn markdown_tables(&self, lines: &[(usize, &str)], relaxed: bool) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut li = 0;
        while li + 1 < lines.len() {
            let (off, header) = lines[li];
            if !header.contains('|') || !is_delimiter_row(lines[li + 1].1, relaxed) {
                li += 1;
                continue;
            }
            let headers = split_cells(off, header);
            let roles: Vec<Role> = headers.iter().map(|(h, _)| self.role(h)).collect();
            let mut ri = li + 2;
            let mut body = Vec::new();
            while let Some(&(roff, row)) = lines.get(ri) {
                if !row.contains('|') || row.trim().is_empty() {
                    break;
                }
                let cells = split_cells(roff, row);
                body.push(Row {
                    span: roff..roff + row.trim_end().len(),
                    cells: cells.clone(),
                });
                let row_role = cells.first().map_or(Role::Neutral, |(c, _)| self.role(c));
                for (ci, (cell, _)) in cells.iter().enumerate() {
                    let col_role = roles.get(ci).copied().unwrap_or(Role::Neutral);
                    let counts = match (ci, row_role) {
                        (0, _) => col_role == Role::Count,
                        (_, Role::Count) => col_role != Role::Stat,
                        (_, Role::Stat) => false,
                        (_, Role::Neutral) => col_role == Role::Count,
                    };
                    if !counts {
                        continue;
                    }
                    if let Some((bound, value)) = self.cell_count(cell)
                        && reveals(self.rules, bound, value)
                    {
                        let reason = if ci > 0 && row_role == Role::Count {
                            format!("a count in the “{}” row of a table", cells[0].0)
                        } else {
                            let h = headers.get(ci).map_or("", |(h, _)| h.as_str());
                            format!("a count in the “{h}” column of a table")
                        };
                        let trimmed = row.trim_end();
                        hits.push(self.row_hit(roff..roff + trimmed.len(), reason));
                        break; // one finding per row is enough
                    }
                }
                ri += 1;
            }
            hits.extend(table_totals::derive(self, &headers, &body));
            li = ri;
        }
        hits
    }

    /// Query output pasted in a code block: pipe tables (psql, to_markdown),
    /// whitespace-aligned tables (pandas, R tibbles) and pandas value_counts().
    pub(super) fn code_output(&self, block: &CodeBlock) -> Vec<Hit> {
        let content = self.text.get(block.content.clone()).unwrap_or_default();
        let output = is_in(OUTPUT_LANGS, &block.lang);
        // In code written in a language, only reprex-style "#>" lines are output.
        let lines: Vec<(usize, String)> = lines_of(content)
            .into_iter()
            .filter_map(|(o, l)| {
                let o = o + block.content.start;
                if output {
                    return Some((o, l.to_owned()));
                }
                let lead = l.len() - l.trim_start().len();
                l[lead..]
                    .starts_with("#>")
                    .then(|| (o, format!("{}  {}", &l[..lead], &l[lead + 2..])))
            })
            .collect();
        let borrowed: Vec<(usize, &str)> = lines.iter().map(|(o, l)| (*o, l.as_str())).collect();
        let mut hits = self.markdown_tables(&borrowed, true);
        hits.extend(self.aligned_tables(&borrowed));
        hits.extend(self.value_counts(&borrowed));
        if block.lang == "csv" || block.lang == "tsv" {
            let sep = if block.lang == "csv" { ',' } else { '\t' };
            hits.extend(self.delimited(&borrowed, sep));
        }
        hits
    }

    pub(super) fn aligned_tables(&self, lines: &[(usize, &str)]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut li = 0;
        while li < lines.len() {
            let (_, header) = lines[li];
            li += 1;
            if header.contains('|') || header.contains('=') || header.trim_start().starts_with('#')
            {
                continue;
            }
            let cols = ws_tokens(header);
            if cols
                .iter()
                .any(|(_, w)| w.chars().any(|c| c.is_ascii_digit()))
            {
                continue; // header rows hold names, not numbers
            }
            let count_cols: Vec<(Range<usize>, &str)> = cols
                .into_iter()
                .filter(|(_, w)| self.role(w) == Role::Count)
                .collect();
            if count_cols.is_empty() {
                continue;
            }
            while let Some(&(roff, row)) = lines.get(li) {
                if row.trim().is_empty() {
                    break;
                }
                li += 1;
                let cells = ws_tokens(row);
                let type_row = cells
                    .iter()
                    .all(|(_, c)| c.starts_with('<') && c.ends_with('>'));
                if cells.len() < 2 || type_row || is_delimiter_row(row, true) {
                    continue;
                }
                for (hr, name) in &count_cols {
                    let under = cells
                        .iter()
                        .find(|(r, _)| r.start < hr.end && hr.start < r.end);
                    if let Some((_, cell)) = under
                        && let Some((bound, value)) = self.cell_count(cell)
                        && reveals(self.rules, bound, value)
                    {
                        let trimmed = row.trim_end();
                        hits.push(self.row_hit(
                            roff..roff + trimmed.len(),
                            format!("a count in the “{name}” column of pasted output"),
                        ));
                        break;
                    }
                }
            }
        }
        hits
    }

    /// pandas `Series` output ending in "Name: count, dtype: int64".
    pub(super) fn value_counts(&self, lines: &[(usize, &str)]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (fi, (_, footer)) in lines.iter().enumerate() {
            let Some(rest) = footer.trim().strip_prefix("Name: ") else {
                continue;
            };
            let name = rest.split(',').next().unwrap_or_default().trim();
            if self.role(name) != Role::Count || !rest.contains("dtype") {
                continue;
            }
            for &(roff, row) in lines[..fi].iter().rev() {
                if row.trim().is_empty() {
                    break;
                }
                let cells = ws_tokens(row);
                if cells.len() < 2 {
                    continue;
                }
                if let Some((_, last)) = cells.last()
                    && let Some((bound, value)) = self.cell_count(last)
                    && reveals(self.rules, bound, value)
                {
                    let trimmed = row.trim_end();
                    hits.push(self.row_hit(
                        roff..roff + trimmed.len(),
                        format!("a count in pasted “{name}” output"),
                    ));
                }
            }
        }
        hits
    }

    pub(super) fn delimited(&self, lines: &[(usize, &str)], sep: char) -> Vec<Hit> {
        let mut hits = Vec::new();
        let Some((_, header)) = lines.first() else {
            return hits;
        };
        let roles: Vec<Role> = header.split(sep).map(|h| self.role(h)).collect();
        let names: Vec<&str> = header.split(sep).map(str::trim).collect();
        for &(roff, row) in &lines[1..] {
            for (ci, cell) in row.split(sep).enumerate() {
                if roles.get(ci) == Some(&Role::Count)
                    && let Some((bound, value)) = self.cell_count(cell.trim())
                    && reveals(self.rules, bound, value)
                {
                    hits.push(self.row_hit(
                        roff..roff + row.trim_end().len(),
                        format!(
                            "a count in the “{}” column of pasted output",
                            names.get(ci).copied().unwrap_or_default()
                        ),
                    ));
                    break;
                }
            }
        }
        hits
    }
}

/// Whitespace-separated tokens with their byte ranges within the line.
pub(super) fn ws_tokens(line: &str) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s..i, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s..line.len(), &line[s..]));
    }
    out
}
