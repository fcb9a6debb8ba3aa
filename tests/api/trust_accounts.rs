//! Only people who proved their address can read, and account refusals do
//! not reveal which addresses have accounts. Each test makes the attack as a
//! member (or a stranger) would, over HTTP, and asserts the refusal.

use std::time::{Duration, Instant};

use commons::entities::user;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::*;

const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { email } }";

async fn sign_up(app: &TestApp, email: &str, password: &str, name: &str) -> Value {
    app.gql(
        SIGN_UP,
        json!({ "i": { "email": email, "password": password, "displayName": name } }),
    )
    .await
}

/// Signs up through the API and signs in without opening the mailed link.
async fn unconfirmed(app: &TestApp, handle: &str) -> Session {
    let email = format!("{handle}@researchallofus.org");
    assert_no_errors(&sign_up(app, &email, PASSWORD, handle).await);
    app.sign_in(&email).await
}

/// Something of each kind to try to read: a category, a thread, a
/// published listing and an open research profile, by a confirmed member.
struct Readable {
    thread: String,
    post: String,
    workspace: String,
    member: Session,
}

async fn readable(app: &TestApp) -> Readable {
    let admin = app.admin("root").await;
    let category = admin
        .ok(
            "mutation { createCategory(input: { name: \"Genomics\" }) { id } }",
            json!({}),
        )
        .await["createCategory"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let member = app.researcher("member").await;
    let created = member
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id firstPost { id } } }",
            json!({ "i": { "categoryId": category, "title": "Hail on the v7 callset", "body": "Loading the **VDS** takes an hour." } }),
        )
        .await;
    let workspace = member
        .ok(
            "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }",
            json!({ "i": {
                "name": "Sleep and blood pressure",
                "namespace": "aou-rw-sleep-bp",
                "tier": "REGISTERED",
                "cdrVersion": "v7",
                "purpose": {
                    "intendedStudy": "We study sleep and blood pressure.",
                    "scientificApproach": "Cohort study over EHR data.",
                    "anticipatedFindings": "Shorter sleep goes with higher blood pressure.",
                    "purposes": ["POPULATION_HEALTH"],
                },
                "dataTypes": ["EHR"],
            } }),
        )
        .await["createWorkspace"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    member
        .ok(
            "mutation($id: ID!) { publishWorkspace(id: $id, consent: { noHarmfulLanguage: true, contactInfoInDescription: true, collaboratorsAgreed: true }) { id } }",
            json!({ "id": workspace }),
        )
        .await;
    member
        .ok(
            "mutation { updateMyProfile(input: { researchInterests: \"Sleep and hypertension.\", openToCollaborate: true }) { openToCollaborate } }",
            json!({}),
        )
        .await;
    app.run_jobs().await;
    Readable {
        thread: created["createThread"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        post: created["createThread"]["firstPost"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        workspace,
        member,
    }
}

#[tokio::test]
async fn an_unconfirmed_account_reads_nothing() {
    on_each_backend_trusted(|app| async move {
        let r = readable(&app).await;
        let sneak = unconfirmed(&app, "sneak").await;
        let vars = json!({ "t": r.thread, "p": r.post, "w": r.workspace, "u": r.member.id, "h": r.member.handle });
        let reads = [
            "{ forumCategories { id } }",
            "{ threads(first: 5) { edges { node { id title } } } }",
            "query($t: ID!) { thread(id: $t) { title } }",
            "query($p: ID!) { post(id: $p) { bodyHtml } }",
            "{ search(query: \"hail\") { total hits { edges { node { snippet } } } } }",
            "query($u: ID!) { user(id: $u) { displayName } }",
            "query($h: String) { researcherProfile(handle: $h) { researchInterests } }",
            "{ communityWorkspaces(first: 5) { edges { node { name } } } }",
            "query($w: ID!) { workspace(id: $w) { name namespace } }",
            "{ myWorkspaces(first: 5) { edges { node { name } } } }",
            "{ suggestedCollaborators(first: 5) { considered } }",
            "{ notifications(first: 5) { edges { node { title } } } }",
            "{ unreadNotificationCount }",
            "{ forumBookmarks(first: 5) { edges { node { createdAt } } } }",
            "{ recentPublications(first: 5) { edges { cursor } } }",
            "{ myExemptionRequests(first: 5) { edges { cursor } } }",
            "{ previewMarkdown(source: \"hello\") }",
        ];
        for query in reads {
            let resp = sneak.gql(query, vars.clone()).await;
            assert_eq!(error_code(&resp), "EMAIL_NOT_VERIFIED", "{query}: {resp:#}");
            assert!(
                !resp.to_string().contains("Hail on the v7")
                    && !resp.to_string().contains("Sleep and"),
                "{query} leaked: {resp:#}"
            );
        }
        let writes = [
            "mutation($p: ID!) { bookmarkPost(id: $p) { bookmarked } }",
            "mutation($p: ID!) { likePost(id: $p) { id } }",
            "mutation($t: ID!) { createPost(input: { threadId: $t, body: \"Me too, an hour here as well.\" }) { id } }",
            "mutation($p: ID!) { flag(input: { postId: $p, reason: SPAM }) { __typename } }",
        ];
        for query in writes {
            let resp = sneak.gql(query, vars.clone()).await;
            assert_eq!(error_code(&resp), "EMAIL_NOT_VERIFIED", "{query}: {resp:#}");
        }
        // The same holds in a batch, where each operation answers for itself.
        let batch: Value = app
            .http()
            .post(app.url("/graphql"))
            .bearer_auth(&sneak.token)
            .json(&json!([
                { "query": "{ me { handle } }" },
                { "query": "{ threads(first: 5) { edges { node { title } } } }" },
            ]))
            .send()
            .await
            .expect("batch")
            .json()
            .await
            .expect("json");
        assert_eq!(batch[0]["data"]["me"]["handle"], "sneak");
        assert_eq!(error_code(&batch[1]), "EMAIL_NOT_VERIFIED", "{batch:#}");
    })
    .await;
}

#[tokio::test]
async fn an_unconfirmed_account_can_verify_resend_edit_itself_and_sign_out() {
    on_each_backend_trusted(|app| async move {
        let r = readable(&app).await;
        let email = "late@researchallofus.org";
        let session = unconfirmed(&app, "late").await;
        let other_device = app.sign_in(email).await;

        let me = session
            .ok(
                "{ me { handle email emailVerified } viewer { signedIn verified user { handle } } }",
                json!({}),
            )
            .await;
        assert_eq!(me["me"]["email"], email);
        assert_eq!(me["me"]["emailVerified"], false);
        assert_eq!(me["viewer"]["signedIn"], true);
        assert_eq!(me["viewer"]["verified"], false);
        assert_eq!(me["viewer"]["user"]["handle"], "late");

        // Its own account: name, password, email preferences.
        let renamed = session
            .ok(
                "mutation { updateAccount(displayName: \"Late Comer\", institution: \"VUMC\") { displayName email } }",
                json!({}),
            )
            .await;
        assert_eq!(renamed["updateAccount"]["displayName"], "Late Comer");
        assert_eq!(renamed["updateAccount"]["email"], email);
        session
            .ok(
                "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
                json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
            )
            .await;
        session
            .ok(
                "mutation { updatePreferences(input: { digestFrequency: WEEKLY }) { digestFrequency } }",
                json!({}),
            )
            .await;
        let prefs = session
            .ok("{ preferences { digestFrequency } }", json!({}))
            .await;
        assert_eq!(prefs["preferences"]["digestFrequency"], "WEEKLY");
        // Changing the password signed the other device out; sign it in again.
        let other_device = {
            let resp = other_device.gql("{ me { id } }", json!({})).await;
            assert!(resp["data"]["me"].is_null(), "{resp:#}");
            app.sign_in_with(email, "a brand new passphrase").await
        };

        // A new link, and the old one stops working.
        app.run_jobs().await;
        let first = app.token_from_mail(email, "verify");
        let resent = session
            .ok(
                "mutation($e: String!) { resendVerification(email: $e) }",
                json!({ "e": email }),
            )
            .await;
        assert_eq!(resent["resendVerification"], true);
        app.run_jobs().await;
        let second = app.token_from_mail(email, "verify");
        assert_ne!(first, second);
        let stale = app
            .gql(
                "mutation($t: String!) { verifyEmail(token: $t) { id } }",
                json!({ "t": first }),
            )
            .await;
        assert_code(&stale, "VALIDATION");

        // Signing out works before verifying.
        other_device.ok("mutation { signOut }", json!({})).await;
        let gone = other_device.gql("{ me { id } }", json!({})).await;
        assert!(gone["data"]["me"].is_null(), "{gone:#}");

        // Verifying opens the forum to the very same session.
        assert_no_errors(
            &app.gql(
                "mutation($t: String!) { verifyEmail(token: $t) { id } }",
                json!({ "t": second }),
            )
            .await,
        );
        let read = session
            .ok(
                "query($t: ID!) { thread(id: $t) { title } }",
                json!({ "t": r.thread }),
            )
            .await;
        assert_eq!(read["thread"]["title"], "Hail on the v7 callset");
    })
    .await;
}

/// `(answer, how long it took)` for a sign-up.
async fn timed_sign_up(app: &TestApp, email: &str, name: &str) -> (Value, Duration) {
    let started = Instant::now();
    let resp = sign_up(app, email, "another long passphrase", name).await;
    (resp, started.elapsed())
}

#[tokio::test]
async fn signing_up_with_a_taken_address_answers_as_for_a_new_one_and_mails_the_owner() {
    on_each_backend(|app| async move {
        let owner = app.researcher("owner").await;
        let before = app.mail_to(&owner.email).len();

        let mut taken = Vec::new();
        let mut fresh = Vec::new();
        for n in 0..2 {
            // Another case of the owner's address, another password and name.
            taken.push(timed_sign_up(&app, "OWNER@researchallofus.org", "Mallory").await);
            fresh
                .push(timed_sign_up(&app, &format!("fresh{n}@researchallofus.org"), "Fresh").await);
        }
        for ((taken, _), (fresh, _)) in taken.iter().zip(&fresh) {
            assert_no_errors(taken);
            assert_no_errors(fresh);
            assert_eq!(taken["data"]["signUp"]["email"], owner.email.as_str());
            // Exactly the same shape: one field, the normalized address.
            let shape = |v: &Value| {
                v.to_string()
                    .replace(owner.email.as_str(), "ADDRESS")
                    .replace("fresh0@researchallofus.org", "ADDRESS")
                    .replace("fresh1@researchallofus.org", "ADDRESS")
            };
            assert_eq!(shape(taken), shape(fresh));
        }
        // Both run the password hash: a taken address is not answered
        // measurably sooner than a new one.
        let quickest = |runs: &[(Value, Duration)]| runs.iter().map(|(_, d)| *d).min();
        let (Some(taken_time), Some(fresh_time)) = (quickest(&taken), quickest(&fresh)) else {
            panic!("no timings");
        };
        assert!(
            taken_time * 3 >= fresh_time,
            "taken {taken_time:?} vs new {fresh_time:?}"
        );

        // Nothing changed on the account: one row, the owner's name and
        // password; the caller's password does not sign in.
        let accounts = user::Entity::find()
            .filter(user::Column::Email.eq(owner.email.as_str()))
            .count(&app.ctx().db)
            .await
            .expect("count");
        assert_eq!(accounts, 1);
        app.sign_in(&owner.email).await;
        let wrong = app
            .gql(
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                json!({ "e": owner.email, "p": "another long passphrase" }),
            )
            .await;
        assert_code(&wrong, "INVALID_CREDENTIALS");
        let me = owner.ok("{ me { displayName } }", json!({})).await;
        assert_eq!(me["me"]["displayName"], "owner");

        // The owner hears about it, with no link that would confirm or
        // take over anything; a new address gets its confirmation link.
        app.run_jobs().await;
        let notes: Vec<_> = app.mail_to(&owner.email).into_iter().skip(before).collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        for note in &notes {
            assert!(note.subject.contains("tried to sign up"), "{note:?}");
            assert!(note.text.contains("/sign-in"), "{}", note.text);
            assert!(note.text.contains("/forgot-password"), "{}", note.text);
            assert!(!note.text.contains("token="), "{}", note.text);
        }
        app.token_from_mail("fresh0@researchallofus.org", "verify");
    })
    .await;
}

#[tokio::test]
async fn a_taken_handle_is_refused_alike_whoever_holds_the_address() {
    on_each_backend(|app| async move {
        let owner = app.researcher("owner").await;
        let with_handle = |email: &str| {
            json!({ "i": { "email": email, "password": PASSWORD, "displayName": "X", "handle": "owner" } })
        };
        let taken = app.gql(SIGN_UP, with_handle(&owner.email)).await;
        let fresh = app
            .gql(SIGN_UP, with_handle("someone@researchallofus.org"))
            .await;
        assert_code(&taken, "CONFLICT");
        assert_eq!(taken, fresh);
    })
    .await;
}

#[tokio::test]
async fn reset_and_resend_answer_alike_for_known_and_unknown_addresses() {
    on_each_backend(|app| async move {
        let known = app.researcher("known").await;
        let unconfirmed_email = "pending@researchallofus.org";
        assert_no_errors(&sign_up(&app, unconfirmed_email, PASSWORD, "Pending").await);
        let unknown = "nobody@researchallofus.org";
        const RESET: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
        const RESEND: &str = "mutation($e: String!) { resendVerification(email: $e) }";
        for query in [RESET, RESEND] {
            for email in [known.email.as_str(), unconfirmed_email, unknown] {
                let mut codes = Vec::new();
                // Within the limit, `true`; past it, the same refusal for all.
                for _ in 0..4 {
                    let resp = app.gql(query, json!({ "e": email })).await;
                    codes.push(if resp["errors"].is_null() {
                        resp["data"].to_string()
                    } else {
                        error_code(&resp)
                    });
                }
                let name = if query == RESET {
                    "requestPasswordReset"
                } else {
                    "resendVerification"
                };
                let ok = json!({ name: true }).to_string();
                assert_eq!(
                    codes,
                    vec![ok.clone(), ok.clone(), ok, "RATE_LIMITED".to_string()],
                    "{query} for {email}"
                );
            }
        }
        // The mail is what differs, and only the owner of the address reads it.
        app.run_jobs().await;
        assert!(app.mail_to(unknown).is_empty());
    })
    .await;
}
