//! Where to go after signing in: a path on this site, never another origin.

/// `next` if it is a same-origin path (`/bookmarks?from=mail`), else `/`.
/// Refused: anything not starting with a single `/`, backslashes (browsers
/// read `/\evil.example` as another host), control characters and
/// whitespace, and anything that resolves to another origin.
pub fn same_origin(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".into();
    };
    let bad = !next.starts_with('/')
        || next.starts_with("//")
        || next.len() > 500
        || next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if bad {
        return "/".into();
    }
    let Ok(base) = url::Url::parse("http://commons.invalid/") else {
        return "/".into();
    };
    match base.join(next) {
        Ok(url) if url.origin() == base.origin() => {
            let mut path = url.path().to_string();
            if let Some(query) = url.query() {
                path.push('?');
                path.push_str(query);
            }
            if path.starts_with("/auth/") {
                return "/".into();
            }
            path
        }
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn only_paths_on_this_site() {
        for (next, expected) in [
            ("/\\evil.example/x", "/"),
            ("/\\/evil.example/x", "/"),
            ("//evil.example/x", "/"),
            ("/\t/evil.example/x", "/"),
            ("https://evil.example/x", "/"),
            ("javascript:alert(1)", "/"),
            ("/auth/oidc/start", "/"),
            ("/bookmarks?from=mail", "/bookmarks?from=mail"),
            ("/t/42", "/t/42"),
        ] {
            assert_eq!(same_origin(Some(next)), expected, "{next:?}");
        }
        assert_eq!(same_origin(None), "/");
    }
}
