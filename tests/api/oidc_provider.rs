//! A real OpenID Connect provider for the tests: `tests/oidc/provider.mjs`
//! (oidc-provider on Node.js), started once per test binary on loopback
//! ports. Each test registers its own client and accounts over the
//! provider's control API, so tests never share state.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
};

use serde_json::{Value, json};

pub struct IdentityProvider {
    pub issuer: String,
    /// The provider exits when this pipe closes, with the test binary.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static PROVIDER: OnceLock<IdentityProvider> = OnceLock::new();

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// The provider, started on first use.
pub fn provider() -> &'static IdentityProvider {
    PROVIDER.get_or_init(start)
}

fn start() -> IdentityProvider {
    assert!(
        dir().join("node_modules/oidc-provider").is_dir(),
        "the sign-in tests need oidc-provider: run `npm ci` in tests/oidc (tests/run does it)"
    );
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the sign-in tests need Node.js on PATH: apt-get install nodejs");
    let stdout = child.stdout.take().expect("provider stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines
        .next()
        .expect("the provider printed nothing")
        .expect("provider stdout");
    // Whatever it prints later goes to our stdout.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            println!("[oidc-provider] {line}");
        }
    });
    let started: Value = serde_json::from_str(&first).expect("the provider's JSON line");
    let stdin = child.stdin.take().expect("provider stdin");
    IdentityProvider {
        issuer: started["issuer"].as_str().expect("issuer").to_string(),
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    }
}

impl IdentityProvider {
    async fn control(&self, path: &str, body: Value) -> Value {
        // A client per call: each test has its own runtime.
        let resp = reqwest::Client::new()
            .post(format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("provider control request");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.expect("provider control answer")
    }

    /// Registers a client: confidential with `secret`, else public (PKCE
    /// alone). The provider returns to `redirect_base` + the callback path and
    /// posts back-channel logouts to `backchannel_base`.
    pub async fn register_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
        redirect_base: &str,
        backchannel_base: &str,
    ) {
        self.control(
            "/__test/client",
            json!({
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": [format!("{redirect_base}/auth/oidc/callback")],
                "post_logout_redirect_uris": [format!("{redirect_base}/")],
                "backchannel_logout_uri": format!("{backchannel_base}/auth/oidc/backchannel-logout"),
            }),
        )
        .await;
    }

    /// An account at the provider: `sub` signs in with any password and
    /// gets `claims`.
    pub async fn account(&self, sub: &str, claims: Value) {
        self.control("/__test/account", json!({ "sub": sub, "claims": claims }))
            .await;
    }

    /// Like `account`, with the claims in UserInfo only.
    pub async fn account_userinfo_only(&self, sub: &str, claims: Value) {
        self.control(
            "/__test/account",
            json!({ "sub": sub, "claims": claims, "userinfo_only": true }),
        )
        .await;
    }

    /// The provider starts publishing a new signing key for `client_id`;
    /// the tamper mode `rotated` signs that client's ID tokens with it.
    pub async fn rotate_key(&self, client_id: &str) {
        self.control("/__test/rotate", json!({ "client_id": client_id }))
            .await;
    }

    /// The next token answer to `client_id` carries a bad ID token.
    pub async fn tamper(&self, client_id: &str, mode: &str) {
        self.control(
            "/__test/tamper",
            json!({ "client_id": client_id, "mode": mode }),
        )
        .await;
    }

    /// A back-channel logout token signed with the provider's key; `extra`
    /// sets or overrides claims (`sub`, `sid`, `jti`, `nonce`, `typ`,
    /// `no_events`, `stranger` for an unknown key, `aud`).
    pub async fn logout_token(&self, client_id: &str, extra: Value) -> String {
        let mut body = json!({ "client_id": client_id });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let answer = self.control("/__test/logout-token", body).await;
        answer["logout_token"]
            .as_str()
            .expect("logout token")
            .to_string()
    }
}
