//! Names cannot impersonate: display names refuse invisible and
//! direction-changing characters, members cannot take a reserved handle,
//! and a silenced member keeps the name they were silenced under.

use commons::entities::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, assert_code, assert_no_errors, error_code, on_each_backend,
};

const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { __typename } }";
const RENAME: &str = "mutation($n: String, $i: String) { updateAccount(displayName: $n, institution: $i) { displayName } }";

async fn sign_up(
    app: &TestApp,
    email: &str,
    display_name: &str,
    handle: Option<&str>,
) -> serde_json::Value {
    app.gql(
        SIGN_UP,
        json!({ "i": { "email": email, "password": PASSWORD, "displayName": display_name, "handle": handle } }),
    )
    .await
}

/// Names that read as someone else's: a zero-width space inside, a
/// right-to-left override, an isolate, a byte-order mark, a blank filler.
const SPOOFED: [&str; 5] = [
    "Maria\u{200B} Santos",
    "\u{202E}sotnaS airaM",
    "Maria\u{2066} Santos",
    "\u{FEFF}Maria Santos",
    "\u{3164}",
];

#[tokio::test]
async fn display_names_refuse_invisible_and_bidi_characters() {
    on_each_backend(|app| async move {
        for (k, name) in SPOOFED.iter().enumerate() {
            let resp = sign_up(&app, &format!("spoof{k}@researchallofus.org"), name, None).await;
            assert_code(&resp, "VALIDATION");
        }
        let member = app.researcher("renamer").await;
        for name in SPOOFED {
            assert_code(
                &member.gql(RENAME, json!({ "n": name })).await,
                "VALIDATION",
            );
            assert_code(
                &member
                    .gql(RENAME, json!({ "i": format!("NIH{name}") }))
                    .await,
                "VALIDATION",
            );
        }
        // Names in any script still work.
        let data = member
            .ok(RENAME, json!({ "n": "Zoë Ørsted-أحمد 李" }))
            .await;
        assert_eq!(data["updateAccount"]["displayName"], "Zoë Ørsted-أحمد 李");
    })
    .await;
}

#[tokio::test]
async fn members_cannot_take_a_reserved_handle() {
    on_each_backend(|app| async move {
        for (k, handle) in [
            "admin",
            "moderator",
            "staff",
            "support",
            "root",
            "system",
            "official",
            "drc",
            "admin2",
            "staff-team",
            "help_desk",
        ]
        .iter()
        .enumerate()
        {
            let resp = sign_up(
                &app,
                &format!("taker{k}@researchallofus.org"),
                "Taker",
                Some(handle),
            )
            .await;
            assert_code(&resp, "VALIDATION");
            assert!(resp.to_string().contains("reserved"), "{handle}: {resp}");
        }
        // Nor get one derived from their address.
        let resp = sign_up(&app, "admin@researchallofus.org", "Not Staff", None).await;
        assert_no_errors(&resp);
        let row = user::Entity::find()
            .filter(user::Column::Email.eq("admin@researchallofus.org"))
            .one(&app.ctx().db)
            .await
            .expect("query")
            .expect("account");
        assert!(
            !commons::auth::service::is_reserved_handle(&row.handle),
            "{}",
            row.handle
        );
        // Ordinary handles that merely contain a reserved word are fine.
        assert_no_errors(
            &sign_up(
                &app,
                "stafford@researchallofus.org",
                "Stafford",
                Some("stafford"),
            )
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn a_silenced_member_cannot_rename_themselves() {
    on_each_backend(|app| async move {
        let moderator = app.moderator("maria").await;
        let troll = app.researcher("troll").await;
        let until = (app.ctx().clock.now() + chrono::Duration::days(3)).to_rfc3339();
        moderator
            .ok(
                "mutation($u: ID!, $until: DateTime!, $r: String!) { silenceUser(userId: $u, until: $until, reason: $r) { id } }",
                json!({ "u": troll.id, "until": until, "r": "harassment" }),
            )
            .await;
        let resp = troll.gql(RENAME, json!({ "n": "Maria (moderator)" })).await;
        assert_eq!(error_code(&resp), "FORBIDDEN", "{resp:#}");
        let resp = troll.gql(RENAME, json!({ "i": "Research Commons staff" })).await;
        assert_eq!(error_code(&resp), "FORBIDDEN", "{resp:#}");
        let me = troll.ok("{ viewer { user { displayName } } }", json!({})).await;
        assert_eq!(me["viewer"]["user"]["displayName"], "troll");
    })
    .await;
}
