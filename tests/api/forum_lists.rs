//! Forum lists, reading state, deletes and moderation states,
//! subscriptions, drafts, bookmarks, categories and the demo seed.

use chrono::Duration;
use commons::{forum, forum::ModerationState};
use serde_json::{Value, json};

use crate::forum::{CREATE_POST, LIKE, current_user, id, reply, s, setup, start_thread};
use crate::helpers::*;

fn titles(d: &Value) -> Vec<String> {
    d["threads"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| s(&e["node"]["title"]))
        .collect()
}

const LIST: &str = "query($list: ThreadList, $period: TopPeriod, $c: ID, $slug: String, $tag: String, $solved: Boolean, $n: Int, $after: String) {
    threads(list: $list, period: $period, categoryId: $c, categorySlug: $slug, tag: $tag, solved: $solved, first: $n, after: $after) {
        edges { cursor node { id title pinned unreadCount } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
    } }";

#[tokio::test]
async fn latest_top_unread_per_category_and_tag() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let a = app.researcher("anna").await;
        let b = app.researcher("ben").await;
        let reader = app.researcher("reader").await;
        let clock = &app.ctx().clock;

        // An old thread, then four more a minute apart.
        let (old, _) = start_thread(&a, &f.methods, "Old SQL over OMOP tips", "body", &["omop-sql"]).await;
        clock.advance(Duration::days(3));
        let (t1, _) = start_thread(&a, &f.methods, "Cohort Builder basics", "body", &["cohort-builder"]).await;
        clock.advance(Duration::minutes(1));
        let (t2, _) = start_thread(&b, &f.methods, "Pinned: read this first", "body", &[]).await;
        clock.advance(Duration::minutes(1));
        let (t3, _) = start_thread(&b, &f.genomics, "PLINK vs Hail for GWAS", "body", &["hail", "plink"]).await;
        clock.advance(Duration::minutes(1));
        let (t4, _) = start_thread(&a, &f.genomics, "Hail on large VCFs", "body", &["hail"]).await;
        clock.advance(Duration::minutes(1));
        let maria = current_user(&app, &f.moderator).await;
        forum::threads::set_pinned(&app.ctx().db, app.ctx(), &maria, id(&t2), true)
            .await
            .expect("pin");
        // A reply bumps t1's activity to the top.
        reply(&b, &t1, "Start with the demographics criteria.").await;

        let all = reader.ok(LIST, json!({})).await;
        assert_eq!(
            titles(&all),
            [
                "Cohort Builder basics",
                "Hail on large VCFs",
                "PLINK vs Hail for GWAS",
                "Pinned: read this first",
                "Old SQL over OMOP tips"
            ],
            "everywhere: by activity"
        );
        // In its category a pinned thread comes first.
        let methods = reader.ok(LIST, json!({ "c": f.methods })).await;
        assert_eq!(
            titles(&methods),
            ["Pinned: read this first", "Cohort Builder basics", "Old SQL over OMOP tips"]
        );
        let by_slug = reader.ok(LIST, json!({ "slug": "data-methods" })).await;
        assert_eq!(titles(&by_slug), titles(&methods));

        // Paging: pinned boundary included, no duplicates, no gaps.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let d = reader
                .ok(LIST, json!({ "c": f.methods, "n": 1, "after": after }))
                .await;
            seen.extend(titles(&d));
            if d["threads"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = Some(s(&d["threads"]["pageInfo"]["endCursor"]));
        }
        assert_eq!(seen, titles(&methods));
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let d = reader.ok(LIST, json!({ "n": 2, "after": after })).await;
            seen.extend(titles(&d));
            if d["threads"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = Some(s(&d["threads"]["pageInfo"]["endCursor"]));
        }
        assert_eq!(seen, titles(&all));
        assert_code(
            &reader.gql(LIST, json!({ "after": "garbage!" })).await,
            "VALIDATION",
        );

        // Per tag.
        let hail = reader.ok(LIST, json!({ "tag": "hail" })).await;
        assert_eq!(titles(&hail), ["Hail on large VCFs", "PLINK vs Hail for GWAS"]);
        assert_code(&reader.gql(LIST, json!({ "tag": "nope" })).await, "NOT_FOUND");

        // Top: likes and replies count, within the period.
        reader.ok(LIKE, json!({ "id": first_post(&reader, &t3).await })).await;
        reply(&a, &t3, "PLINK for QC, Hail for the rest.").await;
        let top = reader.ok(LIST, json!({ "list": "TOP", "period": "WEEK" })).await;
        assert_eq!(titles(&top)[0], "PLINK vs Hail for GWAS");
        let day = reader.ok(LIST, json!({ "list": "TOP", "period": "DAY" })).await;
        assert!(!titles(&day).contains(&"Old SQL over OMOP tips".to_string()));
        let all_time = reader.ok(LIST, json!({ "list": "TOP", "period": "ALL", "n": 2 })).await;
        assert_eq!(all_time["threads"]["edges"].as_array().map(Vec::len), Some(2));
        let rest = reader
            .ok(
                LIST,
                json!({ "list": "TOP", "period": "ALL", "after": s(&all_time["threads"]["pageInfo"]["endCursor"]) }),
            )
            .await;
        assert_eq!(titles(&all_time).len() + titles(&rest).len(), 5);

        // Unread: threads read before that have newer posts.
        let unread = reader.ok(LIST, json!({ "list": "UNREAD" })).await;
        assert!(titles(&unread).is_empty(), "nothing read yet: {unread}");
        let mark = "mutation($t: ID!) { markThreadRead(threadId: $t) { unreadCount } }";
        let d = reader.ok(mark, json!({ "t": t4 })).await;
        assert_eq!(d["markThreadRead"]["unreadCount"], 0);
        reader.ok(mark, json!({ "t": old })).await;
        reply(&b, &t4, "Try `hl.experimental.densify`.").await;
        let unread = reader.ok(LIST, json!({ "list": "UNREAD" })).await;
        assert_eq!(titles(&unread), ["Hail on large VCFs"]);
        assert_eq!(unread["threads"]["edges"][0]["node"]["unreadCount"], 1);

        // Solved filter.
        let answer = reply(&b, &old, "Use the cdr dataset macro.").await;
        a.ok(
            "mutation($p: ID!) { acceptAnswer(postId: $p) { solved } }",
            json!({ "p": answer }),
        )
        .await;
        let solved = reader.ok(LIST, json!({ "solved": true })).await;
        assert_eq!(titles(&solved), ["Old SQL over OMOP tips"]);
        let unsolved = reader.ok(LIST, json!({ "solved": false })).await;
        assert_eq!(titles(&unsolved).len(), 4);

        // Muting: a muted category leaves the latest list but stays in its
        // own; a muted thread and a muted tag leave the lists.
        let mute = "mutation($t: SubscriptionTarget!, $id: ID!, $l: SubscriptionLevel!) {
            setForumSubscription(target: $t, id: $id, level: $l) { target level } }";
        reader
            .ok(mute, json!({ "t": "CATEGORY", "id": f.genomics, "l": "MUTED" }))
            .await;
        let latest = titles(&reader.ok(LIST, json!({})).await);
        assert!(!latest.contains(&"Hail on large VCFs".to_string()), "{latest:?}");
        assert_eq!(titles(&reader.ok(LIST, json!({ "c": f.genomics })).await).len(), 2);
        reader
            .ok(mute, json!({ "t": "CATEGORY", "id": f.genomics, "l": "NORMAL" }))
            .await;
        reader.ok(mute, json!({ "t": "THREAD", "id": t1, "l": "MUTED" })).await;
        let tags = reader.ok("{ forumTags { id name } }", json!({})).await;
        let cohort = tags["forumTags"]
            .as_array()
            .expect("tags")
            .iter()
            .find(|t| t["name"] == "omop-sql")
            .map(|t| s(&t["id"]))
            .expect("tag");
        reader.ok(mute, json!({ "t": "TAG", "id": cohort, "l": "MUTED" })).await;
        let latest = titles(&reader.ok(LIST, json!({})).await);
        assert_eq!(
            latest,
            ["Hail on large VCFs", "PLINK vs Hail for GWAS", "Pinned: read this first"]
        );
        let subs = reader
            .ok("{ forumSubscriptions { target level thread { title } } }", json!({}))
            .await;
        assert_eq!(subs["forumSubscriptions"].as_array().map(Vec::len), Some(2));
    })
    .await;
}

async fn first_post(who: &Session, thread: &str) -> String {
    let d = who
        .ok(
            "query($id: ID!) { thread(id: $id) { firstPost { id } } }",
            json!({ "id": thread }),
        )
        .await;
    s(&d["thread"]["firstPost"]["id"])
}

const POSTS: &str =
    "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $from: Int) {
    thread(id: $id) {
        unreadCount lastReadPostNumber firstUnreadPostNumber viewCount replyCount
        posts(first: $first, after: $after, last: $last, before: $before, fromNumber: $from) {
            edges { cursor node { number deleted body bodyHtml moderationState } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        } } }";

fn numbers(d: &Value) -> Vec<i64> {
    d["thread"]["posts"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["number"].as_i64().expect("number"))
        .collect()
}

#[tokio::test]
async fn reading_state_jumps_to_the_first_unread_post() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let a = app.researcher("anna").await;
        let b = app.researcher("ben").await;
        let reader = app.researcher("reader").await;
        let (thread, _) = start_thread(&a, &f.methods, "Storage and egress costs", "How much?", &["billing"]).await;
        for k in 0..6 {
            let who = if k % 2 == 0 { &b } else { &a };
            reply(who, &thread, &format!("Reply {k}")).await;
        }
        let d = reader.ok(POSTS, json!({ "id": thread, "first": 3 })).await;
        assert_eq!(d["thread"]["lastReadPostNumber"], Value::Null, "never opened");
        assert_eq!(d["thread"]["unreadCount"], 7);
        assert_eq!(numbers(&d), [1, 2, 3]);

        let mark = "mutation($t: ID!, $n: Int) { markThreadRead(threadId: $t, postNumber: $n) { unreadCount viewCount lastReadPostNumber firstUnreadPostNumber } }";
        let d = reader.ok(mark, json!({ "t": thread, "n": 3 })).await;
        assert_eq!(
            d["markThreadRead"],
            json!({ "unreadCount": 4, "viewCount": 1, "lastReadPostNumber": 3, "firstUnreadPostNumber": 4 })
        );
        // Reading never moves back; a second visit within the hour is not a view.
        let d = reader.ok(mark, json!({ "t": thread, "n": 2 })).await;
        assert_eq!(d["markThreadRead"]["lastReadPostNumber"], 3);
        assert_eq!(d["markThreadRead"]["viewCount"], 1);
        app.ctx().clock.advance(Duration::hours(2));
        let d = reader.ok(mark, json!({ "t": thread, "n": 3 })).await;
        assert_eq!(d["markThreadRead"]["viewCount"], 2);

        // Jump to the first unread post, then page forward and back.
        let d = reader.ok(POSTS, json!({ "id": thread, "from": 4, "first": 2 })).await;
        assert_eq!(numbers(&d), [4, 5]);
        assert_eq!(d["thread"]["posts"]["pageInfo"]["hasPreviousPage"], true);
        let end = s(&d["thread"]["posts"]["pageInfo"]["endCursor"]);
        let start = s(&d["thread"]["posts"]["pageInfo"]["startCursor"]);
        let d = reader.ok(POSTS, json!({ "id": thread, "first": 5, "after": end })).await;
        assert_eq!(numbers(&d), [6, 7]);
        assert_eq!(d["thread"]["posts"]["pageInfo"]["hasNextPage"], false);
        let d = reader.ok(POSTS, json!({ "id": thread, "last": 2, "before": start })).await;
        assert_eq!(numbers(&d), [2, 3]);
        assert_eq!(d["thread"]["posts"]["pageInfo"]["hasPreviousPage"], true);
        let d = reader.ok(POSTS, json!({ "id": thread, "last": 2 })).await;
        assert_eq!(numbers(&d), [6, 7]);
        let d = reader.ok(POSTS, json!({ "id": thread, "first": 500 })).await;
        assert_eq!(numbers(&d).len(), 7, "pages are capped at 50, not refused");

        // Reading to the end clears the unread count.
        let d = reader.ok(mark, json!({ "t": thread })).await;
        assert_eq!(d["markThreadRead"]["unreadCount"], 0);
        assert_eq!(d["markThreadRead"]["firstUnreadPostNumber"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn deletes_are_soft_and_moderation_states_hide_content() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let a = app.researcher("anna").await;
        let b = app.researcher("ben").await;
        let c = app.researcher("cleo").await;
        let (thread, op) = start_thread(&a, &f.methods, "Jupyter kernel keeps dying", "Any ideas?", &["jupyter"]).await;
        let r1 = reply(&b, &thread, "Restart the runtime with more memory.").await;
        let r2 = reply(&c, &thread, "Same here.").await;
        a.ok(
            "mutation($p: ID!) { acceptAnswer(postId: $p) { solved } }",
            json!({ "p": r1 }),
        )
        .await;
        let delete = "mutation($id: ID!) { deletePost(id: $id) { deleted body } }";
        let restore = "mutation($id: ID!) { restorePost(id: $id) { deleted body } }";
        let post = "query($id: ID!) { post(id: $id) { deleted body bodyHtml quote revisions { number } } }";

        // The author deletes their answer: a placeholder for everyone but
        // moderators; counters and the accepted answer follow.
        let d = b.ok(delete, json!({ "id": r1 })).await;
        assert_eq!(d["deletePost"]["deleted"], true);
        let d = c.ok(post, json!({ "id": r1 })).await;
        assert_eq!(d["post"]["deleted"], true);
        assert_eq!(d["post"]["body"], Value::Null);
        assert_eq!(d["post"]["bodyHtml"], Value::Null);
        let d = f.moderator.ok(post, json!({ "id": r1 })).await;
        assert_eq!(d["post"]["body"], "Restart the runtime with more memory.");
        let d = c
            .ok(
                "query($id: ID!) { thread(id: $id) { replyCount solved posts { edges { node { number deleted } } } } }",
                json!({ "id": thread }),
            )
            .await;
        assert_eq!(d["thread"]["replyCount"], 1);
        assert_eq!(d["thread"]["solved"], false);
        assert_eq!(
            d["thread"]["posts"]["edges"].as_array().map(Vec::len),
            Some(3),
            "the deleted post stays as a placeholder"
        );
        assert_code(
            &c.gql(crate::forum::EDIT_POST, json!({ "i": { "postId": r1, "body": "x" } })).await,
            "FORBIDDEN",
        );
        // Only the author who deleted it, or a moderator, restores it.
        assert_code(&c.gql(restore, json!({ "id": r1 })).await, "FORBIDDEN");
        let d = b.ok(restore, json!({ "id": r1 })).await;
        assert_eq!(d["restorePost"]["deleted"], false);
        // A moderator's delete is undone by a moderator only.
        f.moderator.ok(delete, json!({ "id": r2 })).await;
        assert_code(&c.gql(restore, json!({ "id": r2 })).await, "FORBIDDEN");
        f.moderator.ok(restore, json!({ "id": r2 })).await;

        // Held and hidden content: its author and moderators only.
        let maria = current_user(&app, &f.moderator).await;
        moderate(&app, &maria, id(&r2), ModerationState::Hidden)
            .await
            .expect("hide");
        assert!(b.ok(post, json!({ "id": r2 })).await["post"].is_null());
        assert!(!c.ok(post, json!({ "id": r2 })).await["post"].is_null());
        assert!(!f.moderator.ok(post, json!({ "id": r2 })).await["post"].is_null());
        let d = b
            .ok("query($id: ID!) { thread(id: $id) { replyCount unreadCount } }", json!({ "id": thread }))
            .await;
        assert_eq!(d["thread"]["replyCount"], 1);
        // A researcher cannot change moderation states.
        let anna = current_user(&app, &a).await;
        let err = moderate(&app, &anna, id(&r2), ModerationState::Visible)
            .await
            .expect_err("not a moderator");
        assert_eq!(err.code(), "FORBIDDEN");
        moderate(&app, &maria, id(&r2), ModerationState::Visible)
            .await
            .expect("restore");
        assert!(!b.ok(post, json!({ "id": r2 })).await["post"].is_null());

        // A held opening post holds the whole thread.
        let (held, held_op) = start_thread(&c, &f.methods, "Counts from my cohort", "We found 12 participants with", &[]).await;
        moderate(&app, &maria, id(&held_op), ModerationState::Held)
            .await
            .expect("hold");
        let q = "query($id: ID!) { thread(id: $id) { title moderationState } }";
        assert!(b.ok(q, json!({ "id": held })).await["thread"].is_null());
        assert_eq!(c.ok(q, json!({ "id": held })).await["thread"]["moderationState"], "HELD");
        let list = titles(&b.ok(LIST, json!({})).await);
        assert!(!list.contains(&"Counts from my cohort".to_string()));
        let resp = b
            .gql(CREATE_POST, json!({ "i": { "threadId": held, "body": "hi" } }))
            .await;
        assert_code(&resp, "NOT_FOUND");

        // Deleting the opening post deletes the thread.
        a.ok(delete, json!({ "id": op })).await;
        let d = b.ok("query($id: ID!) { thread(id: $id) { title deleted canReply } }", json!({ "id": thread })).await;
        assert_eq!(d["thread"], json!({ "title": "[deleted]", "deleted": true, "canReply": false }));
        let d = f.moderator.ok("query($id: ID!) { thread(id: $id) { title } }", json!({ "id": thread })).await;
        assert_eq!(d["thread"]["title"], "Jupyter kernel keeps dying");
        let list = titles(&b.ok(LIST, json!({})).await);
        assert!(!list.contains(&"Jupyter kernel keeps dying".to_string()));
        let resp = b
            .gql(CREATE_POST, json!({ "i": { "threadId": thread, "body": "hello?" } }))
            .await;
        assert_code(&resp, "INVALID_STATE");
        let d = a.ok(restore, json!({ "id": op })).await;
        assert_eq!(d["restorePost"]["deleted"], false);
        assert!(titles(&b.ok(LIST, json!({})).await).contains(&"Jupyter kernel keeps dying".to_string()));
    })
    .await;
}

/// Notification kinds, once the queued ones (a thread's watchers) are written.
async fn kinds(who: &Session) -> Vec<String> {
    who.app.run_jobs().await;
    let d = who
        .ok(
            "{ notifications(first: 50) { edges { node { kind title } } } }",
            json!({}),
        )
        .await;
    d["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| s(&e["node"]["kind"]))
        .collect()
}

#[tokio::test]
async fn watching_and_muting_shape_notifications() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let a = app.researcher("anna").await;
        let b = app.researcher("ben").await;
        let sam = app.researcher("sam").await;
        let sub = "mutation($t: SubscriptionTarget!, $id: ID!, $l: SubscriptionLevel!) {
            setForumSubscription(target: $t, id: $id, level: $l) { level } }";
        let tags = sam
            .ok("{ forumTags { id name viewerSubscription } }", json!({}))
            .await;
        let plink = tags["forumTags"]
            .as_array()
            .expect("tags")
            .iter()
            .find(|t| t["name"] == "plink")
            .map(|t| s(&t["id"]))
            .expect("plink");
        sam.ok(
            sub,
            json!({ "t": "CATEGORY", "id": f.genomics, "l": "WATCHING" }),
        )
        .await;
        sam.ok(sub, json!({ "t": "TAG", "id": plink, "l": "WATCHING" }))
            .await;
        let d = sam
            .ok(
                "query($s: String) { forumCategory(slug: $s) { name viewerSubscription } }",
                json!({ "s": "genomics" }),
            )
            .await;
        assert_eq!(d["forumCategory"]["viewerSubscription"], "WATCHING");

        start_thread(&a, &f.genomics, "Imputation panels", "Which one?", &[]).await;
        start_thread(&a, &f.methods, "PLINK 2 flags", "--glm?", &["plink"]).await;
        // Mentioned and watching: one notification, the mention.
        start_thread(
            &b,
            &f.genomics,
            "Ask @sam about ancestry PCs",
            "@sam knows.",
            &["plink"],
        )
        .await;
        assert_eq!(
            kinds(&sam).await,
            ["mention", "watched_tag_thread", "watched_category_thread"]
        );

        // The thread's author muted it: replies stay silent; Sam, who
        // replied, watches it now.
        let (thread, _) = start_thread(&a, &f.methods, "Quiet thread", "shh", &[]).await;
        a.ok(sub, json!({ "t": "THREAD", "id": thread, "l": "MUTED" }))
            .await;
        reply(&sam, &thread, "Hello").await;
        reply(&b, &thread, "Hi @anna").await;
        assert!(kinds(&a).await.is_empty(), "muted: {:?}", kinds(&a).await);
        assert_eq!(kinds(&sam).await[0], "reply");
        let d = sam
            .ok(
                "query($id: ID!) { thread(id: $id) { viewerSubscription } }",
                json!({ "id": thread }),
            )
            .await;
        assert_eq!(d["thread"]["viewerSubscription"], "WATCHING");
    })
    .await;
}

#[tokio::test]
async fn drafts_survive_and_bookmarks_list() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let a = app.researcher("anna").await;
        let b = app.researcher("ben").await;
        let (thread, op) = start_thread(&a, &f.methods, "Dataset Builder export", "How?", &[]).await;
        let save = "mutation($i: SaveDraftInput!) { saveForumDraft(input: $i) { key body version payload } }";
        let key = format!("reply:{thread}");
        let d = b
            .ok(save, json!({ "i": { "key": key, "body": "A long reply, part one", "payload": "{\"replyTo\": 1}" } }))
            .await;
        assert_eq!(d["saveForumDraft"]["version"], 1);
        let d = b
            .ok(save, json!({ "i": { "key": key, "body": "A long reply, part two", "version": 1 } }))
            .await;
        assert_eq!(d["saveForumDraft"]["version"], 2);
        // A stale tab's save is a conflict, not a silent overwrite.
        let resp = b
            .gql(save, json!({ "i": { "key": key, "body": "stale", "version": 1 } }))
            .await;
        assert_code(&resp, "CONFLICT");
        assert_code(
            &b.gql(save, json!({ "i": { "key": "whatever", "body": "x" } })).await,
            "VALIDATION",
        );
        assert_code(
            &b.gql(save, json!({ "i": { "key": key, "body": "x", "payload": "[1]" } })).await,
            "VALIDATION",
        );
        let d = b
            .ok("query($k: String!) { forumDraft(key: $k) { body } forumDrafts { key } }", json!({ "k": key }))
            .await;
        assert_eq!(d["forumDraft"]["body"], "A long reply, part two");
        assert_eq!(d["forumDrafts"], json!([{ "key": key }]));
        // Another user does not see it.
        let d = a.ok("query($k: String!) { forumDraft(key: $k) { body } }", json!({ "k": key })).await;
        assert!(d["forumDraft"].is_null());
        // Posting the reply clears the draft.
        reply(&b, &thread, "A long reply, part two").await;
        let d = b.ok("{ forumDrafts { key } }", json!({})).await;
        assert_eq!(d["forumDrafts"], json!([]));

        // Bookmarks.
        let add = "mutation($id: ID!) { bookmarkPost(id: $id) { bookmarked } }";
        let d = b.ok(add, json!({ "id": op })).await;
        assert_eq!(d["bookmarkPost"]["bookmarked"], true);
        b.ok(add, json!({ "id": op })).await;
        let list = "{ forumBookmarks(first: 10) { edges { node { post { id thread { title } } } } } }";
        let d = b.ok(list, json!({})).await;
        assert_eq!(d["forumBookmarks"]["edges"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            d["forumBookmarks"]["edges"][0]["node"]["post"]["thread"]["title"],
            "Dataset Builder export"
        );
        let d = b
            .ok("mutation($id: ID!) { removeBookmark(id: $id) { bookmarked } }", json!({ "id": op }))
            .await;
        assert_eq!(d["removeBookmark"]["bookmarked"], false);
        assert_eq!(b.ok(list, json!({})).await["forumBookmarks"]["edges"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn admins_create_and_order_categories() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let d = f
            .admin
            .ok(
                "mutation($id: ID!, $i: UpdateCategoryInput!) { updateCategory(id: $id, input: $i) { name slug description requiredRoles } }",
                json!({ "id": f.genomics, "i": { "name": "Genomics & Hail", "description": "WGS, arrays, Hail, PLINK", "requiredRoles": [] } }),
            )
            .await;
        assert_eq!(d["updateCategory"]["slug"], "genomics", "the slug stays unless changed");
        let order = "{ forumCategories { id name position canPost } }";
        let researcher = app.researcher("anna").await;
        let d = researcher.ok(order, json!({})).await;
        let names: Vec<String> = d["forumCategories"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| s(&c["name"]))
            .collect();
        assert_eq!(names, ["Data & Methods", "Genomics & Hail", "Announcements"]);
        assert_eq!(d["forumCategories"][2]["canPost"], false);
        let reorder = "mutation($ids: [ID!]!) { reorderCategories(ids: $ids) { name position } }";
        let d = f
            .admin
            .ok(reorder, json!({ "ids": [f.announcements, f.methods, f.genomics] }))
            .await;
        assert_eq!(d["reorderCategories"][0], json!({ "name": "Announcements", "position": 0 }));
        assert_code(
            &f.admin.gql(reorder, json!({ "ids": [f.methods, f.genomics] })).await,
            "VALIDATION",
        );
        assert_code(
            &researcher.gql(reorder, json!({ "ids": [f.methods, f.genomics, f.announcements] })).await,
            "FORBIDDEN",
        );
    })
    .await;
}

#[tokio::test]
async fn seed_demo_fills_the_forum() {
    on_each_backend_trusted(|app| async move {
        commons::seed::seed_demo(app.ctx()).await.expect("seed");
        let resp = app
            .gql(
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                json!({ "e": "priya.raman@researchallofus.org", "p": commons::seed::DEMO_PASSWORD }),
            )
            .await;
        assert_no_errors(&resp);
        let token = s(&resp["data"]["signIn"]["token"]);
        let d = app
            .gql_with(
                Some(&token),"{ forumCategories { name } forumTags { name } threads(first: 50) { edges { node { title replyCount tags { name } } } } }", json!({}))
            .await;
        assert_no_errors(&d);
        let d = &d["data"];
        let categories: Vec<String> = d["forumCategories"]
            .as_array()
            .expect("categories")
            .iter()
            .map(|c| s(&c["name"]))
            .collect();
        assert_eq!(
            categories,
            [
                "Getting Started",
                "Data & Methods",
                "Genomics",
                "Tools & Workbench",
                "Billing",
                "Collaborators Wanted",
                "Publications & Presentations",
                "Announcements"
            ]
        );
        let threads = d["threads"]["edges"].as_array().expect("threads");
        assert!(threads.len() >= 6, "{d}");
        assert!(threads.iter().any(|t| t["node"]["replyCount"].as_i64() > Some(0)));
    })
    .await;
}

/// Moves a post between moderation states in one committed write, as the
/// moderation service does.
async fn moderate(
    app: &TestApp,
    actor: &commons::identity::CurrentUser,
    post_id: i64,
    state: ModerationState,
) -> Result<commons::entities::forum_post::Model, commons::error::AppError> {
    let txn = app.ctx().write().await?;
    let post = forum::posts::set_moderation_state(&txn, app.ctx(), actor, post_id, state).await?;
    txn.commit().await?;
    Ok(post)
}
