//! The tool registry: every tool's name, schemas, annotations and the scope it needs, and the
//! one place a `tools/call` is checked and routed (MCP 2025-06-18 "Tools").
//!
//! A successful call answers with `structuredContent` (always an object, as the output schema
//! describes) and the same JSON as a text block, for clients that read only text. Arguments
//! that do not fit the input schema are a tool result with `isError: true` and a message that
//! says what was wrong, so the model can correct itself; they are not a protocol error.

pub mod graph;
pub mod memories;

use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::oauth::bearer::Principal;
use crate::oauth::scope::{Scope, ScopeSet};
use crate::storage::{Store, StoreError};

/// Every tool this server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    SearchMemories,
    ListMemories,
    AddMemory,
    DeleteMemory,
    CreateEntities,
    CreateRelations,
    AddObservations,
    DeleteEntities,
    DeleteObservations,
    DeleteRelations,
    ReadGraph,
    SearchNodes,
    OpenNodes,
}

/// The behaviour hints of MCP tool annotations; `openWorldHint` is always false (a tool only
/// touches this server's database).
#[derive(Debug, Clone, Copy)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

pub const READ: Hints = Hints {
    read_only: true,
    destructive: false,
    idempotent: true,
};
pub const ADD: Hints = Hints {
    read_only: false,
    destructive: false,
    idempotent: false,
};
pub const DELETE: Hints = Hints {
    read_only: false,
    destructive: true,
    idempotent: true,
};

/// What `tools/list` says about a tool, and the scope a caller needs to see and call it.
pub struct ToolSpec {
    pub tool: Tool,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub scope: Scope,
    pub hints: Hints,
    pub input_schema: fn() -> Value,
    pub output_schema: fn() -> Value,
}

impl ToolSpec {
    /// Every scope a call of this tool needs. Scopes are flat (no scope implies another), so
    /// this is exactly the tool's own scope.
    pub fn required_scopes(&self) -> ScopeSet {
        ScopeSet::from_iter([self.scope])
    }

    /// The `Tool` object of `tools/list`.
    pub fn descriptor(&self) -> Value {
        json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": (self.input_schema)(),
            "outputSchema": (self.output_schema)(),
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.hints.read_only,
                "destructiveHint": self.hints.destructive,
                "idempotentHint": self.hints.idempotent,
                "openWorldHint": false,
            },
        })
    }
}

/// Every tool, in the order `tools/list` shows them.
pub fn all() -> impl Iterator<Item = &'static ToolSpec> {
    memories::SPECS.iter().chain(graph::SPECS.iter())
}

pub fn find(name: &str) -> Option<&'static ToolSpec> {
    all().find(|s| s.name == name)
}

/// The descriptors of the tools `scopes` allow, built once per process.
pub fn list(scopes: &ScopeSet) -> Vec<Value> {
    static DESCRIPTORS: OnceLock<Vec<(Scope, Value)>> = OnceLock::new();
    DESCRIPTORS
        .get_or_init(|| all().map(|s| (s.scope, s.descriptor())).collect())
        .iter()
        .filter(|(scope, _)| scopes.contains(*scope))
        .map(|(_, d)| d.clone())
        .collect()
}

/// The whole legacy `tools/list` result (`{"tools": [...]}`) for `scopes`, as JSON text.
///
/// Rendered once per process for each of the 16 subsets of the four scopes: an authenticated
/// `tools/list` was spending most of its time cloning, converting and serialising these
/// descriptors (~10 KB of JSON) again on every call, while the answer depends on nothing but
/// the token's scopes.
pub fn list_result(scopes: &ScopeSet) -> &'static RawValue {
    static RENDERED: OnceLock<Vec<Box<RawValue>>> = OnceLock::new();
    RENDERED.get_or_init(|| render_per_scope_subset(|tools| json!({ "tools": tools })))
        [scope_subset_index(scopes)]
    .as_ref()
}

/// `wrap` applied to the descriptors each subset of the scopes allows, serialised: a table
/// that [`scope_subset_index`] indexes. For a wire layer that wraps the list in its own
/// envelope and keeps the table in a `OnceLock`, as [`list_result`] does.
pub fn render_per_scope_subset(wrap: impl Fn(Vec<Value>) -> Value) -> Vec<Box<RawValue>> {
    (0..1usize << Scope::ALL.len())
        .map(|mask| {
            let subset: ScopeSet = Scope::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| *s)
                .collect();
            let text = serde_json::to_string(&wrap(list(&subset))).expect("tool descriptors serialize");
            RawValue::from_string(text).expect("serde_json output is JSON")
        })
        .collect()
}

/// The entry of a [`render_per_scope_subset`] table that belongs to `scopes`.
pub fn scope_subset_index(scopes: &ScopeSet) -> usize {
    Scope::ALL
        .iter()
        .enumerate()
        .filter(|(_, s)| scopes.contains(**s))
        .fold(0usize, |m, (i, _)| m | 1 << i)
}

/// Why a `tools/call` produced no tool result.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// JSON-RPC -32602.
    #[error("Unknown tool: {0}")]
    UnknownTool(String),
    /// HTTP 403 `insufficient_scope`, naming every scope the call needs (MCP 2026-07-28
    /// "Scope Challenge Handling": all of them in one challenge).
    #[error("this tool needs the scopes {0}")]
    InsufficientScope(ScopeSet),
    /// HTTP 503.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a tool did not do its work.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// Reported to the caller as a tool result with `isError: true`.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ToolError {
    pub fn invalid(message: impl Into<String>) -> ToolError {
        ToolError::Invalid(message.into())
    }
}

/// What a tool handler works with: whose data, and the time of the call.
pub struct Context<'a> {
    pub store: &'a Store,
    pub user_id: &'a str,
    pub now: i64,
}

/// Runs tool `name` for `principal` with `arguments` (absent means `{}`) and returns the
/// `CallToolResult`.
pub async fn call(
    store: &Store,
    principal: &Principal,
    name: &str,
    arguments: Option<Value>,
    now: i64,
) -> Result<Value, CallError> {
    let spec = find(name).ok_or_else(|| CallError::UnknownTool(name.to_string()))?;
    let required = spec.required_scopes();
    if !required.is_subset_of(&principal.scopes) {
        return Err(CallError::InsufficientScope(required));
    }
    let ctx = Context {
        store,
        user_id: &principal.user_id,
        now,
    };
    let arguments = arguments.unwrap_or_else(|| json!({}));
    let outcome = if arguments.is_object() {
        run(spec.tool, &ctx, arguments).await
    } else {
        Err(ToolError::invalid(format!(
            "Invalid arguments for {name}: arguments must be a JSON object"
        )))
    };
    match outcome {
        Ok(structured) => Ok(success(structured)),
        Err(ToolError::Invalid(message)) => Ok(failure(&message)),
        Err(ToolError::Store(e)) => Err(CallError::Store(e)),
    }
}

async fn run(tool: Tool, ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    match tool {
        Tool::SearchMemories => memories::search(ctx, arguments).await,
        Tool::ListMemories => memories::list(ctx, arguments).await,
        Tool::AddMemory => memories::add(ctx, arguments).await,
        Tool::DeleteMemory => memories::delete(ctx, arguments).await,
        Tool::CreateEntities => graph::create_entities(ctx, arguments).await,
        Tool::CreateRelations => graph::create_relations(ctx, arguments).await,
        Tool::AddObservations => graph::add_observations(ctx, arguments).await,
        Tool::DeleteEntities => graph::delete_entities(ctx, arguments).await,
        Tool::DeleteObservations => graph::delete_observations(ctx, arguments).await,
        Tool::DeleteRelations => graph::delete_relations(ctx, arguments).await,
        Tool::ReadGraph => graph::read_graph(ctx, arguments).await,
        Tool::SearchNodes => graph::search_nodes(ctx, arguments).await,
        Tool::OpenNodes => graph::open_nodes(ctx, arguments).await,
    }
}

/// A successful result: the object, and the same JSON as text.
fn success(structured: Value) -> Value {
    let text = structured.to_string();
    json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": structured,
        "isError": false,
    })
}

/// A failed call, told to the model. No `structuredContent`: clients validate it against the
/// output schema, which describes success.
fn failure(message: &str) -> Value {
    json!({
        "content": [{ "type": "text", "text": message }],
        "isError": true,
    })
}

/// The arguments as `T`, or a message naming the tool and what did not fit.
pub fn parse_arguments<T: DeserializeOwned>(tool: &str, arguments: Value) -> Result<T, ToolError> {
    serde_json::from_value(arguments)
        .map_err(|e| ToolError::invalid(format!("Invalid arguments for {tool}: {e}")))
}

/// Fails unless `value` has between 1 and `max` characters.
pub fn check_text(tool: &str, field: &str, value: &str, max: usize) -> Result<(), ToolError> {
    if value.trim().is_empty() {
        return Err(ToolError::invalid(format!(
            "Invalid arguments for {tool}: `{field}` must not be empty"
        )));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(ToolError::invalid(format!(
            "Invalid arguments for {tool}: `{field}` is {chars} characters long; the limit is {max}"
        )));
    }
    Ok(())
}

/// Fails unless `len` items is at most `max`.
pub fn check_count(tool: &str, field: &str, len: usize, max: usize) -> Result<(), ToolError> {
    if len > max {
        return Err(ToolError::invalid(format!(
            "Invalid arguments for {tool}: `{field}` has {len} items; the limit is {max} per call"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_described_completely_and_named_once() {
        let mut names: Vec<&str> = all().map(|s| s.name).collect();
        assert_eq!(names.len(), 13);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 13);
        for spec in all() {
            let d = spec.descriptor();
            assert!(!spec.title.is_empty() && !spec.description.is_empty());
            assert_eq!(d["inputSchema"]["type"], "object", "{}", spec.name);
            assert_eq!(d["outputSchema"]["type"], "object", "{}", spec.name);
            assert_eq!(d["annotations"]["openWorldHint"], false);
            assert!(d["annotations"]["readOnlyHint"].is_boolean());
            let read = matches!(spec.scope, Scope::MemoriesRead | Scope::EntitiesRead);
            assert_eq!(spec.hints.read_only, read, "{}", spec.name);
        }
    }

    #[test]
    fn list_shows_only_the_tools_of_the_granted_scopes() {
        let names = |scopes: &str| -> Vec<String> {
            list(&ScopeSet::parse_lenient(scopes))
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names("memories:read"), ["search_memories", "list_memories"]);
        assert_eq!(
            names("entities:read"),
            ["read_graph", "search_nodes", "open_nodes"]
        );
        assert!(names("").is_empty());
        assert_eq!(
            names("memories:read memories:write entities:read entities:write").len(),
            13
        );
    }
}
