//! Drives the real `mcp-oauth` binary on a database file in a temporary directory, and reads
//! that database back through the crate's own `Store`.
//!
//! ```ignore
//! let db = Db::migrated();
//! db.cmd().args(["client", "list"]).stdout("No clients yet").run();
//! db.cmd().args(["client", "delete", "nope"]).status(5).stderr("no client").run();
//! ```
#![allow(dead_code)] // each test binary uses its own part of the harness

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mcp_oauth::storage::{DatabaseTarget, Store};

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth");

/// A scratch directory holding one database file (not created until a command creates it).
pub struct Db {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    /// No database file yet.
    pub fn new() -> Db {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("mcp-oauth.db");
        Db { dir, path }
    }

    /// A database with every migration applied.
    pub fn migrated() -> Db {
        let db = Db::new();
        db.cmd().arg("migrate").stdout("migration(s) applied").run();
        db
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A command line with `--database` pointing here, run from the scratch directory.
    pub fn cmd(&self) -> Test {
        Test::new()
            .current_dir(self.dir.path())
            .arg("--database")
            .arg(self.path.as_os_str())
    }

    /// The crate's own handle on the same file, for reading rows back.
    pub async fn store(&self) -> Store {
        Store::open(&DatabaseTarget::Local(self.path.clone()))
            .await
            .expect("open the test database")
    }

    /// The database file and its WAL, concatenated: what a thief of the disk would read.
    pub fn bytes_on_disk(&self) -> Vec<u8> {
        let mut all = std::fs::read(&self.path).unwrap_or_default();
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        all.extend(std::fs::read(wal).unwrap_or_default());
        all
    }
}

/// One run of the binary and what it must do, checked by [`Test::run`].
#[must_use]
pub struct Test {
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    status: i32,
    stdout: Vec<String>,
    stderr: Vec<String>,
    stdout_absent: Vec<String>,
}

/// What a run printed.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The value after `label` on the line that starts with it (`client_secret: …`).
    pub fn field(&self, label: &str) -> String {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|rest| rest.trim().to_string())
            .unwrap_or_else(|| panic!("no `{label}` line in stdout:\n{}", self.stdout))
    }
}

impl Test {
    pub fn new() -> Test {
        Test {
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            stdin: None,
            status: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
            stdout_absent: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Test {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Standard input; without it stdin is /dev/null (not a terminal, like cron).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(input.into());
        self
    }

    /// The exit code expected (0 unless said).
    pub fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    /// A fragment stdout must contain.
    pub fn stdout(mut self, fragment: &str) -> Test {
        self.stdout.push(fragment.into());
        self
    }

    /// A fragment stderr must contain.
    pub fn stderr(mut self, fragment: &str) -> Test {
        self.stderr.push(fragment.into());
        self
    }

    /// A fragment stdout must not contain.
    pub fn stdout_lacks(mut self, fragment: &str) -> Test {
        self.stdout_absent.push(fragment.into());
        self
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(&self.args);
        for var in [
            "MCP_OAUTH_DATABASE",
            "TURSO_URL",
            "TURSO_AUTH_TOKEN",
            "RUST_LOG",
            "MCP_OAUTH_CLIENT_ID",
            "MCP_OAUTH_CLIENT_SECRET",
            "MCP_OAUTH_SESSION_TOKEN",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// Runs the binary and checks the exit code and every fragment; panics with the whole
    /// output when one does not hold.
    pub fn run(self) -> Output {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mcp-oauth");
        if let Some(input) = &self.stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            // The command may exit before reading it all (a usage error): that is its answer.
            let _ = pipe.write_all(input);
        }
        let out = child.wait_with_output().expect("wait for mcp-oauth");
        let output = Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let shown = || {
            format!(
                "command: mcp-oauth {}\n--- stdout\n{}--- stderr\n{}",
                self.args
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
                output.stdout,
                output.stderr
            )
        };
        assert_eq!(out.status.code(), Some(self.status), "exit code\n{}", shown());
        for f in &self.stdout {
            assert!(
                output.stdout.contains(f.as_str()),
                "stdout lacks {f:?}\n{}",
                shown()
            );
        }
        for f in &self.stderr {
            assert!(
                output.stderr.contains(f.as_str()),
                "stderr lacks {f:?}\n{}",
                shown()
            );
        }
        for f in &self.stdout_absent {
            assert!(
                !output.stdout.contains(f.as_str()),
                "stdout has {f:?}\n{}",
                shown()
            );
        }
        output
    }
}
