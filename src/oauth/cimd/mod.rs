//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the
//! registration MCP 2026-07-28 prefers): a client whose `client_id` is an https URL is described
//! by the JSON document at that URL, which this server fetches.
//!
//! One lookup for the flows, [`Resolver::lookup`]: client_id URL in, validated
//! [`ClientDocument`] or a typed [`CimdError`] out. Behind it:
//! - [`policy`]: the URL rules and the address policy (what may be fetched);
//! - [`fetch`]: one fetch, pinned to the address the policy judged;
//! - [`document`]: the rules the document must pass;
//! - a per-process cache that keeps a valid document as long as its `Cache-Control: max-age`
//!   says, within [`MIN_TTL`]..[`MAX_TTL`], and never keeps an error or invalid document;
//! - a per-host limit on fetches, so that nobody can make this server hammer a host.

pub mod document;
pub mod fetch;
pub mod policy;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use document::ClientDocument;

/// Shortest time a fetched document is kept, whatever its cache headers say.
pub const MIN_TTL: Duration = Duration::from_secs(5 * 60);
/// Longest time a fetched document is kept before it is fetched again.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Fetches allowed per host in a minute (cached answers do not count).
pub const FETCHES_PER_HOST_PER_MINUTE: u32 = 20;
/// Documents kept at most; when full the cache starts over.
const CACHE_CAPACITY: usize = 1000;

/// What `serve` was told about client metadata documents.
#[derive(Debug, Clone)]
pub struct CimdConfig {
    /// `--cimd on|off`.
    pub enabled: bool,
    /// `--cimd-allow-domain`: only hosts at or below these are fetched; empty means any public host.
    pub allow_domains: Vec<String>,
    /// `--cimd-trusted-host HOST:PORT`: fetched even though they resolve to a loopback or
    /// private address (tests, private networks).
    pub trusted_hosts: Vec<String>,
    /// `--extra-ca-file`: certificate authorities trusted besides the bundled roots.
    pub extra_roots: Vec<reqwest::Certificate>,
    pub connect_timeout: Duration,
    /// For the whole fetch, body included.
    pub total_timeout: Duration,
}

impl Default for CimdConfig {
    fn default() -> CimdConfig {
        CimdConfig {
            enabled: true,
            allow_domains: Vec::new(),
            trusted_hosts: Vec::new(),
            extra_roots: Vec::new(),
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a client_id URL does not name a usable client. The messages are shown to the user on
/// the error page and name no internal detail beyond the refused address.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CimdError {
    #[error("{0}")]
    Url(&'static str),
    #[error("this server does not accept client metadata documents")]
    Disabled,
    #[error("client metadata documents from {0} are not accepted here")]
    DomainNotAllowed(String),
    #[error("the host of the client_id URL ({0}) could not be resolved")]
    Resolve(String),
    /// The address is logged, not shown: for a name, the page would otherwise tell any
    /// signed-in user what this server's resolver answers for internal names.
    #[error("the client_id URL's host {host} is not at a public address: not fetched")]
    ForbiddenAddress { host: String, address: IpAddr },
    #[error("the client metadata document could not be fetched ({0})")]
    Connect(String),
    #[error("the client metadata document took too long to arrive")]
    Timeout,
    #[error("the client metadata document URL answered with a redirect ({0}), which is not followed")]
    Redirected(u16),
    #[error("the client metadata document URL answered with status {0}")]
    Status(u16),
    #[error("the client metadata document is not served as application/json")]
    ContentType,
    #[error("the client metadata document is larger than 5 KB")]
    TooLarge,
    #[error("the client metadata document is invalid: {0}")]
    Invalid(&'static str),
    #[error("too many client metadata documents fetched from this host; try again in a minute")]
    RateLimited,
}

struct Cached {
    document: Arc<ClientDocument>,
    until: Instant,
}

/// The lookup the authorization flow calls; one per process.
pub struct Resolver {
    config: CimdConfig,
    cache: Mutex<HashMap<String, Cached>>,
    fetches: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Resolver {
    pub fn new(config: CimdConfig) -> Resolver {
        Resolver {
            config,
            cache: Mutex::new(HashMap::new()),
            fetches: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// The validated document for `client_id`, from the cache while fresh, else fetched.
    pub async fn lookup(&self, client_id: &str) -> Result<Arc<ClientDocument>, CimdError> {
        if !self.config.enabled {
            return Err(CimdError::Disabled);
        }
        let url = policy::parse_client_id(client_id).map_err(CimdError::Url)?;
        let now = Instant::now();
        if let Some(hit) = lock(&self.cache).get(client_id).filter(|c| c.until > now) {
            return Ok(hit.document.clone());
        }
        self.count_fetch(url.host_str().unwrap_or_default(), now)?;
        let result = fetch::fetch(&self.config, &url).await;
        let fetched = match result {
            Ok(f) => f,
            Err(e) => {
                let address = match &e {
                    CimdError::ForbiddenAddress { address, .. } => Some(address.to_string()),
                    _ => None,
                };
                tracing::warn!(client_id, error = %e, address, "client metadata document refused");
                return Err(e);
            }
        };
        let ttl = cache_ttl(fetched.max_age);
        let document = Arc::new(fetched.document);
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(
            client_id.to_string(),
            Cached {
                document: document.clone(),
                until: now + ttl,
            },
        );
        tracing::info!(
            client_id,
            ttl_s = ttl.as_secs(),
            "client metadata document fetched"
        );
        Ok(document)
    }

    fn count_fetch(&self, host: &str, now: Instant) -> Result<(), CimdError> {
        let mut fetches = lock(&self.fetches);
        if fetches.len() >= CACHE_CAPACITY {
            fetches.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = fetches.entry(host.to_ascii_lowercase()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= FETCHES_PER_HOST_PER_MINUTE {
            return Err(CimdError::RateLimited);
        }
        entry.1 += 1;
        Ok(())
    }
}

/// How long a document is kept: its `max-age` within [`MIN_TTL`]..[`MAX_TTL`]; the minimum
/// when it gives none (or `no-store`), so that a busy client costs one fetch per few minutes.
pub fn cache_ttl(max_age: Option<Duration>) -> Duration {
    max_age.unwrap_or(MIN_TTL).clamp(MIN_TTL, MAX_TTL)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_kept_for_their_max_age_within_bounds() {
        assert_eq!(cache_ttl(None), MIN_TTL);
        assert_eq!(cache_ttl(Some(Duration::ZERO)), MIN_TTL);
        assert_eq!(
            cache_ttl(Some(Duration::from_secs(3600))),
            Duration::from_secs(3600)
        );
        assert_eq!(cache_ttl(Some(Duration::from_secs(7 * 86400))), MAX_TTL);
    }
}
