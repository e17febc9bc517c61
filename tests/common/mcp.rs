//! Harness for the MCP tests: a real server on `127.0.0.1:0` over a migrated libSQL file in a
//! temporary directory, access tokens minted straight into the database (as the token endpoint
//! would store them), and a small JSON-RPC client over real HTTP.
//!
//! Included by each `tests/mcp_*.rs` with `#[path = "common/mcp.rs"] mod harness;`.

#![allow(dead_code)]

use std::time::Duration;

use mcp_oauth::clock;
use mcp_oauth::http::{AppState, Server, ServerConfig};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::tokens::{insert_access_token, NewAccessToken};
use mcp_oauth::storage::{migrations, DatabaseTarget, Store};
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub const CLIENT_ID: &str = "mcp_oauth_testclient";
const DATABASE_FILE: &str = "mcp.db";
pub const ALL_SCOPES: &str = "memories:read memories:write entities:read entities:write";

pub struct TestServer {
    pub server: Server,
    pub store: Store,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

/// An access token to mint; [`TokenSpec::new`] gives a good one, fields make it bad.
pub struct TokenSpec {
    pub user_id: String,
    pub scopes: String,
    pub expires_in: i64,
    /// `None`: this server's `<issuer>/api/mcp`.
    pub resource: Option<String>,
}

impl TokenSpec {
    pub fn new(user_id: &str, scopes: &str) -> TokenSpec {
        TokenSpec {
            user_id: user_id.to_string(),
            scopes: scopes.to_string(),
            expires_in: 3600,
            resource: None,
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server whose configuration `configure` may adjust (CORS origins, body limit).
    pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&DatabaseTarget::Local(dir.path().join(DATABASE_FILE)))
            .await
            .expect("open store");
        migrations::apply_pending(&store).await.expect("migrate");
        clients::insert(
            &store,
            &NewClient {
                client_id: CLIENT_ID.into(),
                client_name: "MCP test client".into(),
                secret_hash: None,
                redirect_uris: vec!["http://127.0.0.1/callback".into()],
                scopes: ScopeSet::all(),
                auth_method: AuthMethod::None,
                user_id: None,
                registration: Registration::Cli,
                created_at: clock::now(),
            },
        )
        .await
        .expect("insert client");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut config = ServerConfig::for_listener(listener.local_addr().expect("addr"));
        configure(&mut config);
        let server = Server::start(AppState::new(config, store.clone()), listener).expect("start");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestServer {
            server,
            store,
            http,
            dir,
        }
    }

    /// The libSQL file the server uses, for the CLI (`mcp-oauth --database …`).
    pub fn database_path(&self) -> std::path::PathBuf {
        self.dir.path().join(DATABASE_FILE)
    }

    pub fn issuer(&self) -> &str {
        &self.server.state.config.issuer
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/api/mcp", self.issuer())
    }

    /// `<issuer>/.well-known/oauth-protected-resource/api/mcp`
    pub fn resource_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/api/mcp", self.issuer())
    }

    /// A valid access token for `user_id` with `scopes`.
    pub async fn token(&self, user_id: &str, scopes: &str) -> String {
        self.mint(TokenSpec::new(user_id, scopes)).await
    }

    pub async fn mint(&self, spec: TokenSpec) -> String {
        let token = secret::generate(Kind::AccessToken);
        let now = clock::now();
        let conn = self.store.connection().await.expect("connection");
        insert_access_token(
            &conn,
            &NewAccessToken {
                token_hash: secret::digest(&token),
                grant_id: format!("grant-{}", &token[7..15]),
                client_id: CLIENT_ID.into(),
                user_id: spec.user_id,
                scope: spec.scopes,
                resource: spec
                    .resource
                    .unwrap_or_else(|| self.server.state.resource.clone()),
                refresh_token_hash: None,
                created_at: now - 10,
                expires_at: now + spec.expires_in,
            },
        )
        .await
        .expect("insert token");
        token
    }

    /// Marks `token` revoked, as `token revoke` or the revocation endpoint would.
    pub async fn revoke(&self, token: &str) {
        let conn = self.store.connection().await.expect("connection");
        let n = conn
            .execute(
                "UPDATE oauth_access_tokens SET revoked_at = ?1 WHERE token_hash = ?2",
                libsql::params![clock::now(), secret::digest(token)],
            )
            .await
            .expect("revoke");
        assert_eq!(n, 1);
    }

    /// A client sending `token` as `Authorization: Bearer`.
    pub fn client(&self, token: &str) -> McpClient {
        McpClient {
            http: self.http.clone(),
            url: self.mcp_url(),
            token: Some(token.to_string()),
            headers: Vec::new(),
        }
    }

    /// A client that sends no token.
    pub fn anonymous(&self) -> McpClient {
        McpClient {
            http: self.http.clone(),
            url: self.mcp_url(),
            token: None,
            headers: Vec::new(),
        }
    }

    /// A client for `user_id` with every scope.
    pub async fn user(&self, user_id: &str) -> McpClient {
        let token = self.token(user_id, ALL_SCOPES).await;
        self.client(&token)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The JSON-RPC error code of the body.
    pub fn error_code(&self) -> i64 {
        self.json()["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no JSON-RPC error in {:?}", self.body))
    }
}

#[derive(Clone)]
pub struct McpClient {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

impl McpClient {
    /// The same client, also sending header `name: value`.
    pub fn with_header(mut self, name: &str, value: &str) -> McpClient {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn with_url(mut self, url: &str) -> McpClient {
        self.url = url.to_string();
        self
    }

    /// Sends `method` to the endpoint with the token and headers, and `body` if given.
    pub async fn send(&self, method: reqwest::Method, body: Option<String>) -> Reply {
        let mut req = self
            .http
            .request(method, &self.url)
            .header("accept", "application/json, text/event-stream");
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let overrides = |name: &str| self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if let Some(body) = body {
            if !overrides("content-type") {
                req = req.header("content-type", "application/json");
            }
            req = req.body(body);
        }
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        let resp = req.send().await.expect("request");
        Reply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
    }

    /// POSTs `body` as it is.
    pub async fn post(&self, body: impl Into<String>) -> Reply {
        self.send(reqwest::Method::POST, Some(body.into())).await
    }

    /// POSTs a JSON-RPC request with id 1.
    pub async fn rpc(&self, method: &str, params: Value) -> Reply {
        self.post(json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string())
            .await
    }

    /// The `result` of a request that must succeed with 200.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let reply = self.rpc(method, params).await;
        assert_eq!(reply.status, 200, "{method}: {}", reply.body);
        let body = reply.json();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["id"], 1);
        assert!(body.get("error").is_none(), "{method}: {body}");
        body["result"].clone()
    }

    /// The `CallToolResult` of `tools/call name arguments`.
    pub async fn call(&self, name: &str, arguments: Value) -> Value {
        self.result("tools/call", json!({ "name": name, "arguments": arguments }))
            .await
    }

    /// The `structuredContent` of a successful call, after checking the text block carries the
    /// same JSON.
    pub async fn call_ok(&self, name: &str, arguments: Value) -> Value {
        let result = self.call(name, arguments).await;
        assert_eq!(result["isError"], false, "{name}: {result}");
        let structured = result["structuredContent"].clone();
        assert!(structured.is_object(), "{name}: {result}");
        let text = result["content"][0]["text"].as_str().expect("text block");
        assert_eq!(result["content"][0]["type"], "text");
        let from_text: Value = serde_json::from_str(text).expect("text is JSON");
        assert_eq!(from_text, structured, "{name}: text and structuredContent differ");
        structured
    }

    /// The message of a call that must fail as a tool result (`isError: true`).
    pub async fn call_err(&self, name: &str, arguments: Value) -> String {
        let result = self.call(name, arguments).await;
        assert_eq!(result["isError"], true, "{name}: {result}");
        assert!(result.get("structuredContent").is_none(), "{result}");
        result["content"][0]["text"]
            .as_str()
            .expect("error text")
            .to_string()
    }
}
