//! What may be fetched: the client_id URL rules (draft-ietf-oauth-client-id-metadata-document
//! §3) and the address policy applied to every address the host resolves to.
//!
//! The address policy refuses every address that is not a public unicast address: loopback,
//! RFC 1918 private ranges, link-local (169.254/16, where cloud metadata services answer),
//! carrier-grade NAT (100.64/10), the unspecified, broadcast, multicast, documentation,
//! benchmarking and reserved ranges, IPv6 unique-local (fc00::/7), link-local and site-local,
//! and every IPv6 form that embeds an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4)
//! when the embedded address is refused. Teredo is refused outright.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

/// Does this client_id claim to be a metadata document URL? Client ids this server generates
/// never start with `https://`, so every one that does is treated as one (and refused if it
/// breaks a rule below).
pub fn looks_like_document_url(client_id: &str) -> bool {
    client_id
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// Checks a client_id URL: https, a host, a path other than `/`, no fragment, no user name or
/// password, no `.` or `..` segments, and written in the URL parser's canonical form (so the
/// string compared with the document's `client_id` is the one that was fetched).
pub fn parse_client_id(client_id: &str) -> Result<Url, &'static str> {
    if client_id.len() > 2000 {
        return Err("the client_id URL is too long");
    }
    if client_id.contains('#') {
        return Err("the client_id URL must not have a fragment");
    }
    let url = Url::parse(client_id).map_err(|_| "the client_id is not a valid URL")?;
    if url.scheme() != "https" {
        return Err("the client_id URL must use https");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the client_id URL must not contain a user name or password");
    }
    if url.host().is_none() {
        return Err("the client_id URL has no host");
    }
    // The parser removes dot segments, so look at what was written.
    let after_scheme = &client_id["https://".len()..];
    let raw_path = after_scheme.find('/').map(|i| &after_scheme[i..]).unwrap_or("");
    let raw_path = raw_path.split('?').next().unwrap_or("");
    if raw_path.split('/').any(|s| {
        let s = s.to_ascii_lowercase();
        s == "." || s == ".." || s == "%2e" || s == "%2e%2e" || s == ".%2e" || s == "%2e."
    }) {
        return Err("the client_id URL must not contain . or .. path segments");
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err("the client_id URL must have a path");
    }
    if url.as_str() != client_id {
        return Err(
            "the client_id URL is not in canonical form (lower-case scheme and host, no default port)",
        );
    }
    Ok(url)
}

/// May the server connect to `ip` to fetch a client's document?
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0                                  // "this network", 0.0.0.0
        || a == 10                                        // RFC 1918
        || a == 127                                       // loopback
        || (a == 100 && (64..128).contains(&b))           // CGNAT 100.64/10
        || (a == 169 && b == 254)                         // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))            // RFC 1918
        || (a == 192 && b == 168)                         // RFC 1918
        || (a == 192 && b == 0 && c == 0)                 // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                 // TEST-NET-1
        || (a == 198 && (18..20).contains(&b))            // benchmarking
        || (a == 198 && b == 51 && c == 100)              // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)               // TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || s[0] & 0xff00 == 0xff00                        // multicast
        || s[0] & 0xfe00 == 0xfc00                        // unique local fc00::/7
        || s[0] & 0xffc0 == 0xfe80                        // link-local
        || s[0] & 0xffc0 == 0xfec0                        // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8)             // documentation
        || (s[0] == 0x2001 && s[1] == 0)                  // Teredo
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])       // discard-only 100::/64
        || s[0] == 0; // anything else under ::/16 is not global unicast
    !refused
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..5] == [0, 0, 0, 0, 0]
        && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified()))
    {
        return Some(tail);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

/// Is `host` (a DNS name) `domain` or below it? Both lower case, compared by labels.
pub fn within_domain(host: &str, domain: &str) -> bool {
    let domain = domain.trim_start_matches('.').trim_end_matches('.');
    let host = host.trim_end_matches('.');
    !domain.is_empty()
        && (host.eq_ignore_ascii_case(domain)
            || host
                .len()
                .checked_sub(domain.len() + 1)
                .is_some_and(|i| host.as_bytes()[i] == b'.' && host[i + 1..].eq_ignore_ascii_case(domain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn loopback_private_link_local_and_cgnat_v4_are_refused() {
        for a in [
            "127.0.0.1",
            "127.255.0.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
        ] {
            assert!(!public(a), "{a} must be refused");
        }
    }

    #[test]
    fn public_v4_is_allowed_next_to_the_refused_ranges() {
        for a in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "1.1.1.1",
        ] {
            assert!(public(a), "{a} must be allowed");
        }
    }

    #[test]
    fn loopback_ula_link_local_multicast_v6_are_refused() {
        for a in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "fec0::1",
            "2001:db8::1",
            "2001::1",
        ] {
            assert!(!public(a), "{a} must be refused");
        }
        assert!(public("2606:4700::1111"));
    }

    #[test]
    fn ipv4_embedded_in_ipv6_is_judged_as_ipv4() {
        for a in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(!public(a), "{a} must be refused");
        }
        assert!(public("::ffff:8.8.8.8"));
        assert!(public("2002:0808:0808::1"));
    }

    #[test]
    fn client_id_urls_follow_the_draft_rules() {
        assert!(parse_client_id("https://app.example.com/oauth/client.json").is_ok());
        assert!(parse_client_id("https://app.example.com:8443/c").is_ok());
        for bad in [
            "http://app.example.com/client.json",
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/c#frag",
            "https://user:pw@app.example.com/c",
            "https://user@app.example.com/c",
            "https://app.example.com/a/../c",
            "https://app.example.com/./c",
            "https://app.example.com/a/%2e%2e/c",
            "https://APP.example.com/c",
            "https://app.example.com:443/c",
            "not a url",
        ] {
            assert!(parse_client_id(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn document_urls_are_recognised_by_their_scheme() {
        assert!(looks_like_document_url("https://a.example/c"));
        assert!(looks_like_document_url("HTTPS://a.example/c"));
        assert!(!looks_like_document_url("mcp_client_abc"));
        assert!(!looks_like_document_url("http://a.example/c"));
    }

    #[test]
    fn domain_allow_list_matches_whole_labels() {
        assert!(within_domain("claude.ai", "claude.ai"));
        assert!(within_domain("a.claude.ai", "claude.ai"));
        assert!(!within_domain("evilclaude.ai", "claude.ai"));
        assert!(!within_domain("claude.ai.evil.example", "claude.ai"));
    }
}
