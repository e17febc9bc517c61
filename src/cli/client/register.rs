//! `mcp-oauth client register`: a wizard on a terminal, the same answers as flags anywhere.
//!
//! Flags given are not asked again; on a terminal the wizard asks for the rest, validating
//! each answer as it is typed. Without a terminal every required answer must be a flag, and a
//! missing one is an error that names it (exit 2): a script never waits on a prompt.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use dialoguer::{Confirm, Input, MultiSelect, Select};
use serde_json::json;

use super::super::prompt;
use super::super::{Context, Failure};
use crate::clock;
use crate::oauth::argon2_pool;
use crate::oauth::redirect_uri::{self, CLAUDE_CALLBACKS};
use crate::oauth::scope::{Scope, ScopeSet};
use crate::secret::{self, HashCost, Kind};
use crate::storage::clients::{self, AuthMethod, NewClient, Registration};
use crate::storage::{users, Store};

/// Longest client name accepted; it is shown on the consent screen.
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcp-oauth client register                  # the wizard\n  \
    mcp-oauth client register --name Claude --user-id usr_… \\\n      \
      --redirect-uri https://claude.ai/api/mcp/auth_callback \\\n      \
      --redirect-uri https://claude.com/api/mcp/auth_callback \\\n      \
      --scope 'memories:read memories:write entities:read entities:write'\n  \
    mcp-oauth client register --public --name 'Claude Code' --user-id usr_… \\\n      \
      --redirect-uri http://127.0.0.1/callback --scope memories:read --json\n\n\
    The client secret is printed once; only its argon2id hash is stored.")]
pub struct RegisterArgs {
    /// The name users see on the consent screen, e.g. "Claude".
    #[arg(long, value_parser = parse_name)]
    pub name: Option<String>,

    /// A redirect URI the client may use (repeatable): https://…, or http:// on 127.0.0.1,
    /// [::1] or localhost (any port). Claude.ai uses https://claude.ai/api/mcp/auth_callback
    /// and https://claude.com/api/mcp/auth_callback.
    #[arg(long = "redirect-uri", value_name = "URI", value_parser = parse_redirect_uri)]
    pub redirect_uris: Vec<String>,

    /// Scopes the client may be granted (repeatable, or one space- or comma-separated list):
    /// memories:read, memories:write, entities:read, entities:write.
    #[arg(long = "scope", value_name = "SCOPES", value_parser = parse_scopes)]
    pub scopes: Vec<ScopeSet>,

    /// The user who owns the client: a local user ID (`mcp-oauth user list`) or a Clerk user ID.
    #[arg(long, value_name = "ID", value_parser = parse_user_id)]
    pub user_id: Option<String>,

    /// A public client, without a secret: it proves itself with PKCE alone (Claude Code,
    /// desktop and command-line apps that cannot keep a secret).
    #[arg(long, conflicts_with = "auth_method")]
    pub public: bool,

    /// How a confidential client sends its secret to the token endpoint [default: client_secret_basic].
    #[arg(long, value_enum, value_name = "METHOD")]
    pub auth_method: Option<SecretMethod>,
}

/// The token endpoint authentication methods a confidential client can register with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum SecretMethod {
    /// HTTP Basic authentication (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// client_id and client_secret in the form body.
    ClientSecretPost,
}

impl From<SecretMethod> for AuthMethod {
    fn from(m: SecretMethod) -> AuthMethod {
        match m {
            SecretMethod::ClientSecretBasic => AuthMethod::ClientSecretBasic,
            SecretMethod::ClientSecretPost => AuthMethod::ClientSecretPost,
        }
    }
}

fn parse_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("the client name is empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the client name is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if crate::oauth::client_name::check(name).is_err() {
        return Err("the client name contains control, bidirectional-text or invisible characters".into());
    }
    Ok(name.to_string())
}

fn parse_redirect_uri(s: &str) -> Result<String, String> {
    redirect_uri::validate(s)
        .map(str::to_string)
        .map_err(|e| e.to_string())
}

fn parse_scopes(s: &str) -> Result<ScopeSet, String> {
    let set = ScopeSet::parse_strict(s)?;
    if set.is_empty() {
        return Err(format!(
            "no scope given; the supported scopes are: {}",
            ScopeSet::all()
        ));
    }
    Ok(set)
}

fn parse_user_id(s: &str) -> Result<String, String> {
    let id = s.trim();
    if id.is_empty() {
        return Err("the user ID is empty".into());
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a user ID has no spaces or control characters".into());
    }
    Ok(id.to_string())
}

/// Every answer the registration needs, however it was given.
struct Answers {
    name: String,
    redirect_uris: Vec<String>,
    scopes: ScopeSet,
    user_id: String,
    auth_method: AuthMethod,
}

pub async fn run(ctx: &Context, args: RegisterArgs) -> anyhow::Result<ExitCode> {
    let mut missing = Vec::new();
    if args.name.is_none() {
        missing.push("--name");
    }
    if args.redirect_uris.is_empty() {
        missing.push("--redirect-uri");
    }
    if args.scopes.is_empty() {
        missing.push("--scope");
    }
    if args.user_id.is_none() {
        missing.push("--user-id");
    }
    prompt::require_flags(&missing, "registering a client")?;
    let store = ctx.open_migrated_store().await?;
    let wizard = !missing.is_empty();
    let answers = gather(&store, args, wizard).await?;
    if wizard && !confirm(&answers)? {
        return Err(Failure::failed("cancelled; no client was registered"));
    }
    warn_unknown_owner(ctx, &store, &answers.user_id).await?;

    let client_id = secret::generate(Kind::ClientId);
    let client_secret = answers
        .auth_method
        .is_confidential()
        .then(|| secret::generate(Kind::ClientSecret));
    let secret_hash = match &client_secret {
        Some(s) => Some(argon2_pool::hash(HashCost::ClientSecret, s).await?),
        None => None,
    };
    let now = clock::now();
    clients::insert(
        &store,
        &NewClient {
            client_id: client_id.clone(),
            client_name: answers.name.clone(),
            secret_hash,
            redirect_uris: answers.redirect_uris.clone(),
            scopes: answers.scopes.clone(),
            auth_method: answers.auth_method,
            user_id: Some(answers.user_id.clone()),
            registration: Registration::Cli,
            created_at: now,
        },
    )
    .await?;
    print(ctx, &client_id, client_secret.as_deref(), &answers, now)?;
    Ok(ExitCode::SUCCESS)
}

/// Takes each answer from its flag, or asks for it (`wizard`: some flag was missing and there
/// is a terminal).
async fn gather(store: &Store, args: RegisterArgs, wizard: bool) -> anyhow::Result<Answers> {
    let theme = prompt::theme();
    let name = match args.name {
        Some(name) => name,
        None => Input::<String>::with_theme(&theme)
            .with_prompt("Client name (shown on the consent screen)")
            .validate_with(|s: &String| parse_name(s).map(drop))
            .interact_text()
            .map(|s| s.trim().to_string())?,
    };
    let redirect_uris = if args.redirect_uris.is_empty() {
        ask_redirect_uris(&theme)?
    } else {
        dedup(args.redirect_uris)
    };
    let scopes = if args.scopes.is_empty() {
        ask_scopes(&theme)?
    } else {
        args.scopes.iter().flat_map(ScopeSet::iter).collect()
    };
    let user_id = match args.user_id {
        Some(id) => id,
        None => ask_owner(store, &theme).await?,
    };
    let auth_method = match (args.public, args.auth_method) {
        (true, _) => AuthMethod::None,
        (false, Some(m)) => m.into(),
        // Asked only in the wizard; on a fully flagged command line no --public means confidential.
        (false, None) if wizard => ask_kind(&theme)?,
        (false, None) => AuthMethod::ClientSecretBasic,
    };
    Ok(Answers {
        name,
        redirect_uris,
        scopes,
        user_id,
        auth_method,
    })
}

fn dedup(uris: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(uris.len());
    for uri in uris {
        if !out.contains(&uri) {
            out.push(uri);
        }
    }
    out
}

const ENTER_ANOTHER: &str = "Enter another redirect URI…";

fn ask_redirect_uris(theme: &dyn dialoguer::theme::Theme) -> anyhow::Result<Vec<String>> {
    loop {
        let mut items: Vec<&str> = CLAUDE_CALLBACKS.to_vec();
        items.push(ENTER_ANOTHER);
        let mut defaults = vec![true; CLAUDE_CALLBACKS.len()];
        defaults.push(false);
        let chosen = MultiSelect::with_theme(theme)
            .with_prompt("Redirect URIs (space toggles, enter accepts; the first two are Claude.ai's)")
            .items(&items)
            .defaults(&defaults)
            .interact()?;
        let mut uris: Vec<String> = chosen
            .iter()
            .filter(|&&i| i < CLAUDE_CALLBACKS.len())
            .map(|&i| CLAUDE_CALLBACKS[i].to_string())
            .collect();
        if chosen.contains(&CLAUDE_CALLBACKS.len()) {
            loop {
                let uri: String = Input::with_theme(theme)
                    .with_prompt("Redirect URI (empty when done)")
                    .allow_empty(true)
                    .validate_with(|s: &String| {
                        if s.is_empty() {
                            Ok(())
                        } else {
                            parse_redirect_uri(s).map(drop)
                        }
                    })
                    .interact_text()?;
                if uri.is_empty() {
                    break;
                }
                uris.push(uri);
            }
        }
        let uris = dedup(uris);
        if !uris.is_empty() {
            return Ok(uris);
        }
        eprintln!("A client needs at least one redirect URI.");
    }
}

fn ask_scopes(theme: &dyn dialoguer::theme::Theme) -> anyhow::Result<ScopeSet> {
    let items: Vec<String> = Scope::ALL
        .iter()
        .map(|s| format!("{:<15} {}", s.as_str(), s.description()))
        .collect();
    loop {
        let chosen = MultiSelect::with_theme(theme)
            .with_prompt("Scopes the client may be granted (space toggles, enter accepts)")
            .items(&items)
            .defaults(&[true; Scope::ALL.len()])
            .interact()?;
        if !chosen.is_empty() {
            return Ok(chosen.into_iter().map(|i| Scope::ALL[i]).collect());
        }
        eprintln!("Choose at least one scope.");
    }
}

async fn ask_owner(store: &Store, theme: &dyn dialoguer::theme::Theme) -> anyhow::Result<String> {
    let local = users::list(store).await?;
    if !local.is_empty() {
        let mut items: Vec<String> = local
            .iter()
            .map(|u| format!("{} ({})", u.username, u.user_id))
            .collect();
        items.push("Enter a user ID (e.g. a Clerk user)…".into());
        let i = Select::with_theme(theme)
            .with_prompt("Owner")
            .items(&items)
            .default(0)
            .interact()?;
        if let Some(user) = local.get(i) {
            return Ok(user.user_id.clone());
        }
    }
    let id: String = Input::with_theme(theme)
        .with_prompt("Owner user ID")
        .validate_with(|s: &String| parse_user_id(s).map(drop))
        .interact_text()?;
    Ok(id.trim().to_string())
}

fn ask_kind(theme: &dyn dialoguer::theme::Theme) -> anyhow::Result<AuthMethod> {
    let i = Select::with_theme(theme)
        .with_prompt("Client type")
        .items(&[
            "Confidential: has a client secret (Claude.ai connectors, server-side apps)",
            "Public: no secret, PKCE only (Claude Code, desktop and CLI apps)",
        ])
        .default(0)
        .interact()?;
    Ok(if i == 0 {
        AuthMethod::ClientSecretBasic
    } else {
        AuthMethod::None
    })
}

fn confirm(a: &Answers) -> anyhow::Result<bool> {
    eprintln!();
    eprintln!("  name           {}", a.name);
    for (i, uri) in a.redirect_uris.iter().enumerate() {
        eprintln!("  {:<14} {uri}", if i == 0 { "redirect URIs" } else { "" });
    }
    eprintln!("  scopes         {}", a.scopes);
    eprintln!("  owner          {}", a.user_id);
    eprintln!("  auth method    {}", a.auth_method.as_str());
    Ok(Confirm::with_theme(&prompt::theme())
        .with_prompt("Register this client?")
        .default(true)
        .interact()?)
}

/// A note, not an error: Clerk user IDs are not in the local users table.
async fn warn_unknown_owner(ctx: &Context, store: &Store, user_id: &str) -> anyhow::Result<()> {
    if !ctx.quiet() && users::find_by_id(store, user_id).await?.is_none() {
        eprintln!(
            "note: no local user has the ID `{user_id}` (fine for a Clerk user ID; local IDs are in `mcp-oauth user list`)"
        );
    }
    Ok(())
}

fn print(
    ctx: &Context,
    client_id: &str,
    client_secret: Option<&str>,
    a: &Answers,
    now: i64,
) -> anyhow::Result<()> {
    if ctx.json() {
        return ctx.print_json(&json!({
            "client_id": client_id,
            "client_secret": client_secret,
            "client_name": a.name,
            "redirect_uris": a.redirect_uris,
            "scopes": a.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "token_endpoint_auth_method": a.auth_method.as_str(),
            "user_id": a.user_id,
            "created_at": clock::rfc3339(now),
        }));
    }
    let kind = if client_secret.is_some() {
        format!("confidential, {}", a.auth_method.as_str())
    } else {
        "public, PKCE only".to_string()
    };
    ctx.say(format!("Registered client \"{}\" ({kind}).\n", a.name));
    // Shown even with --quiet: this is the only time the secret exists outside the client.
    super::super::output::out(format_args!("client_id:     {client_id}"))?;
    if let Some(secret) = client_secret {
        super::super::output::out(format_args!("client_secret: {secret}"))?;
        if !ctx.quiet() {
            eprintln!(
                "\nStore the client secret now: it is shown only this once and cannot be recovered \
                 (`mcp-oauth client rotate {client_id}` issues a new one)."
            );
        }
    }
    Ok(())
}
