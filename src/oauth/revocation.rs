//! Token revocation at the client's request (RFC 7009).
//!
//! The answer is the same whether or not anything was revoked (§2.2: an invalid or unknown
//! token is not an error), and a client can revoke only tokens issued to it; anything else is
//! silently ignored, so that the endpoint cannot be used to probe which tokens exist.
//! `token_type_hint` is optional and ignored (§2.1 allows it): both tables are searched.
//! Revoking a refresh token revokes its whole grant, including the access tokens issued from it.

use crate::secret;
use crate::storage::clients::ClientRecord;
use crate::storage::revocation::{self, Revoked, Selector};
use crate::storage::{grants, Store, StoreError};

pub async fn revoke_token(
    store: &Store,
    client: &ClientRecord,
    token: &str,
    now: i64,
) -> Result<Revoked, StoreError> {
    if token.is_empty() || token.len() > 256 {
        return Ok(Revoked::default());
    }
    let digest = secret::digest(token);
    let tx = store.begin_write().await?;
    let revoked = match grants::token_client(&tx, &digest).await? {
        Some(owner) if owner == client.client_id => {
            revocation::revoke_in(&tx, Selector::Token(&digest), now).await?
        }
        _ => return Ok(Revoked::default()),
    };
    tx.commit().await?;
    Ok(revoked)
}
