//! `mcp-oauth verify`: the deployment checklist as checks that pass, fail or are skipped.
//!
//! Without a base URL it starts this build's server in-process on a loopback port with a
//! throw-away database and runs every check against it; with one, it probes a deployment.

pub mod checklist;
pub mod report;

pub use checklist::{CheckResult, Outcome, Selection};
pub mod probes;
pub mod target;
