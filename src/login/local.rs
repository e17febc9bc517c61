//! Local accounts (`serve --login local`): password check and browser sessions.
//!
//! A session is a 256-bit random cookie value (`mcp_ss_…`) stored only as its SHA-256.
//! An unknown user name is checked against a dummy hash so that it costs what a wrong password
//! costs: the login form does not reveal which accounts exist.

use tokio::sync::OnceCell;

use super::SignedIn;
use crate::oauth::argon2_pool;
use crate::secret::{self, HashCost, Kind};
use crate::storage::users::{self, UserRecord};
use crate::storage::{Store, StoreError};

/// How long a login lasts.
pub const SESSION_TTL_SECONDS: i64 = 12 * 60 * 60;

/// Longest user name or password looked at; longer input fails without hashing.
const MAX_INPUT: usize = 1024;

async fn dummy_password_hash() -> String {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async {
            argon2_pool::hash(HashCost::Password, &secret::generate(Kind::Csrf)).await
        })
        .await
        .cloned()
        // A saturated pool refuses the verification that follows just as fast.
        .unwrap_or_default()
}

/// The account if `password` is its password. Argon2 runs on the bounded pool.
pub async fn check_password(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<Option<UserRecord>, StoreError> {
    if username.is_empty() || username.len() > MAX_INPUT || password.len() > MAX_INPUT {
        return Ok(None);
    }
    let user = users::find_by_username(store, username).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => dummy_password_hash().await,
    };
    // A saturated pool refuses the sign-in like a wrong password (and it is counted as one).
    let ok = argon2_pool::verify(password, &hash).await.unwrap_or(false);
    Ok(user.filter(|_| ok))
}

/// Starts a session for `user`; returns the cookie value.
pub async fn start_session(store: &Store, user: &UserRecord, now: i64) -> Result<String, StoreError> {
    let token = secret::generate(Kind::LoginSession);
    users::create_session(
        store,
        &secret::digest(&token),
        &user.user_id,
        now,
        now + SESSION_TTL_SECONDS,
    )
    .await?;
    users::record_login(store, &user.user_id, now).await?;
    Ok(token)
}

/// Ends the session of a cookie value (sign-out): its row is deleted, so the cookie is worth
/// nothing even if the browser keeps it.
pub async fn end_session(store: &Store, cookie_value: &str) -> Result<(), StoreError> {
    users::delete_session(store, &secret::digest(cookie_value)).await
}

/// The signed-in user of a session cookie value, if the session is live.
pub async fn session_user(
    store: &Store,
    cookie_value: &str,
    now: i64,
) -> Result<Option<SignedIn>, StoreError> {
    if !cookie_value.starts_with(Kind::LoginSession.prefix()) || cookie_value.len() > 128 {
        return Ok(None);
    }
    let digest = secret::digest(cookie_value);
    Ok(users::find_session_user(store, &digest, now)
        .await?
        .map(|u| SignedIn {
            user_id: u.user_id,
            display_name: u.username,
            session_binding: crate::storage::migrations::hex(&digest),
        }))
}
