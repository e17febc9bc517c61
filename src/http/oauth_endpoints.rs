//! The OAuth routes under `/api/oauth/`: what the router calls, and the answers they share
//! (RFC 6749 §5.2 JSON errors, 413, 429).
//!
//! One handler per file: [`super::authorize_endpoint`] (authorization request and consent),
//! [`super::token_endpoint`] (token and revocation), [`super::register_endpoint`],
//! [`super::login_endpoint`], [`super::connections_endpoint`], [`super::sign_out_endpoint`].

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};

use super::form::FormError;
use super::response::{self, HttpResponse};
use super::state::AppState;
use super::{
    authorize_endpoint, connections_endpoint, login_endpoint, register_endpoint, sign_out_endpoint,
    token_endpoint,
};
use crate::http::metrics::Metrics;
use crate::oauth::error::{ErrorCode, OAuthError};

pub async fn authorize(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    authorize_endpoint::handle(state, req).await
}
pub async fn token(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    token_endpoint::token(state, req).await
}
pub async fn revoke(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    token_endpoint::revoke(state, req).await
}
pub async fn register(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    register_endpoint::handle(state, req).await
}
pub async fn login(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    login_endpoint::handle(state, req).await
}
pub async fn connections(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    connections_endpoint::handle(state, req).await
}
pub async fn sign_out(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    sign_out_endpoint::handle(state, req).await
}

/// An RFC 6749 §5.2 error as JSON: 401 for `invalid_client`, 400 for the rest, 503 when the
/// database failed (logged, never described to the client).
pub fn oauth_error(err: &OAuthError) -> HttpResponse {
    let status = match err.code() {
        Some(ErrorCode::InvalidClient) => StatusCode::UNAUTHORIZED,
        Some(_) => StatusCode::BAD_REQUEST,
        None => {
            tracing::error!(error = %err, "database error");
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let mut resp = response::json_no_store(status, &err.body());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    resp
}

/// `{"error": code, "error_description": description}` with the given status, never cached.
pub fn json_error(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    response::json_no_store(
        status,
        &serde_json::json!({ "error": code, "error_description": description }),
    )
}

/// 429 with `Retry-After`, as JSON.
pub fn too_many_requests(metrics: &Metrics, retry_after: Duration) -> HttpResponse {
    too_many_requests_because(
        metrics,
        retry_after,
        "too many failed attempts from this address or for this client; retry later",
    )
}

/// 429 with `Retry-After` and a JSON body saying why.
pub fn too_many_requests_because(
    metrics: &Metrics,
    retry_after: Duration,
    description: &str,
) -> HttpResponse {
    Metrics::inc(&metrics.rate_limited);
    let mut resp = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
        description,
    );
    add_retry_after(&mut resp, retry_after);
    resp
}

pub fn add_retry_after(resp: &mut HttpResponse, retry_after: Duration) {
    if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// The JSON answer to an unreadable form body: 413 when too large.
pub fn form_error(err: FormError) -> HttpResponse {
    match err {
        FormError::TooLarge => json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request body is too large",
        ),
        FormError::Unreadable => json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "could not read the request body",
        ),
        FormError::NotForm => json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ),
    }
}

/// The same for browser forms, as a page.
pub fn form_error_page(err: FormError) -> HttpResponse {
    match err {
        FormError::TooLarge => super::pages::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            "The form you sent is too large.",
        ),
        FormError::Unreadable | FormError::NotForm => super::pages::error(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The form could not be read.",
        ),
    }
}

/// A stored string that an attacker chose (a presented client_id) is kept short.
pub fn truncated(s: &str) -> &str {
    match s.char_indices().nth(100) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
