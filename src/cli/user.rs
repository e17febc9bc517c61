//! `mcp-oauth user add|list|remove`: local accounts for `serve --login local`.

use std::io::BufRead;
use std::process::ExitCode;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::{Args, Subcommand};
use rand::RngCore;
use serde_json::json;

use super::output::{json_time, plural, table, when};
use super::{prompt, Context, Failure};
use crate::clock;
use crate::oauth::argon2_pool;
use crate::secret::HashCost;
use crate::storage::revocation::{self, Selector};
use crate::storage::users::{self, CreateUserError};

/// Shortest password accepted. NIST SP 800-63B asks for at least 8; these accounts guard
/// everyone's memories behind one password with no second factor, so we ask for more.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted: argon2 hashes any length, but a megabyte "password" is a mistake.
pub const MAX_PASSWORD_CHARS: usize = 1024;
const MAX_USERNAME_CHARS: usize = 64;

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a local account; the password is asked twice on a terminal or read with --password-stdin.
    Add(AddArgs),
    /// List local accounts.
    List,
    /// Remove an account, end its sessions and revoke its tokens (its memories are kept).
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcp-oauth user add alice                                    # asks for the password twice\n  \
    printf '%s\\n' \"$ALICE_PASSWORD\" | mcp-oauth user add alice --password-stdin")]
pub struct AddArgs {
    /// The login name (case-insensitive, unique).
    #[arg(value_name = "NAME", value_parser = parse_username)]
    pub name: String,

    /// Read the password from the first line of standard input instead of prompting
    /// (a password on the command line would show in `ps` and shell history).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The login name.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(ctx: &Context, args: UserArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        UserAction::Add(a) => add(ctx, a).await,
        UserAction::List => list(ctx).await,
        UserAction::Remove(a) => remove(ctx, a).await,
    }
}

fn parse_username(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the user name is empty".into());
    }
    if s.chars().count() > MAX_USERNAME_CHARS {
        return Err(format!(
            "the user name is longer than {MAX_USERNAME_CHARS} characters"
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a user name has no spaces or control characters".into());
    }
    Ok(s.to_string())
}

fn check_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password is too short: {n} characters, at least {MIN_PASSWORD_CHARS} needed"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password is longer than {MAX_PASSWORD_CHARS} characters"
        ));
    }
    Ok(())
}

/// `usr_` and 128 random bits: unguessable, and never reused after a removal.
fn new_user_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("usr_{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn read_password(args: &AddArgs) -> anyhow::Result<String> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        if password.is_empty() {
            return Err(Failure::usage(
                "--password-stdin read an empty password; pipe the password in on one line",
            ));
        }
        check_password(password).map_err(Failure::usage)?;
        return Ok(password.to_string());
    }
    if !prompt::interactive() {
        return Err(Failure::usage(
            "there is no terminal to ask for the password on; pipe it in with --password-stdin",
        ));
    }
    Ok(dialoguer::Password::with_theme(&prompt::theme())
        .with_prompt(format!("Password for {}", args.name))
        .with_confirmation("Repeat the password", "the passwords do not match")
        .validate_with(|p: &String| check_password(p))
        .interact()?)
}

async fn add(ctx: &Context, args: AddArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    if users::find_by_username(&store, &args.name).await?.is_some() {
        return Err(Failure::usage(format!(
            "a user named `{}` already exists; pick another name, or `mcp-oauth user remove {}` first",
            args.name, args.name
        )));
    }
    let password = read_password(&args)?;
    let user_id = new_user_id();
    let now = clock::now();
    let password_hash = argon2_pool::hash(HashCost::Password, &password).await?;
    match users::create(&store, &user_id, &args.name, &password_hash, now).await {
        Ok(()) => {}
        Err(CreateUserError::Exists(name)) => {
            return Err(Failure::usage(format!("a user named `{name}` already exists")))
        }
        Err(CreateUserError::Store(e)) => return Err(e.into()),
    }
    if ctx.json() {
        ctx.print_json(&json!({
            "user_id": user_id,
            "username": args.name,
            "created_at": clock::rfc3339(now),
        }))?;
    } else {
        ctx.say(format!("Added user {} ({user_id}).", args.name));
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let all = users::list(&store).await?;
    if ctx.json() {
        let items: Vec<_> = all
            .iter()
            .map(|u| {
                json!({
                    "user_id": u.user_id,
                    "username": u.username,
                    "created_at": clock::rfc3339(u.created_at),
                    "last_login_at": json_time(u.last_login_at),
                })
            })
            .collect();
        ctx.print_json(&items)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        ctx.say("No local users yet; `mcp-oauth user add NAME` adds one.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["name", "user_id", "created", "last login"]);
    for u in &all {
        t.add_row([
            u.username.clone(),
            u.user_id.clone(),
            clock::rfc3339(u.created_at),
            when(u.last_login_at),
        ]);
    }
    super::output::out(&t)?;
    ctx.say(format!("{} user(s).", all.len()));
    Ok(ExitCode::SUCCESS)
}

async fn remove(ctx: &Context, args: RemoveArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let Some(user) = users::find_by_username(&store, &args.name).await? else {
        return Err(Failure::not_found(format!(
            "no user is named `{}`; `mcp-oauth user list` shows them",
            args.name
        )));
    };
    let now = clock::now();
    let live = revocation::count(&store, Selector::User(&user.user_id), now).await?;
    let tokens = plural(live.total(), "live token", "live tokens");
    prompt::confirm(
        args.yes,
        &format!(
            "Remove user {} ({}), end their sessions and revoke their {tokens}?",
            user.username, user.user_id
        ),
        &format!(
            "removing user `{}` ends their sessions and revokes their {tokens}",
            user.username
        ),
    )?;
    if users::remove(&store, &user.username, now).await?.is_none() {
        return Err(Failure::not_found(format!(
            "user `{}` was removed meanwhile",
            user.username
        )));
    }
    if ctx.json() {
        ctx.print_json(&json!({
            "user_id": user.user_id,
            "username": user.username,
            "removed": true,
            "revoked": live,
        }))?;
    } else {
        ctx.say(format!(
            "Removed user {} ({}); revoked {tokens}. Their memories are kept under {}.",
            user.username, user.user_id, user.user_id
        ));
    }
    Ok(ExitCode::SUCCESS)
}
