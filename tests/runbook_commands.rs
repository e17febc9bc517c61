//! `docs/runbook.md`, run: every command block of every incident runs against a throw-away
//! deployment (a real database — a libSQL file, or a real `sqld` for the database incidents —
//! and the real `mcp-oauth serve` on a free loopback port), after a scenario has brought the
//! incident about through the server's own HTTP interface.
//!
//! The runbook's conventions, which this file enforces:
//! - Each `## ` section after "Before you start" is one incident, with a scenario below of the
//!   same title (a section without one, or a scenario without a section, fails the test).
//! - ```` ```sh ```` blocks run in order with `bash -euo pipefail`, in the deployment's
//!   directory, with the placeholders of "Before you start" set as environment variables and
//!   the test build of `mcp-oauth` first on `PATH`. They must exit 0, or `N` for
//!   ```` ```sh exit=N ````.
//! - An ```` ```output ```` block right after a command block (blank lines between at most)
//!   lists lines its stdout and stderr must contain; `…` in a line stands for any text (the
//!   pieces must appear in order, on one line).
//! - ```` ```text seen ```` blocks are what the operator sees: each line (with `…` as above)
//!   must appear in what the scenario observed — the server's log, the HTTP answers it got
//!   (status line, headers, body) and a `/metrics` scrape.
//! - A paragraph that starts with a bold word (`**Confirm.**`, `**Fix.**`, `**Then.**`) begins a
//!   stage; before the first block of a stage, the scenario may change the world the way the
//!   runbook says it changes there (at "Fix": the database comes back, the user connects again).
//! - Any other fenced block fails the test, so that no command goes unrun.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/sqld.rs"]
mod sqld;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cli::{Test, BIN};
use mcp_oauth::client::{self, authorize_url, AuthorizeUrl, Browser, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::storage::{DatabaseTarget, Store};

const PASSWORD: &str = "runbook check password";
const CLAUDE_AI: &str = "https://claude.ai/api/mcp/auth_callback";
const CLAUDE_COM: &str = "https://claude.com/api/mcp/auth_callback";
const ALL_SCOPES: &str = "memories:read memories:write entities:read entities:write";

// ---------------------------------------------------------------------------------------------
// The document

#[derive(Debug)]
struct CommandBlock {
    line: usize,
    script: String,
    exit: i32,
    /// The bold word of the paragraph the block is under ("Confirm", "Fix", …).
    stage: String,
    output: Option<String>,
}

#[derive(Debug, Default)]
struct Section {
    title: String,
    seen: Vec<(usize, String)>,
    commands: Vec<CommandBlock>,
}

fn runbook_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbook.md")
}

/// The incidents of the runbook, in order; panics on a fence it does not know.
fn parse(markdown: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut stage = String::new();
    // Whether only blank lines came since the last command block closed.
    let mut after_command = false;
    let mut lines = markdown.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let number = index + 1;
        if let Some(title) = line.strip_prefix("## ") {
            sections.push(Section {
                title: title.trim().to_string(),
                ..Section::default()
            });
            stage.clear();
            after_command = false;
            continue;
        }
        if let Some(word) = line
            .strip_prefix("**")
            .and_then(|rest| rest.split(['.', '*']).next())
        {
            stage = word.to_string();
        }
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                after_command = false;
            }
            continue;
        };
        assert!(
            !info.contains('`'),
            "runbook.md:{number}: a line may not start with backticks unless it opens a fence"
        );
        let mut body = String::new();
        loop {
            let (_, l) = lines
                .next()
                .unwrap_or_else(|| panic!("runbook.md:{number}: the block is never closed"));
            if l == "```" {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        let section = sections
            .last_mut()
            .unwrap_or_else(|| panic!("runbook.md:{number}: a block before the first section"));
        let words: Vec<&str> = info.split_whitespace().collect();
        match words.as_slice() {
            ["sh", flags @ ..] => {
                let mut block = CommandBlock {
                    line: number,
                    script: body,
                    exit: 0,
                    stage: stage.clone(),
                    output: None,
                };
                for flag in flags {
                    if let Some(code) = flag.strip_prefix("exit=") {
                        block.exit = code
                            .parse()
                            .unwrap_or_else(|_| panic!("runbook.md:{number}: exit={code}?"));
                    } else {
                        panic!("runbook.md:{number}: unknown flag `{flag}` on a sh block");
                    }
                }
                section.commands.push(block);
                after_command = true;
                continue;
            }
            ["output"] => {
                let previous = section
                    .commands
                    .last_mut()
                    .filter(|_| after_command)
                    .unwrap_or_else(|| panic!("runbook.md:{number}: an output block must follow a sh block"));
                assert!(
                    previous.output.is_none(),
                    "runbook.md:{number}: a second output block"
                );
                previous.output = Some(body);
            }
            ["text", "seen"] => section.seen.push((number, body)),
            _ => {
                panic!("runbook.md:{number}: unknown block ```{info}: use sh, sh exit=N, output or text seen")
            }
        }
        after_command = false;
    }
    sections.retain(|s| !s.commands.is_empty() || !s.seen.is_empty());
    sections
}

/// Whether `line` (with `…` standing for any text) occurs on one line of `haystack`.
fn shows(haystack: &str, line: &str) -> bool {
    let pieces: Vec<&str> = line.split('…').map(str::trim_end).collect();
    haystack.lines().any(|candidate| {
        let mut rest = candidate;
        pieces.iter().all(|piece| match rest.find(piece.trim_start()) {
            Some(at) => {
                rest = &rest[at + piece.trim_start().len()..];
                true
            }
            None => false,
        })
    })
}

// ---------------------------------------------------------------------------------------------
// A throw-away deployment

/// Where the deployment's database lives.
enum Database {
    File,
    Sqld,
}

struct Deployment {
    dir: tempfile::TempDir,
    sqld: Option<sqld::Sqld>,
    database: String,
    listen: String,
    server: Option<Child>,
    env: BTreeMap<String, String>,
    /// Every HTTP answer a scenario received, as status line, headers and body.
    observed: String,
    http: reqwest::Client,
    client: ClientAuth,
}

impl Deployment {
    /// A migrated database with the local user `alice` and a confidential client "Claude"
    /// registered for Claude.ai's two callbacks; `serve` started with `serve_args`.
    fn start(database: Database, serve_args: &[&str]) -> Option<Deployment> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (sqld, url) = match database {
            Database::File => (None, dir.path().join("mcp-oauth.db").display().to_string()),
            Database::Sqld => {
                let sqld = sqld::Sqld::start()?;
                let url = sqld.url();
                (Some(sqld), url)
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let backups = dir.path().join("backups");
        std::fs::create_dir(&backups).expect("backup dir");
        let mut d = Deployment {
            sqld,
            database: url.clone(),
            listen: listen.clone(),
            server: None,
            env: BTreeMap::new(),
            observed: String::new(),
            http: client::http_client(),
            client: ClientAuth::Public(String::new()),
            dir,
        };
        d.cli(&["migrate"]).run();
        let user = d
            .cli(&["user", "add", "alice", "--password-stdin"])
            .stdin(format!("{PASSWORD}\n"))
            .run();
        let user_id = user
            .stdout
            .split(['(', ')'])
            .nth(1)
            .expect("user add prints the ID")
            .to_string();
        let (client_id, secret) = d.register("Claude", &user_id, &[CLAUDE_AI, CLAUDE_COM]);
        d.client = ClientAuth::Basic(client_id.clone(), secret.clone());
        let path = format!(
            "{}:{}",
            Path::new(BIN).parent().expect("bin dir").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        for (key, value) in [
            ("PATH", path),
            ("HOME", d.dir.path().display().to_string()),
            ("NO_COLOR", "1".into()),
            ("MCP_OAUTH_DATABASE", url),
            ("BASE_URL", format!("http://{listen}")),
            ("SERVER", format!("http://{listen}")),
            ("CLIENT_ID", client_id),
            ("CLIENT_SECRET", secret),
            ("USER_ID", user_id),
            ("CHECK_USER", "alice".into()),
            ("CHECK_PASSWORD", PASSWORD.into()),
            ("BACKUP_DIR", backups.display().to_string()),
            ("PREVIOUS_VERSION", "10".into()),
        ] {
            d.env.insert(key.into(), value);
        }
        d.serve(serve_args);
        Some(d)
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.listen)
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.into(), value.into());
    }

    /// `mcp-oauth --database <this deployment's> ARGS`
    fn cli(&self, args: &[&str]) -> Test {
        Test::new()
            .current_dir(self.dir.path())
            .args(["--database", &self.database])
            .args(args)
    }

    /// Registers a confidential client; its ID and secret.
    fn register(&self, name: &str, user_id: &str, redirect_uris: &[&str]) -> (String, String) {
        let mut cmd = self.cli(&[
            "--json",
            "client",
            "register",
            "--name",
            name,
            "--user-id",
            user_id,
        ]);
        for uri in redirect_uris {
            cmd = cmd.args(["--redirect-uri", uri]);
        }
        let out = cmd.args(["--scope", ALL_SCOPES]).run().json();
        let field = |k: &str| out[k].as_str().expect("client field").to_string();
        (field("client_id"), field("client_secret"))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("serve.log")
    }

    /// Starts `mcp-oauth serve` (default logging, as deployed) and waits until `/readyz` is 200.
    fn serve(&mut self, args: &[&str]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let child = Command::new(BIN)
            .args(["--database", &self.database, "serve", "--listen", &self.listen])
            .args(args)
            .env_remove("RUST_LOG")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mcp-oauth serve");
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = std::process::Command::new("curl")
                .args(["-sf", "-o", "/dev/null"])
                .arg(format!("{}/readyz", self.base_url()))
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            if let Some(status) = self.server.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("serve exited ({status}):\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "serve not ready:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Sends `req` and keeps its answer in what the operator sees.
    async fn record(&mut self, req: reqwest::RequestBuilder) -> (u16, String) {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let _ = writeln!(self.observed, "HTTP/1.1 {status}");
        for (name, value) in resp.headers() {
            let _ = writeln!(self.observed, "{name}: {}", value.to_str().unwrap_or("?"));
        }
        let body = resp.text().await.expect("body");
        let _ = writeln!(self.observed, "\n{body}\n");
        (status.as_u16(), body)
    }

    /// Everything the operator could see now: the log, the answers recorded, `/metrics`.
    async fn seen(&self) -> String {
        let metrics = match self.http.get(format!("{}/metrics", self.base_url())).send().await {
            Ok(resp) => resp.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        format!("{}\n{}\n{metrics}", self.log(), self.observed)
    }

    /// alice signs in (a fresh browser), approves `client`; the code and its PKCE verifier.
    async fn code(&self, client: &ClientAuth, redirect_uri: &str) -> (String, PkcePair) {
        let mut browser = Browser::new(&self.base_url());
        browser.sign_in("alice", PASSWORD).await.expect("sign in");
        let pkce = PkcePair::generate();
        let url = authorize_url(
            &self.base_url(),
            &AuthorizeUrl {
                client_id: client.client_id(),
                redirect_uri,
                code_challenge: Some(&pkce.challenge),
                state: Some("runbook"),
                ..AuthorizeUrl::default()
            },
        );
        let code = browser.authorize(&url).await.expect("approve");
        (code, pkce)
    }

    /// The whole connection: sign in, approve, exchange.
    async fn connect(&self, client: &ClientAuth) -> TokenResponse {
        let (code, pkce) = self.code(client, CLAUDE_AI).await;
        let resp = client::exchange_code(
            &self.http,
            &self.base_url(),
            client,
            &code,
            CLAUDE_AI,
            Some(&pkce.verifier),
        )
        .await
        .expect("token request");
        assert_eq!(resp.status(), 200, "code exchange");
        resp.json().await.expect("token JSON")
    }

    async fn store(&self) -> Store {
        let target = match &self.sqld {
            Some(s) => s.target(),
            None => DatabaseTarget::Local(PathBuf::from(&self.database)),
        };
        Store::open(&target)
            .await
            .expect("open the deployment's database")
    }

    fn tools_list(&self, token: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/api/mcp", self.base_url()))
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// The incidents, brought about

/// The incidents of the runbook, each brought about by [`trigger`] before the "you see" check,
/// with [`enter`] at each stage of its section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Incident {
    InvalidRedirectUri,
    ExpiredCode,
    TokenNotRecognised,
    ClientNotFound,
    RefreshStorm,
    LeakedClientSecret,
    LeakedToken,
    DatabaseUnreachable,
    LostDatabase,
    BadDeploy,
}

/// Each incident and the runbook section it is in.
const INCIDENTS: &[(&str, Incident)] = &[
    ("Invalid redirect_uri", Incident::InvalidRedirectUri),
    ("Expired authorization code", Incident::ExpiredCode),
    ("Token not recognised", Incident::TokenNotRecognised),
    ("Client not found", Incident::ClientNotFound),
    ("Refresh storm", Incident::RefreshStorm),
    ("Leaked client secret", Incident::LeakedClientSecret),
    ("Leaked token", Incident::LeakedToken),
    ("Database unreachable", Incident::DatabaseUnreachable),
    ("Lost Turso database", Incident::LostDatabase),
    ("Bad deploy", Incident::BadDeploy),
];

impl Incident {
    fn database(self) -> Database {
        match self {
            Incident::DatabaseUnreachable | Incident::LostDatabase => Database::Sqld,
            _ => Database::File,
        }
    }

    fn serve_args(self) -> &'static [&'static str] {
        match self {
            // The storm's client reuses a token rotated a moment ago: outside a grace of 0 s,
            // as a token rotated more than 60 s ago is outside the default one.
            Incident::RefreshStorm => &["--refresh-grace", "0s"],
            _ => &[],
        }
    }
}

async fn trigger(incident: Incident, d: &mut Deployment) {
    match incident {
        Incident::InvalidRedirectUri => invalid_redirect_uri(d).await,
        Incident::ExpiredCode => expired_code(d).await,
        Incident::TokenNotRecognised => token_not_recognised(d).await,
        Incident::ClientNotFound => client_not_found(d).await,
        Incident::RefreshStorm => refresh_storm(d).await,
        Incident::LeakedClientSecret => leaked_client_secret(d).await,
        Incident::LeakedToken => leaked_token(d).await,
        Incident::DatabaseUnreachable => database_unreachable(d).await,
        Incident::LostDatabase => lost_database(d).await,
        Incident::BadDeploy => bad_deploy(d).await,
    }
}

/// What changes in the world as the runbook enters `stage` (its bold word) of the incident.
async fn enter(incident: Incident, stage: &str, d: &mut Deployment) {
    match (incident, stage) {
        // The user connects again.
        (Incident::TokenNotRecognised, "Fix") => {
            let client = d.client.clone();
            d.connect(&client).await;
        }
        // The database comes back.
        (Incident::DatabaseUnreachable, "Fix") => d.sqld.as_mut().expect("sqld").restart(),
        // The instances move to the restored database.
        (Incident::LostDatabase, "Then") => {
            d.stop();
            d.database = d.env["MCP_OAUTH_DATABASE"].clone();
            d.serve(&[]);
        }
        (Incident::BadDeploy, "Fix") => kill_switch(d),
        _ => {}
    }
}

/// A Claude client registered with only one of Claude's callbacks; Claude sends the other.
async fn invalid_redirect_uri(d: &mut Deployment) {
    let user_id = d.env["USER_ID"].clone();
    let (client_id, _) = d.register("Claude", &user_id, &[CLAUDE_AI]);
    d.set("CLIENT_ID", &client_id);
    let pkce = PkcePair::generate();
    let url = authorize_url(
        &d.base_url(),
        &AuthorizeUrl {
            client_id: &client_id,
            redirect_uri: CLAUDE_COM,
            code_challenge: Some(&pkce.challenge),
            state: Some("s"),
            ..AuthorizeUrl::default()
        },
    );
    let (status, _) = d.record(d.http.get(url)).await;
    assert_eq!(status, 400);
}

/// A code approved and then left longer than its lifetime (its expiry moved into the past)
/// before the client exchanges it; and another code exchanged twice.
async fn expired_code(d: &mut Deployment) {
    let client = d.client.clone();
    let (replayed, pkce) = d.code(&client, CLAUDE_AI).await;
    for expected in [200, 400] {
        let resp = client::exchange_code(
            &d.http,
            &d.base_url(),
            &client,
            &replayed,
            CLAUDE_AI,
            Some(&pkce.verifier),
        )
        .await
        .expect("token request");
        assert_eq!(resp.status(), expected);
        let body = resp.text().await.expect("body");
        let _ = writeln!(d.observed, "{body}");
    }
    let (code, pkce) = d.code(&client, CLAUDE_AI).await;
    let store = d.store().await;
    let conn = store.connection().await.expect("connection");
    conn.execute(
        "UPDATE oauth_authorization_codes SET expires_at = expires_at - 3600",
        (),
    )
    .await
    .expect("age the code");
    drop(conn);
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CLAUDE_AI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let (id, secret) = basic(&client);
    let req = d
        .http
        .post(format!("{}/api/oauth/token", d.base_url()))
        .basic_auth(id, Some(secret))
        .form(&fields);
    let (status, _) = d.record(req).await;
    assert_eq!(status, 400);
}

fn basic(client: &ClientAuth) -> (String, String) {
    match client {
        ClientAuth::Basic(id, secret) => (id.clone(), secret.clone()),
        _ => panic!("a confidential client"),
    }
}

/// The user revoked the connection (its refresh token, so the access token too); the client
/// calls `/api/mcp` with the access token it still holds.
async fn token_not_recognised(d: &mut Deployment) {
    let client = d.client.clone();
    let tokens = d.connect(&client).await;
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    let resp = client::revoke(&d.http, &d.base_url(), &client, &refresh)
        .await
        .expect("revoke");
    assert_eq!(resp.status(), 200);
    d.set("TOKEN", &tokens.access_token);
    let (status, _) = d.record(d.tools_list(&tokens.access_token)).await;
    assert_eq!(status, 401);
}

/// A client deleted by the operator is still used by its application.
async fn client_not_found(d: &mut Deployment) {
    let user_id = d.env["USER_ID"].clone();
    let (client_id, secret) = d.register("Old Claude", &user_id, &[CLAUDE_AI]);
    d.cli(&["client", "delete", &client_id, "--yes"]).run();
    d.set("CLIENT_ID", &client_id);
    let pkce = PkcePair::generate();
    let url = authorize_url(
        &d.base_url(),
        &AuthorizeUrl {
            client_id: &client_id,
            redirect_uri: CLAUDE_AI,
            code_challenge: Some(&pkce.challenge),
            state: Some("s"),
            ..AuthorizeUrl::default()
        },
    );
    let (status, _) = d.record(d.http.get(url)).await;
    assert_eq!(status, 400);
    let req = d
        .http
        .post(format!("{}/api/oauth/token", d.base_url()))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "mcp_rt_x")]);
    let (status, _) = d.record(req).await;
    assert_eq!(status, 401);
}

/// One client refreshing in a loop: 25 rotations, then a token it had already rotated.
async fn refresh_storm(d: &mut Deployment) {
    let client = d.client.clone();
    let tokens = d.connect(&client).await;
    let first = tokens.refresh_token.expect("refresh token");
    let mut current = first.clone();
    for _ in 0..25 {
        let resp = client::refresh(&d.http, &d.base_url(), &client, &current)
            .await
            .expect("refresh");
        assert_eq!(resp.status(), 200);
        let next: TokenResponse = resp.json().await.expect("token JSON");
        current = next.refresh_token.expect("a rotated refresh token");
    }
    let (id, secret) = basic(&client);
    let req = d
        .http
        .post(format!("{}/api/oauth/token", d.base_url()))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", first.as_str())]);
    let (status, _) = d.record(req).await;
    assert_eq!(status, 400);
    // The loop goes on with a fresh connection.
    d.connect(&client).await;
}

/// A confidential client in use; its secret is the one in CLIENT_SECRET.
async fn leaked_client_secret(d: &mut Deployment) {
    let client = d.client.clone();
    d.connect(&client).await;
}

/// A live refresh token.
async fn leaked_token(d: &mut Deployment) {
    let client = d.client.clone();
    let tokens = d.connect(&client).await;
    d.set("TOKEN", &tokens.refresh_token.expect("refresh token"));
}

/// Connected, then the database server goes away.
async fn database_unreachable(d: &mut Deployment) {
    let client = d.client.clone();
    let tokens = d.connect(&client).await;
    d.sqld.as_mut().expect("sqld").kill();
    observe_outage(d, &tokens).await;
}

async fn observe_outage(d: &mut Deployment, tokens: &TokenResponse) {
    let (status, _) = d.record(d.http.get(format!("{}/readyz", d.base_url()))).await;
    assert_eq!(status, 503);
    let client = d.client.clone();
    let (id, secret) = basic(&client);
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    let req = d
        .http
        .post(format!("{}/api/oauth/token", d.base_url()))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ]);
    let (status, _) = d.record(req).await;
    assert_eq!(status, 503);
    let (status, _) = d.record(d.tools_list(&tokens.access_token)).await;
    assert_eq!(status, 503);
    let pkce = PkcePair::generate();
    let url = authorize_url(
        &d.base_url(),
        &AuthorizeUrl {
            client_id: client.client_id(),
            redirect_uri: CLAUDE_AI,
            code_challenge: Some(&pkce.challenge),
            state: Some("s"),
            ..AuthorizeUrl::default()
        },
    );
    let (status, _) = d.record(d.http.get(url)).await;
    assert_eq!(status, 503);
}

/// The database is gone for good; the operator has created a new, empty one and points
/// `MCP_OAUTH_DATABASE` at it. Last night's backup is taken first, into `BACKUP_DIR`, for the
/// restore steps.
async fn lost_database(d: &mut Deployment) {
    let dir = d.env["BACKUP_DIR"].clone();
    d.cli(&["backup", "--dir", &dir, "--keep", "14"]).run();
    let client = d.client.clone();
    let tokens = d.connect(&client).await;
    d.sqld.as_mut().expect("sqld").kill();
    observe_outage(d, &tokens).await;
    let replacement = sqld::Sqld::start().expect("a second sqld");
    d.set("MCP_OAUTH_DATABASE", &replacement.url());
    // The old one stays dead; the new one lives as long as the deployment.
    let old = d.sqld.replace(replacement);
    drop(old);
}

/// A release deployed with a wrong `--issuer`.
async fn bad_deploy(d: &mut Deployment) {
    d.stop();
    let port = d.listen.rsplit(':').next().expect("port").to_string();
    let wrong = format!("http://localhost:{port}");
    d.serve(&["--issuer", &wrong]);
    let (status, _) = d
        .record(
            d.http
                .get(format!("{}/.well-known/oauth-authorization-server", d.base_url())),
        )
        .await;
    assert_eq!(status, 200);
    // Claude asks for the resource at the URL it was given, the public one.
    let client = d.client.clone();
    let pkce = PkcePair::generate();
    let resource = format!("{}/api/mcp", d.base_url());
    let url = authorize_url(
        &d.base_url(),
        &AuthorizeUrl {
            client_id: client.client_id(),
            redirect_uri: CLAUDE_AI,
            code_challenge: Some(&pkce.challenge),
            state: Some("s"),
            resource: Some(&resource),
            ..AuthorizeUrl::default()
        },
    );
    let mut browser = Browser::new(&d.base_url());
    browser.sign_in("alice", PASSWORD).await.expect("sign in");
    let page = browser.get(&url).await.expect("authorize");
    assert_eq!(page.status, 302);
    let _ = writeln!(
        d.observed,
        "HTTP/1.1 302\nlocation: {}\n",
        page.location().unwrap_or_default()
    );
}

/// The kill switch: `serve --oauth off`.
fn kill_switch(d: &mut Deployment) {
    d.stop();
    d.serve(&["--oauth", "off"]);
}

// ---------------------------------------------------------------------------------------------
// Running the runbook

/// Runs one command block; a description of what went wrong, if anything did.
fn run_block(d: &Deployment, block: &CommandBlock) -> Option<String> {
    let mut child = Command::new("bash")
        .args(["--noprofile", "--norc", "-euo", "pipefail", "-s"])
        .env_clear()
        .envs(&d.env)
        .current_dir(d.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(block.script.as_bytes())
        .expect("write the script");
    let out = child.wait_with_output().expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Shown with --nocapture: what each step printed.
    println!("runbook.md:{} exited {:?}\n{text}", block.line, out.status.code());
    let mut wrong = Vec::new();
    if out.status.code() != Some(block.exit) {
        wrong.push(format!("exit {:?}, documented {}", out.status.code(), block.exit));
    }
    for line in block.output.iter().flat_map(|o| o.lines()) {
        if !line.trim().is_empty() && !shows(&text, line) {
            wrong.push(format!("the output lacks `{line}`"));
        }
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "runbook.md:{}: {}\n--- script\n{}--- output\n{}",
            block.line,
            wrong.join("; "),
            block.script,
            text
        )
    })
}

#[test]
fn every_runbook_command_runs_as_documented_against_a_throwaway_deployment() {
    assert!(
        Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "the runbook's commands use curl: install it (Debian: apt-get install curl)"
    );
    let markdown = std::fs::read_to_string(runbook_path()).expect("docs/runbook.md");
    let sections = parse(&markdown);
    let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    for (title, _) in INCIDENTS {
        assert!(titles.contains(title), "no section `## {title}` in the runbook");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut failures = Vec::new();
    let mut ran = 0;
    for section in &sections {
        let incident = INCIDENTS
            .iter()
            .find(|(title, _)| *title == section.title)
            .map(|(_, incident)| *incident)
            .unwrap_or_else(|| panic!("no scenario for the runbook section `{}`", section.title));
        let Some(mut d) = Deployment::start(incident.database(), incident.serve_args()) else {
            println!("SKIPPED `{}`: no sqld", section.title);
            continue;
        };
        runtime.block_on(trigger(incident, &mut d));
        let seen = runtime.block_on(d.seen());
        for (line_number, block) in &section.seen {
            for line in block.lines().filter(|l| !l.trim().is_empty()) {
                if !shows(&seen, line) {
                    failures.push(format!(
                        "runbook.md:{line_number} ({}): the server never showed `{line}`\n--- what it showed\n{seen}",
                        section.title
                    ));
                }
            }
        }
        let mut stage = "";
        for block in &section.commands {
            if block.stage != stage {
                stage = &block.stage;
                runtime.block_on(enter(incident, stage, &mut d));
            }
            ran += 1;
            if let Some(failure) = run_block(&d, block) {
                failures.push(format!("({}) {failure}", section.title));
            }
        }
    }
    // Straight to stderr, past the test harness's capture: the count is wanted in every run.
    let _ = writeln!(std::io::stderr(), "runbook: {ran} command blocks run");
    assert!(
        failures.is_empty(),
        "{} runbook step(s) do not hold:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_output_pattern_matches_pieces_in_order_on_one_line() {
    assert!(shows("a: 1 expired\n", "a: … expired"));
    assert!(shows(
        "x\nlive tokens ┆ 1 access, 1 refresh │\n",
        "live tokens … 1 access, 1 refresh"
    ));
    assert!(!shows("expired a:\n", "a: … expired"));
    assert!(!shows("a:\nexpired\n", "a: … expired"));
}

#[test]
fn the_parser_reads_stages_exit_codes_and_outputs() {
    let doc = "# T\n## Before\ntext\n## A\n**You see.**\n```text seen\nx\n```\n**Confirm.**\n```sh exit=5\nfalse\n```\n\n```output\nerr\n```\n**Fix.** now\n```sh\nnew-command\n```\n";
    let sections = parse(doc);
    assert_eq!(sections.len(), 1, "a section without blocks is no incident");
    let a = &sections[0];
    assert_eq!(a.title, "A");
    assert_eq!(a.seen, vec![(6, "x\n".to_string())]);
    assert_eq!(a.commands.len(), 2);
    assert_eq!(
        (
            a.commands[0].exit,
            a.commands[0].stage.as_str(),
            a.commands[0].output.as_deref()
        ),
        (5, "Confirm", Some("err\n"))
    );
    assert_eq!(a.commands[1].stage, "Fix");
}

#[test]
#[should_panic(expected = "unknown block")]
fn a_fence_the_test_would_not_run_is_refused() {
    parse("## A\n```bash\nrm -rf /\n```\n");
}

#[test]
#[should_panic(expected = "an output block must follow a sh block")]
fn an_output_block_after_prose_is_refused() {
    parse("## A\n```sh\ntrue\n```\nprose\n```output\nx\n```\n");
}
