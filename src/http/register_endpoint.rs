//! `POST /api/oauth/register`: RFC 7591 dynamic client registration, rate-limited per address.
//! With `--no-registration` the endpoint does not exist (404, JSON) and the metadata omits it.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::body::client_ip;
use super::cors;
use super::form::{self, FormError};
use super::oauth_endpoints::{form_error, json_error, too_many_requests};
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
    if let Err(retry) = state.limits.registration_by_address.hit(&ip.to_string()) {
        return too_many_requests(&state.metrics, retry);
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
    match registration::register(&state.store, &request, clock::now()).await {
        Ok(registered) => {
            tracing::info!(client_id = %registered.client_id, method = %registered.token_endpoint_auth_method, "client registered dynamically");
            response::json_no_store(StatusCode::CREATED, &registered)
        }
        Err(RegistrationError::Invalid { code, description }) => {
            json_error(StatusCode::BAD_REQUEST, code.as_str(), &description)
        }
        Err(RegistrationError::Store(e)) => {
            tracing::error!(error = %e, "database error");
            response::unavailable()
        }
    }
}
