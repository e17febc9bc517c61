//! `oauth_authorization_codes` and `oauth_refresh_tokens`: every statement the grant state
//! machines (`oauth::grants`) run, plus the per-user view of grants (the connections page).
//!
//! The two races that matter are each settled by one conditional `UPDATE … RETURNING`:
//! redeeming a code (`used_at IS NULL`) and rotating a refresh token (`rotated_at IS NULL`).
//! Whatever else runs in the same `BEGIN IMMEDIATE` transaction, only one caller can ever see
//! the row come back.

use super::revocation::Revoked;
use super::{collect, first, scalar_i64, Conn, Result, Store, WriteTx};

/// An authorization code about to be stored (its digest, never the code).
#[derive(Debug, Clone)]
pub struct NewCode {
    pub code_hash: Vec<u8>,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub resource: String,
    pub code_challenge: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert_code(store: &Store, c: &NewCode) -> Result<()> {
    store
        .execute_write(
            "INSERT INTO oauth_authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, \
         scope, resource, code_challenge, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            libsql::params![
                c.code_hash.clone(),
                c.grant_id.as_str(),
                c.client_id.as_str(),
                c.user_id.as_str(),
                c.redirect_uri.as_str(),
                c.scope.as_str(),
                c.resource.as_str(),
                c.code_challenge.clone(),
                c.created_at,
                c.expires_at,
            ],
        )
        .await?;
    Ok(())
}

/// One row of `oauth_authorization_codes`.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub resource: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The columns [`decode_code`] reads, in its order (a macro: statements are `concat!`ed
/// constants, which the statement cache keys on).
macro_rules! code_columns {
    () => {
        "grant_id, client_id, user_id, redirect_uri, scope, resource, code_challenge, expires_at, used_at"
    };
}

fn decode_code(r: &libsql::Row) -> Result<CodeRecord> {
    Ok(CodeRecord {
        grant_id: r.get(0)?,
        client_id: r.get(1)?,
        user_id: r.get(2)?,
        redirect_uri: r.get(3)?,
        scope: r.get(4)?,
        resource: r.get(5)?,
        code_challenge: r.get(6)?,
        expires_at: r.get(7)?,
        used_at: r.get(8)?,
    })
}

/// Begins the code exchange's write transaction by marking the code used, and returns it —
/// or `None` when it does not exist or another redemption already claimed it. The single
/// statement is the whole race. On a remote database the `BEGIN` goes with it (one round trip).
pub async fn begin_claim_code(
    store: &Store,
    digest: &[u8],
    now: i64,
) -> Result<(WriteTx, Option<CodeRecord>)> {
    store
        .begin_write_with(
            concat!(
                "UPDATE oauth_authorization_codes SET used_at = ?2 \
                 WHERE code_hash = ?1 AND used_at IS NULL RETURNING ",
                code_columns!()
            ),
            vec![digest.to_vec().into(), now.into()],
            decode_code,
        )
        .await
}

/// The code with this digest, used or not.
pub async fn find_code(conn: &Conn, digest: &[u8]) -> Result<Option<CodeRecord>> {
    let find = conn
        .cached(concat!(
            "SELECT ",
            code_columns!(),
            " FROM oauth_authorization_codes WHERE code_hash = ?1"
        ))
        .await?;
    first(find.query([digest.to_vec()]).await?, decode_code).await
}

/// A refresh token about to be stored.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub token_hash: Vec<u8>,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub resource: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stores a refresh token unless one with its digest is already stored; returns whether it
/// inserted. A successor derived by an earlier rotation (`oauth::grants`) is "already issued",
/// never a constraint error.
pub async fn insert_refresh_token(conn: &Conn, t: &NewRefreshToken) -> Result<bool> {
    let (sql, params) = insert_refresh_token_statement(t);
    let insert = conn.cached(sql).await?;
    let inserted = insert.execute(libsql::params::Params::Positional(params)).await?;
    Ok(inserted == 1)
}

/// The statement [`insert_refresh_token`] runs, with its values: for
/// [`super::WriteTx::commit_with`].
pub fn insert_refresh_token_statement(t: &NewRefreshToken) -> (&'static str, Vec<libsql::Value>) {
    (
        "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, \
         created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (token_hash) DO NOTHING",
        vec![
            t.token_hash.clone().into(),
            t.grant_id.clone().into(),
            t.client_id.clone().into(),
            t.user_id.clone().into(),
            t.scope.clone().into(),
            t.resource.clone().into(),
            t.created_at.into(),
            t.expires_at.into(),
        ],
    )
}

/// One row of `oauth_refresh_tokens`.
#[derive(Debug, Clone)]
pub struct RefreshTokenRecord {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub resource: String,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub replaced_by: Option<Vec<u8>>,
    /// The nonce the successor pair was derived with (set together with `replaced_by`).
    pub successor_nonce: Option<Vec<u8>>,
    pub revoked_at: Option<i64>,
}

/// The columns [`decode_refresh`] reads, in its order.
macro_rules! refresh_columns {
    () => {
        "grant_id, client_id, user_id, scope, resource, expires_at, rotated_at, replaced_by, revoked_at, \
         successor_nonce"
    };
}

fn decode_refresh(r: &libsql::Row) -> Result<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        grant_id: r.get(0)?,
        client_id: r.get(1)?,
        user_id: r.get(2)?,
        scope: r.get(3)?,
        resource: r.get(4)?,
        expires_at: r.get(5)?,
        rotated_at: r.get(6)?,
        replaced_by: r.get(7)?,
        revoked_at: r.get(8)?,
        successor_nonce: r.get(9)?,
    })
}

/// Begins the refresh grant's write transaction with the rotation itself, one statement: a
/// live, unrotated refresh token of `client_id` is marked rotated, pointed at `successor` and
/// given the `nonce` its successor was derived with, and returned. `None` means the token is
/// not a live head of this client (unknown, rotated, revoked, expired or another client's);
/// the caller then looks at it with [`find_refresh_token`] in the same transaction to decide
/// why. On a remote database the `BEGIN` goes with it (one round trip).
pub async fn begin_rotation(
    store: &Store,
    digest: &[u8],
    client_id: &str,
    successor: &[u8],
    nonce: &[u8],
    now: i64,
) -> Result<(WriteTx, Option<RefreshTokenRecord>)> {
    store
        .begin_write_with(
            concat!(
                "UPDATE oauth_refresh_tokens SET rotated_at = ?4, replaced_by = ?3, successor_nonce = ?5 \
                 WHERE token_hash = ?1 AND client_id = ?2 AND rotated_at IS NULL \
                 AND revoked_at IS NULL AND expires_at > ?4 RETURNING ",
                refresh_columns!()
            ),
            vec![
                digest.to_vec().into(),
                client_id.into(),
                successor.to_vec().into(),
                now.into(),
                nonce.to_vec().into(),
            ],
            decode_refresh,
        )
        .await
}

pub async fn find_refresh_token(conn: &Conn, digest: &[u8]) -> Result<Option<RefreshTokenRecord>> {
    let find = conn
        .cached(concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM oauth_refresh_tokens WHERE token_hash = ?1"
        ))
        .await?;
    first(find.query([digest.to_vec()]).await?, decode_refresh).await
}

/// Is this refresh token the live head of its family (not rotated, not revoked, not expired)?
pub async fn is_live_head(conn: &Conn, digest: &[u8], now: i64) -> Result<bool> {
    let live = conn
        .cached(
            "SELECT 1 FROM oauth_refresh_tokens WHERE token_hash = ?1 \
             AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
        )
        .await?;
    let found = first(live.query(libsql::params![digest.to_vec(), now]).await?, |_| {
        Ok(())
    })
    .await?;
    Ok(found.is_some())
}

/// Which client holds the access or refresh token with this digest (RFC 7009: a client may
/// revoke only its own tokens).
pub async fn token_client(conn: &Conn, digest: &[u8]) -> Result<Option<String>> {
    let rows = conn
        .query(
            "SELECT client_id FROM oauth_refresh_tokens WHERE token_hash = ?1 \
             UNION ALL SELECT client_id FROM oauth_access_tokens WHERE token_hash = ?1 LIMIT 1",
            [digest.to_vec()],
        )
        .await?;
    first(rows, |r| Ok(r.get::<String>(0)?)).await
}

/// One client a user has authorized, as the connections page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub client_id: String,
    pub client_name: String,
    /// The union of the scopes of its live tokens.
    pub scopes: Vec<String>,
    /// When the oldest live token was issued.
    pub authorized_at: i64,
    /// When the newest token was issued (a refresh or a new authorization).
    pub last_used_at: i64,
}

/// The clients holding live (unrevoked, unexpired) tokens of `user_id`, most recently used first.
pub async fn connections_for_user(store: &Store, user_id: &str, now: i64) -> Result<Vec<Connection>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            "SELECT t.client_id, c.client_name, group_concat(DISTINCT t.scope), min(t.created_at), max(t.created_at) \
             FROM (SELECT client_id, scope, created_at FROM oauth_refresh_tokens \
                   WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 \
                   UNION ALL SELECT client_id, scope, created_at FROM oauth_access_tokens \
                   WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2) t \
             JOIN oauth_clients c ON c.client_id = t.client_id \
             GROUP BY t.client_id ORDER BY max(t.created_at) DESC, t.client_id",
            libsql::params![user_id, now],
        )
        .await?;
    collect(rows, |r| {
        let scopes: String = r.get::<Option<String>>(2)?.unwrap_or_default();
        let mut words: Vec<String> = scopes
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        words.sort();
        words.dedup();
        Ok(Connection {
            client_id: r.get(0)?,
            client_name: r.get(1)?,
            scopes: words,
            authorized_at: r.get(3)?,
            last_used_at: r.get(4)?,
        })
    })
    .await
}

/// Revokes every token and pending code one client holds for one user, in one transaction.
pub async fn revoke_user_client(store: &Store, user_id: &str, client_id: &str, now: i64) -> Result<Revoked> {
    let tx = store.begin_write().await?;
    tx.note_revocation();
    let mut revoked = Revoked::default();
    for (table, count) in [
        ("oauth_access_tokens", &mut revoked.access_tokens),
        ("oauth_refresh_tokens", &mut revoked.refresh_tokens),
    ] {
        *count = tx
            .execute(
                &format!(
                    "UPDATE {table} SET revoked_at = ?3 WHERE user_id = ?1 AND client_id = ?2 \
                     AND revoked_at IS NULL AND expires_at > ?3"
                ),
                libsql::params![user_id, client_id, now],
            )
            .await?;
    }
    tx.execute(
        "UPDATE oauth_authorization_codes SET used_at = ?3 WHERE user_id = ?1 AND client_id = ?2 AND used_at IS NULL",
        libsql::params![user_id, client_id, now],
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// Codes and tokens, in any state, ever issued to `client_id`: `verify` checks that a denied
/// consent adds none.
pub async fn count_issued_to_client(store: &Store, client_id: &str) -> Result<i64> {
    let conn = store.connection().await?;
    scalar_i64(
        &conn,
        "SELECT (SELECT count(*) FROM oauth_authorization_codes WHERE client_id = ?1) \
         + (SELECT count(*) FROM oauth_access_tokens WHERE client_id = ?1) \
         + (SELECT count(*) FROM oauth_refresh_tokens WHERE client_id = ?1)",
        [client_id],
    )
    .await
}
