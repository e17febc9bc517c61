//! The login, consent, connections and error pages in a real browser: Debian's headless
//! `chromium`, driven by `tests/browser/pages.mjs` (npm `playwright-core`, pinned and installed by
//! `tests/run.sh`), against a real server on a loopback port.
//!
//! The script signs in (a wrong password first), approves, denies, revokes on the connections
//! page and opens an unknown client's authorize URL, pausing after each decision so that this
//! side can check the database and use the code; at every page it measures the width at 390 px
//! and saves screenshots (390 px and 1280 px) in `tests/artifacts/browser/`.
//!
//! A second run takes the screenshots of `docs/claude-ai.md` (a Claude Code connection and a
//! Claude.ai consent, with real names), at 1000x700; one command regenerates them:
//!
//! ```sh
//! MCP_OAUTH_SCREENSHOTS=docs/images cargo test --test browser_pages
//! ```
//!
//! Without the variable they go to a temporary directory, checked and dropped.
//!
//! Without the npm package or chromium the tests are skipped, saying so — unless `CI` is set,
//! where a missing browser is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{TestServer, REDIRECT};
use mcp_oauth::client::{self, authorize_url, AuthorizeUrl, Browser, ClientAuth, TokenResponse};
use mcp_oauth::oauth::scope::ScopeSet;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const STEP_TIMEOUT: Duration = Duration::from_secs(90);
const USERNAME: &str = "alice";
/// A client name with markup: the pages must show it as text.
const CLIENT_NAME: &str = "<b>Evil & Co</b>";
/// Another connection of the same user, with a name that has no place to break: the page must
/// wrap it, and revoking the first client must leave it alone.
const LONG_NAME: &str =
    "AVeryLongApplicationNameWithoutAnySpacesThatMustWrapOnAPhoneScreen_0123456789abcdefghijklmnopqrstuvwxyz";
const ALL_SCOPES: &str = "memories:read memories:write entities:read entities:write";
const PHONE_WIDTH: u64 = 390;
const APPROVE_STATE: &str = "approve-Zx9/+ &é";
const DENY_STATE: &str = "deny-41";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts/browser")
}

/// The images `docs/claude-ai.md` shows, as pages.mjs names them.
const GUIDE_IMAGES: &[&str] = &[
    "login",
    "consent",
    "connections",
    "revoked",
    "error",
    "consent-claude-ai",
];
const GUIDE_SIZE: (u32, u32) = (1000, 700);

fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// `node pages.mjs`, or `None` after saying why it cannot run; with `CI` set, a panic instead.
fn pages_script() -> Option<Command> {
    let dir = browser_dir();
    let missing = if !dir.join("node_modules/playwright-core").is_dir() {
        Some(format!(
            "{} has no node_modules; run tests/run.sh (or npm ci there)",
            dir.display()
        ))
    } else if !chromium_path().is_file() {
        Some(format!(
            "{} is missing; install Debian's chromium (tests/run.sh does)",
            chromium_path().display()
        ))
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set, so the browser test must run: {why}"
        );
        println!("SKIPPED: {why}");
        return None;
    }
    let mut cmd = Command::new("node");
    cmd.arg("pages.mjs").current_dir(dir);
    Some(cmd)
}

/// The running script: JSON lines out, "continue" lines in.
struct Script {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Script {
    fn start(mut cmd: Command) -> Script {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start node pages.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Script { child, stdin, stdout }
    }

    /// The next event; fails the test on an `error` event, a timeout or an early exit.
    async fn expect(&mut self, event: &str) -> Value {
        let line = tokio::time::timeout(STEP_TIMEOUT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("pages.mjs: no {event:?} within {STEP_TIMEOUT:?}"))
            .expect("read pages.mjs stdout")
            .unwrap_or_else(|| panic!("pages.mjs exited before {event:?} (its stderr is above)"));
        println!("pages.mjs: {line}");
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(value["event"], event, "pages.mjs reported: {value:#}");
        value
    }

    async fn go_on(&mut self) {
        self.stdin
            .write_all(b"continue\n")
            .await
            .expect("write to pages.mjs");
        self.stdin.flush().await.expect("flush");
    }

    async fn finish(mut self) {
        drop(self.stdin);
        let status = tokio::time::timeout(STEP_TIMEOUT, self.child.wait())
            .await
            .expect("pages.mjs exits")
            .expect("wait for pages.mjs");
        assert!(status.success(), "pages.mjs: {status}");
    }
}

/// The query parameters of the URL the browser landed on, which must be the redirect URI.
fn landed(event: &Value) -> serde_json::Map<String, Value> {
    let url = event["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{REDIRECT}?")),
        "the browser landed on {url}, not on the redirect URI"
    );
    // Sent there by the answer to the consent form's POST.
    assert_eq!(event["via"], json!(["POST /api/oauth/authorize"]), "{event}");
    event["params"].as_object().expect("params").clone()
}

/// `tools/list` at `/api/mcp` with `token`: the HTTP status.
async fn mcp_status(t: &TestServer, token: &str) -> u16 {
    t.http
        .post(t.url("/api/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect("POST /api/mcp")
        .status()
        .as_u16()
}

/// Every page at phone width: no horizontal scrolling, and both screenshots written as PNG.
fn assert_page_fits(page: &Value) {
    let name = page["name"].as_str().expect("name");
    let width = page["scrollWidth"].as_u64().expect("scrollWidth");
    assert!(
        width <= PHONE_WIDTH,
        "{name}: {width} px wide at {PHONE_WIDTH} px (too wide: {})",
        page["overflowing"]
    );
    let shots = page["screenshots"].as_array().expect("screenshots");
    assert_eq!(shots.len(), 2, "{name}");
    for shot in shots {
        let bytes = std::fs::read(shot.as_str().expect("path")).expect("screenshot written");
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 1000,
            "{shot}: not a PNG"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_signs_in_approves_denies_and_revokes_on_pages_that_fit_a_phone() {
    let Some(mut cmd) = pages_script() else { return };
    let t = TestServer::start().await;
    t.add_user(USERNAME).await;
    let client = ClientAuth::Public(t.add_client(CLIENT_NAME, &[REDIRECT], None, ALL_SCOPES).await);
    let other = ClientAuth::Public(t.add_client(LONG_NAME, &[REDIRECT], None, "memories:read").await);
    let mut rust_browser = Browser::new(&t.issuer);
    rust_browser
        .sign_in(USERNAME, common::PASSWORD)
        .await
        .expect("sign in");
    let other_tokens = t.tokens_for(&mut rust_browser, &other).await;
    let approve = client::PkcePair::generate();
    let approve_url = authorize_url(
        &t.issuer,
        &AuthorizeUrl {
            client_id: client.client_id(),
            redirect_uri: REDIRECT,
            code_challenge: Some(&approve.challenge),
            state: Some(APPROVE_STATE),
            ..AuthorizeUrl::default()
        },
    );
    let (deny_url, _) = t.authorize_request(&client, DENY_STATE);
    let invalid_url = authorize_url(
        &t.issuer,
        &AuthorizeUrl {
            client_id: "mcp_client_nobody_registered_this",
            redirect_uri: REDIRECT,
            state: Some("x"),
            ..AuthorizeUrl::default()
        },
    );
    let artifacts = artifacts_dir();
    let _ = std::fs::remove_dir_all(&artifacts);
    cmd.arg("--pause")
        .args(["--server", &t.issuer])
        .args(["--approve-url", &approve_url])
        .args(["--deny-url", &deny_url])
        .args(["--invalid-url", &invalid_url])
        .args(["--redirect-prefix", REDIRECT])
        .args(["--username", USERNAME])
        .args(["--password", common::PASSWORD])
        .args(["--client-name", CLIENT_NAME])
        .arg("--artifacts")
        .arg(&artifacts)
        .arg("--chromium")
        .arg(chromium_path());
    let mut script = Script::start(cmd);

    // Approve: a code, the same state, our issuer; one code row, no token yet.
    let approved = script.expect("approved").await;
    let params = landed(&approved);
    let code = params["code"].as_str().expect("a code").to_string();
    assert!(code.starts_with("auth_"), "{code}");
    assert_eq!(params["state"], APPROVE_STATE);
    assert_eq!(params["iss"], t.issuer.as_str());
    assert!(!params.contains_key("error"), "{params:?}");
    let client_id = client.client_id().to_string();
    let rows = |table: &str, condition: &str| {
        format!("SELECT count(*) FROM {table} WHERE client_id = '{client_id}' AND {condition}")
    };
    assert_eq!(
        t.count(&rows("oauth_authorization_codes", "used_at IS NULL"))
            .await,
        1
    );
    assert_eq!(t.count(&rows("oauth_access_tokens", "1")).await, 0);
    let resp = client::exchange_code(
        &t.http,
        &t.issuer,
        &client,
        &code,
        REDIRECT,
        Some(&approve.verifier),
    )
    .await
    .expect("token request");
    assert_eq!(resp.status(), 200);
    let tokens: TokenResponse = resp.json().await.expect("token JSON");
    assert_eq!(mcp_status(&t, &tokens.access_token).await, 200);
    let rows_after_approve = t.grant_rows().await;
    assert_eq!(
        t.count(&rows("oauth_authorization_codes", "1")).await
            + t.count(&rows("oauth_access_tokens", "1")).await
            + t.count(&rows("oauth_refresh_tokens", "1")).await,
        3,
        "one code, one access token, one refresh token"
    );
    script.go_on().await;

    // Deny: access_denied with the state and issuer; nothing created.
    let denied = script.expect("denied").await;
    let params = landed(&denied);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], DENY_STATE);
    assert_eq!(params["iss"], t.issuer.as_str());
    assert!(!params.contains_key("code"), "{params:?}");
    assert_eq!(t.grant_rows().await, rows_after_approve);
    assert_eq!(
        t.count("SELECT count(*) FROM auth_events WHERE kind = 'authorization_denied'")
            .await,
        1
    );
    script.go_on().await;

    // Revoke on the connections page: the page empties, the tokens stop working at once.
    let revoked = script.expect("revoked").await;
    assert_eq!(revoked["cards"][0]["name"], LONG_NAME);
    assert_eq!(revoked["cards"].as_array().map(Vec::len), Some(1), "{revoked}");
    assert_eq!(
        t.count(&rows("oauth_access_tokens", "revoked_at IS NULL")).await
            + t.count(&rows("oauth_refresh_tokens", "revoked_at IS NULL")).await,
        0
    );
    assert_eq!(
        t.count(&rows("oauth_access_tokens", "revoked_at IS NOT NULL"))
            .await
            + t.count(&rows("oauth_refresh_tokens", "revoked_at IS NOT NULL"))
                .await,
        2
    );
    assert_eq!(mcp_status(&t, &tokens.access_token).await, 401);
    assert_eq!(
        mcp_status(&t, &other_tokens.access_token).await,
        200,
        "the other connection still works"
    );
    let refresh = tokens.refresh_token.as_deref().expect("a refresh token");
    let resp = client::refresh(&t.http, &t.issuer, &client, refresh)
        .await
        .expect("refresh request");
    assert_eq!(resp.status(), 400);
    script.go_on().await;

    let result = script.expect("result").await;
    script.finish().await;
    let pages = &result["pages"];
    for page in pages.as_object().expect("pages").values() {
        assert_page_fits(page);
    }

    let login = &pages["login"];
    assert_eq!(login["status"], 200);
    assert_eq!(login["path"], "/api/oauth/login");
    assert_eq!(login["h1"], "Sign in");
    let failed = &pages["loginFailed"];
    assert_eq!(failed["alert"], "Wrong user name or password.");
    assert_eq!(failed["keptUsername"], USERNAME);

    // The consent page names the client as text and says what each scope allows in words.
    let consent = &pages["consent"];
    assert_eq!(consent["path"], "/api/oauth/authorize");
    assert_eq!(
        consent["heading"],
        format!("Allow {CLIENT_NAME} to use your memory?")
    );
    assert_eq!(consent["injectedElements"], 0);
    let scopes: Vec<String> = ScopeSet::parse_lenient(ALL_SCOPES)
        .iter()
        .map(|s| format!("{} ({})", s.description(), s.as_str()))
        .collect();
    assert_eq!(consent["scopes"], json!(scopes));
    assert_eq!(consent["buttons"], json!(["Approve", "Deny"]));
    let text = consent["text"].as_str().expect("text");
    assert!(text.contains("you will be sent to 127.0.0.1"), "{text}");
    assert!(text.contains(&format!("Signed in as {USERNAME}")), "{text}");
    // The second authorization went straight to consent: the session cookie held.
    assert_eq!(result["deny"]["consent"]["path"], "/api/oauth/authorize");
    assert_eq!(result["deny"]["consent"]["heading"], consent["heading"]);

    let connections = &pages["connections"];
    assert_eq!(connections["status"], 200);
    let cards = connections["cards"].as_array().expect("cards");
    let mut names: Vec<&str> = cards.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, [CLIENT_NAME, LONG_NAME]);
    let card = cards
        .iter()
        .find(|c| c["name"] == CLIENT_NAME)
        .and_then(|c| c["text"].as_str())
        .expect("card text");
    for scope in ScopeSet::parse_lenient(ALL_SCOPES).iter() {
        assert!(card.contains(scope.description()), "{card}");
    }
    let after = &pages["connectionsAfterRevoke"];
    assert_eq!(after["path"], "/api/oauth/connections");
    assert_eq!(after["revokePostStatus"], 303);
    assert_eq!(after["cards"], revoked["cards"]);

    // An unknown client: an error page where the browser asked, never a redirect to the client.
    let invalid = &pages["invalidClient"];
    assert_eq!(invalid["status"], 400);
    assert_eq!(invalid["url"], invalid_url.as_str());
    assert_eq!(invalid["h1"], "This request cannot be completed");
    assert_eq!(
        result["callbacksRequested"], 2,
        "only the approve and deny redirects"
    );
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((word(16), word(20)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_takes_the_user_guides_screenshots_of_real_pages() {
    let Some(mut cmd) = pages_script() else { return };
    let kept =
        std::env::var_os("MCP_OAUTH_SCREENSHOTS").map(|dir| Path::new(env!("CARGO_MANIFEST_DIR")).join(dir));
    let scratch = tempfile::tempdir().expect("temp dir");
    let shots = kept.clone().unwrap_or_else(|| scratch.path().to_path_buf());
    let t = TestServer::start().await;
    t.add_user(USERNAME).await;
    // Claude.ai, connected earlier; Claude Code, connected in the browser below.
    let claude = ClientAuth::Public(t.add_client("Claude", &[REDIRECT], None, ALL_SCOPES).await);
    let claude_code = ClientAuth::Public(t.add_client("Claude Code", &[REDIRECT], None, ALL_SCOPES).await);
    let mut rust_browser = Browser::new(&t.issuer);
    rust_browser
        .sign_in(USERNAME, common::PASSWORD)
        .await
        .expect("sign in");
    t.tokens_for(&mut rust_browser, &claude).await;
    let (approve_url, approve) = t.authorize_request(&claude_code, "approve");
    let (deny_url, _) = t.authorize_request(&claude_code, "deny");
    let invalid_url = authorize_url(
        &t.issuer,
        &AuthorizeUrl {
            client_id: "mcp_oauth_deleted_or_never_registered",
            redirect_uri: REDIRECT,
            state: Some("x"),
            ..AuthorizeUrl::default()
        },
    );
    // Claude.ai registering itself (RFC 7591), as it does with no client ID given: the consent
    // page it leads to, which marks the client unverified and names where it will send the user.
    let registered = t
        .http
        .post(t.url("/api/oauth/register"))
        .json(&json!({
            "client_name": "Claude",
            "redirect_uris": ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);
    let registered: Value = registered.json().await.expect("registration JSON");
    let pkce = client::PkcePair::generate();
    let resource = t.resource();
    let claude_ai_url = authorize_url(
        &t.issuer,
        &AuthorizeUrl {
            client_id: registered["client_id"].as_str().expect("client_id"),
            redirect_uri: "https://claude.ai/api/mcp/auth_callback",
            code_challenge: Some(&pkce.challenge),
            state: Some("claude-ai"),
            scope: Some(ALL_SCOPES),
            resource: Some(&resource),
        },
    );
    cmd.arg("--pause")
        .args(["--server", &t.issuer])
        .args(["--approve-url", &approve_url])
        .args(["--deny-url", &deny_url])
        .args(["--invalid-url", &invalid_url])
        .args(["--redirect-prefix", REDIRECT])
        .args(["--username", USERNAME])
        .args(["--password", common::PASSWORD])
        .args(["--client-name", "Claude Code"])
        .arg("--artifacts")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts/browser-guide"))
        .arg("--screenshots")
        .arg(&shots)
        .arg("--also-show")
        .arg(format!("consent-claude-ai={claude_ai_url}"))
        .arg("--chromium")
        .arg(chromium_path());
    let mut script = Script::start(cmd);
    // Claude Code exchanges its code: a connection the connections page lists.
    let approved = landed(&script.expect("approved").await);
    let code = approved["code"].as_str().expect("a code");
    let resp = client::exchange_code(
        &t.http,
        &t.issuer,
        &claude_code,
        code,
        REDIRECT,
        Some(&approve.verifier),
    )
    .await
    .expect("token request");
    assert_eq!(resp.status(), 200);
    script.go_on().await;
    assert_eq!(landed(&script.expect("denied").await)["error"], "access_denied");
    script.go_on().await;
    let revoked = script.expect("revoked").await;
    assert_eq!(revoked["cards"][0]["name"], "Claude", "{revoked}");
    script.go_on().await;
    let result = script.expect("result").await;
    script.finish().await;
    assert_eq!(
        result["pages"]["consent"]["heading"],
        "Allow Claude Code to use your memory?"
    );
    assert_eq!(result["pages"]["invalidClient"]["status"], 400);
    let claude_ai = &result["alsoShown"]["consent-claude-ai"];
    assert_eq!(claude_ai["status"], 200, "{claude_ai}");
    assert_eq!(claude_ai["h1"], "Allow Claude to use your memory?");
    for name in GUIDE_IMAGES {
        let path = shots.join(format!("{name}.png"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(png_size(&bytes), Some(GUIDE_SIZE), "{}", path.display());
    }
    if let Some(dir) = kept {
        println!("screenshots written to {}", dir.display());
    }
}

/// The guide and its images agree with what the test above takes: every image is shown, and
/// every one committed is a 1000x700 PNG (regenerate them with the command in the module doc).
#[test]
fn the_user_guide_shows_each_screenshot_and_each_is_committed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/claude-ai.md")).expect("docs/claude-ai.md");
    for name in GUIDE_IMAGES {
        assert!(
            guide.contains(&format!("](images/{name}.png)")),
            "docs/claude-ai.md does not show images/{name}.png"
        );
        let path = root.join(format!("docs/images/{name}.png"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(png_size(&bytes), Some(GUIDE_SIZE), "{}", path.display());
    }
    assert!(
        guide.contains("MCP_OAUTH_SCREENSHOTS=docs/images cargo test --test browser_pages"),
        "the guide names the command that regenerates its images"
    );
}
