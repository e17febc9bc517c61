//! MCP over JSON-RPC: the memory service behind `/api/mcp` (SPEC §7), in two eras on one
//! endpoint: the 2025 revisions (an `initialize` handshake) and 2026-07-28 (stateless, every
//! request self-describing).
//!
//! This module knows nothing of HTTP beyond the request headers the revisions define. The
//! endpoint authenticates the bearer token, checks the transport rules (method, `Origin`,
//! content type, body size) and hands the headers and body to [`handle_message`], whose
//! [`McpOutcome`] it renders as a status code and body. Tests and `verify` can call it directly.
//!
//! - [`jsonrpc`]: wire types and error codes.
//! - [`version`]: the versions spoken and the era each belongs to.
//! - [`wire`]: per revision, how a request is recognised, validated and answered.
//! - [`protocol`]: the one dispatcher both revisions call.
//! - [`tools`]: the tool registry (schemas, annotations, scopes) and the tools themselves.

pub mod jsonrpc;
pub mod protocol;
pub mod tools;
pub mod version;
pub mod wire;

use crate::oauth::bearer::Principal;
use crate::oauth::scope::ScopeSet;
use crate::storage::{Store, StoreError};
use jsonrpc::{Message, Response};
use version::Era;
pub use wire::{Header, TransportHeaders};

/// What the endpoint answers.
#[derive(Debug)]
pub enum McpOutcome {
    /// 200 with this JSON-RPC response (a result, or an error such as -32602).
    Reply(Response),
    /// 400 with this JSON-RPC error: the body was not JSON (-32700) or not a valid single
    /// request (-32600); in 2026-07-28 also a header mismatch (-32020), missing `_meta`
    /// (-32602) or an unsupported version (-32022).
    Rejected(Response),
    /// 404 with this JSON-RPC -32601: a method 2026-07-28 does not have.
    NotFound(Response),
    /// 202, no body: a notification or a client's response.
    Accepted,
    /// 403 `insufficient_scope`: the token cannot call this tool without every scope in
    /// `required`.
    InsufficientScope { required: ScopeSet },
}

/// Handles one JSON-RPC message from an authenticated `principal`. Only database failures are
/// errors; everything a client can get wrong is an outcome.
pub async fn handle_message(
    store: &Store,
    principal: &Principal,
    headers: &TransportHeaders,
    body: &[u8],
    now: i64,
) -> Result<McpOutcome, StoreError> {
    let message = match jsonrpc::parse(body) {
        Err(rejection) => return Ok(McpOutcome::Rejected(rejection)),
        Ok(m) => m,
    };
    let era = match wire::era(headers, &message) {
        Ok(era) => era,
        Err(refusal) => return Ok(refusal),
    };
    let Message::Request { id, method, params } = message else {
        return Ok(McpOutcome::Accepted);
    };
    match era {
        Era::Legacy => wire::legacy::answer(store, principal, id, &method, params, now).await,
        Era::Modern => wire::modern::answer(store, principal, headers, id, &method, params, now).await,
    }
}
