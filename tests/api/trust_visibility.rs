//! Losing access takes effect at once, everywhere: search, bookmarks,
//! notifications and digests show nothing the reader could not open now.
//! Each test makes the change, then reads as the member who lost access
//! would, before and after the search index has caught up.

use commons::search::{DocKind, SearchQuery, Viewer};
use serde_json::{Value, json};

use crate::helpers::*;

pub const SEARCH: &str = "query($q: String!, $k: [SearchKind!]) {
  search(query: $q, kinds: $k) {
    hits { edges { node { kind snippet thread { id title } post { id } workspace { id name } profile { user { id } } } } }
  } }";
pub const HIDE: &str =
    "mutation($p: ID!, $r: String!) { hidePost(postId: $p, reason: $r) { id moderationState } }";
const NOTIFICATIONS: &str =
    "{ notifications(first: 20) { edges { node { kind title excerpt link } } } }";

pub async fn category(admin: &Session) -> String {
    admin
        .ok(
            "mutation { createCategory(input: { name: \"Genomics\" }) { id } }",
            json!({}),
        )
        .await["createCategory"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Starts a thread; returns its id and its first post's id.
pub async fn thread(author: &Session, category: &str, title: &str, body: &str) -> (String, String) {
    let d = author
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id firstPost { id } } }",
            json!({ "i": { "categoryId": category, "title": title, "body": body } }),
        )
        .await;
    (
        d["createThread"]["id"].as_str().unwrap_or_default().into(),
        d["createThread"]["firstPost"]["id"]
            .as_str()
            .unwrap_or_default()
            .into(),
    )
}

pub async fn reply(author: &Session, thread: &str, body: &str) -> String {
    author
        .ok(
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({ "i": { "threadId": thread, "body": body } }),
        )
        .await["createPost"]["id"]
        .as_str()
        .unwrap_or_default()
        .into()
}

/// A forum with a moderator, a category and two members.
pub struct Cast {
    pub moderator: Session,
    pub genomics: String,
    pub author: Session,
    pub reader: Session,
}

impl Cast {
    pub async fn new(app: &TestApp) -> Cast {
        let admin = app.admin("root").await;
        Cast {
            moderator: app.moderator("mod").await,
            genomics: category(&admin).await,
            author: app.researcher("author").await,
            reader: app.researcher("reader").await,
        }
    }
}

/// A thread by `author` whose two replies mention `@reader`: the first
/// tells where a small group of carriers lives, the second does not.
/// Returns the first reply's id.
async fn mentions_of_reader(author: &Session, category: &str) -> String {
    let (thread_id, _) = thread(
        author,
        category,
        "Counting rare variants",
        "How do you count carriers of rare variants?",
    )
    .await;
    let leaked = reply(
        author,
        &thread_id,
        "@reader the carriers cluster in Wyoming, see the map.",
    )
    .await;
    reply(author, &thread_id, "@reader see the burden-test notebook.").await;
    leaked
}

pub fn hits(data: &Value) -> Vec<Value> {
    data["search"]["hits"]["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default()
}

/// Whether the engine itself (not the API) holds `user_id`'s profile.
async fn indexed_profile(app: &TestApp, text: &str, user_id: i64) -> bool {
    let mut query = SearchQuery::new(
        text,
        Viewer {
            tiers: vec!["registered".into(), "controlled".into()],
            moderator: true,
        },
    );
    query.kinds = vec![DocKind::Profile];
    app.ctx()
        .search
        .search(&query)
        .await
        .expect("search")
        .hits
        .iter()
        .any(|h| h.object_id == user_id)
}

#[tokio::test]
async fn a_suspended_members_profile_leaves_search_and_returns_on_unsuspend() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("root").await;
        let moderator = app.moderator("mod").await;
        let member = app.researcher("sam").await;
        let reader = app.researcher("reader").await;
        member
            .ok(
                "mutation { updateMyProfile(input: { researchInterests: \"Chronobiology of shift workers.\", openToCollaborate: true }) { openToCollaborate } }",
                json!({}),
            )
            .await;
        app.run_jobs().await;
        let find = || async {
            hits(
                &reader
                    .ok(SEARCH, json!({ "q": "chronobiology", "k": ["PROFILE"] }))
                    .await,
            )
        };
        assert_eq!(find().await.len(), 1);
        assert!(indexed_profile(&app, "chronobiology", member.id_num()).await);

        // Suspended by a moderator: gone from the answers at once, before
        // the index has caught up...
        moderator
            .ok(
                "mutation($u: ID!, $r: String!) { suspendUser(userId: $u, reason: $r) { status } }",
                json!({ "u": member.id, "r": "Harassment in direct messages." }),
            )
            .await;
        assert!(find().await.is_empty(), "a suspended member's profile is a hit");
        // ...and from the index once its job (queued with the suspension) ran.
        app.run_jobs().await;
        assert!(!indexed_profile(&app, "chronobiology", member.id_num()).await);

        moderator
            .ok(
                "mutation($u: ID!) { unsuspendUser(userId: $u) { status } }",
                json!({ "u": member.id }),
            )
            .await;
        app.run_jobs().await;
        assert!(indexed_profile(&app, "chronobiology", member.id_num()).await);
        assert_eq!(find().await.len(), 1);

        // The same through an admin's account change.
        let status = "mutation($u: ID!, $s: UserStatus!) { updateUser(input: { userId: $u, status: $s }) { status } }";
        admin
            .ok(status, json!({ "u": member.id, "s": "SUSPENDED" }))
            .await;
        assert!(find().await.is_empty());
        app.run_jobs().await;
        assert!(!indexed_profile(&app, "chronobiology", member.id_num()).await);
        admin
            .ok(status, json!({ "u": member.id, "s": "ACTIVE" }))
            .await;
        app.run_jobs().await;
        assert_eq!(find().await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_bookmarked_reply_in_a_hidden_thread_is_not_returned() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("root").await;
        let moderator = app.moderator("mod").await;
        let genomics = category(&admin).await;
        let author = app.researcher("author").await;
        let reader = app.researcher("reader").await;
        let (thread_id, first_post) = thread(
            &author,
            &genomics,
            "Cohort definitions in Wyoming",
            "Which concept sets define the Wyoming cohort?",
        )
        .await;
        let answer = reply(&reader, &thread_id, "Combine it with the next county.").await;
        reader
            .ok(
                "mutation($p: ID!) { bookmarkPost(id: $p) { bookmarked } }",
                json!({ "p": answer }),
            )
            .await;
        let list = "{ forumBookmarks(first: 10) { edges { node { post { id body thread { title } } } } } }";
        let before = reader.ok(list, json!({})).await;
        assert_eq!(
            before["forumBookmarks"]["edges"][0]["node"]["post"]["id"],
            answer.as_str()
        );

        // Hiding the opening post hides the thread; the reply itself stays
        // visible, but it cannot be opened without its thread.
        moderator
            .ok(HIDE, json!({ "p": first_post, "r": "Small cell count." }))
            .await;
        let after = reader.ok(list, json!({})).await;
        let text = after.to_string();
        assert!(
            after["forumBookmarks"]["edges"][0]["node"]["post"].is_null(),
            "{after:#}"
        );
        assert!(!text.contains("Wyoming") && !text.contains("next county"), "{text}");
        let direct = reader
            .ok("query($p: ID!) { post(id: $p) { id } }", json!({ "p": answer }))
            .await;
        assert!(direct["post"].is_null());
    })
    .await;
}

#[tokio::test]
async fn the_excerpt_of_a_hidden_post_is_not_shown_nor_mailed_in_a_digest() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("root").await;
        let moderator = app.moderator("mod").await;
        let genomics = category(&admin).await;
        let author = app.researcher("author").await;
        let reader = app.researcher("reader").await;
        reader
            .ok(
                "mutation { updatePreferences(input: { digestFrequency: DAILY, digestHour: 0, timeZone: \"UTC\", emailMentions: false }) { digestFrequency } }",
                json!({}),
            )
            .await;
        let leaked = mentions_of_reader(&author, &genomics).await;
        let shown = reader.ok(NOTIFICATIONS, json!({})).await;
        assert!(shown.to_string().contains("Wyoming"), "{shown:#}");

        moderator
            .ok(HIDE, json!({ "p": leaked, "r": "Small cell count." }))
            .await;

        // In the list: the notification stays, its text does not.
        let shown = reader.ok(NOTIFICATIONS, json!({})).await;
        let edges = shown["notifications"]["edges"].as_array().cloned().unwrap_or_default();
        assert_eq!(edges.len(), 2, "{shown:#}");
        assert!(!shown.to_string().contains("Wyoming"), "{shown:#}");
        assert!(shown.to_string().contains("burden-test"), "{shown:#}");
        let closed = edges
            .iter()
            .find(|e| e["node"]["link"].as_str().unwrap_or_default().ends_with(&format!("p{leaked}")))
            .or_else(|| edges.iter().find(|e| e["node"]["excerpt"] == ""))
            .expect("the hidden post's notification");
        assert_eq!(closed["node"]["excerpt"], "");
        assert_eq!(closed["node"]["title"], "This is no longer available to you");

        // In the digest, built and sent after the hiding: not there at all.
        let before = app.mail_to(&reader.email).len();
        commons::digest::schedule::run(app.ctx())
            .await
            .expect("schedule");
        app.run_jobs().await;
        let digests: Vec<_> = app
            .mail_to(&reader.email)
            .into_iter()
            .skip(before)
            .filter(|m| m.subject.contains("digest"))
            .collect();
        assert_eq!(digests.len(), 1, "the visible mention is still news");
        let digest = &digests[0];
        let html = digest.html.clone().unwrap_or_default();
        assert!(digest.text.contains("burden-test"), "{}", digest.text);
        assert!(!digest.text.contains("Wyoming"), "{}", digest.text);
        assert!(!html.contains("Wyoming"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn an_immediate_mail_is_not_sent_for_a_post_hidden_before_it_went_out() {
    on_each_backend_trusted(|app| async move {
        // Mentions are mailed at once by default.
        let cast = Cast::new(&app).await;
        let (moderator, author, reader) = (&cast.moderator, &cast.author, &cast.reader);
        let genomics = &cast.genomics;
        let leaked = mentions_of_reader(author, genomics).await;
        // Hidden before the worker sends the mention's mail.
        moderator
            .ok(HIDE, json!({ "p": leaked, "r": "Small cell count." }))
            .await;
        let before = app.mail_to(&reader.email).len();
        app.run_jobs().await;
        let mailed: Vec<_> = app
            .mail_to(&reader.email)
            .into_iter()
            .skip(before)
            .collect();
        for m in &mailed {
            let html = m.html.clone().unwrap_or_default();
            assert!(
                !m.subject.contains("Wyoming")
                    && !m.text.contains("Wyoming")
                    && !html.contains("Wyoming"),
                "{m:?}"
            );
        }
        assert_eq!(
            mailed.len(),
            1,
            "only the visible mention is mailed: {mailed:?}"
        );
        assert!(mailed[0].text.contains("burden-test"), "{:?}", mailed[0]);
    })
    .await;
}

#[tokio::test]
async fn a_search_hit_for_a_thread_the_reader_cannot_see_is_dropped() {
    on_each_backend_trusted(|app| async move {
        let admin = app.admin("root").await;
        let moderator = app.moderator("mod").await;
        let genomics = category(&admin).await;
        let author = app.researcher("author").await;
        let reader = app.researcher("reader").await;
        let (thread_id, first_post) = thread(
            &author,
            &genomics,
            "Pharmacogenomics of warfarin",
            "Dosing by CYP2C9 genotype across Wyoming sites.",
        )
        .await;
        app.run_jobs().await;
        let find = |who: &Session| {
            let who = who.clone();
            async move { hits(&who.ok(SEARCH, json!({ "q": "warfarin" })).await) }
        };
        assert_eq!(find(&reader).await.len(), 1);

        // Hidden; the index has not caught up (its job has not run).
        moderator
            .ok(HIDE, json!({ "p": first_post, "r": "Small cell count." }))
            .await;
        let found = find(&reader).await;
        assert!(found.is_empty(), "{found:#?}");
        let direct = reader
            .ok(
                "query($t: ID!) { thread(id: $t) { id } }",
                json!({ "t": thread_id }),
            )
            .await;
        assert!(direct["thread"].is_null());
        // Moderators still find it, as `thread(id)` still shows it to them;
        // so does its author.
        for who in [&moderator, &author] {
            let found = find(who).await;
            assert_eq!(found.len(), 1, "{found:#?}");
            assert_eq!(found[0]["thread"]["id"], thread_id.as_str());
        }
        app.run_jobs().await;
        assert!(find(&reader).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_search_hit_for_a_listing_taken_back_to_draft_is_dropped() {
    on_each_backend(|app| async move {
        let owner = app.researcher("owner").await;
        let reader = app.researcher("reader").await;
        let id = owner
            .ok(
                "mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }",
                json!({ "i": {
                    "name": "Circadian rhythm and insulin",
                    "namespace": "aou-rw-circadian",
                    "tier": "REGISTERED",
                    "cdrVersion": "v7",
                    "purpose": {
                        "intendedStudy": "We study circadian rhythm and insulin resistance.",
                        "scientificApproach": "Cohort study over Fitbit data.",
                        "anticipatedFindings": "Late sleepers have higher insulin.",
                        "purposes": ["POPULATION_HEALTH"],
                    },
                    "dataTypes": ["WEARABLES"],
                } }),
            )
            .await["createWorkspace"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        owner
            .ok(
                "mutation($id: ID!) { publishWorkspace(id: $id, consent: { noHarmfulLanguage: true, contactInfoInDescription: true, collaboratorsAgreed: true }) { id } }",
                json!({ "id": id }),
            )
            .await;
        app.run_jobs().await;
        let find = || async {
            hits(
                &reader
                    .ok(SEARCH, json!({ "q": "circadian", "k": ["WORKSPACE"] }))
                    .await,
            )
        };
        assert_eq!(find().await.len(), 1);

        owner
            .ok(
                "mutation($id: ID!) { unpublishWorkspace(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        let found = find().await;
        assert!(found.is_empty(), "{found:#?}");
        // The owner still finds their draft until the index catches up, as
        // `workspace(id)` still shows it to them.
        let own = hits(
            &owner
                .ok(SEARCH, json!({ "q": "circadian", "k": ["WORKSPACE"] }))
                .await,
        );
        assert_eq!(own.len(), 1);
    })
    .await;
}
