//! Prometheus text-format counters, gauges and a latency histogram, kept in atomics.
//!
//! A request costs three relaxed atomic increments here (its latency bucket, the sum and its
//! status class) and no lock or allocation: buckets are stored per bucket and made
//! cumulative only when `/metrics` is rendered. What comes from the database (rows per table)
//! is read by the scrape, at most once per [`super::probes::TABLE_ROWS_MAX_AGE`]
//! ([`super::probes::ScrapeCache`]).
//!
//! `deploy/prometheus/mcp-oauth-alerts.yml` and `deploy/grafana/mcp-oauth-dashboard.json` use
//! these names; `tests/deploy_monitoring.rs` fails when they name one that is not served.

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

/// Status classes counted per route: 1xx … 5xx.
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Default)]
struct Histogram {
    /// Requests whose latency fell in this bucket and no lower one (not cumulative); the last
    /// slot is above the largest bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    statuses: [AtomicU64; STATUS_CLASSES.len()],
}

/// What a scrape read besides the counters.
pub struct Scrape<'a> {
    /// `(table, rows)`, as last read from the database (possibly a little old).
    pub tables: &'a [(String, i64)],
    pub writes: WriteCounts,
    /// The database answered `SELECT 1` for this scrape.
    pub database_up: bool,
    /// `serve --oauth on`.
    pub oauth_enabled: bool,
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
    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        let idx = ROUTES
            .iter()
            .position(|r| *r == route)
            .unwrap_or(ROUTES.len() - 1);
        let h = &self.latency[idx];
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(BUCKETS.len());
        h.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        h.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        let class = usize::from(status / 100).clamp(1, STATUS_CLASSES.len()) - 1;
        h.statuses[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, scrape: &Scrape<'_>) -> String {
        let Scrape { tables, writes, .. } = *scrape;
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
            // One load per bucket, so the cumulative counts and the total agree.
            let counts: Vec<u64> = h.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
            let count: u64 = counts.iter().sum();
            if count == 0 {
                continue;
            }
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "mcp_oauth_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
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
        let _ = writeln!(out, "# HELP mcp_oauth_responses_total Responses by route and status class.\n# TYPE mcp_oauth_responses_total counter");
        for (route, h) in ROUTES.iter().zip(&self.latency) {
            for (class, n) in STATUS_CLASSES.iter().zip(&h.statuses) {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "mcp_oauth_responses_total{{route=\"{route}\",class=\"{class}\"}} {n}"
                    );
                }
            }
        }
        for (name, help, value) in [
            (
                "mcp_oauth_database_up",
                "1 when the database answered SELECT 1 for this scrape (as /readyz), else 0.",
                scrape.database_up,
            ),
            (
                "mcp_oauth_oauth_enabled",
                "1 while the authorization server is on, 0 while switched off (serve --oauth off).",
                scrape.oauth_enabled,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                u8::from(value)
            );
        }
        let _ = writeln!(
            out,
            "# HELP mcp_oauth_table_rows Rows per table, read at most once a minute.\n# TYPE mcp_oauth_table_rows gauge"
        );
        for (table, rows) in tables {
            let _ = writeln!(out, "mcp_oauth_table_rows{{table=\"{table}\"}} {rows}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_rendered_cumulative_and_status_classes_per_route() {
        let m = Metrics::default();
        m.observe("token", 200, Duration::from_micros(300));
        m.observe("token", 503, Duration::from_millis(30));
        m.observe("token", 400, Duration::from_secs(5));
        m.observe("no such route", 404, Duration::from_micros(1));
        let text = m.render(&Scrape {
            tables: &[("oauth_clients".into(), 2)],
            writes: WriteCounts::default(),
            database_up: true,
            oauth_enabled: false,
        });
        for line in [
            "mcp_oauth_request_duration_seconds_bucket{route=\"token\",le=\"0.0005\"} 1",
            "mcp_oauth_request_duration_seconds_bucket{route=\"token\",le=\"0.025\"} 1",
            "mcp_oauth_request_duration_seconds_bucket{route=\"token\",le=\"0.05\"} 2",
            "mcp_oauth_request_duration_seconds_bucket{route=\"token\",le=\"2.5\"} 2",
            "mcp_oauth_request_duration_seconds_bucket{route=\"token\",le=\"+Inf\"} 3",
            "mcp_oauth_request_duration_seconds_count{route=\"token\"} 3",
            "mcp_oauth_request_duration_seconds_count{route=\"other\"} 1",
            "mcp_oauth_responses_total{route=\"token\",class=\"5xx\"} 1",
            "mcp_oauth_responses_total{route=\"token\",class=\"4xx\"} 1",
            "mcp_oauth_responses_total{route=\"other\",class=\"4xx\"} 1",
            "mcp_oauth_database_up 1",
            "mcp_oauth_oauth_enabled 0",
            "mcp_oauth_table_rows{table=\"oauth_clients\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
        }
        assert!(
            !text.contains("route=\"mcp\""),
            "routes without requests are left out"
        );
    }
}
