//! Images in rendered markdown, as readers' browsers receive them. An image
//! loads without a click, so an image on another host tells that host who
//! read the post, when, and from where. Only images on this site's host
//! and on the hosts in `COMMONS_IMAGE_HOSTS` stay images; every other one
//! becomes a link to it, labelled with its alt text. The rewrite happens
//! when stored HTML is served, so a change to the allow-list applies to
//! what was written before it, and it is the same for every reader,
//! moderators reviewing held posts included. The content security policy's
//! `img-src` ([`img_src`]) names the same hosts, in case any image escapes.

use std::borrow::Cow;
use std::collections::BTreeSet;

use regex::{Captures, Regex};
use std::sync::LazyLock;

use crate::config::Config;

/// An `<img>` as the sanitizer serialises it: attribute values are always
/// double-quoted with `"` escaped, so `"[^"]*"` spans a whole value even
/// when it holds `>`.
static IMG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<img((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*/?>"#).expect("static img regex")
});
static ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"([a-z-]+)="([^"]*)""#).expect("static attribute regex"));

/// The hosts whose images load: this site's and the configured ones.
pub fn allowed_hosts(config: &Config) -> BTreeSet<String> {
    let mut hosts = config.image_hosts.clone();
    if let Some(host) = url::Url::parse(&config.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    {
        hosts.insert(host);
    }
    hosts
}

/// `html` with every image whose host is not allowed turned into a link.
/// Borrowed, at the cost of one substring search, when there is no image.
pub fn for_readers<'a>(html: &'a str, config: &Config) -> Cow<'a, str> {
    if !html.contains("<img") {
        return Cow::Borrowed(html);
    }
    let allowed = allowed_hosts(config);
    IMG.replace_all(html, |caps: &Captures<'_>| {
        let attrs: Vec<(&str, &str)> = ATTR
            .captures_iter(caps.get(1).map_or("", |m| m.as_str()))
            .filter_map(|a| Some((a.get(1)?.as_str(), a.get(2)?.as_str())))
            .collect();
        let value = |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let src = value("src").unwrap_or("");
        if host_of(src).is_some_and(|host| allowed.contains(&host)) {
            return caps[0].to_string();
        }
        if src.is_empty() {
            return String::new();
        }
        // Attribute text is escaped for an attribute; as element text `<`
        // and `>` need escaping too.
        let label = value("alt")
            .filter(|alt| !alt.trim().is_empty())
            .unwrap_or("image");
        let label = label.replace('<', "&lt;").replace('>', "&gt;");
        format!("<a href=\"{src}\" rel=\"nofollow noopener noreferrer\">{label}</a>")
    })
}

/// The host an image URL loads from (entities in the serialised attribute
/// decoded first).
fn host_of(src: &str) -> Option<String> {
    let decoded = html_escape::decode_html_entities(src);
    url::Url::parse(&decoded)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

/// The `img-src` directive that matches [`for_readers`]: this site, the
/// allowed hosts over https, and `data:` for the stylesheet's icons.
pub fn img_src(config: &Config) -> String {
    let mut directive = String::from("img-src 'self' data:");
    for host in &config.image_hosts {
        directive.push_str(" https://");
        directive.push_str(host);
    }
    directive
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hosts: &str) -> Config {
        let hosts = hosts.to_string();
        Config::from_lookup(&move |k| match k {
            "COMMONS_IMAGE_HOSTS" => Some(hosts.clone()),
            "COMMONS_PUBLIC_URL" => Some("https://commons.example.org".into()),
            _ => None,
        })
        .expect("config")
    }

    #[test]
    fn images_on_other_hosts_become_links() {
        let html = crate::markdown::render(
            "![a <b> \"pixel\"](https://tracker.example/p.gif?u=1&v=2) and ![ok](https://img.example.org/x.png) and ![own](https://commons.example.org/logo.png)",
            &|_| false,
        )
        .html;
        let out = for_readers(&html, &config("img.example.org"));
        assert!(!out.contains("<img src=\"https://tracker.example"), "{out}");
        assert!(
            out.contains("<a href=\"https://tracker.example/p.gif?u=1&amp;v=2\" rel=\"nofollow noopener noreferrer\">"),
            "{out}"
        );
        assert!(
            out.contains("<img src=\"https://img.example.org/x.png\""),
            "{out}"
        );
        assert!(
            out.contains("<img src=\"https://commons.example.org/logo.png\""),
            "{out}"
        );
        assert!(crate::markdown::find_unsafe_markup(&out).is_none(), "{out}");
        let none = for_readers(&html, &config(""));
        assert!(!none.contains("img.example.org/x.png\" alt"), "{none}");
    }

    #[test]
    fn text_without_images_is_not_copied() {
        assert!(matches!(
            for_readers("<p>hello</p>", &config("")),
            Cow::Borrowed(_)
        ));
    }
}
