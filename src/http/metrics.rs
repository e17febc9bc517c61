//! Prometheus text-format counters and a latency histogram, kept in atomics.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::storage::WriteCounts;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The routes latency is reported for; anything else is `other`.
pub const ROUTES: [&str; 10] = [
    "discovery",
    "authorize",
    "token",
    "revoke",
    "register",
    "connections",
    "login",
    "mcp",
    "probes",
    "other",
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    latency: [Histogram; ROUTES.len()],
    pub tokens_issued_authorization_code: AtomicU64,
    pub tokens_issued_refresh_token: AtomicU64,
    pub failed_client_authentications: AtomicU64,
    pub failed_logins: AtomicU64,
    pub authorizations_approved: AtomicU64,
    pub authorizations_denied: AtomicU64,
    pub authorizations_failed: AtomicU64,
    pub rate_limited: AtomicU64,
    /// 421: a `Host` this server does not answer to (see `host_check`).
    pub misdirected_host: AtomicU64,
    /// 403: a browser form posted from another site (see `csrf::check_same_origin`).
    pub cross_site_form: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, route: &str, elapsed: Duration) {
        let idx = ROUTES
            .iter()
            .position(|r| *r == route)
            .unwrap_or(ROUTES.len() - 1);
        let h = &self.latency[idx];
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        h.count.fetch_add(1, Ordering::Relaxed);
        h.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `tables` are (table, rows) pairs read from the database.
    pub fn render(&self, tables: &[(String, i64)], writes: WriteCounts) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, labels: &[(&str, &AtomicU64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (label, value) in labels {
                let _ = writeln!(out, "{name}{label} {}", value.load(Ordering::Relaxed));
            }
        };
        counter(
            &mut out,
            "mcp_oauth_tokens_issued_total",
            "Access tokens issued, by grant type.",
            &[
                (
                    "{grant_type=\"authorization_code\"}",
                    &self.tokens_issued_authorization_code,
                ),
                (
                    "{grant_type=\"refresh_token\"}",
                    &self.tokens_issued_refresh_token,
                ),
            ],
        );
        counter(
            &mut out,
            "mcp_oauth_failed_client_authentications_total",
            "Token, revocation or registration requests whose client authentication failed.",
            &[("", &self.failed_client_authentications)],
        );
        counter(
            &mut out,
            "mcp_oauth_failed_logins_total",
            "Failed local logins.",
            &[("", &self.failed_logins)],
        );
        counter(
            &mut out,
            "mcp_oauth_authorizations_total",
            "Authorization requests by outcome.",
            &[
                ("{outcome=\"approved\"}", &self.authorizations_approved),
                ("{outcome=\"denied\"}", &self.authorizations_denied),
                ("{outcome=\"failed\"}", &self.authorizations_failed),
            ],
        );
        counter(
            &mut out,
            "mcp_oauth_rate_limited_total",
            "Requests refused with 429.",
            &[("", &self.rate_limited)],
        );
        counter(
            &mut out,
            "mcp_oauth_refused_requests_total",
            "Requests refused before any handler: 421 for an unknown Host (a proxy that does not pass the public name shows here), 403 for a cross-site form post.",
            &[
                ("{reason=\"misdirected_host\"}", &self.misdirected_host),
                ("{reason=\"cross_site_form\"}", &self.cross_site_form),
            ],
        );

        for (name, help, value) in [
            (
                "mcp_oauth_db_write_transactions_total",
                "Database write transactions committed by this process.",
                writes.transactions,
            ),
            (
                "mcp_oauth_db_commits_total",
                "Database commits those took; fewer when concurrent writes shared a commit.",
                writes.commits,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        }

        let _ = writeln!(out, "# HELP mcp_oauth_request_duration_seconds Request latency by route.\n# TYPE mcp_oauth_request_duration_seconds histogram");
        for (route, h) in ROUTES.iter().zip(&self.latency) {
            let count = h.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            for (bound, b) in BUCKETS.iter().zip(&h.buckets) {
                let _ = writeln!(
                    out,
                    "mcp_oauth_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    b.load(Ordering::Relaxed)
                );
            }
            let _ = writeln!(
                out,
                "mcp_oauth_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "mcp_oauth_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "mcp_oauth_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP mcp_oauth_table_rows Rows per table.\n# TYPE mcp_oauth_table_rows gauge"
        );
        for (table, rows) in tables {
            let _ = writeln!(out, "mcp_oauth_table_rows{{table=\"{table}\"}} {rows}");
        }
        out
    }
}
