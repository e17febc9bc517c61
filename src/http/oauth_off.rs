//! The kill switch, `serve --oauth off`: the authorization server is switched off while the MCP
//! endpoint keeps serving Clerk session tokens ("immediate rollback: OAuth endpoints disabled,
//! existing Clerk auth still works").
//!
//! Off, every OAuth route answers 503 with `Retry-After` before any handler runs (so nothing
//! is read, written or hashed): the two metadata documents, token, revoke and register with the
//! RFC 6749 §5.2 JSON error `temporarily_unavailable` (the code RFC 6749 §4.1.2.1 and RFC 7009
//! §2.2.1 name for exactly this); the browser pages (authorize/consent, login, connections,
//! sign-out) with a readable HTML page, and authorize with the JSON error when the client does
//! not ask for HTML. CORS preflights are still answered, and the 503 carries CORS headers for a
//! configured origin (a browser-based client can read why).
//!
//! The protected-resource metadata is switched off too, rather than served without
//! `authorization_servers`: an MCP client fetches it only to start an OAuth flow (it follows the
//! `resource_metadata` of a 401), MCP requires the document to name an authorization server, and
//! SDKs given one without it guess the issuer from the resource's origin and fail later with a
//! vaguer error; a 503 with the reason is the clearest first answer. It is also never cached,
//! whereas the document itself is (`max-age=300`): a client must not keep "no authorization
//! server" for minutes after the switch goes back on.
//!
//! `/api/mcp` answers an `mcp_at_` access token with the same 503 (not a 401), unless
//! `--oauth-off-accepts-issued-tokens`: a 401 would make clients throw the token away and try
//! to refresh or re-authorize, while a 503 lets them keep their tokens and carry on once the
//! switch is back on — nobody has to reconnect after a rollback.

use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};

use super::oauth_endpoints::json_error;
use super::response::HttpResponse;
use super::{pages, session};
use crate::oauth::error::OAUTH_DISABLED_DESCRIPTION;

/// `Retry-After` while off, in seconds: a rollback lasts minutes at least.
pub const RETRY_AFTER_SECONDS: u64 = 300;

/// The metrics route of an OAuth path, or `None` for a path the switch leaves alone.
pub fn route_of(path: &str) -> Option<&'static str> {
    Some(match path {
        "/.well-known/oauth-authorization-server"
        | "/.well-known/oauth-protected-resource"
        | "/.well-known/oauth-protected-resource/api/mcp" => "discovery",
        session::AUTHORIZE_PATH => "authorize",
        "/api/oauth/token" => "token",
        "/api/oauth/revoke" => "revoke",
        "/api/oauth/register" => "register",
        session::LOGIN_PATH | session::SIGN_OUT_PATH => "login",
        session::CONNECTIONS_PATH => "connections",
        _ => return None,
    })
}

/// The answer to any request on an OAuth route while the switch is off.
pub fn answer<B>(route: &str, req: &Request<B>) -> HttpResponse {
    let page = match route {
        "login" | "connections" => true,
        "authorize" => wants_html(req),
        _ => false,
    };
    if page {
        page_answer()
    } else {
        json_answer()
    }
}

/// 503 `temporarily_unavailable` as JSON, never cached, with `Retry-After`.
pub fn json_answer() -> HttpResponse {
    let mut resp = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        OAUTH_DISABLED_DESCRIPTION,
    );
    add_retry_after(&mut resp);
    resp
}

fn page_answer() -> HttpResponse {
    let mut resp = pages::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is temporarily unavailable",
        "Connecting applications to this service has been switched off by its operator for the moment. Applications you connected before need nothing from you: they carry on when it is back.",
    );
    add_retry_after(&mut resp);
    resp
}

fn add_retry_after(resp: &mut HttpResponse) {
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
}

/// A browser navigation (`Accept: text/html…`) rather than an API client.
fn wants_html<B>(req: &Request<B>) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_oauth_route_is_switched_and_the_rest_is_not() {
        for path in [
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/api/mcp",
            "/api/oauth/authorize",
            "/api/oauth/token",
            "/api/oauth/revoke",
            "/api/oauth/register",
            "/api/oauth/login",
            "/api/oauth/logout",
            "/api/oauth/connections",
        ] {
            assert!(route_of(path).is_some(), "{path}");
        }
        for path in ["/api/mcp", "/healthz", "/readyz", "/metrics", "/"] {
            assert_eq!(route_of(path), None, "{path}");
        }
    }
}
