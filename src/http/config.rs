//! What `serve` was told: issuer, lifetimes, login mode and abuse limits.

use std::net::SocketAddr;
use std::time::Duration;

/// Who is at the consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoginMode {
    /// Accounts kept in the database (`mcp-oauth user add`), with a login form.
    Local,
    /// A Clerk session JWT in the `__session` cookie.
    Clerk,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The public base URL, byte-identical in every document and `iss` parameter; no trailing slash.
    pub issuer: String,
    pub login: LoginMode,
    /// Origins allowed by CORS and by the MCP endpoint's Origin check (besides the issuer's own).
    pub cors_origins: Vec<String>,
    pub registration_enabled: bool,
    pub code_ttl: Duration,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long the immediately previous refresh token stays usable after rotation.
    pub refresh_grace: Duration,
    /// Take the client address from the right-most `X-Forwarded-For` entry, the one the
    /// trusted proxy wrote (only behind a proxy that sets it); see [`super::body::client_ip`].
    pub trust_proxy: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Rate limits on failures and registrations.
    pub limits: AbuseLimits,
    /// A request not answered by then gets 503: a database that accepts connections but never
    /// answers must not hold clients (and their connections) forever.
    pub request_timeout: Duration,
    /// How long a validated access token is trusted without asking the database again: the
    /// longest a revocation made elsewhere (another instance, the CLI) takes to apply here.
    /// Zero: ask on every request.
    pub revocation_lag: Duration,
    /// Host names (`NAME` or `NAME:PORT`) answered besides the issuer's authority and the
    /// listen address (see [`super::host_check`]).
    pub allowed_hosts: Vec<String>,
    /// Client ID Metadata Documents: whether accepted, and where they may be fetched from.
    pub cimd: crate::oauth::cimd::CimdConfig,
    /// The authorization server is on (`serve --oauth on`); off, every OAuth route answers
    /// 503 (see [`super::oauth_off`]) and `/api/mcp` accepts Clerk session tokens only.
    pub oauth_enabled: bool,
    /// With OAuth off, `/api/mcp` still accepts `mcp_at_` access tokens issued before.
    pub oauth_off_accepts_issued_tokens: bool,
}

/// `burst` events at once, refilled evenly over `per` (a token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per: Duration,
}

impl Rate {
    pub const fn new(burst: u32, per: Duration) -> Rate {
        Rate { burst, per }
    }
}

/// Per-process limits (each instance behind a load balancer counts on its own). "Address" is
/// an IPv4 address or an IPv6 /64 (see [`super::rate_limit`]); no limit is keyed by a name alone,
/// so failures from one address never throttle the same client or user elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbuseLimits {
    /// Failed client authentications per address and client_id.
    pub failed_client_auth: Rate,
    /// Failed client authentications per address, whatever client_id they name.
    pub failed_client_auth_per_address: Rate,
    /// Failed logins per address and user name.
    pub failed_login: Rate,
    /// Failed logins per address, whatever user name they name.
    pub failed_login_per_address: Rate,
    /// Dynamic registrations per address (Claude.ai registers twice per connection attempt,
    /// and again after any `invalid_client`).
    pub registration: Rate,
    /// Dynamic registrations from all addresses together: the ceiling on what unauthenticated
    /// strangers can make the server store and hash, however many addresses they have.
    pub registration_global: Rate,
    /// Dynamic registrations being handled at once; past it, 429 at once.
    pub registration_concurrency: usize,
}

impl Default for AbuseLimits {
    fn default() -> AbuseLimits {
        AbuseLimits {
            failed_client_auth: Rate::new(10, Duration::from_secs(60)),
            failed_client_auth_per_address: Rate::new(30, Duration::from_secs(60)),
            failed_login: Rate::new(10, Duration::from_secs(300)),
            failed_login_per_address: Rate::new(30, Duration::from_secs(300)),
            registration: Rate::new(30, Duration::from_secs(3600)),
            registration_global: Rate::new(60, Duration::from_secs(600)),
            registration_concurrency: 8,
        }
    }
}

impl ServerConfig {
    /// Defaults for a server reached at `listen`, as `serve` uses them; tests start from this.
    pub fn for_listener(listen: SocketAddr) -> ServerConfig {
        ServerConfig {
            issuer: format!("http://{listen}"),
            login: LoginMode::Local,
            cors_origins: Vec::new(),
            registration_enabled: true,
            code_ttl: Duration::from_secs(10 * 60),
            access_ttl: Duration::from_secs(60 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            refresh_grace: Duration::from_secs(60),
            trust_proxy: false,
            max_body_bytes: 64 * 1024,
            limits: AbuseLimits::default(),
            request_timeout: Duration::from_secs(15),
            revocation_lag: Duration::ZERO,
            allowed_hosts: Vec::new(),
            cimd: crate::oauth::cimd::CimdConfig::default(),
            oauth_enabled: true,
            oauth_off_accepts_issued_tokens: false,
        }
    }

    /// `<issuer>/api/mcp`, the resource every token is bound to (RFC 8707).
    pub fn resource(&self) -> String {
        crate::oauth::resource::for_issuer(&self.issuer)
    }

    /// The issuer's origin (`scheme://host[:port]`), what a same-origin form post carries.
    pub fn issuer_origin(&self) -> String {
        url::Url::parse(&self.issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| self.issuer.clone())
    }

    /// Whether `/api/mcp` accepts the `mcp_at_` access tokens this server issued.
    pub fn accepts_access_tokens(&self) -> bool {
        self.oauth_enabled || self.oauth_off_accepts_issued_tokens
    }

    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The grant lifetimes in whole seconds.
    pub fn lifetimes(&self) -> crate::oauth::grants::Lifetimes {
        use crate::clock::seconds;
        crate::oauth::grants::Lifetimes {
            code: seconds(self.code_ttl),
            access: seconds(self.access_ttl),
            refresh: seconds(self.refresh_ttl),
            refresh_grace: seconds(self.refresh_grace),
        }
    }
}
