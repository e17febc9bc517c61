//! `mcp-oauth client rotate ID [--grace DURATION]`: a new client secret, printed once.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::super::output::json_time;
use super::super::{Context, Failure};
use crate::clock;
use crate::oauth::argon2_pool;
use crate::secret::{self, HashCost, Kind};
use crate::storage::clients;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcp-oauth client rotate mcp_oauth_…              # the old secret stops working now\n  \
    mcp-oauth client rotate mcp_oauth_… --grace 1h   # both work for an hour: time to redeploy")]
pub struct RotateArgs {
    /// The client's ID (mcp_oauth_…).
    #[arg(value_name = "CLIENT_ID")]
    pub client_id: String,

    /// Keep the old secret working this long (e.g. 30m, 1h, 7d), so the client can be
    /// updated without downtime. Without it the old secret stops working at once.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub grace: Option<Duration>,
}

pub async fn run(ctx: &Context, args: RotateArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let client = super::find_or_not_found(&store, &args.client_id).await?;
    if client.is_public() {
        // Giving a public client a secret would change how it must authenticate and break it.
        return Err(Failure::usage(format!(
            "client `{}` is public: it has no secret to rotate (register a confidential client instead)",
            client.client_id
        )));
    }
    let now = clock::now();
    let previous_valid_until = args
        .grace
        .filter(|g| !g.is_zero())
        .map(|g| now.saturating_add(clock::seconds(g)));
    let new_secret = secret::generate(Kind::ClientSecret);
    let new_hash = argon2_pool::hash(HashCost::ClientSecret, &new_secret).await?;
    let rotated =
        clients::rotate_secret(&store, &client.client_id, &new_hash, previous_valid_until, now).await?;
    if !rotated {
        return Err(Failure::not_found(format!(
            "client `{}` was deleted meanwhile",
            client.client_id
        )));
    }
    if ctx.json() {
        ctx.print_json(&json!({
            "client_id": client.client_id,
            "client_secret": new_secret,
            "previous_secret_valid_until": json_time(previous_valid_until),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    ctx.say(format!(
        "New secret for client \"{}\" ({}).\n",
        client.client_name, client.client_id
    ));
    super::super::output::out(format_args!("client_secret: {new_secret}"))?;
    if !ctx.quiet() {
        let old = match previous_valid_until {
            Some(t) => format!("the old secret keeps working until {}", clock::rfc3339(t)),
            None => "the old secret no longer works".to_string(),
        };
        eprintln!("\nStore the new secret now: it is shown only this once; {old}.");
    }
    Ok(ExitCode::SUCCESS)
}
