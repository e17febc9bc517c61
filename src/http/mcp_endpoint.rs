//! `/api/mcp`: MCP Streamable HTTP with JSON responses (MCP 2025-11-25 "Transports"), protected
//! by bearer access tokens (RFC 6750, RFC 9728 §5.1).
//!
//! The order of checks is deliberate: method (405), `Origin` (403, DNS-rebinding protection,
//! before anything else is looked at), bearer token (401 — always 401 for a token that is not
//! good, never a 5xx, because the TypeScript SDK refreshes only after a 401; the one exception
//! is an `mcp_at_` token while OAuth is switched off, 503, see [`super::oauth_off`]), then content type
//! (415) and body size (413). Only then does [`crate::mcp::handle_message`] see the body with
//! the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers: which revision answers, and
//! its 400s (-32020, -32022, which echo the request id), are decided there. Database failures
//! are 503. A refusal made on the request's head is sent once the body has been read (up to
//! the size limit), so that the connection stays usable for the client's next request.
//!
//! The answers rendered once per process (`tools/list`, `server/discover`) are sent as their
//! stored bytes, gzip-compressed when `Accept-Encoding` allows (see [`super::compression`]),
//! with `Vary: Accept-Encoding`; every other answer is JSON built for the request.
//!
//! Stateless: no `Mcp-Session-Id` is issued, GET (no server-initiated stream) and DELETE (no
//! session to end) are 405.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::body::{self, BodyError};
use super::compression;
use super::cors;
use super::response::{self, HttpResponse};
use super::state::AppState;
use crate::clock;
use crate::mcp::jsonrpc::{self, ErrorObject, Response, INVALID_REQUEST};
use crate::mcp::{self, Header, McpOutcome, TransportHeaders};
use crate::oauth::bearer::{BearerError, Principal};
use crate::oauth::metadata::protected_resource_metadata_url;
use crate::oauth::scope::ScopeSet;

pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    if req.method() == Method::OPTIONS {
        return cors::preflight(state, &req);
    }
    let cors_origin = cors::allowed_origin(state, &req).map(str::to_string);
    let mut resp = respond(state, req).await;
    cors::apply(cors_origin.as_deref(), &mut resp);
    resp
}

async fn respond(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    let principal = match admit(state, &req).await {
        Ok(p) => p,
        Err(refusal) => return after_the_body(state, req, refusal).await,
    };
    let headers = transport_headers(&req);
    let gzip = compression::accepts_gzip(body::header(&req, header::ACCEPT_ENCODING));
    let limit = state.config.max_body_bytes;
    let bytes = match body::read_limited(req.into_body(), limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge(_)) => {
            return transport_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The message is larger than {limit} bytes"),
            )
        }
        Err(BodyError::Read) => {
            return transport_error(StatusCode::BAD_REQUEST, "Could not read the request body")
        }
    };
    match mcp::handle_message(&state.store, &principal, &headers, &bytes, clock::now()).await {
        Ok(McpOutcome::Reply(r)) => reply(&r, gzip),
        Ok(McpOutcome::Rejected(r)) => response::json_no_store(StatusCode::BAD_REQUEST, &r),
        Ok(McpOutcome::NotFound(r)) => response::json_no_store(StatusCode::NOT_FOUND, &r),
        Ok(McpOutcome::Accepted) => response::empty(StatusCode::ACCEPTED),
        Ok(McpOutcome::InsufficientScope { required }) => insufficient_scope(state, &required),
        Err(e) => {
            tracing::warn!(error = %e, "MCP request failed: database error");
            response::unavailable()
        }
    }
}

/// The checks made on the request's head, in the order the module doc gives: method, `Origin`,
/// bearer token, content type.
async fn admit(state: &AppState, req: &Request<Incoming>) -> Result<Principal, HttpResponse> {
    if req.method() != Method::POST {
        return Err(response::method_not_allowed("POST, OPTIONS"));
    }
    if let Some(origin) = body::header(req, header::ORIGIN) {
        if !origin_allowed(state, origin) {
            return Err(transport_error(
                StatusCode::FORBIDDEN,
                format!("Origin {origin} is not allowed"),
            ));
        }
    }
    let principal = authenticate(state, req).await?;
    if let Some(content_type) = body::header(req, header::CONTENT_TYPE) {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(transport_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json",
            ));
        }
    }
    Ok(principal)
}

/// `refusal`, once the request's body has been read (and dropped), up to the size limit. An
/// answer sent with the body unread leaves hyper unable to reuse the connection, so it closes
/// it; a client that wrote its headers and its body separately (Python's httpx does) and has
/// already sent its next request on that connection, such as the retry with a token after the
/// first 401 of every OAuth flow, then sees "server disconnected" instead of an answer. A body
/// over the limit is not read: the answer says the connection closes.
async fn after_the_body(state: &AppState, req: Request<Incoming>, mut refusal: HttpResponse) -> HttpResponse {
    if body::read_limited(req.into_body(), state.config.max_body_bytes)
        .await
        .is_err()
    {
        refusal
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    refusal
}

/// 200 with a JSON-RPC response; one whose result was rendered once per process goes out as
/// those bytes (not copied: see [`response::Body`]), or compressed if `gzip`.
fn reply(r: &Response, gzip: bool) -> HttpResponse {
    let Some((before, result, after)) = r.prerendered_parts() else {
        return response::json_no_store(StatusCode::OK, r);
    };
    let body = if gzip {
        response::Body::new(compression::gzip_around(&before, result, after))
    } else {
        response::Body::framed(
            Bytes::from(before),
            Bytes::from_static(result.as_bytes()),
            Bytes::from_static(after),
        )
    };
    let mut resp = response::json_body(StatusCode::OK, body);
    response::no_store(&mut resp);
    let h = resp.headers_mut();
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp
}

/// The headers the MCP revisions read; which of them matter is theirs to decide.
fn transport_headers<B>(req: &Request<B>) -> TransportHeaders {
    // Names made once: a `&str` name would be parsed and hashed anew on every lookup.
    static PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
    static METHOD: HeaderName = HeaderName::from_static("mcp-method");
    static NAME: HeaderName = HeaderName::from_static("mcp-name");
    let raw = |name: &HeaderName| Header::from_raw(req.headers().get(name).map(HeaderValue::as_bytes));
    TransportHeaders {
        protocol_version: raw(&PROTOCOL_VERSION),
        method: raw(&METHOD),
        name: raw(&NAME),
    }
}

/// The issuer's own origin, or one configured with `--cors-origin`.
fn origin_allowed(state: &AppState, origin: &str) -> bool {
    let own = url::Url::parse(&state.config.issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    origin.eq_ignore_ascii_case(&own)
        || state
            .config
            .cors_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
}

/// The token from `Authorization: Bearer …`. Tokens anywhere else (a query parameter, a form
/// body) are not looked at: they leak into logs and histories.
fn bearer_token<B>(req: &Request<B>) -> Option<&str> {
    let value = body::header(req, header::AUTHORIZATION)?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn authenticate<B>(state: &AppState, req: &Request<B>) -> Result<Principal, HttpResponse> {
    let Some(token) = bearer_token(req) else {
        return Err(unauthorized(state, false));
    };
    match state.authenticate_bearer(token).await {
        Ok(principal) => Ok(principal),
        Err(BearerError::Invalid(reason)) => {
            tracing::debug!(reason, "MCP request with an unusable bearer token");
            Err(unauthorized(state, true))
        }
        Err(BearerError::OAuthOff) => Err(super::oauth_off::json_answer()),
        Err(BearerError::Store(e)) => {
            tracing::warn!(error = %e, "cannot check a bearer token: database error");
            Err(response::unavailable())
        }
    }
}

/// 401 with the challenge that starts discovery (RFC 9728 §5.1): where the protected-resource
/// metadata is, and the scopes to ask for.
fn unauthorized(state: &AppState, token_sent: bool) -> HttpResponse {
    let metadata = protected_resource_metadata_url(&state.config.issuer);
    let scopes = ScopeSet::all();
    let (challenge, body) = if token_sent {
        (
            format!(
                "Bearer error=\"invalid_token\", error_description=\"The access token is invalid, expired or revoked\", resource_metadata=\"{metadata}\", scope=\"{scopes}\""
            ),
            json!({ "error": "invalid_token", "error_description": "The access token is invalid, expired or revoked" }),
        )
    } else {
        (
            format!("Bearer resource_metadata=\"{metadata}\", scope=\"{scopes}\""),
            json!({ "error": "unauthorized", "error_description": "A bearer access token is required" }),
        )
    };
    with_challenge(StatusCode::UNAUTHORIZED, &body, &challenge)
}

/// 403 naming, in one challenge, every scope the call needs (RFC 6750 §3.1; MCP 2026-07-28
/// "Scope Challenge Handling"), so a client can ask for them all at once.
fn insufficient_scope(state: &AppState, required: &ScopeSet) -> HttpResponse {
    let metadata = protected_resource_metadata_url(&state.config.issuer);
    let noun = if required.iter().count() == 1 {
        "scope"
    } else {
        "scopes"
    };
    let description = format!("This tool needs the {required} {noun}");
    let challenge = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{required}\", resource_metadata=\"{metadata}\", error_description=\"{description}\""
    );
    let body = json!({ "error": "insufficient_scope", "scope": required.to_string(), "error_description": description });
    with_challenge(StatusCode::FORBIDDEN, &body, &challenge)
}

fn with_challenge(status: StatusCode, body: &Value, challenge: &str) -> HttpResponse {
    let mut resp = response::json_no_store(status, body);
    if let Ok(v) = HeaderValue::from_str(challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// A transport-level refusal, with a JSON-RPC error without id as the body (MCP "Transports").
/// Like every answer here it carries the user's data or is about their token: never cached.
fn transport_error(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    response::json_no_store(
        status,
        &jsonrpc::Response::error(Value::Null, ErrorObject::new(INVALID_REQUEST, message)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(auth: &str) -> Request<()> {
        Request::builder()
            .header(header::AUTHORIZATION, auth)
            .body(())
            .unwrap()
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_other_schemes_carry_no_token() {
        assert_eq!(bearer_token(&req("Bearer mcp_at_x")), Some("mcp_at_x"));
        assert_eq!(bearer_token(&req("bearer  mcp_at_x ")), Some("mcp_at_x"));
        assert_eq!(bearer_token(&req("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(&req("Bearer ")), None);
        assert_eq!(bearer_token(&Request::new(())), None);
    }
}
