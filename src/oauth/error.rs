//! OAuth error codes and the one error value the protocol modules return to the HTTP layer.
//!
//! RFC 6749 §4.1.2.1 (authorization response errors), §5.2 (token endpoint errors),
//! RFC 7009 §2.2.1, RFC 7591 §3.2.2, RFC 8707 §2 (`invalid_target`). The HTTP layer maps an
//! [`OAuthError`] to a status code and a JSON body (or a redirect) in exactly one place.

use std::fmt;

use serde::Serialize;

use crate::storage::StoreError;

/// The `error` values this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    InvalidTarget,
    InvalidRedirectUri,
    InvalidClientMetadata,
    ConsentRequired,
    LoginRequired,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::LoginRequired => "login_required",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol error: a code and a human-readable description safe to send to the client
/// (it never contains a secret, and never tells an unknown client from a wrong secret).
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{code}: {description}")]
    Protocol {
        code: ErrorCode,
        description: &'static str,
    },
    /// The database failed: 503 `temporarily_unavailable`, details only in the logs.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OAuthError {
    pub const fn new(code: ErrorCode, description: &'static str) -> OAuthError {
        OAuthError::Protocol { code, description }
    }

    pub const fn invalid_request(description: &'static str) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRequest, description)
    }

    pub const fn invalid_grant(description: &'static str) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidGrant, description)
    }

    /// The code, or `None` for a storage failure.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            OAuthError::Protocol { code, .. } => Some(*code),
            OAuthError::Store(_) => None,
        }
    }

    /// The RFC 6749 §5.2 JSON body.
    pub fn body(&self) -> ErrorBody {
        match self {
            OAuthError::Protocol { code, description } => ErrorBody {
                error: code.as_str(),
                error_description: description,
            },
            OAuthError::Store(_) => ErrorBody {
                error: ErrorCode::TemporarilyUnavailable.as_str(),
                error_description: "the service cannot reach its database; try again shortly",
            },
        }
    }
}

/// `{"error": "...", "error_description": "..."}`
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub error_description: &'static str,
}

/// The `error_description` of every OAuth answer while the operator has switched the
/// authorization server off (`serve --oauth off`); `verify` recognises the mode by it.
pub const OAUTH_DISABLED_DESCRIPTION: &str = "OAuth is temporarily disabled by the operator; try again later";
