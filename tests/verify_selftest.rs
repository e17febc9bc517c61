//! `mcp-oauth verify` without a base URL: the real binary starts this build's server in-process
//! and runs the whole checklist against it.

#[path = "common/cli.rs"]
mod cli;

use std::collections::BTreeMap;

use cli::{Output, Test};

/// Nothing is skipped in the self-test: it makes its own Clerk key and its throw-away server
/// can be locked out by the rate-limit probe.
const SKIPPED_IN_SELF_TEST: &[&str] = &[];

/// `id → (status, reason)` from a `--json` report.
fn outcomes(out: &Output) -> BTreeMap<String, (String, String)> {
    out.json()["checks"]
        .as_array()
        .expect("a checks array")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                (
                    c["status"].as_str().unwrap().to_string(),
                    c["reason"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn the_self_test_passes_every_item_and_writes_one_junit_testcase_per_item() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("verify.xml");
    let started = std::time::Instant::now();
    let out = Test::new()
        .args(["verify", "--json", "--junit"])
        .arg(junit.as_os_str())
        .run();
    eprintln!("self-test (debug build) took {:?}", started.elapsed());
    let report = out.json();
    assert_eq!(report["mode"], "self-test");
    assert_eq!(report["passed"], true);
    let outcomes = outcomes(&out);
    let ids = mcp_oauth::verify::check_ids();
    assert_eq!(outcomes.len(), ids.len(), "one result per check");
    for (id, (status, reason)) in &outcomes {
        let expected = if SKIPPED_IN_SELF_TEST.contains(&id.as_str()) {
            "skip"
        } else {
            "pass"
        };
        assert_eq!(status, expected, "{id}: {reason}");
    }
    assert_eq!(report["totals"]["failed"], 0);
    assert_eq!(report["totals"]["skipped"], SKIPPED_IN_SELF_TEST.len());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&junit).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the JUnit report is owner-only");
    }
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), ids.len(), "one testcase per check");
    for id in &ids {
        assert!(
            cases.iter().any(|c| c
                .attribute("name")
                .is_some_and(|n| n.starts_with(&format!("{id} ")))),
            "no testcase for {id}"
        );
    }
    let skipped = doc.descendants().filter(|n| n.has_tag_name("skipped")).count();
    assert_eq!(skipped, SKIPPED_IN_SELF_TEST.len());
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 0);
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("tests"), Some(ids.len().to_string().as_str()));
}

#[test]
fn the_self_test_prints_the_checklist_with_clerk_and_rate_limit_passed() {
    let out = Test::new()
        .args(["verify"])
        .stdout("self-test of this build")
        .stdout(&format!(
            "{} passed, 0 failed, 0 skipped",
            mcp_oauth::verify::CHECKS.len()
        ))
        .run();
    for id in ["security.rate-limit", "clerk.session-token"] {
        let row = out.stdout.lines().find(|l| l.contains(id)).unwrap();
        assert!(row.contains("pass"), "{row}");
    }
}

#[test]
fn only_and_skip_choose_checks_by_id_or_prefix() {
    let out = Test::new()
        .args([
            "verify",
            "--json",
            "--only",
            "discovery",
            "--only",
            "test4.invalid-client",
        ])
        .args(["--skip", "discovery.protected-resource"])
        .run();
    let ids: Vec<String> = outcomes(&out).into_keys().collect();
    assert_eq!(ids, ["discovery.authorization-server", "test4.invalid-client"]);
}

#[test]
fn a_check_id_that_names_nothing_is_a_usage_error_listing_the_ids() {
    Test::new()
        .args(["verify", "--only", "discovery.authorisation-server"])
        .status(2)
        .stderr("names no check")
        .stderr("discovery.authorization-server")
        .run();
}

#[test]
fn deployment_flags_need_a_base_url() {
    Test::new()
        .args([
            "verify",
            "--redirect-uri",
            "https://claude.ai/api/mcp/auth_callback",
        ])
        .status(2)
        .stderr("--base-url")
        .run();
}

#[test]
fn a_deployment_restore_drill_needs_the_deployments_database() {
    Test::new()
        .args(["verify", "--backup-drill"])
        .status(2)
        .stderr("--base-url")
        .run();
    Test::new()
        .args(["verify", "--base-url", "http://127.0.0.1:9", "--backup-drill"])
        .status(2)
        .stderr("--backup-drill needs the deployment's database: give --database")
        .run();
}
