//! `mcp-oauth verify --base-url` against a separately started server (in-process, on
//! loopback): a good deployment passes, and each broken setting fails (or skips) the item that
//! names it, with a reason an operator can act on.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use cli::{Output, Test};
use common::{TestServer, PASSWORD, REDIRECT};
use mcp_oauth::client::ClientAuth;
use mcp_oauth::http::LoginMode;
use mcp_oauth::login::clerk::Clerk;

/// `id → (status, reason)` from a `--json` report.
fn outcomes(out: &Output) -> BTreeMap<String, (String, String)> {
    out.json()["checks"]
        .as_array()
        .expect("a checks array")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                (
                    c["status"].as_str().unwrap().to_string(),
                    c["reason"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

fn status_of<'a>(o: &'a BTreeMap<String, (String, String)>, id: &str) -> (&'a str, &'a str) {
    let (s, r) = o.get(id).unwrap_or_else(|| panic!("no result for {id}: {o:?}"));
    (s.as_str(), r.as_str())
}

/// `verify --json --base-url <server>` plus `args`; the exit status must be `status`.
fn verify(s: &TestServer, args: &[&str]) -> Test {
    Test::new()
        .args(["verify", "--json", "--base-url", &s.issuer])
        .args(args)
}

/// Runs the (blocking) binary off the runtime, so the in-process server keeps serving.
async fn run(test: Test) -> Output {
    tokio::task::spawn_blocking(move || test.run())
        .await
        .expect("verify ran")
}

fn secret_of(client: &ClientAuth) -> &str {
    match client {
        ClientAuth::Basic(_, s) | ClientAuth::Post(_, s) => s,
        ClientAuth::Public(_) => "",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_with_a_registered_client_and_user_passes_and_is_left_as_found() {
    let s = TestServer::start_with(|c| c.refresh_grace = Duration::from_secs(1)).await;
    s.add_user("alice").await;
    let client = s.confidential_client(&[REDIRECT]).await;
    let db = s.database_path();
    let out = run(verify(
        &s,
        &["--client-id", client.client_id(), "--redirect-uri", REDIRECT],
    )
    .args([
        "--username",
        "alice",
        "--password-stdin",
        "--refresh-grace",
        "1s",
        "--backup-drill",
        "--database",
    ])
    .arg(db.as_os_str())
    .env("MCP_OAUTH_CLIENT_SECRET", secret_of(&client))
    .stdin(format!("{PASSWORD}\n")))
    .await;
    let o = outcomes(&out);
    // The restore drill ran against this database: backed up, restored, the token worked.
    assert_eq!(status_of(&o, "backup.drill"), ("pass", ""));
    for (id, (status, reason)) in &o {
        let expected = match id.as_str() {
            "registration.dynamic"
            | "clerk.session-token"
            | "security.rate-limit"
            | "cimd.self-test-flow" => "skip",
            _ => "pass",
        };
        assert_eq!(status, expected, "{id}: {reason}");
    }
    assert_eq!(
        status_of(&o, "registration.dynamic").1,
        "a client was given (--client-id): verify registers no other on a deployment"
    );
    assert!(
        status_of(&o, "cimd.self-test-flow")
            .1
            .contains("runs in the self-test"),
        "{:?}",
        status_of(&o, "cimd.self-test-flow")
    );
    assert_eq!(out.json()["mode"], "deployment");
    // Nothing left behind: every token revoked, the memory deleted.
    let live = "SELECT (SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NULL) \
                + (SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL)";
    assert_eq!(s.count(live).await, 0, "verify left live tokens behind");
    assert_eq!(
        s.count("SELECT count(*) FROM memories").await,
        0,
        "verify left a memory behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_client_verify_registers_one_and_says_how_to_delete_it() {
    let s = TestServer::start().await;
    s.add_user("bob").await;
    let out = run(verify(&s, &["--username", "bob", "--password-stdin"]).stdin(PASSWORD)).await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "registration.dynamic");
    assert_eq!(status, "pass");
    assert!(reason.contains("mcp-oauth client delete mcp_oauth_"), "{reason}");
    for id in [
        "token.exchange",
        "mcp.tools-list",
        "test1.new-user-authorization",
        "test3.denial",
        "test4.invalid-client",
        "test5.revocation",
        "connections.revoke",
    ] {
        assert_eq!(status_of(&o, id).0, "pass", "{id}: {}", status_of(&o, id).1);
    }
    // The server's default 60 s grace is not waited out unless asked.
    let (status, reason) = status_of(&o, "test2.refresh");
    assert_eq!(status, "pass");
    assert!(reason.contains("--wait-grace"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_that_is_not_the_url_it_is_reached_at_fails_discovery_naming_both() {
    let s = TestServer::start_with(|c| c.issuer = "https://ai-memory.example".into()).await;
    let reached = format!("http://{}", s.server.addr);
    let out = run(Test::new()
        .args(["verify", "--json", "--only", "discovery", "--base-url", &reached])
        .status(1))
    .await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "discovery.authorization-server");
    assert_eq!(status, "fail");
    assert!(
        reason.contains("https://ai-memory.example") && reason.contains(&reached),
        "{reason}"
    );
    assert_eq!(out.json()["passed"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_off_and_no_client_fails_registration_and_skips_what_needs_a_client() {
    let s = TestServer::start_with(|c| c.registration_enabled = false).await;
    s.add_user("carol").await;
    let out = run(verify(&s, &["--username", "carol", "--password-stdin"])
        .stdin(PASSWORD)
        .status(1))
    .await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "registration.dynamic");
    assert_eq!(status, "fail");
    assert!(
        reason.contains("no dynamic registration") && reason.contains("--client-id"),
        "{reason}"
    );
    for id in [
        "authorize.probe",
        "token.exchange",
        "mcp.tools-list",
        "test1.new-user-authorization",
        "test2.refresh",
        "test3.denial",
        "test5.revocation",
        "connections.revoke",
        "security.token-lifetimes",
    ] {
        let (status, reason) = status_of(&o, id);
        assert_eq!(status, "skip", "{id} must be skipped, not {status}: {reason}");
        assert!(reason.contains("needs a client"), "{id}: {reason}");
    }
    // What needs no client still runs.
    let (status, reason) = status_of(&o, "test4.invalid-client");
    assert_eq!(status, "pass");
    assert!(reason.contains("not checked"), "{reason}");
    assert_eq!(out.json()["totals"]["failed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_with_metadata_documents_off_is_told_so_not_failed() {
    let s = TestServer::start_with(|c| c.cimd.enabled = false).await;
    let out = run(verify(&s, &["--only", "discovery", "--only", "cimd"])).await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "cimd.advertised");
    assert_eq!(status, "skip");
    assert!(
        reason.contains("client_id_metadata_document_supported is not true") && reason.contains("--cimd off"),
        "{reason}"
    );
    assert_eq!(status_of(&o, "cimd.self-test-flow").0, "skip");
    assert_eq!(out.json()["totals"]["failed"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cors_list_that_lets_a_foreign_origin_in_fails_security_cors() {
    let foreign = mcp_oauth::verify::probes::FOREIGN_ORIGIN;
    let s = TestServer::start_with(|c| c.cors_origins = vec![foreign.into()]).await;
    let out = run(verify(&s, &["--only", "discovery", "--only", "security"]).status(1)).await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "security.cors");
    assert_eq!(status, "fail");
    assert!(
        reason.contains("foreign origin") && reason.contains(foreign),
        "{reason}"
    );
    let failed: Vec<_> = o
        .iter()
        .filter(|(_, (s, _))| s == "fail")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(failed, ["security.cors"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_cors_origin_that_the_server_does_not_allow_fails() {
    let s = TestServer::start().await;
    let out = run(verify(
        &s,
        &["--only", "security.cors", "--cors-origin", "https://app.example"],
    )
    .status(1))
    .await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "security.cors");
    assert_eq!(status, "fail");
    assert!(reason.contains("https://app.example"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_user_the_flows_are_skipped_not_passed() {
    let s = TestServer::start().await;
    let client = s.public_client(&[REDIRECT]).await;
    let out = run(verify(
        &s,
        &["--client-id", client.client_id(), "--redirect-uri", REDIRECT],
    ))
    .await;
    let o = outcomes(&out);
    for id in [
        "token.exchange",
        "test1.new-user-authorization",
        "test3.denial",
        "test5.revocation",
        "connections.revoke",
    ] {
        let (status, reason) = status_of(&o, id);
        assert_eq!(status, "skip", "{id}: {reason}");
        assert!(
            reason.contains("--username") && reason.contains("--session-token"),
            "{id}: {reason}"
        );
    }
    let (status, reason) = status_of(&o, "authorize.probe");
    assert_eq!(status, "pass");
    assert!(reason.contains("not checked"), "{reason}");
    // A public client has no secret to get wrong.
    assert!(status_of(&o, "test4.invalid-client").1.contains("wrong secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_grace_longer_than_verify_was_told_fails_test2_with_the_hint() {
    let s = TestServer::start().await; // 60 s grace
    s.add_user("dave").await;
    let client = s.public_client(&[REDIRECT]).await;
    let out = run(verify(
        &s,
        &[
            "--only",
            "test2",
            "--client-id",
            client.client_id(),
            "--redirect-uri",
            REDIRECT,
        ],
    )
    .args(["--username", "dave", "--password-stdin", "--refresh-grace", "1s"])
    .stdin(PASSWORD)
    .status(1))
    .await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "test2.refresh");
    assert_eq!(status, "fail");
    assert!(
        reason.contains("still works") && reason.contains("--refresh-grace"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_secret_stored_in_plaintext_fails_secrets_hashed() {
    let s = TestServer::start().await;
    use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
    clients::insert(
        &s.store,
        &NewClient {
            client_id: "mcp_oauth_plain".into(),
            client_name: "Plain".into(),
            secret_hash: Some("mcp_cs_in-the-clear".into()),
            redirect_uris: vec![REDIRECT.into()],
            scopes: mcp_oauth::oauth::scope::ScopeSet::all(),
            auth_method: AuthMethod::ClientSecretBasic,
            user_id: None,
            registration: Registration::Cli,
            created_at: 0,
        },
    )
    .await
    .unwrap();
    let db = s.database_path();
    let out = run(verify(&s, &["--only", "security.secrets-hashed", "--database"])
        .arg(db.as_os_str())
        .status(1))
    .await;
    let o = outcomes(&out);
    let (status, reason) = status_of(&o, "security.secrets-hashed");
    assert_eq!(status, "fail");
    assert!(reason.contains("mcp_oauth_plain"), "{reason}");
    // Without the database it cannot tell: skipped.
    let out = run(verify(&s, &["--only", "security.secrets-hashed"])).await;
    assert_eq!(status_of(&outcomes(&out), "security.secrets-hashed").0, "skip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_clerk_session_token_verify_signs_in_and_the_token_opens_the_mcp_endpoint() {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let clerk = Clerk::with_pem(
        &public_pem,
        vec![],
        Some("https://accounts.example.com/sign-in".into()),
    )
    .unwrap();
    let s = TestServer::start_full(
        |c| {
            c.login = LoginMode::Clerk;
            c.refresh_grace = Duration::from_secs(1);
        },
        Some(clerk),
    )
    .await;
    let now = mcp_oauth::clock::now();
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &serde_json::json!({"sub": "user_clerk_verify", "sid": "sess_1", "iat": now - 5, "nbf": now - 5, "exp": now + 120}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let client = s.confidential_client(&[REDIRECT]).await;
    let out = run(verify(
        &s,
        &[
            "--client-id",
            client.client_id(),
            "--redirect-uri",
            REDIRECT,
            "--refresh-grace",
            "1s",
        ],
    )
    .env("MCP_OAUTH_CLIENT_SECRET", secret_of(&client))
    .env("MCP_OAUTH_SESSION_TOKEN", &jwt))
    .await;
    let o = outcomes(&out);
    for (id, (status, reason)) in &o {
        let expected = match id.as_str() {
            "registration.dynamic"
            | "security.rate-limit"
            | "security.secrets-hashed"
            | "backup.drill"
            | "cimd.self-test-flow" => "skip",
            _ => "pass",
        };
        assert_eq!(status, expected, "{id}: {reason}");
    }
}
