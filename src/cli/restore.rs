//! `mcp-oauth restore BACKUP`: check the backup, show what it replaces, ask (or `--yes`),
//! restore (the mechanics are in [`crate::storage::backup::restore`]), and bring it up to this
//! build's migrations.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::output::{out, table};
use super::{Context, Failure};
use crate::storage::backup::{restore, BackupError, Inspection};
use crate::storage::{server_lock, DatabaseTarget, Store};

#[derive(Debug, Args)]
#[command(
    after_help = "Restores into the configured database (--database). Before anything \
    changes, the backup is checked (integrity_check; a migration version not newer than this \
    build; the recorded migration checksums match this build's) and the rows per table, current \
    and in the backup, are shown. An embedded database is replaced atomically, and the replaced \
    file is kept as <db>.replaced-<UTC time>. Pending migrations are applied to the restored \
    database.\n\n\
    Examples:\n  \
    mcp-oauth restore /var/backups/mcp-oauth/mcp-oauth-20261129T031700Z.db\n  \
    mcp-oauth restore backup.db --yes                      # no terminal (scripts)\n  \
    mcp-oauth --database http://127.0.0.1:8081 restore backup.db --replace --yes\n\n\
    Exit codes: 0 restored, 1 failed or declined (nothing changed), 2 bad usage (a flag is \
    needed), 3 database unreachable, 4 the backup is from a newer mcp-oauth or its migrations differ."
)]
pub struct RestoreArgs {
    /// The backup file (from `mcp-oauth backup`).
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,

    /// Do not ask for confirmation (needed when there is no terminal to ask on).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Embedded database: restore even while a running `serve` holds it (the server carries on
    /// with the restored file).
    #[arg(long)]
    pub force: bool,

    /// Remote database: replace the tables of a database that is not empty, in one transaction.
    #[arg(long)]
    pub replace: bool,
}

pub async fn run(ctx: &Context, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    if !args.backup.is_file() {
        return Err(Failure::usage(format!(
            "no backup file at {}",
            args.backup.display()
        )));
    }
    let target = ctx.database_target()?;
    let backup = restore::check(&args.backup).await?;
    let current = restore::current_rows(&target).await?;
    match &target {
        DatabaseTarget::Local(path) if !args.force => {
            let free = server_lock::hold_for_restore(path)
                .map_err(|e| anyhow::anyhow!("checking for a running server: {e}"))?;
            if free.is_none() {
                return Err(BackupError::InUse { path: path.clone() }.into());
            }
        }
        DatabaseTarget::Remote { .. } if !args.replace => {
            if let Some(tables) = current.as_ref().filter(|t| !t.is_empty()) {
                return Err(BackupError::NotEmpty {
                    target: target.to_string(),
                    objects: format!("{} table(s)", tables.len()),
                }
                .into());
            }
        }
        _ => {}
    }
    if !ctx.json() && !ctx.quiet() {
        show_plan(&target, &args, &backup, current.as_deref())?;
    }
    if !args.yes {
        if !ctx.stdin_is_terminal() {
            return Err(Failure::usage(format!(
                "restoring replaces every row of {target} with the backup's; re-run with --yes to confirm (no terminal to ask on)"
            )));
        }
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(format!("Replace {target} with {}?", args.backup.display()))
            .default(false)
            .interact()?;
        if !confirmed {
            return Err(Failure::failed("restore cancelled; nothing was changed"));
        }
    }
    let restored = match &target {
        DatabaseTarget::Local(path) => restore::restore_file(&args.backup, path, args.force).await?,
        DatabaseTarget::Remote { .. } => {
            let store = Store::open(&target).await?;
            restore::restore_remote(&args.backup, &store, args.replace, &mut |_| {}).await?
        }
    };
    let migrated: Vec<String> = restored.migrated.iter().map(|m| m.id()).collect();
    if ctx.json() {
        ctx.print_json(&json!({
            "database": target.to_string(),
            "backup": args.backup.display().to_string(),
            "backup_migration_version": backup.migration_version,
            "tables": backup.tables,
            "replaced": current.map(|rows| rows.into_iter().map(|(table, rows)| json!({"table": table, "rows": rows})).collect::<Vec<_>>()),
            "migrations_applied": migrated,
            "replaced_kept_at": restored.replaced_kept_at.as_ref().map(|p| p.display().to_string()),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for m in &migrated {
        ctx.say(format!("applied {m}"));
    }
    if let Some(kept) = &restored.replaced_kept_at {
        ctx.say(format!(
            "the replaced database is kept as {} (delete it once you are satisfied)",
            kept.display()
        ));
    }
    ctx.say(format!("{target}: restored from {}.", args.backup.display()));
    Ok(ExitCode::SUCCESS)
}

/// The backup's checks, and the rows per table now and in the backup.
fn show_plan(
    target: &DatabaseTarget,
    args: &RestoreArgs,
    backup: &Inspection,
    current: Option<&[(String, i64)]>,
) -> anyhow::Result<()> {
    out(format!("backup {}:", args.backup.display()))?;
    out(super::backup::checks_table(backup))?;
    let mut rows = table(&["table", "now", "after restore"]);
    let mut names: Vec<String> = backup.tables.iter().map(|t| t.table.clone()).collect();
    for (t, _) in current.unwrap_or_default() {
        if !names.contains(t) {
            names.push(t.clone());
        }
    }
    for name in names {
        let now = match current {
            None => "(no database)".to_string(),
            Some(c) => c
                .iter()
                .find(|(t, _)| *t == name)
                .map_or("-".to_string(), |(_, n)| n.to_string()),
        };
        let after = backup.rows(&name).map_or("-".to_string(), |n| n.to_string());
        rows.add_row([name, now, after]);
    }
    out(format!("{target} now, and after the restore:"))?;
    out(rows)?;
    if !backup.pending_migrations.is_empty() {
        out(format!(
            "then applies {} migration(s): {}",
            backup.pending_migrations.len(),
            backup.pending_migrations.join(", ")
        ))?;
    }
    Ok(())
}
