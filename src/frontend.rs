//! The web UI's files (`frontend/`), embedded in the binary: served by
//! `http`, and read by `telemetry` for the operation names it labels; and
//! the plain pages the server answers outside the app (unsubscribing,
//! sign-in refusals).

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "frontend/"]
pub struct Frontend;

/// The frontend's scripts.
pub fn scripts() -> impl Iterator<Item = std::borrow::Cow<'static, [u8]>> {
    Frontend::iter()
        .filter(|name| name.ends_with(".js"))
        .filter_map(|name| Frontend::get(&name).map(|file| file.data))
}

/// A plain page in the site's style, for answers outside the app. `title`
/// is text; `body_html` is trusted markup. Never cached.
pub fn plain_page(status: poem::http::StatusCode, title: &str, body_html: &str) -> poem::Response {
    let title = html_escape::encode_text(title);
    poem::Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(poem::http::header::CACHE_CONTROL, "no-store")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <link rel=\"stylesheet\" href=\"/css/app.css\"></head><body><main class=\"page narrow\">\
             <h1>{title}</h1>{body_html}<p><a href=\"/\">Research Commons</a></p></main></body></html>"
        ))
}
