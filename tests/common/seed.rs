//! Rows put straight into a test database: clients through the crate, codes and tokens with
//! SQL (the grant logic that normally mints them is not what these tests are about).
#![allow(dead_code)]

use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret;
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::Store;

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 24 * HOUR;

pub fn now() -> i64 {
    mcp_oauth::clock::now()
}

/// A confidential client with this ID, owned by `user_id`.
pub async fn client(store: &Store, client_id: &str, user_id: &str) {
    clients::insert(
        store,
        &NewClient {
            client_id: client_id.into(),
            client_name: format!("{client_id} app"),
            secret_hash: Some(secret::hash_client_secret("unused")),
            redirect_uris: vec!["https://claude.ai/api/mcp/auth_callback".into()],
            scopes: ScopeSet::all(),
            auth_method: AuthMethod::ClientSecretBasic,
            user_id: Some(user_id.into()),
            registration: Registration::Cli,
            created_at: now(),
        },
    )
    .await
    .expect("insert client");
}

/// A token row in `oauth_access_tokens` or `oauth_refresh_tokens`, stored by the digest of `token`.
#[derive(Debug, Clone)]
pub struct Token<'a> {
    pub table: &'a str,
    pub token: &'a str,
    pub grant: &'a str,
    pub client: &'a str,
    pub user: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl<'a> Token<'a> {
    pub fn access(token: &'a str, grant: &'a str, client: &'a str, user: &'a str) -> Token<'a> {
        Token {
            table: "oauth_access_tokens",
            token,
            grant,
            client,
            user,
            created_at: now(),
            expires_at: now() + HOUR,
            revoked_at: None,
        }
    }

    pub fn refresh(token: &'a str, grant: &'a str, client: &'a str, user: &'a str) -> Token<'a> {
        Token {
            table: "oauth_refresh_tokens",
            expires_at: now() + 30 * DAY,
            ..Token::access(token, grant, client, user)
        }
    }

    pub fn expires(mut self, at: i64) -> Self {
        self.expires_at = at;
        self
    }

    pub fn revoked(mut self, at: i64) -> Self {
        self.revoked_at = Some(at);
        self
    }

    pub fn created(mut self, at: i64) -> Self {
        self.created_at = at;
        self
    }

    pub async fn insert(&self, store: &Store) {
        let conn = store.connection().await.expect("connection");
        conn.execute(
            &format!(
                "INSERT INTO {} (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, 'memories:read', 'http://127.0.0.1:8080/api/mcp', ?5, ?6, ?7)",
                self.table
            ),
            libsql::params![
                secret::digest(self.token),
                self.grant,
                self.client,
                self.user,
                self.created_at,
                self.expires_at,
                self.revoked_at
            ],
        )
        .await
        .expect("insert token");
    }
}

/// An authorization code row.
pub async fn code(
    store: &Store,
    code: &str,
    client: &str,
    user: &str,
    expires_at: i64,
    used_at: Option<i64>,
) {
    let conn = store.connection().await.expect("connection");
    conn.execute(
        "INSERT INTO oauth_authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, scope, resource, code_challenge, created_at, expires_at, used_at) \
         VALUES (?1, ?2, ?3, ?4, 'https://claude.ai/api/mcp/auth_callback', 'memories:read', 'http://127.0.0.1:8080/api/mcp', 'x', ?5, ?6, ?7)",
        libsql::params![secret::digest(code), format!("grant-{code}"), client, user, expires_at - 600, expires_at, used_at],
    )
    .await
    .expect("insert code");
}

/// `n` rows at once in `table` (a token table), one statement: a recursive CTE.
pub async fn bulk_tokens(
    store: &Store,
    table: &str,
    n: i64,
    client: &str,
    expires_at: i64,
    revoked_at: Option<i64>,
) {
    let conn = store.connection().await.expect("connection");
    conn.execute(
        &format!(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1) \
             INSERT INTO {table} (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at, revoked_at) \
             SELECT randomblob(32), 'bulk-' || i, ?2, 'usr_bulk', 'memories:read', 'r', ?3 - 3600, ?3 + (i % 1000), ?4 FROM seq"
        ),
        libsql::params![n, client, expires_at, revoked_at],
    )
    .await
    .expect("bulk insert");
}

/// `SELECT count(*) FROM table WHERE condition`.
pub async fn count(store: &Store, table: &str, condition: &str) -> i64 {
    let conn = store.connection().await.expect("connection");
    mcp_oauth::storage::scalar_i64(
        &conn,
        &format!("SELECT count(*) FROM {table} WHERE {condition}"),
        (),
    )
    .await
    .expect("count")
}

/// Whether a row with the digest of `token` is in `table`.
pub async fn has_token(store: &Store, table: &str, token: &str) -> bool {
    let conn = store.connection().await.expect("connection");
    let key = if table == "oauth_authorization_codes" {
        "code_hash"
    } else {
        "token_hash"
    };
    mcp_oauth::storage::scalar_i64(
        &conn,
        &format!("SELECT count(*) FROM {table} WHERE {key} = ?1"),
        [secret::digest(token)],
    )
    .await
    .expect("lookup")
        == 1
}

/// `revoked_at` of the token (None: not revoked).
pub async fn revoked_at(store: &Store, table: &str, token: &str) -> Option<i64> {
    let conn = store.connection().await.expect("connection");
    let mut rows = conn
        .query(
            &format!("SELECT revoked_at FROM {table} WHERE token_hash = ?1"),
            [secret::digest(token)],
        )
        .await
        .expect("query");
    let row = rows.next().await.expect("row").expect("token exists");
    row.get::<Option<i64>>(0).expect("revoked_at")
}
