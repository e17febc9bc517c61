//! `mcp-oauth migrate`: apply, inspect (`status`) and revert (`rollback`) schema migrations.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::json;

use super::{Context, Failure};
use crate::clock;
use crate::storage::migrations::{self, Migration};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  mcp-oauth migrate --dry-run     # show the SQL that would run\n  mcp-oauth migrate               # apply it\n  mcp-oauth migrate status\n  mcp-oauth migrate rollback --to 1 --yes"
)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,

    /// Print each pending migration and its SQL; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// List applied and pending migrations.
    Status,
    /// Revert applied migrations, newest first (all of them unless --to).
    Rollback(RollbackArgs),
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Keep migrations up to and including VERSION; revert the ones after it (0 reverts all).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<i64>,
    /// Print what would be reverted and its SQL; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(ctx: &Context, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        None => apply(ctx, args.dry_run).await,
        Some(MigrateAction::Status) => status(ctx).await,
        Some(MigrateAction::Rollback(r)) => rollback(ctx, r).await,
    }
}

fn describe(m: &Migration) -> serde_json::Value {
    json!({ "version": m.version, "name": m.name, "checksum": m.checksum() })
}

async fn apply(ctx: &Context, dry_run: bool) -> anyhow::Result<ExitCode> {
    let target = ctx.database_target()?;
    if dry_run {
        // Never create the file just to report on it: a dry run must leave no trace.
        let pending = match &target {
            crate::storage::DatabaseTarget::Local(path) if !path.exists() => migrations::MIGRATIONS.to_vec(),
            _ => migrations::status(&ctx.open_store().await?).await?.pending,
        };
        if ctx.json() {
            let items: Vec<_> = pending
                .iter()
                .map(|m| json!({ "version": m.version, "name": m.name, "checksum": m.checksum(), "sql": m.up }))
                .collect();
            ctx.print_json(&json!({ "dry_run": true, "database": target.to_string(), "pending": items }))?;
        } else if pending.is_empty() {
            println!("{target}: up to date; nothing to apply.");
        } else {
            for m in &pending {
                println!("-- {} (pending)\n{}\n", m.id(), m.up.trim_end());
            }
            println!(
                "-- dry run: {} migration(s) would be applied to {target}; nothing was changed.",
                pending.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = ctx.open_store().await?;
    let applied = migrations::apply_pending(&store).await?;
    if ctx.json() {
        let items: Vec<_> = applied.iter().map(describe).collect();
        ctx.print_json(&json!({ "database": target.to_string(), "applied": items }))?;
    } else if applied.is_empty() {
        ctx.say(format!("{target}: up to date; nothing to apply."));
    } else {
        for m in &applied {
            ctx.say(format!("applied {}", m.id()));
        }
        ctx.say(format!("{target}: {} migration(s) applied.", applied.len()));
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let st = migrations::status(&store).await?;
    if ctx.json() {
        let applied: Vec<_> = st
            .applied
            .iter()
            .map(|a| json!({ "version": a.version, "name": a.name, "checksum": a.checksum, "applied_at": clock::rfc3339(a.applied_at) }))
            .collect();
        let pending: Vec<_> = st.pending.iter().map(describe).collect();
        ctx.print_json(
            &json!({ "database": store.target().to_string(), "applied": applied, "pending": pending }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["version", "name", "state", "applied at"]);
    for m in migrations::MIGRATIONS {
        match st.applied.iter().find(|a| a.version == m.version) {
            Some(a) => table.add_row([
                format!("{:04}", m.version),
                m.name.to_string(),
                "applied".into(),
                clock::rfc3339(a.applied_at),
            ]),
            None => table.add_row([
                format!("{:04}", m.version),
                m.name.to_string(),
                "pending".into(),
                String::new(),
            ]),
        };
    }
    println!("{table}");
    if st.pending.is_empty() {
        ctx.say(format!("{}: up to date.", store.target()));
    } else {
        ctx.say(format!(
            "{}: {} pending; run `mcp-oauth migrate`.",
            store.target(),
            st.pending.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

async fn rollback(ctx: &Context, args: RollbackArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let plan = migrations::rollback_plan(&store, args.to).await?;
    if plan.is_empty() {
        ctx.say("nothing to roll back.");
        if ctx.json() {
            ctx.print_json(&json!({ "dry_run": args.dry_run, "reverted": [] }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        if ctx.json() {
            let items: Vec<_> = plan
                .iter()
                .map(|m| json!({ "version": m.version, "name": m.name, "sql": m.down }))
                .collect();
            ctx.print_json(&json!({ "dry_run": true, "reverted": items }))?;
        } else {
            for m in &plan {
                println!("-- revert {}\n{}\n", m.id(), m.down.trim_end());
            }
            println!(
                "-- dry run: {} migration(s) would be reverted; nothing was changed.",
                plan.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let names: Vec<String> = plan.iter().map(Migration::id).collect();
    if !args.yes {
        if !ctx.stdin_is_terminal() {
            return Err(Failure::usage(format!(
                "rolling back {} drops tables and their data; re-run with --yes to confirm (no terminal to ask on)",
                names.join(", ")
            )));
        }
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(format!(
                "Revert {} on {}? This drops their tables and all their data",
                names.join(", "),
                store.target()
            ))
            .default(false)
            .interact()?;
        if !confirmed {
            return Err(Failure::failed("rollback cancelled; nothing was changed"));
        }
    }
    migrations::rollback(&store, &plan).await?;
    if ctx.json() {
        let items: Vec<_> = plan.iter().map(describe).collect();
        ctx.print_json(&json!({ "dry_run": false, "reverted": items }))?;
    } else {
        for m in &plan {
            ctx.say(format!("reverted {}", m.id()));
        }
    }
    Ok(ExitCode::SUCCESS)
}
