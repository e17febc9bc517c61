//! JSON-RPC 2.0 as MCP uses it: one message per HTTP request, ids that are strings or numbers
//! (never null), object params, no batches (MCP 2025-06-18 removed them; one message per request
//! is also what SPEC §7 promises).

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
/// MCP 2026-07-28: an `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header is missing,
/// unreadable, or disagrees with the body (HTTP 400).
pub const HEADER_MISMATCH: i64 = -32020;
/// MCP 2026-07-28: the requested protocol version is not one this server speaks (HTTP 400,
/// `data.supported` and `data.requested`).
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// One incoming message, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Expects an answer with the same `id`.
    Request {
        id: Value,
        method: String,
        params: Option<Value>,
    },
    /// No `id`: no answer, whatever the method.
    Notification { method: String },
    /// A client's answer to a server-initiated request. This server sends none, so it is
    /// acknowledged and dropped.
    Response,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
    /// Boxed: rarely present, and it would otherwise double the size of every `Response`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<Value>>,
}

impl ErrorObject {
    pub fn new(code: i64, message: impl Into<String>) -> ErrorObject {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> ErrorObject {
        self.data = Some(Box::new(data));
        self
    }
}

/// The `result` of a response.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ResultBody {
    /// Built for this request.
    Value(Value),
    /// JSON text rendered once per process and embedded verbatim: the `tools/list` answers,
    /// ~10 KB each, which cost more to clone and re-serialise as a `Value` tree on every call
    /// than everything else in an authenticated request (see `mcp::tools::list_result`).
    Prerendered(&'static RawValue),
}

impl PartialEq for ResultBody {
    fn eq(&self, other: &ResultBody) -> bool {
        let text = |r: &ResultBody| match r {
            ResultBody::Value(v) => serde_json::to_string(v).unwrap_or_default(),
            ResultBody::Prerendered(raw) => raw.get().to_string(),
        };
        text(self) == text(other)
    }
}

/// An outgoing JSON-RPC response: a result or an error for `id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub jsonrpc: &'static str,
    pub id: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

impl Response {
    pub fn result(id: Value, result: Value) -> Response {
        Response {
            jsonrpc: "2.0",
            id,
            result: Some(ResultBody::Value(result)),
            error: None,
        }
    }

    pub fn prerendered(id: Value, result: &'static RawValue) -> Response {
        Response {
            jsonrpc: "2.0",
            id,
            result: Some(ResultBody::Prerendered(result)),
            error: None,
        }
    }

    /// For a response whose result was rendered once per process: its JSON text as the part
    /// before the result, the result, and the part after, exactly as serialising the whole
    /// would give them. The transport can then send the result's bytes (or their one-time
    /// compressed form) without copying them through a serializer.
    pub fn prerendered_parts(&self) -> Option<(Vec<u8>, &'static str, &'static [u8])> {
        let (Some(ResultBody::Prerendered(raw)), None) = (&self.result, &self.error) else {
            return None;
        };
        let mut before = Vec::with_capacity(48);
        before.extend_from_slice(b"{\"jsonrpc\":");
        serde_json::to_writer(&mut before, self.jsonrpc).ok()?;
        before.extend_from_slice(b",\"id\":");
        serde_json::to_writer(&mut before, &self.id).ok()?;
        before.extend_from_slice(b",\"result\":");
        Some((before, raw.get(), b"}"))
    }

    pub fn error(id: Value, error: ErrorObject) -> Response {
        Response {
            jsonrpc: "2.0",
            id,
            result: None,
            error: Some(error),
        }
    }
}

/// A message that is not valid JSON-RPC: answered with an error carrying the request's id when
/// it could be read, else `null`.
pub type Rejection = Response;

/// Reads and classifies one message.
pub fn parse(body: &[u8]) -> Result<Message, Rejection> {
    well_formed(body).map_or_else(|| parse_fully(body), Ok)
}

/// The shape of nearly every message, read without building a map of the whole object.
#[derive(serde::Deserialize)]
struct WellFormed<'a> {
    #[serde(borrow)]
    jsonrpc: &'a str,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    method: String,
    #[serde(default, deserialize_with = "present")]
    params: Option<Value>,
}

/// A member that is there, `null` included (a plain `Option` would read `null` as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// A request or notification that [`parse_fully`] would accept, read directly into it; `None`
/// for anything else (a response, a duplicate member, an escaped `"jsonrpc"`, any error),
/// which `parse_fully` reads and names what is wrong with.
fn well_formed(body: &[u8]) -> Option<Message> {
    // Derived struct readers also take an array of the members in order: only an object here.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let m: WellFormed = serde_json::from_slice(body).ok()?;
    let structured = m.params.as_ref().is_none_or(|p| p.is_object() || p.is_array());
    if m.jsonrpc != "2.0" || !structured {
        return None;
    }
    match m.id {
        None => Some(Message::Notification { method: m.method }),
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(Message::Request {
            id,
            method: m.method,
            params: m.params,
        }),
        Some(_) => None,
    }
}

/// Reads any message into a JSON value first, and classifies it: what [`parse`] does with
/// every message [`well_formed`] does not take.
fn parse_fully(body: &[u8]) -> Result<Message, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Response::error(
            Value::Null,
            ErrorObject::new(PARSE_ERROR, format!("Parse error: {e}")),
        )
    })?;
    let mut obj = match value {
        Value::Object(obj) => obj,
        Value::Array(_) => {
            return Err(invalid(
                Value::Null,
                "Invalid Request: batches are not supported; send one message per request",
            ))
        }
        _ => return Err(invalid(Value::Null, "Invalid Request: not a JSON object")),
    };
    let id = obj.remove("id");
    let readable_id = match &id {
        Some(v @ (Value::String(_) | Value::Number(_))) => Some(v.clone()),
        _ => None,
    };
    let echo = readable_id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(echo, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
    }
    match obj.remove("method") {
        Some(Value::String(method)) => {
            let params = check_params(&mut obj).map_err(|m| invalid(echo.clone(), m))?;
            match (id, readable_id) {
                (None, _) => Ok(Message::Notification { method }),
                (Some(_), Some(id)) => Ok(Message::Request { id, method, params }),
                (Some(_), None) => Err(invalid(
                    Value::Null,
                    "Invalid Request: \"id\" must be a string or a number",
                )),
            }
        }
        Some(_) => Err(invalid(echo, "Invalid Request: \"method\" must be a string")),
        None if readable_id.is_some() && (obj.contains_key("result") || obj.contains_key("error")) => {
            Ok(Message::Response)
        }
        None => Err(invalid(echo, "Invalid Request: missing \"method\"")),
    }
}

/// `params`, when present, must be structured (JSON-RPC §4.2); MCP methods take objects, and
/// an array reaches the method to be refused as invalid params.
fn check_params(obj: &mut Map<String, Value>) -> Result<Option<Value>, &'static str> {
    match obj.remove("params") {
        None => Ok(None),
        Some(v @ (Value::Object(_) | Value::Array(_))) => Ok(Some(v)),
        Some(_) => Err("Invalid Request: \"params\" must be an object"),
    }
}

fn invalid(id: Value, message: &str) -> Rejection {
    Response::error(id, ErrorObject::new(INVALID_REQUEST, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(r: Result<Message, Rejection>) -> i64 {
        r.unwrap_err().error.unwrap().code
    }

    #[test]
    fn the_direct_reading_agrees_with_the_full_one() {
        let cases: &[&[u8]] = &[
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#,
            br#" {"jsonrpc":"2.0","id":"x","method":"tools/list"}"#,
            br#"{"method":"ping","jsonrpc":"2.0"}"#,
            br#"{"jsonrpc":"2.0","id":-2.5,"method":"a","params":[1],"extra":{"result":1}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"k":[null,{}]}}}"#,
            br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            br#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","id":2}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            br#"["2.0",1,"ping",{}]"#,
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#,
            br#"{"jsonrpc":"#,
            b"",
        ];
        for case in cases {
            let direct = well_formed(case);
            let full = parse_fully(case);
            if let Some(m) = direct {
                assert_eq!(Ok(m), full, "{}", String::from_utf8_lossy(case));
            }
            assert_eq!(parse(case), full, "{}", String::from_utf8_lossy(case));
        }
        assert!(
            well_formed(cases[0]).is_some(),
            "the common shape is read directly"
        );
        assert!(well_formed(cases[4]).is_some());
    }

    #[test]
    fn a_request_keeps_its_id_and_params() {
        let m = parse(br#"{"jsonrpc":"2.0","id":"a","method":"ping","params":{"x":1}}"#).unwrap();
        assert_eq!(
            m,
            Message::Request {
                id: json!("a"),
                method: "ping".into(),
                params: Some(json!({"x":1}))
            }
        );
    }

    #[test]
    fn a_message_without_id_is_a_notification() {
        let m = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(
            m,
            Message::Notification {
                method: "notifications/initialized".into()
            }
        );
    }

    #[test]
    fn a_client_response_is_recognised() {
        let m = parse(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#).unwrap();
        assert_eq!(m, Message::Response);
    }

    #[test]
    fn malformed_json_is_a_parse_error_with_null_id() {
        let r = parse(b"{\"jsonrpc\":").unwrap_err();
        assert_eq!(r.id, Value::Null);
        assert_eq!(r.error.unwrap().code, PARSE_ERROR);
    }

    #[test]
    fn batches_and_non_objects_are_invalid_requests() {
        assert_eq!(
            code(parse(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)),
            INVALID_REQUEST
        );
        assert_eq!(code(parse(b"42")), INVALID_REQUEST);
    }

    #[test]
    fn wrong_version_null_id_and_scalar_params_are_invalid_requests() {
        assert_eq!(
            code(parse(br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#)),
            INVALID_REQUEST
        );
        assert_eq!(
            code(parse(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)),
            INVALID_REQUEST
        );
        assert_eq!(
            code(parse(br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":3}"#)),
            INVALID_REQUEST
        );
        assert_eq!(
            code(parse(br#"{"jsonrpc":"2.0","id":1,"method":7}"#)),
            INVALID_REQUEST
        );
        assert_eq!(code(parse(br#"{"jsonrpc":"2.0","id":1}"#)), INVALID_REQUEST);
    }

    #[test]
    fn prerendered_parts_are_the_serialised_response_cut_around_the_result() {
        let raw: &'static RawValue =
            Box::leak(RawValue::from_string(r#"{"tools":[{"name":"x"}]}"#.into()).unwrap());
        for id in [json!(1), json!("a\"b\u{e9}"), json!(-2.5), json!(u64::MAX)] {
            let r = Response::prerendered(id.clone(), raw);
            let (before, result, after) = r.prerendered_parts().expect("prerendered");
            let joined = [before.as_slice(), result.as_bytes(), after].concat();
            assert_eq!(joined, serde_json::to_vec(&r).unwrap(), "{id}");
        }
        assert!(Response::result(json!(1), json!({}))
            .prerendered_parts()
            .is_none());
    }

    #[test]
    fn an_invalid_request_echoes_a_readable_id() {
        let r = parse(br#"{"jsonrpc":"1.0","id":9,"method":"ping"}"#).unwrap_err();
        assert_eq!(r.id, json!(9));
    }
}
