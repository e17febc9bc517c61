//! The official MCP SDK clients against a real server on a loopback port: the TypeScript SDK
//! (`tests/interop/node`, npm `@modelcontextprotocol/sdk` 1.x for MCP 2025-11-25 and
//! `@modelcontextprotocol/client` 2.x for 2026-07-28) and the Python SDK (`tests/interop/python`,
//! PyPI `mcp`), pinned and installed by `tests/interop/install.sh`.
//!
//! Two runs per SDK: with a minted access token (the MCP part: initialize, tools/list, the tools
//! with their output schemas validated by the SDK), and the whole OAuth flow from a bare 401 to
//! revocation, with the script playing the browser through login and consent.
//!
//! The TypeScript v2 client also runs as a Client ID Metadata Document client
//! (`clientMetadataUrl`): its document is served over https from a loopback host with a
//! certificate authority made for the test, which the server trusts through the operator's
//! settings (`--cimd-trusted-host`, `--extra-ca-file`) and Node through `NODE_EXTRA_CA_CERTS`.
//!
//! A test is skipped, saying so, only when its SDK is not installed.

#[path = "common/mcp.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use harness::{TestServer, ALL_SCOPES};
use mcp_oauth::storage::clients::{self, Registration};
use mcp_oauth::verify::document_host::{DocumentHost, DOCUMENT_PATH};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);
const USERNAME: &str = "interop";
const PASSWORD: &str = "correct horse battery staple";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// `node flow.mjs`, or `None` (after saying why) when the npm packages are not installed.
fn node_flow() -> Option<Command> {
    let dir = interop_dir().join("node");
    if !dir.join("node_modules/@modelcontextprotocol/sdk").is_dir() {
        println!(
            "SKIPPED: {} has no node_modules; run tests/interop/install.sh",
            dir.display()
        );
        return None;
    }
    let mut cmd = Command::new("node");
    cmd.arg("flow.mjs").current_dir(dir);
    Some(cmd)
}

/// `node flow2026.mjs` (the v2 client) with `versionNegotiation` `negotiation` (`auto` or
/// `pin`), or `None` (after saying why) when the package is not installed.
fn node_flow_2026(negotiation: &str) -> Option<Command> {
    let dir = interop_dir().join("node");
    if !dir.join("node_modules/@modelcontextprotocol/client").is_dir() {
        println!(
            "SKIPPED: {} has no @modelcontextprotocol/client; run tests/interop/install.sh",
            dir.display()
        );
        return None;
    }
    let mut cmd = Command::new("node");
    cmd.arg("flow2026.mjs")
        .current_dir(dir)
        .env("MCP_OAUTH_INTEROP_NEGOTIATION", negotiation);
    Some(cmd)
}

/// `.venv/bin/python flow.py`, or `None` (after saying why) when the venv is not installed.
fn python_flow() -> Option<Command> {
    let dir = interop_dir().join("python");
    let python = dir.join(".venv/bin/python");
    if !python.is_file() {
        println!(
            "SKIPPED: {} has no .venv; run tests/interop/install.sh",
            dir.display()
        );
        return None;
    }
    let mut cmd = Command::new(python);
    cmd.arg("flow.py").current_dir(dir);
    Some(cmd)
}

/// Runs a flow script against `t`, printing its output, and fails the test unless it succeeds.
async fn run(mut cmd: Command, t: &TestServer, token: Option<&str>) {
    cmd.env("MCP_OAUTH_INTEROP_URL", t.issuer())
        .env("MCP_OAUTH_INTEROP_USERNAME", USERNAME)
        .env("MCP_OAUTH_INTEROP_PASSWORD", PASSWORD)
        .env_remove("MCP_OAUTH_INTEROP_TOKEN")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(token) = token {
        cmd.env("MCP_OAUTH_INTEROP_TOKEN", token);
    }
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, cmd.output())
        .await
        .expect("the interop script finished in time")
        .expect("the interop script started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the interop script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all ok"), "{stdout}");
}

/// A local account for the script to log in with, made the way an operator makes one.
async fn add_user(t: &TestServer) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-oauth"))
        .arg("--database")
        .arg(t.database_path())
        .args(["user", "add", USERNAME, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mcp-oauth user add");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .expect("write the password");
    drop(stdin);
    let output = child.wait_with_output().await.expect("user add finished");
    assert!(
        output.status.success(),
        "mcp-oauth user add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_client_uses_every_kind_of_tool_with_a_bearer_token() {
    let Some(cmd) = node_flow() else { return };
    let t = TestServer::start().await;
    let token = t.token("ts-user", ALL_SCOPES).await;
    run(cmd, &t, Some(&token)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_client_lands_on_2026_07_28_by_default_and_uses_the_tools() {
    let Some(cmd) = python_flow() else { return };
    let t = TestServer::start().await;
    let token = t.token("py-user", ALL_SCOPES).await;
    run(cmd, &t, Some(&token)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_client_completes_the_oauth_flow_from_a_bare_401_to_revocation() {
    let Some(cmd) = node_flow() else { return };
    let t = TestServer::start().await;
    add_user(&t).await;
    run(cmd, &t, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_client_completes_the_oauth_flow_from_a_bare_401_to_revocation() {
    let Some(cmd) = python_flow() else { return };
    let t = TestServer::start().await;
    add_user(&t).await;
    run(cmd, &t, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_v2_client_in_auto_mode_lands_on_2026_07_28_without_initialize() {
    let Some(cmd) = node_flow_2026("auto") else { return };
    let t = TestServer::start().await;
    let token = t.token("ts2-user", ALL_SCOPES).await;
    run(cmd, &t, Some(&token)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_v2_client_in_auto_mode_completes_the_oauth_flow_on_2026_07_28() {
    let Some(cmd) = node_flow_2026("auto") else { return };
    let t = TestServer::start().await;
    add_user(&t).await;
    run(cmd, &t, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_v2_client_pinned_to_2026_07_28_completes_the_oauth_flow() {
    let Some(cmd) = node_flow_2026("pin") else { return };
    let t = TestServer::start().await;
    add_user(&t).await;
    run(cmd, &t, None).await;
}

/// The redirect URI `flow2026.mjs` uses.
const TS_REDIRECT: &str = "http://127.0.0.1:33418/callback";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_v2_client_with_a_client_metadata_url_completes_the_oauth_flow_without_registering() {
    let Some(mut cmd) = node_flow_2026("pin") else {
        return;
    };
    let host = DocumentHost::start(|client_id| {
        serde_json::json!({
            "client_id": client_id,
            "client_name": "mcp-oauth interop (TypeScript SDK v2, metadata document)",
            "redirect_uris": [TS_REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })
        .to_string()
    })
    .await
    .expect("document host");
    let t = TestServer::start_with(|c| host.trust(&mut c.cimd).expect("trust the document host")).await;
    add_user(&t).await;
    let ca = tempfile::NamedTempFile::new().expect("CA file");
    std::fs::write(ca.path(), host.ca_pem()).expect("write the CA");
    cmd.env("MCP_OAUTH_INTEROP_CLIENT_METADATA_URL", host.client_id())
        .env("NODE_EXTRA_CA_CERTS", ca.path());
    run(cmd, &t, None).await;

    // The server fetched the document (besides the script's own check of it) ...
    let requests = host.requests();
    let server_fetches: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.headers
                .iter()
                .any(|(k, v)| k == "user-agent" && v.starts_with("mcp-oauth"))
        })
        .collect();
    for r in &requests {
        println!("document host received: {} {} {:?}", r.method, r.path, r.headers);
    }
    assert!(
        server_fetches
            .iter()
            .any(|r| r.method == "GET" && r.path == DOCUMENT_PATH),
        "the server never fetched the document: {requests:?}"
    );
    // ... no registration request reached it (the per-route request metric lists a route once it
    // has served a request: the token endpoint is there, registration is not) ...
    let metrics = reqwest::get(format!("{}/metrics", t.issuer()))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text");
    let served = |route: &str| {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "mcp_oauth_request_duration_seconds_count{{route=\"{route}\"}} "
                ))
            })
            .map(|n| n.parse::<u64>().expect("a count"))
            .unwrap_or(0)
    };
    assert!(
        served("token") >= 1,
        "the token endpoint served nothing?\n{metrics}"
    );
    assert_eq!(served("register"), 0, "a registration request reached the server");
    // ... and the client is recorded as a metadata-document client.
    let client = clients::find(&t.store, &host.client_id())
        .await
        .expect("read the client")
        .expect("the metadata-document client is recorded");
    assert_eq!(client.registration, Registration::MetadataDocument);
}
