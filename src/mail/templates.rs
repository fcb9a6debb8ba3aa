//! Mail templates, kept as files beside this module and compiled in. HTML
//! templates auto-escape every value.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;

const SOURCES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    (
        "verify_email.txt",
        include_str!("templates/verify_email.txt"),
    ),
    (
        "verify_email.html",
        include_str!("templates/verify_email.html"),
    ),
    (
        "reset_password.txt",
        include_str!("templates/reset_password.txt"),
    ),
    (
        "reset_password.html",
        include_str!("templates/reset_password.html"),
    ),
    (
        "notification.txt",
        include_str!("templates/notification.txt"),
    ),
    (
        "notification.html",
        include_str!("templates/notification.html"),
    ),
    (
        "account_exists.txt",
        include_str!("templates/account_exists.txt"),
    ),
    (
        "account_exists.html",
        include_str!("templates/account_exists.html"),
    ),
    ("digest.txt", include_str!("templates/digest.txt")),
    ("digest.html", include_str!("templates/digest.html")),
];

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Auto-escape by extension: .html escapes, .txt does not.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    for &(name, source) in SOURCES {
        if let Err(e) = env.add_template(name, source) {
            // A broken template is a build defect; the render call reports it.
            tracing::error!(template = name, error = %e, "mail template failed to compile");
        }
    }
    env
});

/// Renders `<name>.txt` and `<name>.html` with the same context.
pub fn render(name: &str, context: impl Serialize) -> anyhow::Result<(String, String)> {
    let ctx = minijinja::Value::from_serialize(&context);
    let text = TEMPLATES
        .get_template(&format!("{name}.txt"))?
        .render(&ctx)?;
    let html = TEMPLATES
        .get_template(&format!("{name}.html"))?
        .render(&ctx)?;
    Ok((text, html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut env = Environment::new();
        for &(name, source) in SOURCES {
            if let Err(e) = env.add_template(name, source) {
                panic!("{name}: {e:#}");
            }
        }
    }
}
