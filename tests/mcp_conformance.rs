//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! `tests/interop/conformance` with the Node 22 it needs) against a real server on a real libSQL
//! file, once per MCP revision the endpoint serves: `--spec-version 2026-07-28` and
//! `--spec-version 2025-11-25`.
//!
//! The suite has no way to send a token, and `/api/mcp` answers 401 without one. So the suite
//! talks to a small reverse proxy on `127.0.0.1` that adds `Authorization: Bearer <token>` (a
//! token minted into the database with every scope, as the token endpoint stores them) to each
//! request and passes everything else, `Host` and `Origin` included, through unchanged. The
//! server's issuer is the proxy's URL, as behind any reverse proxy (`--issuer`), so the
//! DNS-rebinding scenario meets the server's own `Host` and `Origin` checks.
//!
//! Each applicable scenario runs on its own (`--scenario`) and its checks are read from the
//! `checks.json` the suite writes. Every check must pass, except the few listed in
//! [`NOT_TESTABLE`]: checks that need a fixture tool of the suite's reference server or a
//! capability this server does not advertise, which must fail for exactly that reason. The
//! suite's output for every scenario is printed
//! (`cargo test --test mcp_conformance -- --nocapture`).
//!
//! Outside CI the test is skipped, saying so, when the suite is not installed
//! (`tests/interop/install.sh`); under `CI=true` that is a failure.

#[path = "common/mcp.rs"]
mod harness;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{TestServer, ALL_SCOPES};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// Scenarios of the suite that apply to this server (tools only, JSON responses, stateless),
/// per revision. Every check in them must pass.
const APPLICABLE_2026: &[&str] = &[
    // No initialize, per-request `_meta`, removed methods answered 404 + -32601, error ids echoed.
    "server-stateless",
    // Tools listed with their schemas, `resultType`, `ttlMs` and `cacheScope`.
    "tools-list",
    // `ttlMs` and `cacheScope` on `tools/list` and `server/discover`.
    "caching",
    // `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` checked against the body.
    "http-header-validation",
    // A foreign `Host` or `Origin` is refused.
    "dns-rebinding-protection",
    // Concurrent POSTs each answered (JSON; SSE is optional).
    "server-sse-multiple-streams",
];

const APPLICABLE_2025: &[&str] = &[
    "server-initialize",
    "ping",
    "tools-list",
    "dns-rebinding-protection",
];

/// Checks inside applicable scenarios that cannot pass against this server, each with the
/// fragment its failure message must contain: the suite reports them as failures although they
/// only say the server lacks the suite's fixture or a capability it never advertised.
const NOT_TESTABLE: &[(&str, &str)] = &[
    // server-stateless: need the suite's diagnostic tools.
    (
        "sep-2575-server-rejects-undeclared-capability",
        "test_missing_capability",
    ),
    ("sep-2575-missing-capability-http-400", "test_missing_capability"),
    (
        "sep-2575-http-server-no-independent-requests-on-stream",
        "test_streaming_elicitation",
    ),
    ("sep-2575-server-no-log-without-loglevel", "test_logging_tool"),
    // caching: prompts and resources are not advertised, so their lists answer 404 + -32601,
    // as the revision requires of a method the server does not implement.
    ("sep-2549-prompts-list-caching-hints", "-32601"),
    ("sep-2549-resources-list-caching-hints", "-32601"),
    ("sep-2549-resources-templates-list-caching-hints", "-32601"),
];

/// Scenarios of the suite that do not apply, and why. They call fixtures of the suite's own
/// reference server (tools such as `test_simple_text`, prompts, resources) or features this
/// server does not offer; none of them is advertised by this server.
#[allow(dead_code)]
const NOT_APPLICABLE: &[(&str, &str)] = &[
    (
        "http-custom-header-server-validation",
        "no tool declares an x-mcp-header parameter: every check is 'not testable'",
    ),
    (
        "completion-complete",
        "no prompts or resource templates to complete",
    ),
    (
        "tools-call-simple-text",
        "calls the suite's fixture tool test_simple_text",
    ),
    (
        "tools-call-image",
        "calls the suite's fixture tool test_image_content",
    ),
    (
        "tools-call-audio",
        "calls the suite's fixture tool test_audio_content",
    ),
    (
        "tools-call-embedded-resource",
        "calls the suite's fixture tool test_embedded_resource",
    ),
    (
        "tools-call-mixed-content",
        "calls the suite's fixture tool test_multiple_content_types",
    ),
    (
        "tools-call-error",
        "calls the suite's fixture tool test_error_handling",
    ),
    (
        "tools-call-with-progress",
        "JSON responses only: no progress notifications (no SSE)",
    ),
    (
        "tools-call-with-logging",
        "no logging capability; JSON responses only",
    ),
    ("tools-call-sampling", "no tool asks the client for sampling"),
    (
        "tools-call-elicitation",
        "no tool asks the client for elicitation",
    ),
    ("elicitation-sep1034-defaults", "no elicitation"),
    ("elicitation-sep1330-enums", "no elicitation"),
    (
        "json-schema-2020-12",
        "calls the suite's fixture tool json_schema_2020_12_tool",
    ),
    (
        "server-sse-multiple-streams (2025-11-25)",
        "needs an Mcp-Session-Id; stateless (the 2026-07-28 variant runs)",
    ),
    (
        "server-sse-polling",
        "needs an Mcp-Session-Id and SSE; stateless, JSON only",
    ),
    (
        "server-session-lifecycle",
        "stateless: no Mcp-Session-Id; the suite itself reports it not applicable",
    ),
    ("logging-set-level", "no logging capability"),
    ("resources-list", "no resources capability"),
    ("resources-read-text", "no resources capability"),
    ("resources-read-binary", "no resources capability"),
    ("resources-templates-read", "no resources capability"),
    ("resources-subscribe", "no resources capability"),
    ("resources-unsubscribe", "no resources capability"),
    ("sep-2164-resource-not-found", "no resources capability"),
    ("prompts-list", "no prompts capability"),
    ("prompts-get-simple", "no prompts capability"),
    ("prompts-get-with-args", "no prompts capability"),
    ("prompts-get-embedded-resource", "no prompts capability"),
    ("prompts-get-with-image", "no prompts capability"),
    (
        "input-required-result-*",
        "no tool needs input from the client (no InputRequiredResult)",
    ),
];

const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/conformance")
}

/// The pinned Node and the suite's entry point, or `None` (after saying why) outside CI when
/// they are not installed.
fn suite() -> Option<(PathBuf, PathBuf)> {
    let dir = suite_dir();
    let node = dir.join("node_modules/.bin/node");
    let cli = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    if node.is_file() && cli.is_file() {
        return Some((node, cli));
    }
    let message = format!(
        "{} has no conformance suite; run tests/interop/install.sh",
        dir.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    println!("SKIPPED: {message}");
    None
}

/// A reverse proxy on `127.0.0.1:0` to `upstream` that adds the bearer token to every request.
struct BearerProxy {
    addr: SocketAddr,
    forwarded: Arc<AtomicUsize>,
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

impl BearerProxy {
    async fn bind() -> (TcpListener, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy addr");
        (listener, addr)
    }

    fn start(listener: TcpListener, upstream: SocketAddr, token: &str) -> BearerProxy {
        let addr = listener.local_addr().expect("proxy addr");
        let auth = HeaderValue::from_str(&format!("Bearer {token}")).expect("header value");
        let forwarded = Arc::new(AtomicUsize::new(0));
        let count = forwarded.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (auth, count) = (auth.clone(), count.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        count.fetch_add(1, Ordering::SeqCst);
                        forward(req, upstream, auth.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        BearerProxy { addr, forwarded }
    }
}

/// One request to `upstream` over a fresh connection, with the token added.
async fn forward(
    req: Request<Incoming>,
    upstream: SocketAddr,
    auth: HeaderValue,
) -> Result<Response<ProxyBody>, Infallible> {
    let bad_gateway = |why: String| {
        let mut res = Response::new(Full::new(Bytes::from(why)).map_err(|e| match e {}).boxed());
        *res.status_mut() = StatusCode::BAD_GATEWAY;
        res
    };
    let stream = match TcpStream::connect(upstream).await {
        Ok(s) => s,
        Err(e) => return Ok(bad_gateway(format!("connect: {e}"))),
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
        Ok(pair) => pair,
        Err(e) => return Ok(bad_gateway(format!("handshake: {e}"))),
    };
    tokio::spawn(conn);
    let (mut parts, body) = req.into_parts();
    parts.headers.insert(AUTHORIZATION, auth);
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(res) => Ok(res.map(|b| b.boxed())),
        Err(e) => Ok(bad_gateway(format!("upstream: {e}"))),
    }
}

/// What one scenario's checks came to.
#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
    warnings: Vec<String>,
    skipped: usize,
    /// Failures listed in [`NOT_TESTABLE`], failing for the reason given there.
    not_testable: usize,
}

/// Runs one scenario against `url` at `revision`, prints its output, and tallies its checks.
async fn run_scenario(node: &Path, cli: &Path, url: &str, revision: &str, scenario: &str) -> Tally {
    let out = tempfile::tempdir().expect("output dir");
    let output = tokio::time::timeout(
        SCENARIO_TIMEOUT,
        Command::new(node)
            .arg(cli)
            .args([
                "server",
                "--url",
                url,
                "--spec-version",
                revision,
                "--scenario",
                scenario,
            ])
            .arg("--output-dir")
            .arg(out.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the conformance suite finished in time")
    .expect("the conformance suite started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!(
        "--- {revision} {scenario} (exit {:?})\n{stdout}{stderr}",
        output.status.code()
    );
    let checks = read_checks(out.path(), scenario);
    let mut tally = Tally::default();
    for check in &checks {
        let id = check["id"].as_str().unwrap_or("?");
        let what = format!(
            "{id}: {}",
            check["errorMessage"]
                .as_str()
                .or(check["description"].as_str())
                .unwrap_or("")
        );
        let not_testable = NOT_TESTABLE.iter().find(|(nt, _)| *nt == id);
        match (check["status"].as_str(), not_testable) {
            (Some("SUCCESS"), _) => tally.passed += 1,
            (Some("FAILURE"), Some((_, why))) if what.contains(why) => tally.not_testable += 1,
            (Some("FAILURE"), _) => tally.failed.push(what),
            (Some("WARNING"), _) => tally.warnings.push(what),
            _ => tally.skipped += 1,
        }
    }
    assert!(
        !checks.is_empty(),
        "{revision} {scenario}: the suite wrote no checks (exit {:?})",
        output.status.code()
    );
    assert_eq!(
        output.status.success(),
        tally.failed.is_empty() && tally.not_testable == 0,
        "{revision} {scenario}: the suite's exit status and its checks disagree"
    );
    tally
}

/// The checks of the one scenario run written under `dir` (`server-<scenario>-<time>/checks.json`).
fn read_checks(dir: &Path, scenario: &str) -> Vec<Value> {
    let run = std::fs::read_dir(dir)
        .expect("read the output dir")
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("server-{scenario}-"))
        });
    let Some(run) = run else { return Vec::new() };
    let text = std::fs::read_to_string(run.path().join("checks.json")).expect("checks.json");
    serde_json::from_str(&text).expect("checks.json is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_conformance_suite_passes_every_applicable_scenario_in_both_revisions() {
    let Some((node, cli)) = suite() else { return };
    let started = Instant::now();
    let (listener, proxy_addr) = BearerProxy::bind().await;
    let t = TestServer::start_with(|c| c.issuer = format!("http://{proxy_addr}")).await;
    let token = t.token("conformance-user", ALL_SCOPES).await;
    let proxy = BearerProxy::start(listener, t.server.addr, &token);
    let url = format!("http://{}/api/mcp", proxy.addr);

    let mut summary = Vec::new();
    let mut failures = Vec::new();
    for (revision, scenarios) in [("2026-07-28", APPLICABLE_2026), ("2025-11-25", APPLICABLE_2025)] {
        for scenario in scenarios.iter().copied() {
            let tally = run_scenario(&node, &cli, &url, revision, scenario).await;
            summary.push(format!(
                "{revision} {scenario:<28} {:>2} passed, {} failed, {} not testable, {} skipped, {} warnings",
                tally.passed,
                tally.failed.len(),
                tally.not_testable,
                tally.skipped,
                tally.warnings.len()
            ));
            for f in tally.failed {
                failures.push(format!("{revision} {scenario}: {f}"));
            }
            for w in tally.warnings {
                summary.push(format!("    warning: {w}"));
            }
        }
    }
    println!(
        "conformance summary ({} requests through the proxy, {:.1} s):\n{}",
        proxy.forwarded.load(Ordering::SeqCst),
        started.elapsed().as_secs_f64(),
        summary.join("\n")
    );
    assert!(failures.is_empty(), "failed checks:\n{}", failures.join("\n"));
}
