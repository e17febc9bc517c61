//! The server's logs, at the most verbose level, never contain a token, code, client secret,
//! session cookie or password — checked across a whole deployment run of `verify` (login,
//! consent, code exchange, refresh, revocation, dynamic registration, MCP calls).

#[path = "common/cli.rs"]
mod cli;

use std::io::{BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cli::{Db, BIN};

const PASSWORD: &str = "a long password nobody logs";

/// `serve -vv` on a free loopback port; returns the child and its base URL.
fn serve(db: &Db) -> (Child, String) {
    // Ask the OS for a free port, then hand it to the server (a tiny race, bounded below).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["--database"])
        .arg(db.path())
        .args(["-vv", "serve", "--listen", &listen])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "serve did not start listening on {listen}"
        );
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://{listen}"))
}

fn looks_like_a_secret(line: &str) -> Option<&'static str> {
    for prefix in ["mcp_at_", "mcp_rt_", "mcp_cs_", "mcp_ss_", "auth_"] {
        for (i, _) in line.match_indices(prefix) {
            let rest = &line[i + prefix.len()..];
            let run = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .count();
            // Our secrets carry 43 base64url characters after the prefix.
            if run >= 40 {
                return Some(prefix);
            }
        }
    }
    None
}

#[test]
fn a_full_verify_run_leaves_no_secret_in_the_trace_logs() {
    let db = Db::migrated();
    db.cmd()
        .args(["user", "add", "alice", "--password-stdin"])
        .stdin(PASSWORD)
        .run();
    let (mut server, base_url) = serve(&db);
    let stderr = server.stderr.take().unwrap();
    let collector = std::thread::spawn(move || {
        let mut all = String::new();
        BufReader::new(stderr).read_to_string(&mut all).ok();
        all
    });

    let out = db
        .cmd()
        .args([
            "verify",
            "--json",
            "--base-url",
            &base_url,
            "--username",
            "alice",
            "--password-stdin",
        ])
        .args(["--include-rate-limit"])
        .stdin(PASSWORD)
        .run();
    assert_eq!(out.json()["totals"]["failed"], 0, "{}", out.stdout);

    // SIGTERM: graceful shutdown flushes the logs.
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "serve exited with {status}");
    let logs = collector.join().unwrap();
    assert!(
        logs.contains("mcp_oauth"),
        "the crate's own trace logs are missing"
    );
    for line in logs.lines() {
        if let Some(prefix) = looks_like_a_secret(line) {
            panic!("a {prefix}… secret in the logs: {line}");
        }
        assert!(!line.contains(PASSWORD), "the password in the logs: {line}");
    }
}
