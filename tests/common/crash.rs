//! Crash-safety harness: the real `mcp-oauth serve` process on a database file, driven by
//! concurrent clients (consent + code exchange, refresh rotation, `add_memory`), killed with
//! SIGKILL at a random moment, inspected offline, restarted and inspected online.
//!
//! What must hold after every kill, for everything a client *received* before it:
//! - `PRAGMA integrity_check` is `ok`, `foreign_key_check` is empty, the FTS5 index agrees with
//!   its table;
//! - every access token and refresh token is in the database; every access token still opens
//!   `/api/mcp`; the newest refresh token of every chain still refreshes (it is either the head,
//!   or it was rotated by a request whose answer the kill swallowed, and is then inside the
//!   documented `--refresh-grace`);
//! - no half-applied rotation: a rotated refresh token always names a successor that exists in
//!   the same family, and an unrotated one names none; every refresh token has the access token
//!   issued beside it; every redeemed code has the tokens it issued; nothing was revoked (the
//!   harness never presents a token in a way that reads as theft);
//! - every memory whose `add_memory` answered success is there, with its content and owner.
//!
//! Shared by `examples/crash.rs` (20 rounds against the release binary) and
//! `tests/crash_safety.rs` (3 rounds against the test build), each with
//! `#[path = "…/tests/common/crash.rs"] mod crash;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_oauth::client::{self, authorize_url, AuthorizeUrl, Browser, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret;
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{migrations, users, DatabaseTarget, Store};
use rand::Rng;
use serde_json::{json, Value};

const REDIRECT: &str = "http://127.0.0.1/callback";
const PASSWORD: &str = "crash harness password";
const CLIENT_ID: &str = "mcp_oauth_crashharness";

/// How a run is shaped.
#[derive(Debug, Clone)]
pub struct Settings {
    pub binary: PathBuf,
    pub rounds: usize,
    pub workers: usize,
    /// The kill lands uniformly at random in this window after the load starts.
    pub kill_after: (Duration, Duration),
}

/// What one round did and found.
#[derive(Debug, Default, Clone)]
pub struct RoundReport {
    pub killed_after: Duration,
    pub exchanges: usize,
    pub refreshes: usize,
    pub memories: usize,
    /// Requests in flight at the kill whose outcome the client never learned.
    pub lost_answers: usize,
    /// Refresh tokens found rotated by a request whose answer was lost (used inside the grace).
    pub rotated_unseen: usize,
    pub access_checked: usize,
    /// From the kill to the last post-restart refresh: must stay inside the 60 s grace.
    pub refreshed_within: Duration,
    pub wal_bytes_at_kill: u64,
    pub failures: Vec<String>,
}

/// One authorization as the client sees it.
#[derive(Debug, Clone)]
struct Chain {
    round: usize,
    /// Every access token received for this chain.
    access: Vec<String>,
    /// The newest refresh token received.
    refresh: String,
    /// Refresh tokens the client used successfully (rotated out, by its own hand).
    retired: Vec<String>,
}

#[derive(Debug, Clone)]
struct StoredMemory {
    round: usize,
    id: i64,
    user_id: String,
    content: String,
}

#[derive(Default)]
struct Ledger {
    chains: Vec<Chain>,
    memories: Vec<StoredMemory>,
    failures: Vec<String>,
    exchanges: usize,
    refreshes: usize,
    lost_answers: usize,
}

pub struct Harness {
    settings: Settings,
    _dir: tempfile::TempDir,
    db: PathBuf,
    port: u16,
    issuer: String,
    child: Option<Child>,
    ledger: Arc<Mutex<Ledger>>,
    http: reqwest::Client,
    client: ClientAuth,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn user_name(worker: usize) -> String {
    format!("crash{worker}")
}

fn user_id(worker: usize) -> String {
    format!("user_crash{worker}")
}

impl Harness {
    /// A migrated database with one public client and a user per worker; no server yet.
    pub async fn new(settings: Settings) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("crash.db");
        let store = Store::open(&DatabaseTarget::Local(db.clone()))
            .await
            .expect("open");
        migrations::apply_pending(&store).await.expect("migrate");
        clients::insert(
            &store,
            &NewClient {
                client_id: CLIENT_ID.into(),
                client_name: "crash harness".into(),
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
        .expect("client");
        let hash = secret::hash_password(PASSWORD);
        for w in 0..settings.workers {
            users::create(&store, &user_id(w), &user_name(w), &hash, 0)
                .await
                .expect("user");
        }
        // No connection of ours may be open across a kill: recovery must be the server's.
        drop(store);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        Harness {
            settings,
            _dir: dir,
            db,
            port,
            issuer: format!("http://127.0.0.1:{port}"),
            child: None,
            ledger: Arc::default(),
            http: client::http_client(),
            client: ClientAuth::Public(CLIENT_ID.into()),
        }
    }

    pub fn database(&self) -> &Path {
        &self.db
    }

    /// Starts `serve` on the same port (tokens are bound to `<issuer>/api/mcp`) and waits until
    /// it answers `/readyz`, for at most 20 s.
    async fn start_server(&mut self) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.db.with_extension("log"))
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.settings.binary)
            .args(["--database", &self.db.to_string_lossy(), "serve", "--listen"])
            .arg(format!("127.0.0.1:{}", self.port))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.settings.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(r) = self.http.get(format!("{}/readyz", self.issuer)).send().await {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                return Err(format!("serve exited at start: {status}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("serve did not become ready within 20 s".into())
    }

    fn kill_server(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
    }

    /// Runs every round; returns one report per round.
    pub async fn run(&mut self, mut on_round: impl FnMut(usize, &RoundReport)) -> Vec<RoundReport> {
        let mut reports = Vec::new();
        if let Err(e) = self.start_server().await {
            reports.push(RoundReport {
                failures: vec![e],
                ..RoundReport::default()
            });
            return reports;
        }
        for round in 0..self.settings.rounds {
            let report = self.round(round).await;
            on_round(round, &report);
            let failed = !report.failures.is_empty();
            reports.push(report);
            if failed {
                break;
            }
        }
        self.kill_server();
        reports
    }

    async fn round(&mut self, round: usize) -> RoundReport {
        let before = {
            let l = lock(&self.ledger);
            (l.exchanges, l.refreshes, l.memories.len(), l.lost_answers)
        };
        let killed = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for w in 0..self.settings.workers {
            tasks.push(tokio::spawn(work(
                w,
                round,
                self.issuer.clone(),
                self.client.clone(),
                self.ledger.clone(),
                killed.clone(),
            )));
        }
        let (lo, hi) = self.settings.kill_after;
        let wait = rand::rng().random_range(lo.as_millis() as u64..=hi.as_millis() as u64);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let wal_bytes_at_kill = std::fs::metadata(self.db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        killed.store(true, Ordering::SeqCst);
        self.kill_server();
        let killed_at = Instant::now();
        let killed_after = started.elapsed();
        for t in tasks {
            let _ = t.await;
        }
        let mut report = {
            let mut l = lock(&self.ledger);
            RoundReport {
                killed_after,
                exchanges: l.exchanges - before.0,
                refreshes: l.refreshes - before.1,
                memories: l.memories.len() - before.2,
                lost_answers: l.lost_answers - before.3,
                wal_bytes_at_kill,
                failures: std::mem::take(&mut l.failures),
                ..RoundReport::default()
            }
        };
        if let Err(e) = self.check_offline(round, &mut report).await {
            report.failures.push(format!("offline check: {e}"));
        }
        if let Err(e) = self.start_server().await {
            report.failures.push(format!("restart: {e}"));
            return report;
        }
        self.check_online(round, killed_at, &mut report).await;
        report
    }

    /// With the server dead and before it restarts: the file as the kill left it.
    async fn check_offline(&self, round: usize, report: &mut RoundReport) -> Result<(), String> {
        let store = Store::open(&DatabaseTarget::Local(self.db.clone()))
            .await
            .map_err(|e| e.to_string())?;
        let conn = store.connection().await.map_err(|e| e.to_string())?;
        let text = |sql: &'static str| {
            let conn = &conn;
            async move {
                let mut rows = conn.query(sql, ()).await.map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().await.map_err(|e| e.to_string())? {
                    out.push(format!("{:?}", row.get_value(0).map_err(|e| e.to_string())?));
                }
                Ok::<_, String>(out)
            }
        };
        let integrity = text("PRAGMA integrity_check").await?;
        if integrity != ["Text(\"ok\")"] {
            report.failures.push(format!("integrity_check: {integrity:?}"));
        }
        let fk = text("PRAGMA foreign_key_check").await?;
        if !fk.is_empty() {
            report.failures.push(format!("foreign_key_check: {fk:?}"));
        }
        if let Err(e) = conn
            .execute(
                "INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')",
                (),
            )
            .await
        {
            report.failures.push(format!("FTS5 integrity-check: {e}"));
        }
        for (what, sql) in INVARIANTS {
            let n = mcp_oauth::storage::scalar_i64(&conn, sql, ())
                .await
                .map_err(|e| e.to_string())?;
            if n != 0 {
                report.failures.push(format!("{what}: {n} rows"));
            }
        }
        // This round's chains and memories in full; a sample of earlier rounds' (each was
        // checked in full in its own round, and this keeps every round's check, and so the
        // time from the kill to the grace-critical refreshes, bounded).
        let (chains, memories) = {
            let l = lock(&self.ledger);
            (
                sample(&l.chains, |c| c.round == round),
                sample(&l.memories, |m| m.round == round),
            )
        };
        for chain in &chains {
            for token in &chain.access {
                let n = mcp_oauth::storage::scalar_i64(
                    &conn,
                    "SELECT count(*) FROM oauth_access_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
                    [secret::digest(token).to_vec()],
                )
                .await
                .map_err(|e| e.to_string())?;
                if n != 1 {
                    report
                        .failures
                        .push(format!("an access token of round {} is missing", chain.round));
                }
            }
            for token in &chain.retired {
                let n = mcp_oauth::storage::scalar_i64(
                    &conn,
                    "SELECT count(*) FROM oauth_refresh_tokens WHERE token_hash = ?1 AND rotated_at IS NOT NULL",
                    [secret::digest(token).to_vec()],
                )
                .await
                .map_err(|e| e.to_string())?;
                if n != 1 {
                    report.failures.push(format!(
                        "a refresh token the client rotated (round {}) is not recorded as rotated",
                        chain.round
                    ));
                }
            }
            let digest = secret::digest(&chain.refresh).to_vec();
            let head = mcp_oauth::storage::scalar_i64(
                &conn,
                "SELECT count(*) FROM oauth_refresh_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
                [digest.clone()],
            )
            .await
            .map_err(|e| e.to_string())?;
            let rotated_unseen = mcp_oauth::storage::scalar_i64(
                &conn,
                "SELECT count(*) FROM oauth_refresh_tokens WHERE token_hash = ?1 AND rotated_at IS NOT NULL",
                [digest],
            )
            .await
            .map_err(|e| e.to_string())?;
            if head != 1 {
                report.failures.push(format!(
                    "the newest refresh token of a chain (round {}) is missing or revoked",
                    chain.round
                ));
            }
            report.rotated_unseen += rotated_unseen as usize;
        }
        for m in &memories {
            let n = mcp_oauth::storage::scalar_i64(
                &conn,
                "SELECT count(*) FROM memories WHERE id = ?1 AND user_id = ?2 AND content = ?3",
                libsql::params![m.id, m.user_id.clone(), m.content.clone()],
            )
            .await
            .map_err(|e| e.to_string())?;
            if n != 1 {
                report.failures.push(format!(
                    "memory {} ({}) acknowledged but missing",
                    m.id, m.user_id
                ));
            }
        }
        Ok(())
    }

    /// With the server restarted: this round's tokens, used the way a client would.
    async fn check_online(&mut self, round: usize, killed_at: Instant, report: &mut RoundReport) {
        let chains: Vec<(usize, Chain)> = lock(&self.ledger)
            .chains
            .iter()
            .cloned()
            .enumerate()
            .filter(|(_, c)| c.round == round)
            .collect();
        // Refreshes first: a token rotated by an answer the kill swallowed is usable only
        // within --refresh-grace (60 s) of that rotation; after it, its use reads as theft.
        for (index, chain) in &chains {
            let (index, chain) = (*index, chain);
            match client::refresh(&self.http, &self.issuer, &self.client, &chain.refresh).await {
                Ok(r) if r.status() == 200 => match r.json::<TokenResponse>().await {
                    Ok(t) => {
                        if let Err(e) = tools_list(&self.http, &self.issuer, &t.access_token).await {
                            report.failures.push(format!("refreshed access token: {e}"));
                        }
                        let mut l = lock(&self.ledger);
                        let c = &mut l.chains[index];
                        let old = std::mem::replace(&mut c.refresh, t.refresh_token.unwrap_or_default());
                        c.retired.push(old);
                        c.access.push(t.access_token);
                    }
                    Err(e) => report.failures.push(format!("refresh after restart: {e}")),
                },
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    report
                        .failures
                        .push(format!("refresh after restart answered {status}: {body}"));
                }
                Err(e) => report.failures.push(format!("refresh after restart: {e}")),
            }
        }
        report.refreshed_within = killed_at.elapsed();
        if report.refreshed_within > Duration::from_secs(55) {
            report.failures.push(format!(
                "the harness took {:?} from the kill to the last refresh: too close to the 60 s grace for the check to mean anything",
                report.refreshed_within
            ));
        }
        for (_, chain) in &chains {
            for token in &chain.access {
                report.access_checked += 1;
                if let Err(e) = tools_list(&self.http, &self.issuer, token).await {
                    report.failures.push(format!("access token after restart: {e}"));
                }
            }
        }
    }
}

/// Everything of this round (`current`), and up to 200 items of earlier rounds.
fn sample<T: Clone>(items: &[T], current: impl Fn(&T) -> bool) -> Vec<T> {
    let mut out: Vec<T> = items.iter().filter(|i| current(i)).cloned().collect();
    let earlier: Vec<&T> = items.iter().filter(|i| !current(i)).collect();
    let mut rng = rand::rng();
    for _ in 0..earlier.len().min(200) {
        out.push(earlier[rng.random_range(0..earlier.len())].clone());
    }
    out
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.kill_server();
    }
}

/// Table-wide statements that must each count zero rows.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "half-applied rotation (rotated_at and replaced_by disagree)",
        "SELECT count(*) FROM oauth_refresh_tokens WHERE (rotated_at IS NULL) <> (replaced_by IS NULL)",
    ),
    (
        "rotated refresh token whose successor is missing",
        "SELECT count(*) FROM oauth_refresh_tokens r WHERE r.replaced_by IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM oauth_refresh_tokens s WHERE s.token_hash = r.replaced_by AND s.grant_id = r.grant_id)",
    ),
    (
        "refresh token without the access token issued beside it",
        // NOT IN builds one ephemeral index (refresh_token_hash has none of its own); a
        // correlated NOT EXISTS would scan the access tokens once per refresh token.
        "SELECT count(*) FROM oauth_refresh_tokens WHERE token_hash NOT IN \
         (SELECT refresh_token_hash FROM oauth_access_tokens WHERE refresh_token_hash IS NOT NULL)",
    ),
    (
        "redeemed code without tokens",
        "SELECT count(*) FROM oauth_authorization_codes c WHERE c.used_at IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM oauth_refresh_tokens r WHERE r.grant_id = c.grant_id)",
    ),
    (
        "revoked tokens (nothing here should read as theft or replay)",
        "SELECT (SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NOT NULL) + \
         (SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NOT NULL)",
    ),
];

/// `tools/list` with `token`: Ok when the server accepts it.
async fn tools_list(http: &reqwest::Client, issuer: &str, token: &str) -> Result<(), String> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" });
    let r = mcp_post(http, issuer, token, &body)
        .await
        .map_err(|e| e.to_string())?;
    match r {
        (200, _) => Ok(()),
        (status, body) => Err(format!("tools/list answered {status}: {body}")),
    }
}

async fn mcp_post(
    http: &reqwest::Client,
    issuer: &str,
    token: &str,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let r = http
        .post(format!("{issuer}/api/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let value = r.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, value))
}

/// One worker: its own user and browser; new chains, refreshes and memories until the kill.
async fn work(
    worker: usize,
    round: usize,
    issuer: String,
    auth: ClientAuth,
    ledger: Arc<Mutex<Ledger>>,
    killed: Arc<AtomicBool>,
) {
    let http = client::http_client();
    // An error once the kill flag is up is the kill; before it, a failure.
    let fail = |what: String| {
        if killed.load(Ordering::SeqCst) {
            lock(&ledger).lost_answers += 1;
        } else {
            lock(&ledger).failures.push(format!("worker {worker}: {what}"));
        }
    };
    let mut browser = Browser::new(&issuer);
    if let Err(e) = browser.sign_in(&user_name(worker), PASSWORD).await {
        fail(format!("sign in: {e}"));
        return;
    }
    let mut mine: Vec<usize> = Vec::new();
    let mut n = 0usize;
    while !killed.load(Ordering::SeqCst) {
        n += 1;
        let roll = rand::rng().random_range(0..10);
        if mine.is_empty() || roll < 2 {
            let pkce = PkcePair::generate();
            let url = authorize_url(
                &issuer,
                &AuthorizeUrl {
                    client_id: auth.client_id(),
                    redirect_uri: REDIRECT,
                    code_challenge: Some(&pkce.challenge),
                    state: Some("crash"),
                    ..AuthorizeUrl::default()
                },
            );
            let code = match browser.authorize(&url).await {
                Ok(c) => c,
                Err(e) => return fail(format!("authorize: {e}")),
            };
            let answer =
                client::exchange_code(&http, &issuer, &auth, &code, REDIRECT, Some(&pkce.verifier)).await;
            match token_answer(answer).await {
                Ok(t) => {
                    let mut l = lock(&ledger);
                    l.exchanges += 1;
                    l.chains.push(Chain {
                        round,
                        access: vec![t.access_token],
                        refresh: t.refresh_token.unwrap_or_default(),
                        retired: Vec::new(),
                    });
                    mine.push(l.chains.len() - 1);
                }
                Err(e) => return fail(format!("code exchange: {e}")),
            }
        } else if roll < 6 {
            let index = mine[rand::rng().random_range(0..mine.len())];
            let current = lock(&ledger).chains[index].refresh.clone();
            match token_answer(client::refresh(&http, &issuer, &auth, &current).await).await {
                Ok(t) => {
                    let mut l = lock(&ledger);
                    l.refreshes += 1;
                    let c = &mut l.chains[index];
                    c.retired.push(std::mem::replace(
                        &mut c.refresh,
                        t.refresh_token.unwrap_or_default(),
                    ));
                    c.access.push(t.access_token);
                }
                Err(e) => return fail(format!("refresh: {e}")),
            }
        } else {
            let index = mine[rand::rng().random_range(0..mine.len())];
            let token = lock(&ledger).chains[index]
                .access
                .last()
                .cloned()
                .unwrap_or_default();
            let content = format!(
                "round {round} worker {worker} note {n} {}",
                secret::generate(secret::Kind::Csrf)
            );
            let call = json!({
                "jsonrpc": "2.0", "id": n, "method": "tools/call",
                "params": { "name": "add_memory", "arguments": { "content": content, "tags": ["crash"] } }
            });
            match mcp_post(&http, &issuer, &token, &call).await {
                Ok((200, v)) if v["result"]["isError"] != json!(true) => {
                    match v["result"]["structuredContent"]["id"].as_i64() {
                        Some(id) => lock(&ledger).memories.push(StoredMemory {
                            round,
                            id,
                            user_id: user_id(worker),
                            content,
                        }),
                        None => return fail(format!("add_memory answered without an id: {v}")),
                    }
                }
                Ok((status, v)) => return fail(format!("add_memory answered {status}: {v}")),
                Err(e) => return fail(format!("add_memory: {e}")),
            }
        }
    }
}

async fn token_answer(answer: Result<reqwest::Response, reqwest::Error>) -> Result<TokenResponse, String> {
    let r = answer.map_err(|e| e.to_string())?;
    let status = r.status();
    if status != 200 {
        return Err(format!("{status}: {}", r.text().await.unwrap_or_default()));
    }
    r.json::<TokenResponse>().await.map_err(|e| e.to_string())
}

/// One line per round, for the example and the test's output.
pub fn describe(round: usize, r: &RoundReport) -> String {
    format!(
        "round {:>2}: killed after {:>4} ms (WAL {:>5} KiB): {:>4} exchanges, {:>4} refreshes, {:>4} memories acknowledged; {} answers lost, {} refresh tokens rotated unseen; all chains refreshed {:.1} s after the kill; {} access tokens re-checked; {}",
        round + 1,
        r.killed_after.as_millis(),
        r.wal_bytes_at_kill / 1024,
        r.exchanges,
        r.refreshes,
        r.memories,
        r.lost_answers,
        r.rotated_unseen,
        r.refreshed_within.as_secs_f64(),
        r.access_checked,
        if r.failures.is_empty() {
            "ok".to_string()
        } else {
            format!("FAILED: {}", r.failures.join("; "))
        }
    )
}
