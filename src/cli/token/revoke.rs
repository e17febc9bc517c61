//! `mcp-oauth token revoke`: counts first, asks, then revokes in one transaction.
//!
//! Every server instance reads revocation from the shared database on each request, so the
//! revocation takes effect everywhere at once. Revoking a refresh token revokes its whole
//! grant (the access tokens issued from it included); an access token is revoked alone.

use std::io::Read;
use std::process::ExitCode;

use clap::{ArgGroup, Args};
use serde_json::json;

use super::super::output::plural;
use super::super::{prompt, Context, Failure};
use crate::clock;
use crate::secret::{self, Kind};
use crate::storage::revocation::{self, Revoked, Selector, TokenKind};
use crate::storage::{clients, users, Store};

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("what").required(true).args(["token", "client", "user"])),
    after_help = "Examples:\n  \
        printf '%s' \"$TOKEN\" | mcp-oauth token revoke --token -   # keeps the token out of `ps`\n  \
        mcp-oauth token revoke --client mcp_oauth_… --dry-run    # how many would go\n  \
        mcp-oauth token revoke --user alice --yes              # a local user, by name or ID\n\n\
        Exit codes: 0 revoked (or nothing live to revoke), 2 no terminal to confirm on and no --yes, \
        5 no such token, client or user."
)]
pub struct RevokeArgs {
    /// An access token (mcp_at_…) or refresh token (mcp_rt_…); `-` reads it from standard
    /// input, which keeps it out of `ps` and shell history. A refresh token takes its whole
    /// grant with it.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Every token of this client (mcp_oauth_…).
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,

    /// Every token of this user: a local user's name or usr_… ID, or a Clerk user ID.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Count what would be revoked; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// What the operator named, resolved far enough to count and describe it.
enum Subject {
    Token {
        digest: Vec<u8>,
        refresh: bool,
    },
    Client(String),
    /// The user ID, and the local user's name when there is a local user.
    User {
        id: String,
        name: Option<String>,
    },
}

impl Subject {
    fn selector(&self) -> Selector<'_> {
        match self {
            Subject::Token { digest, .. } => Selector::Token(digest),
            Subject::Client(id) => Selector::Client(id),
            Subject::User { id, .. } => Selector::User(id),
        }
    }

    fn describe(&self) -> String {
        match self {
            Subject::Token { refresh: true, .. } => {
                "the refresh token and its grant (every token issued from the same authorization)".into()
            }
            Subject::Token { refresh: false, .. } => "the access token".into(),
            Subject::Client(id) => format!("every token of client `{id}`"),
            Subject::User { id, name: Some(name) } => {
                format!("every token of local user `{name}` (ID `{id}`)")
            }
            Subject::User { id, name: None } => format!("every token of user ID `{id}`"),
        }
    }
}

fn read_token(arg: &str) -> anyhow::Result<String> {
    let raw = if arg == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        arg.to_string()
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(Failure::usage(
            "--token is empty (with `--token -`, pipe the token into standard input)",
        ));
    }
    let known = [Kind::AccessToken, Kind::RefreshToken];
    if !known.iter().any(|k| token.starts_with(k.prefix())) {
        return Err(Failure::usage(format!(
            "that is not an mcp-oauth token: access tokens start with `{}` and refresh tokens with `{}`",
            Kind::AccessToken.prefix(),
            Kind::RefreshToken.prefix()
        )));
    }
    Ok(token.to_string())
}

async fn resolve(store: &Store, args: &RevokeArgs) -> anyhow::Result<Subject> {
    if let Some(arg) = &args.token {
        let digest = secret::digest(&read_token(arg)?);
        let conn = store.connection().await?;
        return match revocation::identify(&conn, &digest).await? {
            Some(TokenKind::Refresh { .. }) => Ok(Subject::Token {
                digest,
                refresh: true,
            }),
            Some(TokenKind::Access { .. }) => Ok(Subject::Token {
                digest,
                refresh: false,
            }),
            None => Err(Failure::not_found(
                "no such token in this database (it may have been cleaned up after expiring)",
            )),
        };
    }
    if let Some(id) = &args.client {
        if clients::find(store, id).await?.is_none() {
            return Err(Failure::not_found(format!(
                "no client has the ID `{id}`; `mcp-oauth client list` shows them"
            )));
        }
        return Ok(Subject::Client(id.clone()));
    }
    resolve_user(store, args.user.as_deref().unwrap_or_default()).await
}

/// `--user`: a local user's ID or name, or the ID of a user known only by their tokens (Clerk
/// users are not in the local table). A value that names one local user and is another user's
/// ID is refused rather than guessed.
async fn resolve_user(store: &Store, value: &str) -> anyhow::Result<Subject> {
    let by_id = users::find_by_id(store, value).await?;
    let by_name = users::find_by_username(store, value).await?;
    let id_has_tokens = by_id.is_none() && revocation::user_has_tokens(store, value).await?;
    match (by_id, by_name) {
        (Some(user), Some(named)) if named.user_id != user.user_id => Err(Failure::usage(format!(
            "`{value}` is ambiguous: it is the ID of local user `{}` and the name of local user `{}` (ID `{}`); pass the ID of the one you mean",
            user.username, named.username, named.user_id
        ))),
        (None, Some(named)) if id_has_tokens => Err(Failure::usage(format!(
            "`{value}` is ambiguous: it is the name of local user `{}` (ID `{}`) and the user ID of other tokens (a Clerk user); pass `--user {}` for the local user, or rename them",
            named.username, named.user_id, named.user_id
        ))),
        (Some(user), _) | (None, Some(user)) => Ok(Subject::User {
            id: user.user_id,
            name: Some(user.username),
        }),
        (None, None) if id_has_tokens => Ok(Subject::User {
            id: value.to_string(),
            name: None,
        }),
        (None, None) => Err(Failure::not_found(format!(
            "no local user is named `{value}`, and no local user or token has the user ID `{value}` (`mcp-oauth user list` shows local users)"
        ))),
    }
}

fn summary(r: &Revoked) -> String {
    format!(
        "{} ({} access, {} refresh)",
        plural(r.total(), "live token", "live tokens"),
        r.access_tokens,
        r.refresh_tokens
    )
}

pub async fn run(ctx: &Context, args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_migrated_store().await?;
    let subject = resolve(&store, &args).await?;
    let now = clock::now();
    let counted = revocation::count(&store, subject.selector(), now).await?;
    if args.dry_run {
        if ctx.json() {
            ctx.print_json(&json!({ "dry_run": true, "would_revoke": counted }))?;
        } else {
            ctx.say(format!(
                "Would revoke {} — {}; nothing was changed (dry run).",
                summary(&counted),
                subject.describe()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if counted.total() > 0 {
        prompt::confirm(
            args.yes,
            &format!("Revoke {} — {}?", summary(&counted), subject.describe()),
            &format!("this would revoke {} — {}", summary(&counted), subject.describe()),
        )?;
    }
    // Run even when nothing is live: it also voids unredeemed codes of the same grants.
    let revoked = revocation::revoke(&store, subject.selector(), now).await?;
    if ctx.json() {
        ctx.print_json(&json!({ "dry_run": false, "revoked": revoked }))?;
    } else if revoked.total() == 0 {
        ctx.say(format!(
            "Nothing live to revoke — {} (already revoked or expired).",
            subject.describe()
        ));
    } else {
        ctx.say(format!(
            "Revoked {} — {}. Every server sharing this database refuses them now.",
            summary(&revoked),
            subject.describe()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
