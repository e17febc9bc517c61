//! `mcp-oauth client register|list|show|rotate|delete`: the OAuth clients an operator manages.

mod delete;
mod list;
mod register;
mod rotate;
mod show;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::output::json_time;
use super::{Context, Failure};
use crate::clock;
use crate::storage::clients::{self, ClientRecord};
use crate::storage::Store;

#[derive(Debug, Args)]
pub struct ClientArgs {
    #[command(subcommand)]
    pub action: ClientAction,
}

#[derive(Debug, Subcommand)]
pub enum ClientAction {
    /// Register a client: a wizard on a terminal, or every answer as a flag.
    Register(register::RegisterArgs),
    /// List every client.
    List,
    /// Show one client, with its live token counts.
    Show(show::ShowArgs),
    /// Issue a new client secret (printed once); the old one stops working now or after --grace.
    Rotate(rotate::RotateArgs),
    /// Delete a client and every code and token it holds.
    Delete(delete::DeleteArgs),
}

pub async fn run(ctx: &Context, args: ClientArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        ClientAction::Register(a) => register::run(ctx, a).await,
        ClientAction::List => list::run(ctx).await,
        ClientAction::Show(a) => show::run(ctx, a).await,
        ClientAction::Rotate(a) => rotate::run(ctx, a).await,
        ClientAction::Delete(a) => delete::run(ctx, a).await,
    }
}

/// The client, or exit 5 naming the command that lists them.
async fn find_or_not_found(store: &Store, client_id: &str) -> anyhow::Result<ClientRecord> {
    clients::find(store, client_id).await?.ok_or_else(|| {
        Failure::not_found(format!(
            "no client has the ID `{client_id}`; `mcp-oauth client list` shows them"
        ))
    })
}

/// `active`, `disabled`, or `active, old secret valid until …` during a rotation's grace.
fn status(c: &ClientRecord, now: i64) -> String {
    if c.disabled_at.is_some() {
        return "disabled".into();
    }
    match c.previous_secret_expires_at {
        Some(until) if until > now && c.previous_secret_hash.is_some() => {
            format!("active, old secret valid until {}", clock::rfc3339(until))
        }
        _ => "active".into(),
    }
}

fn kind(c: &ClientRecord) -> String {
    let kind = if c.is_public() {
        "public".to_string()
    } else {
        format!("confidential ({})", c.auth_method.as_str())
    };
    match c.registration {
        clients::Registration::Dynamic => format!("{kind}, dynamic"),
        clients::Registration::MetadataDocument => format!("{kind}, metadata document"),
        clients::Registration::Cli => kind,
    }
}

/// A client as `--json` shows it (never its secret hashes).
fn to_json(c: &ClientRecord, now: i64) -> serde_json::Value {
    json!({
        "client_id": c.client_id,
        "client_name": c.client_name,
        "redirect_uris": c.redirect_uris,
        "scopes": c.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_method": c.auth_method.as_str(),
        "public": c.is_public(),
        "user_id": c.user_id,
        "registration": c.registration.as_str(),
        "created_at": json_time(Some(c.created_at)),
        "last_used_at": json_time(c.last_used_at),
        "secret_rotated_at": json_time(c.secret_rotated_at),
        "previous_secret_expires_at": json_time(c.previous_secret_expires_at.filter(|_| c.previous_secret_hash.is_some())),
        "disabled_at": json_time(c.disabled_at),
        "status": status(c, now),
    })
}
