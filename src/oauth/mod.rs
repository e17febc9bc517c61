//! OAuth 2.1 authorization-server logic: plain values and a [`crate::storage::Store`] in,
//! plain values or typed errors out. Nothing here knows about HTTP or the terminal.

pub mod bearer;
pub mod metadata;
pub mod redirect_uri;
pub mod resource;
pub mod scope;
