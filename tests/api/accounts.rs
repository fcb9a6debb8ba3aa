//! The account story: sign up, verify, sign in, `me`, sign out; and every
//! refusal along the way.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::*;

const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { email } }";
const SIGN_IN: &str =
    "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token user { id } } }";
const VERIFY: &str = "mutation($t: String!) { verifyEmail(token: $t) { id emailVerified } }";
const ME: &str = "{ me { id handle email displayName emailVerified roles tier } }";

fn sign_up_vars(email: &str) -> serde_json::Value {
    json!({ "i": { "email": email, "password": PASSWORD, "displayName": "Priya Raman", "institution": "VUMC" } })
}

#[tokio::test]
async fn sign_up_verify_sign_in_me_sign_out() {
    on_each_backend(|app| async move {
        let email = "Priya.Raman@ResearchAllOfUs.org";
        let resp = app.gql(SIGN_UP, sign_up_vars(email)).await;
        assert_no_errors(&resp);
        assert_eq!(
            resp["data"]["signUp"]["email"],
            "priya.raman@researchallofus.org"
        );

        // The verification mail goes out through the jobs table.
        assert!(app.mail().is_empty(), "mail must wait for the worker");
        assert_eq!(app.run_jobs().await, 1);
        let lower = "priya.raman@researchallofus.org";
        let mails = app.mail_to(lower);
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0]
                .html
                .as_deref()
                .unwrap_or("")
                .contains("Confirm my email")
        );

        // Signed in but unverified: `me` answers, emailVerified is false.
        let session = app.sign_in(email).await;
        let me = session.ok(ME, json!({})).await;
        assert_eq!(me["me"]["email"], lower);
        assert_eq!(me["me"]["handle"], "priya-raman");
        assert_eq!(me["me"]["emailVerified"], false);

        let token = app.token_from_mail(lower, "verify");
        let verified = app.gql(VERIFY, json!({ "t": token })).await;
        assert_no_errors(&verified);
        assert_eq!(verified["data"]["verifyEmail"]["id"], session.id.as_str());

        let me = session.ok(ME, json!({})).await;
        assert_eq!(me["me"]["emailVerified"], true);
        assert_eq!(me["me"]["roles"], json!(["RESEARCHER"]));
        assert_eq!(me["me"]["tier"], "REGISTERED");

        session.ok("mutation { signOut }", json!({})).await;
        let after = session.gql(ME, json!({})).await;
        assert_no_errors(&after);
        assert!(after["data"]["me"].is_null(), "a signed-out token is dead");
    })
    .await;
}

#[tokio::test]
async fn disallowed_domain_is_refused() {
    on_each_backend(|app| async move {
        let resp = app.gql(SIGN_UP, sign_up_vars("someone@gmail.com")).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "email");
        assert!(
            resp["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("researchallofus.org")
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_password_is_refused() {
    on_each_backend(|app| async move {
        let s = app.researcher("wrongpw").await;
        let resp = app
            .gql(SIGN_IN, json!({ "e": s.email, "p": "not the password" }))
            .await;
        assert_code(&resp, "INVALID_CREDENTIALS");
        let resp = app
            .gql(
                SIGN_IN,
                json!({ "e": "nobody@researchallofus.org", "p": PASSWORD }),
            )
            .await;
        assert_code(&resp, "INVALID_CREDENTIALS");
    })
    .await;
}

#[tokio::test]
async fn a_taken_email_creates_nothing_whatever_the_case() {
    on_each_backend(|app| async move {
        let first = app
            .gql(SIGN_UP, sign_up_vars("dup@researchallofus.org"))
            .await;
        assert_no_errors(&first);
        let again = app
            .gql(SIGN_UP, sign_up_vars("DUP@researchallofus.org"))
            .await;
        // The same answer as for a new address (tests/api/trust_accounts.rs).
        assert_eq!(again, first);
        let accounts = commons::entities::user::Entity::find()
            .filter(commons::entities::user::Column::Email.eq("dup@researchallofus.org"))
            .count(&app.ctx().db)
            .await
            .expect("count");
        assert_eq!(accounts, 1);
    })
    .await;
}

#[tokio::test]
async fn verification_tokens_are_single_use_and_expire() {
    on_each_backend(|app| async move {
        let email = "tok@researchallofus.org";
        assert_no_errors(&app.gql(SIGN_UP, sign_up_vars(email)).await);
        app.run_jobs().await;
        let token = app.token_from_mail(email, "verify");
        assert_no_errors(&app.gql(VERIFY, json!({ "t": token })).await);
        let reused = app.gql(VERIFY, json!({ "t": token })).await;
        assert_code(&reused, "VALIDATION");
        assert!(
            reused["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("already been used")
        );

        let email = "late@researchallofus.org";
        assert_no_errors(&app.gql(SIGN_UP, sign_up_vars(email)).await);
        app.run_jobs().await;
        let token = app.token_from_mail(email, "verify");
        app.ctx().clock.advance(chrono::Duration::hours(49));
        let expired = app.gql(VERIFY, json!({ "t": token })).await;
        assert_code(&expired, "VALIDATION");
        assert!(
            expired["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("expired")
        );

        let bogus = app.gql(VERIFY, json!({ "t": "not-a-token" })).await;
        assert_code(&bogus, "VALIDATION");
    })
    .await;
}

#[tokio::test]
async fn suspended_user_is_cut_off_at_once() {
    on_each_backend(|app| async move {
        let admin = app.admin("root").await;
        let user = app.researcher("troll").await;
        assert!(!user.ok(ME, json!({})).await["me"].is_null());

        admin
            .ok(
                "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id status } }",
                json!({ "i": { "userId": user.id, "status": "SUSPENDED" } }),
            )
            .await;
        // The live session stops working on the next request...
        let me = user.gql(ME, json!({})).await;
        assert!(me["data"]["me"].is_null(), "{me:#}");
        let write = user.gql("mutation { signOutEverywhere }", json!({})).await;
        assert_code(&write, "UNAUTHENTICATED");
        // ...and signing in again is refused.
        let again = app
            .gql(SIGN_IN, json!({ "e": user.email, "p": PASSWORD }))
            .await;
        assert_code(&again, "FORBIDDEN");
    })
    .await;
}

#[tokio::test]
async fn only_admins_change_roles_tier_and_status() {
    on_each_backend(|app| async move {
        let mallory = app.researcher("mallory").await;
        let victim = app.researcher("victim").await;
        for change in [
            json!({ "userId": mallory.id, "roles": ["ADMIN"] }),
            json!({ "userId": victim.id, "tier": "CONTROLLED" }),
            json!({ "userId": victim.id, "status": "SUSPENDED" }),
        ] {
            let resp = mallory
                .gql(
                    "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
                    json!({ "i": change }),
                )
                .await;
            assert_code(&resp, "FORBIDDEN");
        }
        let anonymous = app
            .gql(
                "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
                json!({ "i": { "userId": victim.id, "roles": ["ADMIN"] } }),
            )
            .await;
        assert_code(&anonymous, "UNAUTHENTICATED");

        let admin = app.admin("boss").await;
        let data = admin
            .ok(
                "mutation($i: UpdateUserInput!) { updateUser(input: $i) { roles tier } }",
                json!({ "i": { "userId": victim.id, "roles": ["RESEARCHER", "REVIEWER"], "tier": "CONTROLLED" } }),
            )
            .await;
        assert_eq!(data["updateUser"]["roles"], json!(["RESEARCHER", "REVIEWER"]));
        assert_eq!(data["updateUser"]["tier"], "CONTROLLED");
    })
    .await;
}

#[tokio::test]
async fn password_reset_by_emailed_link_signs_out_everywhere() {
    on_each_backend(|app| async move {
        let user = app.researcher("forgetful").await;
        let resp = app
            .gql(
                "mutation($e: String!) { requestPasswordReset(email: $e) }",
                json!({ "e": user.email }),
            )
            .await;
        assert_no_errors(&resp);
        // Unknown addresses get the same answer (no account probing).
        let unknown = app
            .gql(
                "mutation($e: String!) { requestPasswordReset(email: $e) }",
                json!({ "e": "ghost@researchallofus.org" }),
            )
            .await;
        assert_eq!(unknown["data"]["requestPasswordReset"], true);
        app.run_jobs().await;
        let token = app.token_from_mail(&user.email, "reset-password");
        let reset =
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
        let short = app.gql(reset, json!({ "t": token, "p": "short" })).await;
        assert_code(&short, "VALIDATION");
        assert_no_errors(
            &app.gql(reset, json!({ "t": token, "p": "a brand new passphrase" }))
                .await,
        );
        assert!(
            user.gql(ME, json!({})).await["data"]["me"].is_null(),
            "old sessions revoked"
        );
        let old = app
            .gql(SIGN_IN, json!({ "e": user.email, "p": PASSWORD }))
            .await;
        assert_code(&old, "INVALID_CREDENTIALS");
        let new = app
            .gql(
                SIGN_IN,
                json!({ "e": user.email, "p": "a brand new passphrase" }),
            )
            .await;
        assert_no_errors(&new);
        let reused = app
            .gql(reset, json!({ "t": token, "p": "yet another passphrase" }))
            .await;
        assert_code(&reused, "VALIDATION");
    })
    .await;
}

#[tokio::test]
async fn sign_in_sets_an_http_only_cookie_that_authenticates() {
    on_each_backend(|app| async move {
        let user = app.researcher("cookie").await;
        let resp = app
            .http()
            .post(app.url("/graphql"))
            .json(&json!({ "query": SIGN_IN, "variables": { "e": user.email, "p": PASSWORD } }))
            .send()
            .await
            .expect("sign in");
        let cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("set-cookie")
            .to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(
            !cookie.contains("Secure"),
            "not Secure outside production: {cookie}"
        );
        let pair = cookie.split(';').next().unwrap_or("").to_string();
        let me: serde_json::Value = app
            .http()
            .post(app.url("/graphql"))
            .header("cookie", &pair)
            .json(&json!({ "query": ME }))
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        assert_eq!(me["data"]["me"]["handle"], "cookie");
    })
    .await;
}

#[tokio::test]
async fn sign_out_everywhere_revokes_every_session() {
    on_each_backend(|app| async move {
        let laptop = app.researcher("traveller").await;
        let phone = app.sign_in(&laptop.email).await;
        let n = phone.ok("mutation { signOutEverywhere }", json!({})).await;
        assert_eq!(n["signOutEverywhere"], 2);
        assert!(laptop.gql(ME, json!({})).await["data"]["me"].is_null());
        assert!(phone.gql(ME, json!({})).await["data"]["me"].is_null());
    })
    .await;
}

#[tokio::test]
async fn private_fields_stay_private() {
    on_each_backend(|app| async move {
        let a = app.researcher("alice").await;
        let b = app.researcher("bob").await;
        let data = a
            .ok(
                "query($id: ID) { user(id: $id) { handle email emailVerified lastSeenAt status } }",
                json!({ "id": b.id }),
            )
            .await;
        assert_eq!(data["user"]["handle"], "bob");
        assert!(data["user"]["email"].is_null());
        assert!(data["user"]["emailVerified"].is_null());
        assert!(data["user"]["status"].is_null());
        let anon = app
            .gql(
                "query($id: ID) { user(id: $id) { handle } }",
                json!({ "id": b.id }),
            )
            .await;
        assert_code(&anon, "UNAUTHENTICATED");
    })
    .await;
}
