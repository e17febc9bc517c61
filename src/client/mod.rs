//! The client side of the protocol: what an MCP client does against this server, in pieces
//! that the integration tests and `mcp-oauth verify` share.
//!
//! - [`PkcePair`] (re-exported), [`authorize_url`], [`query_param`]: building the
//!   authorization request and reading the redirect it ends in.
//! - [`Browser`]: a cookie-keeping HTTP client that never follows redirects, which can sign in
//!   on the local login form, read the consent page and approve or deny it.
//! - [`ClientAuth`] and [`token_request`]: the token, refresh and revocation calls with each
//!   client authentication method.
//! - [`mcp::McpClient`]: JSON-RPC calls to `/api/mcp` with a bearer token.
//! - [`registration::register`]: dynamic client registration (RFC 7591).
//!
//! A test logs in and gets a code like this:
//! ```no_run
//! # async fn f(issuer: &str) -> Result<(), mcp_oauth::client::FlowError> {
//! use mcp_oauth::client::{authorize_url, AuthorizeUrl, Browser, PkcePair};
//! let pkce = PkcePair::generate();
//! let url = authorize_url(issuer, &AuthorizeUrl {
//!     client_id: "mcp_oauth_…",
//!     redirect_uri: "http://127.0.0.1:9/callback",
//!     code_challenge: Some(&pkce.challenge),
//!     state: Some("xyz"),
//!     ..AuthorizeUrl::default()
//! });
//! let mut browser = Browser::new(issuer);
//! browser.sign_in("alice", "correct horse").await?;
//! let code = browser.authorize(&url).await?; // consent page → Approve → code from Location
//! # Ok(()) }
//! ```

pub mod mcp;
pub mod registration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

pub use crate::oauth::pkce::PkcePair;

/// The parameters of an authorization request; `None` leaves one out.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeUrl<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: Option<&'a str>,
    pub state: Option<&'a str>,
    /// S256 challenge; `code_challenge_method=S256` is added with it.
    pub code_challenge: Option<&'a str>,
    pub resource: Option<&'a str>,
}

/// `<issuer>/api/oauth/authorize?response_type=code&…`
pub fn authorize_url(issuer: &str, p: &AuthorizeUrl<'_>) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", p.client_id),
        ("redirect_uri", p.redirect_uri),
    ];
    if let Some(challenge) = p.code_challenge {
        pairs.push(("code_challenge", challenge));
        pairs.push(("code_challenge_method", "S256"));
    }
    for (key, value) in [("scope", p.scope), ("state", p.state), ("resource", p.resource)] {
        if let Some(v) = value {
            pairs.push((key, v));
        }
    }
    format!(
        "{issuer}/api/oauth/authorize?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

/// Every query parameter of a URL (e.g. a redirect's `Location`), decoded.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// One query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    query_params(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The `<input type="hidden" name="…" value="…">` fields of an HTML page, unescaped, in order.
/// Enough for the pages this server renders; not a general HTML parser.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.split('>').next()?;
            if !tag.contains("type=\"hidden\"") {
                return None;
            }
            Some((
                unescape(attribute(tag, "name")?),
                unescape(attribute(tag, "value")?),
            ))
        })
        .collect()
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// An error response (RFC 6749 §5.2).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

/// One HTTP answer, read completely.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An HTTP client that keeps cookies (per name, for one server) and never follows redirects,
/// so every 302 can be inspected.
pub struct Browser {
    http: reqwest::Client,
    issuer: String,
    cookies: Vec<(String, String)>,
}

/// A client without redirects and with a short timeout, for API calls.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("a client with static settings builds")
}

impl Browser {
    pub fn new(issuer: &str) -> Browser {
        Browser::with_http(issuer, http_client())
    }

    /// A browser speaking through `http` (e.g. one bound to another loopback source address).
    /// `http` must not follow redirects.
    pub fn with_http(issuer: &str, http: reqwest::Client) -> Browser {
        Browser {
            http,
            issuer: issuer.trim_end_matches('/').to_string(),
            cookies: Vec::new(),
        }
    }

    /// The same browser (its cookies) talking to another address: another instance of one
    /// deployment, behind a load balancer that sent the next request elsewhere.
    pub fn on(&self, base_url: &str) -> Browser {
        Browser {
            http: self.http.clone(),
            issuer: base_url.trim_end_matches('/').to_string(),
            cookies: self.cookies.clone(),
        }
    }

    /// Sets a cookie by hand (e.g. Clerk's `__session`).
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Forgets every cookie whose name contains `fragment` (e.g. `"csrf"`).
    pub fn forget_cookies(&mut self, fragment: &str) {
        self.cookies.retain(|(n, _)| !n.contains(fragment));
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.issuer)
        } else {
            url.to_string()
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, resp: reqwest::Response) -> Result<Page, FlowError> {
        for value in resp.headers().get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let Some((name, rest)) = text.split(';').next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let deleted = text.to_ascii_lowercase().contains("max-age=0");
            self.cookies.retain(|(n, _)| n != name.trim());
            if !deleted {
                self.cookies
                    .push((name.trim().to_string(), rest.trim().to_string()));
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await?;
        Ok(Page {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&mut self, url: &str) -> Result<Page, FlowError> {
        let resp = self
            .http
            .get(self.absolute(url))
            .header("cookie", self.cookie_header())
            .send()
            .await?;
        self.read(resp).await
    }

    pub async fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> Result<Page, FlowError> {
        self.post_form_with(url, fields, &[]).await
    }

    /// [`Browser::post_form`] with extra request headers (`Origin`, `Sec-Fetch-Site`, as a
    /// browser sends them).
    pub async fn post_form_with(
        &mut self,
        url: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<Page, FlowError> {
        let mut req = self
            .http
            .post(self.absolute(url))
            .header("cookie", self.cookie_header())
            .form(fields);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await?;
        self.read(resp).await
    }

    /// Signs in on the local login form; afterwards the session cookie is kept.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Result<(), FlowError> {
        let page = self.get("/api/oauth/login").await?;
        let fields = hidden_inputs(&page.body);
        let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        form.push(("username", username));
        form.push(("password", password));
        let answer = self.post_form("/api/oauth/login", &form).await?;
        if answer.status != 303 {
            return Err(FlowError::Unexpected(format!("login answered {}", answer.status)));
        }
        Ok(())
    }

    /// Opens an authorization URL and expects the consent page; returns its form fields
    /// (the authorization parameters and the CSRF token).
    pub async fn consent(&mut self, authorize_url: &str) -> Result<Vec<(String, String)>, FlowError> {
        let page = self.get(authorize_url).await?;
        if page.status != 200 {
            return Err(FlowError::Unexpected(format!(
                "authorize answered {} (Location: {:?})",
                page.status,
                page.location()
            )));
        }
        Ok(hidden_inputs(&page.body))
    }

    /// Submits the consent form with `decision` (`"approve"` or `"deny"`); returns the answer.
    pub async fn decide(&mut self, fields: &[(String, String)], decision: &str) -> Result<Page, FlowError> {
        let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        form.push(("decision", decision));
        self.post_form("/api/oauth/authorize", &form).await
    }

    /// Consent page → Approve → the `code` from the redirect.
    pub async fn authorize(&mut self, authorize_url: &str) -> Result<String, FlowError> {
        let fields = self.consent(authorize_url).await?;
        let answer = self.decide(&fields, "approve").await?;
        let location = answer.location().ok_or_else(|| {
            FlowError::Unexpected(format!("approve answered {} without Location", answer.status))
        })?;
        query_param(location, "code").ok_or_else(|| FlowError::Unexpected(format!("no code in {location}")))
    }
}

/// How a client authenticates at the token and revocation endpoints.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// `none`: `client_id` in the body.
    Public(String),
    /// `client_secret_basic`, with no `client_id` in the body (as the TypeScript SDK does).
    Basic(String, String),
    /// `client_secret_post`.
    Post(String, String),
}

impl ClientAuth {
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::Public(id) | ClientAuth::Basic(id, _) | ClientAuth::Post(id, _) => id,
        }
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
pub fn basic_authorization(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| serde_urlencoded::to_string([("", s)]).unwrap_or_default()[1..].to_string();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret)))
    )
}

/// POSTs `fields` to `endpoint` (token or revocation), authenticated as `auth`.
pub async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    auth: &ClientAuth,
    fields: &[(&str, &str)],
) -> Result<reqwest::Response, reqwest::Error> {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    let mut req = http.post(endpoint);
    match auth {
        ClientAuth::Public(id) => form.push(("client_id", id)),
        ClientAuth::Basic(id, secret) => req = req.header("authorization", basic_authorization(id, secret)),
        ClientAuth::Post(id, secret) => {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
    }
    req.form(&form).send().await
}

/// The authorization-code exchange.
pub async fn exchange_code(
    http: &reqwest::Client,
    issuer: &str,
    auth: &ClientAuth,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(v) = verifier {
        fields.push(("code_verifier", v));
    }
    token_request(http, &format!("{issuer}/api/oauth/token"), auth, &fields).await
}

/// The refresh grant.
pub async fn refresh(
    http: &reqwest::Client,
    issuer: &str,
    auth: &ClientAuth,
    refresh_token: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    token_request(
        http,
        &format!("{issuer}/api/oauth/token"),
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
    )
    .await
}

/// RFC 7009 revocation.
pub async fn revoke(
    http: &reqwest::Client,
    issuer: &str,
    auth: &ClientAuth,
    token: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    token_request(
        http,
        &format!("{issuer}/api/oauth/revoke"),
        auth,
        &[("token", token)],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_inputs_are_read_and_unescaped() {
        let html = r#"<form><input type="hidden" name="state" value="a&amp;b&quot;&lt;"><input type="text" name="u" value="x"><input type="hidden" name="csrf" value="t"></form>"#;
        assert_eq!(
            hidden_inputs(html),
            vec![("state".into(), "a&b\"<".into()), ("csrf".into(), "t".into())]
        );
    }

    #[test]
    fn authorize_url_carries_pkce_and_state() {
        let url = authorize_url(
            "http://127.0.0.1:1",
            &AuthorizeUrl {
                client_id: "c",
                redirect_uri: "http://127.0.0.1:2/cb",
                code_challenge: Some("x"),
                state: Some("s s"),
                ..AuthorizeUrl::default()
            },
        );
        assert_eq!(
            query_param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(query_param(&url, "state").as_deref(), Some("s s"));
        assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        let h = basic_authorization("a:b", "c d");
        let decoded = String::from_utf8(STANDARD.decode(&h[6..]).unwrap()).unwrap();
        assert_eq!(decoded, "a%3Ab:c+d");
    }
}
