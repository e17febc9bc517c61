//! The command line: one clap definition from which `--help`, the shell completions and the
//! man pages are all generated, and [`run`], which dispatches to one module per subcommand.

pub mod backup;
pub mod client;
pub mod completions;
pub mod context;
pub mod exit;
pub mod migrate;
pub mod output;
pub mod prompt;
pub mod restore;
pub mod serve;
pub mod stats;
pub mod token;
pub mod user;
pub mod verify;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use context::Context;
pub use exit::Failure;

/// The operator's toolkit and server for an OAuth 2.1 authorization server protecting an MCP
/// memory service.
#[derive(Debug, Parser)]
#[command(
    name = "mcp-oauth",
    version,
    about = "OAuth 2.1 authorization server and operator toolkit for an MCP memory service",
    long_about = "OAuth 2.1 authorization server and operator toolkit for an MCP memory service.\n\n\
        Start with `mcp-oauth migrate`, add a user (`mcp-oauth user add NAME`), register a client \
        (`mcp-oauth client register`), then `mcp-oauth serve`. `mcp-oauth verify` runs the \
        deployment checklist against this build or a live deployment.",
    after_help = "The database is ./mcp-oauth.db unless --database (or MCP_OAUTH_DATABASE, or TURSO_URL) says otherwise.\n\
        Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 database unreachable, 4 database not migrated, 5 not found."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Database: a file path or file: URL (embedded), or a libsql://, https:// or http:// URL of a
    /// Turso/sqld server. Also read from MCP_OAUTH_DATABASE, then TURSO_URL.
    #[arg(
        long,
        global = true,
        env = "MCP_OAUTH_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Auth token for a remote database (a Turso database token).
    #[arg(
        long,
        global = true,
        env = "TURSO_AUTH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub auth_token: Option<String>,

    /// Print machine-readable JSON instead of tables and prose.
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing but errors (and secrets that are shown once).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail: -v for debug logs, -vv for trace.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply, inspect or roll back database migrations.
    Migrate(migrate::MigrateArgs),
    /// Run the authorization server and the MCP endpoint.
    Serve(serve::ServeArgs),
    /// Register, list, show, rotate and delete OAuth clients.
    Client(client::ClientArgs),
    /// Add, list and remove local accounts (`serve --login local`).
    User(user::UserArgs),
    /// Revoke tokens (on-call) and delete dead ones (cron).
    Token(token::TokenArgs),
    /// Counts for on-call and monitoring: clients, tokens, failures, table sizes, last cleanup.
    Stats,
    /// Run the deployment checklist: a self-test of this build, or against a deployment (--base-url).
    Verify(verify::VerifyArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Write a consistent, checked snapshot of the database while the server keeps serving.
    Backup(backup::BackupArgs),
    /// Check a backup and restore it into the database (then apply pending migrations).
    Restore(restore::RestoreArgs),
}

/// Parses the process arguments, runs, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    exit::report(outcome)
}

/// Runs one parsed command line. A library function so tests can call it directly.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.global);
    match cli.command {
        // The self-test's in-process server logs what verify provokes on purpose (failed client
        // authentications, a refresh token reused); the checklist reports what matters.
        Command::Verify(_) => ctx.init_logging_at("error"),
        _ => ctx.init_logging(),
    }
    match cli.command {
        Command::Migrate(args) => migrate::run(&ctx, args).await,
        Command::Serve(args) => serve::run(&ctx, args).await,
        Command::Client(args) => client::run(&ctx, args).await,
        Command::User(args) => user::run(&ctx, args).await,
        Command::Token(args) => token::run(&ctx, args).await,
        Command::Stats => stats::run(&ctx).await,
        Command::Verify(args) => verify::run(&ctx, args).await,
        Command::Completions(args) => completions::run_completions(args),
        Command::Backup(args) => backup::run(&ctx, args).await,
        Command::Restore(args) => restore::run(&ctx, args).await,
    }
}
