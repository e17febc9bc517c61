//! Crash safety, short version: three rounds of `kill -9` under load against the test build
//! of `mcp-oauth serve` (the twenty-round run against the release build is
//! `cargo run --release --example crash`).

#[path = "common/crash.rs"]
mod crash;

use std::path::PathBuf;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_token_memory_or_rotation() {
    let mut harness = crash::Harness::new(crash::Settings {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_mcp-oauth")),
        rounds: 3,
        workers: 6,
        kill_after: (Duration::from_millis(300), Duration::from_millis(1500)),
    })
    .await;
    let reports = harness
        .run(|round, report| eprintln!("{}", crash::describe(round, report)))
        .await;
    assert_eq!(reports.len(), 3, "{reports:#?}");
    for r in &reports {
        assert!(r.failures.is_empty(), "{}", r.failures.join("\n"));
    }
    let acknowledged: usize = reports
        .iter()
        .map(|r| r.exchanges + r.refreshes + r.memories)
        .sum();
    assert!(acknowledged > 0, "the load never got going: {reports:#?}");
}
