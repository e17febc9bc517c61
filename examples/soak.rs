//! Soak (issue 6): mixed load at a steady rate against the release server for ten minutes.
//! Not a test:
//!
//! ```text
//! cargo build --release && cargo run --release --example soak -- [SECONDS] [RATE]
//! ```
//!
//! Open loop at RATE operations per second (default 100), for SECONDS (default 600), drawn
//! from: a new grant (consent in a signed-in browser + code exchange) 10%, a refresh 20%, a
//! revocation 5% (then the revoked token must be refused: the expected errors), and tool calls
//! 65% (`add_memory`, `search_memories`, `list_memories`, `tools/list`). Every minute prints
//! operations, unexpected errors, p50/p99/max, the server's RSS, open file descriptors,
//! threads and the database/WAL sizes. Exit 1 on any unexpected error.

#[path = "support/mod.rs"]
mod support;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_oauth::client::{self, authorize_url, AuthorizeUrl, Browser, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret;
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{migrations, users, DatabaseTarget, Store};
use rand::Rng;
use serde_json::{json, Value};
use support::{ms, percentile, ServerProcess};

const REDIRECT: &str = "http://127.0.0.1/callback";
const PASSWORD: &str = "soak password";
const BROWSERS: usize = 8;

#[derive(Clone)]
struct Chain {
    access: String,
    refresh: String,
}

/// One finished operation.
struct Sample {
    minute: usize,
    kind: &'static str,
    took: Duration,
    /// `None`: as expected; `Some(what)`: an unexpected error.
    error: Option<String>,
}

struct World {
    issuer: String,
    http: reqwest::Client,
    client: ClientAuth,
    browsers: Mutex<Vec<Browser>>,
    chains: Mutex<Vec<Chain>>,
    samples: Mutex<Vec<Sample>>,
    expected_refusals: AtomicUsize,
    in_flight: AtomicUsize,
    skipped: AtomicUsize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(600);
    let rate: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("soak.db");
    seed(&db).await;
    let server = ServerProcess::start(&db, support::free_port(), &dir.path().join("serve.log")).await;
    let mut browsers = Vec::new();
    for i in 0..BROWSERS {
        let mut b = Browser::new(&server.issuer);
        b.sign_in(&format!("soak{i}"), PASSWORD).await.expect("sign in");
        browsers.push(b);
    }
    let world = Arc::new(World {
        issuer: server.issuer.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build()
            .expect("client"),
        client: ClientAuth::Public("mcp_oauth_soak".into()),
        browsers: Mutex::new(browsers),
        chains: Mutex::new(Vec::new()),
        samples: Mutex::new(Vec::new()),
        expected_refusals: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        skipped: AtomicUsize::new(0),
    });
    println!(
        "soak: {seconds} s at {rate} operations/s against {} (pid {})",
        support::binary().display(),
        server.pid()
    );
    println!(
        "{:>3} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>5} {:>4} {:>8} {:>8}",
        "min", "ops", "errors", "p50 ms", "p99 ms", "max ms", "RSS KiB", "fds", "thr", "db KiB", "wal KiB"
    );
    let rss_start = server.rss_kib();
    let fds_start = server.fds();
    println!(
        "{:>3} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>5} {:>4} {:>8} {:>8}",
        0,
        "-",
        "-",
        "-",
        "-",
        "-",
        rss_start,
        fds_start,
        server.threads(),
        support::file_size(&db) / 1024,
        support::file_size(&db.with_extension("db-wal")) / 1024
    );
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut minute_reported = 0usize;
    let mut p99s = Vec::new();
    let mut rows = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let minute = (started.elapsed().as_secs() / 60) as usize;
        if minute > minute_reported {
            rows.push(report(&world, minute_reported, &server, &db, &mut p99s));
            minute_reported = minute;
        }
        // Bounded concurrency: a server that stalls shows as skipped operations, not as an
        // ever-growing pile of tasks in the load generator.
        if world.in_flight.load(Ordering::Relaxed) >= 256 {
            world.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        world.in_flight.fetch_add(1, Ordering::Relaxed);
        let w = world.clone();
        tokio::spawn(async move {
            operate(&w, minute).await;
            w.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    for _ in 0..300 {
        if world.in_flight.load(Ordering::Relaxed) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    rows.push(report(&world, minute_reported, &server, &db, &mut p99s));
    let rss_end = server.rss_kib();
    let fds_end = server.fds();
    let errors: Vec<String> = world
        .samples
        .lock()
        .unwrap()
        .iter()
        .filter_map(|s| s.error.clone())
        .collect();
    let total: usize = rows.iter().sum();
    println!(
        "total {total} operations in {:.0} s; unexpected errors {}; expected refusals of revoked tokens {}; skipped ticks {}",
        started.elapsed().as_secs_f64(),
        errors.len(),
        world.expected_refusals.load(Ordering::Relaxed),
        world.skipped.load(Ordering::Relaxed)
    );
    println!(
        "RSS start {rss_start} KiB, end {rss_end} KiB; open fds start {fds_start}, end {fds_end}; p99 per minute (ms): {}",
        p99s.iter().map(|p| format!("{p:.1}")).collect::<Vec<_>>().join(" ")
    );
    let mut kinds: Vec<&str> = world.samples.lock().unwrap().iter().map(|s| s.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        let mut took: Vec<Duration> = world
            .samples
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.took)
            .collect();
        println!(
            "  {kind:<16} {:>7} ops  p50 {:>6.2} ms  p99 {:>6.2} ms",
            took.len(),
            ms(percentile(&mut took, 0.5)),
            ms(percentile(&mut took, 0.99))
        );
    }
    for e in errors.iter().take(20) {
        println!("  error: {e}");
    }
    server.stop();
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints one minute's line; returns the operations it counted.
fn report(
    world: &World,
    minute: usize,
    server: &ServerProcess,
    db: &std::path::Path,
    p99s: &mut Vec<f64>,
) -> usize {
    let samples = world.samples.lock().unwrap();
    let mut took: Vec<Duration> = samples
        .iter()
        .filter(|s| s.minute == minute)
        .map(|s| s.took)
        .collect();
    let errors = samples
        .iter()
        .filter(|s| s.minute == minute && s.error.is_some())
        .count();
    drop(samples);
    let p99 = ms(percentile(&mut took, 0.99));
    p99s.push(p99);
    println!(
        "{:>3} {:>6} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8} {:>5} {:>4} {:>8} {:>8}",
        minute + 1,
        took.len(),
        errors,
        ms(percentile(&mut took, 0.5)),
        p99,
        ms(took.last().copied().unwrap_or_default()),
        server.rss_kib(),
        server.fds(),
        server.threads(),
        support::file_size(db) / 1024,
        support::file_size(&db.with_extension("db-wal")) / 1024
    );
    took.len()
}

async fn operate(w: &World, minute: usize) {
    let roll = rand::rng().random_range(0..100);
    let chain = if roll < 10 {
        None
    } else {
        let mut chains = w.chains.lock().unwrap();
        if chains.is_empty() {
            None
        } else {
            let i = rand::rng().random_range(0..chains.len());
            Some(chains.swap_remove(i))
        }
    };
    let t = Instant::now();
    let (kind, outcome) = match chain {
        None => ("grant", grant(w).await),
        Some(c) if roll < 30 => ("refresh", refresh(w, c).await),
        Some(c) if roll < 35 => ("revoke", revoke(w, c).await),
        Some(c) => tool_call(w, c, roll).await,
    };
    w.samples.lock().unwrap().push(Sample {
        minute,
        kind,
        took: t.elapsed(),
        error: outcome.err(),
    });
}

async fn grant(w: &World) -> Result<(), String> {
    let Some(mut browser) = w.browsers.lock().unwrap().pop() else {
        return Ok(()); // all browsers busy: not an error of the server's
    };
    let pkce = PkcePair::generate();
    let url = authorize_url(
        &w.issuer,
        &AuthorizeUrl {
            client_id: w.client.client_id(),
            redirect_uri: REDIRECT,
            code_challenge: Some(&pkce.challenge),
            state: Some("soak"),
            ..AuthorizeUrl::default()
        },
    );
    let code = browser.authorize(&url).await;
    w.browsers.lock().unwrap().push(browser);
    let code = code.map_err(|e| format!("authorize: {e}"))?;
    let answer = client::exchange_code(
        &w.http,
        &w.issuer,
        &w.client,
        &code,
        REDIRECT,
        Some(&pkce.verifier),
    )
    .await;
    let t = tokens(answer).await.map_err(|e| format!("code exchange: {e}"))?;
    w.chains.lock().unwrap().push(Chain {
        access: t.access_token,
        refresh: t.refresh_token.unwrap_or_default(),
    });
    Ok(())
}

async fn refresh(w: &World, c: Chain) -> Result<(), String> {
    let answer = client::refresh(&w.http, &w.issuer, &w.client, &c.refresh).await;
    let t = tokens(answer).await.map_err(|e| format!("refresh: {e}"))?;
    w.chains.lock().unwrap().push(Chain {
        access: t.access_token,
        refresh: t.refresh_token.unwrap_or_default(),
    });
    Ok(())
}

/// Revokes the chain's refresh token; then its refresh and its access token must be refused.
async fn revoke(w: &World, c: Chain) -> Result<(), String> {
    let r = client::revoke(&w.http, &w.issuer, &w.client, &c.refresh)
        .await
        .map_err(|e| format!("revoke: {e}"))?;
    if r.status() != 200 {
        return Err(format!("revoke answered {}", r.status()));
    }
    let again = client::refresh(&w.http, &w.issuer, &w.client, &c.refresh)
        .await
        .map_err(|e| format!("refresh after revoke: {e}"))?;
    if again.status() != 400 {
        return Err(format!(
            "refresh with a revoked token answered {}",
            again.status()
        ));
    }
    let (status, _) = mcp(
        w,
        &c.access,
        json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }),
    )
    .await
    .map_err(|e| format!("mcp after revoke: {e}"))?;
    if status != 401 {
        return Err(format!(
            "tools/list with a revoked access token answered {status}"
        ));
    }
    w.expected_refusals.fetch_add(2, Ordering::Relaxed);
    Ok(())
}

async fn tool_call(w: &World, c: Chain, roll: u32) -> (&'static str, Result<(), String>) {
    let (kind, body) = match roll % 4 {
        0 => (
            "add_memory",
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": { "name": "add_memory",
                "arguments": { "content": format!("soak note {} about topic{}", secret::generate(secret::Kind::Csrf), roll), "tags": ["soak"] } } }),
        ),
        1 => (
            "search_memories",
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": { "name": "search_memories",
                "arguments": { "query": format!("topic{roll}"), "limit": 10 } } }),
        ),
        2 => (
            "list_memories",
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": { "name": "list_memories",
                "arguments": { "limit": 20 } } }),
        ),
        _ => (
            "tools/list",
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }),
        ),
    };
    let outcome = match mcp(w, &c.access, body).await {
        Ok((200, v)) if v["result"]["isError"] != json!(true) && v.get("error").is_none() => Ok(()),
        Ok((status, v)) => Err(format!("{kind} answered {status}: {v}")),
        Err(e) => Err(format!("{kind}: {e}")),
    };
    w.chains.lock().unwrap().push(c);
    (kind, outcome)
}

async fn mcp(w: &World, token: &str, body: Value) -> Result<(u16, Value), reqwest::Error> {
    let r = w
        .http
        .post(format!("{}/api/mcp", w.issuer))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

async fn tokens(answer: Result<reqwest::Response, reqwest::Error>) -> Result<TokenResponse, String> {
    let r = answer.map_err(|e| e.to_string())?;
    if r.status() != 200 {
        let status = r.status();
        return Err(format!("{status}: {}", r.text().await.unwrap_or_default()));
    }
    r.json().await.map_err(|e| e.to_string())
}

async fn seed(db: &std::path::Path) {
    let store = Store::open(&DatabaseTarget::Local(db.to_path_buf()))
        .await
        .expect("open");
    migrations::apply_pending(&store).await.expect("migrate");
    clients::insert(
        &store,
        &NewClient {
            client_id: "mcp_oauth_soak".into(),
            client_name: "soak".into(),
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
    for i in 0..BROWSERS {
        users::create(&store, &format!("user_soak{i}"), &format!("soak{i}"), &hash, 0)
            .await
            .expect("user");
    }
}
