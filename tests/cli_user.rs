//! `mcp-oauth user add|list|remove` on real database files.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/seed.rs"]
mod seed;

use std::time::Duration;

use cli::Db;
use mcp_oauth::secret;
use mcp_oauth::storage::users;
use seed::Token;

const PASSWORD: &str = "correct horse battery staple";

fn add(db: &Db, name: &str) -> cli::Output {
    db.cmd()
        .args(["user", "add", name, "--password-stdin"])
        .stdin(format!("{PASSWORD}\n"))
        .stdout(&format!("Added user {name} (usr_"))
        .run()
}

#[tokio::test]
async fn add_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash() {
    let db = Db::migrated();
    add(&db, "alice");
    let alice = users::find_by_username(&db.store().await, "ALICE")
        .await
        .unwrap()
        .expect("names are case-insensitive");
    assert!(alice.user_id.starts_with("usr_") && alice.user_id.len() == 4 + 22);
    assert!(alice.password_hash.starts_with("$argon2id$"));
    assert!(secret::verify_phc(PASSWORD, &alice.password_hash));
    let on_disk = db.bytes_on_disk();
    assert!(!on_disk.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()));
}

#[test]
fn add_refuses_short_passwords_duplicates_and_waiting_without_a_terminal() {
    let db = Db::migrated();
    db.cmd()
        .args(["user", "add", "bob", "--password-stdin"])
        .stdin("short\n")
        .status(2)
        .stderr("the password is too short: 5 characters, at least 12 needed")
        .run();
    db.cmd()
        .args(["user", "add", "bob", "--password-stdin"])
        .stdin("")
        .status(2)
        .stderr("--password-stdin read an empty password")
        .run();
    db.cmd()
        .args(["user", "add", "bob"])
        .stdin(Vec::new())
        .status(2)
        .stderr("there is no terminal to ask for the password on; pipe it in with --password-stdin")
        .run();
    add(&db, "bob");
    db.cmd()
        .args(["user", "add", "BOB", "--password-stdin"])
        .stdin(format!("{PASSWORD}\n"))
        .status(2)
        .stderr("a user named `BOB` already exists")
        .run();
    db.cmd()
        .args(["user", "add", "two words", "--password-stdin"])
        .status(2)
        .stderr("a user name has no spaces")
        .run();
}

#[tokio::test]
async fn the_password_prompt_on_a_terminal_asks_twice() {
    let db = Db::migrated();
    let mut cmd = db.cmd().args(["user", "add", "carol"]).command();
    cmd.env("TERM", "xterm");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    for prompt in ["Password for carol", "Repeat the password"] {
        p.exp_string(prompt).unwrap();
        // The prompt flushes typed-ahead input when it turns echo off; let it.
        std::thread::sleep(Duration::from_millis(150));
        p.send_line(PASSWORD).unwrap();
    }
    p.exp_string("Added user carol").unwrap();
    p.exp_eof().unwrap();
    let carol = users::find_by_username(&db.store().await, "carol")
        .await
        .unwrap()
        .unwrap();
    assert!(secret::verify_phc(PASSWORD, &carol.password_hash));
}

#[test]
fn list_shows_people_a_table_and_scripts_json() {
    let db = Db::migrated();
    db.cmd().args(["user", "list"]).stdout("No local users yet").run();
    add(&db, "alice");
    add(&db, "bob");
    db.cmd()
        .args(["user", "list"])
        .stdout("alice")
        .stdout("bob")
        .stdout("2 user(s).")
        .run();
    let v = db.cmd().args(["user", "list", "--json"]).run().json();
    assert_eq!(v[0]["username"], "alice");
    assert_eq!(v[1]["username"], "bob");
    assert!(v[0].get("password_hash").is_none());
}

#[tokio::test]
async fn remove_asks_first_then_revokes_the_users_tokens() {
    let db = Db::migrated();
    add(&db, "alice");
    let store = db.store().await;
    let alice = users::find_by_username(&store, "alice").await.unwrap().unwrap();
    seed::client(&store, "mcp_oauth_c", &alice.user_id).await;
    Token::access("mcp_at_alice", "g", "mcp_oauth_c", &alice.user_id)
        .insert(&store)
        .await;
    Token::access("mcp_at_bob", "g2", "mcp_oauth_c", "usr_bob")
        .insert(&store)
        .await;
    db.cmd()
        .args(["user", "remove", "alice"])
        .status(2)
        .stderr("removing user `alice` ends their sessions and revokes their 1 live token; re-run with --yes")
        .run();
    assert!(users::find_by_username(&store, "alice").await.unwrap().is_some());
    db.cmd()
        .args(["user", "remove", "alice", "--yes"])
        .stdout("Removed user alice")
        .run();
    assert!(users::find_by_username(&store, "alice").await.unwrap().is_none());
    assert!(seed::revoked_at(&store, "oauth_access_tokens", "mcp_at_alice")
        .await
        .is_some());
    assert!(seed::revoked_at(&store, "oauth_access_tokens", "mcp_at_bob")
        .await
        .is_none());
    db.cmd()
        .args(["user", "remove", "alice", "--yes"])
        .status(5)
        .stderr("no user is named `alice`")
        .run();
}

/// The first `warning: ` line `serve --login local` (with `args`) writes to stderr that
/// contains `wanted`, read until the warning about the OAuth switch (the last one it writes,
/// when switched off); the server is stopped after.
fn serve_stderr_line(db: &Db, args: &[&str], wanted: &'static str) -> Option<String> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(cli::BIN)
        .arg("--database")
        .arg(db.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--login", "local"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let lines = std::io::BufReader::new(stderr).lines().map_while(Result::ok);
        for line in lines.filter(|l| l.starts_with("warning: ")) {
            let done = line.contains(wanted) || line.starts_with("warning: OAuth is switched off");
            let _ = tx.send(line);
            if done {
                break;
            }
        }
    });
    let mut found = None;
    // A guard against a hang, not a timing assertion: serve writes these lines at start.
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        if line.contains(wanted) {
            found = Some(line);
            break;
        }
        if line.starts_with("warning: OAuth is switched off") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    found
}

#[test]
fn serve_with_local_login_and_no_local_user_warns_naming_user_add() {
    let db = Db::migrated();
    let line = serve_stderr_line(&db, &[], "no local user").expect("a warning at start");
    assert_eq!(
        line,
        "warning: --login local, but there is no local user: nobody can sign in to authorize a client; add one with `mcp-oauth user add NAME`"
    );
    // With a user there is nothing to warn about: the switch's warning, which comes after it,
    // is the first.
    add(&db, "alice");
    assert_eq!(serve_stderr_line(&db, &["--oauth", "off"], "no local user"), None);
}
