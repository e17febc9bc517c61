//! `auth_events`: failed client authentications, failed logins and denied authorizations,
//! counted by `mcp-oauth stats`. Rows name the client at most, never a secret or a user's input.

use super::{Conn, Result, Store};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEvent {
    ClientAuthFailed,
    LoginFailed,
    AuthorizationDenied,
}

impl AuthEvent {
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthEvent::ClientAuthFailed => "client_auth_failed",
            AuthEvent::LoginFailed => "login_failed",
            AuthEvent::AuthorizationDenied => "authorization_denied",
        }
    }
}

pub async fn record(store: &Store, event: AuthEvent, client_id: Option<&str>, now: i64) -> Result<()> {
    let tx = store.begin_write().await?;
    record_on(&tx, event, client_id, now).await?;
    tx.commit().await
}

/// [`record`] on a given connection (or inside an open transaction).
pub async fn record_on(conn: &Conn, event: AuthEvent, client_id: Option<&str>, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO auth_events (kind, client_id, created_at) VALUES (?1, ?2, ?3)",
        libsql::params![event.as_str(), client_id, now],
    )
    .await?;
    Ok(())
}
