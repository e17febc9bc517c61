//! The MCP lifecycle and method dispatch (MCP 2025-11-25 "Lifecycle", "Tools"; also speaking
//! 2025-06-18 and 2025-03-26).
//!
//! The server is stateless: no `Mcp-Session-Id` is issued, and every request stands on its own
//! bearer token. `initialize` only negotiates; it creates nothing.

use serde_json::{json, Value};

use super::jsonrpc::{ErrorObject, INVALID_PARAMS, METHOD_NOT_FOUND};
use super::tools::{self, CallError};
use crate::oauth::bearer::Principal;
use crate::oauth::scope::Scope;
use crate::storage::{Store, StoreError};

/// The protocol versions this server speaks, newest first.
pub const SUPPORTED_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];
/// What a request without an `MCP-Protocol-Version` header is taken to speak (MCP 2025-06-18
/// "Protocol Version Header": the server SHOULD assume 2025-03-26).
pub const VERSION_WHEN_ABSENT: &str = "2025-03-26";

pub fn is_supported(version: &str) -> bool {
    SUPPORTED_VERSIONS.contains(&version)
}

/// The version `initialize` answers with: the client's if supported, else our newest.
pub fn negotiate(requested: &str) -> &'static str {
    SUPPORTED_VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(SUPPORTED_VERSIONS[0])
}

const INSTRUCTIONS: &str = "Your personal memory. Use add_memory to remember a fact or note, \
search_memories to find memories by words, list_memories to browse the newest. The knowledge-graph \
tools (create_entities, create_relations, add_observations, read_graph, search_nodes, open_nodes \
and the delete_* tools) keep people, things and how they relate.";

/// What a request comes to.
#[derive(Debug)]
pub enum Reply {
    Result(Value),
    /// A result rendered once per process (`tools/list`).
    Prerendered(&'static serde_json::value::RawValue),
    Error(ErrorObject),
    /// The token lacks the scope this call needs: HTTP 403, not a JSON-RPC answer.
    InsufficientScope(Scope),
}

/// Answers one request.
pub async fn dispatch(
    store: &Store,
    principal: &Principal,
    method: &str,
    params: Option<Value>,
    now: i64,
) -> Result<Reply, StoreError> {
    let params = match params {
        None => Value::Object(Default::default()),
        Some(p @ Value::Object(_)) => p,
        Some(_) => return Ok(invalid_params("params must be an object")),
    };
    match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(Reply::Result(json!({}))),
        "tools/list" => Ok(Reply::Prerendered(tools::list_result(&principal.scopes))),
        "tools/call" => call_tool(store, principal, params, now).await,
        // `server/discover` is probed by newer clients before `initialize`; they fall back to
        // `initialize` on a JSON-RPC error, which this is.
        _ => Ok(Reply::Error(ErrorObject::new(
            METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        ))),
    }
}

fn invalid_params(message: impl Into<String>) -> Reply {
    Reply::Error(ErrorObject::new(INVALID_PARAMS, message))
}

fn initialize(params: &Value) -> Reply {
    let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
        return invalid_params("initialize: params.protocolVersion (a string) is required");
    };
    Reply::Result(json!({
        "protocolVersion": negotiate(requested),
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": {
            "name": "mcp-oauth",
            "title": "MCP memory",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "instructions": INSTRUCTIONS,
    }))
}

async fn call_tool(
    store: &Store,
    principal: &Principal,
    mut params: Value,
    now: i64,
) -> Result<Reply, StoreError> {
    let Some(name) = params.get("name").and_then(Value::as_str).map(str::to_string) else {
        return Ok(invalid_params("tools/call: params.name (a string) is required"));
    };
    let arguments = params
        .get_mut("arguments")
        .map(Value::take)
        .filter(|a| !a.is_null());
    match tools::call(store, principal, &name, arguments, now).await {
        Ok(result) => Ok(Reply::Result(result)),
        Err(e @ CallError::UnknownTool(_)) => Ok(invalid_params(e.to_string())),
        Err(CallError::InsufficientScope(scope)) => Ok(Reply::InsufficientScope(scope)),
        Err(CallError::Store(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supported_version_is_echoed_and_any_other_gets_the_newest() {
        assert_eq!(negotiate("2025-03-26"), "2025-03-26");
        assert_eq!(negotiate("2025-06-18"), "2025-06-18");
        assert_eq!(negotiate("2024-11-05"), "2025-11-25");
        assert_eq!(negotiate("banana"), "2025-11-25");
    }

    #[test]
    fn initialize_requires_a_protocol_version() {
        assert!(matches!(
            initialize(&json!({})),
            Reply::Error(ErrorObject {
                code: INVALID_PARAMS,
                ..
            })
        ));
    }
}
