//! When the database cannot be reached, every endpoint answers 503 (JSON for APIs, a page for
//! browsers) without internals, `/readyz` says so, and the server recovers by itself when the
//! database is back. Covers a local file whose directory is moved away (and a file replaced
//! under the server) and a remote URL that refuses connections or never answers.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestServer, REDIRECT};
use mcp_oauth::client::{self, Browser, TokenResponse};
use mcp_oauth::http::{AppState, Server, ServerConfig};
use mcp_oauth::storage::{DatabaseTarget, Store};
use serde_json::{json, Value};

/// Words that would mean internals reached the client.
const LEAKS: &[&str] = &[
    "libsql",
    "sqlite",
    "SQLITE",
    "panicked",
    "database error",
    "no such table",
    ".db",
    "os error",
];

fn assert_no_internals(what: &str, body: &str) {
    for word in LEAKS {
        assert!(!body.contains(word), "{what}: the answer shows `{word}`: {body}");
    }
}

/// A 503 with a JSON `error` and no internals.
async fn assert_json_503(what: &str, resp: reqwest::Response) {
    assert_eq!(resp.status(), 503, "{what}");
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type}"
    );
    let body = resp.text().await.unwrap();
    assert_no_internals(what, &body);
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body}"));
    assert!(v["error"].is_string(), "{what}: {v}");
}

/// A 503 page for a browser, no internals.
fn assert_page_503(what: &str, page: &client::Page) {
    assert_eq!(page.status, 503, "{what}: {}", page.body);
    assert!(
        page.header("content-type").unwrap_or("").starts_with("text/html"),
        "{what}"
    );
    assert_no_internals(what, &page.body);
}

async fn mcp(s: &reqwest::Client, issuer: &str, token: &str, body: Value) -> reqwest::Response {
    s.post(format!("{issuer}/api/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn tools_list() -> Value {
    json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" })
}

fn add_memory(content: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": { "name": "add_memory", "arguments": { "content": content } } })
}

/// Every endpoint that touches the database, as a client or browser would call it.
async fn assert_every_endpoint_503(issuer: &str, token: &str, refresh_token: &str, browser: &mut Browser) {
    let http = client::http_client();
    let readyz = http.get(format!("{issuer}/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 503);
    let v: Value = readyz.json().await.unwrap();
    assert_eq!(v["status"], "unavailable");
    let healthz = http.get(format!("{issuer}/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200, "liveness does not depend on the database");

    assert_json_503("mcp tools/list", mcp(&http, issuer, token, tools_list()).await).await;
    assert_json_503(
        "mcp add_memory",
        mcp(&http, issuer, token, add_memory("lost?")).await,
    )
    .await;
    let public = client::ClientAuth::Public("mcp_oauth_unreachable".into());
    assert_json_503(
        "token (refresh)",
        client::refresh(&http, issuer, &public, refresh_token)
            .await
            .unwrap(),
    )
    .await;
    assert_json_503(
        "token (code)",
        client::exchange_code(&http, issuer, &public, "auth_x", REDIRECT, Some(&"v".repeat(43)))
            .await
            .unwrap(),
    )
    .await;
    let basic = client::ClientAuth::Basic("mcp_oauth_unreachable".into(), "secret".into());
    assert_json_503(
        "token (basic)",
        client::refresh(&http, issuer, &basic, refresh_token)
            .await
            .unwrap(),
    )
    .await;
    assert_json_503(
        "revoke",
        client::revoke(&http, issuer, &public, token).await.unwrap(),
    )
    .await;
    assert_json_503(
        "register",
        http.post(format!("{issuer}/api/oauth/register"))
            .json(&json!({ "redirect_uris": [REDIRECT], "client_name": "x" }))
            .send()
            .await
            .unwrap(),
    )
    .await;

    let authorize = client::authorize_url(
        issuer,
        &client::AuthorizeUrl {
            client_id: "mcp_oauth_unreachable",
            redirect_uri: REDIRECT,
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            ..Default::default()
        },
    );
    assert_page_503("authorize", &browser.get(&authorize).await.unwrap());
    assert_page_503(
        "connections",
        &browser.get("/api/oauth/connections").await.unwrap(),
    );
    let login = browser.get("/api/oauth/login").await.unwrap();
    assert_eq!(login.status, 200, "the login form itself needs no database");
    let mut fields = client::hidden_inputs(&login.body);
    fields.push(("username".into(), "alice".into()));
    fields.push(("password".into(), common::PASSWORD.into()));
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_page_503(
        "login",
        &browser.post_form("/api/oauth/login", &form).await.unwrap(),
    );
}

#[tokio::test]
async fn database_directory_moved_away_answers_503_and_recovers_when_it_is_back() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut browser = s.signed_in("alice").await;
    let tokens = s.tokens_for(&mut browser, &c).await;
    let refresh = tokens.refresh_token.clone().unwrap();
    assert_eq!(
        mcp(&s.http, &s.issuer, &tokens.access_token, tools_list())
            .await
            .status(),
        200
    );

    let dir = s.database_dir().to_path_buf();
    let away = dir.with_extension("away");
    std::fs::rename(&dir, &away).unwrap();
    assert_every_endpoint_503(&s.issuer, &tokens.access_token, &refresh, &mut browser).await;
    std::fs::rename(&away, &dir).unwrap();

    // Back without a restart: ready, the token works, the refresh rotates, writes land.
    let readyz = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);
    assert_eq!(
        mcp(&s.http, &s.issuer, &tokens.access_token, tools_list())
            .await
            .status(),
        200
    );
    let r = client::refresh(&s.http, &s.issuer, &c, &refresh).await.unwrap();
    assert_eq!(r.status(), 200);
    let t: TokenResponse = r.json().await.unwrap();
    let added = mcp(
        &s.http,
        &s.issuer,
        &t.access_token,
        add_memory("after the outage"),
    )
    .await;
    assert_eq!(added.status(), 200);
    assert_eq!(
        s.count("SELECT count(*) FROM memories WHERE content = 'after the outage'")
            .await,
        1
    );
    assert_eq!(
        s.count("SELECT count(*) FROM memories WHERE content = 'lost?'")
            .await,
        0
    );
}

#[tokio::test]
async fn database_file_deleted_under_the_server_is_not_written_to_in_secret() {
    // Unlinking the file leaves open connections writing to an inode nobody will ever read:
    // every acknowledged write would be lost. The server must notice and refuse instead.
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut browser = s.signed_in("alice").await;
    let tokens = s.tokens_for(&mut browser, &c).await;
    let db = s.database_dir().join("test.db");
    let saved = s.database_dir().with_extension("saved");
    std::fs::create_dir(&saved).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{}{suffix}", db.display());
        if std::path::Path::new(&from).exists() {
            std::fs::copy(&from, saved.join(format!("test.db{suffix}"))).unwrap();
            std::fs::remove_file(&from).unwrap();
        }
    }
    let added = mcp(
        &s.http,
        &s.issuer,
        &tokens.access_token,
        add_memory("into the void"),
    )
    .await;
    assert_json_503("add_memory on a deleted file", added).await;
    assert!(!db.exists(), "no empty database is created in its place");
    let readyz = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 503);

    // The operator restores the file: the server picks it up without a restart.
    for suffix in ["", "-wal", "-shm"] {
        let from = saved.join(format!("test.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, format!("{}{suffix}", db.display())).unwrap();
        }
    }
    let readyz = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);
    let listed = mcp(&s.http, &s.issuer, &tokens.access_token, tools_list()).await;
    assert_eq!(listed.status(), 200);
    let _ = std::fs::remove_dir_all(&saved);
}

/// A server in this process over a remote database at `url`, with a short request deadline.
async fn remote_server(url: &str) -> (Server, String) {
    let store = Store::open(&DatabaseTarget::Remote {
        url: url.to_string(),
        auth_token: None,
    })
    .await
    .expect("opening a remote store does not connect");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = ServerConfig::for_listener(listener.local_addr().unwrap());
    config.request_timeout = Duration::from_secs(2);
    let issuer = config.issuer.clone();
    let state: Arc<AppState> = AppState::new(config, store);
    (Server::start(state, listener).unwrap(), issuer)
}

#[tokio::test]
async fn remote_database_refusing_connections_answers_503() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_server, issuer) = remote_server(&format!("http://127.0.0.1:{port}")).await;
    let mut browser = Browser::new(&issuer);
    browser.set_cookie(
        "mcp_session",
        &mcp_oauth::secret::generate(mcp_oauth::secret::Kind::LoginSession),
    );
    let started = Instant::now();
    assert_every_endpoint_503(&issuer, "mcp_at_x", "mcp_rt_x", &mut browser).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn remote_database_that_never_answers_gets_503_within_the_deadline() {
    // Accepts connections and reads, never answers: a hung load balancer or database.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let blackhole = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => if let Ok((s, _)) = accepted { held.push(s) },
                () = stopped.notified() => break,
            }
        }
    });
    let (_server, issuer) = remote_server(&format!("http://127.0.0.1:{port}")).await;
    let http = client::http_client();
    let started = Instant::now();
    let readyz = http.get(format!("{issuer}/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "readyz took {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    assert_json_503("mcp", mcp(&http, &issuer, "mcp_at_x", tools_list()).await).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "mcp took {:?}",
        started.elapsed()
    );
    stop.notify_one();
    let _ = blackhole.await;
}
