//! The one dispatcher behind every MCP revision: what each method does (MCP 2025-11-25
//! "Lifecycle", "Tools"; MCP 2026-07-28 "Discover", "Tools").
//!
//! Which methods exist, how a request is validated and how an answer is wrapped are the wire
//! layers' business ([`super::wire`]); this module and the tools never learn which revision
//! called them. Results that depend only on the build and the token's scopes (`tools/list`,
//! `server/discover`) come back as markers the wire layer renders from text prepared once per
//! process.
//!
//! The server is stateless: no `Mcp-Session-Id` is issued, and every request stands on its own
//! bearer token. `initialize` only negotiates; it creates nothing.

use serde_json::{json, Value};

use super::jsonrpc::{ErrorObject, INVALID_PARAMS};
use super::tools::{self, CallError};
use super::version;
use crate::oauth::bearer::Principal;
use crate::oauth::scope::ScopeSet;
use crate::storage::{Store, StoreError};

/// Every method some revision offers. A wire layer maps a method name to one of these only if
/// its revision has that method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Legacy only: version negotiation.
    Initialize,
    /// Legacy only (removed in 2026-07-28).
    Ping,
    /// Modern only: what the server speaks and offers.
    Discover,
    ListTools,
    CallTool,
}

impl Method {
    pub fn from_name(name: &str) -> Option<Method> {
        Some(match name {
            "initialize" => Method::Initialize,
            "ping" => Method::Ping,
            "server/discover" => Method::Discover,
            "tools/list" => Method::ListTools,
            "tools/call" => Method::CallTool,
            _ => return None,
        })
    }
}

pub const INSTRUCTIONS: &str = "Your personal memory. Use add_memory to remember a fact or note, \
search_memories to find memories by words, list_memories to browse the newest. The knowledge-graph \
tools (create_entities, create_relations, add_observations, read_graph, search_nodes, open_nodes \
and the delete_* tools) keep people, things and how they relate.";

/// Who answers: `serverInfo` of `initialize`, and `_meta["io.modelcontextprotocol/serverInfo"]`
/// of every 2026-07-28 result.
pub fn server_info() -> Value {
    json!({
        "name": "mcp-oauth",
        "title": "MCP memory",
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// What a request comes to.
#[derive(Debug)]
pub enum Reply {
    Result(Value),
    /// The `tools/list` answer for the caller's scopes, rendered by the wire layer from text
    /// prepared once per process.
    ToolList,
    /// The `server/discover` answer, likewise prepared once.
    Discover,
    Error(ErrorObject),
    /// The token lacks scopes this call needs: HTTP 403, not a JSON-RPC answer.
    InsufficientScope(ScopeSet),
}

/// Answers one request for `method`, with `params` as the client sent them.
pub async fn dispatch(
    store: &Store,
    principal: &Principal,
    method: Method,
    params: Option<Value>,
    now: i64,
) -> Result<Reply, StoreError> {
    let params = match params {
        None => Value::Object(Default::default()),
        Some(p @ Value::Object(_)) => p,
        Some(_) => return Ok(invalid_params("params must be an object")),
    };
    match method {
        Method::Initialize => Ok(initialize(&params)),
        Method::Ping => Ok(Reply::Result(json!({}))),
        Method::Discover => Ok(Reply::Discover),
        Method::ListTools => Ok(Reply::ToolList),
        Method::CallTool => call_tool(store, principal, params, now).await,
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
        "protocolVersion": version::negotiate_legacy(requested),
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": server_info(),
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
        Err(CallError::InsufficientScope(scopes)) => Ok(Reply::InsufficientScope(scopes)),
        Err(CallError::Store(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_legacy_initialize_asking_for_2026_07_28_gets_2025_11_25() {
        let Reply::Result(r) = initialize(&json!({"protocolVersion": "2026-07-28"})) else {
            panic!("initialize failed");
        };
        assert_eq!(r["protocolVersion"], "2025-11-25");
    }
}
