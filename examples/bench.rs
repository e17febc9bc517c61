//! Loopback benchmark of the server (not a test):
//! `cargo build --profile profiling --bin mcp-oauth --example bench && target/profiling/examples/bench`
//! (or `--release`; `bench/compare.sh` runs two server binaries side by side).
//!
//! Starts `mcp-oauth serve` as its own process on a throw-away database (the binary next to this
//! example's directory, or `BENCH_SERVER=/path/to/mcp-oauth`), lets it migrate the database, then
//! drives it with 32 concurrent keep-alive connections from this process, one phase after
//! another:
//! - `GET /healthz` (the baseline every ratio is against);
//! - authenticated MCP `tools/list` the 2025 way and the 2026-07-28 way (headers checked
//!   against the body, `_meta`), and `search_memories` over `BENCH_MEMORIES` (10,000) memories
//!   of the calling user, beside `BENCH_OTHER_MEMORIES` (40,000) of four other users;
//! - the refresh grant for a public client;
//! - the authorization-code exchange for one confidential client (argon2 remembered) and for
//!   fresh confidential clients (argon2 every time).
//!
//! For each phase: requests, req/s, p50/p99 latency, the ratio to `/healthz`, the server's CPU
//! time per request (utime+stime of the server process from `/proc`: robust against other load
//! on the machine, unlike req/s) and its largest RSS seen during the phase. Also idle RSS and
//! the peak (`VmHWM`). `BENCH_SECONDS` (default 5) sets the length of a phase; `BENCH_ONLY`
//! (comma-separated words matched against phase names, e.g. `healthz,refresh`) runs a subset.
//! `BENCH_DATABASE=http://…` runs on an empty remote database (sqld) instead of a file, and
//! `BENCH_SERVE_ARGS` adds flags to `serve` (`bench/remote.sh` uses both).
//!
//! The server and this load generator share the machine: the load generator's own CPU use caps
//! every figure, `/healthz` most of all.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_oauth::client::{self, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::oauth::grants::{self, Approval, Lifetimes};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{DatabaseTarget, Store};
use tokio::sync::Mutex;

const CONNECTIONS: usize = 32;
const REDIRECT: &str = "http://127.0.0.1/callback";
const USER: &str = "bench";
const VOCABULARY: usize = 1_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Phase {
    name: &'static str,
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    server_cpu: Duration,
    max_rss_kib: u64,
}

impl Phase {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    }
    fn cpu_us_per_request(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }
}

fn status_field_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// utime + stime of a process, from `/proc/PID/stat` (in clock ticks of 1/100 s on Linux).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may contain spaces: fields are counted after the closing parenthesis.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // After ')': state is index 0, so utime (field 14) is index 11 and stime index 12.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// A small deterministic generator, so every run seeds the same memories.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pronounceable made-up words, so FTS5 sees a realistic vocabulary.
fn vocabulary() -> Vec<String> {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "den", "mor", "tal", "quen", "bri", "sho", "pa",
        "lux",
    ];
    let mut rng = SplitMix(7);
    let mut words = std::collections::BTreeSet::new();
    while words.len() < VOCABULARY {
        let n = 2 + rng.below(2);
        words.insert(
            (0..n)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect::<String>(),
        );
    }
    words.into_iter().collect()
}

async fn add_client(store: &Store, secret: Option<&str>) -> String {
    let id = secret::generate(Kind::ClientId);
    clients::insert(
        store,
        &NewClient {
            client_id: id.clone(),
            client_name: "bench".into(),
            secret_hash: secret.map(secret::hash_client_secret),
            redirect_uris: vec![REDIRECT.into()],
            scopes: ScopeSet::all(),
            auth_method: if secret.is_some() {
                AuthMethod::ClientSecretBasic
            } else {
                AuthMethod::None
            },
            user_id: None,
            registration: Registration::Cli,
            created_at: 0,
        },
    )
    .await
    .unwrap();
    id
}

async fn issue_code(store: &Store, client_id: &str, pkce: &PkcePair, resource: &str) -> String {
    let scope = ScopeSet::all();
    let lifetimes = Lifetimes {
        code: 3600,
        access: 3600,
        refresh: 86400,
        refresh_grace: 60,
    };
    grants::issue_code(
        store,
        &Approval {
            client_id,
            user_id: USER,
            redirect_uri: REDIRECT,
            scope: &scope,
            resource,
            code_challenge: Some(&pkce.challenge),
        },
        &lifetimes,
        mcp_oauth::clock::now(),
    )
    .await
    .unwrap()
}

/// `count` memories of `user`, 12-30 words each, in transactions of 1,000 rows.
async fn seed_memories(store: &Store, user: &str, count: usize, words: &[String], rng: &mut SplitMix) {
    let mut left = count;
    while left > 0 {
        let batch = left.min(1_000);
        let tx = store.begin_write().await.unwrap();
        for _ in 0..batch {
            let n = 12 + rng.below(19);
            let content = (0..n)
                .map(|_| words[rng.below(words.len())].as_str())
                .collect::<Vec<_>>()
                .join(" ");
            tx.execute(
                "INSERT INTO memories (user_id, content, tags, created_at) VALUES (?1, ?2, '[]', ?3)",
                libsql::params![user, content, 1_700_000_000i64],
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        left -= batch;
    }
}

/// Runs `work` on CONNECTIONS tasks until `length` has passed or `work` says stop, sampling the
/// server's RSS and CPU time.
async fn run<F, Fut>(name: &'static str, pid: u32, length: Duration, work: F) -> Phase
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let work = Arc::new(work);
    let max_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let max_rss = max_rss.clone();
        tokio::spawn(async move {
            loop {
                max_rss.fetch_max(status_field_kib(pid, "VmRSS:"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let cpu_before = cpu_time(pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONNECTIONS {
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0u64;
            while started.elapsed() < length {
                let t = Instant::now();
                if !work(worker, i).await {
                    break;
                }
                lat.push(t.elapsed());
                i += 1;
            }
            lat
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    let server_cpu = cpu_time(pid).saturating_sub(cpu_before);
    sampler.abort();
    max_rss.fetch_max(status_field_kib(pid, "VmRSS:"), Ordering::Relaxed);
    let phase = Phase {
        name,
        requests: latencies.len(),
        elapsed,
        latencies,
        server_cpu,
        max_rss_kib: max_rss.load(Ordering::Relaxed),
    };
    eprintln!("  {name}: {:.0} req/s", phase.rps());
    phase
}

fn wanted(name: &str) -> bool {
    match std::env::var("BENCH_ONLY") {
        Ok(only) if !only.trim().is_empty() => only
            .split(',')
            .map(str::trim)
            .any(|w| !w.is_empty() && name.contains(w)),
        _ => true,
    }
}

/// The MCP headers of a 2025 request.
const LEGACY_HEADERS: &[(&str, &str)] = &[("mcp-protocol-version", "2025-06-18")];

/// One MCP JSON-RPC request with a bearer token and the MCP `headers`; true when it answered
/// 200.
async fn mcp_call(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: String,
) -> bool {
    let mut request = http
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.body(body).send().await.unwrap();
    let ok = r.status() == 200;
    // Read the body: the response is not complete (nor the connection reusable) before.
    let _ = r.bytes().await;
    ok
}

#[tokio::main]
async fn main() {
    let length = Duration::from_secs(env_usize("BENCH_SECONDS", 5) as u64);
    let own_memories = env_usize("BENCH_MEMORIES", 10_000);
    let other_memories = env_usize("BENCH_OTHER_MEMORIES", 40_000);
    let dir = tempfile::tempdir().unwrap();
    // `BENCH_DATABASE=http://127.0.0.1:PORT` (an empty sqld): the same phases on a remote
    // database (`bench/remote.sh` runs both side by side). Otherwise a throw-away file.
    let remote = std::env::var("BENCH_DATABASE").ok().filter(|s| !s.is_empty());
    let db = match &remote {
        Some(url) => url.clone(),
        None => dir.path().join("bench.db").to_str().unwrap().to_string(),
    };
    let target = DatabaseTarget::parse(&db, None).unwrap();
    // Opening creates the file; the server migrates it (so an older server binary can be
    // measured against the same bench). A remote database is migrated here: `serve` refuses
    // to migrate one.
    let store = Store::open(&target).await.unwrap();
    if remote.is_some() {
        mcp_oauth::storage::migrations::apply_pending(&store)
            .await
            .unwrap();
    }
    eprintln!("database: {target}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let resource = format!("{issuer}/api/mcp");
    let mcp_url = resource.clone();
    let exe = std::env::var_os("BENCH_SERVER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::current_exe()
                .unwrap()
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .join("mcp-oauth")
        });
    eprintln!("server: {}", exe.display());
    let mut server: Child = Command::new(&exe)
        .args([
            "--database",
            &db,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(
            std::env::var("BENCH_SERVE_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server (cargo build --profile profiling --bin mcp-oauth first)");
    let pid = server.id();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{issuer}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not answer /healthz");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = status_field_kib(pid, "VmRSS:");

    let pkce = PkcePair::generate();
    let public = ClientAuth::Public(add_client(&store, None).await);
    // Refresh chains and MCP access tokens: one per connection, each from a real code exchange.
    let mut chains = Vec::new();
    let mut access_tokens = Vec::new();
    for _ in 0..CONNECTIONS {
        let code = issue_code(&store, public.client_id(), &pkce, &resource).await;
        let t: TokenResponse =
            client::exchange_code(&http, &issuer, &public, &code, REDIRECT, Some(&pkce.verifier))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        chains.push(Mutex::new(t.refresh_token.unwrap()));
        access_tokens.push(t.access_token);
    }
    // The memories `search_memories` looks through, and other users' beside them.
    let words = vocabulary();
    let mut rng = SplitMix(42);
    seed_memories(&store, USER, own_memories, &words, &mut rng).await;
    for other in 0..4 {
        seed_memories(
            &store,
            &format!("other-{other}"),
            other_memories / 4,
            &words,
            &mut rng,
        )
        .await;
    }
    // One confidential client and many codes for it; many fresh confidential clients.
    let secret_one = secret::generate(Kind::ClientSecret);
    let one = ClientAuth::Basic(add_client(&store, Some(&secret_one)).await, secret_one);
    let mut codes_one = Vec::new();
    if wanted("one confidential") {
        for _ in 0..env_usize("BENCH_CODES", 30_000) {
            codes_one.push(issue_code(&store, one.client_id(), &pkce, &resource).await);
        }
    }
    let mut fresh = Vec::new();
    if wanted("fresh") {
        for _ in 0..env_usize("BENCH_FRESH", 3_000) {
            let s = secret::generate(Kind::ClientSecret);
            let c = ClientAuth::Basic(add_client(&store, Some(&s)).await, s);
            let code = issue_code(&store, c.client_id(), &pkce, &resource).await;
            fresh.push((c, code));
        }
    }
    let setup_rss = status_field_kib(pid, "VmRSS:");

    let mut phases = Vec::new();
    if wanted("GET /healthz") {
        let (http, url) = (http.clone(), format!("{issuer}/healthz"));
        phases.push(
            run("GET /healthz", pid, length, move |_, _| {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    let r = http.get(url).send().await.unwrap();
                    let ok = r.status() == 200;
                    let _ = r.bytes().await;
                    ok
                }
            })
            .await,
        );
    }
    let tokens = Arc::new(access_tokens);
    if wanted("tools/list") {
        let (http, url, tokens) = (http.clone(), mcp_url.clone(), tokens.clone());
        phases.push(
            run("MCP tools/list (authenticated)", pid, length, move |w, _| {
                let (http, url, tokens) = (http.clone(), url.clone(), tokens.clone());
                async move {
                    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_string();
                    mcp_call(&http, &url, &tokens[w], LEGACY_HEADERS, body).await
                }
            })
            .await,
        );
    }
    if wanted("tools/list") {
        let (http, url, tokens) = (http.clone(), mcp_url.clone(), tokens.clone());
        const HEADERS: &[(&str, &str)] = &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ];
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
        assert!(
            mcp_call(&http, &url, &tokens[0], HEADERS, body.to_string()).await,
            "the server answers 2026-07-28 tools/list"
        );
        phases.push(
            run(
                "MCP tools/list 2026-07-28 (authenticated)",
                pid,
                length,
                move |w, _| {
                    let (http, url, tokens) = (http.clone(), url.clone(), tokens.clone());
                    async move { mcp_call(&http, &url, &tokens[w], HEADERS, body.to_string()).await }
                },
            )
            .await,
        );
    }
    if wanted("search_memories") {
        let (http, url, tokens) = (http.clone(), mcp_url.clone(), tokens.clone());
        let words = Arc::new(words);
        // Sanity: a query finds something, so the phase measures real ranking work.
        let probe = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"search_memories","arguments":{{"query":"{} {}","limit":10}}}}}}"#,
            words[1], words[2]
        );
        let text = http
            .post(&url)
            .header("authorization", format!("Bearer {}", tokens[0]))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(probe)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains("\"structuredContent\"") && text.contains("\"id\":"),
            "search_memories found nothing: {text}"
        );
        phases.push(
            run(
                "MCP search_memories (2 words, limit 10)",
                pid,
                length,
                move |w, i| {
                    let (http, url, tokens, words) = (http.clone(), url.clone(), tokens.clone(), words.clone());
                    async move {
                        // A different pair of words each time, the same sequence every run.
                        let mut rng = SplitMix((w as u64) << 32 | i);
                        let query = format!(
                            "{} {}",
                            words[rng.below(words.len())],
                            words[rng.below(words.len())]
                        );
                        let body = format!(
                            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"search_memories","arguments":{{"query":"{query}","limit":10}}}}}}"#
                        );
                        mcp_call(&http, &url, &tokens[w], LEGACY_HEADERS, body).await
                    }
                },
            )
            .await,
        );
    }
    if wanted("refresh grant") {
        let (http, issuer, public, chains) = (http.clone(), issuer.clone(), public.clone(), Arc::new(chains));
        phases.push(
            run("refresh grant (public client)", pid, length, move |w, _| {
                let (http, issuer, public, chains) =
                    (http.clone(), issuer.clone(), public.clone(), chains.clone());
                async move {
                    let mut rt = chains[w].lock().await;
                    let r = client::refresh(&http, &issuer, &public, &rt).await.unwrap();
                    assert_eq!(r.status(), 200);
                    *rt = r.json::<TokenResponse>().await.unwrap().refresh_token.unwrap();
                    true
                }
            })
            .await,
        );
    }
    for (name, queue) in [
        (
            "code exchange, one confidential client (argon2 remembered)",
            codes_one
                .into_iter()
                .map(|c| (one.clone(), c))
                .collect::<Vec<_>>(),
        ),
        ("code exchange, fresh confidential clients (argon2 each)", fresh),
    ] {
        if queue.is_empty() {
            continue;
        }
        let queue = Arc::new(std::sync::Mutex::new(queue));
        let (http, issuer, v) = (http.clone(), issuer.clone(), pkce.verifier.clone());
        phases.push(
            run(name, pid, length, move |_, _| {
                let (http, issuer, v, queue) = (http.clone(), issuer.clone(), v.clone(), queue.clone());
                async move {
                    let Some((auth, code)) = queue.lock().unwrap().pop() else {
                        return false;
                    };
                    let r = client::exchange_code(&http, &issuer, &auth, &code, REDIRECT, Some(&v))
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let _ = r.bytes().await;
                    true
                }
            })
            .await,
        );
    }
    let peak_rss = status_field_kib(pid, "VmHWM:");
    let base = phases.iter().find(|p| p.name == "GET /healthz").map(Phase::rps);
    println!("server {}", exe.display());
    println!(
        "{CONNECTIONS} connections, loopback, server and load generator on the same machine; \
         {own_memories} memories of the caller + {other_memories} of other users"
    );
    println!(
        "{:<60} {:>7} {:>8} {:>7} {:>7} {:>6} {:>9} {:>8}",
        "phase", "reqs", "req/s", "p50 ms", "p99 ms", "ratio", "srv µs/rq", "RSS MiB"
    );
    for p in &phases {
        println!(
            "{:<60} {:>7} {:>8.0} {:>7.2} {:>7.2} {:>6} {:>9.0} {:>8.1}",
            p.name,
            p.requests,
            p.rps(),
            p.pct(0.50).as_secs_f64() * 1e3,
            p.pct(0.99).as_secs_f64() * 1e3,
            base.map(|b| format!("{:.3}", p.rps() / b)).unwrap_or_default(),
            p.cpu_us_per_request(),
            p.max_rss_kib as f64 / 1024.0,
        );
    }
    println!(
        "server RSS: idle {:.1} MiB, after setup {:.1} MiB, peak (VmHWM) {:.1} MiB",
        idle_rss as f64 / 1024.0,
        setup_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    let _ = server.kill();
    let _ = server.wait();
}
