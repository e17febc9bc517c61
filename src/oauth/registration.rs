//! Dynamic client registration (RFC 7591), as Claude.ai and the MCP SDKs use it.
//!
//! What real clients rely on, learned by running them:
//! - The Python SDK registers without `token_endpoint_auth_method` and then authenticates the
//!   way the response says: the response therefore always states the method, and when the
//!   request omitted it we issue a secret and say `client_secret_post` (RFC 7591 §2's default
//!   is `client_secret_basic`; both are accepted at the token endpoint anyway).
//! - `client_secret_expires_at` is an integer (0: never), never null.
//! - Empty-string URLs (`"client_uri": ""`) make strict clients fail to parse the response, so
//!   no optional URL is echoed unless it is a non-empty absolute URL.
//! - Loopback `http://` redirect URIs (any port) are what native clients register.
//! - MCP 2026-07-28 deprecates this endpoint in favour of Client ID Metadata Documents but
//!   older clients still need it. It asks clients to send `application_type` (`native` or
//!   `web`): the value is stored, echoed, and decides which redirect URIs are allowed
//!   ([`redirect_uri::validate_for`]); without it the rules are those every client had before.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::argon2_pool;
use super::error::ErrorCode;
use super::redirect_uri;
use super::scope::ScopeSet;
use crate::secret::{self, HashCost, Kind};
use crate::storage::clients::{self, ApplicationType, AuthMethod, NewClient, Registration};
use crate::storage::{Store, StoreError};

/// The request body; fields of unexpected types are reported, unknown fields ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegistrationRequest {
    pub redirect_uris: Option<Value>,
    pub client_name: Option<Value>,
    pub token_endpoint_auth_method: Option<Value>,
    pub grant_types: Option<Value>,
    pub response_types: Option<Value>,
    pub scope: Option<Value>,
    pub client_uri: Option<Value>,
    pub logo_uri: Option<Value>,
    pub software_id: Option<Value>,
    pub software_version: Option<Value>,
    pub application_type: Option<Value>,
}

/// RFC 7591 §3.2.1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RegistrationResponse {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    pub client_secret_expires_at: i64,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_type: Option<ApplicationType>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{code}: {description}")]
    Invalid { code: ErrorCode, description: String },
    /// The argon2 pool is saturated: answer 503 and let the client retry.
    #[error(transparent)]
    Busy(#[from] argon2_pool::Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid_metadata(description: impl Into<String>) -> RegistrationError {
    RegistrationError::Invalid {
        code: ErrorCode::InvalidClientMetadata,
        description: description.into(),
    }
}

const MAX_REDIRECT_URIS: usize = 20;
/// Most bytes a dynamic registration may store: its redirect URIs and name together (UTF-8).
/// Anyone can register, and unused registrations are only removed by `token cleanup` after its
/// `--unused-clients-after`, so each row must be small.
pub const MAX_STORED_METADATA_BYTES: usize = 8 * 1024;
const MAX_NAME_CHARS: usize = 200;
const DEFAULT_NAME: &str = "Unnamed MCP client";

/// A request that passed [`validate`]: what will be stored and echoed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRegistration {
    pub redirect_uris: Vec<String>,
    pub client_name: String,
    pub auth_method: AuthMethod,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub scopes: ScopeSet,
    pub application_type: Option<ApplicationType>,
}

/// The metadata checks of RFC 7591 §2 and §3.2.2, with no side effect: the request as the
/// server will store it, or the `invalid_redirect_uri` / `invalid_client_metadata` answer.
pub fn validate(request: &RegistrationRequest) -> Result<ValidRegistration, RegistrationError> {
    let application_type = match request.application_type.as_ref() {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(ApplicationType::parse(s).ok_or_else(|| {
            invalid_metadata(format!(
                "application_type `{s}` is not supported; use native or web"
            ))
        })?),
        Some(_) => return Err(invalid_metadata("application_type must be a string")),
    };
    let redirect_uris = redirect_uris(request.redirect_uris.as_ref(), application_type)?;
    let client_name = client_name(request.client_name.as_ref())?;
    let auth_method = match request.token_endpoint_auth_method.as_ref() {
        None | Some(Value::Null) => AuthMethod::ClientSecretPost,
        Some(Value::String(s)) => AuthMethod::parse(s).ok_or_else(|| {
            invalid_metadata(format!(
                "token_endpoint_auth_method `{s}` is not supported; use none, client_secret_post or client_secret_basic"
            ))
        })?,
        Some(_) => return Err(invalid_metadata("token_endpoint_auth_method must be a string")),
    };
    let grant_types = string_list(request.grant_types.as_ref(), "grant_types")?
        .unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(invalid_metadata(format!(
            "grant type `{g}` is not supported; use authorization_code and refresh_token"
        )));
    }
    let response_types = string_list(request.response_types.as_ref(), "response_types")?
        .unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(invalid_metadata("only the response type `code` is supported"));
    }
    let scopes = match request.scope.as_ref() {
        None | Some(Value::Null) => ScopeSet::all(),
        Some(Value::String(s)) => {
            let asked = ScopeSet::parse_lenient(s);
            if asked.is_empty() {
                ScopeSet::all()
            } else {
                asked
            }
        }
        Some(_) => return Err(invalid_metadata("scope must be a space-separated string")),
    };
    let stored = redirect_uris.iter().map(String::len).sum::<usize>() + client_name.len();
    if stored > MAX_STORED_METADATA_BYTES {
        return Err(invalid_metadata(format!(
            "the redirect_uris and client_name together are {stored} bytes; at most {MAX_STORED_METADATA_BYTES} may be registered"
        )));
    }
    Ok(ValidRegistration {
        redirect_uris,
        client_name,
        auth_method,
        grant_types,
        response_types,
        scopes,
        application_type,
    })
}

/// Validates the request and registers the client.
pub async fn register(
    store: &Store,
    request: &RegistrationRequest,
    now: i64,
) -> Result<RegistrationResponse, RegistrationError> {
    let ValidRegistration {
        redirect_uris,
        client_name,
        auth_method,
        grant_types,
        response_types,
        scopes,
        application_type,
    } = validate(request)?;
    let client_id = secret::generate(Kind::ClientId);
    let client_secret = auth_method
        .is_confidential()
        .then(|| secret::generate(Kind::ClientSecret));
    let secret_hash = match &client_secret {
        Some(s) => Some(argon2_pool::hash(HashCost::ClientSecret, s).await?),
        None => None,
    };
    clients::insert_with_application_type(
        store,
        &NewClient {
            client_id: client_id.clone(),
            client_name: client_name.clone(),
            secret_hash,
            redirect_uris: redirect_uris.clone(),
            scopes: scopes.clone(),
            auth_method,
            user_id: None,
            registration: Registration::Dynamic,
            created_at: now,
        },
        application_type,
    )
    .await?;
    Ok(RegistrationResponse {
        client_id,
        client_secret,
        client_id_issued_at: now,
        client_secret_expires_at: 0,
        client_name,
        redirect_uris,
        grant_types,
        response_types,
        token_endpoint_auth_method: auth_method.as_str().to_string(),
        scope: scopes.to_string(),
        client_uri: optional_url(request.client_uri.as_ref()),
        logo_uri: optional_url(request.logo_uri.as_ref()),
        software_id: optional_text(request.software_id.as_ref()),
        software_version: optional_text(request.software_version.as_ref()),
        application_type,
    })
}

fn redirect_uris(
    value: Option<&Value>,
    application_type: Option<ApplicationType>,
) -> Result<Vec<String>, RegistrationError> {
    let invalid_uri = |d: String| RegistrationError::Invalid {
        code: ErrorCode::InvalidRedirectUri,
        description: d,
    };
    let Some(list) = string_list(value, "redirect_uris")? else {
        return Err(invalid_uri("redirect_uris is required".into()));
    };
    if list.is_empty() {
        return Err(invalid_uri("redirect_uris must name at least one URI".into()));
    }
    if list.len() > MAX_REDIRECT_URIS {
        return Err(invalid_uri(format!("at most {MAX_REDIRECT_URIS} redirect_uris")));
    }
    for uri in &list {
        redirect_uri::validate_for(uri, application_type).map_err(|e| invalid_uri(e.to_string()))?;
    }
    let mut unique = list;
    unique.dedup();
    Ok(unique)
}

fn client_name(value: Option<&Value>) -> Result<String, RegistrationError> {
    match value {
        None | Some(Value::Null) => Ok(DEFAULT_NAME.to_string()),
        Some(Value::String(s)) => {
            let name = s.trim();
            super::client_name::check(name).map_err(invalid_metadata)?;
            if name.chars().count() > MAX_NAME_CHARS {
                return Err(invalid_metadata(format!(
                    "client_name must be at most {MAX_NAME_CHARS} characters"
                )));
            }
            Ok(if name.is_empty() {
                DEFAULT_NAME.to_string()
            } else {
                name.to_string()
            })
        }
        Some(_) => Err(invalid_metadata("client_name must be a string")),
    }
}

fn string_list(value: Option<&Value>, field: &str) -> Result<Option<Vec<String>>, RegistrationError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(invalid_metadata(format!("{field} must be an array of strings"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid_metadata(format!("{field} must be an array of strings"))),
    }
}

/// Echo an informational URL only when it is a real absolute http(s) URL.
fn optional_url(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    let url = url::Url::parse(s).ok()?;
    (matches!(url.scheme(), "https" | "http") && s.len() <= 2000 && !s.chars().any(char::is_control))
        .then(|| s.to_string())
}

fn optional_text(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    (!s.is_empty() && s.len() <= 200 && !s.chars().any(char::is_control)).then(|| s.to_string())
}
