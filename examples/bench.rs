//! Loopback benchmark of the token endpoint (not a test): `cargo run --release --example bench`.
//!
//! Starts `target/release/mcp-oauth serve` as its own process on a throw-away database, then
//! drives it with 32 concurrent keep-alive connections from this process, one phase after
//! another: `/healthz`; the refresh grant for a public client; the authorization-code exchange
//! for one confidential client (argon2 remembered) and for fresh confidential clients (argon2
//! every time). Prints requests/s, p50/p99 latency, the ratio to `/healthz`, and the server's
//! RSS idle and its peak under load.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_oauth::client::{self, ClientAuth, PkcePair, TokenResponse};
use mcp_oauth::oauth::grants::{self, Approval, Lifetimes};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{migrations, DatabaseTarget, Store};
use tokio::sync::Mutex;

const CONNECTIONS: usize = 32;
const PHASE: Duration = Duration::from_secs(5);
const REDIRECT: &str = "http://127.0.0.1/callback";

struct Phase {
    name: &'static str,
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
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
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
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
            user_id: "bench",
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

/// Runs `work` on CONNECTIONS tasks until `PHASE` has passed or `work` says stop.
async fn run<F, Fut>(name: &'static str, work: F) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let work = Arc::new(work);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONNECTIONS {
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while started.elapsed() < PHASE {
                let t = Instant::now();
                if !work(worker).await {
                    break;
                }
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    Phase {
        name,
        requests: latencies.len(),
        elapsed,
        latencies,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let store = Store::open(&DatabaseTarget::Local(db.clone())).await.unwrap();
    migrations::apply_pending(&store).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let resource = format!("{issuer}/api/mcp");
    let exe = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("mcp-oauth");
    let mut server: Child = Command::new(exe)
        .args([
            "--database",
            db.to_str().unwrap(),
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start target/release/mcp-oauth (cargo build --release first)");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    for _ in 0..100 {
        if http.get(format!("{issuer}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = rss_kib(server.id(), "VmRSS:");
    let pid = server.id();

    let pkce = PkcePair::generate();
    // Refresh chains: one per connection, each started by a real code exchange.
    let public = ClientAuth::Public(add_client(&store, None).await);
    let mut chains = Vec::new();
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
    }
    // One confidential client and many codes for it; many fresh confidential clients.
    let secret_one = secret::generate(Kind::ClientSecret);
    let one = ClientAuth::Basic(add_client(&store, Some(&secret_one)).await, secret_one);
    let mut codes_one = Vec::new();
    for _ in 0..12_000 {
        codes_one.push(issue_code(&store, one.client_id(), &pkce, &resource).await);
    }
    let mut fresh = Vec::new();
    for _ in 0..3_000 {
        let s = secret::generate(Kind::ClientSecret);
        let c = ClientAuth::Basic(add_client(&store, Some(&s)).await, s);
        let code = issue_code(&store, c.client_id(), &pkce, &resource).await;
        fresh.push((c, code));
    }

    report_rss(pid, "setup");
    let mut phases = Vec::new();
    {
        let (http, issuer) = (http.clone(), issuer.clone());
        phases.push(
            run("GET /healthz", move |_| {
                let (http, url) = (http.clone(), format!("{issuer}/healthz"));
                async move { http.get(url).send().await.unwrap().status() == 200 }
            })
            .await,
        );
        report_rss(pid, phases.last().map(|p| p.name).unwrap_or(""));
    }
    {
        let (http, issuer, public, chains) = (http.clone(), issuer.clone(), public.clone(), Arc::new(chains));
        phases.push(
            run("refresh grant (public client)", move |w| {
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
        report_rss(pid, phases.last().map(|p| p.name).unwrap_or(""));
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
        let queue = Arc::new(std::sync::Mutex::new(queue));
        let (http, issuer, v) = (http.clone(), issuer.clone(), pkce.verifier.clone());
        phases.push(
            run(name, move |_| {
                let (http, issuer, v, queue) = (http.clone(), issuer.clone(), v.clone(), queue.clone());
                async move {
                    let Some((auth, code)) = queue.lock().unwrap().pop() else {
                        return false;
                    };
                    let r = client::exchange_code(&http, &issuer, &auth, &code, REDIRECT, Some(&v))
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    true
                }
            })
            .await,
        );
        report_rss(pid, phases.last().map(|p| p.name).unwrap_or(""));
    }
    let peak_rss = rss_kib(server.id(), "VmHWM:");
    let base = phases[0].rps();
    println!("{CONNECTIONS} connections, loopback, server and load generator on the same machine");
    println!(
        "{:<62} {:>8} {:>10} {:>9} {:>9} {:>8}",
        "phase", "requests", "req/s", "p50 ms", "p99 ms", "ratio"
    );
    for p in &phases {
        println!(
            "{:<62} {:>8} {:>10.0} {:>9.2} {:>9.2} {:>8.3}",
            p.name,
            p.requests,
            p.rps(),
            p.pct(0.50).as_secs_f64() * 1e3,
            p.pct(0.99).as_secs_f64() * 1e3,
            p.rps() / base
        );
    }
    println!(
        "server RSS idle {} MiB, peak under load {} MiB",
        idle_rss / 1024,
        peak_rss / 1024
    );
    let _ = server.kill();
    let _ = server.wait();
}

fn report_rss(pid: u32, after: &str) {
    eprintln!(
        "  server RSS after {after}: {} MiB (peak {} MiB)",
        rss_kib(pid, "VmRSS:") / 1024,
        rss_kib(pid, "VmHWM:") / 1024
    );
}
