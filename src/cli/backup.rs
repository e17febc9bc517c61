//! `mcp-oauth backup`: a consistent snapshot of the database while `serve` keeps serving
//! (the mechanics, and why it never stalls the server, are in [`crate::storage::backup`]),
//! checked and printed; with `--dir`, named by UTC time and pruned by `--keep` or
//! `--retention`. A successful backup is recorded in `maintenance_runs` (`stats`, `/metrics`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Args};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::output::{out, table};
use super::{Context, Failure};
use crate::clock;
use crate::storage::backup::files::{self, Retention};
use crate::storage::backup::{self, BackupError, Inspection, Progress, Unit};
use crate::storage::cleanup;
use crate::storage::DatabaseTarget;

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("destination").required(true).args(["path", "dir"])),
    after_help = "The copy is checked before it gets its name: integrity_check, the migration \
    version, the four oauth_* tables, rows per table. Files are created 0600.\n\n\
    Examples:\n  \
    mcp-oauth backup /var/backups/mcp-oauth/before-upgrade.db\n  \
    mcp-oauth backup --dir /var/backups/mcp-oauth --keep 14      # nightly, two weeks kept\n  \
    mcp-oauth --database libsql://db-org.turso.io backup --dir backups --retention 30d --json\n\n\
    Exit codes: 0 done, 1 failed (no file is left under the name), 2 the file exists or bad usage, \
    3 database unreachable."
)]
pub struct BackupArgs {
    /// Write the backup to this file (which must not exist).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// Write the backup into DIR as mcp-oauth-<UTC time>.db (e.g. mcp-oauth-20261129T031700Z.db),
    /// creating DIR (0700) if needed.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// With --dir: keep the newest N backups and delete older ones (only files named like ours).
    #[arg(long, value_name = "N", requires = "dir", conflicts_with = "retention",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub keep: Option<u64>,

    /// With --dir: delete backups older than this (e.g. 30d); the newest one is always kept.
    #[arg(long, value_name = "DURATION", requires = "dir", value_parser = humantime::parse_duration)]
    pub retention: Option<Duration>,
}

pub async fn run(ctx: &Context, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.database_target()?;
    if let DatabaseTarget::Local(path) = &target {
        // Never create an empty database just to back it up.
        if !path.exists() {
            return Err(crate::storage::StoreError::Open {
                target: target.to_string(),
                reason: "no such file".into(),
            }
            .into());
        }
    }
    let store = ctx.open_store().await?;
    let started_at = clock::now();
    let dest = match (&args.path, &args.dir) {
        (Some(path), _) => path.clone(),
        (None, Some(dir)) => {
            create_private_dir(dir)?;
            dir.join(files::name_for(started_at))
        }
        (None, None) => return Err(Failure::usage("give a PATH or --dir DIR")),
    };
    let bar = progress_bar(ctx);
    let shown = bar.clone();
    let outcome = backup::snapshot(&store, &dest, move |p: Progress| {
        if let Some(bar) = &shown {
            bar.set_length(p.total);
            bar.set_position(p.done);
            bar.set_message(unit_label(p.unit));
        }
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let snapshot = outcome?;
    let inspection = &snapshot.inspection;

    let pruned = match (&args.dir, retention(&args)) {
        (Some(dir), Some(r)) => {
            files::prune(dir, r, clock::now(), &snapshot.path).map_err(|e| BackupError::Io {
                what: "pruning old backups in",
                path: dir.clone(),
                source: e,
            })?
        }
        _ => Vec::new(),
    };
    let total_rows: i64 = inspection.tables.iter().map(|t| t.rows).sum();
    if inspection.missing_tables.is_empty() {
        let summary = json!({
            "path": snapshot.path.display().to_string(),
            "bytes": inspection.bytes,
            "rows": total_rows,
            "migration_version": inspection.migration_version,
            "elapsed_ms": snapshot.elapsed.as_millis() as u64,
            "pruned": pruned.len(),
        });
        cleanup::record_run(&store, cleanup::BACKUP, started_at, clock::now(), &summary)
            .await
            .map_err(|e| {
                anyhow::Error::new(e).context(format!(
                    "the backup {} is written and checked, but recording it in maintenance_runs failed",
                    snapshot.path.display()
                ))
            })?;
    }
    print(ctx, &snapshot.path, inspection, snapshot.elapsed, &pruned)?;
    if !inspection.missing_tables.is_empty() {
        return Err(Failure::failed(format!(
            "the backup {} lacks {}: the database is not migrated (`mcp-oauth migrate`); the file is kept but not recorded as a backup",
            snapshot.path.display(),
            inspection.missing_tables.join(", ")
        )));
    }
    Ok(ExitCode::SUCCESS)
}

fn retention(args: &BackupArgs) -> Option<Retention> {
    match (args.keep, args.retention) {
        (Some(n), _) => Some(Retention::Keep(usize::try_from(n).unwrap_or(usize::MAX))),
        (None, Some(age)) => Some(Retention::MaxAge(age)),
        (None, None) => None,
    }
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        BackupError::Io {
            what: "creating the backup directory",
            path: dir.to_path_buf(),
            source: e,
        }
        .into()
    })
}

/// A bar on a terminal only: cron and CI get the summary alone.
fn progress_bar(ctx: &Context) -> Option<ProgressBar> {
    if ctx.quiet() || ctx.json() || !ctx.stderr_is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} backup {wide_bar} {human_pos}/{human_len} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// The checks and the rows per table, as a table or JSON.
pub fn print(
    ctx: &Context,
    path: &Path,
    inspection: &Inspection,
    elapsed: Duration,
    pruned: &[PathBuf],
) -> anyhow::Result<()> {
    if ctx.json() {
        return ctx.print_json(&json!({
            "path": path.display().to_string(),
            "bytes": inspection.bytes,
            "elapsed_ms": elapsed.as_millis() as u64,
            "integrity": inspection.integrity,
            "migration_version": inspection.migration_version,
            "pending_migrations": inspection.pending_migrations,
            "oauth_tables_present": inspection.missing_tables.is_empty(),
            "missing_tables": inspection.missing_tables,
            "tables": inspection.tables,
            "pruned": pruned.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }));
    }
    if ctx.quiet() {
        return Ok(());
    }
    out(checks_table(inspection))?;
    let mut rows = table(&["table", "rows"]);
    for t in &inspection.tables {
        rows.add_row([t.table.clone(), t.rows.to_string()]);
    }
    out(rows)?;
    for p in pruned {
        ctx.say(format!("pruned {}", p.display()));
    }
    ctx.say(format!(
        "backup written to {} ({}) in {:.1}s",
        path.display(),
        human_bytes(inspection.bytes),
        elapsed.as_secs_f64()
    ));
    Ok(())
}

/// integrity, migration version, the OAuth tables: one row each.
pub fn checks_table(inspection: &Inspection) -> comfy_table::Table {
    let mut checks = table(&["check", "result"]);
    checks.add_row(["integrity_check".to_string(), inspection.integrity.join("; ")]);
    let latest = crate::storage::migrations::MIGRATIONS
        .last()
        .map_or(0, |m| m.version);
    checks.add_row([
        "migration version".to_string(),
        match (&inspection.ledger_error, inspection.pending_migrations.len()) {
            (Some(e), _) => format!("{} ({e})", inspection.migration_version),
            (None, 0) => format!("{} (current for this build)", inspection.migration_version),
            (None, n) => format!(
                "{} ({n} behind this build's {latest}; `migrate` applies them)",
                inspection.migration_version
            ),
        },
    ]);
    checks.add_row([
        "oauth_* tables".to_string(),
        if inspection.missing_tables.is_empty() {
            "all four present".to_string()
        } else {
            format!("missing {}", inspection.missing_tables.join(", "))
        },
    ]);
    checks
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The unit a progress bar counts in.
fn unit_label(unit: Unit) -> &'static str {
    match unit {
        Unit::Bytes => "bytes",
        Unit::Rows => "rows",
    }
}
