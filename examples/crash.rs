//! Crash safety (issue 6): `kill -9` the real server under concurrent load, twenty times, and
//! check that nothing a client was told survived only in its memory. Not a test: run it with
//!
//! ```text
//! cargo build --release && cargo run --release --example crash -- [ROUNDS] [WORKERS]
//! ```
//!
//! Drives `target/release/mcp-oauth serve` (or `$MCP_OAUTH_BIN`) on a database file; see
//! `tests/common/crash.rs` for what each round checks. `tests/crash_safety.rs` runs three rounds
//! of the same harness in the test suite. Exit status 1 when any round fails.

#[path = "../tests/common/crash.rs"]
mod crash;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let rounds = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let workers = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let binary = std::env::var_os("MCP_OAUTH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/mcp-oauth"));
    let mut harness = crash::Harness::new(crash::Settings {
        binary: binary.clone(),
        rounds,
        workers,
        kill_after: (Duration::from_millis(200), Duration::from_millis(3000)),
    })
    .await;
    println!(
        "{rounds} rounds, {workers} concurrent clients, server {}, database {}",
        binary.display(),
        harness.database().display()
    );
    let reports = harness
        .run(|round, report| println!("{}", crash::describe(round, report)))
        .await;
    let failed = reports.iter().filter(|r| !r.failures.is_empty()).count();
    let sum = |f: fn(&crash::RoundReport) -> usize| reports.iter().map(f).sum::<usize>();
    println!(
        "{} rounds, {failed} failed; {} code exchanges, {} refreshes, {} memories acknowledged, {} answers lost to kills, {} refresh tokens rotated unseen and recovered inside the grace, {} access tokens re-checked",
        reports.len(),
        sum(|r| r.exchanges),
        sum(|r| r.refreshes),
        sum(|r| r.memories),
        sum(|r| r.lost_answers),
        sum(|r| r.rotated_unseen),
        sum(|r| r.access_checked),
    );
    if failed == 0 && reports.len() == rounds {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
