//! CORS: only the configured origins get an `Access-Control-Allow-Origin`, and never `*`.

use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};

use super::body::header as header_str;
use super::response::{self, HttpResponse};
use super::state::AppState;

/// The request's `Origin`, if it is one of the configured origins.
pub fn allowed_origin<'a, B>(state: &AppState, req: &'a Request<B>) -> Option<&'a str> {
    let origin = header_str(req, header::ORIGIN)?;
    state
        .config
        .cors_origins
        .iter()
        .any(|o| o == origin)
        .then_some(origin)
}

/// Adds the CORS headers for an allowed origin; does nothing otherwise.
pub fn apply(origin: Option<&str>, resp: &mut HttpResponse) {
    let Some(origin) = origin else { return };
    let Ok(value) = HeaderValue::from_str(origin) else {
        return;
    };
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After"),
    );
}

/// An `OPTIONS` preflight: 204 with the allowances for a configured origin, a bare 204 otherwise
/// (the browser then refuses the real request).
pub fn preflight<B>(state: &AppState, req: &Request<B>) -> HttpResponse {
    let mut resp = response::empty(StatusCode::NO_CONTENT);
    let origin = allowed_origin(state, req);
    if origin.is_some() {
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID",
            ),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    apply(origin, &mut resp);
    resp
}
