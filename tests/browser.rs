//! Browser tests: each scenario starts the app on a fresh SQLite database
//! with the file mailer and the in-process job worker, then drives the real
//! frontend in Debian's Chromium with a playwright-core script from
//! `tests/browser/`. Screenshots land in `tests/artifacts/`.
//!
//! Chromium and Node.js are required: a missing one fails the test with a
//! message saying what to install, it never skips.

#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/oidc_provider.rs"]
mod oidc_provider;

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use commons::identity::{Role, Tier};
use helpers::{Backend, Session, TestApp};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);

/// One browser at a time: the machine running the suite may be small.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails with instructions when a prerequisite is missing.
fn require_tools() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
    );
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "browser tests need Node.js on PATH: apt-get install nodejs ({node:?})"
    );
    assert!(
        root()
            .join("tests/browser/node_modules/playwright-core")
            .is_dir(),
        "browser tests need playwright-core: run `npm install` in tests/browser (tests/run does it)"
    );
}

/// The app for one scenario: mail goes to `.eml` files, delivered by the
/// worker inside the server, as on a laptop.
async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("COMMONS_MAILER", "file"), ("COMMONS_WORKER", "true")];
    vars.extend_from_slice(extra);
    TestApp::spawn(Backend::Sqlite, &vars).await
}

/// A draft workspace listing owned by `owner`; returns its id.
async fn workspace_of(owner: &Session, name: &str) -> String {
    let data = owner
        .ok(
            "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
            json!({ "input": {
                "name": name,
                "namespace": format!("aou-rw-{}", owner.handle),
                "tier": "REGISTERED",
                "cdrVersion": "v7",
                "purpose": {
                    "intendedStudy": "Prevalence of rare phenotypes across genetic ancestry groups.",
                    "purposes": ["ANCESTRY"],
                },
                "dataTypes": ["EHR", "SURVEY"],
            } }),
        )
        .await;
    data["createWorkspace"]["id"]
        .as_str()
        .expect("workspace id")
        .to_string()
}

fn mail_dir(app: &TestApp) -> PathBuf {
    app.ctx().config.data_dir.join("mail")
}

/// Runs `tests/browser/<script>` against `app`; panics with the script's
/// output unless it exits successfully.
async fn run_script(app: &TestApp, script: &str, env: &[(&str, &str)]) {
    let artifacts = root().join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let mut command = tokio::process::Command::new("node");
    command
        .arg(root().join("tests/browser").join(script))
        .current_dir(root().join("tests/browser"))
        .env("BASE_URL", app.url(""))
        .env("MAIL_DIR", mail_dir(app))
        .env("ARTIFACTS_DIR", &artifacts)
        .env("PASSWORD", helpers::PASSWORD)
        .env("CHROMIUM", CHROMIUM)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("start node");
    let output = tokio::time::timeout(SCENARIO_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within {SCENARIO_TIMEOUT:?}"))
        .expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    print!("{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_and_verify_from_the_mailed_link() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app().await;
    run_script(&app, "signup_verify.mjs", &[]).await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frontend_query_matches_the_schema() {
    require_tools();
    let app = spawn_app().await;
    commons::seed::seed_demo(app.ctx())
        .await
        .expect("seed the demo community");
    // Signed in as a member holding every role, so no query stops at a
    // permission before its cost is counted.
    let member = app
        .user_with(
            "allroles",
            &[
                Role::Admin,
                Role::Moderator,
                Role::Reviewer,
                Role::Researcher,
            ],
            Tier::Controlled,
        )
        .await;
    run_script(&app, "queries.mjs", &[("TOKEN", member.token.as_str())]).await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_decides_an_exemption_and_the_requester_sees_it() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app_with(&[("COMMONS_EXEMPTION_APPROVALS", "1")]).await;
    // Accounts made the way the CLI makes them: mail here goes to files.
    let requester = app
        .user_with("rhea", &[Role::Researcher], Tier::Registered)
        .await;
    let reviewer = app.reviewer("okafor").await;
    let name = "Rare phenotypes across ancestries";
    workspace_of(&requester, name).await;
    run_script(
        &app,
        "exemption_decision.mjs",
        &[
            ("REQUESTER_EMAIL", requester.email.as_str()),
            ("REVIEWER_EMAIL", reviewer.email.as_str()),
            ("WORKSPACE_NAME", name),
        ],
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_researcher_files_a_publication_report_and_staff_find_it() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app().await;
    let author = app
        .user_with("imani", &[Role::Researcher], Tier::Registered)
        .await;
    let staff = app.reviewer("staffer").await;
    run_script(
        &app,
        "publication_report.mjs",
        &[
            ("AUTHOR_EMAIL", author.email.as_str()),
            ("STAFF_EMAIL", staff.email.as_str()),
        ],
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_loads_over_the_demo_community() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app().await;
    commons::seed::seed_demo(app.ctx())
        .await
        .expect("seed the demo community");
    run_script(&app, "tour.mjs", &[]).await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_and_its_reply_are_found_through_search() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    // The shipped rules hold a brand-new member's first post for review;
    // this scenario is about posting and finding, not moderation.
    let app = spawn_app_with(&[("COMMONS_MODERATION_DIR", helpers::trusted_members_rules())]).await;
    let admin = app.admin("avery").await;
    let category = "Dataset Builder";
    admin
        .ok(
            "mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }",
            json!({ "input": {
                "name": category,
                "description": "Concept sets, cohorts and datasets: building them and exporting them.",
            } }),
        )
        .await;
    let author = app
        .user_with("noor", &[Role::Researcher], Tier::Registered)
        .await;
    let replier = app
        .user_with("tomas", &[Role::Researcher], Tier::Registered)
        .await;
    run_script(
        &app,
        "forum_search.mjs",
        &[
            ("AUTHOR_EMAIL", author.email.as_str()),
            ("REPLIER_EMAIL", replier.email.as_str()),
            ("CATEGORY_NAME", category),
        ],
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_small_count_is_rejected_from_the_moderation_queue() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    // The shipped rules: a new member's first post is held, and so is a
    // participant count from 1 to 20.
    let app = spawn_app().await;
    let admin = app.admin("avery").await;
    let category = "Survey data";
    admin
        .ok(
            "mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }",
            json!({ "input": {
                "name": category,
                "description": "The All of Us surveys: questions, response rates and skip patterns.",
            } }),
        )
        .await;
    let author = app
        .user_with("lena", &[Role::Researcher], Tier::Registered)
        .await;
    let reader = app
        .user_with("kofi", &[Role::Researcher], Tier::Registered)
        .await;
    let moderator = app.moderator("maria").await;
    run_script(
        &app,
        "moderation_queue.mjs",
        &[
            ("AUTHOR_EMAIL", author.email.as_str()),
            ("READER_EMAIL", reader.email.as_str()),
            ("MODERATOR_EMAIL", moderator.email.as_str()),
            ("CATEGORY_NAME", category),
        ],
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_follows_only_same_origin_next() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app().await;
    let member = app
        .user_with("nextmember", &[Role::Researcher], Tier::Registered)
        .await;
    run_script(
        &app,
        "sign_in_next.mjs",
        &[("MEMBER_EMAIL", member.email.as_str())],
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_who_left_the_workspace_sees_why_they_may_not_review() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app().await;
    let requester = app
        .user_with("rhea", &[Role::Researcher], Tier::Registered)
        .await;
    let reviewer = app
        .user_with(
            "kimreviews",
            &[Role::Reviewer, Role::Researcher],
            Tier::Registered,
        )
        .await;
    let workspace = workspace_of(&requester, "Shared cohort").await;
    let member = json!({ "w": workspace, "u": reviewer.id });
    requester
        .ok(
            "mutation($w: ID!, $u: ID!) { addWorkspaceCollaborator(workspaceId: $w, userId: $u) { id } }",
            member.clone(),
        )
        .await;
    let title = "County carrier counts";
    let needed_by = app.ctx().clock.now().date_naive() + chrono::Duration::days(30);
    let created = requester
        .ok(
            "mutation($i: CreateExemptionRequestInput!) { createExemptionRequest(input: $i) { id } }",
            json!({ "i": {
                "workspaceId": workspace,
                "title": title,
                "dissemination": "Table 2: carriers by county.",
                "cells": [{ "description": "Carriers in one county", "countMin": 5, "countMax": 12, "whyNotSuppressed": "The county count is the finding." }],
                "justification": "The cluster needs the county to be actionable.",
                "venue": "A journal",
                "neededBy": needed_by.to_string(),
            } }),
        )
        .await;
    requester
        .ok(
            "mutation($id: ID!) { submitExemptionRequest(id: $id) { id } }",
            json!({ "id": created["createExemptionRequest"]["id"] }),
        )
        .await;
    // The reviewer leaves the workspace once the request is in the queue.
    reviewer
        .ok(
            "mutation($w: ID!, $u: ID!) { removeWorkspaceCollaborator(workspaceId: $w, userId: $u) { id } }",
            member,
        )
        .await;
    run_script(
        &app,
        "exemption_conflict.mjs",
        &[
            ("REVIEWER_EMAIL", reviewer.email.as_str()),
            ("REQUEST_TITLE", title),
        ],
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_researcher_signs_in_through_the_identity_provider_posts_and_signs_out() {
    require_tools();
    let _one_at_a_time = BROWSER.lock().await;
    let idp = oidc_provider::provider();
    // The provider sends the browser back to the app: its public URL must be
    // its real address, so the port is chosen first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let public_url = format!("http://{bind}");
    let client_id = format!("commons-browser-{port}");
    let app = spawn_app_with(&[
        ("COMMONS_MODERATION_DIR", helpers::trusted_members_rules()),
        ("COMMONS_BIND", bind.as_str()),
        ("COMMONS_PUBLIC_URL", public_url.as_str()),
        ("COMMONS_OIDC_ISSUER", idp.issuer.as_str()),
        ("COMMONS_OIDC_CLIENT_ID", client_id.as_str()),
        (
            "COMMONS_OIDC_CLIENT_SECRET",
            "a-client-secret-for-the-browser",
        ),
        ("COMMONS_OIDC_SCOPES", "openid email profile"),
        ("COMMONS_OIDC_DISPLAY_NAME", "All of Us"),
        ("COMMONS_PASSWORD_SIGN_IN", "false"),
    ])
    .await;
    idp.register_client(
        &client_id,
        Some("a-client-secret-for-the-browser"),
        &public_url,
        &public_url,
    )
    .await;
    let login = format!("browser-{port}");
    idp.account(
        &login,
        json!({ "email": format!("{login}@researchallofus.org"), "email_verified": true, "name": "Rosalind Franklin" }),
    )
    .await;
    // Password sign-in is off: the operator's way in is the command line.
    let admin = commons::auth::service::create_account(
        app.ctx(),
        commons::auth::service::NewAccount {
            sign_up: commons::auth::service::SignUp {
                email: "avery@researchallofus.org".into(),
                password: helpers::PASSWORD.into(),
                display_name: "Avery".into(),
                institution: None,
                handle: Some("avery".into()),
            },
            roles: commons::identity::Roles::new([Role::Admin, Role::Researcher]),
            tier: Tier::Controlled,
            verified: true,
        },
    )
    .await
    .expect("admin account");
    let category = "Dataset Builder";
    commons::forum::categories::create_category(
        app.ctx(),
        &commons::identity::CurrentUser::from_model(&admin, None),
        commons::forum::categories::CategoryInput {
            name: Some(category.into()),
            slug: None,
            description: Some("Concept sets, cohorts and datasets.".into()),
            required_roles: None,
        },
    )
    .await
    .expect("category");
    run_script(
        &app,
        "sso_sign_in.mjs",
        &[
            ("PROVIDER_LOGIN", login.as_str()),
            ("PROVIDER_ISSUER", idp.issuer.as_str()),
            ("CATEGORY_NAME", category),
        ],
    )
    .await;
    app.shutdown().await;
}
