//! The 2025 revisions (2025-11-25, 2025-06-18, 2025-03-26): `initialize`, `ping`,
//! `tools/list`, `tools/call`; every JSON-RPC answer is HTTP 200, results are sent as the
//! dispatcher made them.

use serde_json::Value;

use super::super::jsonrpc::{ErrorObject, Response, METHOD_NOT_FOUND};
use super::super::protocol::{self, Method, Reply};
use super::super::tools;
use super::super::McpOutcome;
use crate::oauth::bearer::Principal;
use crate::storage::{Store, StoreError};

/// The methods of the 2025 revisions.
fn offers(method: Method) -> bool {
    matches!(
        method,
        Method::Initialize | Method::Ping | Method::ListTools | Method::CallTool
    )
}

/// Answers one legacy request.
pub async fn answer(
    store: &Store,
    principal: &Principal,
    id: Value,
    method: &str,
    params: Option<Value>,
    now: i64,
) -> Result<McpOutcome, StoreError> {
    let Some(known) = Method::from_name(method).filter(|m| offers(*m)) else {
        // `server/discover` lands here too when sent the 2025 way: a 2026 client that probes
        // with it falls back to `initialize` on this JSON-RPC error.
        return Ok(McpOutcome::Reply(Response::error(
            id,
            ErrorObject::new(METHOD_NOT_FOUND, format!("Method not found: {method}")),
        )));
    };
    Ok(
        match protocol::dispatch(store, principal, known, params, now).await? {
            Reply::Result(result) => McpOutcome::Reply(Response::result(id, result)),
            Reply::ToolList => {
                McpOutcome::Reply(Response::prerendered(id, tools::list_result(&principal.scopes)))
            }
            Reply::Discover => McpOutcome::Reply(Response::error(
                id,
                ErrorObject::new(METHOD_NOT_FOUND, format!("Method not found: {method}")),
            )),
            Reply::Error(error) => McpOutcome::Reply(Response::error(id, error)),
            Reply::InsufficientScope(required) => McpOutcome::InsufficientScope { required },
        },
    )
}
