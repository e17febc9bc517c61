//! The resource server's side: is this bearer token good for `/api/mcp`? (RFC 6750)
//!
//! Two kinds of bearer are accepted: an `mcp_at_…` access token issued here, bound to the
//! resource `<issuer>/api/mcp`; and, in Clerk mode, a Clerk session JWT ("existing Clerk auth
//! still works"), which is the user acting directly and so carries every scope.

use std::time::Instant;

use super::bearer_cache::{BearerCache, Trust};
use super::resource;
use super::scope::ScopeSet;
use crate::login::clerk::Clerk;
use crate::secret::{self, Kind};
use crate::storage::{tokens, Store, StoreError};

/// Who is calling, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    /// `None` for a Clerk session JWT, which is not tied to an OAuth client.
    pub client_id: Option<String>,
    pub scopes: ScopeSet,
}

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Unknown, malformed, expired, revoked, or for another audience: the answer is the same
    /// (401 `invalid_token`), and the reason goes only to the logs.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// An `mcp_at_` token while the operator has switched OAuth off (`serve --oauth off`) and
    /// not kept issued tokens working: refused without looking it up.
    #[error("access tokens are not accepted while OAuth is switched off")]
    OAuthOff,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validates an `mcp_at_…` access token for the resource `expected_resource`, from `cache`
/// when it confirmed the token recently enough (see [`super::bearer_cache`]).
pub async fn authenticate_access_token(
    store: &Store,
    cache: Option<&BearerCache>,
    token: &str,
    expected_resource: &str,
    now: i64,
) -> Result<Principal, BearerError> {
    if !token.starts_with(Kind::AccessToken.prefix()) || token.len() > 128 {
        return Err(BearerError::Invalid("not an access token"));
    }
    let digest: [u8; 32] = secret::digest(token)
        .try_into()
        .expect("SHA-256 digests are 32 bytes");
    let epoch = store.revocation_epoch();
    let mark = match cache.map(BearerCache::trust) {
        Some(Trust::WhileUnchanged) => store.change_mark().await?,
        _ => None,
    };
    if let Some(principal) = cache.and_then(|c| c.get(&digest, epoch, mark, now)) {
        return Ok(principal);
    }
    let asked = Instant::now();
    let Some(record) = tokens::find_access_token(store, &digest).await? else {
        return Err(BearerError::Invalid("unknown token"));
    };
    if record.revoked_at.is_some() {
        return Err(BearerError::Invalid("revoked"));
    }
    if record.expires_at <= now {
        return Err(BearerError::Invalid("expired"));
    }
    if !resource::same_resource(&record.resource, expected_resource) {
        return Err(BearerError::Invalid("issued for another resource"));
    }
    let principal = Principal {
        user_id: record.user_id,
        client_id: Some(record.client_id),
        scopes: ScopeSet::parse_lenient(&record.scope),
    };
    if let Some(cache) = cache {
        cache.put(digest, principal.clone(), record.expires_at, (epoch, mark), asked);
    }
    Ok(principal)
}

/// What [`authenticate`] needs besides the token.
#[derive(Clone, Copy)]
pub struct BearerContext<'a> {
    pub store: &'a Store,
    /// Validated access tokens (see [`super::bearer_cache`] for how long they are trusted).
    pub cache: Option<&'a BearerCache>,
    /// `<issuer>/api/mcp`
    pub resource: &'a str,
    /// Set in `--login clerk` mode.
    pub clerk: Option<&'a Clerk>,
    /// `mcp_at_` tokens are accepted: OAuth is on, or the operator keeps issued tokens working
    /// while it is off. Clerk session tokens are accepted either way.
    pub accept_access_tokens: bool,
    pub now: i64,
}

/// Validates a bearer token of either kind.
pub async fn authenticate(ctx: &BearerContext<'_>, token: &str) -> Result<Principal, BearerError> {
    if token.starts_with(Kind::AccessToken.prefix()) {
        if !ctx.accept_access_tokens {
            return Err(BearerError::OAuthOff);
        }
        return authenticate_access_token(ctx.store, ctx.cache, token, ctx.resource, ctx.now).await;
    }
    let Some(clerk) = ctx.clerk else {
        return Err(BearerError::Invalid("not an access token"));
    };
    if token.split('.').count() != 3 {
        return Err(BearerError::Invalid("not an access token or a JWT"));
    }
    match clerk.verify(token).await {
        Ok(signed_in) => Ok(Principal {
            user_id: signed_in.user_id,
            client_id: None,
            scopes: ScopeSet::all(),
        }),
        Err(e) => {
            tracing::debug!(reason = %e, "Clerk bearer token refused");
            Err(BearerError::Invalid("Clerk session token refused"))
        }
    }
}
