//! `mcp-oauth token revoke|cleanup`: on-call revocation and the cron job that keeps the token
//! tables small.

mod cleanup;
mod revoke;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Context;

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: TokenAction,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Revoke one token, or every token of a client or a user, for every server at once.
    Revoke(revoke::RevokeArgs),
    /// Delete expired codes and tokens, and revoked ones past the retention, in small batches.
    Cleanup(cleanup::CleanupArgs),
}

pub async fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        TokenAction::Revoke(a) => revoke::run(ctx, a).await,
        TokenAction::Cleanup(a) => cleanup::run(ctx, a).await,
    }
}
