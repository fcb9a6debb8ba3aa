//! Community workspaces: a researcher lists a Workbench workspace as a
//! draft, adds collaborators, publishes it with the three consents, and the
//! community browses, filters and edits it.

use commons::identity::{Role, Tier};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::*;

const CREATE: &str = "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id name namespace tier published version } }";
const PUBLISH: &str = "mutation($id: ID!, $c: PublishConsentInput!) { publishWorkspace(id: $id, consent: $c) { id published publishedAt } }";
const GET: &str = "query($id: ID!) { workspace(id: $id) { id name tier published collaborators { handle } owner { handle } consent { noHarmfulLanguage contactInfoInDescription collaboratorsAgreed workspaceVersion consentedBy { handle } } } }";
const BROWSE: &str = "query($f: WorkspaceFilter, $s: WorkspaceSort, $first: Int, $after: String) { communityWorkspaces(filter: $f, sort: $s, first: $first, after: $after) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }";
const ADD_COLLABORATOR: &str =
    "mutation($w: ID!, $u: ID!) { addWorkspaceCollaborator(workspaceId: $w, userId: $u) { id } }";
const UPDATE: &str =
    "mutation($i: UpdateWorkspaceInput!) { updateWorkspace(input: $i) { id name version tags } }";

fn all_consents() -> Value {
    json!({ "noHarmfulLanguage": true, "contactInfoInDescription": true, "collaboratorsAgreed": true })
}

fn listing(name: &str, namespace: &str) -> Value {
    json!({
        "name": name,
        "namespace": namespace,
        "tier": "REGISTERED",
        "cdrVersion": "v7",
        "purpose": {
            "intendedStudy": "We study **sleep** and blood pressure. Contact: see our lab page.",
            "scientificApproach": "Cohort study over EHR and Fitbit data.",
            "anticipatedFindings": "Shorter sleep goes with higher blood pressure.",
            "purposes": ["POPULATION_HEALTH"],
        },
        "dataTypes": ["EHR", "WEARABLES"],
        "tags": ["Sleep", "blood pressure"],
    })
}

async fn create(owner: &Session, input: Value) -> String {
    let data = owner.ok(CREATE, json!({ "i": input })).await;
    data["createWorkspace"]["id"]
        .as_str()
        .expect("workspace id")
        .to_string()
}

async fn publish(owner: &Session, id: &str) {
    owner
        .ok(PUBLISH, json!({ "id": id, "c": all_consents() }))
        .await;
}

fn names(data: &Value) -> Vec<String> {
    data["communityWorkspaces"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn browse(s: &Session, filter: Value, sort: &str) -> Vec<String> {
    let data = s
        .ok(BROWSE, json!({ "f": filter, "s": sort, "first": 50 }))
        .await;
    names(&data)
}

async fn index_jobs(app: &TestApp) -> Vec<Value> {
    use commons::entities::job;
    job::Entity::find()
        .filter(job::Column::Kind.eq("search.index"))
        .order_by_asc(job::Column::Id)
        .all(&app.ctx().db)
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| {
            let mut payload: Value = serde_json::from_str(&j.payload).expect("payload");
            payload["orderingKey"] = json!(j.ordering_key);
            payload
        })
        .collect()
}

#[tokio::test]
async fn publishing_needs_the_owner_and_all_three_consents() {
    on_each_backend(|app| async move {
        let owner = app.researcher("olivia").await;
        let collaborator = app.researcher("carlos").await;
        let stranger = app.researcher("stella").await;

        let id = create(
            &owner,
            listing("Sleep and blood pressure", "aou-rw-sleep-bp"),
        )
        .await;
        owner
            .ok(ADD_COLLABORATOR, json!({ "w": id, "u": collaborator.id }))
            .await;

        // A draft: the collaborator sees it, a stranger does not.
        let seen = collaborator.ok(GET, json!({ "id": id })).await;
        assert_eq!(seen["workspace"]["published"], false);
        assert_eq!(seen["workspace"]["collaborators"][0]["handle"], "carlos");
        let hidden = stranger.ok(GET, json!({ "id": id })).await;
        assert!(hidden["workspace"].is_null());
        assert!(browse(&stranger, json!({}), "NEWEST").await.is_empty());

        // Only the owner publishes.
        let resp = collaborator
            .gql(PUBLISH, json!({ "id": id, "c": all_consents() }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        let resp = stranger
            .gql(PUBLISH, json!({ "id": id, "c": all_consents() }))
            .await;
        assert_code(&resp, "NOT_FOUND");

        // Each of the three consents is required, and named when missing.
        for (missing, field) in [
            ("noHarmfulLanguage", "consent.noHarmfulLanguage"),
            (
                "contactInfoInDescription",
                "consent.contactInfoInDescription",
            ),
            ("collaboratorsAgreed", "consent.collaboratorsAgreed"),
        ] {
            let mut consent = all_consents();
            consent[missing] = json!(false);
            let resp = owner.gql(PUBLISH, json!({ "id": id, "c": consent })).await;
            assert_code(&resp, "VALIDATION");
            assert_eq!(resp["errors"][0]["extensions"]["field"], field);
        }
        let still = owner.ok(GET, json!({ "id": id })).await;
        assert_eq!(still["workspace"]["published"], false);
        assert!(still["workspace"]["consent"].is_null());

        let published = owner
            .ok(PUBLISH, json!({ "id": id, "c": all_consents() }))
            .await;
        assert_eq!(published["publishWorkspace"]["published"], true);

        // The consent is recorded, and shown to the owner's side only.
        let mine = owner.ok(GET, json!({ "id": id })).await;
        let consent = &mine["workspace"]["consent"];
        assert_eq!(consent["noHarmfulLanguage"], true);
        assert_eq!(consent["contactInfoInDescription"], true);
        assert_eq!(consent["collaboratorsAgreed"], true);
        assert_eq!(consent["workspaceVersion"], 1);
        assert_eq!(consent["consentedBy"]["handle"], "olivia");
        let theirs = stranger.ok(GET, json!({ "id": id })).await;
        assert_eq!(theirs["workspace"]["name"], "Sleep and blood pressure");
        assert!(theirs["workspace"]["consent"].is_null());
        assert_eq!(
            browse(&stranger, json!({}), "NEWEST").await,
            vec!["Sleep and blood pressure"]
        );

        let again = owner
            .gql(PUBLISH, json!({ "id": id, "c": all_consents() }))
            .await;
        assert_code(&again, "INVALID_STATE");

        // The collaborator hears of it; the search index is told in order.
        let notes = collaborator
            .ok(
                "{ notifications { edges { node { kind title } } } }",
                json!({}),
            )
            .await;
        let kinds: Vec<&str> = notes["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["node"]["kind"].as_str())
            .collect();
        assert!(kinds.contains(&"workspace_published"), "{kinds:?}");
        let jobs = index_jobs(&app).await;
        assert!(!jobs.is_empty());
        for job in &jobs {
            assert_eq!(job["doc"], "workspace");
            assert_eq!(job["id"].to_string(), id);
            assert_eq!(job["orderingKey"], format!("workspace:{id}"));
        }
    })
    .await;
}

#[tokio::test]
async fn a_draft_must_say_what_it_studies_before_publishing() {
    on_each_backend(|app| async move {
        let owner = app.researcher("quinn").await;
        let mut input = listing("Empty purpose", "aou-rw-empty");
        input["purpose"]["intendedStudy"] = json!("");
        let id = create(&owner, input).await;
        let resp = owner
            .gql(PUBLISH, json!({ "id": id, "c": all_consents() }))
            .await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "intendedStudy");

        // One listing per Workbench workspace.
        let resp = owner
            .gql(CREATE, json!({ "i": listing("Again", "aou-rw-empty") }))
            .await;
        assert_code(&resp, "CONFLICT");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "namespace");

        // A disease-focused purpose names the disease.
        let mut input = listing("No disease", "aou-rw-nodisease");
        input["purpose"]["purposes"] = json!(["DISEASE_FOCUSED"]);
        let resp = owner.gql(CREATE, json!({ "i": input })).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "disease");
    })
    .await;
}

#[tokio::test]
async fn controlled_tier_listings_are_invisible_to_registered_tier_users() {
    on_each_backend(|app| async move {
        let owner = app
            .user_with("ctowner", &[Role::Researcher], Tier::Controlled)
            .await;
        let peer = app
            .user_with("ctpeer", &[Role::Researcher], Tier::Controlled)
            .await;
        let registered = app.researcher("rtonly").await;
        let registered_admin = app
            .user_with("rtadmin", &[Role::Admin], Tier::Registered)
            .await;

        let mut input = listing("Long-read structural variants", "aou-rw-lrsv");
        input["tier"] = json!("CONTROLLED");
        input["dataTypes"] = json!(["GENOMICS_LONG_READ", "EHR"]);
        input["tags"] = json!(["sv"]);
        let ct = create(&owner, input).await;
        publish(&owner, &ct).await;
        let rt = create(&owner, listing("Registered-tier sleep", "aou-rw-rtsleep")).await;
        publish(&owner, &rt).await;

        // The controlled-tier researcher sees both.
        assert_eq!(
            browse(&peer, json!({}), "NEWEST").await,
            vec!["Registered-tier sleep", "Long-read structural variants"]
        );
        let got = peer.ok(GET, json!({ "id": ct })).await;
        assert_eq!(got["workspace"]["tier"], "CONTROLLED");

        // A registered-tier user, even an admin, can neither fetch nor find it.
        for viewer in [&registered, &registered_admin] {
            let got = viewer.ok(GET, json!({ "id": ct })).await;
            assert!(got["workspace"].is_null(), "{got}");
            assert_eq!(
                browse(viewer, json!({}), "NEWEST").await,
                vec!["Registered-tier sleep"]
            );
            assert!(
                browse(viewer, json!({ "tier": "CONTROLLED" }), "NEWEST")
                    .await
                    .is_empty()
            );
            assert!(
                browse(viewer, json!({ "tags": ["sv"] }), "FEATURED")
                    .await
                    .is_empty()
            );
            // Acting on it by id answers as if it did not exist.
            let resp = viewer
                .gql(
                    "mutation($id: ID!) { unpublishWorkspace(id: $id) { id } }",
                    json!({ "id": ct }),
                )
                .await;
            assert_code(&resp, "NOT_FOUND");
        }

        // Registered-tier users cannot list controlled-tier work, genomic
        // data needs the controlled tier, and a controlled-tier listing takes
        // only collaborators who hold it.
        let mut input = listing("Sneaky", "aou-rw-sneaky");
        input["tier"] = json!("CONTROLLED");
        let resp = registered.gql(CREATE, json!({ "i": input })).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "tier");
        let mut input = listing("Genomes in RT", "aou-rw-genomes-rt");
        input["dataTypes"] = json!(["GENOMICS_SHORT_READ"]);
        let resp = registered.gql(CREATE, json!({ "i": input })).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "dataTypes");
        let resp = owner
            .gql(ADD_COLLABORATOR, json!({ "w": ct, "u": registered.id }))
            .await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "userId");
    })
    .await;
}

#[tokio::test]
async fn browse_filters_combine_and_sorts_order() {
    on_each_backend(|app| async move {
        let owner = app
            .user_with("curator", &[Role::Researcher], Tier::Controlled)
            .await;
        let admin = app.admin("wsadmin").await;
        let reader = app
            .user_with("reader", &[Role::Researcher], Tier::Controlled)
            .await;

        // (name, tier, data types, purposes, tags, cdr, duplicates)
        let specs = [
            ("A: EHR + survey diabetes", "REGISTERED", json!(["EHR", "SURVEY"]), json!(["DISEASE_FOCUSED"]), json!(["diabetes"]), "v7", 3),
            ("B: EHR only diabetes", "REGISTERED", json!(["EHR"]), json!(["DISEASE_FOCUSED", "METHODS_DEVELOPMENT"]), json!(["diabetes", "phenotype"]), "v7", 10),
            ("C: survey social", "REGISTERED", json!(["SURVEY"]), json!(["SOCIAL_BEHAVIORAL"]), json!(["sdoh"]), "v8", 0),
            ("D: genomes ancestry", "CONTROLLED", json!(["GENOMICS_SHORT_READ", "EHR", "SURVEY"]), json!(["ANCESTRY", "METHODS_DEVELOPMENT"]), json!(["gwas", "diabetes"]), "v7", 7),
            ("E: tutorial", "REGISTERED", json!(["EHR", "PHYSICAL_MEASUREMENTS"]), json!(["EDUCATIONAL"]), json!(["tutorial"]), "v8", 1),
        ];
        let mut ids = Vec::new();
        for (i, (name, tier, types, purposes, tags, cdr, dups)) in specs.iter().enumerate() {
            let mut input = listing(name, &format!("aou-rw-browse-{i}"));
            input["tier"] = json!(tier);
            input["dataTypes"] = types.clone();
            input["purpose"]["purposes"] = purposes.clone();
            if purposes.as_array().unwrap().contains(&json!("DISEASE_FOCUSED")) {
                input["purpose"]["disease"] = json!("type 2 diabetes");
            }
            input["tags"] = tags.clone();
            input["cdrVersion"] = json!(cdr);
            let id = create(&owner, input).await;
            publish(&owner, &id).await;
            owner
                .ok(
                    "mutation($id: ID!, $n: Int!) { reportWorkspaceDuplicates(id: $id, count: $n) { duplicateCount } }",
                    json!({ "id": id, "n": dups }),
                )
                .await;
            // Publication times one minute apart: A is the oldest.
            app.ctx().clock.advance(chrono::Duration::minutes(1));
            ids.push(id);
        }
        // A draft never shows.
        create(&owner, listing("F: draft", "aou-rw-browse-draft")).await;

        let q = |f: Value| browse(&reader, f, "NEWEST");
        assert_eq!(q(json!({})).await, ["E: tutorial", "D: genomes ancestry", "C: survey social", "B: EHR only diabetes", "A: EHR + survey diabetes"]);
        // Every data type given must be present.
        assert_eq!(q(json!({ "dataTypes": ["EHR", "SURVEY"] })).await, ["D: genomes ancestry", "A: EHR + survey diabetes"]);
        assert_eq!(q(json!({ "purposes": ["METHODS_DEVELOPMENT"] })).await, ["D: genomes ancestry", "B: EHR only diabetes"]);
        assert_eq!(q(json!({ "tags": ["Diabetes", "phenotype"] })).await, ["B: EHR only diabetes"]);
        assert_eq!(q(json!({ "cdrVersion": "v8" })).await, ["E: tutorial", "C: survey social"]);
        assert_eq!(q(json!({ "tier": "REGISTERED", "tags": ["diabetes"] })).await, ["B: EHR only diabetes", "A: EHR + survey diabetes"]);
        assert_eq!(
            q(json!({ "dataTypes": ["EHR"], "purposes": ["DISEASE_FOCUSED"], "tags": ["diabetes"], "cdrVersion": "v7", "tier": "REGISTERED" })).await,
            ["B: EHR only diabetes", "A: EHR + survey diabetes"]
        );
        assert!(q(json!({ "dataTypes": ["WEARABLES"], "purposes": ["ANCESTRY"] })).await.is_empty());

        assert_eq!(
            browse(&reader, json!({}), "MOST_DUPLICATED").await,
            ["B: EHR only diabetes", "D: genomes ancestry", "A: EHR + survey diabetes", "E: tutorial", "C: survey social"]
        );

        // Admins feature; featured listings lead, newest first, then the rest.
        let feature = "mutation($id: ID!, $c: FeaturedCategory) { featureWorkspace(id: $id, category: $c) { featuredCategory } }";
        let resp = owner.gql(feature, json!({ "id": ids[0], "c": "TUTORIAL" })).await;
        assert_code(&resp, "FORBIDDEN");
        admin.ok(feature, json!({ "id": ids[4], "c": "TUTORIAL" })).await;
        admin.ok(feature, json!({ "id": ids[0], "c": "PHENOTYPE_LIBRARY" })).await;
        assert_eq!(
            browse(&reader, json!({}), "FEATURED").await,
            ["E: tutorial", "A: EHR + survey diabetes", "D: genomes ancestry", "C: survey social", "B: EHR only diabetes"]
        );
        assert_eq!(
            browse(&reader, json!({ "featuredCategory": "PHENOTYPE_LIBRARY" }), "NEWEST").await,
            ["A: EHR + survey diabetes"]
        );

        // Pages follow the sort exactly, for each sort.
        for sort in ["NEWEST", "MOST_DUPLICATED", "FEATURED"] {
            let whole = browse(&reader, json!({}), sort).await;
            let mut paged = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let data = reader
                    .ok(BROWSE, json!({ "f": {}, "s": sort, "first": 2, "after": after }))
                    .await;
                paged.extend(names(&data));
                let info = &data["communityWorkspaces"]["pageInfo"];
                if info["hasNextPage"] != true {
                    break;
                }
                after = info["endCursor"].as_str().map(String::from);
            }
            assert_eq!(paged, whole, "{sort}");
        }
        let resp = reader
            .gql(BROWSE, json!({ "s": "NEWEST", "after": "bm9wZQ" }))
            .await;
        assert_code(&resp, "VALIDATION");
    })
    .await;
}

#[tokio::test]
async fn edits_by_owner_and_collaborators_are_kept_as_revisions() {
    on_each_backend(|app| async move {
        let owner = app.researcher("rowan").await;
        let collaborator = app.researcher("cora").await;
        let stranger = app.researcher("sid").await;
        let id = create(&owner, listing("Sleep v1", "aou-rw-revisions")).await;
        owner
            .ok(ADD_COLLABORATOR, json!({ "w": id, "u": collaborator.id }))
            .await;
        publish(&owner, &id).await;

        let edited = owner
            .ok(
                UPDATE,
                json!({ "i": { "id": id, "expectedVersion": 1, "name": "Sleep v2", "tags": ["sleep", "Wearables"] } }),
            )
            .await;
        assert_eq!(edited["updateWorkspace"]["version"], 2);
        assert_eq!(edited["updateWorkspace"]["tags"], json!(["sleep", "wearables"]));
        collaborator
            .ok(
                UPDATE,
                json!({ "i": { "id": id, "expectedVersion": 2, "intendedStudy": "Sleep, blood pressure and **steps**." } }),
            )
            .await;

        // An edit based on an old version loses instead of overwriting.
        let stale = owner
            .gql(UPDATE, json!({ "i": { "id": id, "expectedVersion": 2, "name": "Sleep v3?" } }))
            .await;
        assert_code(&stale, "CONFLICT");
        assert_eq!(stale["errors"][0]["extensions"]["field"], "expectedVersion");
        // An edit that changes nothing makes no revision.
        owner
            .ok(UPDATE, json!({ "i": { "id": id, "name": "Sleep v2" } }))
            .await;

        let resp = stranger
            .gql(UPDATE, json!({ "i": { "id": id, "name": "Mine now" } }))
            .await;
        assert_code(&resp, "FORBIDDEN");

        let history = "query($id: ID!) { workspace(id: $id) { name version intendedStudyHtml revisions { edges { node { version name tags intendedStudy editor { handle } } } } } }";
        let data = owner.ok(history, json!({ "id": id })).await;
        let w = &data["workspace"];
        assert_eq!(w["name"], "Sleep v2");
        assert_eq!(w["version"], 3);
        assert!(
            w["intendedStudyHtml"]
                .as_str()
                .unwrap()
                .contains("<strong>steps</strong>")
        );
        let revisions: Vec<&Value> = w["revisions"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .collect();
        assert_eq!(revisions.len(), 2);
        assert_eq!(revisions[0]["version"], 2);
        assert_eq!(revisions[0]["name"], "Sleep v2");
        assert_eq!(revisions[0]["editor"]["handle"], "cora");
        assert_eq!(revisions[1]["version"], 1);
        assert_eq!(revisions[1]["name"], "Sleep v1");
        assert_eq!(revisions[1]["tags"], json!(["blood-pressure", "sleep"]));
        assert_eq!(revisions[1]["editor"]["handle"], "rowan");
        assert!(
            revisions[1]["intendedStudy"]
                .as_str()
                .unwrap()
                .starts_with("We study")
        );

        // The history is for the listing's own people.
        let resp = stranger.gql(history, json!({ "id": id })).await;
        assert_code(&resp, "FORBIDDEN");
    })
    .await;
}

#[tokio::test]
async fn unpublishing_featuring_and_duplicate_counts_have_their_people() {
    on_each_backend(|app| async move {
        let owner = app.researcher("uma").await;
        let collaborator = app.researcher("cal").await;
        let stranger = app.researcher("sam").await;
        let admin = app.admin("unpubadmin").await;
        let id = create(&owner, listing("Steps and mood", "aou-rw-steps-mood")).await;
        owner
            .ok(ADD_COLLABORATOR, json!({ "w": id, "u": collaborator.id }))
            .await;
        let resp = collaborator
            .gql(ADD_COLLABORATOR, json!({ "w": id, "u": stranger.id }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        publish(&owner, &id).await;
        let remove = "mutation($w: ID!, $u: ID!) { removeWorkspaceCollaborator(workspaceId: $w, userId: $u) { collaborators { handle } } }";
        assert_code(
            &stranger
                .gql(remove, json!({ "w": id, "u": collaborator.id }))
                .await,
            "FORBIDDEN",
        );

        let unpublish = "mutation($id: ID!, $r: String) { unpublishWorkspace(id: $id, reason: $r) { published featuredCategory } }";
        for who in [&collaborator, &stranger] {
            assert_code(&who.gql(unpublish, json!({ "id": id })).await, "FORBIDDEN");
        }
        let dups = "mutation($id: ID!, $n: Int!) { reportWorkspaceDuplicates(id: $id, count: $n) { duplicateCount } }";
        assert_code(
            &collaborator.gql(dups, json!({ "id": id, "n": 4 })).await,
            "FORBIDDEN",
        );
        let resp = owner.gql(dups, json!({ "id": id, "n": -1 })).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "count");
        let data = owner.ok(dups, json!({ "id": id, "n": 4 })).await;
        assert_eq!(data["reportWorkspaceDuplicates"]["duplicateCount"], 4);

        admin
            .ok(
                "mutation($id: ID!) { featureWorkspace(id: $id, category: COMMUNITY) { id } }",
                json!({ "id": id }),
            )
            .await;
        // An admin unpublishes with a reason; the owner hears of it by email.
        let data = admin
            .ok(unpublish, json!({ "id": id, "r": "Please remove the participant count in the findings." }))
            .await;
        assert_eq!(data["unpublishWorkspace"]["published"], false);
        assert!(data["unpublishWorkspace"]["featuredCategory"].is_null());
        app.run_jobs().await;
        let mails = app.mail_to(&owner.email);
        assert!(
            mails
                .iter()
                .any(|m| m.subject.contains("was unpublished") && m.text.contains("participant count")),
            "{mails:?}"
        );
        assert!(stranger.ok(GET, json!({ "id": id })).await["workspace"].is_null());

        // Featuring and unpublishing need a published listing.
        let resp = admin
            .gql(
                "mutation($id: ID!) { featureWorkspace(id: $id, category: DEMO) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_code(&resp, "NOT_FOUND"); // a draft is the owner's side only
        assert_code(&owner.gql(unpublish, json!({ "id": id })).await, "INVALID_STATE");

        // The owner can republish and then unpublish it themself.
        publish(&owner, &id).await;
        let data = owner.ok(unpublish, json!({ "id": id })).await;
        assert_eq!(data["unpublishWorkspace"]["published"], false);

        // A collaborator may leave.
        let data = collaborator
            .ok(remove, json!({ "w": id, "u": collaborator.id }))
            .await;
        assert_eq!(data["removeWorkspaceCollaborator"]["collaborators"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn my_workspaces_lists_drafts_and_collaborations() {
    on_each_backend(|app| async move {
        let owner = app.researcher("mina").await;
        let collaborator = app.researcher("milo").await;
        let first = create(&owner, listing("Mine, a draft", "aou-rw-mine-1")).await;
        let second = create(&owner, listing("Ours, published", "aou-rw-mine-2")).await;
        owner
            .ok(
                ADD_COLLABORATOR,
                json!({ "w": second, "u": collaborator.id }),
            )
            .await;
        publish(&owner, &second).await;
        let query = "{ myWorkspaces { edges { node { id name viewerIsOwner viewerCanEdit } } } }";
        let data = owner.ok(query, json!({})).await;
        let ids: Vec<&str> = data["myWorkspaces"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["node"]["id"].as_str())
            .collect();
        assert_eq!(ids, vec![second.as_str(), first.as_str()]);
        let data = collaborator.ok(query, json!({})).await;
        let edges = data["myWorkspaces"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0]["node"]["viewerIsOwner"], false);
        assert_eq!(edges[0]["node"]["viewerCanEdit"], true);
    })
    .await;
}

#[tokio::test]
async fn signed_out_and_unconfirmed_users_cannot_list_workspaces() {
    on_each_backend(|app| async move {
        let resp = app
            .gql(CREATE, json!({ "i": listing("Anonymous", "aou-rw-anon") }))
            .await;
        assert_code(&resp, "UNAUTHENTICATED");
        let resp = app.gql(BROWSE, json!({ "s": "NEWEST" })).await;
        assert_code(&resp, "UNAUTHENTICATED");

        let email = "unconfirmed@researchallofus.org";
        assert_no_errors(
            &app.gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": email, "password": PASSWORD, "displayName": "Una" } }),
            )
            .await,
        );
        let unconfirmed = app.sign_in(email).await;
        let resp = unconfirmed
            .gql(
                CREATE,
                json!({ "i": listing("Unconfirmed", "aou-rw-unconfirmed") }),
            )
            .await;
        assert_code(&resp, "EMAIL_NOT_VERIFIED");
    })
    .await;
}

/// Runs `query` as `user_id` on a schema whose connection counts statements;
/// returns the response data and how many statements it cost.
pub async fn counted(app: &TestApp, user_id: i64, query: &str) -> (Value, usize) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let statements = Arc::new(AtomicUsize::new(0));
    let mut db = commons::db::connect(&app.ctx().config.database_url)
        .await
        .expect("connect");
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let mut ctx = app.ctx().clone();
    ctx.db = db;
    let schema = commons::graphql::build_schema(Some(ctx));
    let viewer = commons::entities::user::Entity::find_by_id(user_id)
        .one(&app.ctx().db)
        .await
        .expect("query")
        .expect("viewer");
    let auth = commons::request::RequestAuth {
        user: Some(commons::identity::CurrentUser::from_model(&viewer, None)),
        ..Default::default()
    };
    statements.store(0, Ordering::SeqCst);
    let resp = schema
        .execute(async_graphql::Request::new(query).data(auth))
        .await;
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let cost = statements.load(Ordering::SeqCst);
    (resp.data.into_json().expect("json"), cost)
}

/// A browse page of eight listings costs no more statements than a page of
/// two: owners, collaborators, data types, tags and consents resolve through
/// DataLoaders. (Two loads may miss each other's batch window and cost one
/// more statement; an N+1 would cost six more per relation.)
#[tokio::test]
async fn a_browse_page_costs_a_constant_number_of_statements() {
    on_each_backend(|app| async move {
        let owner = app.researcher("counter").await;
        let helper = app.researcher("helper").await;
        for n in 0..8 {
            let id = create(
                &owner,
                listing(&format!("Listing {n}"), &format!("aou-rw-count-{n}")),
            )
            .await;
            owner
                .ok(ADD_COLLABORATOR, json!({ "w": id, "u": helper.id }))
                .await;
            publish(&owner, &id).await;
        }
        let mut costs = Vec::new();
        for first in [2, 8] {
            let query = format!(
                "{{ communityWorkspaces(first: {first}) {{ edges {{ node {{ name owner {{ handle }} collaborators {{ handle }} dataTypes tags purposes viewerCanEdit consent {{ consentedBy {{ handle }} }} }} }} }} }}"
            );
            let (data, cost) = counted(&app, owner.id_num(), &query).await;
            let edges = data["communityWorkspaces"]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), first);
            assert_eq!(edges[0]["node"]["collaborators"][0]["handle"], "helper");
            assert_eq!(edges[0]["node"]["consent"]["consentedBy"]["handle"], "counter");
            costs.push(cost);
        }
        assert!(costs[0] > 0, "the counter must see the statements");
        assert!(
            costs[1] <= costs[0] + 2,
            "statements for 2 vs 8 listings: {costs:?}"
        );
    })
    .await;
}
