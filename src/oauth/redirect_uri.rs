//! Redirect URI rules: what may be registered, and whether a requested URI matches.
//!
//! OAuth 2.1 §2.3.1 / RFC 9700 §4.1: exact string comparison, no wildcards, no fragments.
//! The one relaxation is RFC 8252 §7.3: for loopback redirect URIs (`http://127.0.0.1`,
//! `http://[::1]`, `http://localhost`) the port is ignored, because native clients (Claude Code,
//! the MCP SDKs) listen on an ephemeral port chosen at run time.
//!
//! Every comparison fails closed: two URIs match only if they are the same string, or both are
//! loopback http URIs that are the same string once their ports are removed. A URI whose scheme or
//! host is not lower case is refused at registration (the stored string is the one compared, and
//! the URL parser would otherwise see `HTTP://LOCALHOST` as the loopback host a browser goes to).
//! A client that registers with an `application_type` (MCP 2026-07-28 asks for it) is held to
//! the rule of its kind ([`validate_for`]), the OpenID Connect Registration §2 rules within
//! MCP's own "https or localhost": `native` redirects only to an `http` loopback address, `web`
//! only to `https` on a host that is not a loopback name. A client that gives none keeps the
//! rule above, so clients written before the field existed keep working.

use url::Url;

use crate::storage::clients::ApplicationType;

/// Why a redirect URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("redirect URI is empty")]
    Empty,
    #[error("redirect URI `{0}` contains whitespace or control characters")]
    ControlCharacters(String),
    #[error("redirect URI `{0}` is not an absolute URL")]
    NotAbsolute(String),
    #[error(
        "redirect URI `{0}` must use https:// (http:// is allowed only for 127.0.0.1, [::1] and localhost)"
    )]
    InsecureScheme(String),
    #[error("redirect URI `{0}` must not contain a fragment (#…)")]
    Fragment(String),
    #[error("redirect URI `{0}` must not contain a wildcard (*)")]
    Wildcard(String),
    #[error("redirect URI `{0}` must not contain a user name or password")]
    Credentials(String),
    #[error("redirect URI `{0}` is longer than {MAX_LEN} characters")]
    TooLong(String),
    #[error("redirect URI `{given}` must have a lower-case scheme and host: register `{lower}`")]
    NotLowerCase { given: String, lower: String },
    #[error(
        "redirect URI `{0}` is not for a native application: use http:// on 127.0.0.1, [::1] or localhost"
    )]
    NotNative(String),
    #[error("redirect URI `{0}` is not for a web application: use https:// on a host other than localhost")]
    NotWeb(String),
}

pub const MAX_LEN: usize = 2000;

/// The Claude.ai connector callbacks, offered as presets by the registration wizard.
pub const CLAUDE_CALLBACKS: [&str; 2] = [
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
];

/// Checks that `uri` may be registered; returns it unchanged (we store exactly what was given).
pub fn validate(uri: &str) -> Result<&str, RedirectUriError> {
    if uri.is_empty() {
        return Err(RedirectUriError::Empty);
    }
    if uri.len() > MAX_LEN {
        return Err(RedirectUriError::TooLong(truncate(uri)));
    }
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(RedirectUriError::ControlCharacters(
            uri.escape_default().to_string(),
        ));
    }
    if uri.contains('#') {
        return Err(RedirectUriError::Fragment(uri.into()));
    }
    if uri.contains('*') {
        return Err(RedirectUriError::Wildcard(uri.into()));
    }
    let parsed = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute(uri.into()))?;
    if let Some(lower) = lower_cased_scheme_and_host(uri) {
        return Err(RedirectUriError::NotLowerCase {
            given: uri.into(),
            lower,
        });
    }
    if parsed.cannot_be_a_base() || parsed.host_str().is_none_or(str::is_empty) {
        return Err(RedirectUriError::NotAbsolute(uri.into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(RedirectUriError::Credentials(uri.into()));
    }
    match parsed.scheme() {
        "https" => Ok(uri),
        "http" if is_loopback_host(&parsed) => Ok(uri),
        _ => Err(RedirectUriError::InsecureScheme(uri.into())),
    }
}

/// `uri` with its scheme and authority lower-cased, if that changes anything.
fn lower_cased_scheme_and_host(uri: &str) -> Option<String> {
    let colon = uri.find(':')?;
    let after_scheme = &uri[colon + 1..];
    let authority_len = after_scheme
        .strip_prefix("//")
        .map(|rest| 2 + rest.find(['/', '?', '#']).unwrap_or(rest.len()))
        .unwrap_or(0);
    let head = &uri[..colon + 1 + authority_len];
    if head.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(format!("{}{}", head.to_ascii_lowercase(), &uri[head.len()..]))
    } else {
        None
    }
}

/// [`validate`], then the rule of the client's `application_type` when it gave one.
pub fn validate_for(uri: &str, application_type: Option<ApplicationType>) -> Result<&str, RedirectUriError> {
    validate(uri)?;
    let Some(kind) = application_type else {
        return Ok(uri);
    };
    let parsed = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute(uri.into()))?;
    let loopback = is_loopback_host(&parsed);
    match kind {
        ApplicationType::Native if parsed.scheme() == "http" && loopback => Ok(uri),
        ApplicationType::Native => Err(RedirectUriError::NotNative(uri.into())),
        ApplicationType::Web if parsed.scheme() == "https" && !loopback => Ok(uri),
        ApplicationType::Web => Err(RedirectUriError::NotWeb(uri.into())),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).chain("…".chars()).collect()
}

/// Does `uri` send the user back to their own machine (a loopback host)?
pub fn is_loopback(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| is_loopback_host(&u))
}

fn is_loopback_host(url: &Url) -> bool {
    matches!(
        url.host_str(),
        Some("127.0.0.1") | Some("[::1]") | Some("localhost")
    )
}

/// Is `requested` (from an authorization or token request) the registered URI `registered`?
/// Exact string equality, or for loopback http URIs the same URI on any port.
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    if requested.chars().any(|c| c.is_control() || c.is_whitespace()) || requested.contains('#') {
        return false;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    // Only the port may differ; everything else must be byte-identical once the port is removed,
    // so that no normalisation by the URL parser (case, dot segments, percent-encoding) can make
    // two different strings match.
    if !(reg.scheme() == "http"
        && req.scheme() == "http"
        && is_loopback_host(&reg)
        && is_loopback_host(&req)
        && req.username().is_empty()
        && req.password().is_none())
    {
        return false;
    }
    // Both must be readable as `http://host[:port]…`: two unreadable strings are not "equal".
    match (strip_port(registered), strip_port(requested)) {
        (Some(reg), Some(req)) => reg == req,
        _ => false,
    }
}

/// `http://127.0.0.1:5555/cb` → `http://127.0.0.1/cb`, on the raw string.
fn strip_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, port) = authority.split_at(close + 1);
        if !(port.is_empty() || (port.starts_with(':') && port[1..].chars().all(|c| c.is_ascii_digit()))) {
            return None;
        }
        host
    } else {
        match authority.split_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            Some(_) => return None,
            None => authority,
        }
    };
    Some(format!("http://{host}{tail}"))
}

/// A string fit to put in a redirect URI's query, with `key=value` pairs appended
/// (`?` or `&` as needed). Values are form-encoded.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_allowed() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://[::1]/cb",
            "http://localhost:8080/oauth/callback?x=1",
        ] {
            assert_eq!(validate(ok), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn open_redirect_shapes_are_refused_at_registration() {
        assert!(matches!(
            validate("http://evil.example/cb"),
            Err(RedirectUriError::InsecureScheme(_))
        ));
        assert!(matches!(
            validate("javascript:alert(1)"),
            Err(RedirectUriError::NotAbsolute(_) | RedirectUriError::InsecureScheme(_))
        ));
        assert!(matches!(
            validate("https://a.example/cb#frag"),
            Err(RedirectUriError::Fragment(_))
        ));
        assert!(matches!(
            validate("https://*.example/cb"),
            Err(RedirectUriError::Wildcard(_))
        ));
        assert!(matches!(
            validate("https://a.example/cb\r\nX: y"),
            Err(RedirectUriError::ControlCharacters(_))
        ));
        assert!(matches!(
            validate("https://user:pw@a.example/cb"),
            Err(RedirectUriError::Credentials(_))
        ));
        assert!(matches!(
            validate("/relative"),
            Err(RedirectUriError::NotAbsolute(_))
        ));
        assert!(matches!(
            validate("http://localhost.evil.example/cb"),
            Err(RedirectUriError::InsecureScheme(_))
        ));
    }

    #[test]
    fn native_clients_redirect_to_loopback_and_web_clients_to_public_https() {
        let native = Some(ApplicationType::Native);
        let web = Some(ApplicationType::Web);
        for ok in [
            "http://127.0.0.1:33418/callback",
            "http://[::1]/cb",
            "http://localhost/cb",
        ] {
            assert_eq!(validate_for(ok, native), Ok(ok));
            assert!(
                matches!(validate_for(ok, web), Err(RedirectUriError::NotWeb(_))),
                "{ok}"
            );
            assert_eq!(validate_for(ok, None), Ok(ok));
        }
        let public = "https://claude.ai/api/mcp/auth_callback";
        assert_eq!(validate_for(public, web), Ok(public));
        assert_eq!(validate_for(public, None), Ok(public));
        assert!(matches!(
            validate_for(public, native),
            Err(RedirectUriError::NotNative(_))
        ));
        assert!(matches!(
            validate_for("https://localhost/cb", web),
            Err(RedirectUriError::NotWeb(_))
        ));
        assert!(matches!(
            validate_for("http://evil.example/cb", native),
            Err(RedirectUriError::InsecureScheme(_))
        ));
    }

    #[test]
    fn matching_is_exact_except_loopback_ports() {
        let reg = "https://claude.ai/api/mcp/auth_callback";
        assert!(matches(reg, reg));
        assert!(!matches(reg, "https://claude.ai/api/mcp/auth_callback/"));
        assert!(!matches(reg, "https://Claude.ai/api/mcp/auth_callback"));
        assert!(!matches(reg, "https://claude.ai/api/mcp/Auth_callback"));
        assert!(!matches(reg, "https://claude.ai:443/api/mcp/auth_callback"));
        assert!(matches("http://127.0.0.1/cb", "http://127.0.0.1:49152/cb"));
        assert!(matches("http://127.0.0.1:1234/cb", "http://127.0.0.1:49152/cb"));
        assert!(matches("http://[::1]:1/cb", "http://[::1]:2/cb"));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:49152/cb/../x"));
        assert!(!matches("http://127.0.0.1/cb", "http://localhost:49152/cb"));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:49152/CB"));
        assert!(!matches("http://127.0.0.1/cb", "http://u@127.0.0.1:49152/cb"));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:49152/cb#x"));
    }

    #[test]
    fn upper_case_schemes_and_hosts_are_refused_with_the_lower_case_form() {
        assert_eq!(
            validate("HTTP://127.0.0.1/cb"),
            Err(RedirectUriError::NotLowerCase {
                given: "HTTP://127.0.0.1/cb".into(),
                lower: "http://127.0.0.1/cb".into()
            })
        );
        assert!(matches!(
            validate("https://Claude.ai/api/mcp/auth_callback"),
            Err(RedirectUriError::NotLowerCase { .. })
        ));
        assert!(matches!(
            validate("http://LOCALHOST:8080/cb"),
            Err(RedirectUriError::NotLowerCase { .. })
        ));
        // The path and query keep their case.
        assert_eq!(
            validate("https://a.example/CB?X=Y"),
            Ok("https://a.example/CB?X=Y")
        );
    }

    #[test]
    fn unparseable_loopback_uris_never_match_each_other() {
        // Stored before registration refused them: only the identical string matches.
        assert!(!matches("HTTP://127.0.0.1/cb", "HTTP://localhost:4444/anything"));
        assert!(!matches("HTTP://127.0.0.1/cb", "HTTP://127.0.0.1:4444/cb"));
        assert!(!matches("http://127.0.0.1/cb", "HTTP://127.0.0.1:4444/cb"));
        assert!(!matches("http://127.0.0.1:x/cb", "http://localhost:y/other"));
        assert!(!matches("http://[::1]x/cb", "http://[::1]y/other"));
        assert!(matches("HTTP://127.0.0.1/cb", "HTTP://127.0.0.1/cb"));
    }

    #[test]
    fn query_is_appended_with_the_right_separator() {
        assert_eq!(
            with_query("https://a/cb", &[("code", "x y"), ("state", "s&t")]),
            "https://a/cb?code=x+y&state=s%26t"
        );
        assert_eq!(
            with_query("https://a/cb?k=v", &[("code", "c")]),
            "https://a/cb?k=v&code=c"
        );
    }
}
