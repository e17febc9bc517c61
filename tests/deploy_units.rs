//! Every job in `deploy/` (systemd service units and cron lines) runs the exact command it
//! names: each command line is read from its file, the deployment paths swapped for a
//! throw-away database and backup directory, run, and its effect checked.

#[path = "common/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::Command;

use cli::{Db, BIN};
use mcp_oauth::storage::backup::files;

const BINARY: &str = "/usr/local/bin/mcp-oauth";
const DATABASE: &str = "/var/lib/mcp-oauth/mcp-oauth.db";
const BACKUPS: &str = "/var/backups/mcp-oauth";

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(path)
}

/// A migrated throw-away database and an empty backup directory.
struct Scratch {
    db: Db,
    backups: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            db: Db::migrated(),
            backups: tempfile::tempdir().unwrap(),
        }
    }

    /// `line` with the deployment's paths replaced by this scratch's.
    fn localize(&self, line: &str) -> String {
        assert!(
            line.contains(BINARY) && line.contains(DATABASE),
            "the job must name {BINARY} and {DATABASE}: {line}"
        );
        line.replace(BINARY, BIN)
            .replace(DATABASE, self.db.path().to_str().unwrap())
            .replace(BACKUPS, self.backups.path().to_str().unwrap())
    }

    /// Runs the shell command line (as cron would, `sh -c`); asserts exit 0.
    fn run(&self, line: &str) {
        let out = Command::new("sh")
            .arg("-c")
            .arg(self.localize(line))
            .env_remove("MCP_OAUTH_DATABASE")
            .env_remove("TURSO_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{line}\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// What the job did: a `maintenance_runs` row for its task, and for a backup, one file
    /// named like ours in the backup directory.
    async fn assert_effect(&self, line: &str) {
        let task = if line.contains(" backup ") {
            let made: Vec<_> = files::list(self.backups.path()).unwrap();
            assert_eq!(made.len(), 1, "one backup file in the directory: {line}");
            "backup"
        } else if line.contains(" token cleanup ") {
            "token_cleanup"
        } else {
            panic!("a job this test does not know: {line}");
        };
        let store = self.db.store().await;
        let conn = store.connection().await.unwrap();
        let mut rows = conn
            .query("SELECT count(*) FROM maintenance_runs WHERE task = ?1", [task])
            .await
            .unwrap();
        let n: i64 = rows.next().await.unwrap().unwrap().get(0).unwrap();
        assert_eq!(n, 1, "{task} recorded its run: {line}");
    }
}

/// The `ExecStart=` of a unit file.
fn exec_start(unit: &str) -> String {
    let text = std::fs::read_to_string(deploy(&format!("systemd/{unit}"))).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .collect();
    assert_eq!(lines.len(), 1, "{unit}: one ExecStart=");
    // systemd splits on whitespace and honours quotes; the units use none, so `sh -c` runs
    // exactly the same argument vector.
    assert!(
        !lines[0].contains(['"', '\'', '$', '%', ';']),
        "{unit}: {}",
        lines[0]
    );
    lines[0].to_string()
}

fn units(suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(deploy("systemd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_systemd_service_runs_its_command_against_a_throw_away_database() {
    let services = units(".service");
    assert_eq!(
        services,
        ["mcp-oauth-backup.service", "mcp-oauth-cleanup.service"]
    );
    for service in &services {
        let line = exec_start(service);
        let scratch = Scratch::new();
        scratch.run(&line);
        scratch.assert_effect(&line).await;
    }
}

#[test]
fn every_timer_names_an_existing_service_and_a_daily_calendar() {
    let timers = units(".timer");
    assert_eq!(timers.len(), 2);
    for timer in timers {
        let text = std::fs::read_to_string(deploy(&format!("systemd/{timer}"))).unwrap();
        let unit = text
            .lines()
            .find_map(|l| l.strip_prefix("Unit="))
            .unwrap_or_else(|| panic!("{timer}: no Unit="));
        assert_eq!(unit, timer.replace(".timer", ".service"));
        assert!(deploy(&format!("systemd/{unit}")).is_file(), "{timer} → {unit}");
        let calendar = text
            .lines()
            .find_map(|l| l.strip_prefix("OnCalendar="))
            .unwrap_or_else(|| panic!("{timer}: no OnCalendar="));
        assert!(calendar.starts_with("*-*-* "), "{timer}: daily, not {calendar}");
        assert!(
            text.contains("Persistent=true"),
            "{timer}: a missed run runs at boot"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cron_line_runs_its_command_against_a_throw_away_database() {
    let text = std::fs::read_to_string(deploy("cron/mcp-oauth")).unwrap();
    let jobs: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains('='))
        .map(|l| {
            // m h dom mon dow user command…
            let fields: Vec<&str> = l.split_whitespace().collect();
            assert!(fields.len() > 6, "a cron.d line has a user and a command: {l}");
            assert_eq!(fields[5], "mcp-oauth", "runs as the service user: {l}");
            fields[6..].join(" ")
        })
        .collect();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    // The same commands as the systemd units: one schedule, two ways to run it.
    let mut from_units: Vec<String> = units(".service").iter().map(|u| exec_start(u)).collect();
    let mut from_cron = jobs.clone();
    from_units.sort();
    from_cron.sort();
    assert_eq!(from_cron, from_units);
    for line in &jobs {
        let scratch = Scratch::new();
        scratch.run(line);
        scratch.assert_effect(line).await;
    }
}

#[test]
fn systemd_analyze_accepts_the_units_where_it_is_installed() {
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: no systemd-analyze on this machine");
        return;
    };
    if !probe.status.success() {
        return;
    }
    let paths: Vec<PathBuf> = units(".service")
        .into_iter()
        .chain(units(".timer"))
        .map(|u| deploy(&format!("systemd/{u}")))
        .collect();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The binary and the user exist only on a real host; anything else is a unit file error.
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("/usr/local/bin/mcp-oauth") && !l.contains("User") && !l.trim().is_empty())
        .collect();
    assert!(problems.is_empty(), "{stderr}");
}
