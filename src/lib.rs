//! mcp-oauth: an OAuth 2.1 authorization server protecting an MCP memory service, and the
//! operator's toolkit around it.
//!
//! Layout (protocol logic never depends on HTTP or the CLI):
//! - [`storage`]: libSQL, migrations and every SQL statement.
//! - [`oauth`]: the authorization server's protocol logic (RFC 6749/7636/7009/7591/8414/9728).
//! - [`mcp`]: the MCP JSON-RPC dispatch and the memory tools.
//! - [`http`]: the hyper server: parsing requests, calling the protocol modules, rendering.
//! - [`login`]: who is at the consent screen: local accounts or Clerk session JWTs.
//! - [`client`]: the client side of the protocol, shared by tests and `verify`.
//! - [`cli`]: argument parsing, output and exit codes.
//! - [`verify`]: the deployment checklist, run against this build or a live deployment.

pub mod cli;
pub mod client;
pub mod clock;
pub mod http;
pub mod login;
pub mod mcp;
pub mod oauth;
pub mod secret;
pub mod storage;
pub mod verify;
