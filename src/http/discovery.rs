//! The two discovery documents, served as JSON with CORS for configured origins.

use std::sync::Arc;

use hyper::{Method, Request, StatusCode};

use super::cors;
use super::response::{self, HttpResponse};
use super::state::AppState;
use crate::oauth::metadata;

pub fn authorization_server<B>(state: &Arc<AppState>, req: &Request<B>) -> HttpResponse {
    serve_document(
        state,
        req,
        &metadata::authorization_server(
            &state.config.issuer,
            state.config.registration_enabled,
            state.cimd.enabled(),
        ),
    )
}

pub fn protected_resource<B>(state: &Arc<AppState>, req: &Request<B>) -> HttpResponse {
    serve_document(state, req, &metadata::protected_resource(&state.config.issuer))
}

fn serve_document<B>(state: &AppState, req: &Request<B>, doc: &impl serde::Serialize) -> HttpResponse {
    if req.method() == Method::OPTIONS {
        return cors::preflight(state, req);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return response::method_not_allowed("GET, HEAD, OPTIONS");
    }
    let mut resp = response::json(StatusCode::OK, doc);
    resp.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("public, max-age=300"),
    );
    cors::apply(cors::allowed_origin(state, req), &mut resp);
    resp
}

/// `OPTIONS` on any other path.
pub fn preflight<B>(state: &Arc<AppState>, req: &Request<B>) -> HttpResponse {
    cors::preflight(state, req)
}
