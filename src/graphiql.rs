//! The GraphiQL page on `GET /graphql`, and a content security policy of
//! its own that names exactly what the page loads: its scripts and
//! stylesheet by full URL, its inline script and style by hash. The policy
//! is read off the page itself, so an upgrade that changes what the page
//! loads changes the policy with it. The page is served only when
//! `COMMONS_GRAPHIQL` is on (off in production by default).

use regex::Regex;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub struct GraphiqlPage {
    pub html: String,
    pub csp: String,
}

pub static PAGE: LazyLock<GraphiqlPage> = LazyLock::new(|| {
    let html = async_graphql::http::GraphiQLSource::build()
        .endpoint("/graphql")
        .title("Research Commons GraphQL")
        .finish();
    let csp = policy_for(&html);
    GraphiqlPage { html, csp }
});

fn matches(pattern: &str, html: &str) -> Vec<String> {
    Regex::new(pattern)
        .expect("static GraphiQL pattern")
        .captures_iter(html)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

fn hash(text: &str) -> String {
    use base64::Engine as _;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The policy for `html`: every external script, stylesheet and icon by
/// URL, every inline script and style by hash, requests to this origin only.
fn policy_for(html: &str) -> String {
    let mut scripts = matches(r#"(?s)<script[^>]*\ssrc="([^"]+)""#, html);
    scripts.extend(
        matches(r"(?s)<script>(.*?)</script>", html)
            .iter()
            .map(|s| hash(s)),
    );
    let mut styles = matches(r#"<link[^>]*rel="stylesheet"[^>]*href="([^"]+)""#, html);
    styles.extend(
        matches(r"(?s)<style>(.*?)</style>", html)
            .iter()
            .map(|s| hash(s)),
    );
    let icons = matches(r#"<link[^>]*rel="icon"[^>]*href="([^"]+)""#, html);
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data: {}; font-src data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        scripts.join(" "),
        styles.join(" "),
        icons.join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_every_script_the_page_loads() {
        let page = &*PAGE;
        for src in matches(r#"<script[^>]*\ssrc="([^"]+)""#, &page.html) {
            assert!(page.csp.contains(&src), "{src} missing from {}", page.csp);
        }
        assert!(page.csp.contains("'sha256-"), "{}", page.csp);
        assert!(!page.csp.contains("unsafe"), "{}", page.csp);
        assert!(!page.csp.contains("https: "), "{}", page.csp);
    }
}
