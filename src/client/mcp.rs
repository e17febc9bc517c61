//! Calling `/api/mcp` as an MCP client does: JSON-RPC 2.0 over POST with a bearer token
//! (MCP Streamable HTTP, JSON responses), the 2025 way (after `initialize`) or the stateless
//! 2026-07-28 way (headers mirroring the body, `_meta` on every request).

use serde_json::{json, Value};

use super::FlowError;

/// The protocol version this client asks for in `initialize`.
pub const PROTOCOL_VERSION: &str = "2025-06-18";
/// The stateless revision [`McpClient::rpc_2026`] speaks.
pub const MODERN_PROTOCOL_VERSION: &str = "2026-07-28";

/// One answer of the MCP endpoint, read whole.
#[derive(Debug, Clone)]
pub struct McpReply {
    pub status: u16,
    /// `WWW-Authenticate`, when the endpoint refused the token.
    pub www_authenticate: Option<String>,
    pub body: String,
}

impl McpReply {
    pub fn json(&self) -> Result<Value, FlowError> {
        serde_json::from_str(&self.body)
            .map_err(|e| FlowError::Unexpected(format!("answer is not JSON ({e}): {}", snippet(&self.body))))
    }

    /// The `result` of a successful JSON-RPC answer; anything else is an [`FlowError::Unexpected`].
    pub fn result(&self) -> Result<Value, FlowError> {
        if self.status != 200 {
            return Err(FlowError::Unexpected(format!(
                "HTTP {}{}: {}",
                self.status,
                self.www_authenticate
                    .as_deref()
                    .map(|w| format!(" (WWW-Authenticate: {w})"))
                    .unwrap_or_default(),
                snippet(&self.body)
            )));
        }
        let mut body = self.json()?;
        if let Some(error) = body.get("error") {
            return Err(FlowError::Unexpected(format!("JSON-RPC error {error}")));
        }
        match body.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(FlowError::Unexpected(format!(
                "no result in {}",
                snippet(&self.body)
            ))),
        }
    }
}

/// At most 200 characters of a body, for messages.
pub fn snippet(body: &str) -> String {
    let mut s: String = body.chars().take(200).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

/// An MCP client bound to one endpoint and one bearer token.
#[derive(Debug, Clone)]
pub struct McpClient {
    http: reqwest::Client,
    endpoint: String,
    token: Option<String>,
}

impl McpClient {
    /// `endpoint` is `<issuer>/api/mcp`; `token` `None` sends no `Authorization`.
    pub fn new(http: reqwest::Client, endpoint: &str, token: Option<&str>) -> McpClient {
        McpClient {
            http,
            endpoint: endpoint.to_string(),
            token: token.map(str::to_string),
        }
    }

    /// Sends one JSON-RPC request (id 1) the 2025 way and reads the answer, whatever its status.
    pub async fn rpc(&self, method: &str, params: Value) -> Result<McpReply, FlowError> {
        self.send(method, params, &[("mcp-protocol-version", PROTOCOL_VERSION)])
            .await
    }

    /// Sends one JSON-RPC request (id 1) the 2026-07-28 way: `_meta` with the version and
    /// (empty) client capabilities added to `params`, and the `MCP-Protocol-Version`,
    /// `Mcp-Method` and (for `tools/call`) `Mcp-Name` headers.
    pub async fn rpc_2026(&self, method: &str, mut params: Value) -> Result<McpReply, FlowError> {
        let name = params.get("name").and_then(Value::as_str).map(str::to_string);
        if let Value::Object(p) = &mut params {
            p.insert(
                "_meta".into(),
                json!({
                    "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL_VERSION,
                    "io.modelcontextprotocol/clientCapabilities": {},
                    "io.modelcontextprotocol/clientInfo": { "name": "mcp-oauth", "version": env!("CARGO_PKG_VERSION") },
                }),
            );
        }
        let mut headers = vec![
            ("mcp-protocol-version", MODERN_PROTOCOL_VERSION),
            ("mcp-method", method),
        ];
        if method == "tools/call" {
            headers.push(("mcp-name", name.as_deref().unwrap_or("")));
        }
        self.send(method, params, &headers).await
    }

    async fn send(
        &self,
        method: &str,
        params: Value,
        headers: &[(&str, &str)],
    ) -> Result<McpReply, FlowError> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let mut req = self
            .http
            .post(&self.endpoint)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let www_authenticate = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(McpReply {
            status,
            www_authenticate,
            body: resp.text().await?,
        })
    }

    /// `initialize`; returns its result (`protocolVersion`, `serverInfo`, `capabilities`).
    pub async fn initialize(&self) -> Result<Value, FlowError> {
        self.rpc(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": { "name": "mcp-oauth", "version": env!("CARGO_PKG_VERSION") },
            }),
        )
        .await?
        .result()
    }

    /// `tools/list`; returns the `tools` array.
    pub async fn list_tools(&self) -> Result<Vec<Value>, FlowError> {
        let result = self.rpc("tools/list", json!({})).await?.result()?;
        match result.get("tools") {
            Some(Value::Array(tools)) => Ok(tools.clone()),
            _ => Err(FlowError::Unexpected(format!(
                "tools/list result has no tools array: {result}"
            ))),
        }
    }

    /// `tools/call`; returns the tool's `structuredContent`, or an error when the call failed
    /// (a JSON-RPC error or a result with `isError: true`).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<Value, FlowError> {
        let result = self
            .rpc("tools/call", json!({ "name": name, "arguments": arguments }))
            .await?
            .result()?;
        if result.get("isError") == Some(&Value::Bool(true)) {
            return Err(FlowError::Unexpected(format!("{name} failed: {result}")));
        }
        Ok(result.get("structuredContent").cloned().unwrap_or(result))
    }
}
