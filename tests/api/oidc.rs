//! Sign-in through the program's identity provider, against a real OpenID
//! provider (`oidc_provider`): the tests drive its own login and consent
//! forms over HTTP, as a browser would.

use commons::entities::{session, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, assert_code, assert_no_errors, error_code};
use crate::oidc_provider::provider;

const PUBLIC_URL: &str = "http://commons.test";
const SECRET: &str = "a-client-secret-for-the-test-provider";

/// An app that signs in through the test provider with its own client.
struct Sso {
    app: TestApp,
    client_id: String,
}

fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        backends.push(Backend::Postgres);
    }
    backends
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

impl Sso {
    /// A confidential client; `public` for one without a secret.
    async fn spawn(backend: Backend, extra: &[(&str, &str)], public: bool) -> Sso {
        let idp = provider();
        let client_id = unique("commons");
        let mut vars = vec![
            ("COMMONS_OIDC_ISSUER", idp.issuer.as_str()),
            ("COMMONS_OIDC_CLIENT_ID", client_id.as_str()),
            ("COMMONS_OIDC_SCOPES", "openid email profile program"),
            ("COMMONS_OIDC_DISPLAY_NAME", "All of Us"),
        ];
        if !public {
            vars.push(("COMMONS_OIDC_CLIENT_SECRET", SECRET));
        }
        vars.extend_from_slice(extra);
        let app = TestApp::spawn(backend, &vars).await;
        idp.register_client(
            &client_id,
            (!public).then_some(SECRET),
            PUBLIC_URL,
            &app.url(""),
        )
        .await;
        Sso { app, client_id }
    }
}

/// What the callback answered.
struct Landed {
    status: u16,
    location: Option<String>,
    refusal: Option<String>,
    token: Option<String>,
    /// The callback URL the provider sent the person to.
    callback: String,
}

impl Landed {
    fn token(&self) -> &str {
        assert!(
            self.refusal.is_none(),
            "refused: {:?} (status {})",
            self.refusal,
            self.status
        );
        self.token.as_deref().expect("a session cookie")
    }

    fn refused(&self, code: &str) {
        assert_eq!(
            self.refusal.as_deref(),
            Some(code),
            "status {}",
            self.status
        );
        assert!(self.token.is_none(), "a refused sign-in set a session");
    }
}

/// A browser: keeps the provider's cookies, follows no redirect by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser client")
}

fn location(resp: &reqwest::Response) -> Option<String> {
    let raw = resp.headers().get("location")?.to_str().ok()?;
    resp.url().join(raw).ok().map(|u| u.to_string())
}

fn form_action(html: &str, base: &reqwest::Url) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = start + html[start..].find('"').expect("end of action");
    let action = html[start..end].replace("&amp;", "&");
    base.join(&action).expect("form action URL").to_string()
}

fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("commons_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .filter(|t| !t.is_empty())
}

/// Follows the provider's redirects, filling in its login and consent
/// forms as `sub`, until it sends the person back to the app; returns that
/// callback URL (rewritten to the app's address).
async fn through_provider(
    sso: &Sso,
    browser: &reqwest::Client,
    mut url: String,
    sub: &str,
) -> String {
    for _ in 0..20 {
        if let Some(path) = url.strip_prefix(PUBLIC_URL) {
            return sso.app.url(path);
        }
        let resp = browser.get(&url).send().await.expect("provider page");
        if let Some(next) = location(&resp) {
            url = next;
            continue;
        }
        let page_url = resp.url().clone();
        let html = resp.text().await.expect("provider page body");
        let form: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", sub), ("password", "any")]
        } else if html.contains("value=\"consent\"") {
            vec![("prompt", "consent")]
        } else {
            panic!("unexpected provider page at {page_url}: {html}");
        };
        let resp = browser
            .post(form_action(&html, &page_url))
            .form(&form)
            .send()
            .await
            .expect("provider form");
        url = location(&resp).unwrap_or_else(|| panic!("no redirect after the form at {page_url}"));
    }
    panic!("the provider never sent the person back");
}

async fn callback(sso: &Sso, browser: &reqwest::Client, callback: String) -> Landed {
    let resp = browser.get(&callback).send().await.expect("callback");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let refusal = resp
        .headers()
        .get("x-commons-refusal")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let token = session_cookie(&resp);
    if refusal.is_some() {
        let body = resp.text().await.unwrap_or_default();
        assert!(body.contains("<h1>"), "a refusal is a page: {body}");
        assert!(
            !body.contains("Error:") && !body.contains("panicked"),
            "{body}"
        );
    }
    let _ = sso;
    Landed {
        status,
        location,
        refusal,
        token,
        callback,
    }
}

/// Starts a sign-in at the app; returns the provider URL it redirects to.
async fn start(sso: &Sso, browser: &reqwest::Client, next: &str) -> String {
    let resp = browser
        .get(
            sso.app
                .url(&format!("/auth/oidc/start?next={}", urlencode(next))),
        )
        .send()
        .await
        .expect("start");
    assert_eq!(
        resp.status().as_u16(),
        303,
        "start: {:?}",
        resp.text().await
    );
    location(&resp).expect("redirect to the provider")
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One whole sign-in as `sub` in a fresh browser.
async fn sign_in(sso: &Sso, sub: &str, next: &str) -> Landed {
    let browser = browser();
    sign_in_with(sso, &browser, sub, next).await
}

async fn sign_in_with(sso: &Sso, browser: &reqwest::Client, sub: &str, next: &str) -> Landed {
    let url = start(sso, browser, next).await;
    let back = through_provider(sso, browser, url, sub).await;
    callback(sso, browser, back).await
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.gql_with(
        Some(token),
        "{ me { id email displayName emailVerified tier roles hasPassword } }",
        json!({}),
    )
    .await["data"]["me"]
        .clone()
}

/// An account at the provider with a verified program email; its `sub`.
async fn member(prefix: &str) -> String {
    let sub = unique(prefix);
    provider()
        .account(
            &sub,
            json!({ "email": program_email(&sub), "email_verified": true }),
        )
        .await;
    sub
}

fn program_email(local: &str) -> String {
    format!("{local}@researchallofus.org")
}

async fn user_count(app: &TestApp) -> usize {
    user::Entity::find()
        .all(&app.ctx().db)
        .await
        .expect("users")
        .len()
}

#[tokio::test]
async fn a_program_account_signs_in_and_returns_to_its_page() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let options = sso
            .app
            .gql(
                "{ signInOptions { password provider { displayName startPath } } }",
                json!({}),
            )
            .await;
        assert_no_errors(&options);
        assert_eq!(options["data"]["signInOptions"]["password"], true);
        assert_eq!(
            options["data"]["signInOptions"]["provider"]["displayName"],
            "All of Us"
        );
        let sub = unique("ada");
        let email = program_email(&sub);
        provider()
            .account(
                &sub,
                json!({ "email": email, "email_verified": true, "name": "Ada Lovelace" }),
            )
            .await;
        let landed = sign_in(&sso, &sub, "/bookmarks?from=mail").await;
        let token = landed.token().to_string();
        assert_eq!(landed.status, 303);
        assert_eq!(landed.location.as_deref(), Some("/bookmarks?from=mail"));
        let me1 = me(&sso.app, &token).await;
        assert_eq!(me1["email"], email.as_str());
        assert_eq!(me1["displayName"], "Ada Lovelace");
        assert_eq!(me1["emailVerified"], true);
        // Keyed by issuer and subject: the next sign-in is the same account.
        let again = sign_in(&sso, &sub, "//evil.example/x").await;
        assert_eq!(
            again.location.as_deref(),
            Some("/"),
            "next stays on this site"
        );
        assert_eq!(me(&sso.app, again.token()).await["id"], me1["id"]);
        // The session keeps the ID token and lasts at most 12 hours.
        let row = session::Entity::find()
            .filter(session::Column::TokenHash.eq(commons::auth::tokens::hash(&token)))
            .one(&sso.app.ctx().db)
            .await
            .expect("query")
            .expect("session");
        assert!(row.oidc_id_token.is_some());
        assert!(row.expires_at - row.created_at <= chrono::Duration::hours(12));
        // A signed-in member can write.
        let resp = sso
            .app
            .gql_with(Some(&token), "{ viewer { signedIn verified } }", json!({}))
            .await;
        assert_eq!(resp["data"]["viewer"]["verified"], true);
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn a_flow_begun_on_one_replica_finishes_on_another() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let replica = sso.app.spawn_replica().await;
        let sub = member("replica").await;
        let browser = browser();
        let url = start(&sso, &browser, "/").await;
        let back = through_provider(&sso, &browser, url, &sub).await;
        let on_replica = back.replace(&sso.app.url(""), &replica.url(""));
        assert_ne!(on_replica, back);
        let landed = callback(&sso, &browser, on_replica).await;
        assert!(!me(&sso.app, landed.token()).await.is_null());
        replica.shutdown().await;
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn claims_only_in_userinfo_are_read_from_there_with_a_public_client() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], true).await;
        let sub = unique("grace");
        let email = program_email(&sub);
        provider()
            .account_userinfo_only(
                &sub,
                json!({ "email": email, "email_verified": true, "given_name": "Grace", "family_name": "Hopper" }),
            )
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        let me = me(&sso.app, landed.token()).await;
        assert_eq!(me["email"], email.as_str());
        assert_eq!(me["displayName"], "Grace Hopper");
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn a_replayed_code_and_a_tampered_state_are_refused() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = member("replay").await;
        let browser = browser();
        let first = sign_in_with(&sso, &browser, &sub, "/").await;
        first.token();
        // The same callback again: its state is used up.
        let replayed = callback(&sso, &browser, first.callback.clone()).await;
        replayed.refused("unknown_flow");
        // The old code with a fresh, valid state: the provider refuses it.
        let url = start(&sso, &browser, "/").await;
        let fresh = through_provider(&sso, &browser, url, &sub).await;
        let state = |u: &str| {
            reqwest::Url::parse(u)
                .expect("url")
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.to_string())
                .expect("state")
        };
        let code = reqwest::Url::parse(&first.callback)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.to_string())
            .expect("code");
        let old_code = sso.app.url(&format!(
            "/auth/oidc/callback?code={}&state={}",
            urlencode(&code),
            urlencode(&state(&fresh))
        ));
        callback(&sso, &browser, old_code)
            .await
            .refused("code_rejected");
        // A tampered state finds no flow.
        let url = start(&sso, &browser, "/").await;
        let back = through_provider(&sso, &browser, url, &sub).await;
        let tampered = back.replace(
            &format!("state={}", urlencode(&state(&back))),
            "state=forged",
        );
        callback(&sso, &browser, tampered)
            .await
            .refused("unknown_flow");
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn unverified_and_foreign_emails_are_refused() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let before = user_count(&sso.app).await;
        let cases = [
            (
                json!({ "email": program_email("u1"), "email_verified": false }),
                "email_unverified",
            ),
            (json!({ "email": program_email("u2") }), "email_unverified"),
            (
                json!({ "email": "someone@gmail.com", "email_verified": true }),
                "foreign_domain",
            ),
            (
                json!({ "email": program_email("u3"), "email_verified": true, "hd": "gmail.com" }),
                "foreign_hosted_domain",
            ),
            (json!({ "email_verified": true }), "no_email"),
        ];
        for (claims, code) in cases {
            let sub = unique("refused");
            provider().account(&sub, claims).await;
            let landed = sign_in(&sso, &sub, "/").await;
            landed.refused(code);
            assert_eq!(landed.status, if code == "no_email" { 400 } else { 403 });
        }
        assert_eq!(user_count(&sso.app).await, before, "no account was created");
        sso.app.shutdown().await;

        // Trusted emails: no `email_verified` is enough, an explicit false is not.
        let sso = Sso::spawn(backend, &[("COMMONS_OIDC_TRUST_EMAIL", "true")], false).await;
        let sub = unique("entra");
        provider()
            .account(&sub, json!({ "email": program_email(&sub) }))
            .await;
        sign_in(&sso, &sub, "/").await.token();
        let sub = unique("entra");
        provider()
            .account(
                &sub,
                json!({ "email": program_email(&sub), "email_verified": false }),
            )
            .await;
        sign_in(&sso, &sub, "/").await.refused("email_unverified");
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn a_verified_password_account_is_linked_and_an_unverified_one_is_not() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let handle = unique("linked").replace('-', "");
        let member = sso.app.researcher(&handle).await;
        // A reset link mailed before the link must not bring the password back.
        let resp = sso
            .app
            .gql(
                "mutation($e: String!) { requestPasswordReset(email: $e) }",
                json!({ "e": member.email }),
            )
            .await;
        assert_no_errors(&resp);
        sso.app.run_jobs().await;
        let reset = sso.app.token_from_mail(&member.email, "reset-password");
        let sub = unique("sub");
        provider()
            .account(
                &sub,
                json!({ "email": member.email, "email_verified": true }),
            )
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        let linked = me(&sso.app, landed.token()).await;
        assert_eq!(linked["id"], member.id.as_str());
        assert_eq!(linked["hasPassword"], false);
        // Linking turns the password off, and its sessions end.
        let resp = sso
            .app
            .gql(
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                json!({ "e": member.email, "p": PASSWORD }),
            )
            .await;
        assert_code(&resp, "INVALID_CREDENTIALS");
        assert!(me(&sso.app, &member.token).await.is_null());
        let resp = sso
            .app
            .gql(
                "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }",
                json!({ "t": reset, "p": "a brand new password" }),
            )
            .await;
        assert_code(&resp, "FORBIDDEN");

        // An unconfirmed password account with the address is never linked.
        let email = program_email(&unique("unconfirmed"));
        let resp = sso
            .app
            .gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": email, "password": PASSWORD, "displayName": "Someone" } }),
            )
            .await;
        assert_no_errors(&resp);
        let sub = unique("sub");
        provider()
            .account(&sub, json!({ "email": email, "email_verified": true }))
            .await;
        sign_in(&sso, &sub, "/")
            .await
            .refused("unverified_password_account");
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn the_account_follows_a_new_email_unless_another_account_has_it() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = unique("mover");
        let first = program_email(&unique("first"));
        provider()
            .account(&sub, json!({ "email": first, "email_verified": true }))
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        let id = me(&sso.app, landed.token()).await["id"].clone();
        let second = program_email(&unique("second"));
        provider()
            .account(&sub, json!({ "email": second, "email_verified": true }))
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        let after = me(&sso.app, landed.token()).await;
        assert_eq!(after["id"], id);
        assert_eq!(after["email"], second.as_str());
        // The next address belongs to someone else: refused, nothing merges.
        let other = sso.app.researcher(&unique("other").replace('-', "")).await;
        provider()
            .account(
                &sub,
                json!({ "email": other.email, "email_verified": true }),
            )
            .await;
        sign_in(&sso, &sub, "/").await.refused("email_taken");
        let token = landed.token().to_string();
        assert_eq!(me(&sso.app, &token).await["email"], second.as_str());
        assert_eq!(
            me(&sso.app, &other.token).await["email"],
            other.email.as_str()
        );
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn tier_and_roles_follow_the_claims_at_every_sign_in() {
    let mapping = [
        ("COMMONS_OIDC_TIER_CLAIM", "commons_tier"),
        ("COMMONS_OIDC_ROLES_CLAIM", "commons_roles"),
    ];
    for backend in backends() {
        let sso = Sso::spawn(backend, &mapping, true).await;
        let sub = unique("staff");
        let email = program_email(&sub);
        provider()
            .account(
                &sub,
                json!({ "email": email, "email_verified": true,
                        "commons_tier": "controlled", "commons_roles": ["moderator", "commons-admin", "pilot"] }),
            )
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        let me1 = me(&sso.app, landed.token()).await;
        assert_eq!(me1["tier"], "CONTROLLED");
        let roles = me1["roles"].as_array().expect("roles").clone();
        for role in ["RESEARCHER", "MODERATOR", "ADMIN"] {
            assert!(roles.contains(&json!(role)), "{role} in {roles:?}");
        }
        // The provider takes the tier and the admin role away.
        provider()
            .account(
                &sub,
                json!({ "email": email, "email_verified": true,
                        "commons_tier": "registered", "commons_roles": "moderator" }),
            )
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        let me2 = me(&sso.app, landed.token()).await;
        assert_eq!(me2["tier"], "REGISTERED");
        assert_eq!(me2["roles"], json!(["RESEARCHER", "MODERATOR"]));
        // No claim at all: the least.
        provider()
            .account(&sub, json!({ "email": email, "email_verified": true }))
            .await;
        let landed = sign_in(&sso, &sub, "/").await;
        assert_eq!(
            me(&sso.app, landed.token()).await["roles"],
            json!(["RESEARCHER"])
        );
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn a_suspended_account_is_refused_whatever_the_provider_says() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = member("suspended").await;
        let landed = sign_in(&sso, &sub, "/").await;
        let id = me(&sso.app, landed.token()).await["id"].clone();
        let admin = sso.app.admin(&unique("admin").replace('-', "")).await;
        admin
            .ok(
                "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
                json!({ "i": { "userId": id, "status": "SUSPENDED" } }),
            )
            .await;
        sign_in(&sso, &sub, "/").await.refused("suspended");
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn bad_id_tokens_are_refused() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = member("victim").await;
        for mode in [
            "wrong_audience",
            "expired",
            "alg_none",
            "unknown_kid",
            "wrong_nonce",
            "wrong_issuer",
        ] {
            provider().tamper(&sso.client_id, mode).await;
            let landed = sign_in(&sso, &sub, "/").await;
            assert_eq!(
                landed.refusal.as_deref(),
                Some("invalid_id_token"),
                "{mode}"
            );
            assert!(landed.token.is_none(), "{mode} set a session");
        }
        let live = session::Entity::find()
            .all(&sso.app.ctx().db)
            .await
            .expect("sessions");
        assert!(live.is_empty(), "no session from a bad token");
        // The provider's own token still works.
        sign_in(&sso, &sub, "/").await.token();
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn a_new_signing_key_is_fetched_at_most_once_a_minute() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = member("rotation").await;
        // Discovery fetched the keys.
        sign_in(&sso, &sub, "/").await.token();
        provider().rotate_key(&sso.client_id).await;
        // Within the minute the new key is not fetched: refused.
        provider().tamper(&sso.client_id, "rotated").await;
        sign_in(&sso, &sub, "/").await.refused("invalid_id_token");
        // Past it, the unknown key id fetches the keys again.
        sso.app.ctx().clock.advance(chrono::Duration::seconds(61));
        provider().tamper(&sso.client_id, "rotated").await;
        sign_in(&sso, &sub, "/").await.token();
        sso.app.shutdown().await;
    }
}

async fn post_logout(app: &TestApp, token: &str) -> (u16, Value) {
    let resp = app
        .http()
        .post(app.url("/auth/oidc/backchannel-logout"))
        .form(&[("logout_token", token)])
        .send()
        .await
        .expect("logout post");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn back_channel_logout_ends_the_sessions_once() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = member("leaver").await;
        let one = sign_in(&sso, &sub, "/").await;
        let two = sign_in(&sso, &sub, "/").await;
        let id = me(&sso.app, one.token()).await["id"].clone();
        assert!(!id.is_null());

        // Tokens that fail a check change nothing.
        for bad in [
            json!({ "sub": sub, "nonce": "n" }),
            json!({ "sub": sub, "typ": "JWT" }),
            json!({ "sub": sub, "no_events": true }),
            json!({ "sub": sub, "stranger": true }),
            json!({ "sub": sub, "aud": "another-client" }),
            json!({ "sub": sub, "iss": "http://127.0.0.1:1" }),
            json!({}),
        ] {
            let token = provider().logout_token(&sso.client_id, bad.clone()).await;
            let (status, _) = post_logout(&sso.app, &token).await;
            assert_eq!(status, 400, "{bad}");
        }
        assert!(!me(&sso.app, one.token()).await.is_null());

        // By the provider's session id: that session only.
        let row = session::Entity::find()
            .filter(session::Column::TokenHash.eq(commons::auth::tokens::hash(one.token())))
            .one(&sso.app.ctx().db)
            .await
            .expect("query")
            .expect("session");
        let sid = row.oidc_sid.expect("the provider's sid is kept");
        let token = provider()
            .logout_token(&sso.client_id, json!({ "sid": sid }))
            .await;
        assert_eq!(post_logout(&sso.app, &token).await.0, 200);
        assert!(me(&sso.app, one.token()).await.is_null());
        assert!(!me(&sso.app, two.token()).await.is_null());

        // By subject: every session of the person.
        let token = provider()
            .logout_token(&sso.client_id, json!({ "sub": sub }))
            .await;
        assert_eq!(post_logout(&sso.app, &token).await.0, 200);
        assert!(me(&sso.app, one.token()).await.is_null());
        assert!(me(&sso.app, two.token()).await.is_null());
        // The same token again is a replay.
        let again = sign_in(&sso, &sub, "/").await;
        let (status, body) = post_logout(&sso.app, &token).await;
        assert_eq!(status, 400);
        assert_eq!(body["error_description"], "replayed_logout_token");
        assert!(!me(&sso.app, again.token()).await.is_null());
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn signing_out_ends_the_provider_session_which_logs_out_the_other_sessions() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[], false).await;
        let sub = member("everywhere").await;
        // Two sessions here from one session at the provider.
        let browser = browser();
        let one = sign_in_with(&sso, &browser, &sub, "/").await;
        let two = sign_in_with(&sso, &browser, &sub, "/").await;
        let resp = sso
            .app
            .http()
            .post(sso.app.url("/auth/oidc/sign-out"))
            .header("cookie", format!("commons_session={}", one.token()))
            .header("x-commons-csrf", "1")
            .send()
            .await
            .expect("sign out");
        assert_eq!(resp.status().as_u16(), 200);
        let body: Value = resp.json().await.expect("json");
        let end_session = body["redirect"]
            .as_str()
            .expect("the provider's end-session URL");
        assert!(end_session.starts_with(&provider().issuer), "{end_session}");
        assert!(end_session.contains("id_token_hint="), "{end_session}");
        assert!(me(&sso.app, one.token()).await.is_null());
        // The person confirms at the provider, which tells every client.
        let resp = browser.get(end_session).send().await.expect("end session");
        let page_url = resp.url().clone();
        let html = resp.text().await.expect("logout page");
        let xsrf_at =
            html.find("name=\"xsrf\" value=\"").expect("xsrf") + "name=\"xsrf\" value=\"".len();
        let xsrf = &html[xsrf_at..xsrf_at + html[xsrf_at..].find('"').expect("end")];
        let resp = browser
            .post(form_action(&html, &page_url))
            .form(&[("xsrf", xsrf), ("logout", "yes")])
            .send()
            .await
            .expect("confirm logout");
        assert!(resp.status().is_redirection(), "{}", resp.status());
        assert!(
            me(&sso.app, two.token()).await.is_null(),
            "back-channel logout ended the other session"
        );
        sso.app.shutdown().await;
    }
}

#[tokio::test]
async fn with_password_sign_in_off_only_the_provider_signs_people_in() {
    for backend in backends() {
        let sso = Sso::spawn(backend, &[("COMMONS_PASSWORD_SIGN_IN", "false")], false).await;
        let app = &sso.app;
        let options = app.gql("{ signInOptions { password } }", json!({})).await;
        assert_eq!(options["data"]["signInOptions"]["password"], false);
        let email = program_email(&unique("nopass"));
        for (query, vars) in [
            (
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": PASSWORD }),
            ),
            (
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": email, "password": PASSWORD, "displayName": "No Pass" } }),
            ),
            (
                "mutation($e: String!) { requestPasswordReset(email: $e) }",
                json!({ "e": email }),
            ),
            (
                "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }",
                json!({ "t": "x", "p": PASSWORD }),
            ),
        ] {
            let resp = app.gql(query, vars).await;
            assert_eq!(
                error_code(&resp),
                "PASSWORD_SIGN_IN_DISABLED",
                "{query}: {resp}"
            );
        }
        assert_eq!(user_count(app).await, 0);
        let sub = unique("sso");
        provider()
            .account(&sub, json!({ "email": email, "email_verified": true }))
            .await;
        sign_in(&sso, &sub, "/").await.token();
        sso.app.shutdown().await;
    }
}
