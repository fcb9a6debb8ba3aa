//! The top-level modules of `src/` import one another in one direction only.
//!
//! Every `crate::` path counts: `use` lines, grouped imports
//! (`use crate::{a, b::c}`) and paths written inline in code
//! (`crate::forum::service::x(…)`), as do `super::` paths that climb to the
//! crate root. `lib.rs` wires the application together and `main.rs` is the
//! binary, so neither is a module here.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Imports that still close a cycle, each with what removes it. The check
/// ignores them, and fails once one is gone, so the list only shrinks: a
/// new cycle fails at once.
const KNOWN_BACK_EDGES: &[(&str, &str, &str)] = &[(
    "forum",
    "moderation",
    "posting's screening step, the record of holds and the moderation notice on \
     posts move below the forum, so that only moderation imports forum",
)];

/// One import of a top-level module by another: where it is written.
#[derive(Debug, Clone)]
struct Import {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = top_level_modules(&src);
    let mut imports = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("file under src");
        let Some(module_path) = module_path(relative) else {
            continue;
        };
        let text = fs::read_to_string(&file).expect("readable source file");
        for (line, target) in crate_paths(&text, module_path.len()) {
            let from = &module_path[0];
            if &target != from && modules.contains(&target) {
                imports.push(Import {
                    from: from.clone(),
                    to: target,
                    file: relative.to_path_buf(),
                    line,
                });
            }
        }
    }
    for (from, to, remedy) in KNOWN_BACK_EDGES {
        assert!(
            imports.iter().any(|i| i.from == *from && i.to == *to),
            "{from} no longer imports {to}: remove the entry ({remedy}) from KNOWN_BACK_EDGES"
        );
    }
    imports.retain(|i| {
        !KNOWN_BACK_EDGES
            .iter()
            .any(|(from, to, _)| i.from == *from && i.to == *to)
    });
    let cycles = cycles(&modules, &imports);
    if !cycles.is_empty() {
        let mut report = String::new();
        for cycle in &cycles {
            report.push_str(&format!("cycle: {}\n", cycle.join(", ")));
            let mut edges: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
            for import in imports
                .iter()
                .filter(|i| cycle.contains(&i.from) && cycle.contains(&i.to))
            {
                edges
                    .entry((&import.from, &import.to))
                    .or_default()
                    .push(format!("{}:{}", import.file.display(), import.line));
            }
            for ((from, to), places) in edges {
                report.push_str(&format!("  {from} -> {to}: {}\n", places.join(" ")));
            }
        }
        panic!("top-level modules of src/ import each other:\n{report}");
    }
}

/// The modules `lib.rs` declares: `src/x.rs` and `src/x/mod.rs`.
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    fs::read_dir(src)
        .expect("src/ is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = if path.is_dir() {
                path.join("mod.rs")
                    .exists()
                    .then(|| path.file_name()?.to_str().map(str::to_string))??
            } else {
                path.strip_prefix(src)
                    .ok()?
                    .to_str()?
                    .strip_suffix(".rs")?
                    .to_string()
            };
            (name != "lib" && name != "main").then_some(name)
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("readable directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `forum/posts.rs` is `forum::posts`, `forum/mod.rs` is `forum`; `lib.rs`
/// and `main.rs` are the root and the binary.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    match last.strip_suffix(".rs")? {
        "lib" | "main" if parts.is_empty() => None,
        "mod" => Some(parts),
        stem => {
            parts.push(stem.to_string());
            Some(parts)
        }
    }
}

/// The top-level module named by each crate-rooted path in `text`, with its
/// line. `depth` is how many `super::` steps lead from the file's module to
/// the crate root.
fn crate_paths(text: &str, depth: usize) -> Vec<(usize, String)> {
    let tokens = tokens(&strip_comments_and_literals(text));
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let rooted_at = match tokens[i].text.as_str() {
            "crate" => Some(i + 1),
            "super" => {
                // `super::super::…`: count the steps; only a climb past the
                // file's own module reaches the crate root.
                let mut j = i;
                let mut steps = 0;
                while tokens.get(j).is_some_and(|t| t.text == "super")
                    && tokens.get(j + 1).is_some_and(|t| t.text == "::")
                {
                    steps += 1;
                    j += 2;
                }
                (steps >= depth && j > i).then(|| j - 1)
            }
            _ => None,
        };
        // A path follows only when the previous token is not `::` or a
        // word that makes `crate` a visibility (`pub(crate)`).
        let is_path_start = i == 0 || tokens[i - 1].text != "::";
        if let Some(sep) = rooted_at.filter(|_| is_path_start)
            && tokens.get(sep).is_some_and(|t| t.text == "::")
        {
            match tokens.get(sep + 1) {
                Some(t) if t.text == "{" => {
                    for (line, name) in group_heads(&tokens, sep + 1) {
                        found.push((line, name));
                    }
                }
                Some(t) if is_ident(&t.text) => found.push((t.line, t.text.clone())),
                _ => {}
            }
        }
        i += 1;
    }
    found
}

/// The first name of each item in the brace group opening at `open`:
/// `{a, b::c, d::{e, f}}` names `a`, `b` and `d`.
fn group_heads(tokens: &[Token], open: usize) -> Vec<(usize, String)> {
    let mut heads = Vec::new();
    let mut nesting = 0usize;
    let mut expecting_head = true;
    for token in &tokens[open..] {
        match token.text.as_str() {
            "{" => {
                nesting += 1;
                if nesting == 1 {
                    expecting_head = true;
                }
            }
            "}" => {
                nesting -= 1;
                if nesting == 0 {
                    break;
                }
            }
            "," if nesting == 1 => expecting_head = true,
            text if nesting == 1 && expecting_head => {
                if is_ident(text) && text != "self" {
                    heads.push((token.line, text.to_string()));
                }
                expecting_head = false;
            }
            _ => {}
        }
    }
    heads
}

fn is_ident(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

#[derive(Debug)]
struct Token {
    text: String,
    line: usize,
}

/// Words, `::`, and single punctuation characters, with their lines.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // Raw identifiers (`r#type`) are the plain word.
            tokens.push(Token { text: word, line });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            tokens.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// Blanks comments, string and character literals, keeping newlines so that
/// lines still count. A path inside a doc comment or a string is not an
/// import.
fn strip_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut nesting = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    nesting += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    nesting -= 1;
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
            && raw_string_hashes(&chars, i + 1).is_some()
        {
            let hashes = raw_string_hashes(&chars, i + 1).unwrap_or(0);
            i += 2 + hashes;
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let closing: Vec<char> = closing.chars().collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                out.push(blank(chars[i]));
                i += 1;
            }
            i += closing.len();
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `r` + 1: the number of `#` before the opening quote of a raw string.
fn raw_string_hashes(chars: &[char], mut i: usize) -> Option<usize> {
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    (chars.get(i) == Some(&'"')).then_some(hashes)
}

/// `'x'` and `'\n'` are characters; `'a` in `&'a str` is a lifetime.
fn is_char_literal(chars: &[char], quote: usize) -> bool {
    match chars.get(quote + 1) {
        Some('\\') => true,
        Some(_) => chars.get(quote + 2) == Some(&'\''),
        None => false,
    }
}

/// Strongly connected groups of more than one module (Tarjan's algorithm),
/// each sorted by name.
fn cycles(modules: &BTreeSet<String>, imports: &[Import]) -> Vec<Vec<String>> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for import in imports {
        edges
            .entry(import.from.as_str())
            .or_default()
            .insert(import.to.as_str());
    }
    struct Search<'a> {
        edges: &'a BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        groups: Vec<Vec<String>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for &next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    group.push(member.to_string());
                    if member == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.groups.push(group);
                }
            }
        }
    }
    let mut search = Search {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        groups: Vec::new(),
    };
    for module in modules {
        if !search.index.contains_key(module.as_str()) {
            search.visit(module);
        }
    }
    search.groups.sort();
    search.groups
}

#[test]
fn reads_grouped_imports_inline_paths_and_climbs_to_the_root() {
    let text = r#"
use crate::{forum::service, jobs::{queue, worker}, self};
use crate::graphql;
fn f() { crate::mail::send(); let s = "crate::notifications"; }
// crate::digest in a comment
pub(crate) fn g<'a>(x: &'a str) -> char { 'c' }
use super::super::search::SearchIndex;
use super::sibling;
"#;
    let found: Vec<String> = crate_paths(text, 2).into_iter().map(|(_, m)| m).collect();
    assert_eq!(
        found,
        ["forum", "jobs", "graphql", "mail", "search"].map(String::from)
    );
}

#[test]
fn finds_a_cycle_and_ignores_a_chain() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
    let import = |from: &str, to: &str| Import {
        from: from.into(),
        to: to.into(),
        file: PathBuf::new(),
        line: 0,
    };
    let chain = [import("a", "b"), import("b", "c")];
    assert!(cycles(&modules, &chain).is_empty());
    let looped = [import("a", "b"), import("b", "c"), import("c", "a")];
    assert_eq!(
        cycles(&modules, &looped),
        [["a", "b", "c"].map(String::from)]
    );
}
