//! The server on a remote libSQL database: a real `sqld` on a loopback port, real servers on
//! it. Idle streams expiring, the database going away and coming back, and several instances
//! sharing one database, each test named for what it pins. Skipped, with a line saying how to
//! get sqld, where there is none (CI has one: `../shared/tools/sqld`).

mod common;
#[path = "common/sqld.rs"]
mod sqld;

use std::time::{Duration, Instant};

use common::{json, TestServer, REDIRECT};
use mcp_oauth::client::mcp::McpClient;
use mcp_oauth::client::{self, Browser, ClientAuth};
use mcp_oauth::http::ServerConfig;
use mcp_oauth::storage::Store;
use sqld::Sqld;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth");

/// Longer than sqld's idle stream expiry (10 s).
const PAST_STREAM_EXPIRY: Duration = Duration::from_secs(12);

fn mcp(t: &TestServer, token: &str) -> McpClient {
    McpClient::new(t.http.clone(), &t.resource(), Some(token))
}

/// A new user signed in, a public client, and the tokens of one authorization.
async fn signed_in_client(t: &TestServer) -> (ClientAuth, client::TokenResponse) {
    let mut browser = t.signed_in("alice").await;
    let client = t.public_client(&[REDIRECT]).await;
    let tokens = t.tokens_for(&mut browser, &client).await;
    (client, tokens)
}

async fn status(t: &TestServer, path: &str) -> u16 {
    t.http
        .get(t.url(path))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_sqld_survives_its_streams_expiring_while_idle() {
    let Some(sqld) = Sqld::start() else { return };
    let t = TestServer::start_on(sqld.migrated_store().await, |_| {}).await;
    let (client, tokens) = signed_in_client(&t).await;
    let access = tokens.access_token.clone();
    mcp(&t, &access)
        .list_tools()
        .await
        .expect("tools/list before idling");

    tokio::time::sleep(PAST_STREAM_EXPIRY).await;

    assert_eq!(status(&t, "/readyz").await, 200, "readyz after idling");
    let tools = mcp(&t, &access)
        .list_tools()
        .await
        .expect("tools/list after idling");
    assert!(!tools.is_empty());
    let refreshed = client::refresh(
        &t.http,
        &t.issuer,
        &client,
        tokens.refresh_token.as_deref().expect("refresh token"),
    )
    .await
    .expect("refresh request");
    assert_eq!(refreshed.status(), 200, "a write after idling");
    let added = mcp(&t, &access)
        .call_tool(
            "add_memory",
            serde_json::json!({ "content": "written after the stream expired" }),
        )
        .await
        .expect("add_memory after idling");
    assert_ne!(added["isError"], serde_json::json!(true), "{added}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_sqld_answers_503_while_it_is_down_and_recovers_without_a_restart() {
    let Some(mut sqld) = Sqld::start() else { return };
    let t = TestServer::start_on(sqld.migrated_store().await, |_| {}).await;
    let (client, tokens) = signed_in_client(&t).await;
    let access = tokens.access_token.clone();
    mcp(&t, &access)
        .list_tools()
        .await
        .expect("tools/list before the outage");

    sqld.kill();

    assert_eq!(status(&t, "/readyz").await, 503, "readyz while sqld is down");
    let down = mcp(&t, &access)
        .rpc("tools/list", serde_json::json!({}))
        .await
        .expect("answer");
    assert_eq!(down.status, 503, "{}", down.body);
    let refused = client::refresh(
        &t.http,
        &t.issuer,
        &client,
        tokens.refresh_token.as_deref().expect("refresh token"),
    )
    .await
    .expect("refresh request");
    assert_eq!(refused.status(), 503);
    let body = json(refused).await;
    assert_eq!(body["error"], "temporarily_unavailable");

    sqld.restart();
    let back = Instant::now();
    let mut ready = false;
    for _ in 0..100 {
        if status(&t, "/readyz").await == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "readyz never recovered after sqld came back");
    eprintln!("readyz 200 again {:?} after sqld restarted", back.elapsed());

    mcp(&t, &access)
        .list_tools()
        .await
        .expect("tools/list after the outage");
    // The refresh that answered 503 changed nothing: the same refresh token still works.
    let refreshed = client::refresh(
        &t.http,
        &t.issuer,
        &client,
        tokens.refresh_token.as_deref().expect("refresh token"),
    )
    .await
    .expect("refresh request");
    assert_eq!(
        refreshed.status(),
        200,
        "the refresh refused during the outage was not applied"
    );
}

// ---- several instances, one database ---------------------------------------------------

/// Two instances of one deployment on one sqld: the same issuer, each its own process state
/// (pool, rate limits, caches). Requests "through B" go to B's own address.
async fn two_instances(sqld: &Sqld, configure: impl Fn(&mut ServerConfig)) -> (TestServer, TestServer) {
    // As `serve` runs on a remote database: validated tokens cached for 2 s.
    let configure = |config: &mut ServerConfig| {
        config.revocation_lag = Duration::from_secs(2);
        configure(config);
    };
    let a = TestServer::start_on(sqld.migrated_store().await, configure).await;
    let store_b = Store::open(&sqld.target()).await.expect("second store");
    let issuer = a.issuer.clone();
    let b = TestServer::start_on(store_b, |config| {
        configure(config);
        config.issuer = issuer;
    })
    .await;
    (a, b)
}

/// The address of instance `t` itself (not the shared issuer).
fn base(t: &TestServer) -> String {
    t.server.base_url()
}

async fn mcp_status(t: &TestServer, token: &str) -> u16 {
    McpClient::new(t.http.clone(), &format!("{}/api/mcp", base(t)), Some(token))
        .rpc("tools/list", serde_json::json!({}))
        .await
        .expect("answer")
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_redemptions_of_one_code_over_two_instances_succeed_once_and_the_replay_revokes_it()
{
    let Some(sqld) = Sqld::start() else { return };
    let (a, b) = two_instances(&sqld, |_| {}).await;
    let mut browser = a.signed_in("alice").await;
    let client = a.public_client(&[REDIRECT]).await;
    let (code, pkce) = a.code_for(&mut browser, &client).await;

    let attempts: Vec<_> = (0..50)
        .map(|i| {
            let http = a.http.clone();
            let url = if i % 2 == 0 { base(&a) } else { base(&b) };
            let (client, code, verifier) = (client.clone(), code.clone(), pkce.verifier.clone());
            tokio::spawn(async move {
                let resp = client::exchange_code(&http, &url, &client, &code, REDIRECT, Some(&verifier))
                    .await
                    .expect("token request");
                let status = resp.status().as_u16();
                (status, resp.json::<serde_json::Value>().await.expect("json"))
            })
        })
        .collect();
    let mut issued = Vec::new();
    for attempt in attempts {
        let (status, body) = attempt.await.expect("task");
        match status {
            200 => issued.push(body["access_token"].as_str().expect("access token").to_string()),
            _ => {
                assert_eq!(status, 400, "{body}");
                assert_eq!(body["error"], "invalid_grant", "{body}");
            }
        }
    }
    assert_eq!(issued.len(), 1, "exactly one redemption succeeds");
    // The 49 replays revoked what the one success issued, for every instance.
    assert_eq!(mcp_status(&a, &issued[0]).await, 401);
    assert_eq!(mcp_status(&b, &issued[0]).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_rotated_on_one_instance_and_reused_on_another_after_the_grace_revokes_the_family_everywhere(
) {
    let Some(sqld) = Sqld::start() else { return };
    let grace = Duration::from_secs(2);
    let (a, b) = two_instances(&sqld, |config| config.refresh_grace = grace).await;
    let mut browser = a.signed_in("alice").await;
    let client = a.public_client(&[REDIRECT]).await;
    let first = a.tokens_for(&mut browser, &client).await;
    let rt1 = first.refresh_token.clone().expect("refresh token");

    let rotated = client::refresh(&a.http, &base(&a), &client, &rt1)
        .await
        .expect("refresh on A");
    assert_eq!(rotated.status(), 200);
    let rotated: client::TokenResponse = rotated.json().await.expect("json");
    let rt2 = rotated.refresh_token.clone().expect("rotated refresh token");

    // Inside the grace, another instance still honours the token just rotated out.
    let in_grace = client::refresh(&b.http, &base(&b), &client, &rt1)
        .await
        .expect("refresh on B");
    assert_eq!(in_grace.status(), 200, "inside the grace");
    let in_grace: client::TokenResponse = in_grace.json().await.expect("json");

    tokio::time::sleep(grace + Duration::from_millis(1500)).await;

    let reuse = client::refresh(&b.http, &base(&b), &client, &rt1)
        .await
        .expect("reuse on B");
    assert_eq!(reuse.status(), 400);
    assert_eq!(json(reuse).await["error"], "invalid_grant");
    // The whole family is gone, on both instances: the rotated token and every access token.
    let after = client::refresh(&a.http, &base(&a), &client, &rt2)
        .await
        .expect("refresh on A");
    assert_eq!(after.status(), 400, "the successor is revoked with its family");
    for token in [&first.access_token, &rotated.access_token, &in_grace.access_token] {
        assert!(refused_within(&a, token, REVOCATION_BOUND).await);
        assert!(refused_within(&b, token, REVOCATION_BOUND).await);
    }
}

/// How long a revocation made elsewhere may take to reach an instance: the README's bound
/// (`--revocation-lag`, 2 s by default) plus a margin for a loaded machine.
const REVOCATION_BOUND: Duration = Duration::from_secs(4);

/// Polls `t` until `token` is refused, within `bound`; returns whether it was.
async fn refused_within(t: &TestServer, token: &str, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if mcp_status(t, token).await == 401 {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .env_remove("MCP_OAUTH_DATABASE")
        .env_remove("TURSO_URL")
        .env_remove("TURSO_AUTH_TOKEN")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run mcp-oauth")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_through_one_instance_or_the_cli_is_refused_by_the_other() {
    let Some(sqld) = Sqld::start() else { return };
    let (a, b) = two_instances(&sqld, |_| {}).await;
    let mut browser = a.signed_in("alice").await;
    let client = a.public_client(&[REDIRECT]).await;

    // RFC 7009 through B.
    let tokens = a.tokens_for(&mut browser, &client).await;
    assert_eq!(mcp_status(&a, &tokens.access_token).await, 200);
    assert_eq!(mcp_status(&b, &tokens.access_token).await, 200);
    let revoked = client::revoke(&b.http, &base(&b), &client, &tokens.access_token)
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        mcp_status(&b, &tokens.access_token).await,
        401,
        "at once on the instance that revoked"
    );
    assert!(refused_within(&a, &tokens.access_token, REVOCATION_BOUND).await);

    // The operator's CLI, from outside every instance.
    let tokens = a.tokens_for(&mut browser, &client).await;
    assert_eq!(mcp_status(&a, &tokens.access_token).await, 200);
    let url = sqld.url();
    let out = cli(&[
        "--database",
        &url,
        "token",
        "revoke",
        "--token",
        &tokens.access_token,
        "--yes",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(refused_within(&a, &tokens.access_token, REVOCATION_BOUND).await);
    assert!(refused_within(&b, &tokens.access_token, REVOCATION_BOUND).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_registered_through_one_instance_signs_in_and_redeems_through_the_other() {
    let Some(sqld) = Sqld::start() else { return };
    let (a, b) = two_instances(&sqld, |_| {}).await;
    let registered = a
        .http
        .post(format!("{}/api/oauth/register", base(&a)))
        .json(&serde_json::json!({
            "client_name": "Registered on A",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
        }))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);
    let client_id = json(registered).await["client_id"]
        .as_str()
        .expect("client_id")
        .to_string();
    let client = ClientAuth::Public(client_id);

    b.add_user("bob").await;
    let mut browser = Browser::new(&base(&b));
    browser
        .sign_in("bob", common::PASSWORD)
        .await
        .expect("sign in on B");
    let (url, pkce) = b.authorize_request(&client, "st");
    let url = url.replace(&b.issuer, &base(&b));
    let code = browser.authorize(&url).await.expect("authorize on B");
    let exchanged = client::exchange_code(&b.http, &base(&b), &client, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .expect("exchange on B");
    assert_eq!(exchanged.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_and_consent_started_on_one_instance_complete_on_the_other() {
    let Some(sqld) = Sqld::start() else { return };
    let (a, b) = two_instances(&sqld, |_| {}).await;
    let on_a_session = a.signed_in("carol").await; // the session is made on A
    let mut on_a = on_a_session;
    let client = a.public_client(&[REDIRECT]).await;
    let (url, pkce) = a.authorize_request(&client, "st");
    let fields = on_a.consent(&url).await.expect("consent page on A");

    let mut on_b = on_a.on(&base(&b)); // the approval lands on B
    let answer = on_b.decide(&fields, "approve").await.expect("approve on B");
    assert_eq!(answer.status, 302, "{}", answer.body);
    let location = answer.location().expect("Location").to_string();
    let code = client::query_param(&location, "code").expect("a code");
    let exchanged = client::exchange_code(&b.http, &base(&b), &client, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .expect("exchange on B");
    assert_eq!(exchanged.status(), 200);
    assert_eq!(
        b.count("SELECT count(*) FROM oauth_authorization_codes WHERE used_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_run_twice_at_the_same_moment_applies_each_migration_once() {
    let Some(sqld) = Sqld::start() else { return };
    let url = sqld.url();
    let run = || {
        std::process::Command::new(BIN)
            .args(["--database", &url, "--json", "migrate"])
            .env_remove("MCP_OAUTH_DATABASE")
            .env_remove("TURSO_URL")
            .env_remove("TURSO_AUTH_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run mcp-oauth migrate")
    };
    let (first, second) = (run(), run());
    let mut applied = 0;
    for child in [first, second] {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        applied += report["applied"].as_array().expect("applied").len();
    }
    let store = Store::open(&sqld.target()).await.expect("store");
    let conn = store.connection().await.expect("conn");
    let mut rows = conn
        .query(
            "SELECT count(*), count(DISTINCT version) FROM schema_migrations",
            (),
        )
        .await
        .expect("query");
    let row = rows.next().await.expect("row").expect("one");
    let (total, distinct): (i64, i64) = (row.get(0).expect("int"), row.get(1).expect("int"));
    assert_eq!(total, distinct, "no migration recorded twice");
    assert_eq!(
        applied as i64, total,
        "between them, the two runs applied each migration once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_commands_against_a_stopped_sqld_exit_3_and_say_why() {
    let Some(mut sqld) = Sqld::start() else { return };
    sqld.migrated_store().await;
    let url = sqld.url();
    sqld.kill();
    let register = [
        "client",
        "register",
        "--name",
        "x",
        "--redirect-uri",
        REDIRECT,
        "--scope",
        "memories:read",
        "--user-id",
        "usr_x",
        "--public",
    ];
    let commands: [&[&str]; 3] = [
        &["token", "revoke", "--client", "mcp_oauth_nope", "--yes"],
        &["token", "cleanup"],
        &register,
    ];
    for args in commands {
        let out = cli(&[&["--database", url.as_str()], args].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains("unavailable") || stderr.contains("reach"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_against_an_instance_on_sqld_and_leaves_it_as_found() {
    let Some(sqld) = Sqld::start() else { return };
    let t = TestServer::start_on(sqld.migrated_store().await, |config| {
        config.refresh_grace = Duration::from_secs(1);
        config.revocation_lag = Duration::from_secs(2);
    })
    .await;
    t.add_user("alice").await;
    let client = t.confidential_client(&[REDIRECT]).await;
    let ClientAuth::Basic(client_id, secret) = &client else {
        unreachable!("a confidential client")
    };
    let url = sqld.url();
    let mut command = std::process::Command::new(BIN);
    command
        .args([
            "verify",
            "--json",
            "--base-url",
            &t.issuer,
            "--client-id",
            client_id,
        ])
        .args([
            "--redirect-uri",
            REDIRECT,
            "--username",
            "alice",
            "--password-stdin",
        ])
        .args(["--refresh-grace", "1s", "--database", &url, "--backup-drill"])
        .env("MCP_OAUTH_CLIENT_SECRET", secret)
        .env_remove("MCP_OAUTH_DATABASE")
        .env_remove("TURSO_URL")
        .env_remove("TURSO_AUTH_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = command.spawn().expect("run verify");
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{}", common::PASSWORD).expect("password");
        drop(stdin);
        child.wait_with_output().expect("verify output")
    })
    .await
    .expect("verify ran");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    for check in report["checks"].as_array().expect("checks") {
        let id = check["id"].as_str().expect("id");
        let expected = match id {
            "registration.dynamic"
            | "clerk.session-token"
            | "security.rate-limit"
            | "cimd.self-test-flow" => "skip",
            _ => "pass",
        };
        assert_eq!(check["status"], expected, "{id}: {}", check["reason"]);
    }
    assert_eq!(out.status.code(), Some(0));
    let live = "SELECT (SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NULL) \
                + (SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL)";
    assert_eq!(t.count(live).await, 0, "verify left live tokens behind");
}

/// A loopback TCP proxy in front of sqld that counts the HTTP requests passing through it:
/// each Hrana request is one `POST`, so this is the round trips a piece of work takes.
struct CountingProxy {
    addr: std::net::SocketAddr,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingProxy {
    async fn start(upstream: std::net::SocketAddr) -> CountingProxy {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = requests.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut in_read, mut in_write) = inbound.into_split();
                    let (mut out_read, mut out_write) = outbound.into_split();
                    let upward = async move {
                        // The tail of the last chunk, so a request line split over two reads counts.
                        let mut carry: Vec<u8> = Vec::new();
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match in_read.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            carry.extend_from_slice(&buf[..n]);
                            let posts = carry.windows(6).filter(|w| w == b"POST /").count();
                            counted.fetch_add(posts, Ordering::SeqCst);
                            let keep = carry.len().min(5);
                            carry.drain(..carry.len() - keep);
                            if out_write.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let downward = async move {
                        let _ = tokio::io::copy(&mut out_read, &mut in_write).await;
                    };
                    tokio::join!(upward, downward);
                });
            }
        });
        CountingProxy { addr, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqld_the_code_exchange_and_the_refresh_grant_take_two_round_trips_each() {
    use mcp_oauth::oauth::grants::{self, Approval, CodeExchange, Lifetimes, RefreshRequest};
    use mcp_oauth::oauth::scope::ScopeSet;
    use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
    use mcp_oauth::storage::DatabaseTarget;

    let Some(sqld) = Sqld::start() else { return };
    let direct = sqld.migrated_store().await;
    clients::insert(
        &direct,
        &NewClient {
            client_id: "mcp_oauth_rtt".into(),
            client_name: "rtt".into(),
            secret_hash: None,
            redirect_uris: vec![REDIRECT.into()],
            scopes: ScopeSet::all(),
            auth_method: AuthMethod::None,
            user_id: None,
            registration: Registration::Cli,
            created_at: 0,
        },
    )
    .await
    .unwrap();
    let client = clients::find(&direct, "mcp_oauth_rtt").await.unwrap().unwrap();
    let lifetimes = Lifetimes {
        code: 600,
        access: 3600,
        refresh: 86400,
        refresh_grace: 60,
    };
    let pkce = client::PkcePair::generate();
    let now = mcp_oauth::clock::now();
    let code = grants::issue_code(
        &direct,
        &Approval {
            client_id: "mcp_oauth_rtt",
            user_id: "usr_rtt",
            redirect_uri: REDIRECT,
            scope: &ScopeSet::all(),
            resource: "https://mcp.example/api/mcp",
            code_challenge: Some(&pkce.challenge),
        },
        &lifetimes,
        now,
    )
    .await
    .unwrap();

    let proxy = CountingProxy::start(sqld.addr).await;
    let via_proxy = Store::open(&DatabaseTarget::Remote {
        url: format!("http://{}", proxy.addr),
        auth_token: None,
    })
    .await
    .unwrap();
    let before = proxy.requests();
    let issued = grants::exchange_code(
        &via_proxy,
        &client,
        &CodeExchange {
            code: &code,
            redirect_uri: Some(REDIRECT),
            code_verifier: Some(&pkce.verifier),
            resource: None,
        },
        &lifetimes,
        now,
    )
    .await
    .unwrap();
    assert_eq!(proxy.requests() - before, 2, "code exchange");

    let before = proxy.requests();
    let rotated = grants::refresh(
        &via_proxy,
        &client,
        &RefreshRequest {
            refresh_token: &issued.refresh_token,
            ..Default::default()
        },
        &lifetimes,
        now + 1,
    )
    .await
    .unwrap();
    assert_eq!(proxy.requests() - before, 2, "refresh grant");

    // Both committed whole: the code used, two pairs stored, the first refresh token rotated.
    let conn = direct.connection().await.unwrap();
    let count = |sql: &'static str| {
        let conn = &conn;
        async move { mcp_oauth::storage::scalar_i64(conn, sql, ()).await.unwrap() }
    };
    assert_eq!(
        count("SELECT count(*) FROM oauth_authorization_codes WHERE used_at IS NOT NULL").await,
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM oauth_access_tokens WHERE user_id = 'usr_rtt'").await,
        2
    );
    assert_eq!(
        count("SELECT count(*) FROM oauth_refresh_tokens WHERE user_id = 'usr_rtt'").await,
        2
    );
    assert_eq!(
        count("SELECT count(*) FROM oauth_refresh_tokens WHERE rotated_at IS NOT NULL").await,
        1
    );
    assert_ne!(rotated.refresh_token, issued.refresh_token);
}
