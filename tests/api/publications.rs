//! The publication-report story: an author drafts a report of an upcoming
//! poster or paper, files it (late or on time), moves it through its
//! lifecycle to published; co-authors follow along, staff track and export
//! reports, the community sees what was published, and reminders arrive
//! once each as time passes.

use chrono::{Duration, NaiveDate};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use commons::{
    entities::workspace,
    identity::{Role, Tier},
};

use crate::helpers::*;

const REPORT_FIELDS: &str = "id type title status isDraft late daysOfNotice dueDate tier cdrVersion
    doi pmcid url embargoUntil viewerCanEdit exemptionRequestId
    leadAuthor { handle } filer { handle }
    coAuthors { name affiliation user { handle } }
    workspaces { workspaceId namespace }
    attestations { acknowledgementIncluded dataAvailabilityIncluded compliesWithPolicy }
    statusHistory { fromStatus toStatus changedBy { handle } changedAt }";

fn create_q() -> String {
    format!(
        "mutation($i: PublicationReportInput!) {{ createPublicationReport(input: $i) {{ {REPORT_FIELDS} }} }}"
    )
}
fn update_q() -> String {
    format!(
        "mutation($id: ID!, $i: PublicationReportInput!) {{ updatePublicationReport(id: $id, input: $i) {{ {REPORT_FIELDS} }} }}"
    )
}
fn get_q() -> String {
    format!("query($id: ID!) {{ publicationReport(id: $id) {{ {REPORT_FIELDS} }} }}")
}
const SUBMIT: &str = "mutation($id: ID!) { submitPublicationReport(id: $id) {
    late daysOfNotice notice report { id isDraft late status statusHistory { fromStatus toStatus } } } }";
const SET_STATUS: &str = "mutation($id: ID!, $s: PublicationStatus!) {
    setPublicationReportStatus(id: $id, status: $s) { id status statusHistory { fromStatus toStatus changedBy { handle } } } }";
const MINE: &str = "{ myPublicationReports { edges { node { id title isDraft viewerCanEdit } } } }";
const RECENT: &str = "{ recentPublications { edges { node { id title late attestations { compliesWithPolicy } } } } }";
const STAFF: &str = "query($f: PublicationReportFilter) { publicationReports(filter: $f) { edges { node { id title late status } } } }";
const CSV: &str = "query($f: PublicationReportFilter) { publicationReportsCsv(filter: $f) }";

fn today(app: &TestApp) -> NaiveDate {
    app.ctx().clock.now().date_naive()
}

fn day(app: &TestApp, offset: i64) -> String {
    (today(app) + Duration::days(offset)).to_string()
}

/// A workspace listing, as the workspaces domain would store it.
async fn listing(
    app: &TestApp,
    owner: &Session,
    namespace: &str,
    tier: Tier,
    published: bool,
) -> String {
    let now = app.ctx().clock.now();
    let row = workspace::ActiveModel {
        name: Set(format!("Workspace {namespace}")),
        namespace: Set(namespace.into()),
        owner_id: Set(owner.id_num()),
        intended_study: Set(String::new()),
        intended_study_html: Set(String::new()),
        scientific_approach: Set(String::new()),
        scientific_approach_html: Set(String::new()),
        anticipated_findings: Set(String::new()),
        anticipated_findings_html: Set(String::new()),
        disease_focused: Set(false),
        disease: Set(String::new()),
        methods_development: Set(false),
        population_health: Set(false),
        social_behavioral: Set(false),
        ancestry: Set(false),
        drug_development: Set(false),
        educational: Set(false),
        other_purpose: Set(false),
        other_purpose_text: Set(String::new()),
        tier: Set(tier.as_str().into()),
        cdr_version: Set("v7".into()),
        featured_category: Set(None),
        published_at: Set(published.then_some(now)),
        consented_at: Set(None),
        consented_by: Set(None),
        duplicate_count: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.ctx().db)
    .await
    .expect("insert workspace");
    row.id.to_string()
}

/// Everything a poster report needs to be filed, presented `days` from now.
fn complete(app: &TestApp, title: &str, days: i64) -> Value {
    json!({
        "type": "POSTER",
        "title": title,
        "summary": "We describe *blood pressure* trajectories across participants.",
        "venue": "AMIA Annual Symposium",
        "submissionDate": day(app, 1),
        "presentationDate": day(app, days),
        "workspaces": [{ "namespace": "aou-rw-5a1b2c3d" }],
        "tier": "REGISTERED",
        "cdrVersion": "v7",
        "acknowledgementIncluded": true,
        "dataAvailabilityIncluded": true,
        "compliesWithPolicy": true,
        "dataAvailabilityStatement": "Data are available to registered researchers in the Registered Tier, CDR v7."
    })
}

async fn create(session: &Session, input: Value) -> Value {
    session.ok(&create_q(), json!({ "i": input })).await["createPublicationReport"].clone()
}

/// Creates and files a complete report; returns its id.
async fn file(session: &Session, title: &str, days: i64) -> String {
    let input = complete(&session.app, title, days);
    let id = create(session, input).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    session.ok(SUBMIT, json!({ "id": id })).await;
    id
}

#[track_caller]
fn assert_refused(resp: &Value, code: &str, field: &str) {
    assert_code(resp, code);
    assert_eq!(resp["errors"][0]["extensions"]["field"], field, "{resp:#}");
}

fn ids(list: &Value) -> Vec<String> {
    list["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_report_goes_from_draft_to_published_with_its_history() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let james = app.researcher("james").await;
        let reader = app.researcher("reader").await;
        let ws = listing(&app, &priya, "aou-rw-priya001", Tier::Registered, false).await;

        // A draft needs only a type and a title.
        let draft = create(
            &priya,
            json!({
                "type": "JOURNAL_ARTICLE",
                "title": "Blood pressure trajectories in All of Us",
                "coAuthors": [
                    { "userId": james.id },
                    { "name": "Dr. Ngozi Adeyemi", "affiliation": "University of Lagos" }
                ],
            }),
        )
        .await;
        let id = draft["id"].as_str().expect("id").to_string();
        assert_eq!(draft["isDraft"], true);
        assert_eq!(draft["status"], "PLANNED");
        assert_eq!(draft["leadAuthor"]["handle"], "priya");
        assert_eq!(draft["coAuthors"][0]["user"]["handle"], "james");
        assert_eq!(draft["coAuthors"][1]["affiliation"], "University of Lagos");
        assert_eq!(draft["statusHistory"], json!([]));

        // Submitting an incomplete draft names what is missing.
        let resp = priya.gql(SUBMIT, json!({ "id": id })).await;
        assert_refused(&resp, "VALIDATION", "summary");

        let updated = priya
            .ok(
                &update_q(),
                json!({ "id": id, "i": {
                    "summary": "Trajectories of systolic blood pressure over five years.",
                    "venue": "JAMIA",
                    "submissionDate": day(&app, 20),
                    "publicationDate": day(&app, 90),
                    "workspaces": [{ "workspaceId": ws }, { "namespace": "aou-rw-extra002" }],
                    "tier": "REGISTERED",
                    "cdrVersion": "v7",
                    "acknowledgementIncluded": true,
                    "dataAvailabilityIncluded": true,
                    "compliesWithPolicy": true,
                }}),
            )
            .await["updatePublicationReport"]
            .clone();
        assert_eq!(
            updated["workspaces"],
            json!([
                { "workspaceId": ws, "namespace": "aou-rw-priya001" },
                { "workspaceId": null, "namespace": "aou-rw-extra002" }
            ])
        );

        let filed = priya.ok(SUBMIT, json!({ "id": id })).await["submitPublicationReport"].clone();
        assert_eq!(filed["late"], false);
        assert_eq!(filed["daysOfNotice"], 90);
        assert!(
            filed["notice"]
                .as_str()
                .unwrap_or("")
                .contains("90 days before its publication date"),
            "{filed:#}"
        );
        assert_eq!(filed["report"]["isDraft"], false);
        assert_eq!(
            filed["report"]["statusHistory"],
            json!([{ "fromStatus": null, "toStatus": "PLANNED" }])
        );

        // Filing twice is refused.
        let again = priya.gql(SUBMIT, json!({ "id": id })).await;
        assert_code(&again, "INVALID_STATE");

        // Through the lifecycle; the co-author is not the one to move it.
        let resp = james
            .gql(SET_STATUS, json!({ "id": id, "s": "SUBMITTED" }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        for status in ["SUBMITTED", "ACCEPTED"] {
            priya.ok(SET_STATUS, json!({ "id": id, "s": status })).await;
        }
        // Not yet published: the community does not see it.
        assert!(ids(&reader.ok(RECENT, json!({})).await["recentPublications"]).is_empty());

        app.ctx().clock.advance(Duration::days(3));
        let published = priya
            .ok(
                &update_q(),
                json!({ "id": id, "i": { "status": "PUBLISHED", "doi": "https://doi.org/10.1093/jamia/ocab123" } }),
            )
            .await["updatePublicationReport"]
            .clone();
        assert_eq!(published["doi"], "10.1093/jamia/ocab123");
        let history = published["statusHistory"].as_array().cloned().unwrap_or_default();
        let moves: Vec<(Value, Value)> = history
            .iter()
            .map(|h| (h["fromStatus"].clone(), h["toStatus"].clone()))
            .collect();
        assert_eq!(
            moves,
            vec![
                (Value::Null, json!("PLANNED")),
                (json!("PLANNED"), json!("SUBMITTED")),
                (json!("SUBMITTED"), json!("ACCEPTED")),
                (json!("ACCEPTED"), json!("PUBLISHED")),
            ]
        );
        assert!(history.iter().all(|h| h["changedBy"]["handle"] == "priya"));
        assert!(history[3]["changedAt"].as_str() > history[2]["changedAt"].as_str());

        // Published: in the community list, without the compliance details.
        let recent = reader.ok(RECENT, json!({})).await;
        assert_eq!(ids(&recent["recentPublications"]), vec![id.clone()]);
        let node = &recent["recentPublications"]["edges"][0]["node"];
        assert!(node["late"].is_null());
        assert!(node["attestations"].is_null());
        let seen = reader.ok(&get_q(), json!({ "id": id })).await["publicationReport"].clone();
        assert_eq!(seen["statusHistory"], json!([]));
        assert_eq!(seen["viewerCanEdit"], false);

        // A filed report cannot be deleted, only withdrawn.
        let resp = priya
            .gql("mutation($id: ID!) { deletePublicationReport(id: $id) }", json!({ "id": id }))
            .await;
        assert_code(&resp, "INVALID_STATE");
    })
    .await;
}

#[tokio::test]
async fn submitting_requires_the_acknowledgement_statement() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let mut input = complete(&app, "Sleep and activity", 40);
        input["acknowledgementIncluded"] = json!(false);
        let id = create(&author, input).await["id"].clone();
        let resp = author.gql(SUBMIT, json!({ "id": id })).await;
        assert_refused(&resp, "VALIDATION", "acknowledgementIncluded");
        assert!(
            resp["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("acknowledgement")
        );
    })
    .await;
}

#[tokio::test]
async fn submitting_requires_a_data_availability_statement_naming_tier_and_version() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let mut input = complete(&app, "Sleep and activity", 40);
        input["dataAvailabilityIncluded"] = json!(false);
        let id = create(&author, input).await["id"].clone();
        let resp = author.gql(SUBMIT, json!({ "id": id })).await;
        assert_refused(&resp, "VALIDATION", "dataAvailabilityIncluded");

        // Attested, but the quoted statement forgets the dataset version.
        author
            .ok(
                &update_q(),
                json!({ "id": id, "i": {
                    "dataAvailabilityIncluded": true,
                    "dataAvailabilityStatement": "Data are available in the Registered Tier."
                }}),
            )
            .await;
        let resp = author.gql(SUBMIT, json!({ "id": id })).await;
        assert_refused(&resp, "VALIDATION", "dataAvailabilityStatement");
    })
    .await;
}

#[tokio::test]
async fn submitting_requires_policy_compliance_or_an_approved_exemption() {
    on_each_backend_with(&[("COMMONS_EXEMPTION_APPROVALS", "1")], |app| async move {
        let author = app.researcher("author").await;
        let mut input = complete(&app, "Rare variant counts", 40);
        input["compliesWithPolicy"] = json!(false);
        let id = create(&author, input).await["id"].clone();
        let resp = author.gql(SUBMIT, json!({ "id": id })).await;
        assert_refused(&resp, "VALIDATION", "compliesWithPolicy");

        // A request that is not approved does not stand in for compliance.
        let ws = crate::exemptions::workspace(&app, &author, "Rare variants", &[]).await;
        let request = crate::exemptions::submitted(&app, &author, ws, "County counts", 30).await;
        author
            .ok(
                &update_q(),
                json!({ "id": id, "i": { "exemptionRequestId": request } }),
            )
            .await;
        let resp = author.gql(SUBMIT, json!({ "id": id })).await;
        assert_refused(&resp, "VALIDATION", "exemptionRequestId");

        // Once a reviewer approves it, the report can be filed.
        let reviewer = app.reviewer("reviewer").await;
        let claimed = reviewer
            .ok(&crate::exemptions::claim_q(), json!({ "id": request }))
            .await;
        let version = claimed["claimExemptionRequest"]["version"].clone();
        reviewer
            .ok(
                &crate::exemptions::approve_q(),
                json!({ "id": request, "v": version, "c": null }),
            )
            .await;
        let filed = author.ok(SUBMIT, json!({ "id": id })).await;
        assert_eq!(filed["submitPublicationReport"]["report"]["isDraft"], false);
    })
    .await;
}

#[tokio::test]
async fn a_report_with_less_than_two_weeks_notice_is_accepted_and_flagged_late() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let reviewer = app.reviewer("reviewer").await;
        let input = complete(&app, "Late-breaking poster", 9);
        let id = create(&author, input).await["id"].clone();
        let filed = author.ok(SUBMIT, json!({ "id": id })).await["submitPublicationReport"].clone();
        assert_eq!(filed["late"], true);
        assert_eq!(filed["daysOfNotice"], 9);
        assert_eq!(
            filed["notice"],
            "This report was filed 9 days before its presentation date; the Data User Code of \
             Conduct asks for at least 14 days. It has been accepted and marked late."
        );
        assert_eq!(filed["report"]["late"], true);

        let on_time = file(&author, "Planned well ahead", 14).await;
        let late_only = reviewer.ok(STAFF, json!({ "f": { "late": true } })).await;
        assert_eq!(
            ids(&late_only["publicationReports"]),
            vec![id.as_str().unwrap_or("").to_string()]
        );
        let punctual = reviewer.ok(STAFF, json!({ "f": { "late": false } })).await;
        assert_eq!(ids(&punctual["publicationReports"]), vec![on_time]);
    })
    .await;
}

#[tokio::test]
async fn embargoed_reports_stay_out_of_the_community_list_until_the_embargo_lifts() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let reader = app.researcher("reader").await;
        let reviewer = app.reviewer("reviewer").await;
        let embargo = app.ctx().clock.now() + Duration::days(5);
        let mut input = complete(&app, "Embargoed findings", 30);
        input["status"] = json!("PUBLISHED");
        input["doi"] = json!("10.1038/s41586-023-06957-x");
        input["embargoUntil"] = json!(embargo.to_rfc3339());
        let id = create(&author, input).await["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        author.ok(SUBMIT, json!({ "id": id })).await;

        assert!(ids(&reader.ok(RECENT, json!({})).await["recentPublications"]).is_empty());
        let hidden = reader.gql(&get_q(), json!({ "id": id })).await;
        assert_code(&hidden, "NOT_FOUND");
        // Staff see it all along.
        let staff = reviewer.ok(STAFF, json!({})).await;
        assert_eq!(ids(&staff["publicationReports"]), vec![id.clone()]);
        reviewer.ok(&get_q(), json!({ "id": id })).await;

        app.ctx()
            .clock
            .advance(Duration::days(5) + Duration::minutes(1));
        assert_eq!(
            ids(&reader.ok(RECENT, json!({})).await["recentPublications"]),
            vec![id.clone()]
        );
        reader.ok(&get_q(), json!({ "id": id })).await;
    })
    .await;
}

#[tokio::test]
async fn controlled_tier_publications_are_listed_for_controlled_tier_researchers_only() {
    on_each_backend(|app| async move {
        let author = app
            .user_with("author", &[Role::Researcher], Tier::Controlled)
            .await;
        let registered = app.researcher("registered").await;
        let controlled = app
            .user_with("controlled", &[Role::Researcher], Tier::Controlled)
            .await;
        let mut input = complete(&app, "Genomic ancestry", 30);
        input["tier"] = json!("CONTROLLED");
        input["status"] = json!("PUBLISHED");
        input["dataAvailabilityStatement"] = json!("Available in the Controlled Tier, CDR v7.");
        let id = create(&author, input).await["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        author.ok(SUBMIT, json!({ "id": id })).await;
        assert!(ids(&registered.ok(RECENT, json!({})).await["recentPublications"]).is_empty());
        assert_eq!(
            ids(&controlled.ok(RECENT, json!({})).await["recentPublications"]),
            vec![id]
        );
    })
    .await;
}

#[tokio::test]
async fn co_authors_see_the_report_and_strangers_cannot_read_a_draft() {
    on_each_backend(|app| async move {
        let lead = app.researcher("lead").await;
        let coauthor = app.researcher("coauthor").await;
        let stranger = app.researcher("stranger").await;
        let mut input = complete(&app, "Shared draft", 30);
        input["coAuthors"] = json!([{ "userId": coauthor.id }]);
        let id = create(&lead, input).await["id"]
            .as_str()
            .unwrap_or("")
            .to_string();

        let mine = coauthor.ok(MINE, json!({})).await;
        assert_eq!(ids(&mine["myPublicationReports"]), vec![id.clone()]);
        let node = &mine["myPublicationReports"]["edges"][0]["node"];
        assert_eq!(node["isDraft"], true);
        assert_eq!(node["viewerCanEdit"], false);
        let read = coauthor.ok(&get_q(), json!({ "id": id })).await;
        assert_eq!(read["publicationReport"]["title"], "Shared draft");
        // Co-authors read; they do not edit or file.
        let resp = coauthor
            .gql(
                &update_q(),
                json!({ "id": id, "i": { "title": "Mine now" } }),
            )
            .await;
        assert_code(&resp, "FORBIDDEN");
        let resp = coauthor.gql(SUBMIT, json!({ "id": id })).await;
        assert_code(&resp, "FORBIDDEN");

        // A stranger cannot tell the draft exists.
        assert_code(
            &stranger.gql(&get_q(), json!({ "id": id })).await,
            "NOT_FOUND",
        );
        assert!(ids(&stranger.ok(MINE, json!({})).await["myPublicationReports"]).is_empty());
        let resp = stranger
            .gql(
                &update_q(),
                json!({ "id": id, "i": { "title": "Hijacked" } }),
            )
            .await;
        assert_code(&resp, "NOT_FOUND");
        assert_code(
            &stranger.gql(SUBMIT, json!({ "id": id })).await,
            "NOT_FOUND",
        );
        let resp = stranger
            .gql(
                "mutation($id: ID!) { deletePublicationReport(id: $id) }",
                json!({ "id": id }),
            )
            .await;
        assert_code(&resp, "NOT_FOUND");
        // Filed but unpublished: still not the stranger's to read.
        lead.ok(SUBMIT, json!({ "id": id })).await;
        assert_code(
            &stranger.gql(&get_q(), json!({ "id": id })).await,
            "NOT_FOUND",
        );

        // A lead author other than the filer edits too.
        let filer = app.researcher("filer").await;
        let other = create(
            &filer,
            json!({ "type": "THESIS", "title": "A thesis", "leadAuthorId": lead.id }),
        )
        .await;
        assert_eq!(other["leadAuthor"]["handle"], "lead");
        let other_id = other["id"].as_str().unwrap_or("").to_string();
        // Promoting a listed co-author to lead means taking them off the list.
        let shared = create(
            &filer,
            json!({ "type": "THESIS", "title": "Shared thesis", "coAuthors": [{ "userId": coauthor.id }] }),
        )
        .await;
        let resp = filer
            .gql(&update_q(), json!({ "id": shared["id"], "i": { "leadAuthorId": coauthor.id } }))
            .await;
        assert_refused(&resp, "VALIDATION", "leadAuthorId");
        filer
            .ok(
                &update_q(),
                json!({ "id": shared["id"], "i": { "leadAuthorId": coauthor.id, "coAuthors": [] } }),
            )
            .await;
        lead.ok(
            &update_q(),
            json!({ "id": other_id, "i": { "venue": "Vanderbilt University" } }),
        )
        .await;
        lead.ok(
            "mutation($id: ID!) { deletePublicationReport(id: $id) }",
            json!({ "id": other_id }),
        )
        .await;
        assert_code(
            &filer.gql(&get_q(), json!({ "id": other_id })).await,
            "NOT_FOUND",
        );
    })
    .await;
}

#[tokio::test]
async fn signing_in_and_a_confirmed_address_are_needed_to_file() {
    on_each_backend(|app| async move {
        let resp = app
            .gql(&create_q(), json!({ "i": { "type": "POSTER", "title": "Anonymous" } }))
            .await;
        assert_code(&resp, "UNAUTHENTICATED");
        assert_code(&app.gql(RECENT, json!({})).await, "UNAUTHENTICATED");

        app.gql(
            "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
            json!({ "i": { "email": "new@researchallofus.org", "password": PASSWORD, "displayName": "New" } }),
        )
        .await;
        let unverified = app.sign_in("new@researchallofus.org").await;
        let resp = unverified
            .gql(&create_q(), json!({ "i": { "type": "POSTER", "title": "Too soon" } }))
            .await;
        assert_code(&resp, "EMAIL_NOT_VERIFIED");
    })
    .await;
}

#[tokio::test]
async fn every_refusal_names_the_field() {
    on_each_backend(|app| async move {
        let author = app
            .user_with("author", &[Role::Researcher], Tier::Controlled)
            .await;
        let other = app.researcher("other").await;
        let private = listing(&app, &other, "aou-rw-private1", Tier::Registered, false).await;
        let controlled = listing(&app, &other, "aou-rw-ctrl0001", Tier::Controlled, true).await;
        let public = listing(&app, &other, "aou-rw-public01", Tier::Registered, true).await;

        let cases: Vec<(Value, &str)> = vec![
            (json!({ "title": "No type" }), "type"),
            (json!({ "type": "POSTER", "title": "  " }), "title"),
            (json!({ "type": "POSTER", "title": "T", "doi": "10.12/abc" }), "doi"),
            (json!({ "type": "POSTER", "title": "T", "doi": "not a doi" }), "doi"),
            (json!({ "type": "POSTER", "title": "T", "pmcid": "12345" }), "pmcid"),
            (json!({ "type": "POSTER", "title": "T", "url": "javascript:alert(1)" }), "url"),
            (json!({ "type": "POSTER", "title": "T", "workspaces": [{ "workspaceId": "999999" }] }), "workspaces[0].workspaceId"),
            // Another researcher's unpublished listing is as good as unknown.
            (json!({ "type": "POSTER", "title": "T", "workspaces": [{ "namespace": "aou-rw-ok000001" }, { "workspaceId": private }] }), "workspaces[1].workspaceId"),
            (json!({ "type": "POSTER", "title": "T", "workspaces": [{ "namespace": "Not A Namespace!" }] }), "workspaces[0].namespace"),
            (json!({ "type": "POSTER", "title": "T", "workspaces": [{ "workspaceId": "abc" }] }), "workspaces[0].workspaceId"),
            (json!({ "type": "POSTER", "title": "T", "tier": "REGISTERED", "workspaces": [{ "workspaceId": controlled }] }), "tier"),
            (json!({ "type": "POSTER", "title": "T", "coAuthors": [{ "userId": "999999" }] }), "coAuthors[0].userId"),
            (json!({ "type": "POSTER", "title": "T", "coAuthors": [{ "name": "Jo Smith" }] }), "coAuthors[0].affiliation"),
            (json!({ "type": "POSTER", "title": "T", "coAuthors": [{}] }), "coAuthors[0].name"),
            (json!({ "type": "POSTER", "title": "T", "leadAuthorId": "999999" }), "leadAuthorId"),
            (json!({ "type": "POSTER", "title": "T", "submissionDate": day(&app, 30), "publicationDate": day(&app, 10) }), "publicationDate"),
            (json!({ "type": "POSTER", "title": "T", "submissionDate": day(&app, 30), "presentationDate": day(&app, 10) }), "presentationDate"),
            (json!({ "type": "POSTER", "title": "T", "publicationDate": "1999-01-01" }), "publicationDate"),
            (json!({ "type": "POSTER", "title": "T", "presentationDate": "2999-01-01" }), "presentationDate"),
        ];
        for (input, field) in cases {
            let resp = author.gql(&create_q(), json!({ "i": input })).await;
            assert_refused(&resp, "VALIDATION", field);
        }
        // A published listing of the viewer's tier links fine.
        let ok = create(
            &author,
            json!({ "type": "POSTER", "title": "T", "workspaces": [{ "workspaceId": public }] }),
        )
        .await;
        assert_eq!(ok["workspaces"][0]["namespace"], "aou-rw-public01");

        // The staff filter refuses an inverted date range by name.
        let reviewer = app.reviewer("reviewer").await;
        let resp = reviewer
            .gql(STAFF, json!({ "f": { "dateFrom": day(&app, 10), "dateTo": day(&app, 1) } }))
            .await;
        assert_refused(&resp, "VALIDATION", "dateTo");
    })
    .await;
}

#[tokio::test]
async fn staff_filter_reports_and_others_are_refused() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let reviewer = app.reviewer("reviewer").await;
        let admin = app.admin("admin").await;
        let moderator = app.moderator("moderator").await;

        let poster = file(&author, "A poster", 30).await;
        let mut article = complete(&app, "An article", 60);
        article["type"] = json!("JOURNAL_ARTICLE");
        article["status"] = json!("ACCEPTED");
        let article = create(&author, article).await["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        author.ok(SUBMIT, json!({ "id": article })).await;
        // Drafts stay out of the staff view.
        create(
            &author,
            json!({ "type": "PREPRINT", "title": "Still a draft" }),
        )
        .await;

        let all = reviewer.ok(STAFF, json!({})).await;
        assert_eq!(
            ids(&all["publicationReports"]),
            vec![article.clone(), poster.clone()]
        );
        let by = |f: Value| {
            let reviewer = reviewer.clone();
            async move { ids(&reviewer.ok(STAFF, json!({ "f": f })).await["publicationReports"]) }
        };
        assert_eq!(
            by(json!({ "status": "ACCEPTED" })).await,
            vec![article.clone()]
        );
        assert_eq!(by(json!({ "type": "POSTER" })).await, vec![poster.clone()]);
        assert_eq!(
            by(json!({ "dateFrom": day(&app, 45) })).await,
            vec![article.clone()]
        );
        assert_eq!(
            by(json!({ "dateTo": day(&app, 30) })).await,
            vec![poster.clone()]
        );
        assert_eq!(
            by(json!({ "dateFrom": day(&app, 30), "dateTo": day(&app, 60) }))
                .await
                .len(),
            2
        );
        assert_eq!(by(json!({ "tier": "REGISTERED" })).await.len(), 2);
        assert!(by(json!({ "tier": "CONTROLLED" })).await.is_empty());
        assert!(by(json!({ "late": true })).await.is_empty());

        assert_eq!(
            ids(&admin.ok(STAFF, json!({})).await["publicationReports"]).len(),
            2
        );
        for refused in [&author, &moderator] {
            assert_code(&refused.gql(STAFF, json!({})).await, "FORBIDDEN");
            assert_code(&refused.gql(CSV, json!({})).await, "FORBIDDEN");
        }
    })
    .await;
}

#[tokio::test]
async fn the_csv_export_has_a_stable_header_and_escapes_commas_quotes_and_newlines() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let reviewer = app.reviewer("reviewer").await;
        let mut input = complete(&app, "Diet, \"exercise\" and sleep", 30);
        input["summary"] = json!("Line one\nline two");
        input["coAuthors"] = json!([{ "name": "Jo Smith", "affiliation": "Emory, Atlanta" }]);
        input["doi"] = json!("10.1101/2024.01.02.123456");
        let id = create(&author, input).await["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        author.ok(SUBMIT, json!({ "id": id })).await;
        let formula = create(&author, complete(&app, "=HYPERLINK(\"http://x\")", 30)).await;
        author.ok(SUBMIT, json!({ "id": formula["id"] })).await;

        let csv_text = reviewer.ok(CSV, json!({})).await["publicationReportsCsv"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let header = csv_text.split("\r\n").next().unwrap_or("");
        assert_eq!(
            header,
            "id,filed_at,status,type,title,summary,lead_author,lead_author_handle,filer_handle,co_authors,\
             venue,submission_date,presentation_date,publication_date,due_date,days_notice,late,\
             tier,cdr_version,workspaces,doi,pmcid,url,embargo_until,exemption_request_id,\
             acknowledgement_included,data_availability_included,complies_with_policy"
        );
        // RFC 4180: quoted fields, doubled quotes, line breaks kept inside quotes.
        assert!(
            csv_text.contains("\"Diet, \"\"exercise\"\" and sleep\""),
            "{csv_text}"
        );
        assert!(csv_text.contains("\"Line one\nline two\""), "{csv_text}");
        assert!(
            csv_text.contains("\"Jo Smith (Emory, Atlanta)\""),
            "{csv_text}"
        );
        assert!(csv_text.ends_with("\r\n"));

        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let headers = reader.headers().expect("header").clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2);
        let col = |row: &csv::StringRecord, name: &str| {
            let i = headers.iter().position(|h| h == name).expect("column");
            row.get(i).unwrap_or("").to_string()
        };
        assert_eq!(col(&rows[0], "id"), id);
        assert_eq!(col(&rows[0], "title"), "Diet, \"exercise\" and sleep");
        assert_eq!(col(&rows[0], "summary"), "Line one\nline two");
        assert_eq!(col(&rows[0], "doi"), "10.1101/2024.01.02.123456");
        assert_eq!(col(&rows[0], "late"), "false");
        assert_eq!(col(&rows[0], "due_date"), day(&app, 30));
        assert_eq!(col(&rows[0], "workspaces"), "aou-rw-5a1b2c3d");
        // A title that looks like a formula is defused for spreadsheets.
        assert_eq!(col(&rows[1], "title"), "'=HYPERLINK(\"http://x\")");
    })
    .await;
}

#[tokio::test]
async fn reminders_are_sent_exactly_once_as_the_clock_moves_forward() {
    on_each_backend(|app| async move {
        let filer = app.researcher("filer").await;
        let lead = app.researcher("lead").await;
        let mut input = complete(&app, "Talk at ASHG", 20);
        input["type"] = json!("ORAL_PRESENTATION");
        input["leadAuthorId"] = json!(lead.id);
        let id = create(&filer, input).await["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        filer.ok(SUBMIT, json!({ "id": id })).await;
        app.run_jobs().await;
        let before_filer = non_digest_mail(&app, &filer.email).len();
        let before_lead = non_digest_mail(&app, &lead.email).len();

        // Nothing is due before the date.
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.run_jobs().await;
        assert_eq!(non_digest_mail(&app, &filer.email).len(), before_filer);

        // The date passes with the status untouched: one reminder, however
        // often the scan runs.
        app.ctx().clock.advance(Duration::days(21));
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.housekeeping_tick().await;
        app.run_jobs().await;
        let mails = non_digest_mail(&app, &filer.email);
        assert_eq!(mails.len(), before_filer + 1, "{mails:#?}");
        let reminder = &mails[mails.len() - 1];
        assert!(
            reminder.subject.contains("Talk at ASHG"),
            "{}",
            reminder.subject
        );
        assert!(reminder.text.contains(&format!("/publications/{id}")));
        assert_eq!(
            non_digest_mail(&app, &lead.email).len(),
            before_lead,
            "only the filer is asked"
        );
        let notes = filer
            .ok(
                "{ notifications { edges { node { kind link } } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            notes["notifications"]["edges"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(
            notes["notifications"]["edges"][0]["node"]["kind"],
            "publication_reminder"
        );

        // Marked published without a DOI or PMCID: after a week, the filer
        // and the lead author are each reminded once.
        filer
            .ok(SET_STATUS, json!({ "id": id, "s": "PUBLISHED" }))
            .await;
        app.ctx().clock.advance(Duration::days(3));
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.run_jobs().await;
        assert_eq!(
            non_digest_mail(&app, &lead.email).len(),
            before_lead,
            "not yet"
        );
        app.ctx().clock.advance(Duration::days(5));
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.run_jobs().await;
        app.ctx().clock.advance(Duration::days(30));
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.run_jobs().await;
        assert_eq!(non_digest_mail(&app, &filer.email).len(), before_filer + 2);
        let lead_mails = non_digest_mail(&app, &lead.email);
        assert_eq!(lead_mails.len(), before_lead + 1);
        assert!(
            lead_mails[lead_mails.len() - 1]
                .subject
                .contains("DOI or PMCID")
        );
    })
    .await;
}

#[tokio::test]
async fn a_published_item_with_an_identifier_gets_no_reminder() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let mut input = complete(&app, "Identified", 20);
        input["status"] = json!("PUBLISHED");
        input["pmcid"] = json!("pmc7654321");
        let created = create(&author, input).await;
        assert_eq!(created["pmcid"], "PMC7654321");
        author.ok(SUBMIT, json!({ "id": created["id"] })).await;
        app.run_jobs().await;
        let before = non_digest_mail(&app, &author.email).len();
        app.ctx().clock.advance(Duration::days(40));
        commons::publications::run_scheduled(app.ctx())
            .await
            .expect("scan");
        app.run_jobs().await;
        assert_eq!(non_digest_mail(&app, &author.email).len(), before);
    })
    .await;
}

#[tokio::test]
async fn the_community_list_pages_through_recent_publications() {
    on_each_backend(|app| async move {
        let author = app.researcher("author").await;
        let reader = app.researcher("reader").await;
        let mut published = vec![];
        for n in 0..5 {
            let mut input = complete(&app, &format!("Paper {n}"), 30);
            input["status"] = json!("PUBLISHED");
            input["doi"] = json!(format!("10.5555/paper.{n}"));
            let id = create(&author, input).await["id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            author.ok(SUBMIT, json!({ "id": id })).await;
            published.push(id);
            app.ctx().clock.advance(Duration::hours(1));
        }
        const PAGE: &str = "query($after: String) { recentPublications(first: 2, after: $after) {
            pageInfo { hasNextPage endCursor } edges { node { id } } } }";
        let mut seen = vec![];
        let mut after = Value::Null;
        loop {
            let page =
                reader.ok(PAGE, json!({ "after": after })).await["recentPublications"].clone();
            seen.extend(ids(&page));
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        published.reverse();
        assert_eq!(seen, published, "most recently published first, each once");
        let bad = reader.gql(PAGE, json!({ "after": "nonsense" })).await;
        assert_refused(&bad, "VALIDATION", "after");
    })
    .await;
}

/// Mail other than digests (the scheduler may also send a digest when the
/// clock moves past a digest day).
fn non_digest_mail(app: &TestApp, email: &str) -> Vec<commons::mail::SentMail> {
    app.mail_to(email)
        .into_iter()
        .filter(|m| !m.subject.contains("digest"))
        .collect()
}
