//! `mcp-oauth backup` and `mcp-oauth restore` through the real binary, against a real server
//! on the database (in-process on loopback, or the `serve` binary where its lock matters), and
//! on a real sqld for the remote path. Each test is named for the behaviour it pins.

#[path = "common/cli.rs"]
mod cli;
mod common;
#[path = "common/sqld.rs"]
mod sqld;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cli::{Output, Test, BIN};
use common::{TestServer, REDIRECT};
use mcp_oauth::client::mcp::McpClient;
use mcp_oauth::client::TokenResponse;
use mcp_oauth::storage::backup::{self, files};
use mcp_oauth::storage::{DatabaseTarget, Store};
use serde_json::json;

/// Runs the (blocking) binary off the runtime, so the in-process server keeps serving.
async fn run(test: Test) -> Output {
    tokio::task::spawn_blocking(move || test.run())
        .await
        .expect("the command ran")
}

fn mcp_oauth(database: &Path) -> Test {
    Test::new().arg("--database").arg(database.as_os_str())
}

/// A user, a public client, tokens, and one memory written with them.
async fn tokens_and_a_memory(t: &TestServer) -> TokenResponse {
    let mut browser = t.signed_in("alice").await;
    let client = t.public_client(&[REDIRECT]).await;
    let tokens = t.tokens_for(&mut browser, &client).await;
    McpClient::new(t.http.clone(), &t.resource(), Some(&tokens.access_token))
        .call_tool("add_memory", json!({ "content": "written before the backup" }))
        .await
        .expect("add_memory");
    tokens
}

/// Whether `token` lists tools on a server answering as `issuer` over `store`.
async fn token_works_on(store: Store, issuer: &str, token: &str) -> bool {
    let issuer = issuer.to_string();
    let t = TestServer::start_on(store, move |c| c.issuer = issuer).await;
    let listed = McpClient::new(
        t.http.clone(),
        &format!("http://{}/api/mcp", t.server.addr),
        Some(token),
    )
    .list_tools()
    .await;
    listed.is_ok_and(|tools| !tools.is_empty())
}

fn rows(inspection: &backup::Inspection) -> Vec<(String, i64)> {
    inspection
        .tables
        .iter()
        .map(|t| (t.table.clone(), t.rows))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restored_into_a_new_database_has_every_row_and_a_token_issued_before_still_works() {
    let t = TestServer::start().await;
    let tokens = tokens_and_a_memory(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("backup.db");

    let out = run(mcp_oauth(&t.database_path())
        .args(["backup", "--json"])
        .arg(backup_path.as_os_str()))
    .await;
    let report = out.json();
    assert_eq!(report["integrity"], json!(["ok"]));
    assert_eq!(report["oauth_tables_present"], true);
    assert_eq!(
        report["migration_version"],
        mcp_oauth::storage::migrations::MIGRATIONS.last().unwrap().version
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup holds every secret digest: owner only");
    }
    let backed_up = backup::inspect_file(&backup_path).await.unwrap();
    assert_eq!(backed_up.rows("oauth_access_tokens"), Some(1));
    assert_eq!(backed_up.rows("memories"), Some(1));

    let restored = dir.path().join("restored.db");
    run(mcp_oauth(&restored)
        .args(["restore", "--yes"])
        .arg(backup_path.as_os_str())
        .stdout("restored from"))
    .await;
    let after = backup::inspect_file(&restored).await.unwrap();
    assert_eq!(rows(&after), rows(&backed_up), "every table, every row");

    let store = Store::open(&DatabaseTarget::Local(restored)).await.unwrap();
    assert!(
        token_works_on(store, &t.issuer, &tokens.access_token).await,
        "the access token issued before the backup lists tools on the restored database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes_is_a_consistent_snapshot() {
    let t = TestServer::start().await;
    let tokens = tokens_and_a_memory(&t).await;
    let mcp = McpClient::new(t.http.clone(), &t.resource(), Some(&tokens.access_token));
    let writer = tokio::spawn(async move {
        let mut written = 0u32;
        for i in 0..400 {
            if mcp
                .call_tool(
                    "add_memory",
                    json!({ "content": format!("memory {i} during the backup") }),
                )
                .await
                .is_ok()
            {
                written += 1;
            }
        }
        written
    });
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("during.db");
    run(mcp_oauth(&t.database_path())
        .arg("backup")
        .arg(backup_path.as_os_str()))
    .await;
    let written = writer.await.unwrap();
    assert_eq!(written, 400, "every write during the backup succeeded");

    let inspection = backup::inspect_file(&backup_path).await.unwrap();
    assert_eq!(inspection.integrity, ["ok"]);
    let in_backup = inspection.rows("memories").unwrap();
    assert!((1..=401).contains(&in_backup), "{in_backup} memories");
    // The search index is the same snapshot as the rows it indexes.
    let db = libsql::Builder::new_local(&backup_path).build().await.unwrap();
    let conn = db.connect().unwrap();
    conn.execute(
        "INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')",
        (),
    )
    .await
    .expect("the FTS index matches the memories in the backup");
    assert_eq!(
        t.count("SELECT count(*) FROM memories").await,
        401,
        "the server kept every write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_without_a_terminal_needs_yes_and_changes_nothing() {
    let t = TestServer::start().await;
    tokens_and_a_memory(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("b.db");
    run(mcp_oauth(&t.database_path())
        .arg("backup")
        .arg(backup_path.as_os_str()))
    .await;
    let target = dir.path().join("target.db");
    run(mcp_oauth(&target).arg("migrate")).await;
    let before = std::fs::read(&target).unwrap();
    run(mcp_oauth(&target)
        .arg("restore")
        .arg(backup_path.as_os_str())
        .status(2)
        .stderr("re-run with --yes to confirm"))
    .await;
    assert_eq!(std::fs::read(&target).unwrap(), before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_backup_made_by_a_newer_mcp_oauth() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("newer.db");
    run(mcp_oauth(&t.database_path())
        .arg("backup")
        .arg(backup_path.as_os_str()))
    .await;
    {
        let db = libsql::Builder::new_local(&backup_path).build().await.unwrap();
        db.connect()
            .unwrap()
            .execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'from_the_future', 'x', 0)",
                (),
            )
            .await
            .unwrap();
    }
    let target = dir.path().join("target.db");
    run(mcp_oauth(&target)
        .args(["restore", "--yes"])
        .arg(backup_path.as_os_str())
        .status(4)
        .stderr("migration 9999 (from_the_future), which this binary does not know"))
    .await;
    assert!(!target.exists(), "no database was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_backup_that_fails_its_integrity_check() {
    let t = TestServer::start().await;
    tokens_and_a_memory(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("damaged.db");
    run(mcp_oauth(&t.database_path())
        .arg("backup")
        .arg(backup_path.as_os_str()))
    .await;
    // Scribble over every page after the first (the header stays valid, the b-trees do not).
    let mut bytes = std::fs::read(&backup_path).unwrap();
    let page = 4096;
    for chunk in bytes[page..].chunks_mut(page) {
        for b in chunk.iter_mut().take(64).skip(8) {
            *b = 0xA5;
        }
    }
    std::fs::write(&backup_path, &bytes).unwrap();
    let target = dir.path().join("target.db");
    run(mcp_oauth(&target)
        .args(["restore", "--yes"])
        .arg(backup_path.as_os_str())
        .status(1)
        .stderr("is damaged"))
    .await;
    assert!(!target.exists(), "no database was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_dir_keep_prunes_only_the_oldest_files_named_like_ours() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let old: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = backups.join(files::name_for(1_700_000_000 + i * 86_400));
            std::fs::write(&p, b"an old backup").unwrap();
            p
        })
        .collect();
    let foreign = [backups.join("mcp-oauth.db"), backups.join("notes.txt")];
    for f in &foreign {
        std::fs::write(f, b"not ours").unwrap();
    }
    let out = run(mcp_oauth(&t.database_path())
        .args(["backup", "--json", "--keep", "2", "--dir"])
        .arg(backups.as_os_str()))
    .await;
    let report = out.json();
    let written = PathBuf::from(report["path"].as_str().unwrap());
    assert!(written.exists());
    let name = written.file_name().unwrap().to_str().unwrap();
    assert!(files::parse_name(name).is_some(), "{name} carries its UTC time");
    assert_eq!(
        report["pruned"],
        json!([old[0].display().to_string(), old[1].display().to_string()])
    );
    assert!(!old[0].exists() && !old[1].exists() && old[2].exists());
    assert!(
        foreign.iter().all(|f| f.exists()),
        "files not named like ours stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_stats_report_the_last_backup_and_cleanup_and_zero_before_any() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let fresh = TestServer::start().await;
    let body = fresh
        .http
        .get(fresh.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("\nmcp_oauth_last_backup_timestamp_seconds 0\n"),
        "{body}"
    );
    assert!(
        body.contains("\nmcp_oauth_last_cleanup_timestamp_seconds 0\n"),
        "{body}"
    );

    run(mcp_oauth(&t.database_path())
        .arg("backup")
        .arg(dir.path().join("b.db").as_os_str()))
    .await;
    run(mcp_oauth(&t.database_path()).args(["token", "cleanup", "-q"])).await;
    let stats = run(mcp_oauth(&t.database_path()).args(["stats", "--json"]))
        .await
        .json();
    let backup_at = stats["last_backup"]["finished_at_unix"]
        .as_i64()
        .expect("last_backup");
    let cleanup_at = stats["last_cleanup"]["finished_at_unix"]
        .as_i64()
        .expect("last_cleanup");
    assert_eq!(
        t.count("SELECT max(finished_at) FROM maintenance_runs WHERE task = 'backup'")
            .await,
        backup_at
    );
    let body = t
        .http
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(&format!(
            "\nmcp_oauth_last_backup_timestamp_seconds {backup_at}\n"
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "\nmcp_oauth_last_cleanup_timestamp_seconds {cleanup_at}\n"
        )),
        "{body}"
    );
    assert!(body.contains("# TYPE mcp_oauth_last_backup_timestamp_seconds gauge"));
}

/// The `serve` binary on `database`, on a free loopback port; returns once it serves.
fn serve(database: &Path) -> std::process::Child {
    let mut child = Command::new(BIN)
        .arg("--database")
        .arg(database.as_os_str())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("MCP_OAUTH_DATABASE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().expect("serve printed its start line").unwrap();
        if line.contains("mcp-oauth serving") {
            break;
        }
    }
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_while_serve_holds_the_database_unless_forced() {
    let t = TestServer::start().await;
    tokens_and_a_memory(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("b.db");
    run(mcp_oauth(&t.database_path())
        .arg("backup")
        .arg(backup_path.as_os_str()))
    .await;
    let live = dir.path().join("live.db");
    run(mcp_oauth(&live).arg("migrate")).await;
    let mut server = serve(&live);
    run(mcp_oauth(&live)
        .args(["restore", "--yes"])
        .arg(backup_path.as_os_str())
        .status(1)
        .stderr("a running `mcp-oauth serve` holds")
        .stderr("--force"))
    .await;
    run(mcp_oauth(&live)
        .args(["restore", "--yes", "--force"])
        .arg(backup_path.as_os_str())
        .stdout("restored from"))
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
    // The server gone, its lock went with it: an ordinary restore goes through.
    run(mcp_oauth(&live)
        .args(["restore", "--yes"])
        .arg(backup_path.as_os_str()))
    .await;
    let store = Store::open(&DatabaseTarget::Local(live)).await.unwrap();
    let conn = store.connection().await.unwrap();
    let mut r = conn.query("SELECT count(*) FROM memories", ()).await.unwrap();
    let n: i64 = r.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_database_backs_up_and_restores_into_an_empty_one_or_with_replace() {
    let Some(source) = sqld::Sqld::start() else { return };
    let t = TestServer::start_on(source.migrated_store().await, |_| {}).await;
    let tokens = tokens_and_a_memory(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let backup_path = dir.path().join("remote.db");
    let out = run(Test::new()
        .args(["--database", &source.url(), "backup", "--json"])
        .arg(backup_path.as_os_str()))
    .await;
    assert_eq!(out.json()["oauth_tables_present"], true);
    let backed_up = backup::inspect_file(&backup_path).await.unwrap();
    assert_eq!(backed_up.integrity, ["ok"]);
    assert_eq!(backed_up.rows("oauth_refresh_tokens"), Some(1));
    assert_eq!(backed_up.rows("memories"), Some(1));
    assert!(backed_up.pending_migrations.is_empty());
    // The backup of a remote database is recorded there.
    assert_eq!(
        t.count("SELECT count(*) FROM maintenance_runs WHERE task = 'backup'")
            .await,
        1
    );
    // A local copy of a remote database is a database this build serves.
    let local = Store::open(&DatabaseTarget::Local(backup_path.clone()))
        .await
        .unwrap();
    assert!(token_works_on(local, &t.issuer, &tokens.access_token).await);

    let Some(target) = sqld::Sqld::start() else { return };
    run(Test::new()
        .args(["--database", &target.url(), "restore", "--yes"])
        .arg(backup_path.as_os_str())
        .stdout("restored from"))
    .await;
    let restored_store = Store::open(&target.target()).await.unwrap();
    assert!(
        token_works_on(restored_store.clone(), &t.issuer, &tokens.access_token).await,
        "the token issued before the backup works on the restored remote database"
    );
    // The search index came along: the memory is found.
    let restored = TestServer::start_on(restored_store, {
        let issuer = t.issuer.clone();
        move |c| c.issuer = issuer
    })
    .await;
    let found = McpClient::new(
        restored.http.clone(),
        &format!("http://{}/api/mcp", restored.server.addr),
        Some(&tokens.access_token),
    )
    .call_tool("search_memories", json!({ "query": "backup" }))
    .await
    .expect("search_memories");
    assert!(found.to_string().contains("written before the backup"), "{found}");

    // Not empty any more: refused without --replace, naming it; replaced with it.
    run(Test::new()
        .args(["--database", &target.url(), "restore", "--yes"])
        .arg(backup_path.as_os_str())
        .status(2)
        .stderr("--replace"))
    .await;
    run(Test::new()
        .args(["--database", &target.url(), "restore", "--yes", "--replace"])
        .arg(backup_path.as_os_str()))
    .await;
    let again = tempfile::tempdir().unwrap();
    let second = again.path().join("second.db");
    run(Test::new()
        .args(["--database", &target.url(), "backup"])
        .arg(second.as_os_str()))
    .await;
    let second = backup::inspect_file(&second).await.unwrap();
    assert_eq!(
        rows(&second)
            .into_iter()
            .filter(|(t, _)| t != "maintenance_runs")
            .collect::<Vec<_>>(),
        rows(&backed_up)
            .into_iter()
            .filter(|(t, _)| t != "maintenance_runs")
            .collect::<Vec<_>>()
    );
}
