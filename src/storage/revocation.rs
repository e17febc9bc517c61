//! Revoking tokens: by token, by grant (a token family), by client, by user.
//!
//! Revoking a refresh token revokes its whole grant: every access and refresh token descended
//! from the same authorization, and any of its codes not yet redeemed (RFC 7009 §2.1, RFC 9700
//! §4.14). Revoking an access token revokes that token alone. Rows are marked (`revoked_at`), not
//! deleted, so that a revoked token is told apart from an unknown one and `token cleanup`
//! removes them after the retention period.

use super::{first, scalar_i64, Conn, Result, Store};

/// What to revoke.
#[derive(Debug, Clone, Copy)]
pub enum Selector<'a> {
    /// One token by its digest: an access token alone, or a refresh token with its grant.
    Token(&'a [u8]),
    /// Every token of one authorization.
    Grant(&'a str),
    Client(&'a str),
    User(&'a str),
}

/// How many live (not revoked, not expired) tokens were, or would be, revoked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Revoked {
    pub access_tokens: u64,
    pub refresh_tokens: u64,
}

impl Revoked {
    pub fn total(&self) -> u64 {
        self.access_tokens + self.refresh_tokens
    }
}

/// What a token digest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    Access { grant_id: String },
    Refresh { grant_id: String },
}

/// Finds the token with this digest in either table.
pub async fn identify(conn: &Conn, digest: &[u8]) -> Result<Option<TokenKind>> {
    let rows = conn
        .query(
            "SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = ?1",
            [digest.to_vec()],
        )
        .await?;
    if let Some(grant_id) = first(rows, |r| Ok(r.get::<String>(0)?)).await? {
        return Ok(Some(TokenKind::Refresh { grant_id }));
    }
    let rows = conn
        .query(
            "SELECT grant_id FROM oauth_access_tokens WHERE token_hash = ?1",
            [digest.to_vec()],
        )
        .await?;
    Ok(first(rows, |r| Ok(r.get::<String>(0)?))
        .await?
        .map(|grant_id| TokenKind::Access { grant_id }))
}

/// The WHERE clause (on a token table) and its one parameter for a resolved selector.
enum Scope {
    AccessToken(Vec<u8>),
    Column(&'static str, String),
    Nothing,
}

async fn resolve(conn: &Conn, selector: Selector<'_>) -> Result<Scope> {
    Ok(match selector {
        Selector::Token(digest) => match identify(conn, digest).await? {
            Some(TokenKind::Access { .. }) => Scope::AccessToken(digest.to_vec()),
            Some(TokenKind::Refresh { grant_id }) => Scope::Column("grant_id", grant_id),
            None => Scope::Nothing,
        },
        Selector::Grant(g) => Scope::Column("grant_id", g.to_string()),
        Selector::Client(c) => Scope::Column("client_id", c.to_string()),
        Selector::User(u) => Scope::Column("user_id", u.to_string()),
    })
}

/// Counts what [`revoke`] would revoke; changes nothing.
pub async fn count(store: &Store, selector: Selector<'_>, now: i64) -> Result<Revoked> {
    let conn = store.connection().await?;
    let live = "revoked_at IS NULL AND expires_at > ?2";
    Ok(match resolve(&conn, selector).await? {
        Scope::Nothing => Revoked::default(),
        Scope::AccessToken(digest) => Revoked {
            access_tokens: scalar_i64(
                &conn,
                &format!("SELECT count(*) FROM oauth_access_tokens WHERE token_hash = ?1 AND {live}"),
                libsql::params![digest, now],
            )
            .await? as u64,
            refresh_tokens: 0,
        },
        Scope::Column(column, value) => {
            let mut counts = [0u64; 2];
            for (i, table) in ["oauth_access_tokens", "oauth_refresh_tokens"].iter().enumerate() {
                counts[i] = scalar_i64(
                    &conn,
                    &format!("SELECT count(*) FROM {table} WHERE {column} = ?1 AND {live}"),
                    libsql::params![value.as_str(), now],
                )
                .await? as u64;
            }
            Revoked {
                access_tokens: counts[0],
                refresh_tokens: counts[1],
            }
        }
    })
}

/// Revokes, in one transaction, and reports how many live tokens it revoked. Tokens already
/// revoked keep their original `revoked_at`; expired ones are marked too, so that a refresh
/// reuse after expiry still reads as revoked.
pub async fn revoke(store: &Store, selector: Selector<'_>, now: i64) -> Result<Revoked> {
    let tx = store.begin_write().await?;
    let revoked = revoke_in(&tx, selector, now).await?;
    tx.commit().await?;
    Ok(revoked)
}

/// [`revoke`] inside a transaction the caller already holds (e.g. code replay handling).
pub async fn revoke_in(conn: &Conn, selector: Selector<'_>, now: i64) -> Result<Revoked> {
    let mut revoked = Revoked::default();
    match resolve(conn, selector).await? {
        Scope::Nothing => {}
        Scope::AccessToken(digest) => {
            revoked.access_tokens = mark(
                conn,
                "oauth_access_tokens",
                "token_hash = ?1",
                libsql::Value::Blob(digest),
                now,
            )
            .await?;
        }
        Scope::Column(column, value) => {
            let condition = format!("{column} = ?1");
            revoked.access_tokens =
                mark(conn, "oauth_access_tokens", &condition, value.clone().into(), now).await?;
            revoked.refresh_tokens = mark(
                conn,
                "oauth_refresh_tokens",
                &condition,
                value.clone().into(),
                now,
            )
            .await?;
            conn.execute(
                &format!("UPDATE oauth_authorization_codes SET used_at = ?2 WHERE {column} = ?1 AND used_at IS NULL"),
                libsql::params![value, now],
            )
            .await?;
        }
    }
    Ok(revoked)
}

/// Marks matching unrevoked rows; returns how many of them were still live.
async fn mark(conn: &Conn, table: &str, condition: &str, value: libsql::Value, now: i64) -> Result<u64> {
    let live = scalar_i64(
        conn,
        &format!("SELECT count(*) FROM {table} WHERE {condition} AND revoked_at IS NULL AND expires_at > ?2"),
        libsql::params![value.clone(), now],
    )
    .await?;
    conn.note_revocation();
    conn.execute(
        &format!("UPDATE {table} SET revoked_at = ?2 WHERE {condition} AND revoked_at IS NULL"),
        libsql::params![value, now],
    )
    .await?;
    Ok(live as u64)
}

/// Whether any token (live or not) was ever issued to `user_id`: how a user who is not in the
/// local table (a Clerk user) is known to exist.
pub async fn user_has_tokens(store: &Store, user_id: &str) -> Result<bool> {
    let conn = store.connection().await?;
    let n = scalar_i64(
        &conn,
        "SELECT EXISTS (SELECT 1 FROM oauth_access_tokens WHERE user_id = ?1) \
             OR EXISTS (SELECT 1 FROM oauth_refresh_tokens WHERE user_id = ?1)",
        [user_id],
    )
    .await?;
    Ok(n > 0)
}
