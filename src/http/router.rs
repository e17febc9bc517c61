//! Which handler answers which method and path; timing and the outermost error guards: a
//! deadline (503, see [`ServerConfig::request_timeout`](super::ServerConfig)) and a panic
//! catcher (500 JSON, never a dropped connection or a stack trace).
//!
//! Two checks run here, before any handler, so that no route can forget them: the `Host`
//! ([`super::host_check`], 421 except for the probes) and, for the browser forms that change
//! something (login, consent, connections, sign-out), the cross-site check of
//! [`csrf::check_same_origin`] (403 before the body is read). With `serve --oauth off` the
//! OAuth routes are answered here too, by [`oauth_off`], before any handler.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt as _;

use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, StatusCode};

use super::host_check::LocalAddr;
use super::metrics::Metrics;
use super::response::{self, HttpResponse};
use super::state::AppState;
use super::{cors, csrf};
use super::{discovery, mcp_endpoint, oauth_endpoints, oauth_off, pages, probes, session};

pub async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let guarded = AssertUnwindSafe(dispatch(&state, req, &path)).catch_unwind();
    let (route, resp) = match tokio::time::timeout(state.config.request_timeout, guarded).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_panic)) => {
            // The panic message went to stderr through the panic hook; the client learns nothing.
            tracing::error!(path = %path, "request handler panicked");
            ("other", response::internal_error())
        }
        Err(_elapsed) => {
            tracing::warn!(path = %path, timeout = ?state.config.request_timeout, "request timed out (database not answering?)");
            ("other", response::unavailable())
        }
    };
    state
        .metrics
        .observe(route, resp.status().as_u16(), started.elapsed());
    resp
}

async fn dispatch(state: &Arc<AppState>, req: Request<Incoming>, path: &str) -> (&'static str, HttpResponse) {
    let method = req.method().clone();
    if !matches!(path, "/healthz" | "/readyz" | "/metrics") && !host_allowed(state, &req) {
        Metrics::inc(&state.metrics.misdirected_host);
        return ("other", misdirected());
    }
    if is_browser_form(path) && !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Err(why) = cross_site_check(state, &req) {
            Metrics::inc(&state.metrics.cross_site_form);
            tracing::warn!(path = %path, reason = %why, "cross-site form post refused");
            return (
                "other",
                pages::error(
                    StatusCode::FORBIDDEN,
                    "Request not accepted",
                    "This form was sent from another site. Start again from the application.",
                ),
            );
        }
    }
    if !state.config.oauth_enabled && method != Method::OPTIONS {
        if let Some(route) = oauth_off::route_of(path) {
            let mut resp = oauth_off::answer(route, &req);
            // A browser-based client on a configured origin can read why.
            cors::apply(cors::allowed_origin(state, &req), &mut resp);
            return (route, resp);
        }
    }
    match path {
        "/healthz" => ("probes", probes::healthz()),
        "/readyz" => ("probes", probes::readyz(state).await),
        "/metrics" => ("probes", probes::metrics(state).await),
        "/.well-known/oauth-authorization-server" => {
            ("discovery", discovery::authorization_server(state, &req))
        }
        "/.well-known/oauth-protected-resource" | "/.well-known/oauth-protected-resource/api/mcp" => {
            ("discovery", discovery::protected_resource(state, &req))
        }
        "/api/oauth/authorize" => ("authorize", oauth_endpoints::authorize(state, req).await),
        "/api/oauth/token" => ("token", oauth_endpoints::token(state, req).await),
        "/api/oauth/revoke" => ("revoke", oauth_endpoints::revoke(state, req).await),
        "/api/oauth/register" => ("register", oauth_endpoints::register(state, req).await),
        "/api/oauth/login" => ("login", oauth_endpoints::login(state, req).await),
        "/api/oauth/connections" => ("connections", oauth_endpoints::connections(state, req).await),
        session::SIGN_OUT_PATH => ("login", oauth_endpoints::sign_out(state, req).await),
        "/api/mcp" | "/api/mcp/" => ("mcp", mcp_endpoint::handle(state, req).await),
        _ if method == Method::OPTIONS => ("other", discovery::preflight(state, &req)),
        _ => ("other", response::not_found()),
    }
}

/// The pages whose POST is a browser form that changes something.
fn is_browser_form(path: &str) -> bool {
    matches!(
        path,
        session::AUTHORIZE_PATH | session::LOGIN_PATH | session::CONNECTIONS_PATH | session::SIGN_OUT_PATH
    )
}

/// The request's `Host` (and, for an absolute-form request target, its authority too) must be
/// one this server answers to.
fn host_allowed<B>(state: &AppState, req: &Request<B>) -> bool {
    let local = req.extensions().get::<LocalAddr>().map(|l| l.0);
    let host_header = req.headers().get(header::HOST).map(|v| v.to_str().ok());
    let target = req.uri().authority().map(|a| a.as_str());
    match (host_header, target) {
        (None, None) => false,
        (Some(h), t) => {
            state.allowed_hosts.allows(h, local)
                && t.is_none_or(|t| state.allowed_hosts.allows(Some(t), local))
        }
        (None, t) => state.allowed_hosts.allows(t, local),
    }
}

fn cross_site_check<B>(state: &AppState, req: &Request<B>) -> Result<(), csrf::CrossSite> {
    let header = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    csrf::check_same_origin(header("origin"), header("sec-fetch-site"), &state.issuer_origin)
}

/// 421 Misdirected Request, as JSON.
fn misdirected() -> HttpResponse {
    oauth_endpoints::json_error(
        StatusCode::MISDIRECTED_REQUEST,
        "invalid_request",
        "this server does not answer to that host name (Host header); see --allowed-host",
    )
}
