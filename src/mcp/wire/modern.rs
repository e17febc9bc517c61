//! MCP 2026-07-28 (stateless): every request is checked on its own, in this order (the order
//! of the revision's conformance suite):
//!
//! 1. `Mcp-Method` present and equal to the body's `method`; on `tools/call`, `prompts/get`
//!    and `resources/read` also `Mcp-Name` present and equal to `params.name` / `params.uri`.
//!    Values are compared case-sensitively after trimming; `Mcp-Name` may arrive as
//!    `=?base64?…?=` and is decoded first (the revision allows that form on `Mcp-Name` and
//!    `Mcp-Param-*` only). Failure: 400 + -32020.
//! 2. `params._meta` carries `io.modelcontextprotocol/protocolVersion` (a string) and
//!    `io.modelcontextprotocol/clientCapabilities` (an object). Failure: 400 + -32602.
//! 3. The header version equals the `_meta` one (400 + -32020) and is 2026-07-28
//!    (400 + -32022 with `data.supported`, `data.requested`).
//! 4. The method exists in this revision: `server/discover`, `tools/list`, `tools/call`.
//!    Anything else, `initialize`, `ping` and `logging/setLevel` included: 404 + -32601.
//!
//! Every error echoes the request `id`. Every result carries `resultType: "complete"` and
//! `_meta["io.modelcontextprotocol/serverInfo"]`; `tools/list` and `server/discover` also carry
//! `ttlMs` and `cacheScope`. Those two answers depend only on the build and the token's
//! scopes, so they are rendered once per process and sent as the same bytes every time:
//! `tools/list` is `private` (the list is filtered by the token's scopes), `server/discover` is
//! `public`. No capability is advertised that needs a stream (`listChanged`): this endpoint
//! answers JSON only, and clients re-list when `ttlMs` runs out.

use std::sync::OnceLock;

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::super::jsonrpc::{ErrorObject, Response, INVALID_PARAMS, METHOD_NOT_FOUND};
use super::super::protocol::{self, Method, Reply};
use super::super::tools;
use super::super::version;
use super::super::McpOutcome;
use super::{header_mismatch, unsupported_version, Header, TransportHeaders};
use crate::oauth::bearer::Principal;
use crate::oauth::scope::ScopeSet;
use crate::storage::{Store, StoreError};

pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// How long a client may reuse `tools/list` and `server/discover`: both change only when the
/// server is upgraded (or, for `tools/list`, with the token, whose cache scope is private).
pub const LIST_TTL_MS: u64 = 3_600_000;

/// The methods of 2026-07-28.
fn offers(method: Method) -> bool {
    matches!(method, Method::Discover | Method::ListTools | Method::CallTool)
}

/// Does the body carry the modern per-request version (whatever its value)?
pub fn declares_version(params: Option<&Value>) -> bool {
    params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(PROTOCOL_VERSION_KEY))
        .is_some()
}

/// Answers one 2026-07-28 request.
pub async fn answer(
    store: &Store,
    principal: &Principal,
    headers: &TransportHeaders,
    id: Value,
    method: &str,
    params: Option<Value>,
    now: i64,
) -> Result<McpOutcome, StoreError> {
    if let Err(message) = check_headers(headers, method, params.as_ref()) {
        return Ok(header_mismatch(id, message));
    }
    let requested = match required_meta(params.as_ref()) {
        Ok(v) => v,
        Err(message) => {
            return Ok(McpOutcome::Rejected(Response::error(
                id,
                ErrorObject::new(INVALID_PARAMS, message),
            )))
        }
    };
    let header_version = match &headers.protocol_version {
        Header::Text(v) => v.as_str(),
        _ => "",
    };
    if header_version != requested {
        return Ok(header_mismatch(
            id,
            format!(
                "Header mismatch: MCP-Protocol-Version header value '{header_version}' does not match _meta value '{requested}'"
            ),
        ));
    }
    if requested != version::MODERN {
        return Ok(unsupported_version(id, requested));
    }
    let Some(known) = Method::from_name(method).filter(|m| offers(*m)) else {
        return Ok(McpOutcome::NotFound(Response::error(
            id,
            ErrorObject::new(
                METHOD_NOT_FOUND,
                format!("Method not found: {method} (MCP {})", version::MODERN),
            ),
        )));
    };
    Ok(
        match protocol::dispatch(store, principal, known, params, now).await? {
            Reply::Result(result) => McpOutcome::Reply(Response::result(id, complete(result))),
            Reply::ToolList => {
                McpOutcome::Reply(Response::prerendered(id, tools_list_result(&principal.scopes)))
            }
            Reply::Discover => McpOutcome::Reply(Response::prerendered(id, discover_result())),
            Reply::Error(error) => McpOutcome::Reply(Response::error(id, error)),
            Reply::InsufficientScope(required) => McpOutcome::InsufficientScope { required },
        },
    )
}

/// Step 1: `Mcp-Method` and `Mcp-Name` against the body; the message says what was wrong.
fn check_headers(headers: &TransportHeaders, method: &str, params: Option<&Value>) -> Result<(), String> {
    let sent = required_header(&headers.method, "Mcp-Method")?;
    if sent != method {
        return Err(format!(
            "Header mismatch: Mcp-Method header value '{sent}' does not match body value '{method}'"
        ));
    }
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    let sent = decode_sentinel(required_header(&headers.name, "Mcp-Name")?)?;
    // A body without the field is the method's own -32602, reported later.
    match params.and_then(|p| p.get(field)).and_then(Value::as_str) {
        Some(body) if body != sent => Err(format!(
            "Header mismatch: Mcp-Name header value '{sent}' does not match body value '{body}'"
        )),
        _ => Ok(()),
    }
}

fn required_header<'a>(header: &'a Header, name: &str) -> Result<&'a str, String> {
    match header {
        Header::Text(v) => Ok(v),
        Header::Absent => Err(format!("Header mismatch: the {name} header is required")),
        Header::Invalid => Err(format!(
            "Header mismatch: the {name} header contains invalid characters"
        )),
    }
}

/// `=?base64?…?=` → the UTF-8 text it encodes; any other value as it is.
fn decode_sentinel(value: &str) -> Result<String, String> {
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Ok(value.to_string());
    };
    const LENIENT_PADDING: GeneralPurpose = GeneralPurpose::new(
        &STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT_PADDING
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| "Header mismatch: the Mcp-Name header is not valid =?base64?…?= UTF-8".to_string())
}

/// Step 2: the `_meta` every request must carry; returns its protocol version.
fn required_meta(params: Option<&Value>) -> Result<&str, String> {
    let meta = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .ok_or_else(|| "Invalid params: params._meta (an object) is required".to_string())?;
    let version = meta
        .get(PROTOCOL_VERSION_KEY)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            format!("Invalid params: params._meta[\"{PROTOCOL_VERSION_KEY}\"] (a string) is required")
        })?;
    if !meta.get(CLIENT_CAPABILITIES_KEY).is_some_and(Value::is_object) {
        return Err(format!(
            "Invalid params: params._meta[\"{CLIENT_CAPABILITIES_KEY}\"] (an object) is required"
        ));
    }
    Ok(version)
}

fn result_meta() -> Value {
    json!({ SERVER_INFO_KEY: protocol::server_info() })
}

/// A result built for this request, with what every 2026-07-28 result carries.
fn complete(result: Value) -> Value {
    let mut object = match result {
        Value::Object(o) => o,
        other => {
            let mut o = Map::new();
            o.insert("value".into(), other);
            o
        }
    };
    object.insert("resultType".into(), json!("complete"));
    let meta = object.entry("_meta").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        meta.insert(SERVER_INFO_KEY.into(), protocol::server_info());
    }
    Value::Object(object)
}

/// The `tools/list` result for `scopes`, rendered once per process per subset of the scopes.
/// Tools come in the registry's fixed order.
pub fn tools_list_result(scopes: &ScopeSet) -> &'static RawValue {
    static RENDERED: OnceLock<Vec<Box<RawValue>>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        tools::render_per_scope_subset(|tools| {
            json!({
                "resultType": "complete",
                "tools": tools,
                "ttlMs": LIST_TTL_MS,
                "cacheScope": "private",
                "_meta": result_meta(),
            })
        })
    })[tools::scope_subset_index(scopes)]
    .as_ref()
}

/// The `server/discover` result, rendered once per process.
pub fn discover_result() -> &'static RawValue {
    static RENDERED: OnceLock<Box<RawValue>> = OnceLock::new();
    RENDERED
        .get_or_init(|| {
            let result = json!({
                "resultType": "complete",
                "supportedVersions": version::SUPPORTED,
                "capabilities": { "tools": {} },
                "instructions": protocol::INSTRUCTIONS,
                "ttlMs": LIST_TTL_MS,
                "cacheScope": "public",
                "_meta": result_meta(),
            });
            RawValue::from_string(result.to_string()).expect("serde_json output is JSON")
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(method: &str, name: Option<&str>) -> TransportHeaders {
        TransportHeaders {
            protocol_version: Header::Text(version::MODERN.into()),
            method: Header::Text(method.into()),
            name: name.map_or(Header::Absent, |n| Header::Text(n.into())),
        }
    }

    #[test]
    fn mcp_method_must_equal_the_body_method_case_sensitively() {
        assert!(check_headers(&headers("tools/list", None), "tools/list", None).is_ok());
        assert!(check_headers(&headers("TOOLS/LIST", None), "tools/list", None).is_err());
        assert!(check_headers(&TransportHeaders::default(), "tools/list", None).is_err());
    }

    #[test]
    fn mcp_name_is_required_on_tools_call_and_may_be_base64() {
        let params = json!({"name": "add_memory"});
        let p = Some(&params);
        assert!(check_headers(&headers("tools/call", Some("add_memory")), "tools/call", p).is_ok());
        assert!(check_headers(&headers("tools/call", None), "tools/call", p).is_err());
        assert!(check_headers(&headers("tools/call", Some("Add_memory")), "tools/call", p).is_err());
        let encoded = format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode("add_memory")
        );
        assert!(check_headers(&headers("tools/call", Some(&encoded)), "tools/call", p).is_ok());
        assert!(check_headers(&headers("tools/call", Some("=?base64?!!?=")), "tools/call", p).is_err());
    }

    #[test]
    fn the_sentinel_decodes_non_ascii_names() {
        assert_eq!(
            decode_sentinel("=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, 世界"
        );
        assert_eq!(
            decode_sentinel("=?base64?SGVsbG8sIOS4lueVjA?=").unwrap(),
            "Hello, 世界"
        );
        assert_eq!(decode_sentinel("plain").unwrap(), "plain");
        assert!(decode_sentinel("=?base64?/w==?=").is_err(), "not UTF-8");
    }

    #[test]
    fn meta_needs_the_version_and_the_client_capabilities() {
        let ok = json!({"_meta": {PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}}});
        assert_eq!(required_meta(Some(&ok)).unwrap(), "2026-07-28");
        assert!(required_meta(None).is_err());
        assert!(required_meta(Some(&json!({"_meta": {PROTOCOL_VERSION_KEY: "2026-07-28"}}))).is_err());
        assert!(required_meta(Some(&json!({"_meta": {CLIENT_CAPABILITIES_KEY: {}}}))).is_err());
    }

    #[test]
    fn every_result_is_complete_and_names_the_server() {
        let r = complete(json!({"content": [], "_meta": {"x": 1}}));
        assert_eq!(r["resultType"], "complete");
        assert_eq!(r["_meta"]["x"], 1);
        assert_eq!(r["_meta"][SERVER_INFO_KEY]["name"], "mcp-oauth");
        let list: Value = serde_json::from_str(tools_list_result(&ScopeSet::all()).get()).unwrap();
        assert_eq!(list["cacheScope"], "private");
        assert_eq!(list["tools"].as_array().unwrap().len(), 13);
        let discover: Value = serde_json::from_str(discover_result().get()).unwrap();
        assert_eq!(discover["supportedVersions"][0], "2026-07-28");
        assert_eq!(discover["cacheScope"], "public");
    }
}
