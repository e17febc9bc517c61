//! `users` and `login_sessions`: local accounts (`serve --login local`) and their browser sessions.

use super::{collect, first, Result, Store, StoreError};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user_id: String,
    pub username: String,
    pub password_hash: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

const COLUMNS: &str = "user_id, username, password_hash, created_at, last_login_at";

fn decode(r: &libsql::Row) -> Result<UserRecord> {
    Ok(UserRecord {
        user_id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        created_at: r.get(3)?,
        last_login_at: r.get(4)?,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user named `{0}` already exists")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds an account. `user_id` is the stable id tokens and memories are bound to.
pub async fn create(
    store: &Store,
    user_id: &str,
    username: &str,
    password_hash: &str,
    now: i64,
) -> Result<(), CreateUserError> {
    let result = store
        .execute_write(
            "INSERT INTO users (user_id, username, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            libsql::params![user_id, username, password_hash, now],
        )
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("UNIQUE constraint failed: users.username") => {
            Err(CreateUserError::Exists(username.to_string()))
        }
        Err(e) => Err(CreateUserError::Store(e)),
    }
}

/// Case-insensitive, as the column's collation.
pub async fn find_by_username(store: &Store, username: &str) -> Result<Option<UserRecord>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            &format!("SELECT {COLUMNS} FROM users WHERE username = ?1"),
            [username],
        )
        .await?;
    first(rows, decode).await
}

pub async fn find_by_id(store: &Store, user_id: &str) -> Result<Option<UserRecord>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            &format!("SELECT {COLUMNS} FROM users WHERE user_id = ?1"),
            [user_id],
        )
        .await?;
    first(rows, decode).await
}

pub async fn list(store: &Store) -> Result<Vec<UserRecord>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(&format!("SELECT {COLUMNS} FROM users ORDER BY username"), ())
        .await?;
    collect(rows, decode).await
}

/// Whether any local account exists (`serve --login local` warns at start when none does).
pub async fn any(store: &Store) -> Result<bool> {
    let conn = store.connection().await?;
    Ok(super::scalar_i64(&conn, "SELECT EXISTS (SELECT 1 FROM users)", ()).await? != 0)
}

pub async fn record_login(store: &Store, user_id: &str, now: i64) -> Result<()> {
    store
        .execute_write(
            "UPDATE users SET last_login_at = ?2 WHERE user_id = ?1",
            libsql::params![user_id, now],
        )
        .await?;
    Ok(())
}

/// Removes the account, its sessions, and revokes every token issued to it, in one transaction.
/// Returns the removed user, or `None` if there was none by that name.
pub async fn remove(store: &Store, username: &str, now: i64) -> Result<Option<UserRecord>> {
    let Some(user) = find_by_username(store, username).await? else {
        return Ok(None);
    };
    let tx = store.begin_write().await?;
    tx.note_revocation();
    tx.execute(
        "DELETE FROM login_sessions WHERE user_id = ?1",
        [user.user_id.as_str()],
    )
    .await?;
    for table in ["oauth_access_tokens", "oauth_refresh_tokens"] {
        tx.execute(
            &format!("UPDATE {table} SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL"),
            libsql::params![user.user_id.as_str(), now],
        )
        .await?;
    }
    tx.execute(
        "UPDATE oauth_authorization_codes SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
        libsql::params![user.user_id.as_str(), now],
    )
    .await?;
    tx.execute("DELETE FROM users WHERE user_id = ?1", [user.user_id.as_str()])
        .await?;
    tx.commit().await?;
    Ok(Some(user))
}

/// Stores a login session by the digest of its cookie value.
pub async fn create_session(
    store: &Store,
    session_hash: &[u8],
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    store
        .execute_write(
        "INSERT INTO login_sessions (session_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        libsql::params![session_hash.to_vec(), user_id, now, expires_at],
    )
    .await?;
    Ok(())
}

/// The user of a live session.
pub async fn find_session_user(store: &Store, session_hash: &[u8], now: i64) -> Result<Option<UserRecord>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            "SELECT u.user_id, u.username, u.password_hash, u.created_at, u.last_login_at \
             FROM login_sessions s JOIN users u ON u.user_id = s.user_id \
             WHERE s.session_hash = ?1 AND s.expires_at > ?2",
            libsql::params![session_hash.to_vec(), now],
        )
        .await?;
    first(rows, decode).await
}

pub async fn delete_session(store: &Store, session_hash: &[u8]) -> Result<()> {
    store
        .execute_write(
            "DELETE FROM login_sessions WHERE session_hash = ?1",
            [session_hash.to_vec()],
        )
        .await?;
    Ok(())
}
