//! `mcp-oauth verify`: the deployment checklist as checks that pass, fail or are skipped.
//!
//! Without a base URL it starts this build's server in-process on a loopback port with a
//! throw-away database and runs every check against it; with one, it probes a deployment with
//! the client and user it was given, skips what needs what was not given, and leaves nothing
//! behind (it revokes the grants it obtained and deletes the memories it added).
//!
//! A deployment whose operator switched OAuth off (`serve --oauth off`, the rollback switch) is
//! recognised before the first check by the error its metadata answers with: the run then
//! reports "OAuth disabled by operator", checks in `discovery.authorization-server` that every
//! OAuth endpoint says so, runs what still applies (health, the 401 challenge, https, the Clerk
//! session token) and skips the rest. That check fails unless the run was told to expect it
//! (`--expect-oauth-off`), so an ordinary CI run does not pass on a switched-off deployment.
//!
//! The checks run one after another in [`CHECKS`] order: later ones reuse what earlier ones
//! obtained (the signed-in browser, the first grant), and the rate-limit probe, which locks
//! this address out of client authentication, runs last, after the cleanup.

pub mod checklist;
pub mod cimd;
pub mod document_host;
pub mod drill;
pub mod flows;
pub mod probes;
pub mod report;
pub mod run;
pub mod security;
pub mod selftest;
pub mod target;

use std::time::{Duration, Instant};

use checklist::{run_check, CheckVerdict};
pub use checklist::{CheckResult, Outcome, Selection};
pub use run::{Given, Login, Run, Settings};
use target::Target;

/// One item of the checklist.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
}

const fn check(id: &'static str, title: &'static str) -> Check {
    Check { id, title }
}

/// Every check, in the order they run. The ids are the ones CHECKLIST.md names.
pub const CHECKS: &[Check] = &[
    check("health.ready", "/healthz and /readyz answer 200"),
    check(
        "discovery.authorization-server",
        "authorization-server metadata, issuer as reached",
    ),
    check(
        "discovery.protected-resource",
        "protected-resource metadata at both paths",
    ),
    check(
        "mcp.unauthenticated",
        "/api/mcp without a token: 401 + resource_metadata",
    ),
    check("registration.dynamic", "dynamic client registration (RFC 7591)"),
    check("authorize.probe", "authorize: 302 to sign in or consent, no 5xx"),
    check("token.exchange", "code exchange returns mcp_at_ + mcp_rt_"),
    check("mcp.tools-list", "initialize + tools/list with the token"),
    check(
        "mcp.2026-07-28",
        "MCP 2026-07-28: server/discover + tools/list, no initialize",
    ),
    check(
        "backup.drill",
        "restore drill: backup, restore into a fresh file, a token issued before works",
    ),
    check(
        "cimd.advertised",
        "client ID metadata documents advertised (info when off)",
    ),
    check(
        "cimd.self-test-flow",
        "metadata-document client: authorize, code, token, MCP, revoke",
    ),
    check(
        "test1.new-user-authorization",
        "Test 1: sign in, consent, code, tokens, tool call",
    ),
    check(
        "test2.refresh",
        "Test 2: refresh rotates; old refresh token fails after grace",
    ),
    check(
        "test3.denial",
        "Test 3: Deny gives access_denied + state, no token",
    ),
    check(
        "test4.invalid-client",
        "Test 4: invalid client: error page, same invalid_client",
    ),
    check(
        "test5.revocation",
        "Test 5: revoked token 401, its refresh token fails",
    ),
    check(
        "connections.revoke",
        "connections page lists the client; Revoke works",
    ),
    check("security.https", "https everywhere, HSTS"),
    check("security.cors", "CORS answers only configured origins"),
    check(
        "security.frame-headers",
        "pages refuse framing (X-Frame-Options, CSP)",
    ),
    check(
        "security.token-lifetimes",
        "access token lifetime within --max-access-ttl",
    ),
    check("security.secrets-hashed", "client secrets stored as argon2id"),
    check("clerk.session-token", "a Clerk session JWT opens /api/mcp"),
    check(
        "security.rate-limit",
        "failed client authentication is rate-limited (429)",
    ),
];

/// What the report says, and why OAuth checks are skipped, when the operator switched OAuth off.
pub const OAUTH_DISABLED: &str = "OAuth disabled by operator";

/// The checks that still apply while OAuth is switched off: the rest need an OAuth flow.
const RUN_WITH_OAUTH_OFF: &[&str] = &[
    "health.ready",
    "mcp.unauthenticated",
    "security.https",
    "clerk.session-token",
];

pub fn check_ids() -> Vec<&'static str> {
    CHECKS.iter().map(|c| c.id).collect()
}

/// How `verify` was asked to run.
#[derive(Clone)]
pub struct Options {
    /// `None`: the self-test.
    pub base_url: Option<String>,
    pub given: Given,
    pub settings: Settings,
    pub expect_cors_origins: Vec<String>,
    pub selection: Selection,
    /// Per check (and per HTTP request).
    pub timeout: Duration,
    /// The deployment is expected to have OAuth switched off (`--expect-oauth-off`); the
    /// self-test starts its server so.
    pub expect_oauth_off: bool,
}

/// What happens while the checks run, for a progress display.
pub enum Event<'a> {
    Started {
        check: &'a Check,
        index: usize,
        total: usize,
    },
    Finished(&'a CheckResult),
}

/// The whole run.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// The issuer verified.
    pub target: String,
    /// `self-test` or `deployment`.
    pub mode: &'static str,
    /// `enabled`, or `disabled by operator` (`serve --oauth off`).
    pub oauth: &'static str,
    pub results: Vec<CheckResult>,
    /// What the cleanup could not undo.
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl Report {
    pub fn totals(&self) -> report::Totals {
        report::totals(&self.results)
    }

    pub fn passed(&self) -> bool {
        self.totals().failed == 0
    }
}

/// Runs the selected checks; `on_event` sees each start and finish.
pub async fn verify(options: Options, on_event: &mut dyn FnMut(Event<'_>)) -> anyhow::Result<Report> {
    let started = Instant::now();
    let self_test = match &options.base_url {
        None => Some(selftest::SelfTest::start(options.expect_oauth_off).await?),
        Some(_) => None,
    };
    let (issuer, given, mut settings) = match (&self_test, &options.base_url) {
        (Some(st), _) => {
            let mut settings = options.settings.clone();
            settings.self_test = true;
            settings.refresh_grace = selftest::REFRESH_GRACE;
            // The throw-away server's lockout harms nobody: the self-test runs every item.
            settings.include_rate_limit = true;
            settings.backup_drill = true;
            (st.issuer().to_string(), st.given.clone(), settings)
        }
        (None, Some(url)) => (url.clone(), options.given.clone(), options.settings.clone()),
        (None, None) => unreachable!("a self-test is started when there is no base URL"),
    };
    settings.self_test = self_test.is_some();
    let mut target = Target::new(&issuer, options.timeout)?;
    target.expect_cors_origins = options.expect_cors_origins.clone();
    let oauth_off = probes::oauth_switched_off(&target).await;
    let mut run = Run::new(target, given, settings);

    let chosen: Vec<&Check> = CHECKS.iter().filter(|c| options.selection.wants(c.id)).collect();
    let mut results = Vec::with_capacity(chosen.len());
    let mut warnings = Vec::new();
    for (index, check) in chosen.iter().enumerate() {
        if check.id == "security.rate-limit" {
            // Client authentication is about to be locked out for this address: undo first.
            warnings.extend(run.clean_up().await);
        }
        on_event(Event::Started {
            check,
            index,
            total: chosen.len(),
        });
        let timeout = match check.id {
            "test2.refresh" => options.timeout + flows::refresh_wait(&run).unwrap_or_default(),
            _ => options.timeout,
        };
        let verdict = async {
            match (oauth_off, options.expect_oauth_off, check.id) {
                (true, expected, "discovery.authorization-server") => {
                    probes::oauth_off_answers(&run.target, expected).await
                }
                (true, _, id) if RUN_WITH_OAUTH_OFF.contains(&id) => dispatch(id, &mut run).await,
                (true, _, _) => Err(checklist::Halt::Skip(OAUTH_DISABLED.into())),
                (false, true, "discovery.authorization-server") => Err(checklist::Halt::Fail(
                    "OAuth is on, but --expect-oauth-off expected it switched off (serve --oauth off)".into(),
                )),
                (false, _, id) => dispatch(id, &mut run).await,
            }
        };
        let result = run_check(check.id, check.title, timeout, verdict).await;
        on_event(Event::Finished(&result));
        results.push(result);
    }
    warnings.extend(run.clean_up().await);
    let mode = if self_test.is_some() {
        "self-test"
    } else {
        "deployment"
    };
    if let Some(st) = self_test {
        st.server.stop().await;
    }
    Ok(Report {
        target: issuer,
        mode,
        oauth: if oauth_off { OAUTH_DISABLED } else { "enabled" },
        results,
        warnings,
        elapsed: started.elapsed(),
    })
}

async fn dispatch(id: &str, run: &mut Run) -> CheckVerdict {
    match id {
        "health.ready" => probes::health(&run.target).await,
        "discovery.authorization-server" => probes::authorization_server_metadata(&run.target).await,
        "discovery.protected-resource" => probes::protected_resource_metadata(&run.target).await,
        "mcp.unauthenticated" => probes::mcp_requires_token(&run.target).await,
        "registration.dynamic" => flows::dynamic_registration(run).await,
        "authorize.probe" => flows::authorize_probe(run).await,
        "token.exchange" => flows::token_exchange(run).await,
        "mcp.tools-list" => flows::tools_list(run).await,
        "mcp.2026-07-28" => flows::mcp_2026(run).await,
        "backup.drill" => drill::backup_drill(run).await,
        "cimd.advertised" => cimd::advertised(run).await,
        "cimd.self-test-flow" => cimd::metadata_document_flow(run).await,
        "test1.new-user-authorization" => flows::new_user_authorization(run).await,
        "test2.refresh" => flows::refresh(run).await,
        "test3.denial" => flows::denial(run).await,
        "test4.invalid-client" => flows::invalid_client(run).await,
        "test5.revocation" => flows::revocation(run).await,
        "connections.revoke" => flows::connections_revoke(run).await,
        "security.https" => probes::https_everywhere(&run.target).await,
        "security.cors" => probes::cors_only_configured_origins(&run.target).await,
        "security.frame-headers" => security::pages_refuse_framing(run).await,
        "security.token-lifetimes" => security::token_lifetimes(run).await,
        "security.secrets-hashed" => security::secrets_hashed(run).await,
        "clerk.session-token" => flows::clerk_session_token(run).await,
        "security.rate-limit" => security::rate_limit(run).await,
        other => Err(checklist::Halt::Fail(format!("no such check {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_a_unique_id_and_is_in_the_deployment_checklist() {
        let checklist = include_str!("../../CHECKLIST.md");
        let mut ids = check_ids();
        for id in &ids {
            assert!(
                checklist.contains(&format!("[{id}]")),
                "CHECKLIST.md does not name [{id}]"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len(), "duplicate check ids");
    }

    #[test]
    fn the_rate_limit_probe_runs_last() {
        assert_eq!(CHECKS.last().map(|c| c.id), Some("security.rate-limit"));
    }
}
