//! What every subcommand gets: the global options, the database, and output helpers that
//! respect `--json` and `--quiet`.

use std::io::{IsTerminal, Write};

use anyhow::Context as _;

use super::GlobalArgs;
use crate::storage::{target::DEFAULT_DATABASE, DatabaseTarget, Store};

pub struct Context {
    pub global: GlobalArgs,
}

impl Context {
    pub fn new(global: GlobalArgs) -> Context {
        Context { global }
    }

    pub fn json(&self) -> bool {
        self.global.json
    }

    pub fn quiet(&self) -> bool {
        self.global.quiet
    }

    /// Logs go to stderr; `RUST_LOG` overrides `-v`.
    pub fn init_logging(&self) {
        self.init_logging_at("warn,mcp_oauth=info");
    }

    /// Like [`Context::init_logging`], with `normal` as the filter when neither `-q` nor `-v`
    /// is given.
    pub fn init_logging_at(&self, normal: &str) {
        let default = match (self.global.quiet, self.global.verbose) {
            (true, _) => "error",
            (false, 0) => normal,
            (false, 1) => "info,mcp_oauth=debug",
            _ => "debug,mcp_oauth=trace",
        };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init();
    }

    /// `--database`, else `MCP_OAUTH_DATABASE` (clap reads it), else `TURSO_URL`, else the default file.
    pub fn database_target(&self) -> anyhow::Result<DatabaseTarget> {
        let spec = self
            .global
            .database
            .clone()
            .or_else(|| std::env::var("TURSO_URL").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_DATABASE.to_string());
        DatabaseTarget::parse(&spec, self.global.auth_token.clone()).map_err(super::Failure::usage)
    }

    /// Opens the database (without migrating it).
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        let target = self.database_target()?;
        let store = Store::open(&target)
            .await
            .with_context(|| format!("opening the database {target}"))?;
        if let DatabaseTarget::Local(path) = &target {
            // Also without logging set up: an operator must see this.
            if !self.global.quiet {
                let loose = crate::storage::file_mode::loose_files(path);
                for line in crate::storage::file_mode::describe_loose(&loose) {
                    eprintln!("warning: {line}");
                }
            }
        }
        Ok(store)
    }

    /// Opens the database and checks that its schema is current, naming the fix if not.
    pub async fn open_migrated_store(&self) -> anyhow::Result<Store> {
        // Checking must not leave an empty database file behind (e.g. a typo in --database).
        if let DatabaseTarget::Local(path) = self.database_target()? {
            if !path.exists() {
                return Err(crate::storage::migrations::MigrationError::Pending {
                    target: path.display().to_string(),
                    pending: "all of them: the file does not exist yet".into(),
                }
                .into());
            }
        }
        let store = self.open_store().await?;
        crate::storage::migrations::ensure_current(&store).await?;
        Ok(store)
    }

    /// Prose for people; suppressed by `--quiet` and `--json`.
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.global.quiet && !self.global.json {
            let _ = writeln!(std::io::stdout(), "{}", line.as_ref());
        }
    }

    /// One JSON document on stdout.
    pub fn print_json(&self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        Ok(())
    }

    pub fn stdin_is_terminal(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    pub fn stderr_is_terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }
}
