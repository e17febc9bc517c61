//! Discovery documents: RFC 8414 (authorization server) and RFC 9728 (protected resource).
//!
//! The issuer string appears byte-identical in both and in every `iss` parameter (RFC 9207):
//! SDK clients compare it exactly.

use serde::Serialize;

use super::scope::ScopeSet;

pub const AUTHORIZE_PATH: &str = "/api/oauth/authorize";
pub const TOKEN_PATH: &str = "/api/oauth/token";
pub const REVOKE_PATH: &str = "/api/oauth/revoke";
pub const REGISTER_PATH: &str = "/api/oauth/register";
pub const PROTECTED_RESOURCE_PATH: &str = "/.well-known/oauth-protected-resource/api/mcp";

#[derive(Debug, Clone, Serialize)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: String,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: [&'static str; 1],
    pub response_modes_supported: [&'static str; 1],
    pub grant_types_supported: [&'static str; 2],
    pub token_endpoint_auth_methods_supported: [&'static str; 3],
    pub revocation_endpoint_auth_methods_supported: [&'static str; 3],
    pub code_challenge_methods_supported: [&'static str; 1],
    pub authorization_response_iss_parameter_supported: bool,
    /// A client may name itself by the https URL of its metadata document (`oauth::cimd`).
    pub client_id_metadata_document_supported: bool,
}

pub fn authorization_server(
    issuer: &str,
    registration_enabled: bool,
    metadata_documents: bool,
) -> AuthorizationServerMetadata {
    let auth_methods = ["none", "client_secret_post", "client_secret_basic"];
    AuthorizationServerMetadata {
        issuer: issuer.to_string(),
        authorization_endpoint: format!("{issuer}{AUTHORIZE_PATH}"),
        token_endpoint: format!("{issuer}{TOKEN_PATH}"),
        registration_endpoint: registration_enabled.then(|| format!("{issuer}{REGISTER_PATH}")),
        revocation_endpoint: format!("{issuer}{REVOKE_PATH}"),
        scopes_supported: ScopeSet::all().iter().map(|s| s.as_str()).collect(),
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        token_endpoint_auth_methods_supported: auth_methods,
        revocation_endpoint_auth_methods_supported: auth_methods,
        code_challenge_methods_supported: ["S256"],
        authorization_response_iss_parameter_supported: true,
        client_id_metadata_document_supported: metadata_documents,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProtectedResourceMetadata {
    pub resource: String,
    pub authorization_servers: [String; 1],
    pub scopes_supported: Vec<&'static str>,
    pub bearer_methods_supported: [&'static str; 1],
    pub resource_name: &'static str,
}

pub fn protected_resource(issuer: &str) -> ProtectedResourceMetadata {
    ProtectedResourceMetadata {
        resource: super::resource::for_issuer(issuer),
        authorization_servers: [issuer.to_string()],
        scopes_supported: ScopeSet::all().iter().map(|s| s.as_str()).collect(),
        bearer_methods_supported: ["header"],
        resource_name: "MCP memory",
    }
}

/// `<issuer>/.well-known/oauth-protected-resource/api/mcp`, named in every 401 from `/api/mcp`.
pub fn protected_resource_metadata_url(issuer: &str) -> String {
    format!("{issuer}{PROTECTED_RESOURCE_PATH}")
}
