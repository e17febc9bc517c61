//! The hyper server: parse the request, call the protocol modules, render the answer.
//! No protocol decision is made here.

pub mod body;
pub mod config;
pub mod cors;
pub mod discovery;
pub mod mcp_endpoint;
pub mod metrics;
pub mod oauth_endpoints;
pub mod pages;
pub mod probes;
pub mod response;
pub mod router;
pub mod server;
pub mod state;

pub use config::{LoginMode, ServerConfig};
pub use server::{launch, Server};
pub use state::AppState;
