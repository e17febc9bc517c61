//! What is being verified, and how to reach it.

use std::time::Duration;

/// A deployment (or this build, started in-process) and what `verify` was given about it.
pub struct Target {
    /// The issuer as `verify` reaches it; the server must announce exactly this string.
    pub issuer: String,
    /// Redirects are never followed: where a server redirects is part of what is checked.
    pub http: reqwest::Client,
    /// Origins the deployment is expected to allow (`verify --cors-origin`).
    pub expect_cors_origins: Vec<String>,
}

impl Target {
    pub fn new(issuer: &str, timeout: Duration) -> reqwest::Result<Target> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent(concat!("mcp-oauth-verify/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Target {
            issuer: issuer.trim_end_matches('/').to_string(),
            http,
            expect_cors_origins: Vec::new(),
        })
    }

    /// `path` (starting with `/`) on the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// An error as one short line: for an HTTP failure, what went wrong underneath (connection
/// refused, a certificate, a timeout) rather than reqwest's "error sending request for url …",
/// which repeats the URL the reason already names.
pub fn why(e: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = e;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let mut chain = Some(e);
    let mut http = None;
    while let Some(err) = chain {
        if let Some(r) = err.downcast_ref::<reqwest::Error>() {
            http = Some(r);
            break;
        }
        chain = err.source();
    }
    match http {
        Some(r) if r.is_timeout() => "timed out (--timeout)".into(),
        Some(r) if r.is_connect() => format!("cannot connect: {innermost}"),
        Some(_) => innermost.to_string(),
        None => e.to_string(),
    }
}
