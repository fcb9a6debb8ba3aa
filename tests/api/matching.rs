//! Researcher profiles, collaborator suggestions, collaboration requests and
//! the message threads accepted requests open.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::*;

const PROFILE: &str =
    "mutation($i: ProfileInput!) { updateMyProfile(input: $i) { openToCollaborate } }";
const SUGGEST: &str = "query($n: Int) { suggestedCollaborators(first: $n) { considered explanation suggestions { user { handle } profile { user { handle } } score complementarity sharedInterests sharedAreas alreadyWorkingTogether reasons } } }";
const SEND: &str = "mutation($i: CollaborationRequestInput!) { sendCollaborationRequest(input: $i) { id status } }";
const ACCEPT: &str = "mutation($id: ID!, $share: Boolean! = false) { acceptCollaborationRequest(id: $id, shareEmail: $share) { id status contact { requestId email } } }";
const DECLINE: &str = "mutation($id: ID!) { declineCollaborationRequest(id: $id) { id status } }";
const REQUEST: &str = "query($id: ID!) { collaborationRequest(id: $id) { id status message sender { handle } recipient { handle } contact { requestId email } } }";
const MESSAGES: &str = "query($r: ID!) { collaborationMessages(requestId: $r) { edges { node { body sender { handle } } } } }";
const SEND_MESSAGE: &str = "mutation($r: ID!, $b: String!) { sendCollaborationMessage(requestId: $r, body: $b) { id body } }";

async fn profile(s: &Session, input: Value) {
    s.ok(PROFILE, json!({ "i": input })).await;
}

/// An open profile with the given lists and interests.
async fn open_profile(
    s: &Session,
    seeking: &[&str],
    expertise: &[&str],
    methods: &[&str],
    interests: &str,
) {
    profile(
        s,
        json!({
            "seeking": seeking,
            "expertise": expertise,
            "methods": methods,
            "researchInterests": interests,
            "openToCollaborate": true,
        }),
    )
    .await;
}

async fn suggestions(s: &Session) -> Value {
    s.ok(SUGGEST, json!({ "n": 10 })).await["suggestedCollaborators"].clone()
}

fn handles(result: &Value) -> Vec<String> {
    result["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .map(|s| s["user"]["handle"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn reasons_of<'a>(result: &'a Value, handle: &str) -> Vec<&'a str> {
    result["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .find(|s| s["user"]["handle"] == handle)
        .unwrap_or_else(|| panic!("{handle} not suggested: {result:#}"))["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r.as_str())
        .collect()
}

#[tokio::test]
async fn suggestions_rank_ten_researchers_for_two_viewers() {
    on_each_backend(|app| async move {
        let admin = app.admin("matchadmin").await;
        let ana = app.researcher("ana").await;
        let ben = app.researcher("ben").await;
        let carla = app.researcher("carla").await;
        let dev = app.researcher("dev").await;
        let fay = app.researcher("fay").await;
        let gus = app.researcher("gus").await;
        let hal = app.researcher("hal").await;
        let ivy = app.researcher("ivy").await;
        let jon = app.researcher("jon").await;
        let kim = app.researcher("kim").await;

        open_profile(&ana, &["GWAS", "survival analysis"], &["hypertension"], &["R", "SQL"],
            "Sleep duration and blood pressure in older adults.").await;
        open_profile(&ben, &["natural language processing"], &["mental health"], &["Python"],
            "Depression screening from clinical notes.").await;
        open_profile(&carla, &[], &["hypertension"], &["GWAS", "PLINK"],
            "Genetics of blood pressure and sleep duration.").await;
        open_profile(&dev, &[], &["kidney disease"], &["survival analysis", "Cox regression"],
            "Time-to-event outcomes in chronic kidney disease.").await;
        open_profile(&fay, &[], &["hypertension", "sleep"], &["Stata"],
            "Sleep apnea and hypertension in older adults.").await;
        open_profile(&gus, &[], &[], &["GWAS", "survival analysis"], "").await;
        // Hal would be a perfect match, but his profile is closed.
        profile(&hal, json!({ "seeking": [], "expertise": ["hypertension"], "methods": ["GWAS", "survival analysis"],
            "researchInterests": "Sleep duration and blood pressure in older adults.", "openToCollaborate": false })).await;
        // Ivy too, but she is suspended.
        open_profile(&ivy, &[], &["hypertension"], &["GWAS", "survival analysis"],
            "Sleep duration and blood pressure in older adults.").await;
        admin
            .ok(
                "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
                json!({ "i": { "userId": ivy.id, "status": "SUSPENDED" } }),
            )
            .await;
        open_profile(&jon, &[], &["mental health"], &["NLP", "Python"],
            "Language models for clinical notes and depression.").await;
        open_profile(&kim, &[], &["mental health"], &["machine learning"],
            "Suicide risk prediction from EHR.").await;

        // Ana and Gus already share a published workspace.
        let ws = ana
            .ok(
                "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }",
                json!({ "i": {
                    "name": "Nocturnal blood pressure",
                    "namespace": "aou-rw-nocturnal-bp",
                    "tier": "REGISTERED",
                    "cdrVersion": "v7",
                    "purpose": { "intendedStudy": "Nocturnal blood pressure dipping and sleep duration from Fitbit.", "purposes": ["POPULATION_HEALTH"] },
                    "dataTypes": ["EHR", "WEARABLES"],
                } }),
            )
            .await["createWorkspace"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        ana.ok(
            "mutation($w: ID!, $u: ID!) { addWorkspaceCollaborator(workspaceId: $w, userId: $u) { id } }",
            json!({ "w": ws, "u": gus.id }),
        )
        .await;
        ana.ok(
            "mutation($id: ID!) { publishWorkspace(id: $id, consent: { noHarmfulLanguage: true, contactInfoInDescription: true, collaboratorsAgreed: true }) { id } }",
            json!({ "id": ws }),
        )
        .await;

        let for_ana = suggestions(&ana).await;
        // Themselves, Hal (closed) and Ivy (suspended) are not even weighed;
        // Ben, Jon and Kim are, but share nothing with Ana.
        assert_eq!(for_ana["considered"], 7);
        assert!(for_ana["explanation"].is_null());
        assert_eq!(handles(&for_ana), ["carla", "gus", "dev", "fay"]);
        assert_eq!(
            reasons_of(&for_ana, "carla"),
            [
                "looking for: GWAS — has GWAS, PLINK",
                "both work on hypertension",
                "shared interests: blood pressure, sleep duration",
            ]
        );
        // Gus offers everything Ana looks for, but they already work
        // together: he is down-weighted below Carla.
        assert_eq!(
            reasons_of(&for_ana, "gus"),
            [
                "looking for: GWAS — has GWAS",
                "looking for: survival analysis — has survival analysis",
                "shared interests: nocturnal blood pressure dipping, sleep duration, fitbit",
                "you already work together on Nocturnal blood pressure",
            ]
        );
        let gus_row = &for_ana["suggestions"][1];
        assert_eq!(gus_row["alreadyWorkingTogether"], true);
        assert_eq!(gus_row["complementarity"], 1.0);
        assert_eq!(for_ana["suggestions"][0]["complementarity"], 0.5);
        assert_eq!(
            reasons_of(&for_ana, "dev"),
            ["looking for: survival analysis — has survival analysis, Cox regression"]
        );
        assert_eq!(
            reasons_of(&for_ana, "fay"),
            ["both work on hypertension", "shared interests: older adults, sleep"]
        );
        let scores: Vec<f64> = for_ana["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] > w[1]), "{scores:?}");

        let for_ben = suggestions(&ben).await;
        assert_eq!(for_ben["considered"], 7);
        assert_eq!(handles(&for_ben), ["jon", "kim"]);
        assert_eq!(
            reasons_of(&for_ben, "jon"),
            [
                "looking for: NLP — has NLP",
                "both work on mental health",
                "shared interests: clinical notes, depression",
            ]
        );
        // A related skill counts for half, and says which.
        assert_eq!(
            reasons_of(&for_ben, "kim"),
            ["looking for: NLP — has machine learning", "both work on mental health"]
        );

        // The same data gives the same answer.
        assert_eq!(suggestions(&ana).await, for_ana);
        assert_eq!(suggestions(&ben).await, for_ben);
        // `first` bounds the list.
        let top = ana.ok(SUGGEST, json!({ "n": 1 })).await;
        assert_eq!(handles(&top["suggestedCollaborators"]), ["carla"]);

        // Once Hal opens his profile, he leads Ana's list.
        profile(&hal, json!({ "openToCollaborate": true })).await;
        let reopened = suggestions(&ana).await;
        assert_eq!(reopened["considered"], 8);
        assert_eq!(handles(&reopened)[0], "hal");
    })
    .await;
}

#[tokio::test]
async fn suggestions_explain_why_no_one_matched() {
    on_each_backend(|app| async move {
        let lonely = app.researcher("lonely").await;
        let data = suggestions(&lonely).await;
        assert_eq!(data["suggestions"], json!([]));
        assert_eq!(data["considered"], 0);
        assert!(
            data["explanation"]
                .as_str()
                .unwrap()
                .contains("No other researcher is open to collaboration")
        );

        let other = app.researcher("other").await;
        open_profile(
            &other,
            &[],
            &["oncology"],
            &["SAS"],
            "Breast cancer screening.",
        )
        .await;
        let data = suggestions(&lonely).await;
        assert_eq!(data["considered"], 1);
        assert!(
            data["explanation"]
                .as_str()
                .unwrap()
                .contains("nothing to match them against"),
            "{data}"
        );

        open_profile(
            &lonely,
            &["Hail"],
            &["sleep"],
            &[],
            "Shift work and circadian rhythm.",
        )
        .await;
        let data = suggestions(&lonely).await;
        assert_eq!(data["suggestions"], json!([]));
        assert!(
            data["explanation"].as_str().unwrap().starts_with(
                "1 researcher is open to collaboration, but none lists what you are looking for"
            ),
            "{data}"
        );
    })
    .await;
}

#[tokio::test]
async fn profiles_are_for_signed_in_researchers_and_carry_no_email() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        let other = app.researcher("omar").await;
        let admin = app.admin("profileadmin").await;
        let data = priya
            .ok(
                "mutation($i: ProfileInput!) { updateMyProfile(input: $i) { expertise { key label curated } methods { key label curated } seeking { key label } orcid careerStage openToCollaborate } }",
                json!({ "i": {
                    "expertise": ["High blood pressure", "shift work"],
                    "methods": ["genome-wide association", "plink", "R", "tree-based scan statistics"],
                    "seeking": ["Survival analysis"],
                    "researchInterests": "Shift work and blood pressure.",
                    "lookingFor": "A biostatistician for time-to-event models.",
                    "openToCollaborate": true,
                    "orcid": "https://orcid.org/0000-0002-1825-0097",
                    "careerStage": "POSTDOC",
                } }),
            )
            .await;
        let p = &data["updateMyProfile"];
        assert_eq!(
            p["expertise"],
            json!([
                { "key": "hypertension", "label": "hypertension", "curated": true },
                { "key": "shift-work", "label": "shift work", "curated": false },
            ])
        );
        let methods: Vec<&str> = p["methods"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["label"].as_str())
            .collect();
        assert_eq!(methods, ["GWAS", "PLINK", "R", "tree-based scan statistics"]);
        assert_eq!(p["seeking"][0]["key"], "survival-analysis");
        assert_eq!(p["orcid"], "0000-0002-1825-0097");
        assert_eq!(p["careerStage"], "POSTDOC");

        // Another researcher reads it, without an email address anywhere.
        let query = "query($h: String) { researcherProfile(handle: $h) { user { handle email } researchInterests lookingFor openToCollaborate orcid } }";
        let seen = other.ok(query, json!({ "h": "priya" })).await;
        assert_eq!(seen["researcherProfile"]["user"]["handle"], "priya");
        assert!(seen["researcherProfile"]["user"]["email"].is_null());
        assert!(!seen.to_string().contains("@researchallofus.org"));
        let resp = other
            .gql("{ researcherProfile(handle: \"priya\") { email } }", json!({}))
            .await;
        assert_code(&resp, "GRAPHQL_VALIDATION_FAILED");
        // Signed-out visitors see nothing.
        let resp = app.gql(query, json!({ "h": "priya" })).await;
        assert_code(&resp, "UNAUTHENTICATED");

        // A bad ORCID is refused by name; null clears it.
        let resp = priya
            .gql(PROFILE, json!({ "i": { "orcid": "0000-0002-1825-0098" } }))
            .await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "orcid");
        let data = priya
            .ok(
                "mutation { updateMyProfile(input: { orcid: null }) { orcid careerStage } }",
                json!({}),
            )
            .await;
        assert!(data["updateMyProfile"]["orcid"].is_null());
        assert_eq!(data["updateMyProfile"]["careerStage"], "POSTDOC");

        // Every change reaches the search index, in order, per person.
        use commons::entities::job;
        let jobs = job::Entity::find()
            .filter(job::Column::Kind.eq("search.index"))
            .all(&app.ctx().db)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);
        for j in &jobs {
            let payload: Value = serde_json::from_str(&j.payload).unwrap();
            assert_eq!(payload, json!({ "doc": "profile", "id": priya.id_num() }));
            assert_eq!(j.ordering_key.as_deref(), Some(format!("profile:{}", priya.id).as_str()));
        }

        // A suspended researcher's profile is hidden from others.
        admin
            .ok(
                "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
                json!({ "i": { "userId": priya.id, "status": "SUSPENDED" } }),
            )
            .await;
        let seen = other.ok(query, json!({ "h": "priya" })).await;
        assert!(seen["researcherProfile"].is_null());
    })
    .await;
}

async fn send(from: &Session, to: &Session, message: &str) -> Value {
    from.gql(
        SEND,
        json!({ "i": { "recipientId": to.id, "message": message } }),
    )
    .await
}

#[tokio::test]
async fn collaboration_requests_refuse_self_duplicates_and_closed_profiles() {
    on_each_backend(|app| async move {
        let ana = app.researcher("asker").await;
        let jon = app.researcher("answerer").await;
        let closed = app.researcher("closed").await;
        let nobody = app.researcher("noprofile").await;
        open_profile(&ana, &[], &[], &["R"], "").await;
        open_profile(&jon, &[], &[], &["NLP"], "").await;
        profile(
            &closed,
            json!({ "methods": ["GWAS"], "openToCollaborate": false }),
        )
        .await;

        let resp = send(&ana, &ana, "Hello me.").await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "recipientId");

        for target in [&closed, &nobody] {
            let resp = send(&ana, target, "Would you like to work together?").await;
            assert_code(&resp, "VALIDATION");
            assert_eq!(resp["errors"][0]["extensions"]["field"], "recipientId");
            assert!(
                resp["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("not open to collaboration")
            );
        }

        let resp = send(&ana, &jon, "").await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "message");

        let first = send(&ana, &jon, "I would like to add NLP to our sleep study.").await;
        assert_no_errors(&first);
        let id = first["data"]["sendCollaborationRequest"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // A second pending request, either way round, is a conflict.
        let resp = send(&ana, &jon, "Did you see my request?").await;
        assert_code(&resp, "CONFLICT");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "recipientId");
        assert!(
            resp["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("pending")
        );
        let resp = send(&jon, &ana, "Let's work together!").await;
        assert_code(&resp, "CONFLICT");

        // Only the recipient answers; others do not even see the request.
        assert_code(&ana.gql(ACCEPT, json!({ "id": id })).await, "FORBIDDEN");
        assert_code(&nobody.gql(ACCEPT, json!({ "id": id })).await, "NOT_FOUND");
        assert!(nobody.ok(REQUEST, json!({ "id": id })).await["collaborationRequest"].is_null());

        // The sender may withdraw, the recipient may not; a withdrawn
        // request leaves room for a new one.
        let withdraw = "mutation($id: ID!) { withdrawCollaborationRequest(id: $id) { status } }";
        assert_code(&jon.gql(withdraw, json!({ "id": id })).await, "FORBIDDEN");
        let data = ana.ok(withdraw, json!({ "id": id })).await;
        assert_eq!(data["withdrawCollaborationRequest"]["status"], "WITHDRAWN");
        let again = send(&ana, &jon, "Let me try that again, with details.").await;
        assert_no_errors(&again);
        let id = again["data"]["sendCollaborationRequest"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // After a decline, the sender waits before asking again.
        assert_code(&ana.gql(DECLINE, json!({ "id": id })).await, "FORBIDDEN");
        jon.ok(DECLINE, json!({ "id": id })).await;
        assert_code(&jon.gql(ACCEPT, json!({ "id": id })).await, "INVALID_STATE");
        let resp = send(&ana, &jon, "Please reconsider.").await;
        assert_code(&resp, "CONFLICT");
        app.ctx().clock.advance(chrono::Duration::days(31));
        // A month on, sessions have expired too.
        let ana = app.sign_in(&ana.email).await;
        assert_no_errors(&send(&ana, &jon, "A new project: NLP for sleep diaries.").await);
    })
    .await;
}

#[tokio::test]
async fn an_accepted_request_opens_a_thread_and_shares_chosen_contacts() {
    on_each_backend(|app| async move {
        let ana = app.researcher("sender").await;
        let jon = app.researcher("recipient").await;
        let eve = app.researcher("eve").await;
        open_profile(&jon, &[], &["mental health"], &["NLP"], "").await;

        let data = ana
            .ok(SEND, json!({ "i": { "recipientId": jon.id, "message": "Hi Jon, I run a sleep cohort and need NLP help." } }))
            .await;
        let id = data["sendCollaborationRequest"]["id"].as_str().unwrap().to_string();
        assert_eq!(data["sendCollaborationRequest"]["status"], "PENDING");

        // Jon is told in the app and by email, through the jobs table.
        let notes = jon
            .ok("{ notifications { edges { node { kind title link } } } }", json!({}))
            .await;
        let note = &notes["notifications"]["edges"][0]["node"];
        assert_eq!(note["kind"], "collaboration_request");
        assert_eq!(note["title"], "sender would like to collaborate with you");
        assert_eq!(note["link"], format!("/collaborations/{id}"));
        assert!(app.mail_to(&jon.email).iter().all(|m| !m.subject.contains("collaborate")));
        app.run_jobs().await;
        let mails = app.mail_to(&jon.email);
        assert!(mails.iter().any(|m| m.subject.contains("would like to collaborate") && m.text.contains("sleep cohort")), "{mails:?}");

        let incoming = jon
            .ok("{ collaborationRequests(direction: INCOMING, status: PENDING) { edges { node { id message sender { handle } } } } }", json!({}))
            .await;
        assert_eq!(incoming["collaborationRequests"]["edges"][0]["node"]["id"], id.as_str());

        // No thread, no contact before acceptance.
        let before = ana.ok(REQUEST, json!({ "id": id })).await;
        assert!(before["collaborationRequest"]["contact"].is_null());
        let resp = ana.gql(MESSAGES, json!({ "r": id })).await;
        assert_code(&resp, "INVALID_STATE");

        let accepted = jon.ok(ACCEPT, json!({ "id": id, "share": true })).await;
        assert_eq!(accepted["acceptCollaborationRequest"]["status"], "ACCEPTED");
        // Jon sees the thread; Ana chose not to share her address.
        assert_eq!(accepted["acceptCollaborationRequest"]["contact"]["requestId"], id.as_str());
        assert!(accepted["acceptCollaborationRequest"]["contact"]["email"].is_null());
        // Ana sees the thread and Jon's address, which he chose to share.
        let seen = ana.ok(REQUEST, json!({ "id": id })).await;
        assert_eq!(seen["collaborationRequest"]["contact"]["email"], jon.email.as_str());
        app.run_jobs().await;
        assert!(app.mail_to(&ana.email).iter().any(|m| m.subject.contains("accepted your collaboration request")));

        ana.ok(SEND_MESSAGE, json!({ "r": id, "b": "Great! When can we talk?" })).await;
        jon.ok(SEND_MESSAGE, json!({ "r": id, "b": "Thursday at 10?" })).await;
        let thread = ana.ok(MESSAGES, json!({ "r": id })).await;
        let bodies: Vec<(&str, &str)> = thread["collaborationMessages"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["node"]["sender"]["handle"].as_str().unwrap(), e["node"]["body"].as_str().unwrap()))
            .collect();
        assert_eq!(bodies, [("recipient", "Thursday at 10?"), ("sender", "Great! When can we talk?")]);

        // Outsiders can neither read nor write the thread.
        assert_code(&eve.gql(MESSAGES, json!({ "r": id })).await, "NOT_FOUND");
        assert_code(&eve.gql(SEND_MESSAGE, json!({ "r": id, "b": "Hi!" })).await, "NOT_FOUND");
        // Connected people do not ask again, and suggestions down-weight them.
        assert_code(&send(&ana, &jon, "Again?").await, "CONFLICT");
        open_profile(&ana, &["NLP"], &[], &[], "").await;
        let data = suggestions(&ana).await;
        assert_eq!(handles(&data), ["recipient"]);
        assert_eq!(data["suggestions"][0]["alreadyWorkingTogether"], true);
        assert_eq!(
            reasons_of(&data, "recipient"),
            ["looking for: NLP — has NLP", "you are already connected"]
        );
    })
    .await;
}

#[tokio::test]
async fn requests_and_messages_are_rate_limited() {
    on_each_backend(|app| async move {
        let eager = app.researcher("eager").await;
        let a = app.researcher("target-a").await;
        let b = app.researcher("target-b").await;
        open_profile(&a, &[], &[], &["R"], "").await;
        open_profile(&b, &[], &[], &["R"], "").await;
        assert_no_errors(&send(&eager, &a, "Hello A").await);
        let id = send(&eager, &b, "Hello B").await["data"]["sendCollaborationRequest"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        // Every attempt counts, refused ones too: the daily quota is ten.
        for _ in 0..8 {
            assert_code(&send(&eager, &a, "Hello again").await, "CONFLICT");
        }
        let resp = send(&eager, &a, "One more").await;
        assert_code(&resp, "RATE_LIMITED");
        assert!(
            resp["errors"][0]["extensions"]["retryAfter"]
                .as_u64()
                .unwrap()
                > 0
        );

        b.ok(ACCEPT, json!({ "id": id })).await;
        for i in 0..30 {
            b.ok(
                SEND_MESSAGE,
                json!({ "r": id, "b": format!("message {i}") }),
            )
            .await;
        }
        let resp = b
            .gql(SEND_MESSAGE, json!({ "r": id, "b": "one too many" }))
            .await;
        assert_code(&resp, "RATE_LIMITED");
        // The other side has their own quota.
        eager
            .ok(SEND_MESSAGE, json!({ "r": id, "b": "Slow down!" }))
            .await;
    })
    .await;
}

#[tokio::test]
async fn signed_out_and_unconfirmed_users_cannot_write_profiles_or_requests() {
    on_each_backend(|app| async move {
        let open = app.researcher("openperson").await;
        open_profile(&open, &[], &[], &["R"], "").await;
        let resp = app
            .gql(PROFILE, json!({ "i": { "openToCollaborate": true } }))
            .await;
        assert_code(&resp, "UNAUTHENTICATED");
        let resp = app.gql(SUGGEST, json!({ "n": 5 })).await;
        assert_code(&resp, "UNAUTHENTICATED");

        let email = "unconfirmed2@researchallofus.org";
        assert_no_errors(
            &app.gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": email, "password": PASSWORD, "displayName": "Ulla" } }),
            )
            .await,
        );
        let unconfirmed = app.sign_in(email).await;
        let resp = unconfirmed
            .gql(PROFILE, json!({ "i": { "openToCollaborate": true } }))
            .await;
        assert_code(&resp, "EMAIL_NOT_VERIFIED");
        assert_code(
            &send(&unconfirmed, &open, "Hello there.").await,
            "EMAIL_NOT_VERIFIED",
        );
    })
    .await;
}

/// Suggestions for eight candidates cost no more statements than for two:
/// the ranking reads in bulk and profile terms resolve through a DataLoader
/// (give or take a load that misses its batch window).
#[tokio::test]
async fn suggestions_cost_a_constant_number_of_statements() {
    on_each_backend(|app| async move {
        let viewer = app.researcher("counting").await;
        open_profile(&viewer, &["GWAS"], &["hypertension"], &[], "Blood pressure genetics.").await;
        let query = "{ suggestedCollaborators(first: 10) { suggestions { user { handle } profile { expertise { key } methods { key } seeking { key } } reasons } } }";
        let mut costs = Vec::new();
        for n in 0..8 {
            let s = app.researcher(&format!("cand{n}")).await;
            open_profile(&s, &[], &["hypertension"], &["GWAS"], "Blood pressure.").await;
            if n == 1 || n == 7 {
                let (data, cost) =
                    crate::workspaces::counted(&app, viewer.id_num(), query).await;
                let found = data["suggestedCollaborators"]["suggestions"]
                    .as_array()
                    .map(Vec::len);
                assert_eq!(found, Some(n + 1));
                costs.push(cost);
            }
        }
        assert!(costs[0] > 0);
        assert!(
            costs[1] <= costs[0] + 2,
            "statements for 2 vs 8 candidates: {costs:?}"
        );
    })
    .await;
}
