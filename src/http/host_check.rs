//! Which `Host` a request may name (DNS-rebinding protection).
//!
//! A page on `evil.example` whose name an attacker re-points at this server's address makes a
//! browser send `Host: evil.example` (with the victim's network position, and with cookies for
//! that name only). Such a request is answered 421 Misdirected Request before any handler runs.
//! Allowed are:
//! - the issuer's authority (`host[:port]`; no port means the scheme's default port),
//! - the address the connection was accepted on (`127.0.0.1:8080`, as a client that dials the
//!   listen address sends it; on a loopback address also `localhost` with that port),
//! - each `--allowed-host` (`NAME` for any port, `NAME:PORT` for that port only).
//!
//! Names compare case-insensitively. The probes (`/healthz`, `/readyz`, `/metrics`) are not
//! checked, so load balancers and monitoring may call them by any name. Behind a reverse proxy
//! the proxy must pass the public name on (nginx: `proxy_set_header Host $host;`), or add the
//! name the proxy sends with `--allowed-host`.

use std::net::{IpAddr, SocketAddr};

/// A `Host` value split into a lower-cased name (IPv6 literals keep their brackets) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    host: String,
    port: Option<u16>,
}

impl Authority {
    fn parse(value: &str) -> Option<Authority> {
        let value = value.trim();
        if value.is_empty()
            || value
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || "/?#@\\".contains(c))
        {
            return None;
        }
        let (host, port) = if value.starts_with('[') {
            let close = value.find(']')?;
            let (host, rest) = value.split_at(close + 1);
            match rest {
                "" => (host, None),
                _ => (host, Some(rest.strip_prefix(':')?)),
            }
        } else {
            match value.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (value, None),
            }
        };
        if host.is_empty() || host.contains(':') && !host.starts_with('[') {
            return None;
        }
        let port = match port {
            None => None,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
            Some(_) => return None,
        };
        // A trailing dot names the same host ("example.com." is "example.com").
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        Some(Authority { host, port })
    }
}

/// The hosts this server answers to, computed once from the configuration.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    /// The issuer's host, its port (explicit or the scheme's default) and its scheme's default
    /// port (what a `Host` without a port means).
    issuer: Option<(String, u16, u16)>,
    /// `--allowed-host` entries; a `None` port matches any port.
    extra: Vec<Authority>,
}

/// What a bad `--allowed-host` looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--allowed-host `{0}` is not a host name or HOST:PORT")]
pub struct BadAllowedHost(pub String);

/// Checks one `--allowed-host` value (what `serve` does before starting).
pub fn check_allowed_host(value: &str) -> Result<(), BadAllowedHost> {
    Authority::parse(value)
        .map(|_| ())
        .ok_or_else(|| BadAllowedHost(value.to_string()))
}

/// The connection's local address, set by the server on every request beside the peer's.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

impl AllowedHosts {
    /// From the issuer and the `--allowed-host` values; a value [`check_allowed_host`] refuses
    /// allows nothing.
    pub fn new(issuer: &str, allowed_hosts: &[String]) -> AllowedHosts {
        let issuer = url::Url::parse(issuer).ok().and_then(|u| {
            let host = match u.host()? {
                url::Host::Ipv6(ip) => format!("[{ip}]"),
                other => other.to_string().to_ascii_lowercase(),
            };
            let default = if u.scheme() == "https" { 443 } else { 80 };
            Some((host, u.port_or_known_default()?, default))
        });
        let extra = allowed_hosts.iter().filter_map(|h| Authority::parse(h)).collect();
        AllowedHosts { issuer, extra }
    }

    /// Does a request that named `host` (the `Host` header, or the request target's authority)
    /// on a connection accepted at `local` belong here? A missing or unreadable host does not.
    pub fn allows(&self, host: Option<&str>, local: Option<SocketAddr>) -> bool {
        let Some(asked) = host.and_then(Authority::parse) else {
            return false;
        };
        if let Some((issuer_host, issuer_port, default_port)) = &self.issuer {
            if asked.host == *issuer_host && asked.port.unwrap_or(*default_port) == *issuer_port {
                return true;
            }
        }
        if let Some(local) = local {
            // A dual-stack socket sees an IPv4 client's connection at `::ffff:a.b.c.d`, which
            // that client calls `a.b.c.d`.
            let ip = local.ip().to_canonical();
            let local_host = match ip {
                IpAddr::V4(ip) => ip.to_string(),
                IpAddr::V6(ip) => format!("[{ip}]"),
            };
            // This server speaks plain http itself: no port means 80. On a loopback address,
            // `localhost` names the same socket: only a page already served from localhost can
            // make a browser send it, so it is no rebinding.
            let same_name = asked.host == local_host || (ip.is_loopback() && asked.host == "localhost");
            if same_name && asked.port.unwrap_or(80) == local.port() {
                return true;
            }
        }
        self.extra
            .iter()
            .any(|a| a.host == asked.host && a.port.is_none_or(|p| Some(p) == asked.port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Option<SocketAddr> {
        Some("127.0.0.1:8080".parse().unwrap())
    }

    #[test]
    fn the_issuer_authority_is_allowed_with_or_without_its_default_port() {
        let a = AllowedHosts::new("https://mem.example", &[]);
        assert!(a.allows(Some("mem.example"), local()));
        assert!(a.allows(Some("MEM.example:443"), local()));
        assert!(a.allows(Some("mem.example."), local()));
        assert!(!a.allows(Some("mem.example:8443"), local()));
        assert!(!a.allows(Some("mem.example.evil.example"), local()));
    }

    #[test]
    fn a_rebound_name_is_refused() {
        let a = AllowedHosts::new("http://127.0.0.1:8080", &[]);
        assert!(a.allows(Some("127.0.0.1:8080"), local()));
        assert!(!a.allows(Some("evil.example:8080"), local()));
        assert!(!a.allows(Some("evil.example"), local()));
        assert!(!a.allows(Some("127.0.0.1:9999"), local()));
        assert!(!a.allows(Some("localhost:9999"), local()));
        assert!(!a.allows(None, local()));
        assert!(!a.allows(Some(""), local()));
        assert!(!a.allows(Some("127.0.0.1:8080@evil.example"), local()));
    }

    #[test]
    fn the_accepting_address_is_allowed() {
        let a = AllowedHosts::new("https://mem.example", &[]);
        assert!(a.allows(Some("127.0.0.1:8080"), local()));
        assert!(!a.allows(Some("127.0.0.1"), local()));
        let v6 = Some("[::1]:8080".parse().unwrap());
        assert!(a.allows(Some("[::1]:8080"), v6));
        assert!(!a.allows(Some("[::2]:8080"), v6));
        // `localhost` is the loopback listener's own name, never a public address's.
        assert!(a.allows(Some("localhost:8080"), local()));
        assert!(a.allows(Some("localhost:8080"), v6));
        let mapped = Some("[::ffff:127.0.0.1]:8080".parse().unwrap());
        assert!(a.allows(Some("127.0.0.1:8080"), mapped));
        assert!(a.allows(Some("localhost:8080"), mapped));
        let public = Some("10.0.0.5:8080".parse().unwrap());
        assert!(a.allows(Some("10.0.0.5:8080"), public));
        assert!(!a.allows(Some("localhost:8080"), public));
    }

    #[test]
    fn allowed_hosts_match_any_port_or_the_given_one() {
        let a = AllowedHosts::new(
            "https://mem.example",
            &["localhost".into(), "internal.example:9000".into()],
        );
        assert!(a.allows(Some("localhost:8080"), local()));
        assert!(a.allows(Some("LOCALHOST"), local()));
        assert!(a.allows(Some("internal.example:9000"), local()));
        assert!(!a.allows(Some("internal.example:9001"), local()));
        assert!(!a.allows(Some("internal.example"), local()));
        assert!(check_allowed_host("a b").is_err());
        assert!(check_allowed_host("https://x").is_err());
        assert!(check_allowed_host("x:port").is_err());
        assert!(check_allowed_host("[::1]:8080").is_ok());
    }
}
