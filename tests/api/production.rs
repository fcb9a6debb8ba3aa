//! Running several replicas: job leases that follow the worker, mail
//! retried with the same Message-ID, limits shared through PostgreSQL,
//! sign-in throttles that cannot lock the owner out, metrics and backups.

use std::time::Duration;

use commons::{
    auth::service as auth,
    error::AppError,
    jobs::{self, JobError, NewJob, queue::JobStatus},
    mail::OutgoingMail,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::{
    helpers::*,
    smtp_sink::{SmtpSink, free_port},
};

async fn job_status(app: &TestApp, id: i64) -> (JobStatus, i32) {
    let row = app
        .ctx()
        .db
        .query_one_raw(Statement::from_string(
            app.ctx().db.get_database_backend(),
            format!("SELECT status, attempts FROM jobs WHERE id = {id}"),
        ))
        .await
        .expect("query")
        .expect("job row");
    let status: String = row.try_get("", "status").expect("status");
    let attempts: i32 = row.try_get("", "attempts").expect("attempts");
    (JobStatus::parse(&status).expect("known status"), attempts)
}

async fn enqueue_mail(app: &TestApp, to: &str, key: Option<&str>) {
    let mail = OutgoingMail {
        to: to.into(),
        to_name: "Reader".into(),
        subject: "Hello".into(),
        text: "Body".into(),
        html: None,
        headers: vec![],
    };
    let mut job = NewJob::new(jobs::mail::KIND, mail).expect("job");
    if let Some(key) = key {
        job = job.dedupe(key);
    }
    let txn = app.ctx().write().await.expect("begin");
    jobs::enqueue(&txn, app.ctx().clock.now(), job)
        .await
        .expect("enqueue");
    txn.commit().await.expect("commit");
}

#[tokio::test]
async fn a_restarted_replica_takes_back_its_jobs_at_once() {
    on_each_backend(|app| async move {
        enqueue_mail(&app, "a@researchallofus.org", None).await;
        // The first process claims the job and dies.
        let dead = app.worker();
        let claimed = dead.claim().await.expect("claim");
        assert_eq!(claimed.len(), 1);
        assert_eq!(app.run_jobs().await, 0, "leased to the dead process");
        // Its successor on the same replica takes the job back without
        // waiting for the lease.
        let successor = app.worker();
        assert_eq!(successor.take_back().await.expect("take back"), 1);
        assert_eq!(successor.run_until_idle().await.expect("run"), 1);
        assert_eq!(app.mail_to("a@researchallofus.org").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_dead_replicas_jobs_are_taken_over_once_the_lease_lapses() {
    on_each_backend_with(&[("COMMONS_JOB_LEASE_SECONDS", "5")], |app| async move {
        enqueue_mail(&app, "b@researchallofus.org", None).await;
        let dead = app.worker();
        let claimed = dead.claim().await.expect("claim");
        assert_eq!(app.run_jobs().await, 0);
        app.ctx().clock.advance(chrono::Duration::seconds(6));
        assert_eq!(app.run_jobs().await, 1, "taken over after the lease");
        // The dead worker wakes up and tries to settle: it is fenced out.
        dead.settle(&claimed[0], Err(JobError::Permanent("late".into())))
            .await
            .expect("settle");
        assert_eq!(job_status(&app, claimed[0].id).await.0, JobStatus::Done);
        assert_eq!(app.mail_to("b@researchallofus.org").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_stopping_worker_releases_the_jobs_it_has_not_started() {
    on_each_backend(|app| async move {
        for n in 0..3 {
            enqueue_mail(&app, &format!("c{n}@researchallofus.org"), None).await;
        }
        let stopping = app.worker();
        let claimed = stopping.claim().await.expect("claim");
        assert_eq!(claimed.len(), 3);
        let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
        let (stop, stopped) = tokio::sync::watch::channel(true);
        let ran = stopping
            .run_batch(claimed, Some(&stopped))
            .await
            .expect("batch");
        drop(stop);
        assert_eq!(ran, 0);
        for id in ids {
            assert_eq!(job_status(&app, id).await, (JobStatus::Pending, 0));
        }
        // Another worker runs them at once.
        assert_eq!(app.run_jobs().await, 3);
    })
    .await;
}

#[tokio::test]
async fn mail_retried_after_a_crash_keeps_its_message_id() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn(
        Backend::Sqlite,
        &[("COMMONS_MAILER", "smtp"), ("COMMONS_SMTP_URL", &url)],
    )
    .await;
    enqueue_mail(&app, "d@researchallofus.org", Some("notification:1")).await;
    enqueue_mail(&app, "d@researchallofus.org", Some("notification:2")).await;
    // The first worker hands the first message to the SMTP server and
    // dies before the job settles.
    let crashed = app.worker();
    let claimed = crashed.claim().await.expect("claim");
    app.jobs()
        .run(app.ctx(), &claimed[0])
        .await
        .expect("accepted by SMTP");
    // Its lease lapses; the job runs again, and both jobs are delivered.
    app.ctx().clock.advance(chrono::Duration::minutes(1));
    assert_eq!(app.run_jobs().await, 2);
    let ids = sink.message_ids();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[0], ids[1], "the retry is recognisably the same message");
    assert_ne!(ids[1], ids[2], "another message has another id");
    assert!(ids[0].ends_with("@researchallofus.org>"), "{ids:?}");
    app.shutdown().await;
}

fn clients(n: usize) -> String {
    format!("198.51.100.{n}")
}

fn is_rate_limited<T>(result: &Result<T, AppError>) -> Option<Duration> {
    match result {
        Err(AppError::RateLimited { retry_after }) => Some(*retry_after),
        _ => None,
    }
}

#[tokio::test]
async fn wrong_passwords_from_one_client_do_not_lock_the_owner_out() {
    on_each_backend(|app| async move {
        let owner = app.researcher("lockedout").await;
        let ctx = app.ctx();
        let attacker = clients(1);
        let mut refused = 0;
        for _ in 0..15 {
            let tried = auth::sign_in(ctx, &owner.email, "wrong guess", "", Some(&attacker)).await;
            if is_rate_limited(&tried).is_some() {
                refused += 1;
            }
            ctx.clock.advance(chrono::Duration::seconds(1));
        }
        assert!(refused > 0, "the attacker's client is slowed down");
        // The right password from the attacker's client is refused too.
        let from_attacker = auth::sign_in(ctx, &owner.email, PASSWORD, "", Some(&attacker)).await;
        assert!(is_rate_limited(&from_attacker).is_some());
        // The owner signs in from a client that has not failed.
        auth::sign_in(ctx, &owner.email, PASSWORD, "", Some(&clients(2)))
            .await
            .expect("the owner is not locked out");
    })
    .await;
}

#[tokio::test]
async fn sign_in_failures_back_off_longer_each_time() {
    on_each_backend(|app| async move {
        let owner = app.researcher("backoff").await;
        let ctx = app.ctx();
        let client = clients(3);
        let mut waits = Vec::new();
        for _ in 0..12 {
            match auth::sign_in(ctx, &owner.email, "nope", "", Some(&client)).await {
                Err(AppError::RateLimited { retry_after }) => {
                    waits.push(retry_after);
                    let wait = chrono::Duration::from_std(retry_after).expect("wait");
                    ctx.clock.advance(wait + chrono::Duration::seconds(1));
                }
                other => assert!(
                    matches!(other, Err(AppError::InvalidCredentials)),
                    "{:?}",
                    other.err()
                ),
            }
        }
        assert!(waits.len() >= 3, "{waits:?}");
        assert!(
            waits.windows(2).all(|w| w[0] < w[1]),
            "the back-off grows: {waits:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_reset_link_is_honoured_whatever_failed_before() {
    on_each_backend(|app| async move {
        let owner = app.researcher("resetter").await;
        let ctx = app.ctx();
        let client = clients(4);
        for _ in 0..8 {
            let _ = auth::sign_in(ctx, &owner.email, "forgotten", "", Some(&client)).await;
        }
        assert!(
            is_rate_limited(&auth::sign_in(ctx, &owner.email, PASSWORD, "", Some(&client)).await)
                .is_some()
        );
        auth::request_password_reset(ctx, &owner.email, Some(&client))
            .await
            .expect("reset requested");
        app.run_jobs().await;
        let mail = app.mail_to(&owner.email);
        let text = &mail.last().expect("reset mail").text;
        let token = text
            .split(|c: char| c.is_whitespace())
            .find_map(|w| w.split("token=").nth(1))
            .expect("link with token")
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_');
        auth::reset_password(ctx, token, "a brand new long passphrase")
            .await
            .expect("the link is honoured");
        auth::sign_in(
            ctx,
            &owner.email,
            "a brand new long passphrase",
            "",
            Some(&client),
        )
        .await
        .expect("signs in from the same client right after the reset");
    })
    .await;
}

#[tokio::test]
async fn sign_ups_are_limited_per_client_address() {
    on_each_backend(|app| async move {
        let ctx = app.ctx();
        let sign_up = |n: usize, client: String| async move {
            auth::sign_up(
                ctx,
                auth::SignUp {
                    email: format!("newcomer{n}@researchallofus.org"),
                    password: "a long enough passphrase".into(),
                    display_name: format!("Newcomer {n}"),
                    institution: None,
                    handle: None,
                },
                Some(&client),
            )
            .await
        };
        for n in 0..10 {
            sign_up(n, clients(5)).await.expect("within the limit");
        }
        assert!(is_rate_limited(&sign_up(10, clients(5)).await).is_some());
        sign_up(11, clients(6)).await.expect("another client");
    })
    .await;
}

#[tokio::test]
async fn a_rate_limit_holds_across_two_replicas() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        return; // One process on SQLite: nothing to share.
    }
    let first = TestApp::spawn(Backend::Postgres, &[]).await;
    let second = first.spawn_replica().await;
    let owner = first.researcher("shared").await;
    let client = clients(7);
    // `sign_in` allows 10 tries per address and client in 15 minutes,
    // whichever replica answers.
    let mut allowed = 0;
    for n in 0..14 {
        let replica = if n % 2 == 0 { &first } else { &second };
        let tried = auth::sign_in(replica.ctx(), &owner.email, PASSWORD, "", Some(&client)).await;
        if tried.is_ok() {
            allowed += 1;
        } else {
            assert!(is_rate_limited(&tried).is_some(), "{:?}", tried.err());
        }
    }
    assert_eq!(allowed, 10, "one limit across both replicas");
    second.shutdown().await;
    first.shutdown().await;
}

async fn metrics(app: &TestApp) -> String {
    let resp = app
        .http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("body")
}

fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_move_when_a_request_is_served_and_a_job_runs() {
    on_each_backend(|app| async move {
        let user = app.researcher("counted").await;
        let before = metrics(&app).await;
        user.ok("query Categories { forumCategories { id } }", json!({}))
            .await;
        enqueue_mail(&app, "m@researchallofus.org", None).await;
        let queued = metrics(&app).await;
        assert!(
            sample(&queued, "commons_jobs_queued{kind=\"mail\"}") >= 1.0,
            "{queued}"
        );
        app.run_jobs().await;
        let after = metrics(&app).await;
        let ops = "commons_graphql_requests_total{operation=\"Categories\",code=\"OK\"}";
        assert!(sample(&after, ops) > sample(&before, ops), "{after}");
        let other = "commons_graphql_requests_total{operation=\"other\"";
        let done = "commons_jobs_finished_total{kind=\"mail\",outcome=\"done\"}";
        assert!(sample(&after, done) > sample(&before, done), "{after}");
        assert!(sample(&after, "commons_mail_total{outcome=\"sent\"}") >= 1.0);
        assert!(after.contains("commons_graphql_request_duration_seconds_bucket"));
        assert!(after.contains("commons_process_resident_memory_bytes"));
        assert!(after.contains("commons_db_pool_connections"));
        // A client's own operation name does not become a label.
        user.ok(
            "query MadeUpByAClient { forumCategories { id } }",
            json!({}),
        )
        .await;
        let page = metrics(&app).await;
        assert!(!page.contains("MadeUpByAClient"));
        assert!(sample(&page, other) >= 1.0);
    })
    .await;
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let token = "metrics-token-0123456789";
    let app = TestApp::spawn(Backend::Sqlite, &[("COMMONS_METRICS_TOKEN", token)]).await;
    let anonymous = app
        .http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 404);
    let wrong = app
        .http()
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-wrong-guess")
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), 404);
    let allowed = app
        .http()
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_eq!(allowed.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn readyz_reports_a_mailer_that_is_down_without_failing() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn(
        Backend::Sqlite,
        &[("COMMONS_MAILER", "smtp"), ("COMMONS_SMTP_URL", &url)],
    )
    .await;
    let resp = app
        .http()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["mail"]["status"], "unavailable", "{body}");
    assert_eq!(body["database"], "ok");
    app.shutdown().await;
}

async fn count(app: &TestApp, filter: &str) -> i64 {
    scalar(
        &app.ctx().db,
        &format!("SELECT COUNT(*) FROM jobs WHERE {filter}"),
    )
    .await
}

#[tokio::test]
async fn finished_jobs_leave_the_table_after_a_week_and_keys_that_prevent_repeats_stay() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("admin").await;
        let category = admin
            .ok(
                "mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }",
                json!({ "i": { "name": "Methods" } }),
            )
            .await["createCategory"]["id"]
            .clone();
        admin
            .ok(
                "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
                json!({ "i": { "categoryId": category, "title": "Retention", "body": "Kept a week" } }),
            )
            .await;
        app.run_jobs().await;
        let done_index = "kind = 'search.index' AND status = 'done'";
        assert!(count(&app, done_index).await > 0);
        let keyed = count(&app, "dedupe_key IS NOT NULL").await;

        // Within the week nothing goes.
        app.ctx().clock.advance(chrono::Duration::days(6));
        app.run_schedulers().await;
        assert!(count(&app, done_index).await > 0, "kept for a week");

        app.ctx().clock.advance(chrono::Duration::days(2));
        admin
            .ok(
                "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
                json!({ "i": { "categoryId": category, "title": "Queued", "body": "Still waiting" } }),
            )
            .await;
        let pending = count(&app, "status = 'pending'").await;
        assert!(pending > 0);
        app.run_schedulers().await;
        assert_eq!(count(&app, done_index).await, 0, "a week-old finished job is gone");
        assert!(count(&app, "status = 'pending'").await >= pending, "queued work stays");
        assert!(
            count(&app, "dedupe_key IS NOT NULL").await >= keyed,
            "a dedupe key outlives the week"
        );
    })
    .await;
}
