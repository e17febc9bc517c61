//! `/metrics` gauges for the last successful `token cleanup` and `backup`, read from
//! `maintenance_runs` (the commands record themselves there on success, from cron or a
//! systemd timer, in their own processes).
//!
//! The server cannot be told when another process ran, so it reads. The value is kept for
//! [`FRESH_FOR`]: a scrape within that time answers from memory, so however many scrapers
//! there are, the database sees at most two index seeks per half minute. Alerts on these
//! gauges are about hours ("no backup for 26 h"); half a minute of staleness is nothing to them.
//! When the database cannot be read, the last value read is served again; before any value was
//! read the gauges are left out rather than reported as "never" (0).

use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::storage::cleanup::{self, LastFinished};
use crate::storage::Store;

/// How long a value read is served before the database is asked again.
pub const FRESH_FOR: Duration = Duration::from_secs(30);

pub const LAST_BACKUP: &str = "mcp_oauth_last_backup_timestamp_seconds";
pub const LAST_CLEANUP: &str = "mcp_oauth_last_cleanup_timestamp_seconds";

#[derive(Default)]
pub struct MaintenanceGauges {
    read: Mutex<Option<(Instant, LastFinished)>>,
}

impl MaintenanceGauges {
    /// The values, from memory when fresh, else from the database.
    pub async fn current(&self, store: &Store) -> Option<LastFinished> {
        let cached = *self.read.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, value)) = cached {
            if at.elapsed() < FRESH_FOR {
                return Some(value);
            }
        }
        match cleanup::last_finished(store).await {
            Ok(value) => {
                *self.read.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), value));
                Some(value)
            }
            Err(e) => {
                tracing::debug!(error = %e, "reading the last maintenance runs for /metrics");
                cached.map(|(_, value)| value)
            }
        }
    }

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
}
