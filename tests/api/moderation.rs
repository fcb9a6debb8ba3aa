//! Moderation stories, with the shipped rule files: members flag content
//! until it is hidden; moderators work one queue of flags, rule holds and
//! new members' first posts, deciding once each (a second, concurrent
//! decision is a CONFLICT); the small-count guard holds a post and tells
//! its author how to fix it; moderators lock, pin, move, hide, silence and
//! suspend, and every action lands in the audit log. Then every refusal.

use std::collections::BTreeSet;

use commons::entities;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    forum::{CREATE_CATEGORY, id, s},
    helpers::*,
};

const CREATE_THREAD: &str = "mutation($i: CreateThreadInput!) {
    createThread(input: $i) {
        id title moderationState
        firstPost { id }
        moderationNotice { state summary policy fix decisionReason reasons { code message excerpt } }
    } }";
const CREATE_POST: &str = "mutation($i: CreatePostInput!) {
    createPost(input: $i) {
        id moderationState
        moderationNotice { state summary policy fix decisionReason reasons { code message excerpt } }
    } }";
const EDIT_POST: &str = "mutation($i: EditPostInput!) {
    editPost(input: $i) { id moderationState moderationNotice { reasons { code } } } }";
const POST: &str = "query($id: ID!) { post(id: $id) {
    id moderationState
    moderationNotice { state summary policy fix decisionReason reasons { code message } }
} }";
const THREAD: &str =
    "query($id: ID!) { thread(id: $id) { id locked pinned category { slug } moderationState } }";
const FLAG: &str = "mutation($i: FlagInput!) {
    flag(input: $i) { hidden flag { id reason text status targetType flaggedBy { handle } } } }";
const QUEUE: &str = "query($f: ModerationQueueFilter, $first: Int, $after: String) {
    moderationQueue(filter: $f, first: $first, after: $after) {
        edges { cursor node {
            id status priority version score flagCount targetType firstPost hiddenByFlags contentState
            post { id } thread { id } category { slug } author { handle }
            reasons { reason count }
            findings { code message excerpt }
            flags { reason text status flaggedBy { handle } }
            history { kind note actor { handle } }
            claimedBy { handle } decidedBy { handle } decisionReason
        } }
        pageInfo { hasNextPage endCursor }
    } }";
const ITEM: &str = "query($id: ID!) { moderationItem(id: $id) {
    id status version score flagCount contentState claimedBy { handle }
    reasons { reason count } history { kind note actor { handle } }
    flags { reason status }
} }";
const APPROVE: &str = "mutation($i: ModerationDecisionInput!) {
    approveModerationItem(input: $i) { id status version decidedBy { handle } decisionReason } }";
const REJECT: &str = "mutation($i: ModerationDecisionInput!) {
    rejectModerationItem(input: $i) { id status version decidedBy { handle } decisionReason } }";
const IGNORE: &str = "mutation($i: ModerationDecisionInput!) {
    ignoreModerationItem(input: $i) { id status version } }";
const CLAIM: &str = "mutation($id: ID!, $v: Int) {
    claimModerationItem(id: $id, expectedVersion: $v) { id version claimedBy { handle } } }";
const RELEASE: &str =
    "mutation($id: ID!) { releaseModerationItem(id: $id) { id claimedBy { handle } } }";
const AUDIT: &str = "query($f: ModerationAuditFilter, $first: Int, $after: String) {
    moderationAuditLog(filter: $f, first: $first, after: $after) {
        edges { cursor node { id action actor { handle } targetType targetId reason details createdAt } }
        pageInfo { hasNextPage endCursor }
    } }";
const LOCK: &str =
    "mutation($t: ID!, $r: String) { lockThread(threadId: $t, reason: $r) { id locked } }";
const UNLOCK: &str =
    "mutation($t: ID!, $r: String) { unlockThread(threadId: $t, reason: $r) { id locked } }";
const PIN: &str =
    "mutation($t: ID!, $r: String) { pinThread(threadId: $t, reason: $r) { id pinned } }";
const UNPIN: &str =
    "mutation($t: ID!, $r: String) { unpinThread(threadId: $t, reason: $r) { id pinned } }";
const MOVE: &str = "mutation($t: ID!, $c: ID!, $r: String) {
    moveThread(threadId: $t, categoryId: $c, reason: $r) { id category { slug } } }";
const HIDE: &str =
    "mutation($p: ID!, $r: String!) { hidePost(postId: $p, reason: $r) { id moderationState } }";
const UNHIDE: &str =
    "mutation($p: ID!, $r: String) { unhidePost(postId: $p, reason: $r) { id moderationState } }";
const SILENCE: &str = "mutation($u: ID!, $until: DateTime!, $r: String!) {
    silenceUser(userId: $u, until: $until, reason: $r) { id silencedUntil } }";
const UNSILENCE: &str =
    "mutation($u: ID!, $r: String) { unsilenceUser(userId: $u, reason: $r) { id silencedUntil } }";
const SUSPEND: &str =
    "mutation($u: ID!, $r: String!) { suspendUser(userId: $u, reason: $r) { id status } }";
const UNSUSPEND: &str =
    "mutation($u: ID!, $r: String) { unsuspendUser(userId: $u, reason: $r) { id status } }";

/// A forum with an admin, a moderator, two categories and a welcome thread
/// the moderator started (staff posts are never held).
struct Scene {
    app: TestApp,
    moderator: Session,
    admin: Session,
    methods: String,
    genomics: String,
    welcome: String,
}

async fn scene(app: &TestApp) -> Scene {
    let admin = app.admin("avery").await;
    let moderator = app.moderator("maria").await;
    let mut categories = Vec::new();
    for name in ["Data & Methods", "Genomics"] {
        let d = admin
            .ok(CREATE_CATEGORY, json!({ "i": { "name": name } }))
            .await;
        categories.push(s(&d["createCategory"]["id"]));
    }
    let d = moderator
        .ok(
            CREATE_THREAD,
            json!({ "i": { "categoryId": categories[0], "title": "Welcome: say hello here", "body": "Tell us what you study." } }),
        )
        .await;
    assert_eq!(d["createThread"]["moderationState"], "VISIBLE");
    Scene {
        app: app.clone(),
        moderator,
        admin,
        methods: categories[0].clone(),
        genomics: categories[1].clone(),
        welcome: s(&d["createThread"]["id"]),
    }
}

async fn post(who: &Session, thread: &str, body: &str) -> Value {
    who.ok(
        CREATE_POST,
        json!({ "i": { "threadId": thread, "body": body } }),
    )
    .await["createPost"]
        .clone()
}

/// The queue's nodes for a filter.
async fn queue(moderator: &Session, filter: Value) -> Vec<Value> {
    moderator
        .ok(QUEUE, json!({ "f": filter, "first": 50 }))
        .await["moderationQueue"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The item of a post, in the given status.
async fn item_for(moderator: &Session, post_id: &str, status: &str) -> Value {
    queue(moderator, json!({ "status": status }))
        .await
        .into_iter()
        .find(|n| n["post"]["id"] == post_id)
        .unwrap_or_else(|| panic!("no {status} item for post {post_id}"))
}

fn decision(item: &Value, reason: Option<&str>) -> Value {
    json!({ "i": { "id": item["id"], "expectedVersion": item["version"], "reason": reason } })
}

/// A researcher of some standing (an account a month old) whose first
/// post (a hello in the welcome thread) a moderator has approved.
async fn member(sc: &Scene, handle: &str) -> Session {
    let who = sc.app.researcher(handle).await;
    sc.app.backdate_account(&who, 30).await;
    let hello = post(&who, &sc.welcome, &format!("Hello, I am {handle}.")).await;
    assert_eq!(hello["moderationState"], "HELD", "a first post is held");
    let item = item_for(&sc.moderator, &s(&hello["id"]), "PENDING").await;
    sc.moderator
        .ok(APPROVE, decision(&item, Some("Welcome!")))
        .await;
    who
}

fn codes(notice: &Value) -> Vec<String> {
    notice["reasons"]
        .as_array()
        .map(|r| r.iter().map(|f| s(&f["code"])).collect())
        .unwrap_or_default()
}

fn reasons(item: &Value) -> Vec<(String, i64)> {
    item["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| (s(&r["reason"]), r["count"].as_i64().unwrap_or(0)))
        .collect()
}

fn history(item: &Value) -> Vec<String> {
    item["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| s(&h["kind"]))
        .collect()
}

async fn audit(who: &Session, filter: Value) -> Vec<Value> {
    who.ok(AUDIT, json!({ "f": filter, "first": 50 })).await["moderationAuditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn audit_count(app: &TestApp) -> u64 {
    entities::moderation_audit_log::Entity::find()
        .count(&app.ctx().db)
        .await
        .expect("count")
}

/// Search-index jobs queued for a post: one per change of its visibility.
async fn index_jobs(app: &TestApp, post_id: &str) -> u64 {
    entities::job::Entity::find()
        .filter(entities::job::Column::Kind.eq("search.index"))
        .filter(entities::job::Column::OrderingKey.eq(format!("post:{post_id}")))
        .count(&app.ctx().db)
        .await
        .expect("count")
}

fn in_hours(app: &TestApp, hours: i64) -> String {
    (app.ctx().clock.now() + chrono::Duration::hours(hours)).to_rfc3339()
}

#[tokio::test]
async fn flags_add_up_and_the_threshold_hides_the_post() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let priya = member(&sc, "priya").await;
        let james = member(&sc, "james").await;
        let lucia = member(&sc, "lucia").await;
        let sam = member(&sc, "sam").await;
        let tip = post(
            &priya,
            &sc.welcome,
            "Try my course at example.org, discounts this week only.",
        )
        .await;
        let tip_id = s(&tip["id"]);
        assert_eq!(tip["moderationState"], "VISIBLE");

        // An off-topic flag (weight 1): the post stays up, one entry opens.
        let d = james
            .ok(
                FLAG,
                json!({ "i": { "postId": tip_id, "reason": "OFF_TOPIC" } }),
            )
            .await;
        assert_eq!(d["flag"]["hidden"], false);
        assert_eq!(d["flag"]["flag"]["status"], "OPEN");
        assert_eq!(d["flag"]["flag"]["targetType"], "POST");
        assert_eq!(d["flag"]["flag"]["flaggedBy"]["handle"], "james");
        let item = item_for(&sc.moderator, &tip_id, "PENDING").await;
        assert_eq!(item["score"], 1);
        assert_eq!(item["priority"], "NORMAL");
        assert_eq!(item["contentState"], "VISIBLE");

        // One flag per member per item, whatever the reason.
        let again = james
            .gql(FLAG, json!({ "i": { "postId": tip_id, "reason": "SPAM" } }))
            .await;
        assert_code(&again, "CONFLICT");
        assert_eq!(again["errors"][0]["extensions"]["field"], "postId");
        // Authors cannot flag themselves; "other" needs words.
        assert_code(
            &priya
                .gql(FLAG, json!({ "i": { "postId": tip_id, "reason": "SPAM" } }))
                .await,
            "FORBIDDEN",
        );
        let other = lucia
            .gql(FLAG, json!({ "i": { "postId": tip_id, "reason": "OTHER" } }))
            .await;
        assert_code(&other, "VALIDATION");
        assert_eq!(other["errors"][0]["extensions"]["field"], "text");
        let both = lucia
            .gql(
                FLAG,
                json!({ "i": { "postId": tip_id, "threadId": sc.welcome, "reason": "SPAM" } }),
            )
            .await;
        assert_code(&both, "VALIDATION");

        // Spam (3): score 4, still under the threshold of 5.
        let d = lucia
            .ok(
                FLAG,
                json!({ "i": { "postId": tip_id, "reason": "SPAM", "text": "An advert." } }),
            )
            .await;
        assert_eq!(d["flag"]["hidden"], false);
        let jobs_before = index_jobs(&app, &tip_id).await;

        // Inappropriate (3): 7 reaches the threshold and hides the post.
        let d = sam
            .ok(
                FLAG,
                json!({ "i": { "postId": tip_id, "reason": "INAPPROPRIATE" } }),
            )
            .await;
        assert_eq!(d["flag"]["hidden"], true);
        assert!(
            index_jobs(&app, &tip_id).await > jobs_before,
            "hiding queues a search update"
        );
        let items = queue(&sc.moderator, json!({})).await;
        let tip_items: Vec<&Value> = items
            .iter()
            .filter(|n| n["post"]["id"] == tip_id.as_str())
            .collect();
        assert_eq!(tip_items.len(), 1, "one entry per item");
        let item = tip_items[0];
        assert_eq!(item["score"], 7);
        assert_eq!(item["flagCount"], 3);
        assert_eq!(item["hiddenByFlags"], true);
        assert_eq!(item["contentState"], "HIDDEN");
        assert_eq!(item["priority"], "HIGH");
        assert_eq!(item["author"]["handle"], "priya");
        assert_eq!(
            reasons(item),
            vec![
                ("OFF_TOPIC".into(), 1),
                ("SPAM".into(), 1),
                ("INAPPROPRIATE".into(), 1)
            ]
        );
        assert_eq!(
            history(item),
            ["FLAGGED", "FLAGGED", "FLAGGED", "HIDDEN"]
        );
        assert_eq!(item["history"][3]["actor"], Value::Null, "the system hid it");
        assert_eq!(item["flags"][1]["text"], "An advert.");

        // Members no longer see it; the author sees it with the reason.
        let seen = james.ok(POST, json!({ "id": tip_id })).await;
        assert_eq!(seen["post"], Value::Null);
        let own = priya.ok(POST, json!({ "id": tip_id })).await;
        assert_eq!(own["post"]["moderationState"], "HIDDEN");
        let summary = s(&own["post"]["moderationNotice"]["summary"]);
        assert!(summary.contains("Members reported"), "{summary}");
        // The hide is in the audit log, by nobody.
        let log = audit(&sc.moderator, json!({ "action": "AUTO_HIDE" })).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["actor"], Value::Null);
        assert_eq!(log[0]["targetType"], "POST");
        assert_eq!(log[0]["targetId"], tip_id.as_str());

        // A privacy flag on a thread weighs 5 and hides it at once; it is
        // urgent, and the thread's opening post is the item.
        let (thread, first) = {
            let d = priya
                .ok(
                    CREATE_THREAD,
                    json!({ "i": { "categoryId": sc.genomics, "title": "Sharing my variant table", "body": "Carriers by exon are below." } }),
                )
                .await;
            (
                s(&d["createThread"]["id"]),
                s(&d["createThread"]["firstPost"]["id"]),
            )
        };
        // The thread and its opening post are one item: flagging both is a
        // second flag by the same member.
        lucia
            .ok(
                FLAG,
                json!({ "i": { "threadId": thread, "reason": "OFF_TOPIC" } }),
            )
            .await;
        let twice = lucia
            .gql(FLAG, json!({ "i": { "postId": first, "reason": "SPAM" } }))
            .await;
        assert_code(&twice, "CONFLICT");
        assert_eq!(twice["errors"][0]["extensions"]["field"], "postId");
        let d = james
            .ok(
                FLAG,
                json!({ "i": { "threadId": thread, "reason": "PRIVACY", "text": "Participant-level rows?" } }),
            )
            .await;
        assert_eq!(d["flag"]["hidden"], true);
        assert_eq!(d["flag"]["flag"]["targetType"], "THREAD");
        let urgent = queue(&sc.moderator, json!({})).await;
        assert_eq!(urgent[0]["post"]["id"], first.as_str(), "privacy first");
        assert_eq!(urgent[0]["priority"], "URGENT");
        assert_eq!(urgent[0]["targetType"], "THREAD");
        let hidden = lucia.ok(THREAD, json!({ "id": thread })).await;
        assert_eq!(hidden["thread"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn a_moderator_approves_to_restore_and_rejects_to_notify_the_author() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let priya = member(&sc, "priya").await;
        let james = member(&sc, "james").await;
        let lucia = member(&sc, "lucia").await;
        let answer = post(&priya, &sc.welcome, "Filter first, then densify.").await;
        let answer_id = s(&answer["id"]);
        james
            .ok(FLAG, json!({ "i": { "postId": answer_id, "reason": "SPAM" } }))
            .await;
        lucia
            .ok(
                FLAG,
                json!({ "i": { "postId": answer_id, "reason": "INAPPROPRIATE" } }),
            )
            .await;
        let item = item_for(&sc.moderator, &answer_id, "PENDING").await;
        assert_eq!(item["contentState"], "HIDDEN");

        // Approve: the post is back for everyone, the flags are declined.
        let jobs_before = index_jobs(&app, &answer_id).await;
        let d = sc
            .moderator
            .ok(APPROVE, decision(&item, Some("A real answer.")))
            .await;
        assert_eq!(d["approveModerationItem"]["status"], "APPROVED");
        assert_eq!(d["approveModerationItem"]["decidedBy"]["handle"], "maria");
        assert!(index_jobs(&app, &answer_id).await > jobs_before);
        let seen = james.ok(POST, json!({ "id": answer_id })).await;
        assert_eq!(seen["post"]["moderationState"], "VISIBLE");
        let decided = sc
            .moderator
            .ok(ITEM, json!({ "id": item["id"] }))
            .await;
        assert_eq!(decided["moderationItem"]["flags"][0]["status"], "DECLINED");
        assert_eq!(
            history(&decided["moderationItem"]),
            ["FLAGGED", "FLAGGED", "HIDDEN", "APPROVED"]
        );
        // Deciding twice: a stale version is a CONFLICT, the current one is
        // refused because the item is closed.
        assert_code(
            &sc.moderator.gql(REJECT, decision(&item, Some("No."))).await,
            "CONFLICT",
        );
        let closed = sc
            .moderator
            .gql(REJECT, decision(&decided["moderationItem"], Some("No.")))
            .await;
        assert_code(&closed, "INVALID_STATE");

        // A new flag reopens the same entry with a fresh score.
        let sam = member(&sc, "sam").await;
        sam.ok(
            FLAG,
            json!({ "i": { "postId": answer_id, "reason": "PRIVACY", "text": "Cell of 4." } }),
        )
        .await;
        let reopened = item_for(&sc.moderator, &answer_id, "PENDING").await;
        assert_eq!(reopened["id"], item["id"]);
        assert_eq!(reopened["score"], 5);
        assert_eq!(reopened["flagCount"], 1);
        assert_eq!(reasons(&reopened), vec![("PRIVACY".into(), 1)]);
        assert!(history(&reopened).contains(&"REOPENED".to_string()));

        // Reject needs a reason; with one, the author is told in the app and
        // by email, and the post stays hidden (visible to the author).
        let missing = sc.moderator.gql(REJECT, decision(&reopened, None)).await;
        assert_code(&missing, "VALIDATION");
        assert_eq!(missing["errors"][0]["extensions"]["field"], "reason");
        let jobs_before = index_jobs(&app, &answer_id).await;
        let d = sc
            .moderator
            .ok(
                REJECT,
                decision(
                    &reopened,
                    Some("It quotes a count of 4 participants; write ≤20 instead."),
                ),
            )
            .await;
        assert_eq!(d["rejectModerationItem"]["status"], "REJECTED");
        assert!(
            index_jobs(&app, &answer_id).await >= jobs_before,
            "already hidden: no visibility change"
        );
        let own = priya.ok(POST, json!({ "id": answer_id })).await;
        assert_eq!(own["post"]["moderationState"], "HIDDEN");
        assert_eq!(
            own["post"]["moderationNotice"]["decisionReason"],
            "It quotes a count of 4 participants; write ≤20 instead."
        );
        let notes = priya
            .ok(
                "{ notifications(first: 10) { edges { node { kind title excerpt } } } }",
                json!({}),
            )
            .await;
        let moderation: Vec<&Value> = notes["notifications"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| &e["node"])
            .filter(|n| n["kind"] == "moderation")
            .collect();
        assert!(
            moderation
                .iter()
                .any(|n| s(&n["excerpt"]).contains("write ≤20 instead")),
            "{moderation:?}"
        );
        app.run_jobs().await;
        let mails = app.mail_to(&priya.email);
        assert!(
            mails
                .iter()
                .any(|m| m.subject.contains("A moderator hid your post")
                    && m.text.contains("write ≤20 instead")),
            "{mails:?}"
        );

        // The author fixes the post: the entry reopens for a moderator, who
        // approves it.
        let edited = priya
            .ok(
                EDIT_POST,
                json!({ "i": { "postId": answer_id, "body": "Filter first, then densify (counts ≤20 suppressed)." } }),
            )
            .await;
        assert_eq!(edited["editPost"]["moderationState"], "HIDDEN");
        let again = item_for(&sc.moderator, &answer_id, "PENDING").await;
        assert!(history(&again).ends_with(&["REOPENED".to_string(), "EDITED".to_string()]));
        sc.moderator.ok(APPROVE, decision(&again, None)).await;
        let seen = james.ok(POST, json!({ "id": answer_id })).await;
        assert_eq!(seen["post"]["moderationState"], "VISIBLE");

        // Ignore closes flags on content that is up, and only then.
        let chat = post(&priya, &sc.welcome, "Anyone at AMIA this year?").await;
        james
            .ok(
                FLAG,
                json!({ "i": { "postId": chat["id"], "reason": "OFF_TOPIC" } }),
            )
            .await;
        let chat_item = item_for(&sc.moderator, &s(&chat["id"]), "PENDING").await;
        let d = sc.moderator.ok(IGNORE, decision(&chat_item, None)).await;
        assert_eq!(d["ignoreModerationItem"]["status"], "IGNORED");
        let seen = james.ok(POST, json!({ "id": chat["id"] })).await;
        assert_eq!(seen["post"]["moderationState"], "VISIBLE");
    })
    .await;
}

#[tokio::test]
async fn the_loser_of_a_concurrent_double_decision_gets_conflict() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let second = app.moderator("omar").await;
        let priya = app.researcher("priya").await;
        let hello = post(&priya, &sc.welcome, "Hello from Nashville.").await;
        let item = item_for(&sc.moderator, &s(&hello["id"]), "PENDING").await;

        let (a, b) = tokio::join!(
            sc.moderator.gql(APPROVE, decision(&item, Some("Fine."))),
            second.gql(REJECT, decision(&item, Some("Not fine."))),
        );
        let (winner, loser) = if a.get("errors").is_none() {
            (a, b)
        } else {
            (b, a)
        };
        assert_no_errors(&winner);
        assert_code(&loser, "CONFLICT");
        // Exactly one decision is recorded.
        let decided = sc.moderator.ok(ITEM, json!({ "id": item["id"] })).await;
        let kinds = history(&decided["moderationItem"]);
        let decisions = kinds
            .iter()
            .filter(|k| ["APPROVED", "REJECTED"].contains(&k.as_str()))
            .count();
        assert_eq!(decisions, 1, "{kinds:?}");
        let log = audit(
            &sc.moderator,
            json!({ "targetType": "POST", "targetId": hello["id"] }),
        )
        .await;
        assert_eq!(log.len(), 1);

        // A version someone else moved on from is a CONFLICT too.
        let james = app.researcher("james").await;
        let hi = post(&james, &sc.welcome, "Hi all, epidemiologist here.").await;
        let stale = item_for(&sc.moderator, &s(&hi["id"]), "PENDING").await;
        sc.moderator
            .ok(CLAIM, json!({ "id": stale["id"], "v": stale["version"] }))
            .await;
        let refused = second.gql(APPROVE, decision(&stale, None)).await;
        assert_code(&refused, "CONFLICT");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"],
            "expectedVersion"
        );

        // A live claim keeps other moderators off, until it lapses.
        let fresh = item_for(&sc.moderator, &s(&hi["id"]), "PENDING").await;
        assert_eq!(fresh["claimedBy"]["handle"], "maria");
        let taken = second.gql(APPROVE, decision(&fresh, None)).await;
        assert_code(&taken, "CONFLICT");
        assert!(s(&taken["errors"][0]["message"]).contains("@maria"));
        assert_code(
            &second.gql(CLAIM, json!({ "id": fresh["id"] })).await,
            "CONFLICT",
        );
        assert_code(
            &second.gql(RELEASE, json!({ "id": fresh["id"] })).await,
            "CONFLICT",
        );
        app.ctx().clock.advance(chrono::Duration::minutes(31));
        let d = second.ok(CLAIM, json!({ "id": fresh["id"] })).await;
        assert_eq!(d["claimModerationItem"]["claimedBy"]["handle"], "omar");
        let d = second.ok(RELEASE, json!({ "id": fresh["id"] })).await;
        assert_eq!(d["releaseModerationItem"]["claimedBy"], Value::Null);
        let current = item_for(&sc.moderator, &s(&hi["id"]), "PENDING").await;
        sc.moderator.ok(APPROVE, decision(&current, None)).await;
    })
    .await;
}

#[tokio::test]
async fn the_small_count_guard_holds_a_post_and_says_how_to_fix_it() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let james = member(&sc, "james").await;
        let priya = app.researcher("priya").await;

        // A new member's first thread reports a small count: held, and the
        // notice names the policy and the fix.
        let d = priya
            .ok(
                CREATE_THREAD,
                json!({ "i": {
                    "categoryId": sc.methods,
                    "title": "Prior diagnosis exclusions",
                    "body": "After excluding prior T2D we had n = 12 in the rural arm. Is that expected?"
                } }),
            )
            .await;
        let thread = &d["createThread"];
        let thread_id = s(&thread["id"]);
        let first = s(&thread["firstPost"]["id"]);
        assert_eq!(thread["moderationState"], "HELD");
        let notice = &thread["moderationNotice"];
        assert_eq!(notice["state"], "HELD");
        assert_eq!(
            notice["policy"],
            "All of Us Data and Statistics Dissemination Policy"
        );
        assert!(s(&notice["fix"]).contains("≤20"), "{notice}");
        assert!(s(&notice["summary"]).contains("waiting for a moderator"));
        assert_eq!(codes(notice), ["SMALL_COUNT", "NEW_USER"]);
        assert!(s(&notice["reasons"][0]["message"]).contains("n = 12"));
        assert!(index_jobs(&app, &first).await > 0, "the hold is indexed (as hidden)");

        // Nobody else sees it; the author and moderators do.
        assert_eq!(
            james.ok(THREAD, json!({ "id": thread_id })).await["thread"],
            Value::Null
        );
        assert_eq!(
            priya.ok(THREAD, json!({ "id": thread_id })).await["thread"]["moderationState"],
            "HELD"
        );

        // The queue: urgent, filterable by reason, category and age.
        let item = item_for(&sc.moderator, &first, "PENDING").await;
        assert_eq!(item["priority"], "URGENT");
        assert_eq!(item["firstPost"], true);
        assert_eq!(item["targetType"], "THREAD");
        assert_eq!(item["category"]["slug"], "data-methods");
        assert_eq!(item["findings"][0]["code"], "SMALL_COUNT");
        assert_eq!(item["history"][0]["kind"], "HELD");
        assert_eq!(item["history"][0]["note"], "NEW_USER, SMALL_COUNT");
        let ids = |nodes: Vec<Value>| -> Vec<String> {
            nodes.iter().map(|n| s(&n["post"]["id"])).collect()
        };
        assert_eq!(
            ids(queue(&sc.moderator, json!({ "reason": "SMALL_COUNT" })).await),
            vec![first.clone()]
        );
        assert!(
            ids(queue(&sc.moderator, json!({ "reason": "SPAM" })).await).is_empty()
        );
        assert_eq!(
            ids(queue(&sc.moderator, json!({ "categoryId": sc.methods })).await),
            vec![first.clone()]
        );
        assert!(
            ids(queue(&sc.moderator, json!({ "categoryId": sc.genomics })).await).is_empty()
        );
        assert!(
            ids(queue(&sc.moderator, json!({ "olderThanHours": 2 })).await).is_empty()
        );
        app.ctx().clock.advance(chrono::Duration::hours(3));
        assert_eq!(
            ids(queue(&sc.moderator, json!({ "olderThanHours": 2 })).await),
            vec![first.clone()]
        );
        // Held content needs a decision, not an ignore.
        assert_code(
            &sc.moderator.gql(IGNORE, decision(&item, None)).await,
            "INVALID_STATE",
        );

        // The author fixes it: still held for the moderator, without the
        // small-count finding.
        let edited = priya
            .ok(
                EDIT_POST,
                json!({ "i": { "postId": first, "body": "After excluding prior T2D the rural arm was n ≤ 20. Is that expected?" } }),
            )
            .await;
        assert_eq!(edited["editPost"]["moderationState"], "HELD");
        assert_eq!(codes(&edited["editPost"]["moderationNotice"]), ["NEW_USER"]);
        let item = item_for(&sc.moderator, &first, "PENDING").await;
        assert_eq!(item["priority"], "HIGH");
        assert_eq!(history(&item), ["HELD", "EDITED"]);
        sc.moderator.ok(APPROVE, decision(&item, None)).await;
        assert_eq!(
            james.ok(THREAD, json!({ "id": thread_id })).await["thread"]["moderationState"],
            "VISIBLE"
        );

        // An edit that adds a person identifier holds a published post.
        let reply = post(&james, &thread_id, "Same here, about 40 in ours.").await;
        assert_eq!(reply["moderationState"], "VISIBLE");
        let edited = james
            .ok(
                EDIT_POST,
                json!({ "i": { "postId": reply["id"], "body": "Same here; see person_id 1234567 for an example." } }),
            )
            .await;
        assert_eq!(edited["editPost"]["moderationState"], "HELD");
        assert_eq!(
            codes(&edited["editPost"]["moderationNotice"]),
            ["PERSON_IDENTIFIER"]
        );
        // So does anything shaped like an SSN; the excerpt is masked.
        let ssn = post(&james, &thread_id, "My test record uses 123-45-6789 as the key.").await;
        assert_eq!(ssn["moderationState"], "HELD");
        let excerpt = s(&ssn["moderationNotice"]["reasons"][0]["excerpt"]);
        assert_eq!(excerpt, "***-**-6789");

        // What must pass, passes.
        for body in [
            "Participants were followed for 20 years in v7 of the CDR.",
            "The 2024 release; p < 0.05 after 1 of 3 steps; 0 participants excluded.",
        ] {
            let ok = post(&james, &thread_id, body).await;
            assert_eq!(ok["moderationState"], "VISIBLE", "{body}");
        }

        // Rejected words refuse the write, naming the field.
        let refused = james
            .gql(
                CREATE_POST,
                json!({ "i": { "threadId": thread_id, "body": "Great casino bonus here" } }),
            )
            .await;
        assert_code(&refused, "VALIDATION");
        assert_eq!(refused["errors"][0]["extensions"]["field"], "body");
        let refused = james
            .gql(
                CREATE_THREAD,
                json!({ "i": { "categoryId": sc.methods, "title": "Cheap viagra deals", "body": "Hello" } }),
            )
            .await;
        assert_code(&refused, "VALIDATION");
        assert_eq!(refused["errors"][0]["extensions"]["field"], "title");
    })
    .await;
}

#[tokio::test]
async fn new_members_are_reviewed_and_limited() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let sam = app.researcher("sam").await;

        // The first post is held for review, with nothing to fix.
        let hello = post(&sam, &sc.welcome, "Hello from Atlanta.").await;
        assert_eq!(hello["moderationState"], "HELD");
        let notice = &hello["moderationNotice"];
        assert_eq!(codes(notice), ["NEW_USER"]);
        assert_eq!(notice["fix"], Value::Null);
        assert_eq!(notice["policy"], Value::Null);

        // A new member may post at most two links; more are held.
        let links = "See https://a.example, https://b.example and https://c.example";
        let held = post(&sam, &sc.welcome, links).await;
        assert_eq!(held["moderationState"], "HELD");
        assert_eq!(codes(&held["moderationNotice"]), ["LINK_LIMIT"]);
        assert!(s(&held["moderationNotice"]["fix"]).contains("links"));

        // Three threads a day while new (here a burst of link-heavy ones,
        // held), then RATE_LIMITED with the wait.
        for n in 1..=3 {
            let d = sam
                .ok(
                    CREATE_THREAD,
                    json!({ "i": { "categoryId": sc.methods, "title": format!("Great offer number {n}"), "body": links } }),
                )
                .await;
            assert_eq!(d["createThread"]["moderationState"], "HELD");
        }
        let fourth = sam
            .gql(
                CREATE_THREAD,
                json!({ "i": { "categoryId": sc.methods, "title": "Great offer number 4", "body": "Details inside." } }),
            )
            .await;
        assert_code(&fourth, "RATE_LIMITED");
        let wait = fourth["errors"][0]["extensions"]["retryAfter"]
            .as_i64()
            .expect("retryAfter");
        assert!((86_000..=86_400).contains(&wait), "{wait}");
        app.ctx().clock.advance(chrono::Duration::hours(25));
        let d = sam
            .ok(
                CREATE_THREAD,
                json!({ "i": { "categoryId": sc.methods, "title": "A real question", "body": "Two links are fine: https://a.example https://b.example" } }),
            )
            .await;
        assert_eq!(d["createThread"]["moderationState"], "VISIBLE");

        // Shortened links are held for anyone, staff included.
        let short = post(&sc.moderator, &sc.welcome, "Slides: https://bit.ly/abc").await;
        assert_eq!(short["moderationState"], "HELD");
        assert_eq!(codes(&short["moderationNotice"]), ["BLOCKED_DOMAIN"]);
    })
    .await;
}

#[tokio::test]
async fn a_silenced_user_is_refused_until_the_silence_ends() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let priya = member(&sc, "priya").await;
        let james = member(&sc, "james").await;
        let target = post(&james, &sc.welcome, "A post to flag.").await;

        let d = sc
            .moderator
            .ok(
                SILENCE,
                json!({ "u": priya.id, "until": in_hours(&app, 24), "r": "Repeated off-topic adverts." }),
            )
            .await;
        assert!(d["silenceUser"]["silencedUntil"].is_string());
        let refused = priya
            .gql(
                CREATE_POST,
                json!({ "i": { "threadId": sc.welcome, "body": "Still here." } }),
            )
            .await;
        assert_code(&refused, "FORBIDDEN");
        assert!(s(&refused["errors"][0]["message"]).contains("silenced until"));
        assert_code(
            &priya
                .gql(
                    CREATE_THREAD,
                    json!({ "i": { "categoryId": sc.methods, "title": "A new thread", "body": "Hi" } }),
                )
                .await,
            "FORBIDDEN",
        );
        assert_code(
            &priya
                .gql(FLAG, json!({ "i": { "postId": target["id"], "reason": "SPAM" } }))
                .await,
            "FORBIDDEN",
        );
        app.run_jobs().await;
        assert!(
            app.mail_to(&priya.email)
                .iter()
                .any(|m| m.subject.contains("silenced") && m.text.contains("Repeated off-topic adverts."))
        );
        let log = audit(&sc.moderator, json!({ "action": "SILENCE_USER" })).await;
        assert_eq!(log[0]["targetType"], "USER");
        assert_eq!(log[0]["targetId"], priya.id.as_str());
        assert_eq!(log[0]["reason"], "Repeated off-topic adverts.");

        // The silence ends on its own.
        app.ctx().clock.advance(chrono::Duration::hours(25));
        let ok = post(&priya, &sc.welcome, "Back, and on topic.").await;
        assert_eq!(ok["moderationState"], "VISIBLE");

        // Or early, by a moderator.
        sc.moderator
            .ok(
                SILENCE,
                json!({ "u": james.id, "until": in_hours(&app, 48), "r": "Cooling off." }),
            )
            .await;
        let d = sc
            .moderator
            .ok(UNSILENCE, json!({ "u": james.id, "r": "Apologised." }))
            .await;
        assert_eq!(d["unsilenceUser"]["silencedUntil"], Value::Null);
        post(&james, &sc.welcome, "Sorry, everyone.").await;

        // Bad times, staff and oneself are refused.
        let past = sc
            .moderator
            .gql(
                SILENCE,
                json!({ "u": james.id, "until": in_hours(&app, -1), "r": "x" }),
            )
            .await;
        assert_code(&past, "VALIDATION");
        assert_eq!(past["errors"][0]["extensions"]["field"], "until");
        let far = sc
            .moderator
            .gql(
                SILENCE,
                json!({ "u": james.id, "until": in_hours(&app, 24 * 400), "r": "x" }),
            )
            .await;
        assert_code(&far, "VALIDATION");
        let no_reason = sc
            .moderator
            .gql(
                SILENCE,
                json!({ "u": james.id, "until": in_hours(&app, 1), "r": " " }),
            )
            .await;
        assert_code(&no_reason, "VALIDATION");
        assert_eq!(no_reason["errors"][0]["extensions"]["field"], "reason");
        let colleague = app.moderator("omar").await;
        assert_code(
            &sc.moderator
                .gql(
                    SILENCE,
                    json!({ "u": colleague.id, "until": in_hours(&app, 1), "r": "x" }),
                )
                .await,
            "FORBIDDEN",
        );
        assert_code(
            &sc.moderator
                .gql(
                    SILENCE,
                    json!({ "u": sc.moderator.id, "until": in_hours(&app, 1), "r": "x" }),
                )
                .await,
            "FORBIDDEN",
        );
        // Admins may silence a moderator.
        sc.admin
            .ok(
                SILENCE,
                json!({ "u": colleague.id, "until": in_hours(&app, 1), "r": "Off-duty rant." }),
            )
            .await;
    })
    .await;
}

#[tokio::test]
async fn suspension_signs_the_user_out_everywhere() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let priya = member(&sc, "priya").await;
        let d = sc
            .moderator
            .ok(
                SUSPEND,
                json!({ "u": priya.id, "r": "Posted participant rows twice." }),
            )
            .await;
        assert_eq!(d["suspendUser"]["status"], "SUSPENDED");
        assert_code(
            &priya
                .gql(
                    CREATE_POST,
                    json!({ "i": { "threadId": sc.welcome, "body": "Hello?" } }),
                )
                .await,
            "UNAUTHENTICATED",
        );
        let again = app
            .gql(
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                json!({ "e": priya.email, "p": PASSWORD }),
            )
            .await;
        assert!(again.get("errors").is_some(), "{again}");
        app.run_jobs().await;
        assert!(
            app.mail_to(&priya.email)
                .iter()
                .any(|m| m.subject.contains("suspended")
                    && m.text.contains("Posted participant rows twice."))
        );
        let d = sc
            .moderator
            .ok(UNSUSPEND, json!({ "u": priya.id, "r": "Appeal accepted." }))
            .await;
        assert_eq!(d["unsuspendUser"]["status"], "ACTIVE");
        let back = app.sign_in(&priya.email).await;
        post(&back, &sc.welcome, "Thanks for reinstating me.").await;
        // Moderators cannot suspend staff.
        let reviewer = app.reviewer("rev").await;
        assert_code(
            &sc.moderator
                .gql(SUSPEND, json!({ "u": reviewer.id, "r": "x" }))
                .await,
            "FORBIDDEN",
        );
    })
    .await;
}

#[tokio::test]
async fn every_action_appears_in_the_audit_log() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let m = &sc.moderator;
        let priya = member(&sc, "priya").await; // APPROVE_ITEM
        let james = member(&sc, "james").await;
        let t = sc.welcome.clone();

        let d = m.ok(LOCK, json!({ "t": t, "r": "Cooling down." })).await;
        assert_eq!(d["lockThread"]["locked"], true);
        // Locked: members cannot reply, and locking again writes nothing.
        assert_code(
            &priya
                .gql(
                    CREATE_POST,
                    json!({ "i": { "threadId": t, "body": "Hm?" } }),
                )
                .await,
            "FORBIDDEN",
        );
        m.ok(LOCK, json!({ "t": t })).await;
        m.ok(UNLOCK, json!({ "t": t })).await;
        m.ok(PIN, json!({ "t": t, "r": "Start here." })).await;
        m.ok(UNPIN, json!({ "t": t })).await;
        let d = m
            .ok(
                MOVE,
                json!({ "t": t, "c": sc.genomics, "r": "Wrong place." }),
            )
            .await;
        assert_eq!(d["moveThread"]["category"]["slug"], "genomics");

        let reply = post(&priya, &t, "Here is my take.").await;
        let d = m
            .ok(HIDE, json!({ "p": reply["id"], "r": "Personal attack." }))
            .await;
        assert_eq!(d["hidePost"]["moderationState"], "HIDDEN");
        let notice = priya.ok(POST, json!({ "id": reply["id"] })).await;
        assert_eq!(
            notice["post"]["moderationNotice"]["decisionReason"],
            "Personal attack."
        );
        let d = m
            .ok(UNHIDE, json!({ "p": reply["id"], "r": "Misread it." }))
            .await;
        assert_eq!(d["unhidePost"]["moderationState"], "VISIBLE");

        // Flags: one ignored, one past the threshold and rejected.
        let chat = post(&priya, &t, "Off on a tangent.").await;
        james
            .ok(
                FLAG,
                json!({ "i": { "postId": chat["id"], "reason": "OFF_TOPIC" } }),
            )
            .await;
        let item = item_for(m, &s(&chat["id"]), "PENDING").await;
        m.ok(IGNORE, decision(&item, None)).await;
        let leak = post(&priya, &t, "Our cohort table is attached.").await;
        james
            .ok(
                FLAG,
                json!({ "i": { "postId": leak["id"], "reason": "PRIVACY" } }),
            )
            .await; // AUTO_HIDE
        let item = item_for(m, &s(&leak["id"]), "PENDING").await;
        m.ok(REJECT, decision(&item, Some("Participant-level data.")))
            .await;

        let until = in_hours(&app, 2);
        m.ok(
            SILENCE,
            json!({ "u": james.id, "until": until, "r": "Cool off." }),
        )
        .await;
        m.ok(UNSILENCE, json!({ "u": james.id })).await;
        m.ok(SUSPEND, json!({ "u": james.id, "r": "Spam account." }))
            .await;
        m.ok(UNSUSPEND, json!({ "u": james.id })).await;

        let log = audit(m, json!({})).await;
        let actions: BTreeSet<String> = log.iter().map(|n| s(&n["action"])).collect();
        let every: BTreeSet<String> = [
            "LOCK_THREAD",
            "UNLOCK_THREAD",
            "PIN_THREAD",
            "UNPIN_THREAD",
            "MOVE_THREAD",
            "HIDE_POST",
            "UNHIDE_POST",
            "SILENCE_USER",
            "UNSILENCE_USER",
            "SUSPEND_USER",
            "UNSUSPEND_USER",
            "APPROVE_ITEM",
            "REJECT_ITEM",
            "IGNORE_ITEM",
            "AUTO_HIDE",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(actions, every);
        // Newest first; who, what, target, reason, when.
        assert_eq!(log[0]["action"], "UNSUSPEND_USER");
        let locks = audit(m, json!({ "action": "LOCK_THREAD" })).await;
        assert_eq!(locks.len(), 1, "a no-op is not logged");
        assert_eq!(locks[0]["actor"]["handle"], "maria");
        assert_eq!(locks[0]["targetType"], "THREAD");
        assert_eq!(locks[0]["targetId"], t.as_str());
        assert_eq!(locks[0]["reason"], "Cooling down.");
        assert!(locks[0]["createdAt"].is_string());
        let moved = audit(m, json!({ "action": "MOVE_THREAD" })).await;
        let details: Value = serde_json::from_str(&s(&moved[0]["details"])).expect("json");
        assert_eq!(details["toCategoryId"], id(&sc.genomics));
        // Filters: by target, by actor, and paging.
        let on_thread = audit(m, json!({ "targetType": "THREAD", "targetId": t })).await;
        assert_eq!(on_thread.len(), 5);
        let by_system = audit(m, json!({ "actorId": m.id })).await;
        assert!(by_system.iter().all(|n| n["actor"]["handle"] == "maria"));
        let page = m.ok(AUDIT, json!({ "first": 4 })).await;
        let conn = &page["moderationAuditLog"];
        assert_eq!(conn["pageInfo"]["hasNextPage"], true);
        let next = m
            .ok(
                AUDIT,
                json!({ "first": 50, "after": conn["pageInfo"]["endCursor"] }),
            )
            .await;
        let rest = next["moderationAuditLog"]["edges"]
            .as_array()
            .expect("edges")
            .len();
        assert_eq!(rest + 4, log.len());
        // Admins read it too.
        assert_eq!(audit(&sc.admin, json!({})).await.len(), log.len());
        let wrong = m.gql(AUDIT, json!({ "f": { "targetId": t } })).await;
        assert_code(&wrong, "VALIDATION");
    })
    .await;
}

#[tokio::test]
async fn the_queue_pages_most_urgent_first() {
    on_each_backend(|app| async move {
        let sc = scene(&app).await;
        let mut held = Vec::new();
        for handle in ["ana", "ben", "cy"] {
            let who = app.researcher(handle).await;
            held.push(s(&post(&who, &sc.welcome, "Hello there.").await["id"]));
        }
        let dee = app.researcher("dee").await;
        let urgent = s(&post(&dee, &sc.welcome, "We had 7 patients with both codes.").await["id"]);
        let first = sc.moderator.ok(QUEUE, json!({ "first": 2 })).await;
        let conn = &first["moderationQueue"];
        let page: Vec<String> = conn["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| s(&e["node"]["post"]["id"]))
            .collect();
        assert_eq!(page, [urgent.clone(), held[0].clone()]);
        assert_eq!(conn["pageInfo"]["hasNextPage"], true);
        let next = sc
            .moderator
            .ok(
                QUEUE,
                json!({ "first": 2, "after": conn["pageInfo"]["endCursor"] }),
            )
            .await;
        let page: Vec<String> = next["moderationQueue"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| s(&e["node"]["post"]["id"]))
            .collect();
        assert_eq!(page, [held[1].clone(), held[2].clone()]);
        assert_eq!(next["moderationQueue"]["pageInfo"]["hasNextPage"], false);
        let bad = sc
            .moderator
            .gql(QUEUE, json!({ "after": "nonsense" }))
            .await;
        assert_code(&bad, "VALIDATION");
        // Decided items have their own lists.
        let item = item_for(&sc.moderator, &held[0], "PENDING").await;
        sc.moderator.ok(APPROVE, decision(&item, None)).await;
        let approved = queue(&sc.moderator, json!({ "status": "APPROVED" })).await;
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0]["decidedBy"]["handle"], "maria");
    })
    .await;
}

// ---------------------------------------------------------------------------
// Refusals: members, reviewers and anonymous callers can neither read the
// queue and the log nor act. Each operation has its own test.

/// What a refusal test needs: a pending item (a new member's held post), a
/// thread, a category to move to and a member to act on.
struct Targets {
    sc: Scene,
    item: Value,
    post: String,
    user: String,
}

async fn targets(app: &TestApp) -> Targets {
    let sc = scene(app).await;
    let priya = app.researcher("priya").await;
    let held = post(&priya, &sc.welcome, "Hello, new here.").await;
    let post_id = s(&held["id"]);
    let item = item_for(&sc.moderator, &post_id, "PENDING").await;
    Targets {
        sc,
        item,
        post: post_id,
        user: priya.id,
    }
}

macro_rules! refused {
    ($name:ident, $query:expr, |$t:ident| $vars:expr) => {
        #[tokio::test]
        async fn $name() {
            on_each_backend(|app| async move {
                let $t = targets(&app).await;
                let vars: Value = $vars;
                let before = audit_count(&app).await;
                let member = app.researcher("rosa").await;
                assert_code(&member.gql($query, vars.clone()).await, "FORBIDDEN");
                let reviewer = app.reviewer("rev").await;
                assert_code(&reviewer.gql($query, vars.clone()).await, "FORBIDDEN");
                assert_code(&app.gql($query, vars).await, "UNAUTHENTICATED");
                assert_eq!(audit_count(&app).await, before, "nothing was done");
                let item = $t
                    .sc
                    .moderator
                    .ok(ITEM, json!({ "id": $t.item["id"] }))
                    .await;
                assert_eq!(item["moderationItem"]["version"], $t.item["version"]);
            })
            .await;
        }
    };
}

refused!(members_cannot_read_the_queue, QUEUE, |t| {
    let _ = &t;
    json!({})
});
refused!(
    members_cannot_read_an_item,
    ITEM,
    |t| json!({ "id": t.item["id"] })
);
refused!(members_cannot_read_the_audit_log, AUDIT, |t| {
    let _ = &t;
    json!({})
});
refused!(
    members_cannot_claim,
    CLAIM,
    |t| json!({ "id": t.item["id"] })
);
refused!(
    members_cannot_release,
    RELEASE,
    |t| json!({ "id": t.item["id"] })
);
refused!(members_cannot_approve, APPROVE, |t| decision(&t.item, None));
refused!(members_cannot_reject, REJECT, |t| decision(
    &t.item,
    Some("No.")
));
refused!(members_cannot_ignore, IGNORE, |t| decision(&t.item, None));
refused!(members_cannot_lock, LOCK, |t| json!({ "t": t.sc.welcome }));
refused!(
    members_cannot_unlock,
    UNLOCK,
    |t| json!({ "t": t.sc.welcome })
);
refused!(members_cannot_pin, PIN, |t| json!({ "t": t.sc.welcome }));
refused!(
    members_cannot_unpin,
    UNPIN,
    |t| json!({ "t": t.sc.welcome })
);
refused!(members_cannot_move, MOVE, |t| {
    json!({ "t": t.sc.welcome, "c": t.sc.genomics })
});
refused!(
    members_cannot_hide,
    HIDE,
    |t| json!({ "p": t.post, "r": "x" })
);
refused!(members_cannot_unhide, UNHIDE, |t| json!({ "p": t.post }));
refused!(members_cannot_silence, SILENCE, |t| {
    json!({ "u": t.user, "until": in_hours(&t.sc.app, 1), "r": "x" })
});
refused!(
    members_cannot_unsilence,
    UNSILENCE,
    |t| json!({ "u": t.user })
);
refused!(
    members_cannot_suspend,
    SUSPEND,
    |t| json!({ "u": t.user, "r": "x" })
);
refused!(
    members_cannot_unsuspend,
    UNSUSPEND,
    |t| json!({ "u": t.user })
);

#[tokio::test]
async fn flagging_needs_a_signed_in_member() {
    on_each_backend(|app| async move {
        let t = targets(&app).await;
        let welcome_post =
            t.sc.moderator
                .ok(THREAD, json!({ "id": t.sc.welcome }))
                .await;
        assert!(welcome_post["thread"].is_object());
        let anonymous = app
            .gql(
                FLAG,
                json!({ "i": { "threadId": t.sc.welcome, "reason": "SPAM" } }),
            )
            .await;
        assert_code(&anonymous, "UNAUTHENTICATED");
        // Content the flagger cannot see does not exist for them.
        let member = app.researcher("rosa").await;
        assert_code(
            &member
                .gql(FLAG, json!({ "i": { "postId": t.post, "reason": "SPAM" } }))
                .await,
            "NOT_FOUND",
        );
    })
    .await;
}
