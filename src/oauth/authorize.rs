//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2, RFC 9207) and the
//! authorization response.
//!
//! Order of checks matters. `client_id` and `redirect_uri` come first and their failures are
//! shown to the user, never redirected: redirecting to an unverified URI is an open redirect
//! (RFC 6749 §4.1.2.1, RFC 9700 §4.11). Only once the redirect URI is known to be registered
//! may later errors travel back to the client, with `state` and `iss`.
//! The same validation runs on the consent form's POST, so a tampered hidden field is caught.

use super::cimd::{self, CimdError, Resolver};
use super::error::ErrorCode;
use super::pkce;
use super::redirect_uri;
use super::resource;
use super::scope::ScopeSet;
use crate::storage::clients::{self, ClientRecord};
use crate::storage::{Store, StoreError};

/// The request's parameters as received; `Option` because each may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub resource: Option<String>,
    pub prompt: Option<String>,
    /// A parameter that appeared more than once (RFC 6749 §3.1: MUST NOT).
    pub repeated: Option<String>,
}

impl AuthorizeParams {
    /// From decoded query or form pairs. Unknown parameters are ignored (RFC 6749 §3.1).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> AuthorizeParams {
        let mut p = AuthorizeParams::default();
        for (key, value) in pairs {
            let slot = match key {
                "client_id" => &mut p.client_id,
                "redirect_uri" => &mut p.redirect_uri,
                "response_type" => &mut p.response_type,
                "code_challenge" => &mut p.code_challenge,
                "code_challenge_method" => &mut p.code_challenge_method,
                "scope" => &mut p.scope,
                "state" => &mut p.state,
                "resource" => &mut p.resource,
                "prompt" => &mut p.prompt,
                _ => continue,
            };
            if slot.is_some() {
                p.repeated.get_or_insert_with(|| key.to_string());
            }
            *slot = Some(value.to_string());
        }
        p
    }
}

/// A request that passed every check: what the consent screen shows and a code will carry.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: ClientRecord,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub resource: String,
    pub code_challenge: Option<String>,
    pub state: Option<String>,
    /// `prompt=none`: the client asks for no interaction.
    pub prompt_none: bool,
}

impl AuthorizationRequest {
    /// The parameters to carry through the consent form, already normalised (effective scope,
    /// canonical resource), so that validating them again yields the same request.
    pub fn form_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("response_type", "code".to_string()),
            ("client_id", self.client.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scopes.to_string()),
            ("resource", self.resource.clone()),
        ];
        if let Some(challenge) = &self.code_challenge {
            fields.push(("code_challenge", challenge.clone()));
            fields.push(("code_challenge_method", pkce::S256.to_string()));
        }
        if let Some(state) = &self.state {
            fields.push(("state", state.clone()));
        }
        fields
    }

    /// For a metadata document client, the host of its client_id URL: who published the name
    /// and redirect URIs the consent screen shows.
    pub fn document_host(&self) -> Option<String> {
        if self.client.registration != clients::Registration::MetadataDocument {
            return None;
        }
        url::Url::parse(&self.client.client_id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
    }

    /// Does every redirect URI of the client lead back to the user's own machine? Then anything
    /// running there could be the one receiving the code (MCP security best practices).
    pub fn localhost_only(&self) -> bool {
        self.client
            .redirect_uris
            .iter()
            .all(|u| redirect_uri::is_loopback(u))
    }

    /// The host the code will be sent to, for the consent screen.
    pub fn redirect_host(&self) -> String {
        url::Url::parse(&self.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show this to the user (400), never redirect.
    #[error("{0}")]
    Page(&'static str),
    /// Tell the client, at its verified redirect URI.
    #[error("{error}: {description}")]
    Redirect {
        redirect_uri: String,
        error: ErrorCode,
        description: &'static str,
        state: Option<String>,
    },
    /// The client_id is a metadata document URL whose document was refused: shown as a page.
    #[error("{0}")]
    Document(#[from] CimdError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const UNKNOWN_CLIENT: &str = "This application is not registered here (unknown client_id).";

/// Validates an authorization request for the resource `expected_resource`. A `client_id`
/// that is an https URL is a metadata document client: its document is looked up through
/// `documents` and the client recorded (or brought up to date) in `oauth_clients`, so that
/// codes, tokens and the operator commands treat it like any other public client.
pub async fn validate(
    store: &Store,
    documents: &Resolver,
    params: &AuthorizeParams,
    expected_resource: &str,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let client_id = params
        .client_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(AuthorizeError::Page(
            "The request names no client (client_id is missing).",
        ))?;
    if matches!(params.repeated.as_deref(), Some("client_id" | "redirect_uri")) {
        return Err(AuthorizeError::Page(
            "The request repeats client_id or redirect_uri.",
        ));
    }
    let client = if cimd::policy::looks_like_document_url(client_id) {
        document_client(store, documents, client_id).await?
    } else {
        match clients::find(store, client_id).await? {
            Some(c) if c.disabled_at.is_none() => c,
            _ => return Err(AuthorizeError::Page(UNKNOWN_CLIENT)),
        }
    };
    let Some(redirect_uri) = params.redirect_uri.as_deref().filter(|s| !s.is_empty()) else {
        return Err(AuthorizeError::Page("The request has no redirect_uri."));
    };
    if !client
        .redirect_uris
        .iter()
        .any(|registered| redirect_uri::matches(registered, redirect_uri))
    {
        return Err(AuthorizeError::Page(
            "The redirect_uri is not one this application registered, so we will not send you there.",
        ));
    }

    let state = params.state.clone();
    let fail = |error: ErrorCode, description: &'static str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_string(),
        error,
        description,
        state: state.clone(),
    };
    if params.repeated.is_some() {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "a parameter appears more than once",
        ));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(fail(ErrorCode::InvalidRequest, "response_type is required")),
        Some(_) => {
            return Err(fail(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ))
        }
    }
    let code_challenge = Some(check_pkce(params).map_err(|d| fail(ErrorCode::InvalidRequest, d))?);
    let resource = match params.resource.as_deref() {
        None | Some("") => expected_resource.to_string(),
        Some(r) if resource::same_resource(r, expected_resource) => expected_resource.to_string(),
        Some(_) => {
            return Err(fail(
                ErrorCode::InvalidTarget,
                "resource must be this server's MCP endpoint",
            ))
        }
    };
    let scopes = ScopeSet::effective(params.scope.as_deref().unwrap_or(""), &client.scopes);
    if scopes.is_empty() {
        return Err(fail(
            ErrorCode::InvalidScope,
            "the client is registered for no scopes",
        ));
    }
    Ok(AuthorizationRequest {
        redirect_uri: redirect_uri.to_string(),
        scopes,
        resource,
        code_challenge,
        state: params.state.clone(),
        prompt_none: params.prompt.as_deref() == Some("none"),
        client,
    })
}

/// The client a metadata document URL names, recorded from its (fetched or cached) document.
/// An operator's `client disable` holds: a disabled client is refused before any fetch.
async fn document_client(
    store: &Store,
    documents: &Resolver,
    client_id: &str,
) -> Result<ClientRecord, AuthorizeError> {
    if let Some(existing) = clients::find(store, client_id).await? {
        if existing.disabled_at.is_some() {
            return Err(AuthorizeError::Page(
                "This application has been disabled by the operator.",
            ));
        }
    }
    let doc = documents.lookup(client_id).await?;
    match clients::upsert_metadata_document(
        store,
        &doc.client_id,
        &doc.client_name,
        &doc.redirect_uris,
        &doc.scopes,
        crate::clock::now(),
    )
    .await?
    {
        Some(c) if c.disabled_at.is_none() => Ok(c),
        _ => Err(AuthorizeError::Page(UNKNOWN_CLIENT)),
    }
}

/// S256, required for every client, confidential ones included (OAuth 2.1 §4.1.1 and the MCP
/// authorization spec): a client secret authenticates the client, but only PKCE binds the code
/// to the client instance that asked for it, so a code injected into or stolen from a
/// confidential client's redirect is useless without the verifier. A challenge without a method
/// means `plain` (RFC 7636 §4.3), which is refused.
fn check_pkce(params: &AuthorizeParams) -> Result<String, &'static str> {
    let challenge = params.code_challenge.as_deref().filter(|s| !s.is_empty());
    let method = params.code_challenge_method.as_deref().filter(|s| !s.is_empty());
    match (challenge, method) {
        (None, None) => Err("code_challenge is required (PKCE with S256)"),
        (None, Some(_)) => Err("code_challenge_method given without code_challenge"),
        (Some(_), None) | (Some(_), Some("plain")) => {
            Err("code_challenge_method must be S256; plain is not supported")
        }
        (Some(c), Some(pkce::S256)) if pkce::is_valid_s256_challenge(c) => Ok(c.to_string()),
        (Some(_), Some(pkce::S256)) => Err("code_challenge must be 43 base64url characters (S256)"),
        (Some(_), Some(_)) => Err("code_challenge_method must be S256"),
    }
}

/// `redirect_uri?code=…&state=…&iss=…` (RFC 6749 §4.1.2, RFC 9207).
pub fn success_location(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> String {
    let mut pairs = vec![("code", code)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer));
    redirect_uri::with_query(redirect_uri, &pairs)
}

/// `redirect_uri?error=…&error_description=…&state=…&iss=…` (RFC 6749 §4.1.2.1).
pub fn error_location(
    redirect_uri: &str,
    error: ErrorCode,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> String {
    let mut pairs = vec![("error", error.as_str()), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer));
    redirect_uri::with_query(redirect_uri, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_noticed() {
        let p = AuthorizeParams::from_pairs([("state", "a"), ("scope", "x"), ("state", "b")]);
        assert_eq!(p.repeated.as_deref(), Some("state"));
    }

    #[test]
    fn crlf_in_state_is_encoded_in_the_location() {
        let loc = success_location(
            "https://a.example/cb",
            "auth_x",
            Some("s\r\nSet-Cookie: x"),
            "https://i",
        );
        assert!(!loc.contains('\r') && !loc.contains('\n'), "{loc}");
        assert!(loc.ends_with("&iss=https%3A%2F%2Fi"), "{loc}");
    }
}
