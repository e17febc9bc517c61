//! What one `verify` run was given and what it has made so far: the client (given or registered),
//! a signed-in browser, the tokens it obtained — and the cleanup that revokes them and deletes
//! the memories it added, so that a deployment is left as it was found.
//!
//! Checks obtain what they need through these methods, so each check also runs alone
//! (`--only test2.refresh`); a check whose needs were not given is skipped with the reason.

use std::time::Duration;

use serde_json::Value;

use super::checklist::Halt;
use super::target::{why, Target};
use crate::client::mcp::McpClient;
use crate::client::{self, registration, AuthorizeUrl, Browser, ClientAuth, PkcePair, TokenResponse};
use crate::storage::Store;

/// How the test user signs in at the consent screen.
#[derive(Clone)]
pub enum Login {
    /// The local login form (`--username` + `--password-stdin`).
    Password { username: String, password: String },
    /// Clerk: the session JWT as the `__session` cookie (`--session-token`).
    ClerkSession(String),
}

/// What the operator gave (or the self-test made).
#[derive(Clone, Default)]
pub struct Given {
    pub client: Option<ClientAuth>,
    /// The client's name, when known: the consent page must show it.
    pub client_name: Option<String>,
    pub redirect_uri: Option<String>,
    pub login: Option<Login>,
    /// A Clerk session JWT for `clerk.session-token`.
    pub session_token: Option<String>,
    /// The deployment's database (`--database`), for checks that read it.
    pub store: Option<Store>,
    /// The URL of a client metadata document listing [`LOOPBACK_REDIRECT`] that the server may
    /// fetch (the self-test serves one).
    pub metadata_document: Option<String>,
}

/// How the checks judge what they see.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The longest `expires_in` accepted for an access token.
    pub max_access_ttl: Duration,
    /// The server's `--refresh-grace`.
    pub refresh_grace: Duration,
    /// Wait out the refresh grace even when it is long.
    pub wait_grace: bool,
    pub include_rate_limit: bool,
    /// Run `backup.drill` against the given database (`--backup-drill`; always in the self-test).
    pub backup_drill: bool,
    /// `verify` started the server itself (nothing on it belongs to anyone else).
    pub self_test: bool,
}

/// Graces up to this long are waited out without `--wait-grace`.
pub const SHORT_GRACE: Duration = Duration::from_secs(5);

/// The redirect URI verify registers for a dynamically registered client: loopback, so any
/// port matches, and nothing needs to listen there — the code is read from `Location`.
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/mcp-oauth-verify/callback";

pub struct Run {
    pub target: Target,
    pub given: Given,
    pub settings: Settings,
    metadata: Option<Value>,
    registered: Option<Result<registration::Registered, String>>,
    browser: Option<Browser>,
    /// The user already had a connection with this client before verify signed in: the
    /// connections page's Revoke would end it too.
    preexisting_connection: bool,
    first_grant: Option<TokenResponse>,
    /// Refresh tokens obtained; revoking each revokes its whole grant (RFC 7009, SPEC §4).
    issued: Vec<String>,
    /// Memories added, with a token that may delete them.
    memories: Vec<(String, i64)>,
}

/// A finished authorization: the redirect it ended in and the token response.
pub struct Grant {
    pub location: String,
    pub tokens: TokenResponse,
}

impl Run {
    pub fn new(target: Target, given: Given, settings: Settings) -> Run {
        Run {
            target,
            given,
            settings,
            metadata: None,
            registered: None,
            browser: None,
            preexisting_connection: false,
            first_grant: None,
            issued: Vec::new(),
            memories: Vec::new(),
        }
    }

    /// The authorization-server metadata, fetched once.
    pub async fn metadata(&mut self) -> Result<&Value, Halt> {
        if self.metadata.is_none() {
            let url = self.target.url("/.well-known/oauth-authorization-server");
            let resp = self
                .target
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| format!("GET {url}: {}", why(&e)))?;
            if !resp.status().is_success() {
                return Err(Halt::Fail(format!("GET {url} answered {}", resp.status())));
            }
            let doc: Value = resp
                .json()
                .await
                .map_err(|e| format!("GET {url}: not JSON: {}", why(&e)))?;
            self.metadata = Some(doc);
        }
        Ok(self.metadata.as_ref().expect("just set"))
    }

    /// Registers a client dynamically (once); the answer is kept for `registration.dynamic`.
    pub async fn register(&mut self) -> Result<&registration::Registered, Halt> {
        if self.registered.is_none() {
            let endpoint = self
                .metadata()
                .await?
                .get("registration_endpoint")
                .and_then(Value::as_str)
                .map(str::to_string);
            let Some(endpoint) = endpoint else {
                return Err(Halt::Skip(
                    "the server offers no dynamic registration (no registration_endpoint)".into(),
                ));
            };
            let attempt = registration::register(
                &self.target.http,
                &endpoint,
                "mcp-oauth verify",
                &[LOOPBACK_REDIRECT],
            )
            .await
            .map_err(|e| e.to_string());
            self.registered = Some(attempt);
        }
        match self.registered.as_ref().expect("just set") {
            Ok(r) => Ok(r),
            Err(why) => Err(Halt::Fail(format!("dynamic registration failed: {why}"))),
        }
    }

    /// The client the flows use: the one given, else one registered dynamically.
    pub async fn client(&mut self) -> Result<ClientAuth, Halt> {
        if let Some(c) = &self.given.client {
            return Ok(c.clone());
        }
        match self.register().await {
            Ok(r) => Ok(r.auth.clone()),
            Err(Halt::Skip(why)) => Err(Halt::Skip(format!(
                "needs a client: give --client-id and --redirect-uri ({why})"
            ))),
            Err(Halt::Fail(why)) => Err(Halt::Skip(format!("needs a client: {why}"))),
        }
    }

    /// The client and a redirect URI it registered.
    pub async fn client_and_redirect(&mut self) -> Result<(ClientAuth, String), Halt> {
        let client = self.client().await?;
        let redirect = match (&self.given.client, &self.given.redirect_uri) {
            (Some(_), Some(uri)) => uri.clone(),
            (Some(_), None) => {
                return Err(Halt::Skip(
                    "needs --redirect-uri (one the client registered; nothing needs to listen there)".into(),
                ))
            }
            (None, _) => LOOPBACK_REDIRECT.to_string(),
        };
        Ok((client, redirect))
    }

    /// The client's confidential credentials, when it has a secret.
    pub async fn confidential_client(&mut self) -> Option<(String, String)> {
        match self.client().await.ok()? {
            ClientAuth::Basic(id, secret) | ClientAuth::Post(id, secret) => Some((id, secret)),
            ClientAuth::Public(_) => None,
        }
    }

    /// An authorization request for the client, with a fresh PKCE pair.
    pub async fn authorize_request(&mut self, state: &str) -> Result<(String, PkcePair, String), Halt> {
        let (client, redirect) = self.client_and_redirect().await?;
        let pkce = PkcePair::generate();
        let resource = crate::oauth::resource::for_issuer(&self.target.issuer);
        let url = client::authorize_url(
            &self.target.issuer,
            &AuthorizeUrl {
                client_id: client.client_id(),
                redirect_uri: &redirect,
                state: Some(state),
                code_challenge: Some(&pkce.challenge),
                resource: Some(&resource),
                ..AuthorizeUrl::default()
            },
        );
        Ok((url, pkce, redirect))
    }

    /// A browser signed in as the test user (signed in once, then reused).
    pub async fn browser(&mut self) -> Result<&mut Browser, Halt> {
        if self.browser.is_none() {
            let browser = self.sign_in().await?;
            self.browser = Some(browser);
            self.preexisting_connection = self.lists_connection().await?;
        }
        Ok(self.browser.as_mut().expect("just set"))
    }

    /// A new browser, signed in as the test user.
    pub async fn sign_in(&mut self) -> Result<Browser, Halt> {
        let mut browser = Browser::new(&self.target.issuer);
        match &self.given.login {
            Some(Login::Password { username, password }) => browser
                .sign_in(username, password)
                .await
                .map_err(|e| format!("signing in as {username} on /api/oauth/login: {}", why(&e)))?,
            Some(Login::ClerkSession(jwt)) => browser.set_cookie("__session", jwt),
            None => {
                return Err(Halt::Skip(
                    "needs a user: give --username with --password-stdin, or --session-token (Clerk)".into(),
                ))
            }
        }
        Ok(browser)
    }

    /// Whether the connections page lists the client (false when there is no client).
    async fn lists_connection(&mut self) -> Result<bool, Halt> {
        let Ok(client) = self.client().await else {
            return Ok(false);
        };
        let browser = self.browser.as_mut().expect("signed in");
        let page = browser
            .get("/api/oauth/connections")
            .await
            .map_err(|e| format!("GET /api/oauth/connections: {}", why(&e)))?;
        Ok(page.status == 200 && connection_listed(&page.body, client.client_id()))
    }

    pub fn preexisting_connection(&self) -> bool {
        self.preexisting_connection
    }

    /// Consent → Approve → code exchange with the shared browser; the refresh token is kept
    /// for the cleanup.
    pub async fn new_grant(&mut self, state: &str) -> Result<Grant, Halt> {
        let (url, pkce, redirect) = self.authorize_request(state).await?;
        let location = approve(self.browser().await?, &url).await?;
        let tokens = self.exchange(&location, &redirect, &pkce).await?;
        Ok(Grant { location, tokens })
    }

    /// Exchanges the code in `location` for tokens.
    pub async fn exchange(
        &mut self,
        location: &str,
        redirect: &str,
        pkce: &PkcePair,
    ) -> Result<TokenResponse, Halt> {
        let Some(code) = client::query_param(location, "code") else {
            return Err(Halt::Fail(format!(
                "the approval redirect carries no code: {location}"
            )));
        };
        let client = self.client().await?;
        let resp = client::exchange_code(
            &self.target.http,
            &self.target.issuer,
            &client,
            &code,
            redirect,
            Some(&pkce.verifier),
        )
        .await
        .map_err(|e| format!("token request: {}", why(&e)))?;
        let tokens = self.token_response(resp, "code exchange").await?;
        Ok(tokens)
    }

    /// Reads a token endpoint answer that must be a 200 token response; keeps its refresh token.
    pub async fn token_response(
        &mut self,
        resp: reqwest::Response,
        what: &str,
    ) -> Result<TokenResponse, Halt> {
        let status = resp.status();
        let body = resp.text().await.map_err(|e| format!("{what}: {}", why(&e)))?;
        if status != reqwest::StatusCode::OK {
            return Err(Halt::Fail(format!(
                "{what} answered {status}: {}",
                client::mcp::snippet(&body)
            )));
        }
        let tokens: TokenResponse =
            serde_json::from_str(&body).map_err(|e| format!("{what}: not a token response ({})", why(&e)))?;
        if let Some(rt) = &tokens.refresh_token {
            self.issued.push(rt.clone());
        }
        Ok(tokens)
    }

    /// The grant `token.exchange` made, or a new one when it did not run.
    pub async fn first_grant(&mut self) -> Result<TokenResponse, Halt> {
        if let Some(t) = &self.first_grant {
            return Ok(t.clone());
        }
        let grant = self.new_grant("mcp-oauth-verify").await?;
        self.first_grant = Some(grant.tokens.clone());
        Ok(grant.tokens)
    }

    pub fn remember_first_grant(&mut self, tokens: &TokenResponse) {
        self.first_grant = Some(tokens.clone());
    }

    /// The MCP endpoint with `token` (or none).
    pub fn mcp(&self, token: Option<&str>) -> McpClient {
        McpClient::new(self.target.http.clone(), &self.target.url("/api/mcp"), token)
    }

    pub fn remember_memory(&mut self, token: &str, id: i64) {
        self.memories.push((token.to_string(), id));
    }

    pub fn forget_memory(&mut self, id: i64) {
        self.memories.retain(|(_, m)| *m != id);
    }

    /// Deletes the memories verify added and revokes every grant it obtained. Returns what could
    /// not be undone, for a warning.
    pub async fn clean_up(&mut self) -> Vec<String> {
        let mut left = Vec::new();
        for (token, id) in std::mem::take(&mut self.memories) {
            let mcp = self.mcp(Some(&token));
            if let Err(e) = mcp
                .call_tool("delete_memory", serde_json::json!({ "id": id }))
                .await
            {
                left.push(format!("memory {id} was not deleted: {}", why(&e)));
            }
        }
        let issued = std::mem::take(&mut self.issued);
        if issued.is_empty() {
            return left;
        }
        let Ok(client) = self.client().await else {
            left.push(format!("{} grant(s) not revoked: no client", issued.len()));
            return left;
        };
        for token in issued {
            match client::revoke(&self.target.http, &self.target.issuer, &client, &token).await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => left.push(format!("revoking a refresh token answered {}", r.status())),
                Err(e) => left.push(format!("revoking a refresh token: {}", why(&e))),
            }
        }
        left
    }
}

/// Whether a connections page has a Revoke form for `client_id`.
pub fn connection_listed(html: &str, client_id: &str) -> bool {
    client::hidden_inputs(html)
        .iter()
        .any(|(k, v)| k == "client_id" && v == client_id)
}

/// Opens the consent page at `url` and approves: the redirect's `Location`.
pub async fn approve(browser: &mut Browser, url: &str) -> Result<String, String> {
    let fields = browser
        .consent(url)
        .await
        .map_err(|e| format!("consent page: {}", why(&e)))?;
    let answer = browser
        .decide(&fields, "approve")
        .await
        .map_err(|e| format!("approve: {}", why(&e)))?;
    answer
        .location()
        .map(str::to_string)
        .ok_or_else(|| format!("approve answered {} without a Location", answer.status))
}
