//! `mcp-oauth client list`: every client, as a table or `--json`.

use std::process::ExitCode;

use super::super::output::{table, when};
use super::super::Context;
use crate::clock;
use crate::storage::clients;

pub async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let all = clients::list(&store).await?;
    let now = clock::now();
    if ctx.json() {
        let items: Vec<_> = all.iter().map(|c| super::to_json(c, now)).collect();
        ctx.print_json(&items)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        ctx.say("No clients yet; `mcp-oauth client register` adds one.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&[
        "client_id",
        "name",
        "redirect URIs",
        "scopes",
        "type",
        "owner",
        "created",
        "last used",
        "secret rotated",
        "status",
    ]);
    for c in &all {
        t.add_row([
            c.client_id.clone(),
            c.client_name.clone(),
            c.redirect_uris.join("\n"),
            c.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
            super::kind(c),
            c.user_id.clone().unwrap_or_else(|| "-".into()),
            clock::rfc3339(c.created_at),
            when(c.last_used_at),
            when(c.secret_rotated_at),
            super::status(c, now),
        ]);
    }
    super::super::output::out(&t)?;
    ctx.say(format!("{} client(s).", all.len()));
    Ok(ExitCode::SUCCESS)
}
