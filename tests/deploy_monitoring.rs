//! `deploy/`: the Prometheus alerting rules pass `promtool check rules`, and every metric the
//! rules and the Grafana dashboard name is one a live server's `/metrics` really serves.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestServer;

const RULES: &str = "deploy/prometheus/mcp-oauth-alerts.yml";
const DASHBOARD: &str = "deploy/grafana/mcp-oauth-dashboard.json";

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every `mcp_oauth_…` identifier in `text` (PromQL in YAML or JSON, read crudely).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("mcp_oauth_") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let tail = &rest[at..];
        let len = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        if !preceded_by_ident {
            names.insert(tail[..len].to_string());
        }
        rest = &tail[len..];
    }
    names
}

/// The names `/metrics` serves, and which of them are histograms.
fn served(exposition: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut names = BTreeSet::new();
    let mut histograms = BTreeSet::new();
    for line in exposition.lines() {
        if let Some(typed) = line.strip_prefix("# TYPE ") {
            let mut parts = typed.split_whitespace();
            if let (Some(name), Some("histogram")) = (parts.next(), parts.next()) {
                histograms.insert(name.to_string());
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            names.insert(line[..end].to_string());
        }
    }
    (names, histograms)
}

/// A histogram's series name (`…_bucket`, `…_sum`, `…_count`) as its base name.
fn base_name<'a>(name: &'a str, histograms: &BTreeSet<String>) -> &'a str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find(|base| histograms.contains(*base))
        .unwrap_or(name)
}

#[tokio::test]
async fn every_metric_the_alerts_and_the_dashboard_use_is_served_by_a_live_server() {
    let s = TestServer::start().await;
    // Exercise a few routes, so that the per-route series exist.
    for path in ["/healthz", "/readyz", "/.well-known/oauth-authorization-server"] {
        assert_eq!(s.http.get(s.url(path)).send().await.unwrap().status(), 200);
    }
    let token = s.http.post(s.url("/api/oauth/token")).send().await.unwrap();
    assert_eq!(token.status(), 400);
    let mcp = s.http.post(s.url("/api/mcp")).send().await.unwrap();
    assert_eq!(mcp.status(), 401);
    let exposition = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (served, histograms) = served(&exposition);
    for name in histograms.iter() {
        assert!(served.contains(&format!("{name}_bucket")), "{name} has no series");
    }
    let served_bases: BTreeSet<&str> = served.iter().map(|n| base_name(n, &histograms)).collect();

    let rules = std::fs::read_to_string(repo_file(RULES)).unwrap();
    let dashboard = std::fs::read_to_string(repo_file(DASHBOARD)).unwrap();
    let _: serde_json::Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    for (file, text) in [(RULES, &rules), (DASHBOARD, &dashboard)] {
        let used = metric_names(text);
        assert!(used.len() >= 8, "{file} names only {used:?}");
        let missing: Vec<&String> = used
            .iter()
            .filter(|n| !served_bases.contains(base_name(n, &histograms)))
            .collect();
        assert!(
            missing.is_empty(),
            "{file} uses metrics /metrics does not serve: {missing:?}\nserved: {served_bases:?}"
        );
    }
}

#[test]
fn the_metric_name_reader_finds_names_in_promql_and_strips_histogram_suffixes() {
    let names = metric_names(
        r#"histogram_quantile(0.99, sum by (le) (rate(mcp_oauth_request_duration_seconds_bucket{job="mcp-oauth"}[5m]))) / x_mcp_oauth_no"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["mcp_oauth_request_duration_seconds_bucket"]
    );
    let histograms = BTreeSet::from(["mcp_oauth_request_duration_seconds".to_string()]);
    assert_eq!(
        base_name("mcp_oauth_request_duration_seconds_count", &histograms),
        "mcp_oauth_request_duration_seconds"
    );
    assert_eq!(
        base_name("mcp_oauth_db_commits_total", &histograms),
        "mcp_oauth_db_commits_total"
    );
}

/// `promtool`, or `None` after saying why it cannot run; with `CI` set, a panic instead.
fn promtool() -> Option<Command> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("promtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = "promtool is missing; install Debian's prometheus package (tests/run.sh does)";
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set, so the rules check must run: {why}"
        );
        println!("SKIPPED: {why}");
    }
    found.map(Command::new)
}

#[test]
fn the_alerting_rules_pass_promtool_check_rules() {
    let Some(mut promtool) = promtool() else {
        return;
    };
    let out = promtool
        .args(["check", "rules"])
        .arg(repo_file(RULES))
        .output()
        .expect("promtool runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "promtool check rules failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("SUCCESS"), "{stdout}");
}

/// The value of the series `series` (name and labels, exactly as served).
fn value(exposition: &str, series: &str) -> Option<String> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(str::to_string))
}

#[tokio::test]
async fn rows_per_table_are_counted_once_per_minute_not_per_scrape_and_responses_count_by_class() {
    let s = TestServer::start_with(|c| c.oauth_enabled = false).await;
    let scrape = || async {
        s.http
            .get(s.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let first = scrape().await;
    assert_eq!(
        value(&first, "mcp_oauth_table_rows{table=\"oauth_clients\"}").as_deref(),
        Some("0")
    );
    s.public_client(&[common::REDIRECT]).await;
    let token = s.http.post(s.url("/api/oauth/token")).send().await.unwrap();
    assert_eq!(token.status(), 503, "the switch is off");
    let second = scrape().await;
    assert_eq!(
        value(&second, "mcp_oauth_table_rows{table=\"oauth_clients\"}").as_deref(),
        Some("0"),
        "the counts of the first scrape are served again within the minute"
    );
    assert_eq!(
        value(
            &second,
            "mcp_oauth_responses_total{route=\"token\",class=\"5xx\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(value(&second, "mcp_oauth_database_up").as_deref(), Some("1"));
    assert_eq!(value(&second, "mcp_oauth_oauth_enabled").as_deref(), Some("0"));
}
