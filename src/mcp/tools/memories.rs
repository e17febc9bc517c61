//! The free-text memory tools: `search_memories`, `list_memories` (scope `memories:read`),
//! `add_memory`, `delete_memory` (scope `memories:write`).
//!
//! The `list_memories` cursor is opaque to clients: base64url of the last id returned, so the
//! next page starts strictly below it and stays stable while memories are added.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    check_count, check_text, parse_arguments, Context, Tool, ToolError, ToolSpec, ADD, DELETE, READ,
};
use crate::clock;
use crate::oauth::scope::Scope;
use crate::storage::memories::{self, Memory};

pub const MAX_CONTENT_CHARS: usize = 10_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_QUERY_CHARS: usize = 1_000;
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_SEARCH_LIMIT: u32 = 10;
pub const DEFAULT_LIST_LIMIT: u32 = 20;

pub const SPECS: [ToolSpec; 4] = [
    ToolSpec {
        tool: Tool::SearchMemories,
        name: "search_memories",
        title: "Search Memories",
        description: "Full-text search over your stored memories (content and tags). Returns the best matches first; a memory matching more of the query's words ranks higher.",
        scope: Scope::MemoriesRead,
        hints: READ,
        input_schema: search_input,
        output_schema: memory_list_output,
    },
    ToolSpec {
        tool: Tool::ListMemories,
        name: "list_memories",
        title: "List Memories",
        description: "List your stored memories, newest first. Pass the returned nextCursor as cursor to get the next page; no nextCursor means there are no more.",
        scope: Scope::MemoriesRead,
        hints: READ,
        input_schema: list_input,
        output_schema: memory_list_output,
    },
    ToolSpec {
        tool: Tool::AddMemory,
        name: "add_memory",
        title: "Add Memory",
        description: "Store a new memory (a piece of text, with optional tags) and return it with its id.",
        scope: Scope::MemoriesWrite,
        hints: ADD,
        input_schema: add_input,
        output_schema: memory_schema,
    },
    ToolSpec {
        tool: Tool::DeleteMemory,
        name: "delete_memory",
        title: "Delete Memory",
        description: "Delete one of your memories by its id.",
        scope: Scope::MemoriesWrite,
        hints: DELETE,
        input_schema: delete_input,
        output_schema: delete_output,
    },
];

fn limit_schema(default: u32) -> Value {
    json!({
        "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": default,
        "description": "How many memories to return at most"
    })
}

fn search_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": { "type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "description": "Words to look for" },
            "limit": limit_schema(DEFAULT_SEARCH_LIMIT),
        },
        "required": ["query"],
        "additionalProperties": false,
    })
}

fn list_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "limit": limit_schema(DEFAULT_LIST_LIMIT),
            "cursor": { "type": "string", "description": "nextCursor from the previous page" },
        },
        "additionalProperties": false,
    })
}

fn add_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "content": { "type": "string", "minLength": 1, "maxLength": MAX_CONTENT_CHARS, "description": "The text to remember" },
            "tags": {
                "type": "array", "maxItems": MAX_TAGS,
                "items": { "type": "string", "minLength": 1, "maxLength": MAX_TAG_CHARS },
                "description": "Optional labels, searchable like the content"
            },
        },
        "required": ["content"],
        "additionalProperties": false,
    })
}

fn delete_input() -> Value {
    json!({
        "type": "object",
        "properties": { "id": { "type": "integer", "description": "The id of the memory to delete" } },
        "required": ["id"],
        "additionalProperties": false,
    })
}

fn memory_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": { "type": "integer" },
            "content": { "type": "string" },
            "tags": { "type": "array", "items": { "type": "string" } },
            "createdAt": { "type": "string", "description": "RFC 3339, UTC" },
        },
        "required": ["id", "content", "tags", "createdAt"],
    })
}

fn memory_list_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "memories": { "type": "array", "items": memory_schema() },
            "nextCursor": { "type": "string" },
        },
        "required": ["memories"],
    })
}

fn delete_output() -> Value {
    json!({
        "type": "object",
        "properties": { "id": { "type": "integer" }, "deleted": { "type": "boolean" } },
        "required": ["id", "deleted"],
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    query: String,
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddArgs {
    content: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteArgs {
    id: i64,
}

fn check_limit(tool: &str, limit: Option<u32>, default: u32) -> Result<u32, ToolError> {
    match limit.unwrap_or(default) {
        n @ 1..=MAX_LIMIT => Ok(n),
        n => Err(ToolError::invalid(format!(
            "Invalid arguments for {tool}: `limit` is {n}; it must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

fn to_json(m: &Memory) -> Value {
    json!({
        "id": m.id,
        "content": m.content,
        "tags": m.tags,
        "createdAt": clock::rfc3339(m.created_at),
    })
}

pub async fn search(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    let args: SearchArgs = parse_arguments("search_memories", arguments)?;
    check_text("search_memories", "query", &args.query, MAX_QUERY_CHARS)?;
    let limit = check_limit("search_memories", args.limit, DEFAULT_SEARCH_LIMIT)?;
    let found = memories::search(ctx.store, ctx.user_id, &args.query, limit).await?;
    Ok(json!({ "memories": found.iter().map(to_json).collect::<Vec<_>>() }))
}

pub async fn list(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    let args: ListArgs = parse_arguments("list_memories", arguments)?;
    let limit = check_limit("list_memories", args.limit, DEFAULT_LIST_LIMIT)?;
    let before = match args.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ToolError::invalid(
                "Invalid arguments for list_memories: `cursor` is not one this server returned; \
                 list again without a cursor",
            )
        })?),
    };
    // One extra row tells whether another page exists without a count query.
    let mut page = memories::list(ctx.store, ctx.user_id, before, limit + 1).await?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let mut out = json!({ "memories": page.iter().map(to_json).collect::<Vec<_>>() });
    if let (true, Some(last)) = (more, page.last()) {
        out["nextCursor"] = Value::String(encode_cursor(last.id));
    }
    Ok(out)
}

pub async fn add(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    let args: AddArgs = parse_arguments("add_memory", arguments)?;
    check_text("add_memory", "content", &args.content, MAX_CONTENT_CHARS)?;
    check_count("add_memory", "tags", args.tags.len(), MAX_TAGS)?;
    let mut tags: Vec<String> = Vec::with_capacity(args.tags.len());
    for tag in args.tags {
        let tag = tag.trim().to_string();
        check_text("add_memory", "tags[]", &tag, MAX_TAG_CHARS)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let memory = memories::insert(ctx.store, ctx.user_id, &args.content, &tags, ctx.now).await?;
    Ok(to_json(&memory))
}

pub async fn delete(ctx: &Context<'_>, arguments: Value) -> Result<Value, ToolError> {
    let args: DeleteArgs = parse_arguments("delete_memory", arguments)?;
    if memories::delete(ctx.store, ctx.user_id, args.id).await? {
        Ok(json!({ "id": args.id, "deleted": true }))
    } else {
        Err(ToolError::invalid(format!(
            "No memory with id {} was found",
            args.id
        )))
    }
}

pub fn encode_cursor(last_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("before:{last_id}"))
}

pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    text.strip_prefix("before:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("before:x")), None);
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(check_limit("t", None, 7).unwrap(), 7);
        assert_eq!(check_limit("t", Some(MAX_LIMIT), 7).unwrap(), MAX_LIMIT);
        assert!(check_limit("t", Some(0), 7).is_err());
        assert!(check_limit("t", Some(MAX_LIMIT + 1), 7).is_err());
    }
}
