//! MCP over JSON-RPC: the memory service behind `/api/mcp` (SPEC §7).
//!
//! This module knows nothing of HTTP. The endpoint authenticates the bearer token, checks the
//! transport rules (method, `Origin`, `MCP-Protocol-Version`, body size) and hands the body to
//! [`handle_message`], whose [`McpOutcome`] it renders as a status code and body. Tests and
//! `verify` can call it directly.
//!
//! - [`jsonrpc`]: wire types and error codes.
//! - [`protocol`]: version negotiation and method dispatch.
//! - [`tools`]: the tool registry (schemas, annotations, scopes) and the tools themselves.

pub mod jsonrpc;
pub mod protocol;
pub mod tools;

use crate::oauth::bearer::Principal;
use crate::oauth::scope::Scope;
use crate::storage::{Store, StoreError};
use jsonrpc::{Message, Response};
use protocol::Reply;

/// What the endpoint answers.
#[derive(Debug)]
pub enum McpOutcome {
    /// 200 with this JSON-RPC response (a result, or an error such as -32601).
    Reply(Response),
    /// 400 with this JSON-RPC error: the body was not JSON (-32700) or not a valid single
    /// request (-32600).
    Rejected(Response),
    /// 202, no body: a notification or a client's response.
    Accepted,
    /// 403 `insufficient_scope`: the token cannot call this tool without `required`.
    InsufficientScope { required: Scope },
}

/// Handles one JSON-RPC message from an authenticated `principal`. Only database failures are
/// errors; everything a client can get wrong is an outcome.
pub async fn handle_message(
    store: &Store,
    principal: &Principal,
    body: &[u8],
    now: i64,
) -> Result<McpOutcome, StoreError> {
    let (id, method, params) = match jsonrpc::parse(body) {
        Err(rejection) => return Ok(McpOutcome::Rejected(rejection)),
        Ok(Message::Notification { .. } | Message::Response) => return Ok(McpOutcome::Accepted),
        Ok(Message::Request { id, method, params }) => (id, method, params),
    };
    Ok(
        match protocol::dispatch(store, principal, &method, params, now).await? {
            Reply::Result(result) => McpOutcome::Reply(Response::result(id, result)),
            Reply::Prerendered(result) => McpOutcome::Reply(Response::prerendered(id, result)),
            Reply::Error(error) => McpOutcome::Reply(Response::error(id, error)),
            Reply::InsufficientScope(required) => McpOutcome::InsufficientScope { required },
        },
    )
}
