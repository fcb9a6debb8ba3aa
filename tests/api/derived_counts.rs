//! The small-count guard on everything members publish to each other: a
//! member writes a count that follows from other numbers ("250 enrolled, 238
//! completed") in a forum post, a thread title, a workspace listing, a profile,
//! a collaboration request and a message. The post is held with the
//! arithmetic shown to the author and the moderators; the other surfaces refuse
//! the write with VALIDATION on the field and the same explanation.

use serde_json::{Value, json};

use crate::{
    forum::{self, s},
    helpers::*,
};

const CREATE_THREAD: &str = "mutation($i: CreateThreadInput!) {
    createThread(input: $i) {
        id moderationState firstPost { id }
        moderationNotice { state policy reasons { code message excerpt } }
    } }";
const QUEUE: &str = "query { moderationQueue(first: 50) {
    edges { node { post { id } findings { code message excerpt } } } } }";
const CREATE_WORKSPACE: &str =
    "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id version } }";
const PUBLISH: &str = "mutation($id: ID!) { publishWorkspace(id: $id, consent: { noHarmfulLanguage: true, contactInfoInDescription: true, collaboratorsAgreed: true }) { id published } }";
const UPDATE_WORKSPACE: &str =
    "mutation($i: UpdateWorkspaceInput!) { updateWorkspace(input: $i) { id version } }";
const WORKSPACE: &str = "query($id: ID!) { workspace(id: $id) { published intendedStudy } }";
const PROFILE: &str =
    "mutation($i: ProfileInput!) { updateMyProfile(input: $i) { openToCollaborate } }";
const SEND_REQUEST: &str = "mutation($i: CollaborationRequestInput!) { sendCollaborationRequest(input: $i) { id status } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptCollaborationRequest(id: $id) { id status } }";
const SEND_MESSAGE: &str =
    "mutation($r: ID!, $b: String!) { sendCollaborationMessage(requestId: $r, body: $b) { id } }";

const DERIVED: &str =
    "We enrolled 250 participants in the sleep substudy and 238 completed the 12-month survey.";

/// A VALIDATION refusal on `field` whose message shows the arithmetic.
fn assert_refused(resp: &Value, field: &str, arithmetic: &str) {
    assert_code(resp, "VALIDATION");
    let err = &resp["errors"][0];
    assert_eq!(err["extensions"]["field"], field, "{resp:#}");
    let message = s(&err["message"]);
    assert!(message.contains(arithmetic), "{message}");
    assert!(message.contains("≤20"), "{message}");
    assert!(message.contains("Nothing was saved"), "{message}");
}

#[tokio::test]
async fn a_derived_count_in_a_post_is_held_with_the_arithmetic_for_author_and_moderators() {
    on_each_backend(|app| async move {
        let f = forum::setup(&app).await;
        let priya = app.researcher("priya").await;
        let d = priya
            .ok(
                CREATE_THREAD,
                json!({ "i": { "categoryId": f.methods, "title": "Attrition in the sleep substudy", "body": DERIVED } }),
            )
            .await;
        let thread = &d["createThread"];
        assert_eq!(thread["moderationState"], "HELD");
        let reasons = thread["moderationNotice"]["reasons"]
            .as_array()
            .expect("reasons");
        let small = reasons
            .iter()
            .find(|r| r["code"] == "SMALL_COUNT")
            .expect("a small-count reason");
        let message = s(&small["message"]);
        assert!(message.contains("250 − 238 = 12 participants"), "{message}");
        assert!(message.contains("≤20"), "{message}");

        // The moderator reads the same explanation in the queue.
        let post = s(&thread["firstPost"]["id"]);
        let queue = f.moderator.ok(QUEUE, json!({})).await;
        let item = queue["moderationQueue"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["post"]["id"] == post.as_str())
            .expect("the held post is queued")["node"]
            .clone();
        let finding = item["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["code"] == "SMALL_COUNT")
            .expect("a small-count finding")
            .clone();
        assert!(
            s(&finding["message"]).contains("250 − 238 = 12 participants"),
            "{finding}"
        );

        // A title alone that gives the count away is held too.
        let d = priya
            .ok(
                CREATE_THREAD,
                json!({ "i": { "categoryId": f.methods, "title": "Of our 40 carriers, 31 are heterozygous: what now?", "body": "Asking for the analysis plan." } }),
            )
            .await;
        let notice = &d["createThread"]["moderationNotice"];
        assert_eq!(d["createThread"]["moderationState"], "HELD");
        let text = notice.to_string();
        assert!(text.contains("40 − 31 = 9 carriers"), "{notice}");
        assert!(text.contains("in the title"), "{notice}");
    })
    .await;
}

fn listing(namespace: &str, intended: &str) -> Value {
    json!({
        "name": "Sleep and blood pressure",
        "namespace": namespace,
        "tier": "REGISTERED",
        "cdrVersion": "v7",
        "purpose": {
            "intendedStudy": intended,
            "scientificApproach": "Cohort study over EHR and Fitbit data.",
            "anticipatedFindings": "Shorter sleep goes with higher blood pressure.",
            "purposes": ["POPULATION_HEALTH"],
        },
        "dataTypes": ["EHR"],
        "tags": ["sleep"],
    })
}

#[tokio::test]
async fn a_workspace_listing_with_a_derived_count_cannot_be_published_or_edited_into_one() {
    on_each_backend(|app| async move {
        let owner = app.researcher("owner").await;
        // A draft is the owner's and collaborators' own; publishing is what
        // shows it to every researcher, so that is where the guard stands.
        let draft = owner
            .ok(
                CREATE_WORKSPACE,
                json!({ "i": listing("aou-sleep-1", &format!("{DERIVED} Contact: see our lab page.")) }),
            )
            .await;
        let id = s(&draft["createWorkspace"]["id"]);
        let resp = owner.gql(PUBLISH, json!({ "id": id })).await;
        assert_refused(&resp, "intendedStudy", "250 − 238 = 12 participants");
        let seen = owner.ok(WORKSPACE, json!({ "id": id })).await;
        assert_eq!(seen["workspace"]["published"], false, "still a draft");

        // Fixed, it publishes; an edit of the published listing that brings the
        // count back is refused and changes nothing.
        owner
            .ok(
                UPDATE_WORKSPACE,
                json!({ "i": { "id": id, "intendedStudy": "We enrolled 250 participants in the sleep substudy; ≤20 did not complete it. Contact: see our lab page." } }),
            )
            .await;
        owner.ok(PUBLISH, json!({ "id": id })).await;
        let resp = owner
            .gql(
                UPDATE_WORKSPACE,
                json!({ "i": { "id": id, "anticipatedFindings": "Half of the 18 patients on insulin pumps will show the effect." } }),
            )
            .await;
        assert_refused(&resp, "anticipatedFindings", "half of 18 = 9 patients");
        let seen = owner.ok(WORKSPACE, json!({ "id": id })).await;
        assert!(
            s(&seen["workspace"]["intendedStudy"]).contains("≤20"),
            "{seen}"
        );
    })
    .await;
}

#[tokio::test]
async fn profiles_requests_and_messages_refuse_derived_counts() {
    on_each_backend(|app| async move {
        let ana = app.researcher("ana").await;
        let ben = app.researcher("ben").await;

        // A profile that gives a count away is refused.
        let resp = ana
            .gql(
                PROFILE,
                json!({ "i": { "researchInterests": "Rare variants: 42 of the 50 pilot participants were female.", "openToCollaborate": true } }),
            )
            .await;
        assert_refused(&resp, "researchInterests", "50 − 42 = 8 participants");
        let resp = ana
            .gql(
                PROFILE,
                json!({ "i": { "lookingFor": "Help with the 3% of our 412 controls who lack EHR data." } }),
            )
            .await;
        assert_refused(&resp, "lookingFor", "3% of 412 = 11 to 14 controls");
        ana.ok(
            PROFILE,
            json!({ "i": { "researchInterests": "Rare variants in 400,000 adults.", "openToCollaborate": true } }),
        )
        .await;
        ben.ok(PROFILE, json!({ "i": { "openToCollaborate": true } }))
            .await;

        // A collaboration request's message, then a message in the thread.
        let resp = ben
            .gql(
                SEND_REQUEST,
                json!({ "i": { "recipientId": ana.id, "message": "We have 75 women in our pilot and 80% completed the diary. Join us?" } }),
            )
            .await;
        assert_refused(&resp, "message", "75 − 60 = 15 women");
        let req = ben
            .ok(
                SEND_REQUEST,
                json!({ "i": { "recipientId": ana.id, "message": "Would you like to work on sleep and blood pressure?" } }),
            )
            .await;
        let request = s(&req["sendCollaborationRequest"]["id"]);
        ana.ok(ACCEPT, json!({ "id": request })).await;
        let resp = ana
            .gql(
                SEND_MESSAGE,
                json!({ "r": request, "b": "Our cohort has 312 participants. After QC, 300 remained." }),
            )
            .await;
        assert_refused(&resp, "body", "312 − 300 = 12 participants");
        ana.ok(
            SEND_MESSAGE,
            json!({ "r": request, "b": "Our cohort has 312 participants; I will share the QC numbers on the Workbench." }),
        )
        .await;
    })
    .await;
}
