//! `mcp-oauth client …` on real database files: the wizard on a pseudo-terminal, the same with
//! flags, refusing to wait without a terminal, secrets at rest, rotation and deletion.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/seed.rs"]
mod seed;

use std::time::Duration;

use cli::Db;
use mcp_oauth::secret;
use mcp_oauth::storage::clients::{self, AuthMethod, ClientRecord};
use seed::Token;

const CLAUDE_AI: &str = "https://claude.ai/api/mcp/auth_callback";
const CLAUDE_COM: &str = "https://claude.com/api/mcp/auth_callback";

fn register_with_flags(db: &Db) -> cli::Output {
    db.cmd()
        .args(["client", "register", "--name", "Claude", "--user-id", "usr_alice"])
        .args(["--redirect-uri", CLAUDE_AI, "--redirect-uri", CLAUDE_COM])
        .args([
            "--scope",
            "memories:read memories:write",
            "--scope",
            "entities:read,entities:write",
        ])
        .stdout("Registered client \"Claude\" (confidential, client_secret_basic)")
        .stdout("client_id:     mcp_oauth_")
        .stdout("client_secret: mcp_cs_")
        .stderr("Store the client secret now")
        .run()
}

async fn record(db: &Db, client_id: &str) -> ClientRecord {
    clients::find(&db.store().await, client_id)
        .await
        .unwrap()
        .expect("the client is stored")
}

/// What the token endpoint accepts: the current secret, or the previous one until its grace ends.
fn accepts(c: &ClientRecord, secret: &str, now: i64) -> bool {
    let current = c
        .secret_hash
        .as_deref()
        .is_some_and(|h| secret::verify_phc(secret, h));
    let previous = c.previous_secret_hash.as_deref().is_some_and(|h| {
        c.previous_secret_expires_at.is_some_and(|until| now < until) && secret::verify_phc(secret, h)
    });
    current || previous
}

#[tokio::test]
async fn register_with_flags_stores_the_client_and_only_an_argon2id_hash_of_its_secret() {
    let db = Db::migrated();
    let out = register_with_flags(&db);
    let client_id = out.field("client_id:");
    let client_secret = out.field("client_secret:");
    let c = record(&db, &client_id).await;
    assert_eq!(c.client_name, "Claude");
    assert_eq!(c.redirect_uris, [CLAUDE_AI, CLAUDE_COM]);
    assert_eq!(
        c.scopes.to_string(),
        "memories:read memories:write entities:read entities:write"
    );
    assert_eq!(c.user_id.as_deref(), Some("usr_alice"));
    assert_eq!(c.auth_method, AuthMethod::ClientSecretBasic);
    let hash = c.secret_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(secret::verify_phc(&client_secret, &hash));
    drop(c);

    let on_disk = db.bytes_on_disk();
    let needle = client_secret.as_bytes();
    assert!(
        !on_disk.windows(needle.len()).any(|w| w == needle),
        "the plaintext secret is in the database file or its WAL"
    );
    // The random part alone must not be there either (e.g. stored without its prefix).
    let random = &needle["mcp_cs_".len()..];
    assert!(!on_disk.windows(random.len()).any(|w| w == random));
}

#[tokio::test]
async fn register_json_prints_one_object_with_the_secret() {
    let db = Db::migrated();
    let out = db
        .cmd()
        .args([
            "--json",
            "client",
            "register",
            "--public",
            "--name",
            "Claude Code",
        ])
        .args([
            "--user-id",
            "usr_bob",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ])
        .args(["--scope", "memories:read"])
        .run();
    let v = out.json();
    assert!(v["client_id"].as_str().unwrap().starts_with("mcp_oauth_"));
    assert!(v["client_secret"].is_null(), "a public client has no secret");
    assert_eq!(v["token_endpoint_auth_method"], "none");
    assert_eq!(v["scopes"], serde_json::json!(["memories:read"]));
    let c = record(&db, v["client_id"].as_str().unwrap()).await;
    assert!(c.is_public());
}

#[test]
fn register_without_a_terminal_and_a_missing_field_names_the_flags_and_exits_2() {
    let db = Db::migrated();
    db.cmd()
        .args([
            "client",
            "register",
            "--name",
            "Claude",
            "--scope",
            "memories:read",
        ])
        .status(2)
        .stderr("registering a client needs --redirect-uri, --user-id; there is no terminal to ask on")
        .run();
    // Never waits: stdin is a pipe that stays open and says nothing.
    let started = std::time::Instant::now();
    db.cmd()
        .args(["client", "register"])
        .stdin(Vec::new())
        .status(2)
        .stderr("--name, --redirect-uri, --scope, --user-id")
        .run();
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn register_refuses_bad_answers_with_the_rule_they_break() {
    let db = Db::migrated();
    let base = ["client", "register", "--name", "X", "--user-id", "usr_x"];
    db.cmd()
        .args(base)
        .args([
            "--scope",
            "memories:read",
            "--redirect-uri",
            "http://example.com/cb",
        ])
        .status(2)
        .stderr("must use https://")
        .run();
    db.cmd()
        .args(base)
        .args([
            "--scope",
            "memories:read",
            "--redirect-uri",
            "https://example.com/cb#frag",
        ])
        .status(2)
        .stderr("must not contain a fragment")
        .run();
    db.cmd()
        .args(base)
        .args([
            "--scope",
            "memories:read,memory:write",
            "--redirect-uri",
            CLAUDE_AI,
        ])
        .status(2)
        .stderr("unknown scope `memory:write`")
        .run();
    db.cmd()
        .args(base)
        .args([
            "--scope",
            "memories:read",
            "--redirect-uri",
            CLAUDE_AI,
            "--public",
        ])
        .args(["--auth-method", "client_secret_post"])
        .status(2)
        .stderr("cannot be used with")
        .run();
}

/// Sends keys the way a person types them: one at a time, after the prompt is drawn.
fn keys(p: &mut rexpect::session::PtySession, keys: &[&str]) {
    for k in keys {
        std::thread::sleep(Duration::from_millis(60));
        p.send(k).unwrap();
        p.flush().unwrap();
    }
}

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const SPACE: &str = " ";

#[tokio::test]
async fn the_wizard_on_a_terminal_registers_a_client() {
    let db = Db::migrated();
    db.cmd()
        .args(["user", "add", "alice", "--password-stdin"])
        .stdin("correct horse battery staple\n")
        .run();
    let alice = mcp_oauth::storage::users::find_by_username(&db.store().await, "alice")
        .await
        .unwrap()
        .unwrap();

    let mut cmd = db.cmd().args(["client", "register"]).command();
    cmd.env("TERM", "xterm");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("Client name").unwrap();
    keys(&mut p, &["Wizard App", ENTER]);
    p.exp_string("Redirect URIs").unwrap();
    // Both Claude presets are ticked; tick "Enter another" too.
    keys(&mut p, &[DOWN, DOWN, SPACE, ENTER]);
    p.exp_string("Redirect URI (empty when done)").unwrap();
    keys(&mut p, &["http://example.com/cb", ENTER]);
    p.exp_string("must use https://").unwrap();
    // The rejected answer is gone; type a good one.
    p.exp_string("Redirect URI (empty when done)").unwrap();
    keys(&mut p, &["http://127.0.0.1:3000/callback", ENTER]);
    p.exp_string("Redirect URI (empty when done)").unwrap();
    keys(&mut p, &[ENTER]);
    p.exp_string("Scopes").unwrap();
    // All four are ticked; untick entities:write.
    keys(&mut p, &[DOWN, DOWN, DOWN, SPACE, ENTER]);
    p.exp_string("Owner").unwrap();
    keys(&mut p, &[ENTER]); // alice, the only local user
    p.exp_string("Client type").unwrap();
    keys(&mut p, &[ENTER]); // confidential
    p.exp_string("Register this client?").unwrap();
    keys(&mut p, &["y"]);
    p.exp_string("client_id:").unwrap();
    let (_, id_line) = p.exp_regex(r"mcp_oauth_[A-Za-z0-9_-]{22}").unwrap();
    p.exp_string("client_secret:").unwrap();
    let (_, secret) = p.exp_regex(r"mcp_cs_[A-Za-z0-9_-]{43}").unwrap();
    p.exp_string("Store the client secret now").unwrap();
    p.exp_eof().unwrap();

    let c = record(&db, &id_line).await;
    assert_eq!(c.client_name, "Wizard App");
    assert_eq!(
        c.redirect_uris,
        [CLAUDE_AI, CLAUDE_COM, "http://127.0.0.1:3000/callback"]
    );
    assert_eq!(c.scopes.to_string(), "memories:read memories:write entities:read");
    assert_eq!(c.user_id.as_deref(), Some(alice.user_id.as_str()));
    assert!(secret::verify_phc(&secret, c.secret_hash.as_deref().unwrap()));
}

#[tokio::test]
async fn rotate_with_grace_keeps_the_old_secret_only_until_the_grace_ends() {
    let db = Db::migrated();
    let out = register_with_flags(&db);
    let id = out.field("client_id:");
    let first = out.field("client_secret:");

    let out = db
        .cmd()
        .args(["client", "rotate", &id, "--grace", "1h"])
        .stdout("client_secret: mcp_cs_")
        .stderr("the old secret keeps working until")
        .run();
    let second = out.field("client_secret:");
    let c = record(&db, &id).await;
    let now = seed::now();
    assert!(accepts(&c, &second, now));
    assert!(accepts(&c, &first, now), "within the grace the old secret works");
    assert!(!accepts(&c, &first, now + 3601), "after the grace it does not");
    assert!(c.secret_rotated_at.is_some());
    let until = c.previous_secret_expires_at.unwrap();
    assert!((now + 3590..=now + 3610).contains(&until), "{until} vs {now}");

    let out = db.cmd().args(["--json", "client", "rotate", &id]).run();
    let v = out.json();
    assert!(v["previous_secret_valid_until"].is_null());
    let third = v["client_secret"].as_str().unwrap().to_string();
    let c = record(&db, &id).await;
    assert!(accepts(&c, &third, now));
    assert!(
        !accepts(&c, &second, now),
        "without grace the old secret stops at once"
    );
    assert!(!accepts(&c, &first, now));
}

#[test]
fn rotate_refuses_a_public_client_and_an_unknown_one() {
    let db = Db::migrated();
    let out = db
        .cmd()
        .args([
            "client",
            "register",
            "--public",
            "--name",
            "CLI",
            "--user-id",
            "u",
        ])
        .args([
            "--redirect-uri",
            "http://localhost/cb",
            "--scope",
            "memories:read",
        ])
        .run();
    let id = out.field("client_id:");
    db.cmd()
        .args(["client", "rotate", &id])
        .status(2)
        .stderr("is public: it has no secret to rotate")
        .run();
    db.cmd()
        .args(["client", "rotate", "mcp_oauth_nope"])
        .status(5)
        .stderr("no client has the ID `mcp_oauth_nope`")
        .run();
}

#[tokio::test]
async fn list_and_show_describe_clients_for_people_and_scripts() {
    let db = Db::migrated();
    db.cmd()
        .args(["client", "list"])
        .stdout("No clients yet; `mcp-oauth client register` adds one.")
        .run();
    let id = register_with_flags(&db).field("client_id:");
    Token::access("mcp_at_live", "g1", &id, "usr_alice")
        .insert(&db.store().await)
        .await;
    db.cmd()
        .args(["client", "list"])
        .stdout(&id)
        .stdout("Claude")
        .stdout(CLAUDE_COM)
        .stdout("confidential (client_secret_basic)")
        .stdout("1 client(s).")
        .run();
    let v = db.cmd().args(["client", "list", "--json"]).run().json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["client_id"], id.as_str());
    assert_eq!(v[0]["status"], "active");
    assert!(v[0].get("secret_hash").is_none(), "hashes are never printed");
    db.cmd()
        .args(["client", "show", &id])
        .stdout("1 access, 0 refresh")
        .run();
    let v = db.cmd().args(["--json", "client", "show", &id]).run().json();
    assert_eq!(v["live_tokens"]["access_tokens"], 1);
    db.cmd()
        .args(["client", "show", "mcp_oauth_nope"])
        .status(5)
        .run();
}

#[tokio::test]
async fn delete_asks_first_and_takes_the_clients_tokens_with_it() {
    let db = Db::migrated();
    let id = register_with_flags(&db).field("client_id:");
    let other = register_with_flags(&db).field("client_id:");
    let store = db.store().await;
    Token::access("mcp_at_a", "g1", &id, "u").insert(&store).await;
    Token::refresh("mcp_rt_a", "g1", &id, "u").insert(&store).await;
    Token::access("mcp_at_other", "g2", &other, "u")
        .insert(&store)
        .await;

    db.cmd()
        .args(["client", "delete", &id])
        .status(2)
        .stderr("removes it and its 2 live tokens; apps using it stop working at once; re-run with --yes")
        .run();
    assert!(seed::has_token(&store, "oauth_access_tokens", "mcp_at_a").await);

    db.cmd()
        .args(["client", "delete", &id, "--yes"])
        .stdout("Deleted client \"Claude\"")
        .run();
    assert!(clients::find(&store, &id).await.unwrap().is_none());
    assert!(!seed::has_token(&store, "oauth_access_tokens", "mcp_at_a").await);
    assert!(!seed::has_token(&store, "oauth_refresh_tokens", "mcp_rt_a").await);
    assert!(seed::has_token(&store, "oauth_access_tokens", "mcp_at_other").await);
    db.cmd().args(["client", "delete", &id, "--yes"]).status(5).run();
}

#[tokio::test]
async fn a_metadata_document_client_is_listed_shown_and_revoked_by_its_url() {
    let db = Db::migrated();
    let id = "https://app.example.com/oauth/client.json";
    clients::upsert_metadata_document(
        &db.store().await,
        id,
        "Doc App",
        &["http://127.0.0.1/cb".to_string()],
        &mcp_oauth::oauth::scope::ScopeSet::all(),
        100,
    )
    .await
    .unwrap()
    .expect("recorded");
    Token::access("mcp_at_doc", "g1", id, "usr_alice")
        .insert(&db.store().await)
        .await;
    db.cmd()
        .args(["client", "list"])
        .stdout(id)
        .stdout("public, metadata document")
        .run();
    let v = db.cmd().args(["client", "list", "--json"]).run().json();
    assert_eq!(v[0]["registration"], "metadata_document");
    assert_eq!(v[0]["public"], true);
    db.cmd()
        .args(["client", "show", id])
        .stdout("metadata document")
        .stdout("1 access, 0 refresh")
        .run();
    db.cmd().args(["token", "revoke", "--client", id, "--yes"]).run();
    let v = db.cmd().args(["--json", "client", "show", id]).run().json();
    assert_eq!(v["live_tokens"]["access_tokens"], 0);
}
