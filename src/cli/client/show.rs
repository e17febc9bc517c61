//! `mcp-oauth client show ID`: one client in full, with how many live tokens it holds.

use std::process::ExitCode;

use clap::Args;

use super::super::output::{table, when};
use super::super::Context;
use crate::clock;
use crate::storage::revocation::{self, Selector};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The client's ID (mcp_oauth_…).
    #[arg(value_name = "CLIENT_ID")]
    pub client_id: String,
}

pub async fn run(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let c = super::find_or_not_found(&store, &args.client_id).await?;
    let now = clock::now();
    let live = revocation::count(&store, Selector::Client(&c.client_id), now).await?;
    if ctx.json() {
        let mut value = super::to_json(&c, now);
        value["live_tokens"] = serde_json::to_value(live)?;
        ctx.print_json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["field", "value"]);
    let rows: Vec<(&str, String)> = vec![
        ("client_id", c.client_id.clone()),
        ("name", c.client_name.clone()),
        ("type", super::kind(&c)),
        ("redirect URIs", c.redirect_uris.join("\n")),
        ("scopes", c.scopes.to_string()),
        ("owner", c.user_id.clone().unwrap_or_else(|| "-".into())),
        ("created", clock::rfc3339(c.created_at)),
        ("last used", when(c.last_used_at)),
        ("secret rotated", when(c.secret_rotated_at)),
        ("status", super::status(&c, now)),
        (
            "live tokens",
            format!("{} access, {} refresh", live.access_tokens, live.refresh_tokens),
        ),
    ];
    for (field, value) in rows {
        t.add_row([field.to_string(), value]);
    }
    super::super::output::out(&t)?;
    Ok(ExitCode::SUCCESS)
}
