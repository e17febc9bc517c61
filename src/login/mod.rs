//! Who is at the consent screen: local accounts with a session cookie, or a Clerk session JWT
//! (SPEC §5). Both yield a [`SignedIn`]; nothing here knows about HTTP beyond cookie values.

pub mod clerk;
pub mod local;

/// The person behind a browser request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// What codes and tokens are bound to: `users.user_id`, or the Clerk `sub`.
    pub user_id: String,
    /// Shown on pages ("Signed in as …").
    pub display_name: String,
    /// Identifies this sign-in (not the person), so that CSRF tokens are bound to the session:
    /// the local session's digest, or the Clerk session id.
    pub session_binding: String,
}
