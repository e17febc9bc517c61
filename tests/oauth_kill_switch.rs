//! `serve --oauth off`, the rollback switch: every OAuth route answers 503
//! `temporarily_unavailable` (a page for the browser ones) without touching the database,
//! `/api/mcp` keeps accepting Clerk session tokens, issued `mcp_at_` tokens are answered 503
//! (kept, not invalidated) unless `--oauth-off-accepts-issued-tokens`, and `/metrics`,
//! `/readyz` and `verify` report the mode.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::sync::OnceLock;

use cli::{Output, Test};
use common::{TestServer, REDIRECT};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_oauth::http::LoginMode;
use mcp_oauth::login::clerk::Clerk;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::tokens::{insert_access_token, NewAccessToken};
use reqwest::Method;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};

const DISABLED: &str = "OAuth is temporarily disabled by the operator; try again later";

async fn switched_off() -> TestServer {
    TestServer::start_with(|c| c.oauth_enabled = false).await
}

/// (private PEM, public PEM), made once per test binary.
fn clerk_keys() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("rsa key");
        (
            private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
        )
    })
}

fn clerk_session_jwt() -> String {
    let now = mcp_oauth::clock::now();
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": "user_clerk_1", "sid": "sess_1", "iat": now - 5, "nbf": now - 5, "exp": now + 60}),
        &EncodingKey::from_rsa_pem(clerk_keys().0.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// `tools/list` on `s`'s `/api/mcp` (at its listen address) with `token` as Bearer.
async fn tools_list(s: &TestServer, token: &str) -> reqwest::Response {
    s.http
        .post(format!("{}/api/mcp", s.server.base_url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap()
}

/// An access token for `s`'s resource, as a server with OAuth on issued it before the switch.
async fn issued_access_token(s: &TestServer) -> String {
    let client = s.public_client(&[REDIRECT]).await;
    let token = secret::generate(Kind::AccessToken);
    let now = mcp_oauth::clock::now();
    let conn = s.store.connection().await.unwrap();
    insert_access_token(
        &conn,
        &NewAccessToken {
            token_hash: secret::digest(&token),
            grant_id: "grant-before-the-switch".into(),
            client_id: client.client_id().to_string(),
            user_id: "user_alice".into(),
            scope: "memories:read".into(),
            resource: s.resource(),
            refresh_token_hash: None,
            created_at: now - 10,
            expires_at: now + 3600,
        },
    )
    .await
    .unwrap();
    token
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn every_oauth_json_route_answers_503_temporarily_unavailable_with_retry_after() {
    let s = switched_off().await;
    let routes = [
        (Method::GET, "/.well-known/oauth-authorization-server", ""),
        (Method::HEAD, "/.well-known/oauth-authorization-server", ""),
        (Method::GET, "/.well-known/oauth-protected-resource", ""),
        (Method::GET, "/.well-known/oauth-protected-resource/api/mcp", ""),
        (
            Method::GET,
            "/api/oauth/authorize?response_type=code&client_id=x",
            "",
        ),
        (
            Method::POST,
            "/api/oauth/token",
            "grant_type=refresh_token&refresh_token=mcp_rt_x&client_id=x",
        ),
        (Method::POST, "/api/oauth/revoke", "token=mcp_rt_x&client_id=x"),
        (
            Method::POST,
            "/api/oauth/register",
            r#"{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"x"}"#,
        ),
    ];
    for (method, path, body) in routes {
        let resp = s
            .http
            .request(method.clone(), s.url(path))
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503, "{method} {path}");
        assert_eq!(header(&resp, "retry-after"), "300", "{method} {path}");
        assert_eq!(header(&resp, "cache-control"), "no-store", "{method} {path}");
        assert_eq!(
            header(&resp, "content-type"),
            "application/json",
            "{method} {path}"
        );
        if method == Method::HEAD {
            continue;
        }
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": "temporarily_unavailable", "error_description": DISABLED}),
            "{method} {path}"
        );
    }
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_clients").await,
        0,
        "register stored nothing"
    );
}

#[tokio::test]
async fn the_browser_pages_answer_a_readable_503_page() {
    let s = switched_off().await;
    for (method, path) in [
        (Method::GET, "/api/oauth/authorize?response_type=code&client_id=x"),
        (Method::GET, "/api/oauth/login"),
        (Method::POST, "/api/oauth/login"),
        (Method::GET, "/api/oauth/connections"),
        (Method::POST, "/api/oauth/logout"),
    ] {
        let resp = s
            .http
            .request(method.clone(), s.url(path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .header("origin", &s.issuer)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503, "{method} {path}");
        assert_eq!(header(&resp, "retry-after"), "300");
        assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&resp, "x-frame-options"), "DENY");
        let page = resp.text().await.unwrap();
        assert!(
            page.contains("<h1>Sign-in is temporarily unavailable</h1>"),
            "{path}: {page}"
        );
        assert!(page.contains("switched off by its operator"), "{path}");
    }
}

#[tokio::test]
async fn cors_preflights_and_the_probes_are_still_answered() {
    let s = TestServer::start_with(|c| {
        c.oauth_enabled = false;
        c.cors_origins = vec!["https://inspector.example".into()];
    })
    .await;
    let refused = s
        .http
        .get(s.url("/.well-known/oauth-authorization-server"))
        .header("origin", "https://inspector.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(
        header(&refused, "access-control-allow-origin"),
        "https://inspector.example",
        "a browser-based client on a configured origin can read why"
    );
    let preflight = s
        .http
        .request(Method::OPTIONS, s.url("/.well-known/oauth-authorization-server"))
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_ne!(preflight.status(), 503);
    let ready = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "readiness does not depend on the switch");
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"status": "ready", "database": "ok", "oauth": "disabled"})
    );
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("\nmcp_oauth_oauth_enabled 0\n"), "{metrics}");

    let on = TestServer::start().await;
    let ready = on.http.get(on.url("/readyz")).send().await.unwrap();
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"status": "ready", "database": "ok"}),
        "unchanged while OAuth is on"
    );
    let metrics = on
        .http
        .get(on.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("\nmcp_oauth_oauth_enabled 1\n"));
}

#[tokio::test]
async fn a_clerk_session_token_still_opens_the_mcp_endpoint() {
    let clerk = Clerk::with_pem(&clerk_keys().1, Vec::new(), None).unwrap();
    let s = TestServer::start_full(
        |c| {
            c.login = LoginMode::Clerk;
            c.oauth_enabled = false;
        },
        Some(clerk),
    )
    .await;
    let resp = tools_list(&s, &clerk_session_jwt()).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    // The authorization server is off all the same.
    let token = s.http.post(s.url("/api/oauth/token")).send().await.unwrap();
    assert_eq!(token.status(), 503);
}

#[tokio::test]
async fn issued_access_tokens_are_answered_503_not_401_and_work_again_when_the_switch_is_back_on() {
    let off = switched_off().await;
    let token = issued_access_token(&off).await;
    let resp = tools_list(&off, &token).await;
    assert_eq!(resp.status(), 503, "a 401 would make the client drop its tokens");
    assert_eq!(header(&resp, "retry-after"), "300");
    assert!(resp.headers().get("www-authenticate").is_none());
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error": "temporarily_unavailable", "error_description": DISABLED})
    );
    // A token that was never issued gets the same answer: nothing is looked up while off.
    assert_eq!(tools_list(&off, "mcp_at_unknown").await.status(), 503);

    let issuer = off.issuer.clone();
    let back_on = TestServer::start_on(off.store.clone(), |c| c.issuer = issuer).await;
    assert_eq!(
        tools_list(&back_on, &token).await.status(),
        200,
        "no reconnect needed"
    );
}

#[tokio::test]
async fn with_oauth_off_accepts_issued_tokens_issued_access_tokens_keep_working() {
    let s = TestServer::start_with(|c| {
        c.oauth_enabled = false;
        c.oauth_off_accepts_issued_tokens = true;
    })
    .await;
    let token = issued_access_token(&s).await;
    assert_eq!(tools_list(&s, &token).await.status(), 200);
    assert_eq!(
        tools_list(&s, "mcp_at_unknown").await.status(),
        401,
        "still checked"
    );
    let token_endpoint = s.http.post(s.url("/api/oauth/token")).send().await.unwrap();
    assert_eq!(token_endpoint.status(), 503, "but no new token is issued");
}

/// `verify --json --base-url <server>` plus `args`, off the runtime.
async fn verify(s: &TestServer, args: &[&str], status: i32) -> Output {
    let test = Test::new()
        .args(["verify", "--json", "--base-url", &s.issuer])
        .args(args)
        .status(status);
    tokio::task::spawn_blocking(move || test.run()).await.unwrap()
}

fn outcome(report: &Value, id: &str) -> (String, String) {
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"));
    (
        check["status"].as_str().unwrap().to_string(),
        check["reason"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_oauth_disabled_by_operator_instead_of_failing_every_check() {
    let s = switched_off().await;
    let report = verify(&s, &[], 1).await.json();
    assert_eq!(report["oauth"], "OAuth disabled by operator");
    let (status, reason) = outcome(&report, "discovery.authorization-server");
    assert_eq!(status, "fail");
    assert!(reason.contains("pass --expect-oauth-off"), "{reason}");
    assert_eq!(
        report["totals"]["failed"], 1,
        "one failure names the mode: {report}"
    );
    assert_eq!(outcome(&report, "health.ready").0, "pass");
    assert_eq!(
        outcome(&report, "token.exchange"),
        ("skip".into(), "OAuth disabled by operator".into())
    );

    let report = verify(&s, &["--expect-oauth-off"], 0).await.json();
    let (status, reason) = outcome(&report, "discovery.authorization-server");
    assert_eq!(status, "pass");
    assert!(reason.contains("every OAuth endpoint answers 503"), "{reason}");
    assert_eq!(outcome(&report, "mcp.unauthenticated").0, "pass");

    let on = TestServer::start().await;
    let report = verify(&on, &["--expect-oauth-off", "--only", "discovery"], 1)
        .await
        .json();
    assert_eq!(report["oauth"], "enabled");
    assert!(outcome(&report, "discovery.authorization-server")
        .1
        .contains("OAuth is on, but --expect-oauth-off"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_self_test_with_expect_oauth_off_passes_health_and_the_clerk_token() {
    let report = tokio::task::spawn_blocking(|| {
        Test::new()
            .args(["verify", "--json", "--expect-oauth-off"])
            .run()
            .json()
    })
    .await
    .unwrap();
    assert_eq!(report["oauth"], "OAuth disabled by operator");
    assert_eq!(outcome(&report, "health.ready").0, "pass");
    assert_eq!(outcome(&report, "clerk.session-token").0, "pass");
    assert_eq!(report["passed"], true);
    tokio::task::spawn_blocking(|| {
        Test::new()
            .args(["verify", "--only", "health", "--only", "discovery"])
            .arg("--expect-oauth-off")
            .stdout("OAuth disabled by operator: the OAuth endpoints answer 503 temporarily_unavailable")
            .run()
    })
    .await
    .unwrap();
}
