//! Links and pages cannot track readers: images from hosts off the
//! allow-list reach readers as links (moderators reviewing a held post
//! included), the frontend's `img-src` names the same hosts, and GraphiQL
//! is served only when switched on, under a policy naming what it loads.

use serde_json::json;

use crate::{
    forum::{CREATE_POST, s, setup, start_thread},
    helpers::{TestApp, on_each_backend, on_each_backend_with},
};

const TRACKER: &str = "https://tracker.example/pixel.gif?reader=1";
const ALLOWED: &str = "https://images.example.org/figure.png";

fn body() -> String {
    format!("Results: ![tracking pixel]({TRACKER}) and ![figure 1]({ALLOWED})")
}

/// A new member's first reply, held for review, as the moderator reviewing
/// it reads it.
async fn held_reply_as_moderator_sees_it(app: &TestApp) -> String {
    let f = setup(app).await;
    let (thread, _) = start_thread(
        &f.moderator,
        &f.methods,
        "Figures",
        "Post your figures.",
        &[],
    )
    .await;
    let newcomer = app.researcher("newcomer").await;
    let created = newcomer
        .ok(
            CREATE_POST,
            json!({ "i": { "threadId": thread, "body": body() } }),
        )
        .await;
    let id = s(&created["createPost"]["id"]);
    let data = f
        .moderator
        .ok(
            "query($id: ID!) { post(id: $id) { moderationState bodyHtml } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["post"]["moderationState"], "HELD", "{data:#}");
    s(&data["post"]["bodyHtml"])
}

#[tokio::test]
async fn images_from_other_hosts_reach_readers_as_links() {
    on_each_backend(|app| async move {
        let html = held_reply_as_moderator_sees_it(&app).await;
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://tracker.example/pixel.gif?reader=1\" rel=\"nofollow noopener noreferrer\">tracking pixel</a>"),
            "{html}"
        );
    })
    .await;
}

#[tokio::test]
async fn images_on_allowed_hosts_still_load() {
    on_each_backend_with(
        &[("COMMONS_IMAGE_HOSTS", "images.example.org")],
        |app| async move {
            let html = held_reply_as_moderator_sees_it(&app).await;
            assert!(html.contains(&format!("<img src=\"{ALLOWED}\"")), "{html}");
            assert!(
                !html.contains("<img src=\"https://tracker.example"),
                "{html}"
            );
            // The page's policy lets the browser load exactly those hosts.
            let resp = app.http().get(app.url("/")).send().await.expect("page");
            let csp = resp.headers()["content-security-policy"]
                .to_str()
                .expect("csp")
                .to_string();
            assert!(
                csp.contains("img-src 'self' data: https://images.example.org;"),
                "{csp}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn the_frontend_policy_loads_no_images_from_elsewhere_by_default() {
    on_each_backend(|app| async move {
        let resp = app.http().get(app.url("/t/1")).send().await.expect("page");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_string();
        assert!(csp.contains("img-src 'self' data:;"), "{csp}");
        assert!(!csp.contains("https:"), "{csp}");
    })
    .await;
}

#[tokio::test]
async fn graphiql_is_served_only_when_switched_on() {
    on_each_backend_with(&[("COMMONS_GRAPHIQL", "false")], |app| async move {
        let resp = app
            .http()
            .get(app.url("/graphql"))
            .send()
            .await
            .expect("graphiql");
        assert_eq!(resp.status(), 404);
        // Queries over GET still work.
        let resp = app
            .http()
            .get(app.url("/graphql?query=%7B__typename%7D"))
            .send()
            .await
            .expect("get query");
        assert_eq!(resp.status(), 200);
    })
    .await;
    on_each_backend_with(&[("COMMONS_GRAPHIQL", "true")], |app| async move {
        let resp = app
            .http()
            .get(app.url("/graphql"))
            .send()
            .await
            .expect("graphiql");
        assert_eq!(resp.status(), 200);
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_string();
        let page = resp.text().await.expect("page");
        assert!(page.contains("graphiql"), "{page}");
        // Every script the page loads is named by its full URL; nothing
        // else may run, and requests go only to this origin.
        for src in page
            .split("src=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            assert!(csp.contains(src), "{src} is not in {csp}");
        }
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-"), "{csp}");
        assert!(
            !csp.contains("https: ") && !csp.contains("https://unpkg.com;"),
            "{csp}"
        );
    })
    .await;
}

#[tokio::test]
async fn graphiql_is_off_in_production_unless_switched_on() {
    let production = |extra: &[(&str, &str)]| {
        let mut vars: std::collections::HashMap<String, String> = [
            ("COMMONS_ENV", "production"),
            ("COMMONS_DATABASE_URL", "postgres://db/commons"),
            ("COMMONS_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("COMMONS_MAILER", "smtp"),
            ("COMMONS_SMTP_URL", "smtp://mail:587"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        commons::config::Config::from_lookup(&move |k| vars.get(k).cloned()).expect("config")
    };
    assert!(!production(&[]).graphiql);
    assert!(production(&[("COMMONS_GRAPHIQL", "true")]).graphiql);
    assert!(production(&[]).trusted_proxies.is_empty());
    assert!(production(&[]).image_hosts.is_empty());
}
