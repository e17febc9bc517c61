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
