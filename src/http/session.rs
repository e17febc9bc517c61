//! Browser sessions as the HTTP layer sees them: cookies, "who is signed in", and where to
//! send someone who is not.
//!
//! Cookies are `HttpOnly; SameSite=Lax; Path=/`, plus `Secure` and the `__Host-` name prefix
//! when the issuer is https (the prefix stops a sibling subdomain from planting them).

use hyper::header::{self, HeaderValue};
use hyper::Request;

use super::response::{self, HttpResponse};
use super::state::AppState;
use super::{config::LoginMode, pages};
use crate::login::{self, SignedIn};
use crate::oauth::redirect_uri;
use crate::storage::StoreError;

/// Clerk's session cookie.
pub const CLERK_SESSION_COOKIE: &str = "__session";
pub const LOGIN_PATH: &str = "/api/oauth/login";
pub const CONNECTIONS_PATH: &str = "/api/oauth/connections";
pub const AUTHORIZE_PATH: &str = "/api/oauth/authorize";
pub const SIGN_OUT_PATH: &str = "/api/oauth/logout";

/// The local login session cookie's name.
pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.config.is_https() {
        "__Host-mcp_session"
    } else {
        "mcp_session"
    }
}

/// The CSRF secret cookie's name.
pub fn csrf_cookie_name(state: &AppState) -> &'static str {
    if state.config.is_https() {
        "__Host-mcp_csrf"
    } else {
        "mcp_csrf"
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a, B>(req: &'a Request<B>, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// Adds `Set-Cookie`. `max_age` `None` makes a browser-session cookie; `Some(0)` deletes.
pub fn set_cookie(state: &AppState, resp: &mut HttpResponse, name: &str, value: &str, max_age: Option<i64>) {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.is_https() {
        cookie.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The browser's CSRF secret, and whether it is new (and must be set with [`set_cookie`]).
pub fn csrf_secret<B>(state: &AppState, req: &Request<B>) -> (String, bool) {
    match cookie(req, csrf_cookie_name(state)).filter(|v| v.len() >= 32 && v.len() <= 128) {
        Some(existing) => (existing.to_string(), false),
        None => (super::csrf::new_secret(), true),
    }
}

/// Who is signed in on this browser, if anyone.
pub async fn current_user<B>(state: &AppState, req: &Request<B>) -> Result<Option<SignedIn>, StoreError> {
    match state.config.login {
        LoginMode::Local => match cookie(req, session_cookie_name(state)) {
            Some(value) => login::local::session_user(&state.store, value, crate::clock::now()).await,
            None => Ok(None),
        },
        LoginMode::Clerk => {
            let (Some(clerk), Some(jwt)) = (state.clerk.as_ref(), cookie(req, CLERK_SESSION_COOKIE)) else {
                return Ok(None);
            };
            match clerk.verify(jwt).await {
                Ok(user) => Ok(Some(user)),
                Err(e) => {
                    tracing::debug!(reason = %e, "Clerk __session cookie refused");
                    Ok(None)
                }
            }
        }
    }
}

/// Sends a browser to sign in, to come back to `return_to` (a path on this server) after.
pub fn sign_in_redirect(state: &AppState, return_to: &str) -> HttpResponse {
    match state.config.login {
        LoginMode::Local => {
            response::redirect(&redirect_uri::with_query(LOGIN_PATH, &[("return_to", return_to)]))
        }
        LoginMode::Clerk => match state.clerk.as_ref().and_then(|c| c.sign_in_url()) {
            Some(sign_in) => {
                let back = format!("{}{return_to}", state.config.issuer);
                response::redirect(&redirect_uri::with_query(sign_in, &[("redirect_url", &back)]))
            }
            None => pages::error(
                hyper::StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is not configured",
                "This server uses Clerk sign-in but CLERK_SIGN_IN_URL is not set. Ask the operator.",
            ),
        },
    }
}

/// `return_to` is followed after login: only paths of this server's own pages, so that the
/// login form cannot be used as an open redirect.
pub fn safe_return_to(value: Option<&str>) -> &str {
    match value {
        Some(v)
            if (v == CONNECTIONS_PATH || v == AUTHORIZE_PATH || v.starts_with("/api/oauth/authorize?"))
                && !v.chars().any(|c| c.is_control() || c == '\\') =>
        {
            v
        }
        _ => CONNECTIONS_PATH,
    }
}
