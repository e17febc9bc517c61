//! The shared harness: a real server on 127.0.0.1:0 over a fresh database file in a temporary
//! directory, and helpers that speak the protocol through `mcp_oauth::client`.
#![allow(dead_code)]

use std::sync::Arc;

use mcp_oauth::client::{self, authorize_url, AuthorizeUrl, Browser, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::http::{AppState, Server, ServerConfig};
use mcp_oauth::login::clerk::Clerk;
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{migrations, users, DatabaseTarget, Store};

/// A loopback redirect URI (any port matches it).
pub const REDIRECT: &str = "http://127.0.0.1/callback";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestServer {
    pub server: Server,
    pub issuer: String,
    pub store: Store,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts with the defaults of `serve`, changed by `configure`.
    pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_full(configure, None).await
    }

    pub async fn start_full(configure: impl FnOnce(&mut ServerConfig), clerk: Option<Clerk>) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&DatabaseTarget::Local(dir.path().join("test.db")))
            .await
            .expect("open database");
        migrations::apply_pending(&store).await.expect("migrate");
        TestServer::serve(dir, store, configure, clerk).await
    }

    /// A server on an existing (migrated) store, such as a remote sqld: one of several
    /// instances sharing a database.
    pub async fn start_on(store: Store, configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        TestServer::serve(dir, store, configure, None).await
    }

    async fn serve(
        dir: tempfile::TempDir,
        store: Store,
        configure: impl FnOnce(&mut ServerConfig),
        clerk: Option<Clerk>,
    ) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut config = ServerConfig::for_listener(listener.local_addr().expect("addr"));
        configure(&mut config);
        let issuer = config.issuer.clone();
        let state: Arc<AppState> = AppState::with_clerk(config, store.clone(), clerk);
        let server = Server::start(state, listener).expect("start");
        TestServer {
            server,
            issuer,
            store,
            http: client::http_client(),
            _dir: dir,
        }
    }

    /// The database file, for the CLI (`mcp-oauth --database …`).
    pub fn database_path(&self) -> std::path::PathBuf {
        self._dir.path().join("test.db")
    }

    /// The temporary directory holding the database file (`test.db`) and its WAL.
    pub fn database_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub fn resource(&self) -> String {
        format!("{}/api/mcp", self.issuer)
    }

    /// Adds a local account; returns its user_id.
    pub async fn add_user(&self, username: &str) -> String {
        let user_id = format!("user_{username}");
        users::create(
            &self.store,
            &user_id,
            username,
            &secret::hash_password(PASSWORD),
            0,
        )
        .await
        .expect("create user");
        user_id
    }

    pub async fn add_client(
        &self,
        name: &str,
        redirect_uris: &[&str],
        secret: Option<&str>,
        scopes: &str,
    ) -> String {
        let client_id = secret::generate(Kind::ClientId);
        clients::insert(
            &self.store,
            &NewClient {
                client_id: client_id.clone(),
                client_name: name.to_string(),
                secret_hash: secret.map(secret::hash_client_secret),
                redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
                scopes: ScopeSet::parse_lenient(scopes),
                auth_method: if secret.is_some() {
                    AuthMethod::ClientSecretBasic
                } else {
                    AuthMethod::None
                },
                user_id: None,
                registration: Registration::Cli,
                created_at: 0,
            },
        )
        .await
        .expect("insert client");
        client_id
    }

    /// A public client (PKCE, no secret) with every scope.
    pub async fn public_client(&self, redirect_uris: &[&str]) -> ClientAuth {
        ClientAuth::Public(
            self.add_client(
                "Test Public Client",
                redirect_uris,
                None,
                "memories:read memories:write entities:read entities:write",
            )
            .await,
        )
    }

    /// A confidential client; authenticates with Basic.
    pub async fn confidential_client(&self, redirect_uris: &[&str]) -> ClientAuth {
        let secret = secret::generate(Kind::ClientSecret);
        let id = self
            .add_client(
                "Test Confidential Client",
                redirect_uris,
                Some(&secret),
                "memories:read memories:write",
            )
            .await;
        ClientAuth::Basic(id, secret)
    }

    pub async fn named_client(&self, name: &str, redirect_uris: &[&str]) -> ClientAuth {
        ClientAuth::Public(self.add_client(name, redirect_uris, None, "memories:read").await)
    }

    /// A browser signed in as a new local user `username`.
    pub async fn signed_in(&self, username: &str) -> Browser {
        self.add_user(username).await;
        let mut browser = Browser::new(&self.issuer);
        browser.sign_in(username, PASSWORD).await.expect("sign in");
        browser
    }

    /// An authorization URL for `client` with a fresh PKCE pair.
    pub fn authorize_request(&self, client: &ClientAuth, state: &str) -> (String, PkcePair) {
        let pkce = PkcePair::generate();
        let url = authorize_url(
            &self.issuer,
            &AuthorizeUrl {
                client_id: client.client_id(),
                redirect_uri: REDIRECT,
                code_challenge: Some(&pkce.challenge),
                state: Some(state),
                ..AuthorizeUrl::default()
            },
        );
        (url, pkce)
    }

    /// Signed-in browser → consent → approve: a code and its verifier.
    pub async fn code_for(&self, browser: &mut Browser, client: &ClientAuth) -> (String, PkcePair) {
        let (url, pkce) = self.authorize_request(client, "st");
        let code = browser.authorize(&url).await.expect("authorize");
        (code, pkce)
    }

    /// The whole flow: a fresh user, consent, code exchange.
    pub async fn tokens_for(&self, browser: &mut Browser, client: &ClientAuth) -> TokenResponse {
        let (code, pkce) = self.code_for(browser, client).await;
        let resp = client::exchange_code(
            &self.http,
            &self.issuer,
            client,
            &code,
            REDIRECT,
            Some(&pkce.verifier),
        )
        .await
        .expect("token request");
        assert_eq!(resp.status(), 200);
        resp.json().await.expect("token json")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let conn = self.store.connection().await.expect("conn");
        let mut rows = conn.query(sql, ()).await.expect("query");
        let row = rows.next().await.expect("row").expect("one row");
        row.get::<i64>(0).expect("integer")
    }

    /// Rows in every OAuth code/token table.
    pub async fn grant_rows(&self) -> i64 {
        self.count("SELECT (SELECT count(*) FROM oauth_authorization_codes) + (SELECT count(*) FROM oauth_access_tokens) + (SELECT count(*) FROM oauth_refresh_tokens)").await
    }

    pub async fn bearer_ok(&self, token: &str) -> bool {
        self.server.state.authenticate_bearer(token).await.is_ok()
    }
}

/// An HTTP client (no redirects) whose connections come from `source`, another loopback address
/// such as `127.0.0.2`: a second client address without `--trust-proxy`.
pub fn http_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(source.parse::<std::net::IpAddr>().expect("an IP address"))
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

pub async fn json(resp: reqwest::Response) -> serde_json::Value {
    resp.json().await.expect("json body")
}
