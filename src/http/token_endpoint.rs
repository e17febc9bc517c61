//! `POST /api/oauth/token` (RFC 6749 §3.2, §4.1.3, §6) and `POST /api/oauth/revoke` (RFC 7009):
//! the two client-authenticated JSON endpoints. Parse, authenticate the client, call
//! [`crate::oauth::grants`] / [`crate::oauth::revocation`], render. Never a redirect.

use std::net::IpAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde::Serialize;

use super::body::{client_ip, header as header_str};
use super::form::{self, Form};
use super::oauth_endpoints::{
    add_retry_after, form_error, json_error, oauth_error, too_many_requests, truncated,
};
use super::rate_limit::Key;
use super::response::{self, HttpResponse};
use super::state::AppState;
use super::{cors, metrics::Metrics};
use crate::clock;
use crate::oauth::client_auth::{self, ClientAuthError};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::grants::{self, CodeExchange, RefreshRequest};
use crate::storage::clients::{self, ClientRecord};
use crate::storage::events::{self, AuthEvent};

/// RFC 6749 §5.1.
#[derive(Debug, Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: &'a str,
    scope: String,
}

pub async fn token(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    with_cors(state, req, token_inner).await
}

pub async fn revoke(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    with_cors(state, req, revoke_inner).await
}

/// Browser-based clients (MCP Inspector) call these endpoints cross-origin.
async fn with_cors<F, Fut>(state: &Arc<AppState>, req: Request<Incoming>, inner: F) -> HttpResponse
where
    F: FnOnce(Arc<AppState>, Request<Incoming>) -> Fut,
    Fut: std::future::Future<Output = HttpResponse>,
{
    if req.method() == Method::OPTIONS {
        return cors::preflight(state, &req);
    }
    let origin = cors::allowed_origin(state, &req).map(str::to_string);
    let mut resp = inner(state.clone(), req).await;
    cors::apply(origin.as_deref(), &mut resp);
    resp
}

/// A client-authenticated form request, read and checked up to the client's identity.
struct Authenticated {
    client: ClientRecord,
    form: Form,
}

async fn authenticate(state: &AppState, req: Request<Incoming>) -> Result<Authenticated, HttpResponse> {
    if req.method() != Method::POST {
        return Err(response::method_not_allowed("POST, OPTIONS"));
    }
    if !form::is_form(&req) {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let ip = client_ip(&req, state.config.trust_proxy);
    let authorization = header_str(&req, header::AUTHORIZATION).map(str::to_string);
    let form = form::read(req, state.config.max_body_bytes)
        .await
        .map_err(form_error)?;
    if form.repeated().is_some() {
        return Err(oauth_error(&OAuthError::invalid_request(
            "a parameter appears more than once",
        )));
    }
    let presented = match client_auth::extract(
        authorization.as_deref(),
        form.get("client_id"),
        form.get("client_secret"),
    ) {
        Ok(p) => p,
        Err(e) => return Err(client_auth_failure(state, ip, None, e).await),
    };
    // Refuse before doing argon2 work when this address, or this address naming this client,
    // is over its failure budget. Never by client_id alone: a stranger failing in a client's
    // name from elsewhere must not lock the real client out.
    let limits = &state.limits;
    if let Err(retry) = limits.client_auth_by_address.check(&Key::address(ip)).and(
        limits
            .client_auth_by_address_and_client
            .check(&Key::address_and(ip, presented.client_id())),
    ) {
        return Err(too_many_requests(&state.metrics, retry));
    }
    let now = clock::now();
    match client_auth::authenticate(&state.store, &state.secret_cache, &presented, now).await {
        Ok(client) => {
            if client.last_used_at.is_none_or(|t| t < now - 60) {
                if let Err(e) = clients::touch_last_used(&state.store, &client.client_id, now).await {
                    tracing::debug!(error = %e, "could not record client use");
                }
            }
            Ok(Authenticated { client, form })
        }
        Err(e) => Err(client_auth_failure(state, ip, Some(presented.client_id()), e).await),
    }
}

/// Counts a failed client authentication and renders its answer: one `invalid_client` for
/// every cause, so an unknown client and a wrong secret look the same.
async fn client_auth_failure(
    state: &AppState,
    ip: IpAddr,
    client_id: Option<&str>,
    err: ClientAuthError,
) -> HttpResponse {
    let basic = match err {
        ClientAuthError::Malformed(description) => {
            return oauth_error(&OAuthError::invalid_request(description));
        }
        ClientAuthError::Store(e) => return oauth_error(&OAuthError::Store(e)),
        // Not the client's failure: nothing is counted, the client retries shortly.
        ClientAuthError::Busy(busy) => {
            let mut resp = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                &busy.to_string(),
            );
            add_retry_after(&mut resp, std::time::Duration::from_secs(1));
            return resp;
        }
        ClientAuthError::Failed { basic } => basic,
    };
    Metrics::inc(&state.metrics.failed_client_authentications);
    let _ = state.limits.client_auth_by_address.hit(&Key::address(ip));
    if let Some(id) = client_id {
        let _ = state
            .limits
            .client_auth_by_address_and_client
            .hit(&Key::address_and(ip, id));
    }
    tracing::info!(%ip, "client authentication failed");
    if let Err(e) = events::record(
        &state.store,
        AuthEvent::ClientAuthFailed,
        client_id.map(truncated),
        clock::now(),
    )
    .await
    {
        tracing::debug!(error = %e, "could not record the auth event");
    }
    let mut resp = oauth_error(&OAuthError::new(
        ErrorCode::InvalidClient,
        "client authentication failed",
    ));
    if basic {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mcp-oauth\", charset=\"UTF-8\""),
        );
    }
    resp
}

async fn token_inner(state: Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    let Authenticated { client, form } = match authenticate(&state, req).await {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    // `--cimd off` stops metadata document clients getting tokens, not only new
    // authorizations; revoking what they hold still works.
    if client.registration == clients::Registration::MetadataDocument && !state.cimd.enabled() {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "this server does not accept client metadata documents",
        );
    }
    let now = clock::now();
    let lifetimes = state.lifetimes;
    let (result, counter) = match form.get("grant_type") {
        Some("authorization_code") => (
            grants::exchange_code(
                &state.store,
                &client,
                &CodeExchange {
                    code: form.get("code").unwrap_or(""),
                    redirect_uri: form.get("redirect_uri"),
                    code_verifier: form.get("code_verifier"),
                    resource: form.get("resource"),
                },
                &lifetimes,
                now,
            )
            .await,
            &state.metrics.tokens_issued_authorization_code,
        ),
        Some("refresh_token") => (
            grants::refresh(
                &state.store,
                &client,
                &RefreshRequest {
                    refresh_token: form.get("refresh_token").unwrap_or(""),
                    scope: form.get("scope"),
                    resource: form.get("resource"),
                },
                &lifetimes,
                now,
            )
            .await,
            &state.metrics.tokens_issued_refresh_token,
        ),
        None => return oauth_error(&OAuthError::invalid_request("grant_type is required")),
        Some(_) => {
            return oauth_error(&OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "supported grant types: authorization_code, refresh_token",
            ))
        }
    };
    match result {
        Ok(issued) => {
            Metrics::inc(counter);
            tracing::info!(client_id = %client.client_id, grant_id = %issued.grant_id, grant_type = form.get("grant_type").unwrap_or(""), "tokens issued");
            response::json_no_store(
                StatusCode::OK,
                &TokenResponse {
                    access_token: &issued.access_token,
                    token_type: "Bearer",
                    expires_in: issued.expires_in,
                    refresh_token: &issued.refresh_token,
                    scope: issued.scope.to_string(),
                },
            )
        }
        Err(e) => {
            if let Some(code) = e.code() {
                tracing::info!(client_id = %client.client_id, error = %code, "token request refused");
            }
            oauth_error(&e)
        }
    }
}

async fn revoke_inner(state: Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    let Authenticated { client, form } = match authenticate(&state, req).await {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let Some(token) = form.get("token") else {
        return oauth_error(&OAuthError::invalid_request("the token parameter is required"));
    };
    match crate::oauth::revocation::revoke_token(&state.store, &client, token, clock::now()).await {
        Ok(revoked) => {
            tracing::info!(client_id = %client.client_id, revoked = revoked.total(), "revocation request");
            let mut resp = response::empty(StatusCode::OK);
            response::no_store(&mut resp);
            resp
        }
        Err(e) => oauth_error(&OAuthError::Store(e)),
    }
}
