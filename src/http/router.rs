//! Which handler answers which method and path; timing and the outermost error guards: a
//! deadline (503, see [`ServerConfig::request_timeout`](super::ServerConfig)) and a panic
//! catcher (500 JSON, never a dropped connection or a stack trace).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt as _;

use hyper::body::Incoming;
use hyper::{Method, Request};

use super::response::{self, HttpResponse};
use super::state::AppState;
use super::{discovery, mcp_endpoint, oauth_endpoints, probes};

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
    state.metrics.observe(route, started.elapsed());
    resp
}

async fn dispatch(state: &Arc<AppState>, req: Request<Incoming>, path: &str) -> (&'static str, HttpResponse) {
    let method = req.method().clone();
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
        "/api/mcp" | "/api/mcp/" => ("mcp", mcp_endpoint::handle(state, req).await),
        _ if method == Method::OPTIONS => ("other", discovery::preflight(state, &req)),
        _ => ("other", response::not_found()),
    }
}
