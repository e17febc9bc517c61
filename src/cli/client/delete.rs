//! `mcp-oauth client delete ID`: the client and every code and token it holds, at once.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::super::output::plural;
use super::super::{prompt, Context, Failure};
use crate::clock;
use crate::storage::clients;
use crate::storage::revocation::{self, Selector};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The client's ID (mcp_oauth_…).
    #[arg(value_name = "CLIENT_ID")]
    pub client_id: String,

    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(ctx: &Context, args: DeleteArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let client = super::find_or_not_found(&store, &args.client_id).await?;
    let live = revocation::count(&store, Selector::Client(&client.client_id), clock::now()).await?;
    let consequence = format!(
        "deleting client `{}` (\"{}\") removes it and its {}; apps using it stop working at once",
        client.client_id,
        client.client_name,
        plural(live.total(), "live token", "live tokens"),
    );
    prompt::confirm(
        args.yes,
        &format!(
            "Delete client \"{}\" ({}) and its {}?",
            client.client_name,
            client.client_id,
            plural(live.total(), "live token", "live tokens")
        ),
        &consequence,
    )?;
    let Some(removed) = clients::delete(&store, &client.client_id).await? else {
        return Err(Failure::not_found(format!(
            "client `{}` was deleted meanwhile",
            client.client_id
        )));
    };
    if ctx.json() {
        ctx.print_json(&json!({
            "client_id": client.client_id,
            "deleted": true,
            "live_tokens": live,
            "rows_removed": removed,
        }))?;
    } else {
        ctx.say(format!(
            "Deleted client \"{}\" ({}) and {} (of which {} live).",
            client.client_name,
            client.client_id,
            plural(removed, "code or token", "codes and tokens"),
            live.total()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
