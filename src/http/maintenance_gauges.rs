//! `/metrics` gauges for the last successful `token cleanup` and `backup`, read from
//! `maintenance_runs` (the commands record themselves there on success, from cron or a
//! systemd timer, in their own processes).
//!
//! The server cannot be told when another process ran, so it reads, at most every
//! [`FRESH_FOR`] (through a [`super::probes::ScrapeCache`]): however many scrapers there are,
//! the database sees at most two index seeks per half minute. Alerts on these gauges are about
//! hours ("no backup for 26 h"); half a minute of staleness is nothing to them. Before any value
//! was read the gauges are left out rather than reported as "never" (0).

use std::fmt::Write;
use std::time::Duration;

use crate::storage::cleanup::LastFinished;

/// How long a value read is served before the database is asked again.
pub const FRESH_FOR: Duration = Duration::from_secs(30);

pub const LAST_BACKUP: &str = "mcp_oauth_last_backup_timestamp_seconds";
pub const LAST_CLEANUP: &str = "mcp_oauth_last_cleanup_timestamp_seconds";

/// The two gauges in the exposition format (nothing when `value` is unknown).
pub fn render(value: Option<LastFinished>) -> String {
    let mut out = String::new();
    let Some(value) = value else { return out };
    for (name, help, at) in [
        (
            LAST_BACKUP,
            "Unix time the last successful `mcp-oauth backup` finished (0: never).",
            value.backup,
        ),
        (
            LAST_CLEANUP,
            "Unix time the last successful `mcp-oauth token cleanup` finished (0: never).",
            value.cleanup,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
            at.unwrap_or(0)
        );
    }
    out
}
