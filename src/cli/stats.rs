//! `mcp-oauth stats`: the counts on-call and monitoring ask for (SPEC §4).

use std::process::ExitCode;

use serde_json::json;

use super::output::{table, when};
use super::Context;
use crate::clock;
use crate::storage::{cleanup, stats};

pub async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let now = clock::now();
    let snap = stats::snapshot(&store, now).await?;
    let last_cleanup = cleanup::last_run(&store, cleanup::TOKEN_CLEANUP).await?;
    let last_backup = cleanup::last_run(&store, cleanup::BACKUP).await?;
    if ctx.json() {
        let mut value = serde_json::to_value(&snap)?;
        value["database"] = store.target().to_string().into();
        value["generated_at"] = clock::rfc3339(now).into();
        value["last_cleanup"] = match &last_cleanup {
            Some(run) => json!({
                "started_at": clock::rfc3339(run.started_at),
                "finished_at": clock::rfc3339(run.finished_at),
                "summary": run.summary,
            }),
            None => serde_json::Value::Null,
        };
        value["last_backup"] = match &last_backup {
            Some(run) => json!({
                "started_at": clock::rfc3339(run.started_at),
                "finished_at": clock::rfc3339(run.finished_at),
                "finished_at_unix": run.finished_at,
                "summary": run.summary,
            }),
            None => serde_json::Value::Null,
        };
        if let Some(run) = &last_cleanup {
            value["last_cleanup"]["finished_at_unix"] = run.finished_at.into();
        }
        ctx.print_json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }

    let c = &snap.clients;
    let mut t = table(&["", "count"]);
    let rows: Vec<(String, String)> = vec![
        (
            "clients".into(),
            format!(
                "{} ({} confidential, {} public; {} dynamic, {} metadata document, {} disabled)",
                c.total, c.confidential, c.public, c.dynamic, c.metadata_document, c.disabled
            ),
        ),
        ("local users".into(), snap.users.to_string()),
        (
            "authorization codes".into(),
            format!(
                "{} pending, {} redeemed, {} expired",
                snap.authorization_codes.pending,
                snap.authorization_codes.redeemed,
                snap.authorization_codes.expired
            ),
        ),
        ("access tokens".into(), tokens(&snap.access_tokens)),
        ("refresh tokens".into(), tokens(&snap.refresh_tokens)),
        (
            "tokens issued".into(),
            format!(
                "{} last hour, {} last day",
                snap.tokens_issued.last_hour, snap.tokens_issued.last_day
            ),
        ),
        (
            "failed authorizations".into(),
            format!(
                "{} last hour, {} last day",
                snap.failed_authorizations.last_hour, snap.failed_authorizations.last_day
            ),
        ),
        (
            "last cleanup".into(),
            match &last_cleanup {
                Some(run) => format!(
                    "{} ({} rows deleted)",
                    when(Some(run.finished_at)),
                    deleted_total(&run.summary)
                ),
                None => "never (`mcp-oauth token cleanup`)".into(),
            },
        ),
        (
            "last backup".into(),
            match &last_backup {
                Some(run) => format!(
                    "{} ({})",
                    when(Some(run.finished_at)),
                    run.summary
                        .get("path")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("?")
                ),
                None => "never (`mcp-oauth backup`)".into(),
            },
        ),
    ];
    for row in rows {
        t.add_row([row.0, row.1]);
    }
    super::output::out(&t)?;

    let mut sizes = table(&["table", "rows", "size"]);
    for ts in &snap.tables {
        sizes.add_row([
            ts.table.clone(),
            ts.rows.to_string(),
            ts.bytes.map_or_else(|| "-".into(), human_bytes),
        ]);
    }
    super::output::out(&sizes)?;
    let total = snap.database_bytes.map_or_else(|| "unknown".into(), human_bytes);
    ctx.say(format!("{}: {total} in all.", store.target()));
    if let Some(note) = &snap.size_note {
        ctx.say(format!("note: {note}"));
    }
    Ok(ExitCode::SUCCESS)
}

fn tokens(t: &stats::TokenCounts) -> String {
    format!(
        "{} active, {} expired, {} revoked",
        t.active, t.expired, t.revoked
    )
}

fn deleted_total(summary: &serde_json::Value) -> u64 {
    summary
        .as_object()
        .map(|tables| {
            tables
                .values()
                .filter_map(|t| t.get("total").and_then(serde_json::Value::as_u64))
                .sum()
        })
        .unwrap_or(0)
}

fn human_bytes(n: i64) -> String {
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
