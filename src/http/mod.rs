//! The hyper server: parse the request, call the protocol modules, render the answer.
//! No protocol decision is made here.

pub mod authorize_endpoint;
pub mod body;
pub mod compression;
pub mod config;
pub mod connections_endpoint;
pub mod cors;
pub mod csrf;
pub mod discovery;
pub mod form;
pub mod host_check;
pub mod login_endpoint;
pub mod maintenance_gauges;
pub mod mcp_endpoint;
pub mod metrics;
pub mod oauth_endpoints;
pub mod oauth_off;
pub mod pages;
pub mod probes;
pub mod rate_limit;
pub mod register_endpoint;
pub mod response;
pub mod router;
pub mod server;
pub mod session;
pub mod sign_out_endpoint;
pub mod state;
pub mod token_endpoint;

pub use config::{LoginMode, ServerConfig};
pub use server::{launch, Server};
pub use state::AppState;
