//! Wall-clock time as the database stores it: whole Unix seconds, UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A stored timestamp as RFC 3339 (`2026-11-27T13:40:18Z`), for tables and JSON.
pub fn rfc3339(unix_seconds: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(unix_seconds.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A duration in whole seconds, saturating instead of overflowing for absurd flag values.
pub fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A stored timestamp for people: `2026-11-27 13:40 UTC`.
pub fn human(unix_seconds: i64) -> String {
    let full = rfc3339(unix_seconds); // 2026-11-27T13:40:18Z
    format!("{} {} UTC", &full[..10], &full[11..16])
}
