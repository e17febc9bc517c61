//! `mcp-oauth verify`: parse, run the checklist ([`crate::verify`]), print the table (or JSON)
//! and the JUnit file; exit 1 when a check failed.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::output::out;
use super::{Context, Failure};
use crate::client::ClientAuth;
use crate::verify::{self, report, Event, Given, Login, Options, Outcome, Selection, Settings};

#[derive(Debug, Args)]
#[command(
    long_about = "Runs the deployment checklist (CHECKLIST.md) and prints each item as pass, FAIL or skip, \
        with its time and a one-line reason.\n\n\
        Without --base-url it is a self-test of this build: it starts the server in-process on a free \
        loopback port with a throw-away database, makes a user and a client, and runs every item.\n\n\
        With --base-url it probes a deployment with the client and user it is given. Items that need \
        what was not given are skipped, never passed. It leaves nothing behind: it revokes the grants \
        it obtained and deletes the memories it added (a dynamically registered client stays; its id \
        is in the registration.dynamic line). With --database (the deployment's database) it also \
        checks that client secrets are stored hashed and that a denied consent stores nothing.",
    after_help = "Examples:\n  mcp-oauth verify                                   # self-test of this build\n  \
        export MCP_OAUTH_CLIENT_ID=mcp_oauth_… MCP_OAUTH_CLIENT_SECRET=mcp_cs_…\n  \
        printf '%s' \"$PW\" | mcp-oauth verify --base-url https://ai-memory.app \\\n      \
        --redirect-uri https://claude.ai/api/mcp/auth_callback --username alice --password-stdin --junit verify.xml\n  \
        mcp-oauth verify --base-url https://ai-memory.app --only discovery --only security.cors\n\n\
        Exit status: 0 when nothing failed (skips are not failures), 1 when a check failed, 2 bad usage."
)]
pub struct VerifyArgs {
    /// The deployment's public base URL (its issuer). Without it: the self-test.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// A registered client's ID. Without one, verify registers a client dynamically when the
    /// server offers registration.
    // No `requires = "base_url"` on the flags with an environment variable: an operator's
    // exported MCP_OAUTH_CLIENT_ID must not break the self-test, which ignores them.
    #[arg(long, env = "MCP_OAUTH_CLIENT_ID", value_name = "ID", hide_env_values = true)]
    pub client_id: Option<String>,

    /// The client's secret (none for a public client). Prefer the environment variable: a
    /// secret on the command line shows in `ps`.
    #[arg(
        long,
        env = "MCP_OAUTH_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,

    /// A redirect URI the client registered. Nothing needs to listen there: verify reads the
    /// code from the redirect's Location.
    #[arg(long, value_name = "URI", requires = "base_url")]
    pub redirect_uri: Option<String>,

    /// The local account to sign in as (with --password-stdin).
    #[arg(long, value_name = "NAME", requires_all = ["base_url", "password_stdin"])]
    pub username: Option<String>,

    /// Read the --username's password from the first line of standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,

    /// A Clerk session JWT: signs in at the consent screen (when no --username is given) and
    /// is checked as a Bearer token at /api/mcp.
    #[arg(
        long,
        env = "MCP_OAUTH_SESSION_TOKEN",
        value_name = "JWT",
        hide_env_values = true
    )]
    pub session_token: Option<String>,

    /// An origin the deployment must allow by CORS (repeatable); a foreign origin must never be.
    #[arg(long = "cors-origin", value_name = "ORIGIN", requires = "base_url")]
    pub cors_origins: Vec<String>,

    /// The longest access-token lifetime accepted (the server's --access-ttl).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub max_access_ttl: Duration,

    /// The server's --refresh-grace. Test 2 checks that the rotated-out refresh token fails
    /// after it: at once when it is 5s or less, otherwise only with --wait-grace (the item then
    /// passes with a note that this part was not checked). The self-test uses 1s.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub refresh_grace: Duration,

    /// Wait out a long --refresh-grace in Test 2.
    #[arg(long)]
    pub wait_grace: bool,

    /// Also run security.rate-limit, which locks this address out of client authentication at
    /// the server for about a minute (it runs last, after the cleanup). Always on in the self-test.
    #[arg(long)]
    pub include_rate_limit: bool,

    /// With --base-url and --database (the deployment's database): run backup.drill, a restore
    /// drill: back the database up into a temporary file, restore it into another, start this
    /// build's server on it, and use a token issued before the backup there. Writes nothing to
    /// the deployment's database. Always run in the self-test.
    #[arg(long, requires = "base_url")]
    pub backup_drill: bool,

    /// Run only these checks: an id (test2.refresh) or a prefix (discovery, security). Repeatable.
    #[arg(long, value_name = "ID")]
    pub only: Vec<String>,

    /// Do not run these checks (id or prefix). Repeatable.
    #[arg(long, value_name = "ID")]
    pub skip: Vec<String>,

    /// Time limit for each check (and each request).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Also write the results as JUnit XML to FILE, one testcase per check.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Verify a rollback: the deployment should have OAuth switched off (serve --oauth off).
    /// Checks that every OAuth endpoint says so and that what still applies works (health,
    /// a Clerk session token with --session-token). Without it, a switched-off deployment
    /// fails discovery.authorization-server and skips the OAuth checks.
    #[arg(long)]
    pub expect_oauth_off: bool,
}

pub async fn run(ctx: &Context, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let options = options(ctx, &args).await?;
    let progress = progress_bar(ctx);
    let mut on_event = |event: Event<'_>| {
        let Some(bar) = &progress else { return };
        match event {
            Event::Started { check, index, total } => {
                bar.set_length(total as u64);
                bar.set_position(index as u64);
                bar.set_message(check.id);
            }
            Event::Finished(result) => {
                bar.inc(1);
                if let Outcome::Fail(why) = &result.outcome {
                    bar.println(format!("FAIL {}: {why}", result.id));
                }
            }
        }
    };
    let report = verify::verify(options, &mut on_event).await?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    if let Some(path) = &args.junit {
        // Owner-only: the report names the client and may quote what the server answered.
        crate::storage::file_mode::write_private(
            path,
            report::junit(&report.results, &report.target).as_bytes(),
        )
        .with_context(|| format!("writing the JUnit report to {}", path.display()))?;
    }
    let totals = report.totals();
    if ctx.json() {
        ctx.print_json(&serde_json::json!({
            "target": report.target,
            "mode": report.mode,
            "oauth": report.oauth,
            "checks": report.results,
            "totals": totals,
            "passed": report.passed(),
            "duration_ms": report.elapsed.as_millis() as u64,
            "warnings": report.warnings,
        }))?;
    } else if !ctx.quiet() {
        let what = match report.mode {
            "self-test" => "self-test of this build (in-process server, throw-away database)",
            _ => "deployment",
        };
        out(format!("mcp-oauth verify {}: {what}", report.target))?;
        if report.oauth != "enabled" {
            out(format!(
                "{}: the OAuth endpoints answer 503 temporarily_unavailable (serve --oauth off); OAuth checks skipped",
                report.oauth
            ))?;
        }
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        out(report::table(&report.results, color))?;
        out(format!(
            "{} in {:.1} s",
            report::summary_line(totals),
            report.elapsed.as_secs_f64()
        ))?;
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if ctx.quiet() && !ctx.json() && totals.failed > 0 {
        for r in &report.results {
            if let Outcome::Fail(why) = &r.outcome {
                eprintln!("FAIL {}: {why}", r.id);
            }
        }
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The flags turned into what the checks need; reads the password and opens the database.
async fn options(ctx: &Context, args: &VerifyArgs) -> anyhow::Result<Options> {
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
    };
    if let Some(bad) = selection.unknown_pattern(&verify::check_ids()) {
        return Err(Failure::usage(format!(
            "`{bad}` names no check; the checks are: {}",
            verify::check_ids().join(", ")
        )));
    }
    let base_url = match &args.base_url {
        Some(url) => Some(
            super::serve::normalize_issuer(url)
                .map_err(|e| Failure::usage(e.replace("--issuer", "--base-url")))?,
        ),
        None => None,
    };
    let login = match (&args.username, &args.session_token) {
        (Some(username), _) => Some(Login::Password {
            username: username.clone(),
            password: read_password()?,
        }),
        (None, Some(jwt)) => Some(Login::ClerkSession(jwt.clone())),
        (None, None) => None,
    };
    let client = args.client_id.as_ref().map(|id| match &args.client_secret {
        Some(secret) if !secret.is_empty() => ClientAuth::Basic(id.clone(), secret.clone()),
        _ => ClientAuth::Public(id.clone()),
    });
    // Only a database the operator named: never the default ./mcp-oauth.db of wherever verify runs.
    let named_database = ctx.global.database.is_some() || std::env::var_os("TURSO_URL").is_some();
    if args.backup_drill && !named_database {
        return Err(Failure::usage(
            "--backup-drill needs the deployment's database: give --database (or MCP_OAUTH_DATABASE)",
        ));
    }
    let store = if base_url.is_some() && named_database {
        Some(ctx.open_migrated_store().await?)
    } else {
        None
    };
    Ok(Options {
        base_url,
        given: Given {
            client,
            client_name: None,
            redirect_uri: args.redirect_uri.clone(),
            login,
            session_token: args.session_token.clone(),
            store,
            metadata_document: None,
        },
        settings: Settings {
            max_access_ttl: args.max_access_ttl,
            refresh_grace: args.refresh_grace,
            wait_grace: args.wait_grace,
            include_rate_limit: args.include_rate_limit,
            backup_drill: args.backup_drill,
            self_test: false,
        },
        expect_cors_origins: args.cors_origins.clone(),
        selection,
        timeout: args.timeout,
        expect_oauth_off: args.expect_oauth_off,
    })
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(Failure::usage(
            "--password-stdin read an empty password; pipe the password in on one line",
        ));
    }
    Ok(password)
}

/// A progress line on stderr, only for a person watching a terminal.
fn progress_bar(ctx: &Context) -> Option<ProgressBar> {
    if ctx.quiet() || !ctx.stderr_is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(verify::CHECKS.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} verify [{pos}/{len}] {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}
