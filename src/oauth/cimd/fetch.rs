//! Fetching one document: resolve the host once, judge every address it resolves to, connect
//! only to the address judged, over https, with no redirects, no proxy, short timeouts and a
//! 5 KB body limit read as it arrives.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::Url;

use super::document::{self, ClientDocument};
use super::policy;
use super::{CimdConfig, CimdError};

/// The most a document may weigh (draft-ietf-oauth-client-id-metadata-document §6.6).
pub const MAX_BYTES: usize = 5 * 1024;

/// A validated document and how long its server said it may be kept (`Cache-Control: max-age`).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub document: ClientDocument,
    pub max_age: Option<Duration>,
}

/// Resolves the host of `url` and picks the address to connect to, or says why not. A name
/// that resolves to several addresses is refused if any of them is refused, so that a DNS
/// answer mixing a public and a private address cannot be used to reach the private one.
pub async fn pick_address(config: &CimdConfig, url: &Url) -> Result<SocketAddr, CimdError> {
    let host = url
        .host_str()
        .ok_or(CimdError::Url("the client_id URL has no host"))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let authority = format!("{host}:{port}");
    let trusted = config
        .trusted_hosts
        .iter()
        .any(|t| t.eq_ignore_ascii_case(&authority));
    if !trusted
        && !config.allow_domains.is_empty()
        && !config
            .allow_domains
            .iter()
            .any(|d| policy::within_domain(bare, d))
    {
        return Err(CimdError::DomainNotAllowed(host.to_string()));
    }
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(config.connect_timeout, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| CimdError::Resolve(host.to_string()))?
            .map_err(|_| CimdError::Resolve(host.to_string()))?
            .collect(),
    };
    let first = *addrs
        .first()
        .ok_or_else(|| CimdError::Resolve(host.to_string()))?;
    if trusted {
        return Ok(first);
    }
    if let Some(bad) = addrs.iter().find(|a| !policy::is_public(a.ip())) {
        return Err(CimdError::ForbiddenAddress {
            host: host.to_string(),
            address: bad.ip(),
        });
    }
    Ok(first)
}

/// Fetches and validates the document at `url` (already checked by [`policy::parse_client_id`]).
pub async fn fetch(config: &CimdConfig, url: &Url) -> Result<Fetched, CimdError> {
    let address = pick_address(config, url).await?;
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(config.connect_timeout)
        .timeout(config.total_timeout)
        .user_agent(concat!(
            "mcp-oauth/",
            env!("CARGO_PKG_VERSION"),
            " (client metadata fetch)"
        ));
    if let Some(domain) = url.domain() {
        // Connect to the address judged above, not to whatever a second lookup would say.
        builder = builder.resolve(domain, address);
    }
    for ca in &config.extra_roots {
        builder = builder.add_root_certificate(ca.clone());
    }
    let http = builder.build().map_err(|e| CimdError::Connect(e.to_string()))?;
    let mut response = http
        .get(url.as_str())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(transport_error)?;
    let status = response.status();
    if status.is_redirection() {
        return Err(CimdError::Redirected(status.as_u16()));
    }
    if status != reqwest::StatusCode::OK {
        return Err(CimdError::Status(status.as_u16()));
    }
    let headers = response.headers();
    let json = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")));
    if !json {
        return Err(CimdError::ContentType);
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(CimdError::TooLarge);
    }
    let max_age = headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(max_age);
    let mut body = Vec::with_capacity(1024);
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(CimdError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        document: document::validate(url.as_str(), &body)?,
        max_age,
    })
}

fn transport_error(e: reqwest::Error) -> CimdError {
    if e.is_timeout() {
        CimdError::Timeout
    } else {
        CimdError::Connect(without_url(&e))
    }
}

/// The error's chain of causes without the URL reqwest prefixes (already in the logs).
fn without_url(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s.to_string());
        source = s.source();
    }
    if out.is_empty() {
        out = "connection failed".into();
    }
    out
}

/// `max-age` of a Cache-Control value; `no-store` and `no-cache` count as zero.
pub fn max_age(value: &str) -> Option<Duration> {
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            age = n.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age_is_read() {
        assert_eq!(max_age("public, max-age=600"), Some(Duration::from_secs(600)));
        assert_eq!(max_age("max-age=60, no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_before_any_connection() {
        let config = CimdConfig::default();
        for (url, address) in [
            ("https://127.0.0.1/c", "127.0.0.1"),
            ("https://10.0.0.1/c", "10.0.0.1"),
            ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
            ("https://[::1]/c", "::1"),
            ("https://[::ffff:127.0.0.1]/c", "::ffff:127.0.0.1"),
        ] {
            let url = Url::parse(url).unwrap();
            match pick_address(&config, &url).await {
                Err(CimdError::ForbiddenAddress { address: a, .. }) => assert_eq!(a.to_string(), address),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_trusted_host_may_be_loopback_but_only_on_its_port() {
        let config = CimdConfig {
            trusted_hosts: vec!["127.0.0.1:8443".into()],
            ..CimdConfig::default()
        };
        let ok = Url::parse("https://127.0.0.1:8443/c").unwrap();
        assert_eq!(
            pick_address(&config, &ok).await.unwrap().to_string(),
            "127.0.0.1:8443"
        );
        let other_port = Url::parse("https://127.0.0.1:8444/c").unwrap();
        assert!(matches!(
            pick_address(&config, &other_port).await,
            Err(CimdError::ForbiddenAddress { .. })
        ));
    }

    #[tokio::test]
    async fn hosts_outside_the_allowed_domains_are_refused() {
        let config = CimdConfig {
            allow_domains: vec!["claude.ai".into()],
            ..CimdConfig::default()
        };
        let url = Url::parse("https://evil.example/c").unwrap();
        assert!(matches!(
            pick_address(&config, &url).await,
            Err(CimdError::DomainNotAllowed(_))
        ));
    }
}
