//! OAuth 2.1 authorization-server logic: plain values and a [`crate::storage::Store`] in,
//! plain values or typed errors out. Nothing here knows about HTTP or the terminal.

pub mod argon2_pool;
pub mod authorize;
pub mod bearer;
pub mod bearer_cache;
pub mod cimd;
pub mod client_auth;
pub mod client_name;
pub mod error;
pub mod grants;
pub mod metadata;
pub mod pkce;
pub mod redirect_uri;
pub mod registration;
pub mod resource;
pub mod revocation;
pub mod scope;
