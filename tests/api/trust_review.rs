//! Review integrity: every rule of the exemption review holds against a
//! member who tries to break it. Each test makes the attack through the API,
//! as a member would, and asserts the refusal.
//!
//! - A conflict of interest cannot be shed by leaving the workspace or being
//!   removed from it; an approval voids itself when its reviewer becomes
//!   conflicted; an appeal goes to a reviewer who did not decide, under the
//!   same rule; the queue shows why.
//! - Losing a tier closes controlled-tier requests at once.
//! - A publication report cites only an approved exemption of its own.
//! - Refusals do not reveal what exists: hidden workspaces and drafts answer
//!   NOT_FOUND, and a taken namespace answers alike whatever its tier.

use commons::identity::{Role, Tier};
use serde_json::{Value, json};

use crate::helpers::*;

const CREATE_WORKSPACE: &str =
    "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }";
const PUBLISH_WORKSPACE: &str = "mutation($id: ID!) { publishWorkspace(id: $id, consent: { noHarmfulLanguage: true, contactInfoInDescription: true, collaboratorsAgreed: true }) { id } }";
const ADD_COLLABORATOR: &str =
    "mutation($w: ID!, $u: ID!) { addWorkspaceCollaborator(workspaceId: $w, userId: $u) { id } }";
const REMOVE_COLLABORATOR: &str = "mutation($w: ID!, $u: ID!) { removeWorkspaceCollaborator(workspaceId: $w, userId: $u) { id } }";
const CREATE_REQUEST: &str =
    "mutation($i: CreateExemptionRequestInput!) { createExemptionRequest(input: $i) { id state } }";
const SUBMIT: &str = "mutation($id: ID!) { submitExemptionRequest(id: $id) { id state } }";
const WITHDRAW: &str = "mutation($id: ID!) { withdrawExemptionRequest(id: $id) { id state } }";
const APPEAL: &str =
    "mutation($id: ID!, $r: String!) { appealExemptionRequest(id: $id, reason: $r) { id state } }";
const CLAIM: &str = "mutation($id: ID!) { claimExemptionRequest(id: $id) { id state version } }";
const ASSIGN: &str =
    "mutation($id: ID!, $r: ID!) { assignExemptionRequest(id: $id, reviewerId: $r) { id state } }";
const APPROVE: &str = "mutation($id: ID!, $v: Int!) { approveExemptionRequest(id: $id, expectedVersion: $v) { id state approvalCount approvals { reviewer { handle } } } }";
const DENY: &str = "mutation($id: ID!, $v: Int!, $r: String!) { denyExemptionRequest(id: $id, expectedVersion: $v, reason: $r) { id state } }";
const COMMENT: &str =
    "mutation($id: ID!, $b: String!) { commentOnExemptionRequest(id: $id, body: $b) { id } }";
const GET: &str = "query($id: ID!) { exemptionRequest(id: $id) { id state title dissemination justification cells { description countMin } workspace { name namespace } reviewConflict { reason message } } }";
const QUEUE: &str = "query($f: ExemptionQueueFilter) { exemptionQueue(filter: $f, first: 50) { nodes { id title reviewConflict { reason message } } } }";
const MINE: &str = "{ myExemptionRequests(first: 50) { nodes { id } } }";
const SET_TIER: &str =
    "mutation($u: ID!, $t: Tier!) { updateUser(input: { userId: $u, tier: $t }) { id tier } }";

fn listing(name: &str, namespace: &str, tier: &str) -> Value {
    json!({
        "name": name,
        "namespace": namespace,
        "tier": tier,
        "cdrVersion": "v7",
        "purpose": {
            "intendedStudy": "We study rare variant carriers by county. Contact: see our lab page.",
            "scientificApproach": "Cohort study over EHR data.",
            "anticipatedFindings": "Clusters of carriers in a few counties.",
            "purposes": ["POPULATION_HEALTH"],
        },
        "dataTypes": ["EHR"],
        "tags": ["variants"],
    })
}

fn id_of(data: &Value, field: &str) -> String {
    data[field]["id"].as_str().expect("id").to_string()
}

/// A listing created through the API by `owner`, with `collaborators`
/// added through the API, so the membership history sees them join.
async fn workspace(owner: &Session, name: &str, tier: &str, collaborators: &[&Session]) -> String {
    let namespace = format!("aou-rw-{}", name.to_ascii_lowercase().replace(' ', "-"));
    let id = id_of(
        &owner
            .ok(
                CREATE_WORKSPACE,
                json!({ "i": listing(name, &namespace, tier) }),
            )
            .await,
        "createWorkspace",
    );
    for c in collaborators {
        owner
            .ok(ADD_COLLABORATOR, json!({ "w": id, "u": c.id }))
            .await;
    }
    id
}

fn request_input(app: &TestApp, ws: &str, title: &str) -> Value {
    let needed_by = app.ctx().clock.now().date_naive() + chrono::Duration::days(30);
    json!({
        "workspaceId": ws,
        "title": title,
        "dissemination": "Table 2: carriers of the variant by county.",
        "cells": [{
            "description": "Carriers in Coahoma County",
            "countMin": 5,
            "countMax": 12,
            "whyNotSuppressed": "The county-level count is the finding."
        }],
        "justification": "Only seven carriers live in Coahoma County.",
        "venue": "American Journal of Human Genetics",
        "neededBy": needed_by.to_string(),
    })
}

async fn draft(requester: &Session, ws: &str, title: &str) -> String {
    id_of(
        &requester
            .ok(
                CREATE_REQUEST,
                json!({ "i": request_input(&requester.app, ws, title) }),
            )
            .await,
        "createExemptionRequest",
    )
}

async fn submitted(requester: &Session, ws: &str, title: &str) -> String {
    let id = draft(requester, ws, title).await;
    requester.ok(SUBMIT, json!({ "id": id })).await;
    id
}

async fn reviewer_researcher(app: &TestApp, handle: &str) -> Session {
    app.user_with(
        handle,
        &[Role::Reviewer, Role::Researcher],
        Tier::Controlled,
    )
    .await
}

#[track_caller]
fn message(resp: &Value) -> String {
    resp["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The queue entry of request `id` as `reviewer` sees it.
async fn queue_entry(reviewer: &Session, id: &str) -> Option<Value> {
    reviewer.ok(QUEUE, json!({})).await["exemptionQueue"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["id"] == id)
        .cloned()
}

#[tokio::test]
async fn leaving_or_being_removed_from_the_workspace_does_not_shed_a_conflict() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let kim = reviewer_researcher(&app, "kim").await;
        let lee = reviewer_researcher(&app, "lee").await;
        let chen = app.reviewer("weichen").await;
        let santos = app.reviewer("asantos").await;
        let ws = workspace(&priya, "Shared cohort", "REGISTERED", &[&kim, &lee]).await;
        let id = submitted(&priya, &ws, "Cohort counts").await;

        // Kim is refused while a collaborator, as intended.
        let refused = kim.gql(CLAIM, json!({ "id": id })).await;
        assert_code(&refused, "FORBIDDEN");
        assert!(message(&refused).contains("conflict of interest"));

        // The attack: kim leaves, lee is removed by the owner; both try again.
        kim.ok(REMOVE_COLLABORATOR, json!({ "w": ws, "u": kim.id }))
            .await;
        priya
            .ok(REMOVE_COLLABORATOR, json!({ "w": ws, "u": lee.id }))
            .await;
        for former in [&kim, &lee] {
            let refused = former.gql(CLAIM, json!({ "id": id })).await;
            assert_code(&refused, "FORBIDDEN");
            assert!(
                message(&refused).contains("leaving does not end the conflict"),
                "{refused:#}"
            );
            // Nor can they steer it to themselves or decide it.
            assert_code(
                &former
                    .gql(ASSIGN, json!({ "id": id, "r": former.id }))
                    .await,
                "FORBIDDEN",
            );
            // The queue says why.
            let entry = queue_entry(former, &id).await.expect("in the queue");
            assert_eq!(
                entry["reviewConflict"]["reason"], "COLLABORATED_ON_WORKSPACE",
                "{entry:#}"
            );
        }
        // Nobody can assign it to them either.
        let steer = chen.gql(ASSIGN, json!({ "id": id, "r": kim.id })).await;
        assert_code(&steer, "VALIDATION");
        assert_eq!(steer["errors"][0]["extensions"]["field"], "reviewerId");

        // An unconflicted reviewer claims and approves (1 of 2); the former
        // collaborators' approvals are refused, so it is not APPROVED. Nor
        // do they read the reviewers' internal comments.
        let claimed = chen.ok(CLAIM, json!({ "id": id })).await;
        chen.ok(
            "mutation($id: ID!, $b: String!) { commentOnExemptionRequest(id: $id, body: $b, internal: true) { id } }",
            json!({ "id": id, "b": "Internal: the county has 900 residents." }),
        )
        .await;
        let history = "query($id: ID!) { exemptionRequest(id: $id) { history { internal comment } } }";
        for former in [&kim, &lee] {
            let seen = former.ok(history, json!({ "id": id })).await;
            assert!(!seen.to_string().contains("900 residents"), "{seen:#}");
        }
        assert!(
            santos
                .ok(history, json!({ "id": id }))
                .await
                .to_string()
                .contains("900 residents")
        );
        assert!(queue_entry(&chen, &id).await.expect("queued")["reviewConflict"].is_null());
        let version = claimed["claimExemptionRequest"]["version"].clone();
        chen.ok(APPROVE, json!({ "id": id, "v": version })).await;
        for former in [&kim, &lee] {
            let resp = former.gql(APPROVE, json!({ "id": id, "v": version })).await;
            assert_code(&resp, "FORBIDDEN");
        }
        let seen = santos.ok(GET, json!({ "id": id })).await;
        assert_eq!(seen["exemptionRequest"]["state"], "IN_REVIEW");
        let approved = santos.ok(APPROVE, json!({ "id": id, "v": version })).await;
        assert_eq!(approved["approveExemptionRequest"]["state"], "APPROVED");
    })
    .await;
}

#[tokio::test]
async fn a_member_who_left_before_the_request_was_submitted_is_not_conflicted() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let kim = reviewer_researcher(&app, "kim").await;
        let lee = reviewer_researcher(&app, "lee").await;
        let ws = workspace(&priya, "Draft cohort", "REGISTERED", &[&kim, &lee]).await;
        let id = draft(&priya, &ws, "Cohort counts").await;
        // Kim leaves while the request is still a draft; lee stays until
        // after it is submitted.
        kim.ok(REMOVE_COLLABORATOR, json!({ "w": ws, "u": kim.id }))
            .await;
        app.ctx().clock.advance(chrono::Duration::minutes(5));
        priya.ok(SUBMIT, json!({ "id": id })).await;
        app.ctx().clock.advance(chrono::Duration::minutes(5));
        priya
            .ok(REMOVE_COLLABORATOR, json!({ "w": ws, "u": lee.id }))
            .await;

        // Lee was a member when the request was submitted: still barred.
        let entry = queue_entry(&lee, &id).await.expect("in the queue");
        assert_eq!(
            entry["reviewConflict"]["reason"], "COLLABORATED_ON_WORKSPACE",
            "{entry:#}"
        );
        assert_code(&lee.gql(CLAIM, json!({ "id": id })).await, "FORBIDDEN");
        // Kim had left before: what reviewers decide was submitted without
        // them, so kim may review it.
        let entry = queue_entry(&kim, &id).await.expect("in the queue");
        assert!(entry["reviewConflict"].is_null(), "{entry:#}");
        let claimed = kim.ok(CLAIM, json!({ "id": id })).await;
        assert_eq!(claimed["claimExemptionRequest"]["state"], "IN_REVIEW");
        let version = claimed["claimExemptionRequest"]["version"].clone();
        let voted = kim.ok(APPROVE, json!({ "id": id, "v": version })).await;
        assert_eq!(voted["approveExemptionRequest"]["approvalCount"], 1);
    })
    .await;
}

#[tokio::test]
async fn a_reviewer_who_joins_the_workspace_is_taken_off_the_request() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let chen = app.reviewer("weichen").await;
        let santos = app.reviewer("asantos").await;
        let okafor = app.reviewer("okafor").await;
        let ws = workspace(&priya, "Assigned cohort", "REGISTERED", &[]).await;
        let id = submitted(&priya, &ws, "Carrier counts").await;
        let version =
            chen.ok(CLAIM, json!({ "id": id })).await["claimExemptionRequest"]["version"].clone();
        chen.ok(APPROVE, json!({ "id": id, "v": version })).await;

        // The assignee joins the workspace while the request is theirs.
        priya
            .ok(ADD_COLLABORATOR, json!({ "w": ws, "u": chen.id }))
            .await;
        app.run_jobs().await;

        // They are its assignee no more, the history says why, and the
        // request waits unassigned in the queue.
        let seen = santos
            .ok(
                "query($id: ID!) { exemptionRequest(id: $id) { state version assignee { handle } approvalCount history { kind actor { handle } comment } } }",
                json!({ "id": id }),
            )
            .await;
        let seen = &seen["exemptionRequest"];
        assert!(seen["assignee"].is_null(), "{seen:#}");
        assert_eq!(seen["state"], "IN_REVIEW");
        assert_eq!(seen["version"], version, "unassigning is no new version");
        assert_eq!(seen["approvalCount"], 0, "the assignee's approval is void");
        let last = seen["history"]
            .as_array()
            .and_then(|h| h.last())
            .expect("history");
        assert_eq!(last["kind"], "UNASSIGN", "{last:#}");
        assert!(last["actor"].is_null());
        assert!(
            last["comment"]
                .as_str()
                .is_some_and(|c| c.contains("@weichen") && c.contains("conflict of interest")),
            "{last:#}"
        );
        let unassigned = santos
            .ok(QUEUE, json!({ "f": { "unassigned": true } }))
            .await
            .to_string();
        assert!(unassigned.contains(&format!("\"id\":\"{id}\"")), "{unassigned}");
        let told = chen
            .ok("{ notifications(first: 10) { edges { node { title } } } }", json!({}))
            .await
            .to_string();
        assert!(told.contains("taken off your queue"), "{told}");

        // Running the job again changes nothing; two unconflicted reviewers
        // decide.
        let again = commons::exemptions::unassign::unassign_conflicted(
            app.ctx(),
            ws.parse().expect("id"),
            chen.id_num(),
        )
        .await
        .expect("again");
        assert_eq!(again, 0);
        assert_code(
            &chen.gql(APPROVE, json!({ "id": id, "v": version })).await,
            "FORBIDDEN",
        );
        let second = santos.ok(APPROVE, json!({ "id": id, "v": version })).await;
        assert_eq!(second["approveExemptionRequest"]["state"], "IN_REVIEW");
        let third = okafor.ok(APPROVE, json!({ "id": id, "v": version })).await;
        assert_eq!(third["approveExemptionRequest"]["state"], "APPROVED");
    })
    .await;
}

#[tokio::test]
async fn an_approval_voids_itself_when_its_reviewer_becomes_conflicted() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let chen = app.reviewer("weichen").await;
        let santos = app.reviewer("asantos").await;
        let okafor = app.reviewer("okafor").await;
        let ws = workspace(&priya, "Variant clusters", "REGISTERED", &[]).await;
        let id = submitted(&priya, &ws, "Carrier counts").await;
        let version =
            chen.ok(CLAIM, json!({ "id": id })).await["claimExemptionRequest"]["version"].clone();
        let first = chen.ok(APPROVE, json!({ "id": id, "v": version })).await;
        assert_eq!(first["approveExemptionRequest"]["approvalCount"], 1);

        // Chen joins the workspace before the request is decided, and
        // leaves again: the approval no longer counts.
        priya
            .ok(ADD_COLLABORATOR, json!({ "w": ws, "u": chen.id }))
            .await;
        let seen = santos.ok(GET, json!({ "id": id })).await;
        assert_eq!(seen["exemptionRequest"]["state"], "IN_REVIEW");
        chen.ok(REMOVE_COLLABORATOR, json!({ "w": ws, "u": chen.id }))
            .await;

        // The second approval does not decide it: chen's vote is void.
        let second = santos.ok(APPROVE, json!({ "id": id, "v": version })).await;
        let second = &second["approveExemptionRequest"];
        assert_eq!(second["state"], "IN_REVIEW", "{second:#}");
        assert_eq!(second["approvalCount"], 1);
        assert_eq!(second["approvals"][0]["reviewer"]["handle"], "asantos");
        // Chen cannot vote again, and a third, unconflicted reviewer decides.
        assert_code(
            &chen.gql(APPROVE, json!({ "id": id, "v": version })).await,
            "FORBIDDEN",
        );
        let third = okafor.ok(APPROVE, json!({ "id": id, "v": version })).await;
        assert_eq!(third["approveExemptionRequest"]["state"], "APPROVED");
        assert_eq!(third["approveExemptionRequest"]["approvalCount"], 2);
    })
    .await;
}

#[tokio::test]
async fn an_appeal_goes_to_a_reviewer_who_did_not_decide_and_has_no_conflict() {
    on_each_backend_with(&[("COMMONS_EXEMPTION_APPROVALS", "1")], |app| async move {
        let priya = app.researcher("priya").await;
        let kim = reviewer_researcher(&app, "kim").await;
        let chen = app.reviewer("weichen").await;
        let santos = app.reviewer("asantos").await;
        let ws = workspace(&priya, "Survey areas", "REGISTERED", &[&kim]).await;
        let id = submitted(&priya, &ws, "Tract counts").await;
        chen.ok(CLAIM, json!({ "id": id })).await;
        chen.ok(
            DENY,
            json!({ "id": id, "v": 1, "r": "Tract-level counts re-identify participants." }),
        )
        .await;
        // Kim leaves before the appeal, hoping to take it.
        kim.ok(REMOVE_COLLABORATOR, json!({ "w": ws, "u": kim.id }))
            .await;
        priya
            .ok(
                APPEAL,
                json!({ "id": id, "r": "Only the ratio is published." }),
            )
            .await;

        let refused = chen.gql(CLAIM, json!({ "id": id })).await;
        assert_code(&refused, "FORBIDDEN");
        assert!(message(&refused).contains("different reviewer"));
        let entry = queue_entry(&chen, &id).await.expect("in the queue");
        assert_eq!(entry["reviewConflict"]["reason"], "DENIED_REQUEST");
        let refused = kim.gql(CLAIM, json!({ "id": id })).await;
        assert_code(&refused, "FORBIDDEN");
        assert!(message(&refused).contains("conflict of interest"));
        let entry = queue_entry(&kim, &id).await.expect("in the queue");
        assert_eq!(
            entry["reviewConflict"]["reason"],
            "COLLABORATED_ON_WORKSPACE"
        );
        // Nor does the reviewer who denied it choose who hears the appeal.
        let steer = chen.gql(ASSIGN, json!({ "id": id, "r": santos.id })).await;
        assert_code(&steer, "FORBIDDEN");
        for barred in [&chen, &kim] {
            let steer = santos
                .gql(ASSIGN, json!({ "id": id, "r": barred.id }))
                .await;
            assert_code(&steer, "VALIDATION");
        }

        santos.ok(CLAIM, json!({ "id": id })).await;
        let decided = santos.ok(APPROVE, json!({ "id": id, "v": 1 })).await;
        assert_eq!(decided["approveExemptionRequest"]["state"], "APPROVED");
    })
    .await;
}

#[tokio::test]
async fn losing_the_controlled_tier_closes_controlled_tier_requests_at_once() {
    on_each_backend(|app| async move {
        let admin = app.admin("root").await;
        let owner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let lucia = app
            .user_with("lucia", &[Role::Researcher], Tier::Controlled)
            .await;
        let chen = app.reviewer("weichen").await;
        let ws = workspace(&owner, "Long read variants", "CONTROLLED", &[&lucia]).await;
        let id = submitted(&owner, &ws, "Structural variant counts").await;
        let missing = chen.gql(GET, json!({ "id": "999999" })).await;

        // Before: collaborator, requester and reviewer all read it.
        for reader in [&lucia, &owner, &chen] {
            let seen = reader.ok(GET, json!({ "id": id })).await;
            assert_eq!(
                seen["exemptionRequest"]["workspace"]["namespace"],
                "aou-rw-long-read-variants"
            );
        }
        assert!(queue_entry(&chen, &id).await.is_some());

        // Each is downgraded to the registered tier; the next read is refused
        // exactly as for a request that does not exist.
        for reader in [&lucia, &owner, &chen] {
            admin
                .ok(SET_TIER, json!({ "u": reader.id, "t": "REGISTERED" }))
                .await;
            let resp = reader.gql(GET, json!({ "id": id })).await;
            assert_code(&resp, "NOT_FOUND");
            assert_eq!(
                resp["errors"][0]["message"],
                missing["errors"][0]["message"]
            );
            let text = resp.to_string();
            assert!(
                !text.contains("Coahoma") && !text.contains("long-read"),
                "{text}"
            );
            let resp = reader
                .gql(COMMENT, json!({ "id": id, "b": "Still here?" }))
                .await;
            assert_code(&resp, "NOT_FOUND");
        }
        assert!(
            owner.ok(MINE, json!({})).await["myExemptionRequests"]["nodes"]
                .as_array()
                .expect("nodes")
                .is_empty()
        );
        assert!(queue_entry(&chen, &id).await.is_none());
        assert_code(&chen.gql(CLAIM, json!({ "id": id })).await, "NOT_FOUND");
        assert_code(
            &chen.gql(APPROVE, json!({ "id": id, "v": 1 })).await,
            "NOT_FOUND",
        );
        assert_code(&owner.gql(WITHDRAW, json!({ "id": id })).await, "NOT_FOUND");
        // A registered-tier reviewer cannot be handed it either.
        let santos = app.reviewer("asantos").await;
        admin
            .ok(SET_TIER, json!({ "u": chen.id, "t": "REGISTERED" }))
            .await;
        let steer = santos.gql(ASSIGN, json!({ "id": id, "r": chen.id })).await;
        assert_code(&steer, "VALIDATION");

        // Restored, the tier opens it again.
        admin
            .ok(SET_TIER, json!({ "u": lucia.id, "t": "CONTROLLED" }))
            .await;
        assert!(
            lucia
                .gql(GET, json!({ "id": id }))
                .await
                .get("errors")
                .is_none()
        );
    })
    .await;
}

const CREATE_REPORT: &str =
    "mutation($i: PublicationReportInput!) { createPublicationReport(input: $i) { id } }";
const SUBMIT_REPORT: &str =
    "mutation($id: ID!) { submitPublicationReport(id: $id) { report { id isDraft } } }";

fn report_input(app: &TestApp, title: &str, exemption: &str, workspace: Value) -> Value {
    let day = |n: i64| (app.ctx().clock.now().date_naive() + chrono::Duration::days(n)).to_string();
    json!({
        "type": "POSTER",
        "title": title,
        "summary": "Carriers of a rare variant by county.",
        "venue": "AMIA Annual Symposium",
        "submissionDate": day(1),
        "presentationDate": day(40),
        "workspaces": [workspace],
        "tier": "REGISTERED",
        "cdrVersion": "v7",
        "acknowledgementIncluded": true,
        "dataAvailabilityIncluded": true,
        "compliesWithPolicy": false,
        "exemptionRequestId": exemption,
        "dataAvailabilityStatement": "Data are available to registered researchers in the Registered Tier, CDR v7."
    })
}

#[tokio::test]
async fn a_report_cites_only_an_approved_exemption_of_its_own_workspace_or_filer() {
    on_each_backend_with(&[("COMMONS_EXEMPTION_APPROVALS", "1")], |app| async move {
        let priya = app.researcher("priya").await;
        let lucia = app.researcher("lucia").await;
        let mallory = app.researcher("mallory").await;
        let chen = app.reviewer("weichen").await;
        let ws = workspace(&priya, "Variant counts", "REGISTERED", &[&lucia]).await;
        let approved = submitted(&priya, &ws, "County carriers").await;
        chen.ok(CLAIM, json!({ "id": approved })).await;
        chen.ok(APPROVE, json!({ "id": approved, "v": 1 })).await;

        // The attack: mallory cites priya's approved exemption in her own
        // report, on a namespace of her own.
        let file = |who: &Session, exemption: &str, workspace: Value| {
            let who = who.clone();
            let input = report_input(&app, "Borrowed exemption", exemption, workspace);
            async move {
                let id = id_of(
                    &who.ok(CREATE_REPORT, json!({ "i": input })).await,
                    "createPublicationReport",
                );
                who.gql(SUBMIT_REPORT, json!({ "id": id })).await
            }
        };
        let borrowed = file(
            &mallory,
            &approved,
            json!({ "namespace": "aou-rw-mallory" }),
        )
        .await;
        assert_code(&borrowed, "VALIDATION");
        assert_eq!(
            borrowed["errors"][0]["extensions"]["field"],
            "exemptionRequestId"
        );
        // Answered exactly as an id that does not exist.
        let invented = file(&mallory, "999999", json!({ "namespace": "aou-rw-mallory" })).await;
        assert_eq!(
            borrowed["errors"][0]["message"],
            invented["errors"][0]["message"]
        );

        // The filer's own, and one of a workspace the report names, stand in.
        let own = file(
            &priya,
            &approved,
            json!({ "namespace": "aou-rw-elsewhere" }),
        )
        .await;
        assert_eq!(
            own["data"]["submitPublicationReport"]["report"]["isDraft"], false,
            "{own:#}"
        );
        let shared = file(&lucia, &approved, json!({ "workspaceId": ws })).await;
        assert_eq!(
            shared["data"]["submitPublicationReport"]["report"]["isDraft"], false,
            "{shared:#}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_request_for_a_workspace_the_caller_cannot_see_answers_not_found() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let ctowner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let sam = app.researcher("sam").await;
        let draft_ws = workspace(&priya, "Draft listing", "REGISTERED", &[]).await;
        let controlled = workspace(&ctowner, "Controlled listing", "CONTROLLED", &[]).await;
        ctowner
            .ok(PUBLISH_WORKSPACE, json!({ "id": controlled }))
            .await;
        let public = workspace(&priya, "Published listing", "REGISTERED", &[]).await;
        priya.ok(PUBLISH_WORKSPACE, json!({ "id": public })).await;

        let attempt = |ws: &str| {
            sam.gql(
                CREATE_REQUEST,
                json!({ "i": request_input(&app, ws, "Not mine") }),
            )
        };
        let missing = attempt("999999").await;
        assert_code(&missing, "NOT_FOUND");
        for hidden in [&draft_ws, &controlled] {
            let resp = attempt(hidden).await;
            assert_code(&resp, "NOT_FOUND");
            assert_eq!(
                resp["errors"][0]["message"],
                missing["errors"][0]["message"]
            );
        }
        // A listing sam can see, but is no member of: refused as such.
        assert_code(&attempt(&public).await, "FORBIDDEN");
    })
    .await;
}

#[tokio::test]
async fn a_taken_namespace_answers_alike_whatever_its_tier() {
    on_each_backend(|app| async move {
        let ctowner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let rtowner = app.researcher("rtowner").await;
        let prober = app.researcher("prober").await;
        workspace(&ctowner, "Secret genomes", "CONTROLLED", &[]).await;
        workspace(&rtowner, "Open sleep", "REGISTERED", &[]).await;

        let attempt = |namespace: &str| {
            prober.gql(
                CREATE_WORKSPACE,
                json!({ "i": listing("Probe", namespace, "REGISTERED") }),
            )
        };
        let controlled = attempt("aou-rw-secret-genomes").await;
        let registered = attempt("aou-rw-open-sleep").await;
        assert_code(&controlled, "CONFLICT");
        assert_eq!(controlled["errors"], registered["errors"]);
        // A free namespace is accepted.
        assert!(attempt("aou-rw-free").await.get("errors").is_none());
    })
    .await;
}

#[tokio::test]
async fn reviewers_see_a_requesters_drafts_only_once_submitted() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let chen = app.reviewer("weichen").await;
        let ws = workspace(&priya, "Drafting", "REGISTERED", &[]).await;
        let id = draft(&priya, &ws, "Work in progress").await;
        let abandoned = draft(&priya, &ws, "Never sent").await;
        priya.ok(WITHDRAW, json!({ "id": abandoned })).await;
        let missing = chen.gql(GET, json!({ "id": "999999" })).await;

        for hidden in [&id, &abandoned] {
            let resp = chen.gql(GET, json!({ "id": hidden })).await;
            assert_code(&resp, "NOT_FOUND");
            assert_eq!(
                resp["errors"][0]["message"],
                missing["errors"][0]["message"]
            );
            assert_code(&chen.gql(CLAIM, json!({ "id": hidden })).await, "NOT_FOUND");
            assert_code(
                &chen
                    .gql(COMMENT, json!({ "id": hidden, "b": "Peeking." }))
                    .await,
                "NOT_FOUND",
            );
        }
        // Asking the queue for drafts or withdrawals finds nothing.
        let listed = chen
            .ok(QUEUE, json!({ "f": { "states": ["DRAFT", "WITHDRAWN"] } }))
            .await;
        assert_eq!(listed["exemptionQueue"]["nodes"], json!([]));

        priya.ok(SUBMIT, json!({ "id": id })).await;
        let seen = chen.ok(GET, json!({ "id": id })).await;
        assert_eq!(seen["exemptionRequest"]["state"], "SUBMITTED");
        assert!(queue_entry(&chen, &id).await.is_some());
    })
    .await;
}

#[tokio::test]
async fn a_registered_tier_reviewer_cannot_link_a_controlled_tier_listing_to_a_report() {
    on_each_backend(|app| async move {
        let ctowner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let reviewer = app
            .user_with(
                "rtreviewer",
                &[Role::Reviewer, Role::Researcher],
                Tier::Registered,
            )
            .await;
        let controlled = workspace(&ctowner, "Hidden genomes", "CONTROLLED", &[]).await;
        let attempt = |ws: &str| {
            let mut input = report_input(&app, "Probe", "1", json!({ "workspaceId": ws }));
            input["compliesWithPolicy"] = json!(true);
            input
                .as_object_mut()
                .map(|o| o.remove("exemptionRequestId"));
            reviewer.gql(CREATE_REPORT, json!({ "i": input }))
        };
        let hidden = attempt(&controlled).await;
        let missing = attempt("999999").await;
        assert_code(&hidden, "VALIDATION");
        assert_eq!(hidden["errors"], missing["errors"]);
        assert!(!hidden.to_string().contains("hidden-genomes"));
    })
    .await;
}

#[tokio::test]
async fn the_membership_history_is_backfilled_from_current_membership() {
    use commons::entities::workspace_membership;
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let kim = reviewer_researcher(&app, "kim").await;
        // Membership written before the history was kept.
        let ws = crate::exemptions::workspace(&app, &priya, "Older cohort", &[&kim]).await;
        let id = submitted(&priya, &ws.to_string(), "Older counts").await;
        let db = &app.ctx().db;

        // The history's migration runs again over the existing rows.
        let position = Migrator::migrations()
            .iter()
            .position(|m| m.name() == "m20261202_000150_membership_history")
            .expect("the migration is registered");
        let after = Migrator::migrations().len() - position;
        Migrator::down(db, Some(after as u32)).await.expect("down");
        Migrator::up(db, None).await.expect("up");
        let rows = workspace_membership::Entity::find()
            .filter(workspace_membership::Column::WorkspaceId.eq(ws))
            .all(db)
            .await
            .expect("history");
        let mut members: Vec<(i64, String, bool)> = rows
            .iter()
            .map(|r| (r.user_id, r.role.clone(), r.ended_at.is_none()))
            .collect();
        members.sort();
        let mut expected = vec![
            (priya.id_num(), "owner".to_string(), true),
            (kim.id_num(), "collaborator".to_string(), true),
        ];
        expected.sort();
        assert_eq!(members, expected);

        // Leaving now keeps the conflict on the existing request.
        kim.ok(
            REMOVE_COLLABORATOR,
            json!({ "w": ws.to_string(), "u": kim.id }),
        )
        .await;
        let refused = kim.gql(CLAIM, json!({ "id": id })).await;
        assert_code(&refused, "FORBIDDEN");
        assert!(message(&refused).contains("leaving does not end the conflict"));
    })
    .await;
}

#[tokio::test]
async fn an_overdue_reminder_does_not_mail_a_controlled_tier_title_to_an_assignee_who_lost_the_tier()
 {
    on_each_backend(|app| async move {
        let admin = app.admin("root").await;
        let owner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let chen = app.reviewer("weichen").await;
        let santos = app.reviewer("asantos").await;
        let ws = workspace(&owner, "Long read cohort", "CONTROLLED", &[]).await;
        let id = submitted(&owner, &ws, "Structural variant carriers").await;
        chen.ok(CLAIM, json!({ "id": id })).await;
        // A control: the same reminder reaches an assignee who kept the tier.
        let other = submitted(&owner, &ws, "Inversion carriers").await;
        santos.ok(CLAIM, json!({ "id": other })).await;
        admin
            .ok(SET_TIER, json!({ "u": chen.id, "t": "REGISTERED" }))
            .await;

        // Past due: the reminder job runs, and tells the assignee nothing.
        app.ctx().clock.advance(chrono::Duration::days(30));
        commons::exemptions::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.run_jobs().await;
        let mailed = app.mail_to(&chen.email).into_iter().any(|m| {
            m.subject.contains("Structural variant") || m.text.contains("Structural variant")
        });
        assert!(!mailed, "a reminder carried the controlled-tier title");
        assert!(
            app.mail_to(&santos.email).iter().any(|m| m
                .subject
                .contains("Overdue exemption request: Inversion carriers")),
            "the control was not reminded"
        );
    })
    .await;
}

#[tokio::test]
async fn a_decision_mail_is_not_sent_to_a_requester_who_lost_the_tier_before_it_went_out() {
    on_each_backend_with(&[("COMMONS_EXEMPTION_APPROVALS", "1")], |app| async move {
        let admin = app.admin("root").await;
        let owner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let kept = app
            .user_with("ctkeeper", &[Role::Researcher], Tier::Controlled)
            .await;
        let chen = app.reviewer("weichen").await;
        let ws = workspace(&owner, "Long read cohort", "CONTROLLED", &[]).await;
        let other = workspace(&kept, "Short read cohort", "CONTROLLED", &[]).await;
        let id = submitted(&owner, &ws, "Structural variant carriers").await;
        let control = submitted(&kept, &other, "Inversion carriers").await;
        for req in [&id, &control] {
            chen.ok(CLAIM, json!({ "id": req })).await;
            chen.ok(APPROVE, json!({ "id": req, "v": 1 })).await;
        }
        // The requester loses the tier before the decision's mail is sent.
        admin
            .ok(SET_TIER, json!({ "u": owner.id, "t": "REGISTERED" }))
            .await;
        app.run_jobs().await;
        let leaked = app.mail_to(&owner.email).into_iter().any(|m| {
            m.subject.contains("Structural variant") || m.text.contains("Structural variant")
        });
        assert!(!leaked, "a decision mail carried the controlled-tier title");
        assert!(
            app.mail_to(&kept.email)
                .iter()
                .any(|m| m.subject.contains("Exemption approved: Inversion carriers")),
            "the control was not mailed"
        );
    })
    .await;
}

#[tokio::test]
async fn a_request_links_only_a_publication_report_of_its_requester() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let mallory = app.researcher("mallory").await;
        let ws = workspace(&mallory, "Mallory lab", "REGISTERED", &[]).await;
        let mut input = report_input(&app, "Priya's poster", "1", json!({ "namespace": "aou-rw-priya" }));
        input["compliesWithPolicy"] = json!(true);
        input.as_object_mut().map(|o| o.remove("exemptionRequestId"));
        let theirs = id_of(
            &priya.ok(CREATE_REPORT, json!({ "i": input.clone() })).await,
            "createPublicationReport",
        );
        let own = id_of(
            &mallory.ok(CREATE_REPORT, json!({ "i": input })).await,
            "createPublicationReport",
        );

        let link = |report: &str| {
            let mut i = request_input(&app, &ws, "Linked counts");
            i["publicationReportId"] = json!(report);
            mallory.gql(CREATE_REQUEST, json!({ "i": i }))
        };
        let foreign = link(&theirs).await;
        let missing = link("999999").await;
        assert_code(&foreign, "VALIDATION");
        assert_eq!(foreign["errors"][0]["extensions"]["field"], "publicationReportId");
        assert_eq!(foreign["errors"], missing["errors"]);
        let id = id_of(&mallory.ok(CREATE_REQUEST, json!({ "i": {
            "workspaceId": ws,
            "title": "Linked later",
            "neededBy": (app.ctx().clock.now().date_naive() + chrono::Duration::days(30)).to_string(),
        } })).await, "createExemptionRequest");
        let update = "mutation($id: ID!, $r: ID) { updateExemptionRequest(id: $id, input: { publicationReportId: $r }) { id publicationReportId } }";
        assert_code(
            &mallory.gql(update, json!({ "id": id, "r": theirs })).await,
            "VALIDATION",
        );
        let linked = mallory.ok(update, json!({ "id": id, "r": own })).await;
        assert_eq!(linked["updateExemptionRequest"]["publicationReportId"], own.as_str());
        assert!(link(&own).await.get("errors").is_none());
    })
    .await;
}
