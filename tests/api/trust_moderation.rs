//! Moderation integrity: what the guard held stays held, and no one decides
//! on their own content. Each test makes the attack through the API, as a
//! member or a moderator would, and asserts the refusal.
//!
//! - A version that was held (or written while held) is never published by
//!   approving a later, fixed version: its revision is withheld from every
//!   reader but the author and moderators, and a moderator can redact it.

use serde_json::{Value, json};

use crate::{
    helpers::*,
    trust_visibility::{Cast, SEARCH, hits, reply, thread},
};

const EDIT: &str = "mutation($p: ID!, $b: String!) { editPost(input: { postId: $p, body: $b }) { id moderationState } }";
const RETITLE: &str = "mutation($t: ID!, $title: String!) { updateThread(input: { threadId: $t, title: $title }) { id moderationState } }";
const REVISIONS: &str = "query($p: ID!) { post(id: $p) { body moderationState revisionCount revisions { number previousBody previousTitle withheld redacted } } }";
const QUEUE: &str = "{ moderationQueue(filter: { status: PENDING }, first: 50) { edges { node { id version post { id } } } } }";
const APPROVE: &str =
    "mutation($i: ModerationDecisionInput!) { approveModerationItem(input: $i) { id status } }";
const REDACT: &str = "mutation($p: ID!, $n: Int!, $r: String!) { redactPostRevision(postId: $p, number: $n, reason: $r) { number previousBody previousTitle withheld redacted } }";
const AUDIT: &str = "{ moderationAuditLog(first: 50) { edges { node { action targetType targetId reason details } } } }";
const NOTIFICATIONS: &str = "{ notifications(first: 50) { edges { node { title excerpt } } } }";

/// The pending queue item of `post_id`, as `moderator` sees it.
pub async fn pending_item(moderator: &Session, post_id: &str) -> Option<Value> {
    moderator.ok(QUEUE, json!({})).await["moderationQueue"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"].clone())
        .find(|n| n["post"]["id"] == post_id)
}

fn decision(item: &Value) -> Value {
    json!({ "i": { "id": item["id"], "expectedVersion": item["version"] } })
}

/// The attack: `author` writes the count in (`mutation` with `held`), the
/// guard holds it, they write it out again (`fixed`), and `moderator`
/// approves the fixed version of post `post_id`.
async fn held_then_fixed(
    author: &Session,
    moderator: &Session,
    post_id: &str,
    mutation: &str,
    held: Value,
    fixed: Value,
) {
    let resp = author.ok(mutation, held).await;
    assert!(resp.to_string().contains("\"HELD\""), "{resp:#}");
    author.ok(mutation, fixed).await;
    let item = pending_item(moderator, post_id).await.expect("queued");
    moderator.ok(APPROVE, decision(&item)).await;
}

async fn revisions(who: &Session, post_id: &str) -> Vec<Value> {
    who.ok(REVISIONS, json!({ "p": post_id })).await["post"]["revisions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_version_the_guard_held_is_not_published_by_a_later_edit() {
    on_each_backend_trusted(|app| async move {
        let cast = Cast::new(&app).await;
        let (moderator, author, reader) = (&cast.moderator, &cast.author, &cast.reader);
        let genomics = &cast.genomics;
        let (thread_id, _) = thread(
            author,
            genomics,
            "Carriers by state",
            "How do you report carriers by state?",
        )
        .await;
        // The reader takes part, so they watch the thread.
        reply(reader, &thread_id, "We report them by census region.").await;
        let answer = reply(author, &thread_id, "We report carriers by region too.").await;

        // The attack: the count goes in and is held; a second edit takes it
        // out again, and a moderator approves the fixed version.
        held_then_fixed(
            author,
            moderator,
            &answer,
            EDIT,
            json!({ "p": answer, "b": "Only 7 participants in Wyoming carry the variant." }),
            json!({ "p": answer, "b": "A handful of participants in one state carry the variant." }),
        )
        .await;
        app.run_jobs().await;

        // Another member reads the post and its revisions: the held text is
        // not there, the version that was public is.
        let seen = reader.ok(REVISIONS, json!({ "p": answer })).await;
        assert_eq!(seen["post"]["moderationState"], "VISIBLE");
        assert!(!seen.to_string().contains("Wyoming"), "{seen:#}");
        let public = revisions(reader, &answer).await;
        assert_eq!(public.len(), 1, "{public:?}");
        assert_eq!(public[0]["previousBody"], "We report carriers by region too.");
        assert_eq!(public[0]["withheld"], false);
        // The author and moderators still see the whole history.
        for who in [&author, &moderator] {
            let all = revisions(who, &answer).await;
            assert_eq!(all.len(), 2, "{all:?}");
            assert_eq!(all[1]["withheld"], true);
            assert!(all[1]["previousBody"].as_str().is_some_and(|b| b.contains("Wyoming")));
        }
        // Nor does it reach the reader through search or notifications.
        let found = reader
            .ok(SEARCH, json!({ "q": "Wyoming", "k": ["THREAD"] }))
            .await;
        assert!(hits(&found).is_empty(), "{found:#}");
        let told = reader.ok(NOTIFICATIONS, json!({})).await;
        assert!(!told.to_string().contains("Wyoming"), "{told:#}");
        let mailed = app.mail_to(&reader.email);
        assert!(
            mailed.iter().all(|m| !m.text.contains("Wyoming")),
            "{mailed:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_held_thread_title_stays_withheld_and_a_moderator_can_redact_it() {
    on_each_backend_trusted(|app| async move {
        let cast = Cast::new(&app).await;
        let (moderator, author, reader) = (&cast.moderator, &cast.author, &cast.reader);
        let genomics = &cast.genomics;
        let (thread_id, first) = thread(
            author,
            genomics,
            "Carrier counts by state",
            "Which states have the most carriers of the variant?",
        )
        .await;
        held_then_fixed(
            author,
            moderator,
            &first,
            RETITLE,
            json!({ "t": thread_id, "title": "Only 7 participants in Wyoming carry it" }),
            json!({ "t": thread_id, "title": "Carriers in one sparsely populated state" }),
        )
        .await;

        let read = "query($t: ID!) { thread(id: $t) { title moderationState firstPost { revisions { number previousTitle } } } }";
        let seen = reader.ok(read, json!({ "t": thread_id })).await;
        assert_eq!(seen["thread"]["moderationState"], "VISIBLE");
        assert_eq!(
            seen["thread"]["title"],
            "Carriers in one sparsely populated state"
        );
        assert!(!seen.to_string().contains("Wyoming"), "{seen:#}");
        assert_eq!(
            seen["thread"]["firstPost"]["revisions"][0]["previousTitle"],
            "Carrier counts by state"
        );
        let all = revisions(author, &first).await;
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all[1]["previousTitle"].as_str().is_some_and(|t| t.contains("Wyoming")));

        // Members cannot redact; a moderator can, for everyone, and the
        // audit log says who, which revision and why, never the text.
        let refused = reader
            .gql(REDACT, json!({ "p": first, "n": 2, "r": "Small count." }))
            .await;
        assert_code(&refused, "FORBIDDEN");
        let missing = moderator
            .gql(REDACT, json!({ "p": first, "n": 9, "r": "Small count." }))
            .await;
        assert_code(&missing, "NOT_FOUND");
        let redacted = moderator
            .ok(
                REDACT,
                json!({ "p": first, "n": 2, "r": "A count below 21 in a title." }),
            )
            .await;
        let redacted = &redacted["redactPostRevision"];
        assert_eq!(redacted["redacted"], true);
        assert_eq!(redacted["previousTitle"], "");
        assert_eq!(redacted["previousBody"], "");
        for who in [&author, &moderator] {
            let all = revisions(who, &first).await;
            assert!(!Value::Array(all.clone()).to_string().contains("Wyoming"), "{all:?}");
            assert_eq!(all[1]["redacted"], true);
        }
        let audit = moderator.ok(AUDIT, json!({})).await;
        let redactions: Vec<&Value> = audit["moderationAuditLog"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| &e["node"])
            .filter(|n| n["action"] == "REDACT_REVISION")
            .collect();
        assert_eq!(redactions.len(), 1, "{audit:#}");
        assert_eq!(redactions[0]["reason"], "A count below 21 in a title.");
        assert_eq!(redactions[0]["targetType"], "THREAD");
        assert!(!audit.to_string().contains("Wyoming"), "{audit:#}");
        // Redacting again changes nothing and is not logged twice.
        moderator
            .ok(REDACT, json!({ "p": first, "n": 2, "r": "Again." }))
            .await;
        let again = moderator.ok(AUDIT, json!({})).await.to_string();
        assert_eq!(again.matches("REDACT_REVISION").count(), 1);
    })
    .await;
}
