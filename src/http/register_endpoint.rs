//! `POST /api/oauth/register`: RFC 7591 dynamic client registration, rate-limited per address.
//! With `--no-registration` the endpoint does not exist (404, JSON) and the metadata omits it.
//!
//! Registration is the one unauthenticated request that makes the server store a row and hash a
//! secret, so it has three limits, each answering 429 with a JSON error and `Retry-After`:
//! per address (an IPv6 /64) before the body is read; then, for a valid request only, at most
//! `registration_concurrency` registrations in progress at once (a request finding none free
//! is refused at once rather than queued); and a global rate over all addresses together, which
//! bounds what an attacker with many addresses can make the server do. Hashing itself runs on
//! the bounded argon2 pool ([`crate::oauth::argon2_pool`]); a full pool answers 503.
//! Exhausting the global budget delays new registrations only: registered clients and every
//! other endpoint keep working.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::body::client_ip;
use super::cors;
use super::form::{self, FormError};
use super::oauth_endpoints::{add_retry_after, form_error, json_error, too_many_requests_because};
use super::rate_limit::Key;
use super::response::{self, HttpResponse};
use super::state::AppState;
use crate::clock;
use crate::oauth::error::ErrorCode;
use crate::oauth::registration::{self, RegistrationError, RegistrationRequest};

pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    if req.method() == Method::OPTIONS {
        return cors::preflight(state, &req);
    }
    let origin = cors::allowed_origin(state, &req).map(str::to_string);
    let mut resp = register(state, req).await;
    cors::apply(origin.as_deref(), &mut resp);
    resp
}

async fn register(state: &AppState, req: Request<Incoming>) -> HttpResponse {
    if !state.config.registration_enabled {
        return json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "dynamic client registration is turned off on this server; ask its operator for a client_id",
        );
    }
    if req.method() != Method::POST {
        return response::method_not_allowed("POST, OPTIONS");
    }
    let ip = client_ip(&req, state.config.trust_proxy);
    if let Err(retry) = state.limits.registration_by_address.hit(&Key::address(ip)) {
        return too_many_requests_because(
            &state.metrics,
            retry,
            "too many registrations from this address; retry later",
        );
    }
    let body = match form::read_body(req, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(e @ FormError::TooLarge) => return form_error(e),
        Err(e) => return form_error(e),
    };
    let Ok(request) = serde_json::from_slice::<RegistrationRequest>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidClientMetadata.as_str(),
            "the body must be a JSON object of client metadata (RFC 7591)",
        );
    };
    // Invalid metadata costs nothing and is answered without touching the global limits.
    if let Err(e) = registration::validate(&request) {
        return registration_error(e);
    }
    let Ok(_permit) = state.limits.registrations_in_flight.try_acquire() else {
        return too_many_requests_because(
            &state.metrics,
            Duration::from_secs(1),
            "the server is handling too many registrations at once; retry shortly",
        );
    };
    if let Err(retry) = state.limits.registration_global.hit(&Key::global()) {
        return too_many_requests_because(
            &state.metrics,
            retry,
            "the server is taking no more registrations for now; retry later",
        );
    }
    match registration::register(&state.store, &request, clock::now()).await {
        Ok(registered) => {
            tracing::info!(client_id = %registered.client_id, method = %registered.token_endpoint_auth_method, "client registered dynamically");
            response::json_no_store(StatusCode::CREATED, &registered)
        }
        Err(e) => registration_error(e),
    }
}

fn registration_error(err: RegistrationError) -> HttpResponse {
    match err {
        RegistrationError::Invalid { code, description } => {
            json_error(StatusCode::BAD_REQUEST, code.as_str(), &description)
        }
        RegistrationError::Busy(busy) => {
            let mut resp = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                &busy.to_string(),
            );
            add_retry_after(&mut resp, Duration::from_secs(1));
            resp
        }
        RegistrationError::Store(e) => {
            tracing::error!(error = %e, "database error");
            response::unavailable()
        }
    }
}
