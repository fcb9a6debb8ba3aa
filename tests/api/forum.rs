//! The forum story: a researcher asks, another answers with a mention and a
//! quote, the first accepts the answer, likes are counted, notifications
//! arrive and are read, an edit leaves a revision. Then every refusal, the
//! XSS vectors, and the statement count of a thread list.

use commons::{
    entities, forum,
    identity::{CurrentUser, Role, Tier},
    markdown::{XSS_VECTORS, find_unsafe_markup},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::*;

pub const CREATE_CATEGORY: &str = "mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id name slug position requiredRoles } }";
pub const CREATE_TAG: &str = "mutation($n: String!) { createTag(name: $n) { id name } }";
pub const CREATE_THREAD: &str = "mutation($i: CreateThreadInput!) {
    createThread(input: $i) {
        id title replyCount solved
        author { handle }
        tags { name }
        category { slug }
        firstPost { id number bodyHtml }
    } }";
pub const CREATE_POST: &str = "mutation($i: CreatePostInput!) {
    createPost(input: $i) { id number body bodyHtml quote replyTo { id } author { handle } } }";
pub const EDIT_POST: &str = "mutation($i: EditPostInput!) {
    editPost(input: $i) { id body bodyHtml revisionCount editedAt } }";
pub const LIKE: &str = "mutation($id: ID!) { likePost(id: $id) { likeCount likedByViewer } }";
pub const UNLIKE: &str = "mutation($id: ID!) { unlikePost(id: $id) { likeCount likedByViewer } }";
const NOTIFICATIONS: &str = "{ unreadNotificationCount
    notifications(first: 20) { edges { node { id kind title link read actor { handle } } } } }";

/// The forum every test starts from: an admin, a moderator, three
/// categories (Announcements for staff only) and a tag set.
pub struct Forum {
    pub admin: Session,
    pub moderator: Session,
    pub methods: String,
    pub genomics: String,
    pub announcements: String,
}

pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}

pub async fn setup(app: &TestApp) -> Forum {
    let admin = app.admin("avery").await;
    let moderator = app.moderator("maria").await;
    let mut ids = Vec::new();
    for (name, roles) in [
        ("Data & Methods", json!(null)),
        ("Genomics", json!([])),
        ("Announcements", json!(["MODERATOR", "ADMIN"])),
    ] {
        let d = admin
            .ok(
                CREATE_CATEGORY,
                json!({ "i": { "name": name, "description": format!("About {name}"), "requiredRoles": roles } }),
            )
            .await;
        ids.push(s(&d["createCategory"]["id"]));
    }
    for tag in [
        "hail",
        "plink",
        "cohort-builder",
        "omop-sql",
        "billing",
        "jupyter",
        "rstudio",
    ] {
        moderator.ok(CREATE_TAG, json!({ "n": tag })).await;
    }
    Forum {
        admin,
        moderator,
        methods: ids[0].clone(),
        genomics: ids[1].clone(),
        announcements: ids[2].clone(),
    }
}

pub async fn start_thread(
    who: &Session,
    category: &str,
    title: &str,
    body: &str,
    tags: &[&str],
) -> (String, String) {
    let d = who
        .ok(
            CREATE_THREAD,
            json!({ "i": { "categoryId": category, "title": title, "body": body, "tags": tags } }),
        )
        .await;
    (
        s(&d["createThread"]["id"]),
        s(&d["createThread"]["firstPost"]["id"]),
    )
}

pub async fn reply(who: &Session, thread: &str, body: &str) -> String {
    let d = who
        .ok(
            CREATE_POST,
            json!({ "i": { "threadId": thread, "body": body } }),
        )
        .await;
    s(&d["createPost"]["id"])
}

/// The service layer's view of a test session's user.
pub async fn current_user(app: &TestApp, who: &Session) -> CurrentUser {
    let user = entities::user::Entity::find_by_id(who.id_num())
        .one(&app.ctx().db)
        .await
        .expect("db")
        .expect("user");
    CurrentUser::from_model(&user, None)
}

pub fn id(v: &str) -> i64 {
    v.parse().expect("numeric id")
}

/// The inbox, once the queued notifications (a thread's watchers) are written.
async fn notifications(who: &Session) -> (i64, Vec<Value>) {
    who.app.run_jobs().await;
    let d = who.ok(NOTIFICATIONS, json!({})).await;
    let nodes = d["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    (d["unreadNotificationCount"].as_i64().expect("count"), nodes)
}

fn kinds(nodes: &[Value]) -> Vec<String> {
    nodes.iter().map(|n| s(&n["kind"])).collect()
}

#[tokio::test]
async fn a_question_is_answered_liked_notified_and_edited() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let priya = app.researcher("priya").await;
        let james = app.researcher("james").await;
        let lucia = app.researcher("lucia").await;

        // Priya asks, with two tags (names are normalized and deduplicated).
        let d = priya
            .ok(
                CREATE_THREAD,
                json!({ "i": {
                    "categoryId": f.methods,
                    "title": "  Hail runs out of   memory on a 100k-sample VCF ",
                    "body": "My `hl.import_vcf` job dies with **OOM** after an hour.\n\n```python\nmt = hl.import_vcf('gs://bucket/x.vcf.bgz')\n```\n\nWhat cluster size do people use?",
                    "tags": ["hail", " PLINK ", "hail"],
                } }),
            )
            .await;
        let thread = &d["createThread"];
        let thread_id = s(&thread["id"]);
        let op = s(&thread["firstPost"]["id"]);
        assert_eq!(thread["title"], "Hail runs out of memory on a 100k-sample VCF");
        assert_eq!(thread["author"]["handle"], "priya");
        assert_eq!(thread["tags"], json!([{ "name": "hail" }, { "name": "plink" }]));
        assert_eq!(thread["category"]["slug"], "data-methods");
        assert_eq!(thread["firstPost"]["number"], 1);
        let html = s(&thread["firstPost"]["bodyHtml"]);
        assert!(html.contains("<code class=\"language-python\">"), "{html}");
        assert!(html.contains("<strong>OOM</strong>"), "{html}");

        // James answers Priya's post, quoting it and mentioning Lucia.
        let d = james
            .ok(
                CREATE_POST,
                json!({ "i": {
                    "threadId": thread_id,
                    "body": "@lucia has tuned this before. Use 50 preemptible workers and `mt.checkpoint` often. cc @nobody-here",
                    "replyToPostId": op,
                    "quote": "job dies with OOM   after an hour",
                } }),
            )
            .await;
        let answer = &d["createPost"];
        let answer_id = s(&answer["id"]);
        assert_eq!(answer["number"], 2);
        assert_eq!(answer["replyTo"]["id"], op.as_str());
        assert_eq!(answer["quote"], "job dies with OOM   after an hour");
        let html = s(&answer["bodyHtml"]);
        assert!(
            html.contains("href=\"/u/lucia\"") && html.contains("class=\"mention\""),
            "{html}"
        );
        assert!(!html.contains("/u/nobody-here"), "unknown handles stay text: {html}");

        // Lucia adds a plain reply.
        reply(&lucia, &thread_id, "Agreed, and raise `spark.driver.memory` too.").await;

        // Priya was quoted by James and replied to in her (watched) thread.
        let (unread, nodes) = notifications(&priya).await;
        assert_eq!(unread, 2);
        assert_eq!(kinds(&nodes), ["reply", "quote"]);
        assert_eq!(nodes[1]["actor"]["handle"], "james");
        assert_eq!(nodes[1]["link"], format!("/t/{thread_id}#p{answer_id}"));
        assert!(s(&nodes[1]["title"]).contains("Hail runs out of memory"));
        // Lucia was mentioned; James, who replied, now watches the thread.
        let (_, nodes) = notifications(&lucia).await;
        assert_eq!(kinds(&nodes), ["mention"]);
        let (_, nodes) = notifications(&james).await;
        assert_eq!(kinds(&nodes), ["reply"]);

        // Only the thread's author (or a moderator) accepts an answer.
        let accept = "mutation($p: ID!) { acceptAnswer(postId: $p) { solved acceptedAnswer { id author { handle } } } }";
        assert_code(&lucia.gql(accept, json!({ "p": answer_id })).await, "FORBIDDEN");
        assert_code(&priya.gql(accept, json!({ "p": op })).await, "VALIDATION");
        let d = priya.ok(accept, json!({ "p": answer_id })).await;
        assert_eq!(d["acceptAnswer"]["solved"], true);
        assert_eq!(d["acceptAnswer"]["acceptedAnswer"]["id"], answer_id.as_str());
        let (_, nodes) = notifications(&james).await;
        assert_eq!(kinds(&nodes), ["accepted_answer", "reply"]);

        // Likes: one per user, toggleable, counted on the post and thread.
        let liked = priya.ok(LIKE, json!({ "id": answer_id })).await;
        assert_eq!(liked["likePost"], json!({ "likeCount": 1, "likedByViewer": true }));
        let liked = priya.ok(LIKE, json!({ "id": answer_id })).await;
        assert_eq!(liked["likePost"]["likeCount"], 1, "liking twice counts once");
        lucia.ok(LIKE, json!({ "id": answer_id })).await;
        let unliked = priya.ok(UNLIKE, json!({ "id": answer_id })).await;
        assert_eq!(unliked["unlikePost"], json!({ "likeCount": 1, "likedByViewer": false }));
        let liked = priya.ok(LIKE, json!({ "id": answer_id })).await;
        assert_eq!(liked["likePost"]["likeCount"], 2);
        assert_code(&james.gql(LIKE, json!({ "id": answer_id })).await, "FORBIDDEN");
        let d = lucia
            .ok(
                "query($id: ID!) { thread(id: $id) { likeCount replyCount solved
                    posts(first: 10) { edges { node { number likeCount likedByViewer isAcceptedAnswer } } } } }",
                json!({ "id": thread_id }),
            )
            .await;
        assert_eq!(d["thread"]["likeCount"], 2);
        assert_eq!(d["thread"]["replyCount"], 2);
        let second = &d["thread"]["posts"]["edges"][1]["node"];
        assert_eq!(
            second,
            &json!({ "number": 2, "likeCount": 2, "likedByViewer": true, "isAcceptedAnswer": true })
        );

        // James edits his answer: a revision keeps the old source, readable
        // by anyone who can read the post; the newly mentioned Priya hears.
        let original = "@lucia has tuned this before. Use 50 preemptible workers and `mt.checkpoint` often. cc @nobody-here";
        let d = james
            .ok(
                EDIT_POST,
                json!({ "i": { "postId": answer_id, "body": "@lucia has tuned this before. Use 50 preemptible workers. @priya see the docs.", "reason": "shorter" } }),
            )
            .await;
        assert_eq!(d["editPost"]["revisionCount"], 1);
        assert!(!d["editPost"]["editedAt"].is_null());
        let d = lucia
            .ok(
                "query($id: ID!) { post(id: $id) { body revisions { number previousBody reason editor { handle } } } }",
                json!({ "id": answer_id }),
            )
            .await;
        assert_eq!(
            d["post"]["revisions"],
            json!([{ "number": 1, "previousBody": original, "reason": "shorter", "editor": { "handle": "james" } }])
        );
        // Editing someone else's post is refused.
        assert_code(
            &lucia
                .gql(EDIT_POST, json!({ "i": { "postId": answer_id, "body": "mine now" } }))
                .await,
            "FORBIDDEN",
        );
        // A title change is a revision of the opening post too.
        let d = priya
            .ok(
                "mutation($i: UpdateThreadInput!) { updateThread(input: $i) { title tags { name } } }",
                json!({ "i": { "threadId": thread_id, "title": "Hail OOM on a 100k-sample VCF", "tags": ["hail"] } }),
            )
            .await;
        assert_eq!(d["updateThread"]["title"], "Hail OOM on a 100k-sample VCF");
        assert_eq!(d["updateThread"]["tags"], json!([{ "name": "hail" }]));
        let d = james
            .ok(
                "query($id: ID!) { post(id: $id) { revisions { previousTitle } } }",
                json!({ "id": op }),
            )
            .await;
        assert_eq!(
            d["post"]["revisions"][0]["previousTitle"],
            "Hail runs out of memory on a 100k-sample VCF"
        );

        // Priya reads her notifications: one, then all.
        let (unread, nodes) = notifications(&priya).await;
        assert_eq!(unread, 3);
        assert_eq!(kinds(&nodes), ["mention", "reply", "quote"]);
        let first = s(&nodes[0]["id"]);
        let d = priya
            .ok(
                "mutation($id: ID!) { markNotificationRead(id: $id) { read } }",
                json!({ "id": first }),
            )
            .await;
        assert_eq!(d["markNotificationRead"]["read"], true);
        let d = priya.ok("mutation { markAllNotificationsRead }", json!({})).await;
        assert_eq!(d["markAllNotificationsRead"], 2);
        assert_eq!(notifications(&priya).await.0, 0);

        // Every write reached the search outbox in its own transaction.
        let jobs = entities::job::Entity::find()
            .filter(entities::job::Column::Kind.eq("search.index"))
            .count(&app.ctx().db)
            .await
            .expect("count jobs");
        assert!(jobs >= 7, "search.index jobs: {jobs}");
    })
    .await;
}

#[tokio::test]
async fn writes_are_refused_with_reasons() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let priya = app.researcher("priya").await;
        let james = app.researcher("james").await;
        let thread_input = |category: &str, tags: Value| {
            json!({ "i": { "categoryId": category, "title": "Cohort Builder question", "body": "How do I exclude prior diagnoses?", "tags": tags } })
        };

        // Not signed in: nothing to read.
        assert_code(
            &app.gql("{ threads { edges { node { id } } } }", json!({})).await,
            "UNAUTHENTICATED",
        );

        // Signed in without verifying the email: neither reading nor writing.
        let resp = app
            .gql(
                "mutation($i: SignUpInput!) { signUp(input: $i) { email } }",
                json!({ "i": { "email": "new@researchallofus.org", "password": PASSWORD, "displayName": "New", "handle": "newbie" } }),
            )
            .await;
        assert_no_errors(&resp);
        let unverified = app.sign_in("new@researchallofus.org").await;
        assert_code(
            &unverified
                .gql("{ threads { edges { node { id } } } }", json!({}))
                .await,
            "EMAIL_NOT_VERIFIED",
        );
        let resp = unverified
            .gql(CREATE_THREAD, thread_input(&f.methods, json!([])))
            .await;
        assert_code(&resp, "EMAIL_NOT_VERIFIED");
        assert!(s(&resp["errors"][0]["message"]).contains("confirm your email"));

        // Unknown category; unknown, retired and a sixth tag.
        let resp = priya.gql(CREATE_THREAD, thread_input("999999", json!([]))).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "categoryId");
        let resp = priya
            .gql(CREATE_THREAD, thread_input(&f.methods, json!(["no-such-tag"])))
            .await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "tags");
        let six = json!(["hail", "plink", "cohort-builder", "omop-sql", "billing", "jupyter"]);
        let resp = priya.gql(CREATE_THREAD, thread_input(&f.methods, six)).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "tags");
        assert!(s(&resp["errors"][0]["message"]).contains("at most 5"));
        let tags = f
            .moderator
            .ok("{ forumTags { id name } }", json!({}))
            .await;
        let rstudio = tags["forumTags"]
            .as_array()
            .expect("tags")
            .iter()
            .find(|t| t["name"] == "rstudio")
            .map(|t| s(&t["id"]))
            .expect("rstudio");
        let retire = "mutation($id: ID!) { retireTag(id: $id) { retired } }";
        assert_code(&priya.gql(retire, json!({ "id": rstudio })).await, "FORBIDDEN");
        f.moderator.ok(retire, json!({ "id": rstudio })).await;
        // (James from here: every attempt that reaches the quota counts.)
        let resp = james
            .gql(CREATE_THREAD, thread_input(&f.methods, json!(["rstudio"])))
            .await;
        assert_code(&resp, "VALIDATION");
        assert!(s(&resp["errors"][0]["message"]).contains("retired"));

        // Empty and oversized bodies; a title on two lines.
        for body in ["", "   \n  ", &"x".repeat(forum::BODY_MAX + 1)] {
            let resp = priya
                .gql(
                    CREATE_THREAD,
                    json!({ "i": { "categoryId": f.methods, "title": "A fine title", "body": body } }),
                )
                .await;
            assert_code(&resp, "VALIDATION");
            assert_eq!(resp["errors"][0]["extensions"]["field"], "body");
        }
        let resp = priya
            .gql(
                CREATE_THREAD,
                json!({ "i": { "categoryId": f.methods, "title": "two\nlines", "body": "b" } }),
            )
            .await;
        assert_eq!(resp["errors"][0]["extensions"]["field"], "title");
        // The largest body is accepted.
        let (thread, op) = start_thread(
            &priya,
            &f.methods,
            "Cohort Builder question",
            &"y".repeat(forum::BODY_MAX),
            &["cohort-builder"],
        )
        .await;
        for body in ["", &"z".repeat(forum::BODY_MAX + 1)] {
            let resp = james
                .gql(CREATE_POST, json!({ "i": { "threadId": thread, "body": body } }))
                .await;
            assert_code(&resp, "VALIDATION");
        }

        // Staff-only category: researchers neither start threads nor reply.
        let resp = james
            .gql(CREATE_THREAD, thread_input(&f.announcements, json!([])))
            .await;
        assert_code(&resp, "FORBIDDEN");
        let (news, _) = start_thread(
            &f.moderator,
            &f.announcements,
            "CDR v8 is available",
            "The new release is live.",
            &[],
        )
        .await;
        let resp = priya
            .gql(CREATE_POST, json!({ "i": { "threadId": news, "body": "Great!" } }))
            .await;
        assert_code(&resp, "FORBIDDEN");

        // Editing someone else's post; deleting it.
        let theirs = reply(&james, &thread, "Use the Concept Set Selector first.").await;
        let resp = priya
            .gql(EDIT_POST, json!({ "i": { "postId": theirs, "body": "hijacked" } }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        let resp = priya
            .gql("mutation($id: ID!) { deletePost(id: $id) { id } }", json!({ "id": theirs }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        // Changing someone else's thread.
        let resp = james
            .gql(
                "mutation($i: UpdateThreadInput!) { updateThread(input: $i) { id } }",
                json!({ "i": { "threadId": thread, "title": "Taken over" } }),
            )
            .await;
        assert_code(&resp, "FORBIDDEN");
        // A quote that is not in the post replied to; a quote without one.
        let resp = james
            .gql(
                CREATE_POST,
                json!({ "i": { "threadId": thread, "body": "b", "replyToPostId": op, "quote": "words never said" } }),
            )
            .await;
        assert_eq!(resp["errors"][0]["extensions"]["field"], "quote");
        let resp = james
            .gql(
                CREATE_POST,
                json!({ "i": { "threadId": thread, "body": "b", "quote": "yyy" } }),
            )
            .await;
        assert_eq!(resp["errors"][0]["extensions"]["field"], "quote");

        // A locked thread refuses replies, except from moderators.
        let maria = current_user(&app, &f.moderator).await;
        lock(&app, &maria, id(&thread), true)
            .await
            .expect("lock");
        let resp = james
            .gql(CREATE_POST, json!({ "i": { "threadId": thread, "body": "One more thing" } }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        assert!(s(&resp["errors"][0]["message"]).contains("locked"));
        let d = james
            .ok("query($id: ID!) { thread(id: $id) { locked canReply } }", json!({ "id": thread }))
            .await;
        assert_eq!(d["thread"], json!({ "locked": true, "canReply": false }));
        reply(&f.moderator, &thread, "Locked: see the FAQ.").await;
        // Researchers cannot lock (the service checks, whoever calls it).
        let james_user = current_user(&app, &james).await;
        let err = lock(&app, &james_user, id(&thread), false)
            .await
            .expect_err("not a moderator");
        assert_eq!(err.code(), "FORBIDDEN");

        // Admin-only and moderator-only mutations.
        let resp = priya
            .gql(CREATE_CATEGORY, json!({ "i": { "name": "Mine" } }))
            .await;
        assert_code(&resp, "FORBIDDEN");
        assert_code(&priya.gql(CREATE_TAG, json!({ "n": "mine" })).await, "FORBIDDEN");
        let resp = f
            .admin
            .gql(CREATE_CATEGORY, json!({ "i": { "name": "Genomics" } }))
            .await;
        assert_code(&resp, "CONFLICT");
        // The name and the slug made from it are both taken; the engine
        // reports whichever it checks first, by the constraint's name on
        // PostgreSQL and by `table.column` on SQLite.
        let field = &resp["errors"][0]["extensions"]["field"];
        assert!(field == "name" || field == "slug", "{resp}");
    })
    .await;
}

#[tokio::test]
async fn posting_is_rate_limited_with_retry_after() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let priya = app.researcher("priya").await;
        let mut limited = None;
        for n in 0..30 {
            let resp = priya
                .gql(
                    CREATE_THREAD,
                    json!({ "i": { "categoryId": f.methods, "title": format!("Question number {n}"), "body": "body" } }),
                )
                .await;
            if resp.get("errors").is_some() {
                limited = Some((n, resp));
                break;
            }
        }
        let (n, resp) = limited.expect("creating threads is rate limited");
        assert!(n >= 3, "the quota allows a few threads first ({n})");
        assert_code(&resp, "RATE_LIMITED");
        assert!(resp["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0) >= 1);
        // Another user is not affected.
        let james = app.researcher("james").await;
        start_thread(&james, &f.methods, "My own question", "body", &[]).await;
    })
    .await;
}

#[tokio::test]
async fn xss_vectors_do_not_survive_in_bodies_or_titles() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        assert!(XSS_VECTORS.len() >= 30);
        // Spread the work over a few authors to stay under the rate limits.
        let mut authors = Vec::new();
        for (n, vector) in XSS_VECTORS.iter().enumerate().take(5) {
            let who = app
                .user_with(&format!("xss{n}"), &[Role::Researcher], Tier::Registered)
                .await;
            let (thread, _) = start_thread(&who, &f.methods, "XSS test thread", vector, &[]).await;
            authors.push((who, thread));
        }
        for (i, vector) in XSS_VECTORS.iter().enumerate() {
            let (who, thread) = &authors[i % authors.len()];
            // Bodies: the returned HTML is clean.
            let d = who
                .ok(CREATE_POST, json!({ "i": { "threadId": thread, "body": vector } }))
                .await;
            let html = s(&d["createPost"]["bodyHtml"]);
            assert_eq!(find_unsafe_markup(&html), None, "vector {vector:?} gave {html}");
            assert_eq!(d["createPost"]["body"], vector.trim(), "the source is kept as typed");

            // Titles are plain text: stored and returned exactly as typed
            // (whitespace normalized), never as markup; clients escape them.
            let title: String = format!("XSS {i}: {vector}")
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(forum::TITLE_MAX)
                .collect();
            let expected = title.split_whitespace().collect::<Vec<_>>().join(" ");
            let d = who
                .ok(
                    "mutation($i: UpdateThreadInput!) { updateThread(input: $i) { title } }",
                    json!({ "i": { "threadId": thread, "title": title } }),
                )
                .await;
            assert_eq!(d["updateThread"]["title"], expected.as_str());
        }
        // What the database stores and what a thread page returns are clean.
        let stored = entities::forum_post::Entity::find()
            .all(&app.ctx().db)
            .await
            .expect("posts");
        assert!(stored.len() > XSS_VECTORS.len());
        for p in &stored {
            assert_eq!(find_unsafe_markup(&p.body_html), None, "stored {:?}", p.body_html);
        }
        for (who, thread) in &authors {
            let d = who
                .ok(
                    "query($id: ID!) { thread(id: $id) { title excerpt posts(first: 50) { edges { node { bodyHtml } } } } }",
                    json!({ "id": thread }),
                )
                .await;
            for edge in d["thread"]["posts"]["edges"].as_array().expect("edges") {
                let html = s(&edge["node"]["bodyHtml"]);
                assert_eq!(find_unsafe_markup(&html), None, "{html}");
            }
            assert!(s(&d["thread"]["title"]).starts_with("XSS "));
        }
    })
    .await;
}

const THREAD_PAGE: &str = "query($n: Int!) { threads(first: $n) { edges { cursor node {
    id title replyCount viewCount likeCount pinned solved lastActivityAt
    author { handle displayName }
    lastPoster { handle }
    category { name slug }
    tags { name }
    unreadCount lastReadPostNumber firstUnreadPostNumber
} } pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn a_thread_list_page_costs_the_same_statements_for_20_and_50_threads() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        // Ten authors start five threads each, tagged; a different member
        // replies to each, so authors and last posters vary.
        let mut members = Vec::new();
        for n in 0..10 {
            members.push(
                app.user_with(&format!("member{n}"), &[Role::Researcher], Tier::Registered)
                    .await,
            );
        }
        let tag_sets: [&[&str]; 3] = [&["hail", "plink"], &["omop-sql"], &["billing", "jupyter", "cohort-builder"]];
        let mut threads = Vec::new();
        for k in 0..50 {
            let author = &members[k % 10];
            let category = if k % 2 == 0 { &f.methods } else { &f.genomics };
            let (thread, _) = start_thread(
                author,
                category,
                &format!("Thread number {k}"),
                "A question about the Researcher Workbench.",
                tag_sets[k % 3],
            )
            .await;
            reply(&members[(k + 3) % 10], &thread, "An answer.").await;
            threads.push(thread);
        }
        // The reader has read some threads, partly.
        let reader = app.researcher("reader").await;
        for thread in threads.iter().step_by(4) {
            reader
                .ok(
                    "mutation($t: ID!) { markThreadRead(threadId: $t, postNumber: 1) { id } }",
                    json!({ "t": thread }),
                )
                .await;
        }

        let mut counts = Vec::new();
        for n in [20, 50, 20] {
            let before = app.statements();
            let d = reader.ok_executed(THREAD_PAGE, json!({ "n": n })).await;
            let used = app.statements() - before;
            let edges = d["threads"]["edges"].as_array().expect("edges");
            assert_eq!(edges.len(), n as usize);
            for e in edges {
                let node = &e["node"];
                assert!(node["author"]["handle"].is_string());
                assert!(node["lastPoster"]["handle"].is_string());
                assert!(node["category"]["name"].is_string());
                assert!(!node["tags"].as_array().expect("tags").is_empty());
                assert!(node["unreadCount"].as_i64().expect("unread") >= 1);
            }
            counts.push(used);
        }
        eprintln!("statements for a page of 20 / 50 / 20 threads: {counts:?}");
        assert_eq!(counts[0], counts[1], "statements must not grow with the page: {counts:?}");
        assert_eq!(counts[0], counts[2]);
        // Session lookup, muted list, the page, users, categories, tags,
        // reading state: a small constant.
        assert!(counts[0] <= 8, "{counts:?}");

        // A thread page of posts is constant too.
        let page = "query($id: ID!, $n: Int!) { thread(id: $id) { posts(first: $n) { edges { node {
            number author { handle } likeCount likedByViewer bookmarked isAcceptedAnswer replyTo { id } thread { id } } } } } }";
        let busy = &threads[0];
        for (k, member) in members.iter().enumerate().take(9) {
            reply(member, busy, &format!("Reply {k}")).await;
        }
        let before = app.statements();
        reader.ok_executed(page, json!({ "id": busy, "n": 3 })).await;
        let small = app.statements() - before;
        let before = app.statements();
        reader.ok_executed(page, json!({ "id": busy, "n": 11 })).await;
        let large = app.statements() - before;
        eprintln!("statements for a page of 3 / 11 posts: {small} / {large}");
        assert_eq!(small, large);
    })
    .await;
}

const EXCERPTS: &str = "{ threads(first: 10) { edges { node { id excerpt } } } }";

fn excerpt_of(d: &Value, thread: &str) -> Option<String> {
    d["threads"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| s(&e["node"]["id"]) == thread)
        .map(|e| s(&e["node"]["excerpt"]))
}

#[tokio::test]
async fn a_thread_excerpt_is_plain_text_follows_edits_and_hides_with_its_post() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let author = app.researcher("ines").await;
        let reader = app.researcher("omar").await;
        let (thread, first) = start_thread(
            &author,
            &f.genomics,
            "Imputation with the v7 array data",
            "**Which** reference panel do you use for [imputation](https://example.org)?",
            &[],
        )
        .await;
        let list = reader.ok(EXCERPTS, json!({})).await;
        assert_eq!(
            excerpt_of(&list, &thread).as_deref(),
            Some("Which reference panel do you use for imputation?")
        );
        // It is made once, when the post is written, and stored.
        let stored = entities::forum_post::Entity::find_by_id(id(&first))
            .one(&app.ctx().db)
            .await
            .expect("db")
            .expect("post");
        assert_eq!(
            stored.excerpt.as_deref(),
            Some("Which reference panel do you use for imputation?")
        );

        author
            .ok(
                EDIT_POST,
                json!({ "i": { "postId": first, "body": "Edited: TOPMed or 1000 Genomes?", "reason": "clearer" } }),
            )
            .await;
        let list = reader.ok(EXCERPTS, json!({})).await;
        assert_eq!(
            excerpt_of(&list, &thread).as_deref(),
            Some("Edited: TOPMed or 1000 Genomes?")
        );

        // Posts written before excerpts were stored show one made from the body.
        entities::forum_post::Entity::update_many()
            .col_expr(
                entities::forum_post::Column::Excerpt,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(entities::forum_post::Column::Id.eq(id(&first)))
            .exec(&app.ctx().db)
            .await
            .expect("clear the excerpt");
        app.changed();
        let list = reader.ok(EXCERPTS, json!({})).await;
        assert_eq!(
            excerpt_of(&list, &thread).as_deref(),
            Some("Edited: TOPMed or 1000 Genomes?")
        );

        // Deleting the opening post deletes the thread: it leaves the lists,
        // and its placeholder shows the excerpt to moderators only.
        author
            .ok("mutation($id: ID!) { deletePost(id: $id) { id } }", json!({ "id": first }))
            .await;
        let list = reader.ok(EXCERPTS, json!({})).await;
        assert_eq!(excerpt_of(&list, &thread), None);
        let one = "query($id: ID!) { thread(id: $id) { excerpt } }";
        let d = reader.ok(one, json!({ "id": thread })).await;
        assert_eq!(d["thread"]["excerpt"], "");
        let d = f.moderator.ok(one, json!({ "id": thread })).await;
        assert_eq!(d["thread"]["excerpt"], "Edited: TOPMed or 1000 Genomes?");
    })
    .await;
}

/// Locks or unlocks a thread in one committed write, as the mutation does.
async fn lock(
    app: &TestApp,
    actor: &commons::identity::CurrentUser,
    thread_id: i64,
    locked: bool,
) -> Result<(), commons::error::AppError> {
    let txn = app.ctx().write().await?;
    forum::threads::set_locked(&txn, app.ctx(), actor, thread_id, locked).await?;
    txn.commit().await?;
    Ok(())
}

#[tokio::test]
async fn a_reply_hidden_before_its_watchers_hear_of_it_reaches_none_of_them() {
    on_each_backend_trusted(|app| async move {
        let f = setup(&app).await;
        let author = app.researcher("author").await;
        let watcher = app.researcher("watcher").await;
        let replier = app.researcher("replier").await;
        let moderator = app.moderator("mod").await;
        let (thread, _) = start_thread(&author, &f.methods, "Watched thread", "Opening", &[]).await;
        reply(&watcher, &thread, "I watch this now").await;
        notifications(&author).await;

        let post = reply(&replier, &thread, "Something a moderator hides at once").await;
        moderator
            .ok(
                "mutation($p: ID!, $r: String!) { hidePost(postId: $p, reason: $r) { id } }",
                json!({ "p": post, "r": "off topic" }),
            )
            .await;
        let (_, nodes) = notifications(&watcher).await;
        assert!(
            nodes.iter().all(|n| !s(&n["link"]).contains(&post)),
            "no watcher hears of a hidden reply: {nodes:?}"
        );
        let (_, nodes) = notifications(&author).await;
        assert!(
            nodes.iter().all(|n| !s(&n["link"]).contains(&post)),
            "{nodes:?}"
        );

        // A visible reply reaches both watchers, once each.
        let post = reply(&replier, &thread, "A useful answer").await;
        for who in [&author, &watcher] {
            let (_, nodes) = notifications(who).await;
            let about: Vec<_> = nodes
                .iter()
                .filter(|n| s(&n["link"]).contains(&post))
                .collect();
            assert_eq!(about.len(), 1, "{nodes:?}");
        }
    })
    .await;
}
