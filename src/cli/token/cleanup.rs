//! `mcp-oauth token cleanup`: the cron job. Deletes what can no longer be used (see
//! [`crate::storage::cleanup`] for exactly what) in batches, so a `serve` sharing the
//! database keeps serving; a progress bar only on a terminal, one summary line per table.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::super::Context;
use crate::clock;
use crate::storage::cleanup::{self, Policy, Report};

#[derive(Debug, Args)]
#[command(
    after_help = "Deletes: expired authorization codes (redeemed ones once the retention has \
    passed, so a replay is still caught), expired access and refresh tokens, tokens revoked longer \
    ago than the retention, expired login sessions, auth events older than the retention \
    (at least a day), and dynamically registered clients never issued an authorization code \
    that registered longer ago than --unused-clients-after.\n\n\
    Examples:\n  \
    mcp-oauth token cleanup --dry-run\n  \
    mcp-oauth token cleanup --retention 14d\n  \
    # crontab: every hour, quiet unless it fails\n  \
    17 * * * *  mcp-oauth --database /var/lib/mcp-oauth/mcp-oauth.db token cleanup -q\n\n\
    Exit codes: 0 done, 1 failed (what was deleted before the failure stays deleted), \
    3 database unreachable, 4 database not migrated."
)]
pub struct CleanupArgs {
    /// How long revoked tokens and redeemed codes are kept, so that reusing one is still
    /// recognised as a replay (e.g. 7d, 36h).
    #[arg(long, default_value = "7d", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub retention: Duration,

    /// How long a dynamically registered client that was never issued an authorization code
    /// is kept before it is deleted (e.g. 1d, 12h). Clients registered with `client register`,
    /// and clients that ever got a code, are never deleted by cleanup.
    #[arg(long, default_value = "1d", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub unused_clients_after: Duration,

    /// At most this many rows deleted per transaction. Batches are sized to hold the write
    /// lock about 10 ms while another process (a `serve`) writes too, about 200 ms when none
    /// has for 2 s.
    #[arg(long, default_value_t = 50_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch_size: u64,

    /// Count what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(ctx: &Context, args: CleanupArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let started_at = clock::now();
    let policy = Policy {
        now: started_at,
        retention: clock::seconds(args.retention),
        unused_clients_after: clock::seconds(args.unused_clients_after),
    };
    let planned = cleanup::count(&store, &policy).await?;
    if args.dry_run {
        let clients = cleanup::unused_clients(&store, &policy, DRY_RUN_CLIENTS).await?;
        print(ctx, &planned, Some(&clients), Duration::ZERO, &args)?;
        return Ok(ExitCode::SUCCESS);
    }
    let clock_started = Instant::now();
    let bar = progress_bar(ctx, planned.total());
    // Checkpoints on their own connection, not by the commits of the batches (see
    // `storage::checkpoint`): a page rewritten by many batches is copied back once.
    let checkpoints = store.checkpoint_in_background();
    let outcome = cleanup::run(&store, &policy, args.batch_size, |target, deleted| {
        if let Some(bar) = &bar {
            bar.set_message(target.table);
            bar.inc(deleted);
        }
    })
    .await;
    drop(checkpoints);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report =
        match outcome {
            Ok(report) => report,
            Err(e) => return Err(anyhow::Error::new(e).context(
                "token cleanup stopped part-way (the batches already committed stay deleted; run it again)",
            )),
        };
    let elapsed = clock_started.elapsed();
    let mut summary = report.to_json();
    summary["retention_seconds"] = policy.retention.into();
    summary["elapsed_ms"] = (elapsed.as_millis() as u64).into();
    cleanup::record_run(&store, cleanup::TOKEN_CLEANUP, started_at, clock::now(), &summary).await?;
    print(ctx, &report, None, elapsed, &args)?;
    Ok(ExitCode::SUCCESS)
}

/// A bar on a terminal only: cron and CI get the summary lines alone.
fn progress_bar(ctx: &Context, total: u64) -> Option<ProgressBar> {
    if ctx.quiet() || ctx.json() || !ctx.stderr_is_terminal() || total == 0 {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:25} {wide_bar} {human_pos}/{human_len} rows, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("deleting");
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// How many of the clients a dry run would delete it names.
const DRY_RUN_CLIENTS: u64 = 100;

/// The dynamically registered clients a dry run would delete, one a line.
fn show_clients(ctx: &Context, clients: &[cleanup::UnusedClient], total: u64) {
    for c in clients {
        ctx.say(format!(
            "would delete client {} ({:?}), registered {}, never authorized",
            c.client_id,
            c.client_name,
            clock::rfc3339(c.created_at)
        ));
    }
    if total > clients.len() as u64 {
        ctx.say(format!("… and {} more", total - clients.len() as u64));
    }
}

fn print(
    ctx: &Context,
    report: &Report,
    // A dry run's list of the clients it would delete.
    dry_run_clients: Option<&[cleanup::UnusedClient]>,
    elapsed: Duration,
    args: &CleanupArgs,
) -> anyhow::Result<()> {
    let dry_run = dry_run_clients.is_some();
    if ctx.json() {
        let mut out = json!({
            "dry_run": dry_run,
            "retention_seconds": clock::seconds(args.retention),
            "unused_clients_after_seconds": clock::seconds(args.unused_clients_after),
            "batch_size": args.batch_size,
            "tables": report.to_json(),
            "total": report.total(),
            "elapsed_ms": elapsed.as_millis() as u64,
        });
        if let Some(clients) = dry_run_clients {
            out["unused_clients"] = json!(clients);
        }
        return ctx.print_json(&out);
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    for table in cleanup::tables() {
        let parts: Vec<String> = report
            .for_table(table)
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        ctx.say(format!(
            "{table}: {verb} {} ({})",
            report.table_total(table),
            parts.join(", ")
        ));
    }
    if let Some(clients) = dry_run_clients {
        show_clients(ctx, clients, report.table_total("oauth_clients"));
        ctx.say(format!(
            "dry run: {} row(s) would be deleted; nothing was changed.",
            report.total()
        ));
    } else {
        ctx.say(format!(
            "token cleanup: {} row(s) deleted in {:.1}s.",
            report.total(),
            elapsed.as_secs_f64()
        ));
    }
    Ok(())
}
