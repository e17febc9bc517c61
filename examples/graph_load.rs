//! Knowledge-graph load on a running server (not a test): `bench/graph-load.sh` builds and runs
//! it against this tree's server and, with `BASE=…`, another binary.
//!
//! Starts `mcp-oauth serve` (`BENCH_SERVER`, else the binary next to this example's directory)
//! on a throw-away database and gives two users each the largest graph the quotas allow:
//! 5,000 entities, 20,000 observations (4 each, about 390 bytes), 10,000 relations, just under
//! 8 MiB of text. Then, for `BENCH_SECONDS` (default 5), each user calls `read_graph` (following
//! `nextCursor` through every page) and `search_nodes` (a word, an entity name, a two-letter
//! query) in a loop, while one connection polls `GET /healthz` every 5 ms. Prints the `/healthz`
//! latency p50/p99/max, per-tool calls and latency, the largest response, and the server's peak
//! RSS (VmHWM). An older server without quotas gets the same graph.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use mcp_oauth::client::{self, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::oauth::grants::{self, Approval, Lifetimes};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{DatabaseTarget, Store};
use serde_json::{json, Value};
use support::percentile;

const REDIRECT: &str = "http://127.0.0.1/callback";
const USERS: [&str; 2] = ["graph-a", "graph-b"];
const ENTITIES: usize = 5_000;
const OBSERVATIONS_PER_ENTITY: usize = 4;
const OBSERVATION_BYTES: usize = 390;
const WORDS: [&str; 16] = [
    "kalo", "mine", "rusa", "tovi", "denmor", "talquen", "brisho", "palux", "quenta", "morvi", "shopa",
    "luxka", "nerus", "vilo", "samor", "dental",
];

fn ms(d: Duration) -> String {
    format!("{:.1} ms", support::ms(d))
}

async fn seed_graph(store: &Store, user: &str) {
    let tx = store.begin_write().await.unwrap();
    let mut n = 0usize;
    for i in 0..ENTITIES {
        tx.execute(
            "INSERT INTO entities (user_id, name, entity_type, created_at) VALUES (?1, ?2, 'thing', 0)",
            libsql::params![user, format!("ent-{i}")],
        )
        .await
        .unwrap();
    }
    for i in 0..ENTITIES {
        for k in 0..OBSERVATIONS_PER_ENTITY {
            let mut text = format!("ent-{i} fact {k}:");
            while text.len() < OBSERVATION_BYTES {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push(' ');
                text.push_str(WORDS[(n >> 33) % WORDS.len()]);
            }
            text.truncate(OBSERVATION_BYTES);
            tx.execute(
                "INSERT INTO observations (entity_id, content, created_at) \
                 SELECT id, ?3, 0 FROM entities WHERE user_id = ?1 AND name = ?2",
                libsql::params![user, format!("ent-{i}"), text],
            )
            .await
            .unwrap();
        }
        for step in [1, 7] {
            tx.execute(
                "INSERT INTO relations (user_id, from_entity, to_entity, relation_type, created_at) \
                 VALUES (?1, ?2, ?3, 'links', 0)",
                libsql::params![user, format!("ent-{i}"), format!("ent-{}", (i + step) % ENTITIES)],
            )
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

async fn token_for(store: &Store, http: &reqwest::Client, issuer: &str, user: &str) -> String {
    let client_id = secret::generate(Kind::ClientId);
    clients::insert(
        store,
        &NewClient {
            client_id: client_id.clone(),
            client_name: "graph bench".into(),
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
    let pkce = PkcePair::generate();
    let resource = format!("{issuer}/api/mcp");
    let code = grants::issue_code(
        store,
        &Approval {
            client_id: &client_id,
            user_id: user,
            redirect_uri: REDIRECT,
            scope: &ScopeSet::all(),
            resource: &resource,
            code_challenge: Some(&pkce.challenge),
        },
        &Lifetimes {
            code: 3600,
            access: 3600,
            refresh: 86400,
            refresh_grace: 60,
        },
        mcp_oauth::clock::now(),
    )
    .await
    .unwrap();
    let auth = ClientAuth::Public(client_id);
    let t: TokenResponse = client::exchange_code(http, issuer, &auth, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t.access_token
}

/// `tools/call`; the `result` and the size of the response body.
async fn call(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    name: &str,
    arguments: Value,
) -> (Value, usize) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": arguments}});
    let r = http
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&body)
        .send()
        .await
        .unwrap();
    let bytes = r.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes).unwrap_or("");
    let json_text = text.lines().find_map(|l| l.strip_prefix("data:")).unwrap_or(text);
    let v: Value = serde_json::from_str(json_text.trim()).unwrap_or(Value::Null);
    (v["result"].clone(), bytes.len())
}

#[derive(Default)]
struct Stats {
    latencies: Vec<Duration>,
    max_bytes: usize,
    errors: usize,
}

#[tokio::main]
async fn main() {
    let length = Duration::from_secs(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("graph.db").to_str().unwrap().to_string();
    let target = DatabaseTarget::parse(&db, None).unwrap();
    let store = Store::open(&target).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let mcp_url = format!("{issuer}/api/mcp");
    let exe = std::env::var_os("BENCH_SERVER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("mcp-oauth")
        });
    println!("server: {}", exe.display());
    let mut server = Command::new(&exe)
        .args([
            "--database",
            &db,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let pid = server.id();
    let http = reqwest::Client::builder().build().unwrap();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{issuer}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not answer /healthz");

    let mut tokens = Vec::new();
    for user in USERS {
        seed_graph(&store, user).await;
        tokens.push(token_for(&store, &http, &issuer, user).await);
    }
    // At the quotas, one more entity is refused (by a server that has them).
    let (more, _) = call(
        &http,
        &mcp_url,
        &tokens[0],
        "create_entities",
        json!({"entities": [{"name": "one-more", "entityType": "t", "observations": []}]}),
    )
    .await;
    println!(
        "one more entity at the limit: isError={} {}",
        more["isError"],
        more["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(90)
            .collect::<String>()
    );
    let rss_before = support::proc_status(pid, "VmRSS:");

    let stop = Arc::new(AtomicBool::new(false));
    let read_stats = Arc::new(Mutex::new(Stats::default()));
    let search_stats = Arc::new(Mutex::new(Stats::default()));
    let mut tasks = Vec::new();
    for token in &tokens {
        {
            let (http, url, token, stop, stats) = (
                http.clone(),
                mcp_url.clone(),
                token.clone(),
                stop.clone(),
                read_stats.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let mut cursor: Option<String> = None;
                    loop {
                        let args = match &cursor {
                            Some(c) => json!({"cursor": c}),
                            None => json!({}),
                        };
                        let started = Instant::now();
                        let (result, size) = call(&http, &url, &token, "read_graph", args).await;
                        let mut s = stats.lock().unwrap();
                        s.latencies.push(started.elapsed());
                        s.max_bytes = s.max_bytes.max(size);
                        if result["isError"] != false {
                            s.errors += 1;
                        }
                        cursor = result["structuredContent"]["nextCursor"]
                            .as_str()
                            .map(String::from);
                        if cursor.is_none() || stop.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                }
            }));
        }
        {
            let (http, url, token, stop, stats) = (
                http.clone(),
                mcp_url.clone(),
                token.clone(),
                stop.clone(),
                search_stats.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let queries = ["denmor", "ent-4242", "ka", "talquen brisho", "zzzz"];
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let q = queries[i % queries.len()];
                    i += 1;
                    let started = Instant::now();
                    let (result, size) = call(&http, &url, &token, "search_nodes", json!({"query": q})).await;
                    let mut s = stats.lock().unwrap();
                    s.latencies.push(started.elapsed());
                    s.max_bytes = s.max_bytes.max(size);
                    if result["isError"] != false {
                        s.errors += 1;
                    }
                }
            }));
        }
    }
    // /healthz on a connection of its own, every 5 ms.
    let health = reqwest::Client::builder().build().unwrap();
    let mut healthz = Vec::new();
    let started = Instant::now();
    while started.elapsed() < length {
        let t = Instant::now();
        let r = health.get(format!("{issuer}/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await;
        healthz.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    println!(
        "GET /healthz under load: n={} p50={} p99={} max={}",
        healthz.len(),
        ms(percentile(&mut healthz, 0.5)),
        ms(percentile(&mut healthz, 0.99)),
        ms(percentile(&mut healthz, 1.0))
    );
    for (name, stats) in [("read_graph", &read_stats), ("search_nodes", &search_stats)] {
        let mut s = stats.lock().unwrap();
        let (p50, p99) = (
            percentile(&mut s.latencies, 0.5),
            percentile(&mut s.latencies, 0.99),
        );
        println!(
            "{name}: calls={} errors={} p50={} p99={} largest response={:.1} MB",
            s.latencies.len(),
            s.errors,
            ms(p50),
            ms(p99),
            s.max_bytes as f64 / 1e6
        );
    }
    println!(
        "server RSS: {} MiB before the load, peak (VmHWM) {} MiB",
        rss_before / 1024,
        support::proc_status(pid, "VmHWM:") / 1024
    );
    let _ = server.kill();
    let _ = server.wait();
}
