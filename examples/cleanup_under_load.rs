//! Cleanup under load (issue 6): `mcp-oauth token cleanup` of 1,000,000 expired rows while the
//! release server answers authenticated `tools/list` at a steady rate. Not a test:
//!
//! ```text
//! bench/cleanup-under-load.sh    # or: cargo run --release --example cleanup_under_load -- [ROWS] [BATCH|default] [RATE]
//! ```
//!
//! Seeds ROWS (default 1,000,000) expired access and refresh tokens into a fresh database file
//! (the same rows as `bench/cleanup.sh`), starts `serve` on it and sends RATE (default 300)
//! `tools/list` requests per second, each with one of 64 live access tokens, open loop (a slow
//! answer does not slow the arrivals). Phases: 15 s before, the cleanup (run as its own process,
//! `--batch-size BATCH`, default the CLI's), 5 s after. Beside the reads, [`WRITERS`] refresh
//! chains each rotate their refresh token [`WRITES_PER_CHAIN`] times a second, so the server
//! writes while the cleanup runs and has to get the write lock between its batches. Prints
//! p50/p99/max per phase (reads and refresh grants apart) and per 5 s during the cleanup, the
//! cleanup's wall time, and fails (exit 1) when a p99 during the cleanup is 50 ms or more, or
//! any request fails.
//!
//! To see *when* slow requests happen: `BENCH_DUMP_DIR=DIR` writes every request
//! (`samples.txt`: sent at, Unix µs; kind; µs taken; ok) and the cleanup's start and end, with
//! both processes' logs (`serve.log`, `cleanup.log`), whose filters `BENCH_SERVER_LOG` and
//! `BENCH_CLEANUP_LOG` set (e.g. `warn,mcp_oauth::storage=trace`: each cleanup batch and each
//! checkpoint pass, with their times).

#[path = "support/mod.rs"]
mod support;

use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_oauth::client::{self, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::oauth::grants::{self, Approval, Lifetimes};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::tokens::{insert_access_token, NewAccessToken};
use mcp_oauth::storage::{migrations, DatabaseTarget, Store};
use serde_json::json;
use support::{ms, percentile, ServerProcess};

const LIVE_TOKENS: usize = 64;
/// Refresh chains, each a writer following its own rotation.
const WRITERS: usize = 4;
const WRITES_PER_CHAIN: u64 = 10;
const P99_BUDGET: Duration = Duration::from_millis(50);

/// One answered request: when it was sent (since the start), how long it took, whether it was 200.
#[derive(Clone, Copy)]
struct Sample {
    /// Wall clock when sent, Unix microseconds (to line up with the processes' logs).
    wall_us: u64,
    sent: Duration,
    took: Duration,
    ok: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let batch: Option<u64> = args.next().and_then(|a| a.parse().ok());
    let rate: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);

    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cleanup.db");
    let port = support::free_port();
    let resource = format!("http://127.0.0.1:{port}/api/mcp");
    let seeding = Instant::now();
    let tokens = seed(&db, rows, &resource).await;
    println!(
        "seeded {rows} expired rows and {LIVE_TOKENS} live tokens in {:.1} s; database {} MiB",
        seeding.elapsed().as_secs_f64(),
        support::file_size(&db) / (1 << 20)
    );

    let server = ServerProcess::start(&db, port, &dir.path().join("serve.log")).await;
    let chains = refresh_chains(&db, &server.issuer, &resource).await;
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let writes: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let started = Instant::now();
    let load = tokio::spawn(drive(
        server.issuer.clone(),
        tokens,
        rate,
        started,
        samples.clone(),
    ));
    let writers: Vec<_> = chains
        .into_iter()
        .map(|rt| tokio::spawn(rotate(server.issuer.clone(), rt, started, writes.clone())))
        .collect();

    tokio::time::sleep(Duration::from_secs(15)).await;
    let cleanup_from = started.elapsed();
    let mut cleanup = Command::new(support::binary());
    if let Ok(filter) = std::env::var("BENCH_CLEANUP_LOG") {
        cleanup.env("RUST_LOG", filter);
    }
    cleanup.args(["--database", &db.to_string_lossy(), "token", "cleanup"]);
    if let Some(b) = batch {
        cleanup.args(["--batch-size", &b.to_string()]);
    }
    let cleanup_started = Instant::now();
    let cleanup_started_wall = wall_us();
    let output = tokio::task::spawn_blocking(move || cleanup.output())
        .await
        .expect("join")
        .expect("run token cleanup");
    let cleanup_wall = cleanup_started.elapsed();
    let cleanup_ended_wall = wall_us();
    let cleanup_to = started.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    load.abort();
    let _ = load.await;
    for w in writers {
        w.abort();
        let _ = w.await;
    }
    let rss = server.rss_kib();
    server.stop();

    print!("{}", String::from_utf8_lossy(&output.stdout));
    if let Ok(dump) = std::env::var("BENCH_DUMP_DIR") {
        let dump = std::path::Path::new(&dump);
        std::fs::write(dump.join("cleanup.log"), &output.stderr).expect("write cleanup.log");
        let _ = std::fs::copy(dir.path().join("serve.log"), dump.join("serve.log"));
        let mut lines =
            format!("{cleanup_started_wall} cleanup-start 0 true\n{cleanup_ended_wall} cleanup-end 0 true\n");
        for (kind, s) in [("tools/list", &samples), ("refresh", &writes)] {
            for s in s.lock().unwrap().iter() {
                lines.push_str(&format!(
                    "{} {} {} {}\n",
                    s.wall_us,
                    kind,
                    s.took.as_micros(),
                    s.ok
                ));
            }
        }
        std::fs::write(dump.join("samples.txt"), lines).expect("write samples");
        println!("dumped logs and samples to {}", dump.display());
    }
    if !output.status.success() {
        eprintln!(
            "token cleanup failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return ExitCode::FAILURE;
    }
    let samples = samples.lock().unwrap().clone();
    let writes = writes.lock().unwrap().clone();
    let window = |samples: &[Sample], from: Duration, to: Duration| -> Vec<Sample> {
        samples
            .iter()
            .copied()
            .filter(|s| s.sent >= from && s.sent < to)
            .collect()
    };
    let phase = |from: Duration, to: Duration| window(&samples, from, to);
    let warm = Duration::from_secs(2); // the first seconds warm caches
    let before = phase(warm, cleanup_from);
    let during = phase(cleanup_from, cleanup_to);
    let after = phase(cleanup_to, Duration::MAX);
    let w_before = window(&writes, warm, cleanup_from);
    let w_during = window(&writes, cleanup_from, cleanup_to);
    let w_after = window(&writes, cleanup_to, Duration::MAX);
    println!(
        "cleanup: {rows} rows in {:.1} s wall ({:.0} rows/s), batch size {}; serving {rate} tools/list per second; server RSS at the end {} MiB",
        cleanup_wall.as_secs_f64(),
        rows as f64 / cleanup_wall.as_secs_f64(),
        batch.map_or("default".to_string(), |b| b.to_string()),
        rss / 1024
    );
    println!(
        "{:<17} {:>8} {:>7} {:>8} {:>8} {:>8}",
        "phase", "requests", "failed", "p50 ms", "p99 ms", "max ms"
    );
    let mut failed_total = 0;
    let mut p99_during = Duration::ZERO;
    for (name, s) in [
        ("before  tools/list", &before),
        ("during  tools/list", &during),
        ("after   tools/list", &after),
        ("before  refresh", &w_before),
        ("during  refresh", &w_during),
        ("after   refresh", &w_after),
    ] {
        let failed = s.iter().filter(|s| !s.ok).count();
        failed_total += failed;
        let mut took: Vec<Duration> = s.iter().map(|s| s.took).collect();
        let p99 = percentile(&mut took, 0.99);
        if name.starts_with("during") {
            p99_during = p99_during.max(p99);
        }
        println!(
            "{name:<17} {:>8} {failed:>7} {:>8.2} {:>8.2} {:>8.2}",
            s.len(),
            ms(percentile(&mut took, 0.50)),
            ms(p99),
            ms(took.last().copied().unwrap_or_default())
        );
    }
    println!("during the cleanup, per 5 s, tools/list: p99 ms / max ms");
    let mut line = String::new();
    let mut t = cleanup_from;
    while t < cleanup_to {
        let mut took: Vec<Duration> = phase(t, t + Duration::from_secs(5))
            .iter()
            .map(|s| s.took)
            .collect();
        line.push_str(&format!(
            " {:.1}/{:.1}",
            ms(percentile(&mut took, 0.99)),
            ms(took.last().copied().unwrap_or_default())
        ));
        t += Duration::from_secs(5);
    }
    println!("{line}");
    if failed_total > 0 || p99_during >= P99_BUDGET {
        println!(
            "FAIL: {failed_total} failed requests; p99 during cleanup {:.2} ms (budget {} ms)",
            ms(p99_during),
            P99_BUDGET.as_millis()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Open loop: one request every 1/rate s, each on its own task.
async fn drive(
    issuer: String,
    tokens: Vec<String>,
    rate: u64,
    started: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }).to_string();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for n in 0usize.. {
        tick.tick().await;
        let (http, url, token, body, samples) = (
            http.clone(),
            format!("{issuer}/api/mcp"),
            tokens[n % tokens.len()].clone(),
            body.clone(),
            samples.clone(),
        );
        tokio::spawn(async move {
            let sent = started.elapsed();
            let wall_us = wall_us();
            let t = Instant::now();
            let ok = match http
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            samples.lock().unwrap().push(Sample {
                wall_us,
                sent,
                took: t.elapsed(),
                ok,
            });
        });
    }
}

/// One refresh chain: rotates its refresh token every 1/[`WRITES_PER_CHAIN`] s (closed loop:
/// each grant needs the token the last one returned).
async fn rotate(
    issuer: String,
    mut refresh_token: String,
    started: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let auth = ClientAuth::Public("mcp_oauth_bench".into());
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / WRITES_PER_CHAIN));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sent = started.elapsed();
        let wall_us = wall_us();
        let t = Instant::now();
        let next = match client::refresh(&http, &issuer, &auth, &refresh_token).await {
            Ok(r) if r.status() == 200 => r.json::<TokenResponse>().await.ok().and_then(|t| t.refresh_token),
            _ => None,
        };
        samples.lock().unwrap().push(Sample {
            wall_us,
            sent,
            took: t.elapsed(),
            ok: next.is_some(),
        });
        match next {
            Some(rt) => refresh_token = rt,
            None => return, // the chain is broken; the failure is counted
        }
    }
}

/// [`WRITERS`] refresh tokens, each from a real code exchange with the running server.
async fn refresh_chains(db: &std::path::Path, issuer: &str, resource: &str) -> Vec<String> {
    let store = Store::open(&DatabaseTarget::Local(db.to_path_buf()))
        .await
        .expect("open");
    let http = reqwest::Client::new();
    let auth = ClientAuth::Public("mcp_oauth_bench".into());
    let lifetimes = Lifetimes {
        code: 3600,
        access: 3600,
        refresh: 86400,
        refresh_grace: 60,
    };
    let mut chains = Vec::new();
    for _ in 0..WRITERS {
        let pkce = PkcePair::generate();
        let code = grants::issue_code(
            &store,
            &Approval {
                client_id: "mcp_oauth_bench",
                user_id: "usr_writer",
                redirect_uri: REDIRECT,
                scope: &ScopeSet::all(),
                resource,
                code_challenge: Some(&pkce.challenge),
            },
            &lifetimes,
            mcp_oauth::clock::now(),
        )
        .await
        .expect("issue a code");
        let t: TokenResponse =
            client::exchange_code(&http, issuer, &auth, &code, REDIRECT, Some(&pkce.verifier))
                .await
                .expect("code exchange")
                .json()
                .await
                .expect("token response");
        chains.push(t.refresh_token.expect("a refresh token"));
    }
    chains
}

fn wall_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

const REDIRECT: &str = "http://127.0.0.1/callback";

/// The rows of `bench/cleanup.sh` (half access, half refresh tokens, all expired a day or more
/// ago), plus live access tokens for the load. Returns the live tokens.
async fn seed(db: &std::path::Path, rows: u64, resource: &str) -> Vec<String> {
    let store = Store::open(&DatabaseTarget::Local(db.to_path_buf()))
        .await
        .expect("open");
    migrations::apply_pending(&store).await.expect("migrate");
    clients::insert(
        &store,
        &NewClient {
            client_id: "mcp_oauth_bench".into(),
            client_name: "bench".into(),
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
    let now = mcp_oauth::clock::now();
    let half = rows / 2;
    let conn = store.connection().await.expect("connection");
    conn.execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {half})
         INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at)
         SELECT randomblob(32), 'g' || i, 'mcp_oauth_bench', 'usr_' || (i % 500), 'memories:read', 'https://x/api/mcp',
                {now} - 90000 - i, {now} - 86400 - (i % 86400) FROM seq;
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {rest})
         INSERT INTO oauth_refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at)
         SELECT randomblob(32), 'g' || i, 'mcp_oauth_bench', 'usr_' || (i % 500), 'memories:read', 'https://x/api/mcp',
                {now} - 40 * 86400 - i, {now} - 86400 - (i % 86400) FROM seq;
         COMMIT;
         PRAGMA wal_checkpoint(TRUNCATE);",
        rest = rows - half
    ))
    .await
    .expect("seed");
    let mut tokens = Vec::new();
    for i in 0..LIVE_TOKENS {
        let token = secret::generate(Kind::AccessToken);
        insert_access_token(
            &conn,
            &NewAccessToken {
                token_hash: secret::digest(&token),
                grant_id: format!("live{i}"),
                client_id: "mcp_oauth_bench".into(),
                user_id: format!("usr_live{i}"),
                scope: ScopeSet::all().to_string(),
                resource: resource.to_string(),
                refresh_token_hash: None,
                created_at: now,
                expires_at: now + 3600,
            },
        )
        .await
        .expect("live token");
        tokens.push(token);
    }
    tokens
}
