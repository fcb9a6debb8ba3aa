//! Email digests: real SMTP over loopback, idempotent scheduling, outage
//! recovery, one-click unsubscribe, and silence when there is nothing new.

use std::time::Duration;

use commons::notifications::service::{NewNotification, notify};
use serde_json::json;

use crate::{
    helpers::*,
    smtp_sink::{SmtpSink, free_port},
};

/// A daily digest due now: UTC, hour 0.
async fn daily_now(user: &Session) {
    user.ok(
        "mutation { updatePreferences(input: { digestFrequency: DAILY, digestHour: 0, timeZone: \"UTC\" }) { digestFrequency } }",
        json!({}),
    )
    .await;
}

async fn something_new_for(app: &TestApp, user: &Session, title: &str) {
    let ctx = app.ctx();
    let txn = ctx.write().await.expect("begin");
    notify(
        &txn,
        ctx,
        NewNotification {
            user_id: user.id_num(),
            kind: "mention",
            actor_id: None,
            title: title.into(),
            excerpt: "Has anyone run REGENIE on the v7 short-read WGS callset?".into(),
            link: "/t/1#p2".into(),
            // No subject: a notification about a post is checked against the
            // post when the digest is built, and these tests have none.
            subject: None,
            email: false,
        },
    )
    .await
    .expect("notify");
    txn.commit().await.expect("commit");
}

/// An app that mails through SMTP on `port`, and a user whose daily digest is due.
async fn smtp_app_with_due_digest(port: u16, handle: &str) -> (TestApp, Session) {
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn(
        Backend::Sqlite,
        &[("COMMONS_MAILER", "smtp"), ("COMMONS_SMTP_URL", &url)],
    )
    .await;
    let user = app
        .user_with(
            handle,
            &[commons::identity::Role::Researcher],
            commons::identity::Tier::Registered,
        )
        .await;
    daily_now(&user).await;
    (app, user)
}

#[tokio::test]
async fn digest_over_real_smtp_has_both_parts_and_unsubscribe_headers() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let (app, user) = smtp_app_with_due_digest(port, "digestreader").await;
    something_new_for(
        &app,
        &user,
        "Priya mentioned you in “GWAS on v7 short reads”",
    )
    .await;

    assert_eq!(
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("schedule"),
        1
    );
    app.run_jobs().await;

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let raw = &messages[0];
    let unfolded = raw.replace("\r\n ", " ").replace("\r\n\t", " ");
    assert!(
        unfolded.contains("To: digestreader <digestreader@researchallofus.org>"),
        "{raw}"
    );
    assert!(
        unfolded.contains("List-Unsubscribe: <http://commons.test/unsubscribe?token="),
        "{raw}"
    );
    assert!(
        unfolded.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{raw}"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("text/plain"), "{raw}");
    assert!(raw.contains("text/html"), "{raw}");
    assert!(
        raw.contains("GWAS on v7 short reads"),
        "the user's activity is in it: {raw}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn scheduler_twice_and_concurrently_sends_exactly_one_digest() {
    on_each_backend(|app| async move {
        let user = app.researcher("once").await;
        daily_now(&user).await;
        something_new_for(&app, &user, "A reply to your thread").await;
        let before = app.mail_to(&user.email).len();

        let (a, b) = tokio::join!(
            commons::digest::schedule::run(app.ctx()),
            commons::digest::schedule::run(app.ctx())
        );
        let c = commons::digest::schedule::run(app.ctx())
            .await
            .expect("third run");
        assert_eq!(
            a.expect("a") + b.expect("b") + c,
            1,
            "one job per user and period"
        );
        app.run_jobs().await;
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("after send");
        app.run_jobs().await;
        assert_eq!(app.mail_to(&user.email).len() - before, 1);
    })
    .await;
}

#[tokio::test]
async fn a_worker_killed_after_claiming_does_not_lose_or_double_the_digest() {
    on_each_backend(|app| async move {
        let user = app.researcher("crashy").await;
        daily_now(&user).await;
        something_new_for(&app, &user, "Your exemption request was decided").await;
        let before = app.mail_to(&user.email).len();
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("schedule");

        // The first worker claims the job and dies before running it.
        let claimed = app.worker().claim().await.expect("claim");
        assert_eq!(claimed.len(), 1);
        // A restarted worker leaves the leased job alone...
        app.run_jobs().await;
        assert_eq!(app.mail_to(&user.email).len(), before);
        // ...until the lease expires, then sends it exactly once.
        app.ctx().clock.advance(chrono::Duration::minutes(6));
        app.run_jobs().await;
        app.run_jobs().await;
        assert_eq!(app.mail_to(&user.email).len() - before, 1);
    })
    .await;
}

#[tokio::test]
async fn smtp_outage_loses_nothing_and_delivers_when_it_returns() {
    let port = free_port();
    let (app, user) = smtp_app_with_due_digest(port, "patient").await;
    something_new_for(&app, &user, "New thread in Genomics").await;
    commons::digest::schedule::run(app.ctx())
        .await
        .expect("schedule");

    // Nobody listens on the port: the job fails and waits to retry.
    app.run_jobs().await;
    let lag = commons::jobs::queue::lag(&app.ctx().db, app.ctx().clock.now())
        .await
        .expect("lag");
    assert_eq!(lag.pending, 1, "the digest is still queued");

    let sink = SmtpSink::start(port);
    app.ctx().clock.advance(chrono::Duration::minutes(2));
    app.run_jobs().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sink.messages().len(), 1);
    let lag = commons::jobs::queue::lag(&app.ctx().db, app.ctx().clock.now())
        .await
        .expect("lag");
    assert_eq!(lag.pending, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn permanent_rejection_is_recorded_and_not_retried() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let (app, user) = smtp_app_with_due_digest(port, "bounce").await;
    something_new_for(&app, &user, "Anything").await;
    commons::digest::schedule::run(app.ctx())
        .await
        .expect("schedule");
    app.run_jobs().await;
    let lag = commons::jobs::queue::lag(&app.ctx().db, app.ctx().clock.now())
        .await
        .expect("lag");
    assert_eq!(
        (lag.pending, lag.failed),
        (0, 1),
        "failed for good, not retrying"
    );
    assert!(
        commons::mail::suppression::is_suppressed(&app.ctx().db, &user.email)
            .await
            .expect("suppressed")
    );
    assert!(sink.messages().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn one_click_unsubscribe_works_without_a_session_and_cannot_be_forged() {
    on_each_backend(|app| async move {
        let user = app.researcher("leaver").await;
        let other = app.researcher("stayer").await;
        daily_now(&user).await;
        daily_now(&other).await;
        something_new_for(&app, &user, "Something").await;
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("schedule");
        app.run_jobs().await;
        let mail = app
            .mail_to(&user.email)
            .into_iter()
            .find(|m| m.subject.contains("digest"))
            .expect("digest mail");
        let header = mail
            .headers
            .iter()
            .find(|(k, _)| k == "List-Unsubscribe")
            .map(|(_, v)| v.clone())
            .expect("List-Unsubscribe");
        let link = header
            .trim_matches(['<', '>'])
            .replace("http://commons.test", &app.url(""));
        let token = link.split("token=").nth(1).unwrap_or("").to_string();

        // A forged token for the other user: same signature, other id.
        let sig = token.split('.').nth(1).unwrap_or("");
        let forged_id = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            other.id.as_bytes(),
        );
        let forged = app
            .http()
            .post(app.url(&format!("/unsubscribe?token={forged_id}.{sig}")))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("forged");
        assert_eq!(forged.status().as_u16(), 400);

        // GET only shows a confirmation page; the one-click POST unsubscribes.
        let page = app.http().get(&link).send().await.expect("get");
        assert_eq!(page.status().as_u16(), 200);
        let prefs = user
            .ok("{ preferences { digestFrequency } }", json!({}))
            .await;
        assert_eq!(prefs["preferences"]["digestFrequency"], "DAILY");
        let done = app
            .http()
            .post(&link)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("post");
        assert_eq!(done.status().as_u16(), 200);
        let prefs = user
            .ok("{ preferences { digestFrequency } }", json!({}))
            .await;
        assert_eq!(prefs["preferences"]["digestFrequency"], "OFF");
        let prefs = other
            .ok("{ preferences { digestFrequency } }", json!({}))
            .await;
        assert_eq!(
            prefs["preferences"]["digestFrequency"], "DAILY",
            "the other user is untouched"
        );

        // No more digests for the leaver.
        app.ctx().clock.advance(chrono::Duration::days(1));
        something_new_for(&app, &user, "Something else").await;
        let before = app.mail_to(&user.email).len();
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("schedule");
        app.run_jobs().await;
        assert_eq!(app.mail_to(&user.email).len(), before);
    })
    .await;
}

#[tokio::test]
async fn users_with_nothing_new_receive_nothing() {
    on_each_backend(|app| async move {
        let user = app.researcher("quiet").await;
        daily_now(&user).await;
        let before = app.mail_to(&user.email).len();
        assert_eq!(
            commons::digest::schedule::run(app.ctx())
                .await
                .expect("schedule"),
            1
        );
        app.run_jobs().await;
        assert_eq!(
            app.mail_to(&user.email).len(),
            before,
            "an empty digest is not sent"
        );
        // Read notifications do not count as new either.
        something_new_for(&app, &user, "Already seen").await;
        user.ok("mutation { markAllNotificationsRead }", json!({}))
            .await;
        app.ctx().clock.advance(chrono::Duration::days(1));
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("schedule");
        app.run_jobs().await;
        assert_eq!(app.mail_to(&user.email).len(), before);
    })
    .await;
}

#[tokio::test]
async fn preferences_are_validated() {
    on_each_backend(|app| async move {
        let user = app.researcher("prefs").await;
        let resp = user
            .gql("mutation { updatePreferences(input: { digestHour: 24 }) { digestHour } }", json!({}))
            .await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "digestHour");
        let resp = user
            .gql("mutation { updatePreferences(input: { timeZone: \"Mars/Olympus\" }) { timeZone } }", json!({}))
            .await;
        assert_code(&resp, "VALIDATION");
        let anon = app.gql("mutation { updatePreferences(input: { digestHour: 3 }) { digestHour } }", json!({})).await;
        assert_code(&anon, "UNAUTHENTICATED");
        let data = user.ok("{ preferences { digestFrequency digestHour digestWeekday timeZone } }", json!({})).await;
        assert_eq!(data["preferences"]["digestFrequency"], "WEEKLY", "weekly is the default");
    })
    .await;
}

#[tokio::test]
async fn the_digest_carries_new_threads_from_watched_categories_and_skips_read_ones() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("admin").await;
        let genomics = admin
            .ok("mutation { createCategory(input: { name: \"Genomics\" }) { id } }", json!({}))
            .await["createCategory"]["id"]
            .clone();
        let reader = app.researcher("reader").await;
        let author = app.researcher("author").await;
        daily_now(&reader).await;
        reader
            .ok(
                "mutation($id: ID!) { setForumSubscription(target: CATEGORY, id: $id, level: WATCHING) { level } }",
                json!({ "id": genomics }),
            )
            .await;
        let post = |title: &'static str| {
            let author = author.clone();
            let genomics = genomics.clone();
            async move {
                author
                    .ok(
                        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
                        json!({ "i": { "categoryId": genomics, "title": title, "body": "Which PLINK flags do you use for LD pruning on the v7 array data?" } }),
                    )
                    .await["createThread"]["id"]
                    .clone()
            }
        };
        post("LD pruning with PLINK 2").await;
        let read_one = post("Hail VDS export is slow").await;
        // The reader opened this one already.
        reader
            .ok("mutation($id: ID!) { markThreadRead(threadId: $id) { id } }", json!({ "id": read_one }))
            .await;
        let before = app.mail_to(&reader.email).len();
        commons::digest::schedule::run(app.ctx()).await.expect("schedule");
        app.run_jobs().await;
        let mails = app.mail_to(&reader.email);
        assert_eq!(mails.len(), before + 1);
        let digest = &mails[mails.len() - 1];
        assert!(digest.text.contains("New in what you watch"), "{}", digest.text);
        assert!(digest.text.contains("LD pruning with PLINK 2"), "{}", digest.text);
        assert!(!digest.text.contains("Hail VDS export is slow"), "read threads stay out: {}", digest.text);
        assert!(digest.text.contains("http://commons.test/t/"), "links back into the frontend");
    })
    .await;
}
