//! `oauth_access_tokens` and `oauth_refresh_tokens`: lookups by digest.
//!
//! Issuing, rotating and revoking live beside these lookups as the grant logic needs them;
//! every statement that touches the token tables is in this file or in `grants`/`cleanup`.

use super::{first, Result, Store};

/// One row of `oauth_access_tokens`.
#[derive(Debug, Clone)]
pub struct AccessTokenRecord {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub resource: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// The access token with this digest, whatever its state; callers judge expiry and revocation.
pub async fn find_access_token(store: &Store, digest: &[u8]) -> Result<Option<AccessTokenRecord>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            "SELECT grant_id, client_id, user_id, scope, resource, created_at, expires_at, revoked_at \
             FROM oauth_access_tokens WHERE token_hash = ?1",
            [digest.to_vec()],
        )
        .await?;
    first(rows, |r| {
        Ok(AccessTokenRecord {
            grant_id: r.get(0)?,
            client_id: r.get(1)?,
            user_id: r.get(2)?,
            scope: r.get(3)?,
            resource: r.get(4)?,
            created_at: r.get(5)?,
            expires_at: r.get(6)?,
            revoked_at: r.get(7)?,
        })
    })
    .await
}
