//! Markdown rendering, sanitizing and text extraction for user content.
//!
//! Pipeline for [`render`]: pulldown-cmark (CommonMark + tables + strikethrough +
//! task lists) → event rewriting (raw HTML becomes visible text, @mentions become
//! links, table alignment becomes `align="…"`) → HTML → ammonia with an explicit
//! allow-list. The ammonia pass is the security boundary: even though the event
//! rewriting already neutralises raw HTML, everything pulldown-cmark emits is
//! sanitized again, so a bug in the rewriting cannot turn into XSS.
//!
//! Raw HTML policy: `Event::Html` / `Event::InlineHtml` are turned into text, so
//! `<b>hi</b>` is shown literally as typed (escaped) rather than silently
//! dropped or interpreted. HTML blocks are wrapped in a `<p>` so they stay
//! readable.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use ammonia::{Builder, Url, UrlRelative};
use pulldown_cmark::{Alignment, CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use regex::Regex;
use std::sync::LazyLock;

/// Markdown rendered once on write and stored beside its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
}

/// Minimum and maximum length of a handle (the part after `@`).
const HANDLE_MIN: usize = 2;
const HANDLE_MAX: usize = 30;

/// `rel` added to every `<a>` by ammonia (user links are untrusted: no SEO credit,
/// no `window.opener`, no referrer leak).
const LINK_REL: &str = "nofollow noopener noreferrer";

/// Tags that may appear in rendered output. Everything pulldown-cmark emits for
/// the enabled extensions, plus `s`/`sup`/`sub`; no `span`, `div` or any raw-text
/// element.
const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "input",
    "sup",
    "sub",
];

/// Elements removed *with their content*. Raw HTML never reaches ammonia as
/// markup (it is escaped first), so this is defence in depth: if one of these
/// ever slipped through, dropping the subtree beats unwrapping its content
/// (raw-text and foreign-content elements are where mutation XSS lives).
const DROP_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "noscript",
    "xmp",
    "iframe",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "form",
    "button",
    "select",
    "option",
    "template",
    "noembed",
    "noframes",
    "plaintext",
    "frameset",
    "frame",
    "base",
    "meta",
    "link",
    "head",
];

/// Pattern for the only class allowed on `<code>` (fenced code language).
static CODE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^language-[A-Za-z0-9_+#.-]{1,32}$").expect("static code class regex")
});

/// Tags and comments inside raw HTML chunks, stripped for plain text.
static RAW_HTML_MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<!--.*?(?:-->|\z)|</?[A-Za-z][^>]*>?|<[!?][^>]*>?")
        .expect("static raw html regex")
});

/// The sanitizer, built once. Every knob is set explicitly instead of relying
/// on ammonia's defaults (which allow `lang`/`title` everywhere and ~25 URL
/// schemes).
static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&'static str> = ALLOWED_TAGS.iter().copied().collect();
    let drop_with_content: HashSet<&'static str> = DROP_WITH_CONTENT.iter().copied().collect();

    let tag_attributes: HashMap<&'static str, HashSet<&'static str>> = [
        // `class` is further restricted to "mention" by `filter_attribute`.
        ("a", &["href", "title", "class"][..]),
        ("img", &["src", "alt", "title"][..]),
        // `class` is further restricted to `language-…` by `filter_attribute`.
        ("code", &["class"][..]),
        ("ol", &["start"][..]),
        ("input", &["checked", "disabled"][..]),
    ]
    .into_iter()
    .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
    .collect();

    let align: HashSet<&'static str> = ["left", "center", "right"].into_iter().collect();
    let tag_attribute_values: HashMap<&'static str, HashMap<&'static str, HashSet<&'static str>>> =
        [
            ("th", HashMap::from([("align", align.clone())])),
            ("td", HashMap::from([("align", align)])),
            (
                "input",
                HashMap::from([("type", HashSet::from(["checkbox"]))]),
            ),
        ]
        .into_iter()
        .collect();

    // Task-list checkboxes are display-only: force them disabled checkboxes
    // whatever the input says.
    let set_tag_attribute_values: HashMap<&'static str, HashMap<&'static str, &'static str>> =
        HashMap::from([(
            "input",
            HashMap::from([("type", "checkbox"), ("disabled", "")]),
        )]);

    let mut builder = Builder::empty();
    builder
        .tags(tags)
        .clean_content_tags(drop_with_content)
        .generic_attributes(HashSet::new())
        .tag_attributes(tag_attributes)
        .tag_attribute_values(tag_attribute_values)
        .set_tag_attribute_values(set_tag_attribute_values)
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::Custom(Box::new(root_relative_only)))
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(filter_attribute);
    builder
});

/// Relative URLs are kept only when they are site-root paths like `/u/alice`.
/// Protocol-relative (`//host`, `/\host`) and document-relative URLs are dropped,
/// as is anything with whitespace/control characters (browsers strip those,
/// which can turn `/\t/host` into `//host`).
fn root_relative_only(url: &str) -> Option<Cow<'_, str>> {
    let mut chars = url.chars();
    let root_path = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    (root_path && clean).then_some(Cow::Borrowed(url))
}

/// Per-attribute rules that ammonia's static tables cannot express.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let keep = match (element, attribute) {
        // Images load without a click, so only absolute http(s): no data:, no
        // mailto:, no same-origin relative GETs.
        ("img", "src") => Url::parse(value)
            .map(|url| matches!(url.scheme(), "http" | "https"))
            .unwrap_or(false),
        ("code", "class") => CODE_CLASS.is_match(value),
        ("a", "class") => value == "mention",
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

fn parser_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Adjacent text events merged, so a handle is never split across events.
fn events(source: &str) -> TextMergeStream<'_, Parser<'_>> {
    TextMergeStream::new(Parser::new_ext(source, parser_options()))
}

/// Tracks whether text is inside a code block, link or image, where @handles
/// are not mentions.
#[derive(Default)]
struct MentionScope {
    code_blocks: usize,
    links: usize,
    images: usize,
}

impl MentionScope {
    fn observe(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => self.code_blocks += 1,
            Event::End(TagEnd::CodeBlock) => self.code_blocks = self.code_blocks.saturating_sub(1),
            Event::Start(Tag::Link { .. }) => self.links += 1,
            Event::End(TagEnd::Link) => self.links = self.links.saturating_sub(1),
            Event::Start(Tag::Image { .. }) => self.images += 1,
            Event::End(TagEnd::Image) => self.images = self.images.saturating_sub(1),
            _ => {}
        }
    }

    fn allows_mentions(&self) -> bool {
        self.code_blocks == 0 && self.links == 0 && self.images == 0
    }
}

fn is_handle_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Can `c` directly precede the `@` of a mention? Letters/digits and the
/// characters that occur inside e-mail addresses and URLs cannot, so
/// `a@b.org`, `first.last@x.org` and `https://host/@alice` are not mentions.
fn may_precede_mention(c: char) -> bool {
    !(c.is_alphanumeric()
        || matches!(
            c,
            '_' | '-' | '.' | '+' | '/' | '\\' | '@' | '=' | '&' | '%'
        ))
}

/// Mentions in one text run: (byte range of `@handle`, lowercased handle).
fn scan_mentions(text: &str) -> Vec<(Range<usize>, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find('@') {
        let at = from + offset;
        let start = at + 1;
        // Handle bytes are ASCII, so `end` is always a char boundary.
        let len = text.as_bytes()[start..]
            .iter()
            .take_while(|b| is_handle_byte(**b))
            .count();
        let end = start + len;
        let preceded_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(may_precede_mention);
        // `@alice@example.social` is a remote/e-mail style address, not a mention.
        let followed_ok = !text[end..].starts_with('@');
        if preceded_ok && followed_ok && (HANDLE_MIN..=HANDLE_MAX).contains(&len) {
            found.push((at..end, text[start..end].to_ascii_lowercase()));
            from = end;
        } else {
            from = start;
        }
    }
    found
}

/// Candidate @handles in the source, lowercased, deduplicated, in first-seen order.
/// Ignores text inside code spans/blocks and inside links (and image alt text) and
/// inside raw HTML; a handle is `[A-Za-z0-9_-]{2,30}` preceded by
/// start/whitespace/punctuation (not part of an email address like `a@b.org`).
pub fn extract_mentions(source: &str) -> Vec<String> {
    let mut scope = MentionScope::default();
    let mut seen = HashSet::new();
    let mut handles = Vec::new();
    for event in events(source) {
        scope.observe(&event);
        if let Event::Text(text) = &event
            && scope.allows_mentions()
        {
            for (_, handle) in scan_mentions(text) {
                if seen.insert(handle.clone()) {
                    handles.push(handle);
                }
            }
        }
    }
    handles
}

/// Table state needed to emit `<th>`/`<td>` with `align` instead of the
/// `style="text-align: …"` pulldown-cmark would write (style is not allowed).
#[derive(Default)]
struct TableScope {
    alignments: Vec<Alignment>,
    in_head: bool,
    column: usize,
}

impl TableScope {
    fn open_cell(&self) -> String {
        let tag = if self.in_head { "th" } else { "td" };
        match self.alignments.get(self.column) {
            Some(Alignment::Left) => format!("<{tag} align=\"left\">"),
            Some(Alignment::Center) => format!("<{tag} align=\"center\">"),
            Some(Alignment::Right) => format!("<{tag} align=\"right\">"),
            _ => format!("<{tag}>"),
        }
    }

    fn close_cell(&self) -> &'static str {
        if self.in_head { "</th>" } else { "</td>" }
    }
}

/// Render CommonMark + tables + strikethrough + task lists to sanitized HTML.
/// `is_user(handle_lowercase)` says which handles are real users; those @mentions
/// become `<a href="/u/{handle}" class="mention">@{handle}</a>` (ammonia then
/// appends the `rel` attribute), others stay plain text.
pub fn render(source: &str, is_user: &dyn Fn(&str) -> bool) -> Rendered {
    let mut scope = MentionScope::default();
    let mut table = TableScope::default();
    // `is_user` may hit a database; ask once per distinct handle.
    let mut known: HashMap<String, bool> = HashMap::new();
    let mut out: Vec<Event<'_>> = Vec::new();

    for event in events(source) {
        match event {
            // Raw HTML is shown as typed (escaped by the HTML writer), never interpreted.
            Event::Html(raw) | Event::InlineHtml(raw) => out.push(Event::Text(raw)),
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),

            Event::Start(Tag::Table(alignments)) => {
                table = TableScope {
                    alignments,
                    ..TableScope::default()
                };
                out.push(Event::Start(Tag::Table(Vec::new())));
            }
            Event::Start(Tag::TableHead) => {
                table.in_head = true;
                table.column = 0;
                out.push(Event::Start(Tag::TableHead));
            }
            Event::End(TagEnd::TableHead) => {
                table.in_head = false;
                out.push(Event::End(TagEnd::TableHead));
            }
            Event::Start(Tag::TableRow) => {
                table.column = 0;
                out.push(Event::Start(Tag::TableRow));
            }
            Event::Start(Tag::TableCell) => out.push(Event::Html(table.open_cell().into())),
            Event::End(TagEnd::TableCell) => {
                out.push(Event::Html(table.close_cell().into()));
                table.column += 1;
            }

            Event::Text(text) if scope.allows_mentions() => {
                push_text_with_mentions(&mut out, text, |handle| {
                    *known
                        .entry(handle.to_owned())
                        .or_insert_with(|| is_user(handle))
                });
            }
            other => {
                scope.observe(&other);
                out.push(other);
            }
        }
    }

    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut unsafe_html, out.into_iter());
    Rendered {
        html: SANITIZER.clean(&unsafe_html).to_string(),
    }
}

/// Split `text` around mentions of known users, emitting the mention links as
/// trusted inline HTML (raw HTML from the source never reaches this point as
/// HTML, so `InlineHtml` here is always ours).
fn push_text_with_mentions<'a>(
    out: &mut Vec<Event<'a>>,
    text: CowStr<'a>,
    mut is_user: impl FnMut(&str) -> bool,
) {
    let mentions: Vec<_> = scan_mentions(&text)
        .into_iter()
        .filter(|(_, handle)| is_user(handle))
        .collect();
    if mentions.is_empty() {
        out.push(Event::Text(text));
        return;
    }
    let mut last = 0;
    for (range, handle) in mentions {
        if range.start > last {
            out.push(Event::Text(text[last..range.start].to_owned().into()));
        }
        // Handles are [a-z0-9_-] only, but escape anyway: cheap and future-proof.
        let handle = html_escape::encode_double_quoted_attribute(&handle);
        out.push(Event::InlineHtml(
            format!("<a href=\"/u/{handle}\" class=\"mention\">@{handle}</a>").into(),
        ));
        last = range.end;
    }
    if last < text.len() {
        out.push(Event::Text(text[last..].to_owned().into()));
    }
}

/// Strip tags/comments from a raw HTML chunk and decode its entities.
fn raw_html_text(raw: &str) -> String {
    let stripped = RAW_HTML_MARKUP.replace_all(raw, " ");
    html_escape::decode_html_entities(&stripped).into_owned()
}

/// Plain text of the markdown (for search indexing and email excerpts): no markup,
/// whitespace collapsed. Link/image URLs are dropped, link text and alt text kept,
/// code kept as text, raw HTML reduced to its text content. The result is NOT
/// HTML-escaped: escape it before embedding it in HTML.
pub fn plain_text(source: &str) -> String {
    let mut text = String::with_capacity(source.len());
    // Consecutive raw HTML events are joined first so a tag spanning several
    // lines of an HTML block is stripped as a whole.
    let mut raw_html = String::new();
    for event in events(source) {
        if let Event::Html(raw) | Event::InlineHtml(raw) = &event {
            raw_html.push_str(raw);
            continue;
        }
        if !raw_html.is_empty() {
            text.push_str(&raw_html_text(&raw_html));
            raw_html.clear();
        }
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push(' '),
            // Block boundaries separate words; inline ones (emphasis, links) must not.
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::List(_)
                | TagEnd::Item
                | TagEnd::Table
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::TableCell,
            ) => text.push(' '),
            _ => {}
        }
    }
    if !raw_html.is_empty() {
        text.push_str(&raw_html_text(&raw_html));
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain-text excerpt of at most `max_chars` characters (the "…" included), cut at a
/// word boundary with "…" when shortened. A single word longer than the budget is
/// cut mid-word.
pub fn excerpt(source: &str, max_chars: usize) -> String {
    let text = plain_text(source);
    if text.chars().count() <= max_chars {
        return text;
    }
    if max_chars == 0 {
        return String::new();
    }
    // Reserve one character for the ellipsis.
    let budget = max_chars - 1;
    let cut = text
        .char_indices()
        .nth(budget)
        .map_or(text.len(), |(idx, _)| idx);
    let head = &text[..cut];
    // plain_text collapsed whitespace to single spaces, so a space is a word boundary.
    let at_boundary = text[cut..].starts_with(' ');
    let head = match head.rfind(' ') {
        Some(space) if !at_boundary && space > 0 => &head[..space],
        _ => head,
    };
    let head = head.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':'));
    format!("{head}…")
}

/// Sanitize a search-engine snippet: escape everything, then let only `<mark>` and
/// `</mark>` (exactly, lowercase, no attributes) survive. Marks are kept balanced:
/// stray closers are dropped and unclosed marks are closed at the end.
pub fn sanitize_highlight(snippet: &str) -> String {
    const OPEN: &str = "<mark>";
    const CLOSE: &str = "</mark>";
    let mut out = String::with_capacity(snippet.len() + snippet.len() / 4);
    let mut depth = 0usize;
    let mut rest = snippet;
    while let Some(pos) = rest.find('<') {
        out.push_str(&html_escape::encode_text(&rest[..pos]));
        rest = &rest[pos..];
        if let Some(after) = rest.strip_prefix(OPEN) {
            out.push_str(OPEN);
            depth += 1;
            rest = after;
        } else if let Some(after) = rest.strip_prefix(CLOSE) {
            if depth > 0 {
                out.push_str(CLOSE);
                depth -= 1;
            }
            rest = after;
        } else {
            out.push_str("&lt;");
            rest = &rest[1..];
        }
    }
    out.push_str(&html_escape::encode_text(rest));
    for _ in 0..depth {
        out.push_str(CLOSE);
    }
    out
}

/// Known XSS / HTML-injection vectors, reused by integration tests through post
/// bodies and titles. Rendering any of them must yield no executable markup.
pub const XSS_VECTORS: &[&str] = &[
    // Script tags, many casings and obfuscations.
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=\"https://evil.example/x.js\"></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\n>alert(1)</script\n>",
    "text <script>alert(1)</script> inline",
    // Event handlers.
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\"/>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<img src=x onerror=alert(1)//",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<isindex type=image src=1 onerror=alert(1)>",
    // javascript: / vbscript: / data: in raw HTML links.
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\" &#14; javascript:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    // Markdown links and images with dangerous destinations.
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java&#115;cript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,%3Cscript%3Ealert(1)%3C/script%3E)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "![x](/relative/image.png)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]: data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "![x][img]\n\n[img]: data:image/png;base64,iVBORw0KGgo=",
    // Autolinks.
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,alert(1)>",
    "<vbscript:msgbox(1)>",
    // Attribute break-outs through markdown titles, alt text and fence info.
    "![x](https://example.com/a.png \"\\\" onerror=\\\"alert(1)\")",
    "[x](https://example.com \"\\\"><script>alert(1)</script>\")",
    "![<img src=x onerror=alert(1)>](https://example.com/a.png)",
    "```\"><script>alert(1)</script>\ncode\n```",
    "```rust onmouseover=alert(1)\nfn main() {}\n```",
    "```javascript:alert(1)\nx\n```",
    // SVG / MathML / mutation XSS.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"20\" y=\"20\">x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><!--</style><img title=\"--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<svg><iframe><a title=\"</iframe><img src onerror=alert(1)>\">test",
    // Embedding and raw-text elements.
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<embed src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<textarea><script>alert(1)</script></textarea>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<title><img src=x onerror=alert(1)></title>",
    "<select><option><img src=x onerror=alert(1)></option></select>",
    "<style>@import 'javascript:alert(1)';</style>",
    // Styles.
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<span style=\"position:fixed;top:0;left:0;width:100%;height:100%\">x</span>",
    // Forms and document-level elements.
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=\"import\" href=\"data:text/html,<script>alert(1)</script>\">",
    // Comments hiding tags.
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "a <!-- x --><img src=x onerror=alert(1)>",
    // Injection through markdown structures.
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "| a |\n|:-:|\n| <img src=x onerror=alert(1)> |",
    "- [x] <img src=x onerror=alert(1)>",
    "> <iframe src=javascript:alert(1)>",
    "# <svg onload=alert(1)>",
    "@<script>alert(1)</script>",
    "[a](javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>)",
];

/// Attributes [`find_unsafe_markup`] accepts per tag; `None` for a tag that is
/// not allowed at all. Mirrors the sanitizer configuration (plus the `rel`
/// ammonia adds itself).
fn allowed_attributes(tag: &str) -> Option<&'static [&'static str]> {
    Some(match tag {
        "a" => &["href", "title", "class", "rel"],
        "img" => &["src", "alt", "title"],
        "code" => &["class"],
        "ol" => &["start"],
        "input" => &["type", "checked", "disabled"],
        "th" | "td" => &["align"],
        t if ALLOWED_TAGS.contains(&t) => &[],
        _ => return None,
    })
}

/// Audit helper for tests (unit and integration): returns a description of the
/// first markup in `html` that falls outside the rendering allow-list, or `None`.
///
/// It inspects *markup* only (tag names, attribute names, URL attribute values).
/// Escaped text is inert, and since raw HTML is shown as typed, the visible text
/// of a rendered XSS vector legitimately contains strings like `onerror=` or
/// `javascript:` (as `&lt;img src=x onerror=…&gt;`); a naive substring search over
/// the whole output would flag those.
pub fn find_unsafe_markup(html: &str) -> Option<String> {
    const DANGEROUS_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:", "file:"];
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        // Find the end of the tag, ignoring `>` inside quoted attribute values.
        let mut quote = None;
        let mut end = None;
        for (i, c) in rest.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Some(format!("unterminated tag: <{rest}"));
        };
        let tag_src = &rest[..end];
        rest = &rest[end + 1..];

        let body = tag_src.strip_prefix('/').unwrap_or(tag_src);
        let name_len = body
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(body.len());
        let name = body[..name_len].to_ascii_lowercase();
        let Some(allowed) = allowed_attributes(&name) else {
            return Some(format!("disallowed tag <{tag_src}>"));
        };
        if tag_src.starts_with('/') {
            continue;
        }
        let Some(attributes) = parse_attributes(&body[name_len..]) else {
            return Some(format!("malformed attributes in <{tag_src}>"));
        };
        for (attr, value) in attributes {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") || attr == "style" || !allowed.contains(&attr.as_str()) {
                return Some(format!("disallowed attribute {attr} in <{tag_src}>"));
            }
            let value = html_escape::decode_html_entities(&value);
            let normalized: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            let is_url = matches!(attr.as_str(), "href" | "src");
            if is_url && DANGEROUS_SCHEMES.iter().any(|s| normalized.starts_with(s)) {
                return Some(format!("dangerous URL in <{tag_src}>"));
            }
            let scheme_ok = match (name.as_str(), attr.as_str()) {
                ("img", "src") => {
                    normalized.starts_with("http://") || normalized.starts_with("https://")
                }
                ("a", "href") => {
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| normalized.starts_with(s))
                        || (normalized.starts_with('/') && !normalized.starts_with("//"))
                }
                ("a", "class") => value == "mention",
                ("code", "class") => CODE_CLASS.is_match(&value),
                _ => true,
            };
            if !scheme_ok {
                return Some(format!("disallowed value for {attr} in <{tag_src}>"));
            }
        }
    }
    None
}

/// `name="value"` pairs of a serialized tag (ammonia always double-quotes).
/// Returns `None` when malformed (the caller treats that as unsafe).
fn parse_attributes(mut s: &str) -> Option<Vec<(String, String)>> {
    let mut attrs = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return Some(attrs);
        }
        let name_end = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(s.len());
        let name = s[..name_end].to_owned();
        s = &s[name_end..];
        if let Some(after_eq) = s.strip_prefix('=') {
            let quoted = after_eq.strip_prefix('"')?;
            let close = quoted.find('"')?;
            attrs.push((name, quoted[..close].to_owned()));
            s = &quoted[close + 1..];
        } else {
            attrs.push((name, String::new()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(handle: &str) -> bool {
        matches!(handle, "alice" | "bob" | "carol_1")
    }

    fn html(source: &str) -> String {
        render(source, &users).html
    }

    /// Elements that must never appear as markup. Text `<` is always escaped to
    /// `&lt;`, so a plain substring check over the whole output is valid here.
    const FORBIDDEN_TAG_OPENERS: &[&str] = &[
        "<script",
        "<svg",
        "<math",
        "<iframe",
        "<style",
        "<textarea",
        "<object",
        "<embed",
        "<form",
        "<noscript",
        "<xmp",
        "<title",
        "<base",
        "<meta",
        "<link",
        "<button",
        "<select",
        "<option",
        "<template",
        "<body",
        "<video",
        "<source",
        "<details",
        "<div",
        "<span",
        "<marquee",
    ];

    /// Raw markup of every tag in the output (text content excluded).
    fn tags_of(html: &str) -> Vec<String> {
        let mut tags = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let mut in_quotes = false;
            let tail = &rest[start..];
            let end = tail
                .char_indices()
                .find(|&(_, c)| {
                    if c == '"' {
                        in_quotes = !in_quotes;
                    }
                    c == '>' && !in_quotes
                })
                .map_or(tail.len(), |(i, _)| i + 1);
            tags.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
        tags
    }

    /// Attribute values of a tag (ammonia always serializes `name="value"`).
    fn attribute_values(tag: &str) -> Vec<String> {
        tag.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    /// Tag text with quoted values blanked, so ` on…=` is only found in attribute names.
    fn without_values(tag: &str) -> String {
        tag.split('"').step_by(2).collect::<Vec<_>>().join("\"\"")
    }

    fn assert_safe(vector: &str, output: &str) {
        let lower = output.to_ascii_lowercase();
        for opener in FORBIDDEN_TAG_OPENERS {
            assert!(
                !lower.contains(opener),
                "{opener} in output of {vector:?}: {output}"
            );
        }
        let handler = Regex::new(r"(?i)\son[a-z]+\s*=").expect("test regex");
        for tag in tags_of(output) {
            let tag_lower = tag.to_ascii_lowercase();
            let names = without_values(&tag_lower);
            assert!(
                !handler.is_match(&names),
                "event handler attribute in {tag} for {vector:?}"
            );
            assert!(
                !names.contains("style="),
                "style attribute in {tag} for {vector:?}"
            );
            for value in attribute_values(&tag_lower) {
                let decoded = html_escape::decode_html_entities(&value).to_ascii_lowercase();
                for bad in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !value.contains(bad) && !decoded.contains(bad),
                        "{bad} in attribute of {tag} for {vector:?}"
                    );
                }
            }
        }
        if let Some(problem) = find_unsafe_markup(output) {
            panic!("{problem} for {vector:?}: {output}");
        }
    }

    #[test]
    fn xss_vectors_render_safely() {
        assert!(
            XSS_VECTORS.len() >= 35,
            "only {} vectors",
            XSS_VECTORS.len()
        );
        for vector in XSS_VECTORS {
            assert_safe(vector, &html(vector));
            // Also embedded in surrounding markdown, mentions and a list.
            let embedded = format!("Hello @alice\n\n- item\n- {vector}\n\ntext {vector} end");
            assert_safe(vector, &html(&embedded));
        }
    }

    #[test]
    fn xss_vectors_plain_text_strips_tags_and_excerpts_fit() {
        for vector in XSS_VECTORS {
            // Plain text is not HTML (consumers escape it). Raw HTML tags are
            // stripped; a literal `<` the user typed as text may remain.
            let text = plain_text(vector);
            assert!(
                !text.to_ascii_lowercase().contains("<script"),
                "{vector:?} -> {text:?}"
            );
            let short = excerpt(vector, 20);
            assert!(short.chars().count() <= 20, "{vector:?} -> {short:?}");
        }
    }

    /// Defence in depth: the escaping of raw HTML is bypassed and every vector
    /// goes straight into the ammonia allow-list, which must stop it alone.
    #[test]
    fn sanitizer_alone_neutralises_vectors() {
        for vector in XSS_VECTORS {
            let cleaned = SANITIZER.clean(vector).to_string();
            assert_safe(vector, &cleaned);
        }
    }

    #[test]
    fn sanitizer_attribute_rules() {
        let clean = |s: &str| SANITIZER.clean(s).to_string();
        // Forced attributes are added in HashMap order, so compare as a set.
        let input = clean("<input type=\"text\" onclick=\"x\" value=\"v\">");
        assert!(
            input == "<input type=\"checkbox\" disabled=\"\">"
                || input == "<input disabled=\"\" type=\"checkbox\">",
            "{input}"
        );
        assert_eq!(
            clean("<a class=\"mention evil\" href=\"/u/x\" target=\"_blank\">x</a>"),
            // (ammonia drops attributes with swap_remove, so order may change)
            "<a rel=\"nofollow noopener noreferrer\" href=\"/u/x\">x</a>"
        );
        assert_eq!(
            clean(
                "<table><tr><th style=\"text-align: left\" align=\"justify\">a</th><td align=\"right\">b</td></tr></table>"
            ),
            "<table><tbody><tr><th>a</th><td align=\"right\">b</td></tr></tbody></table>"
        );
        assert_eq!(
            clean("<code class=\"language-rust x\">a</code><code class=\"language-go\">b</code>"),
            "<code>a</code><code class=\"language-go\">b</code>"
        );
        assert_eq!(
            clean(
                "<p id=\"x\" lang=\"en\" title=\"t\" class=\"c\">p</p><div>d</div><span>s</span>"
            ),
            "<p>p</p>ds"
        );
        assert_eq!(
            clean("<a href=\"/\\evil.example\">x</a>"),
            "<a rel=\"nofollow noopener noreferrer\">x</a>"
        );
        assert_eq!(
            clean("<a href=\"/\t/evil.example\">x</a>"),
            "<a rel=\"nofollow noopener noreferrer\">x</a>"
        );
        assert_eq!(
            clean("<textarea>secret</textarea><svg><text>t</text></svg>ok"),
            "ok"
        );
    }

    #[test]
    fn unsafe_markup_detector_catches_bad_output() {
        assert!(
            find_unsafe_markup("<p>ok <a href=\"/u/x\" class=\"mention\">@x</a></p>").is_none()
        );
        assert!(find_unsafe_markup("<p>&lt;img src=x onerror=alert(1)&gt;</p>").is_none());
        for bad in [
            "<img src=\"x\" onerror=\"alert(1)\">",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<img src=\"data:image/png;base64,AAAA\">",
            "<p style=\"color:red\">x</p>",
            "<svg></svg>",
            "<a class=\"evil\">x</a>",
            "<code class=\"x\">x</code>",
            "<a href=\"//evil.example\">x</a>",
            "<img src=\"/local.png\">",
            "<p",
        ] {
            assert!(find_unsafe_markup(bad).is_some(), "missed {bad}");
        }
    }

    #[test]
    fn raw_html_is_shown_as_typed() {
        let out = html("Hi <b>there</b> <img src=x onerror=alert(1)>");
        assert_eq!(
            out,
            "<p>Hi &lt;b&gt;there&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;</p>\n"
        );
        let block = html("<div>\n<script>alert(1)</script>\n</div>");
        assert!(block.starts_with("<p>&lt;div&gt;"), "{block}");
        assert!(
            block.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{block}"
        );
    }

    #[test]
    fn tables_render_with_align_not_style() {
        let out = html("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n| x |");
        assert!(out.contains("<table>"), "{out}");
        assert!(
            out.contains("<thead><tr><th align=\"left\">a</th>"),
            "{out}"
        );
        assert!(out.contains("<th align=\"center\">b</th>"), "{out}");
        assert!(out.contains("<td align=\"right\">3</td>"), "{out}");
        assert!(out.contains("<td align=\"left\">x</td>"), "{out}");
        assert!(out.contains("<tbody>"), "{out}");
        assert!(!out.contains("style"), "{out}");
        let plain = html("| a |\n|---|\n| 1 |");
        assert!(
            plain.contains("<th>a</th>") && plain.contains("<td>1</td>"),
            "{plain}"
        );
    }

    #[test]
    fn strikethrough_renders() {
        assert_eq!(html("~~gone~~"), "<p><del>gone</del></p>\n");
    }

    #[test]
    fn task_list_checkboxes_are_disabled() {
        let out = html("- [x] done\n- [ ] todo");
        assert!(
            out.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\">"),
            "{out}"
        );
        assert!(
            out.contains("<input disabled=\"\" type=\"checkbox\">\ntodo"),
            "{out}"
        );
        assert_eq!(out.matches("<input").count(), 2);
    }

    #[test]
    fn fenced_code_keeps_language_class() {
        let out = html("```rust\nfn main() { let x = 1 < 2; }\n```");
        assert_eq!(
            out,
            "<pre><code class=\"language-rust\">fn main() { let x = 1 &lt; 2; }\n</code></pre>\n"
        );
        assert!(html("```c++\nx\n```").contains("class=\"language-c++\""));
        assert!(html("```c#\nx\n```").contains("class=\"language-c#\""));
        // Invalid or over-long languages lose the class but keep the code.
        let bad = html("```a\"b\nx\n```");
        assert!(bad.contains("<pre><code>x"), "{bad}");
        let long = format!("```{}\nx\n```", "a".repeat(40));
        assert!(html(&long).contains("<pre><code>x"));
    }

    #[test]
    fn links_get_rel_and_safe_schemes() {
        assert_eq!(
            html("[site](https://example.com \"T\")"),
            "<p><a href=\"https://example.com\" title=\"T\" rel=\"nofollow noopener noreferrer\">site</a></p>\n"
        );
        assert!(html("<https://example.com>").contains("rel=\"nofollow noopener noreferrer\""));
        assert!(html("<me@example.com>").contains("href=\"mailto:me@example.com\""));
        assert!(html("[home](/t/42)").contains("href=\"/t/42\""));
        // Protocol-relative, document-relative and other schemes lose the href.
        for src in [
            "[x](//evil.example)",
            "[x](relative/path)",
            "[x](ftp://example.com)",
            "[x](tel:123)",
        ] {
            let out = html(src);
            assert!(!out.contains("href"), "{src} -> {out}");
            assert!(out.contains(">x</a>"), "{src} -> {out}");
        }
    }

    #[test]
    fn images_only_http_and_https() {
        assert_eq!(
            html("![cat](https://example.com/cat.png)"),
            "<p><img src=\"https://example.com/cat.png\" alt=\"cat\"></p>\n"
        );
        assert!(
            html("![c](http://example.com/c.png)").contains("src=\"http://example.com/c.png\"")
        );
        for src in [
            "![c](/local.png)",
            "![c](mailto:a@b.org)",
            "![c](data:image/png;base64,AAAA)",
        ] {
            assert!(!html(src).contains("src="), "{src}");
        }
    }

    #[test]
    fn ordered_list_start_is_kept() {
        assert!(html("3. three\n4. four").contains("<ol start=\"3\">"));
    }

    #[test]
    fn mentions_link_only_known_users() {
        let out = html("Hi @alice, @Bob and @mallory!");
        assert_eq!(
            out,
            "<p>Hi <a href=\"/u/alice\" class=\"mention\" rel=\"nofollow noopener noreferrer\">@alice</a>, \
             <a href=\"/u/bob\" class=\"mention\" rel=\"nofollow noopener noreferrer\">@bob</a> and @mallory!</p>\n"
        );
    }

    #[test]
    fn mentions_not_linked_in_code_links_images_or_emails() {
        let out = html(
            "`@alice`\n\n```\n@alice\n```\n\n    @bob indented\n\n[@alice](https://x.org) \
             ![@bob](https://x.org/i.png) alice@example.org <bob@example.org> https://m.example/@carol_1",
        );
        assert!(!out.contains("class=\"mention\""), "{out}");
        assert!(out.contains("<code>@alice</code>"), "{out}");
    }

    #[test]
    fn mentions_in_structures() {
        let out = html("# Ping @alice\n\n> **@bob**\n\n| who |\n|---|\n| @carol_1 |");
        assert_eq!(out.matches("class=\"mention\"").count(), 3, "{out}");
    }

    #[test]
    fn is_user_called_once_per_handle() {
        let calls = std::cell::Cell::new(0);
        let check = |h: &str| {
            calls.set(calls.get() + 1);
            h == "alice"
        };
        let out = render("@alice @alice @Alice @zed @zed", &check).html;
        assert_eq!(out.matches("class=\"mention\"").count(), 3);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn extract_mentions_rules() {
        assert_eq!(
            extract_mentions("@Alice hi @bob, (@carol_1) and @alice again; @x-y!"),
            vec!["alice", "bob", "carol_1", "x-y"]
        );
        // Emails, code, links, too short/long handles, fediverse addresses.
        let none = format!(
            "a@b.org first.last@example.com `@alice` [@bob](/x) <carol@example.org>\n\n\
             ```\n@dave\n```\n\n@e @{} @eve@example.social https://host/@frank",
            "z".repeat(31)
        );
        assert!(
            extract_mentions(&none).is_empty(),
            "{:?}",
            extract_mentions(&none)
        );
        assert_eq!(extract_mentions(&format!("@{}", "z".repeat(30))).len(), 1);
        assert_eq!(
            extract_mentions("**@bold** _@em_ ~~@del~~"),
            vec!["bold", "em", "del"]
        );
        assert_eq!(extract_mentions("line\n@start"), vec!["start"]);
        // Raw HTML is shown literally, not as mentions.
        assert!(extract_mentions("<div>\n@alice\n</div>").is_empty());
    }

    #[test]
    fn plain_text_strips_markup() {
        let src = "# Title\n\nSome **bold** and *it*alic, a [link](https://x.org) and `code`.\n\n\
                   - one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![alt text](https://x.org/i.png)\n\n\
                   <div>\n<b>raw</b> &amp; html\n</div>\n\n```rust\nfn x() {}\n```";
        assert_eq!(
            plain_text(src),
            "Title Some bold and italic, a link and code. one two a b 1 2 alt text raw & html fn x() {}"
        );
        assert_eq!(plain_text("  lots \n\n\n of   space  "), "lots of space");
        assert_eq!(plain_text("- [x] done"), "done");
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn excerpt_cuts_at_word_boundary() {
        let src = "The quick **brown** fox jumps over the lazy dog";
        assert_eq!(
            excerpt(src, 100),
            "The quick brown fox jumps over the lazy dog"
        );
        assert_eq!(
            excerpt(src, 43),
            "The quick brown fox jumps over the lazy dog"
        );
        assert_eq!(excerpt(src, 42), "The quick brown fox jumps over the lazy…");
        assert_eq!(excerpt(src, 12), "The quick…");
        // Cut lands exactly before a space: keep the whole word.
        assert_eq!(excerpt(src, 16), "The quick brown…");
        assert_eq!(excerpt("Supercalifragilistic", 6), "Super…");
        assert_eq!(excerpt("Hello, world again", 10), "Hello…");
        assert_eq!(excerpt("anything", 0), "");
        assert_eq!(excerpt("anything", 1), "…");
        // Multi-byte characters are counted as characters, never split.
        let cut = excerpt("héllo wörld ünïcode", 12);
        assert_eq!(cut, "héllo wörld…");
        for max in 0..30 {
            assert!(excerpt(src, max).chars().count() <= max);
        }
    }

    #[test]
    fn sanitize_highlight_keeps_only_mark() {
        assert_eq!(
            sanitize_highlight("a <mark>hit</mark> & b"),
            "a <mark>hit</mark> &amp; b"
        );
        assert_eq!(
            sanitize_highlight("<img src=x onerror=alert(1)><mark>x</mark>"),
            "&lt;img src=x onerror=alert(1)&gt;<mark>x</mark>"
        );
        assert_eq!(
            sanitize_highlight("<mark onclick=alert(1)>x</mark>"),
            "&lt;mark onclick=alert(1)&gt;x"
        );
        assert_eq!(
            sanitize_highlight("<MARK>x</MARK>"),
            "&lt;MARK&gt;x&lt;/MARK&gt;"
        );
        // Balanced output: stray closers dropped, unclosed marks closed.
        assert_eq!(sanitize_highlight("</mark>a<mark>b"), "a<mark>b</mark>");
        assert_eq!(
            sanitize_highlight("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(sanitize_highlight("<"), "&lt;");
        for vector in XSS_VECTORS {
            let out = sanitize_highlight(vector);
            let without_marks = out.replace("<mark>", "").replace("</mark>", "");
            assert!(!without_marks.contains('<'), "{vector:?} -> {out}");
        }
    }
}
