//! Dynamic client registration (RFC 7591) as an MCP client does it when it has no client ID.

use serde_json::{json, Value};

use super::{ClientAuth, FlowError};

/// A client the server registered.
#[derive(Debug, Clone)]
pub struct Registered {
    pub auth: ClientAuth,
    /// The whole registration response, for checks on its fields.
    pub response: Value,
}

/// POSTs client metadata to `endpoint`; a 201 with a `client_id` is a registration.
/// A confidential client (the server issued a secret) authenticates with `client_secret_basic`
/// unless the server said `client_secret_post`.
pub async fn register(
    http: &reqwest::Client,
    endpoint: &str,
    client_name: &str,
    redirect_uris: &[&str],
) -> Result<Registered, FlowError> {
    let resp = http
        .post(endpoint)
        .json(&json!({
            "client_name": client_name,
            "redirect_uris": redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }))
        .send()
        .await?;
    let status = resp.status().as_u16();
    let body = resp.text().await?;
    if status != 201 {
        return Err(FlowError::Unexpected(format!(
            "registration answered {status}: {}",
            super::mcp::snippet(&body)
        )));
    }
    let response: Value = serde_json::from_str(&body)
        .map_err(|e| FlowError::Unexpected(format!("registration answer is not JSON: {e}")))?;
    let Some(client_id) = response.get("client_id").and_then(Value::as_str) else {
        return Err(FlowError::Unexpected(
            "registration answer has no client_id".into(),
        ));
    };
    let secret = response.get("client_secret").and_then(Value::as_str);
    let method = response.get("token_endpoint_auth_method").and_then(Value::as_str);
    let auth = match (secret, method) {
        (Some(secret), Some("client_secret_post")) => ClientAuth::Post(client_id.into(), secret.into()),
        (Some(secret), _) => ClientAuth::Basic(client_id.into(), secret.into()),
        (None, _) => ClientAuth::Public(client_id.into()),
    };
    Ok(Registered { auth, response })
}
