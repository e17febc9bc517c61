//! The revisions' wire layers: how a request is recognised, validated and answered. Chosen
//! once per request by [`era`]; both hand the request to the one dispatcher
//! ([`super::protocol`]).
//!
//! How the era is chosen (MCP 2026-07-28 "Versioning", "Backward Compatibility"), with H the
//! `MCP-Protocol-Version` header and M `params._meta["io.modelcontextprotocol/protocolVersion"]`:
//!
//! | H | M | era |
//! |---|---|---|
//! | absent | absent | legacy (a 2025 `initialize`, and 2025-03-26 clients, send no header) |
//! | absent | present | 400 + -32020: a modern request must carry the header |
//! | a legacy version | any | legacy, exactly as before 2026-07-28 |
//! | 2026-07-28 | any | modern |
//! | another string | present | modern, which answers -32020 (H ≠ M) or -32022 |
//! | another string | absent | 400 + -32022 with `data.supported` and `data.requested` |

pub mod legacy;
pub mod modern;

use serde_json::{json, Value};

use super::jsonrpc::{ErrorObject, Message, Response, HEADER_MISMATCH, UNSUPPORTED_PROTOCOL_VERSION};
use super::version::{self, Era};
use super::McpOutcome;

/// One request header as the transport received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Header {
    #[default]
    Absent,
    /// The value, without surrounding spaces and tabs (RFC 9110 §5.5).
    Text(String),
    /// Present, but not visible ASCII text (RFC 9110 field-value without obs-text).
    Invalid,
}

impl Header {
    /// From the raw header bytes, `None` when the header is absent.
    pub fn from_raw(raw: Option<&[u8]>) -> Header {
        let Some(raw) = raw else {
            return Header::Absent;
        };
        let is_space = |b: &u8| *b == b' ' || *b == b'\t';
        let start = raw.iter().position(|b| !is_space(b)).unwrap_or(raw.len());
        let end = raw.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
        let value = &raw[start..end];
        if value.iter().all(|b| (0x21..=0x7e).contains(b) || is_space(b)) {
            Header::Text(String::from_utf8_lossy(value).into_owned())
        } else {
            Header::Invalid
        }
    }
}

/// The request headers the revisions read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransportHeaders {
    /// `MCP-Protocol-Version`
    pub protocol_version: Header,
    /// `Mcp-Method` (2026-07-28)
    pub method: Header,
    /// `Mcp-Name` (2026-07-28)
    pub name: Header,
}

/// The era that answers `message`, or the refusal when none can.
pub fn era(headers: &TransportHeaders, message: &Message) -> Result<Era, McpOutcome> {
    let (id, declares_modern) = match message {
        Message::Request { id, params, .. } => (id.clone(), modern::declares_version(params.as_ref())),
        _ => (Value::Null, false),
    };
    match &headers.protocol_version {
        Header::Absent if declares_modern => Err(header_mismatch(
            id,
            "Header mismatch: the MCP-Protocol-Version header is required on a request carrying _meta[\"io.modelcontextprotocol/protocolVersion\"]",
        )),
        Header::Absent => Ok(Era::Legacy),
        Header::Invalid => Err(header_mismatch(
            id,
            "Header mismatch: the MCP-Protocol-Version header contains invalid characters",
        )),
        Header::Text(v) => match version::era_of(v) {
            Some(era) => Ok(era),
            None if declares_modern => Ok(Era::Modern),
            None => Err(unsupported_version(id, v)),
        },
    }
}

/// 400 + -32020.
pub fn header_mismatch(id: Value, message: impl Into<String>) -> McpOutcome {
    McpOutcome::Rejected(Response::error(id, ErrorObject::new(HEADER_MISMATCH, message)))
}

/// 400 + -32022 naming what we speak and what was asked (MCP 2026-07-28
/// `UnsupportedProtocolVersionError`). The message keeps the words a 2025 client was told.
pub fn unsupported_version(id: Value, requested: &str) -> McpOutcome {
    McpOutcome::Rejected(Response::error(
        id,
        ErrorObject::new(
            UNSUPPORTED_PROTOCOL_VERSION,
            format!(
                "Unsupported MCP-Protocol-Version {requested:?}; supported: {}",
                version::SUPPORTED.join(", ")
            ),
        )
        .with_data(json!({ "supported": version::SUPPORTED, "requested": requested })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_trimmed_and_must_be_visible_ascii() {
        assert_eq!(Header::from_raw(None), Header::Absent);
        assert_eq!(
            Header::from_raw(Some(b" \ttools/call  ")),
            Header::Text("tools/call".into())
        );
        assert_eq!(Header::from_raw(Some(b"")), Header::Text(String::new()));
        assert_eq!(Header::from_raw(Some("caf\u{e9}".as_bytes())), Header::Invalid);
        assert_eq!(Header::from_raw(Some(b"a\x01b")), Header::Invalid);
    }

    fn request(params: Value) -> Message {
        Message::Request {
            id: json!(7),
            method: "tools/list".into(),
            params: Some(params),
        }
    }

    fn with_version(v: &str) -> TransportHeaders {
        TransportHeaders {
            protocol_version: Header::Text(v.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_era_follows_the_header_and_the_meta_version() {
        let plain = request(json!({}));
        let modern = request(json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v9"}}));
        let none = TransportHeaders::default();
        assert_eq!(era(&none, &plain).unwrap(), Era::Legacy);
        assert!(matches!(era(&none, &modern), Err(McpOutcome::Rejected(_))));
        assert_eq!(era(&with_version("2025-06-18"), &modern).unwrap(), Era::Legacy);
        assert_eq!(era(&with_version("2026-07-28"), &plain).unwrap(), Era::Modern);
        assert_eq!(era(&with_version("v9"), &modern).unwrap(), Era::Modern);
        let Err(McpOutcome::Rejected(r)) = era(&with_version("2024-11-05"), &plain) else {
            panic!("an unknown version without _meta is refused");
        };
        let e = r.error.unwrap();
        assert_eq!((r.id, e.code), (json!(7), UNSUPPORTED_PROTOCOL_VERSION));
        assert_eq!(e.data.unwrap()["requested"], "2024-11-05");
    }
}
