//! `oauth_access_tokens` and `oauth_refresh_tokens`: lookups by digest.
//!
//! Issuing, rotating and revoking live beside these lookups as the grant logic needs them;
//! every statement that touches the token tables is in this file or in `grants`/`cleanup`.

use super::{first, Conn, Result, Store, StoreError};

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
    find_access_token_on(&conn, digest).await
}

/// [`find_access_token`] on `conn` (a plain connection or an open [`super::WriteTx`]).
pub async fn find_access_token_on(conn: &Conn, digest: &[u8]) -> Result<Option<AccessTokenRecord>> {
    let find = conn
        .cached(
            "SELECT grant_id, client_id, user_id, scope, resource, created_at, expires_at, revoked_at \
             FROM oauth_access_tokens WHERE token_hash = ?1",
        )
        .await?;
    first(find.query([digest.to_vec()]).await?, |r| {
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

/// An access token about to be stored (its digest, never the token).
#[derive(Debug, Clone)]
pub struct NewAccessToken {
    pub token_hash: Vec<u8>,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub resource: String,
    pub refresh_token_hash: Option<Vec<u8>>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stores an access token on `conn` (a plain connection or an open [`super::WriteTx`]). A
/// drawn token never meets its digest already stored; if it did, that is an error, not a no-op.
pub async fn insert_access_token(conn: &Conn, t: &NewAccessToken) -> Result<()> {
    if insert_access_token_if_absent(conn, t).await? {
        return Ok(());
    }
    Err(StoreError::Corrupt {
        what: "oauth_access_tokens",
        detail: "an access token with this digest is already stored".into(),
    })
}

/// The plain `INSERT` of an access token, with its values, for
/// [`super::WriteTx::commit_with`]: a drawn token never meets its digest already stored, and if
/// it did, the constraint error rolls the transaction back.
pub fn insert_access_token_statement(t: &NewAccessToken) -> (&'static str, Vec<libsql::Value>) {
    (
        "INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, scope, resource, \
         refresh_token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        vec![
            t.token_hash.clone().into(),
            t.grant_id.clone().into(),
            t.client_id.clone().into(),
            t.user_id.clone().into(),
            t.scope.clone().into(),
            t.resource.clone().into(),
            t.refresh_token_hash.clone().into(),
            t.created_at.into(),
            t.expires_at.into(),
        ],
    )
}

/// Stores an access token unless one with its digest is already stored; returns whether it
/// inserted (a derived token issued by an earlier request is "already issued", not an error).
pub async fn insert_access_token_if_absent(conn: &Conn, t: &NewAccessToken) -> Result<bool> {
    let insert = conn
        .cached(
            "INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, scope, resource, \
             refresh_token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .await?;
    let inserted = insert
        .execute(libsql::params![
            t.token_hash.clone(),
            t.grant_id.as_str(),
            t.client_id.as_str(),
            t.user_id.as_str(),
            t.scope.as_str(),
            t.resource.as_str(),
            t.refresh_token_hash.clone(),
            t.created_at,
            t.expires_at,
        ])
        .await?;
    Ok(inserted == 1)
}
