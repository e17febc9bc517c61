//! `mcp-oauth token revoke|cleanup` on real database files: revocation takes exactly the rows
//! named; cleanup deletes exactly the dead rows, in batches, and nothing else.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/seed.rs"]
mod seed;

use cli::Db;
use mcp_oauth::storage::{cleanup, Store};
use seed::{Token, DAY, HOUR};

const AT: &str = "oauth_access_tokens";
const RT: &str = "oauth_refresh_tokens";
const CODES: &str = "oauth_authorization_codes";

/// Two clients, two users, three grants, each grant one access and one refresh token:
/// g1 = (c1, u1), g2 = (c1, u2), g3 = (c2, u1).
async fn three_grants() -> (Db, Store) {
    let db = Db::migrated();
    let store = db.store().await;
    seed::client(&store, "mcp_oauth_c1", "u1").await;
    seed::client(&store, "mcp_oauth_c2", "u1").await;
    for (n, client, user) in [
        (1, "mcp_oauth_c1", "u1"),
        (2, "mcp_oauth_c1", "u2"),
        (3, "mcp_oauth_c2", "u1"),
    ] {
        let grant = format!("g{n}");
        Token::access(&format!("mcp_at_{n}"), &grant, client, user)
            .insert(&store)
            .await;
        Token::refresh(&format!("mcp_rt_{n}"), &grant, client, user)
            .insert(&store)
            .await;
    }
    (db, store)
}

/// Which of the six tokens are revoked, as `at1 rt2 …`.
async fn revoked(store: &Store) -> String {
    let mut out = Vec::new();
    for n in 1..=3 {
        for (table, prefix, short) in [(AT, "mcp_at_", "at"), (RT, "mcp_rt_", "rt")] {
            if seed::revoked_at(store, table, &format!("{prefix}{n}"))
                .await
                .is_some()
            {
                out.push(format!("{short}{n}"));
            }
        }
    }
    out.join(" ")
}

#[tokio::test]
async fn revoking_an_access_token_read_from_stdin_revokes_that_token_alone() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--token", "-", "--yes"])
        .stdin("mcp_at_1\n")
        .stdout("Revoked 1 live token (1 access, 0 refresh) — the access token.")
        .run();
    assert_eq!(revoked(&store).await, "at1");
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_whole_grant_and_nothing_else() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--token", "mcp_rt_2", "--yes"])
        .stdout("Revoked 2 live tokens (1 access, 1 refresh) — the refresh token and its grant")
        .run();
    assert_eq!(revoked(&store).await, "at2 rt2");
}

#[tokio::test]
async fn revoking_by_client_takes_every_token_of_that_client_only() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--client", "mcp_oauth_c1", "--yes"])
        .stdout("Revoked 4 live tokens (2 access, 2 refresh) — every token of client `mcp_oauth_c1`.")
        .run();
    assert_eq!(revoked(&store).await, "at1 rt1 at2 rt2");
}

#[tokio::test]
async fn revoking_by_user_takes_every_token_of_that_user_across_clients() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--token", "mcp_at_1", "--yes"])
        .run();
    let first = seed::revoked_at(&store, AT, "mcp_at_1").await;
    db.cmd()
        .args(["--json", "token", "revoke", "--user", "u1", "--yes"])
        .run();
    assert_eq!(revoked(&store).await, "at1 rt1 at3 rt3");
    assert_eq!(
        seed::revoked_at(&store, AT, "mcp_at_1").await,
        first,
        "an already revoked token keeps its revocation time"
    );
}

#[tokio::test]
async fn revoking_by_a_local_user_name_or_id_names_both_and_refuses_an_ambiguous_value() {
    let (db, store) = three_grants().await;
    let now = seed::now();
    mcp_oauth::storage::users::create(&store, "u1", "alice", "$argon2id$unused", now)
        .await
        .unwrap();
    db.cmd()
        .args(["token", "revoke", "--user", "alice", "--dry-run"])
        .stdout(
            "Would revoke 4 live tokens (2 access, 2 refresh) — every token of local user `alice` (ID `u1`)",
        )
        .run();
    db.cmd()
        .args(["token", "revoke", "--user", "u1", "--dry-run"])
        .stdout("every token of local user `alice` (ID `u1`)")
        .run();
    // A local user named like another user's ID: which one is meant cannot be guessed.
    mcp_oauth::storage::users::create(&store, "usr_bob", "u2", "$argon2id$unused", now)
        .await
        .unwrap();
    db.cmd()
        .args(["token", "revoke", "--user", "u2", "--yes"])
        .status(2)
        .stderr("`u2` is ambiguous: it is the name of local user `u2` (ID `usr_bob`) and the user ID of other tokens")
        .run();
    assert_eq!(revoked(&store).await, "");
    db.cmd()
        .args(["token", "revoke", "--user", "ALICE", "--yes"])
        .stdout("Revoked 4 live tokens (2 access, 2 refresh) — every token of local user `alice` (ID `u1`).")
        .run();
    assert_eq!(revoked(&store).await, "at1 rt1 at3 rt3");
}

#[tokio::test]
async fn without_a_terminal_or_yes_revoke_shows_the_count_and_changes_nothing() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--user", "u1"])
        .status(2)
        .stderr("this would revoke 4 live tokens (2 access, 2 refresh) — every token of user ID `u1`; re-run with --yes")
        .run();
    assert_eq!(revoked(&store).await, "");
}

#[tokio::test]
async fn dry_run_counts_only() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--client", "mcp_oauth_c2", "--dry-run"])
        .stdout("Would revoke 2 live tokens (1 access, 1 refresh)")
        .stdout("nothing was changed")
        .run();
    let v = db
        .cmd()
        .args([
            "--json",
            "token",
            "revoke",
            "--client",
            "mcp_oauth_c1",
            "--dry-run",
        ])
        .run()
        .json();
    assert_eq!(v["would_revoke"]["access_tokens"], 2);
    assert_eq!(revoked(&store).await, "");
}

#[tokio::test]
async fn unknown_tokens_clients_and_users_exit_5_and_bad_input_exits_2() {
    let (db, store) = three_grants().await;
    db.cmd()
        .args(["token", "revoke", "--token", "mcp_at_unknown", "--yes"])
        .status(5)
        .stderr("no such token")
        .run();
    db.cmd()
        .args(["token", "revoke", "--client", "mcp_oauth_nope", "--yes"])
        .status(5)
        .stderr("no client has the ID `mcp_oauth_nope`")
        .run();
    db.cmd()
        .args(["token", "revoke", "--user", "nobody", "--yes"])
        .status(5)
        .stderr("no local user is named `nobody`, and no local user or token has the user ID `nobody`")
        .run();
    db.cmd()
        .args(["token", "revoke", "--token", "eyJhbGciOi.clerk.jwt", "--yes"])
        .status(2)
        .stderr("that is not an mcp-oauth token")
        .run();
    db.cmd()
        .args(["token", "revoke", "--client", "a", "--user", "b"])
        .status(2)
        .stderr("cannot be used with")
        .run();
    db.cmd().args(["token", "revoke"]).status(2).run();
    assert_eq!(revoked(&store).await, "");
}

/// One row of every kind cleanup judges, named for what should become of it.
async fn one_of_each(store: &Store, now: i64) {
    let c = "mcp_oauth_c1";
    seed::client(store, c, "u1").await;
    for table in [AT, RT] {
        let t = |name: &'static str| Token {
            table,
            token: name,
            grant: "g",
            client: c,
            user: "u1",
            created_at: now - 30 * DAY,
            expires_at: now + HOUR,
            revoked_at: None,
        };
        let p = if table == AT { "mcp_at_" } else { "mcp_rt_" };
        let name = |s: &str| -> &'static str { Box::leak(format!("{p}{s}").into_boxed_str()) };
        t(name("keep_live")).insert(store).await;
        t(name("del_expired")).expires(now - 1).insert(store).await;
        t(name("del_expired_just_now")).expires(now).insert(store).await;
        t(name("keep_revoked_1d_live"))
            .revoked(now - DAY)
            .insert(store)
            .await;
        t(name("keep_revoked_1d_expired"))
            .revoked(now - DAY)
            .expires(now - 2 * HOUR)
            .insert(store)
            .await;
        t(name("del_revoked_8d_expired"))
            .revoked(now - 8 * DAY)
            .expires(now - 7 * DAY)
            .insert(store)
            .await;
        t(name("del_revoked_8d_live"))
            .revoked(now - 8 * DAY)
            .insert(store)
            .await;
    }
    seed::code(store, "keep_pending", c, "u1", now + 300, None).await;
    seed::code(
        store,
        "keep_redeemed_unexpired",
        c,
        "u1",
        now + 300,
        Some(now - 60),
    )
    .await;
    seed::code(
        store,
        "keep_redeemed_1h_expired",
        c,
        "u1",
        now - 60,
        Some(now - HOUR),
    )
    .await;
    seed::code(store, "del_expired", c, "u1", now - 1, None).await;
    seed::code(
        store,
        "del_redeemed_8d",
        c,
        "u1",
        now - 8 * DAY,
        Some(now - 8 * DAY - 60),
    )
    .await;
    let conn = store.connection().await.unwrap();
    for (kind, at) in [("keep", now - 2 * HOUR), ("del", now - 8 * DAY)] {
        conn.execute(
            "INSERT INTO auth_events (kind, client_id, created_at) VALUES (?1, NULL, ?2)",
            libsql::params![kind, at],
        )
        .await
        .unwrap();
    }
}

/// Names of the seeded rows still present, sorted.
async fn survivors(store: &Store, table: &str) -> Vec<String> {
    let mut out = Vec::new();
    let candidates: Vec<String> = match table {
        AT | RT => {
            let p = if table == AT { "mcp_at_" } else { "mcp_rt_" };
            [
                "keep_live",
                "del_expired",
                "del_expired_just_now",
                "keep_revoked_1d_live",
                "keep_revoked_1d_expired",
                "del_revoked_8d_expired",
                "del_revoked_8d_live",
            ]
            .iter()
            .map(|s| format!("{p}{s}"))
            .collect()
        }
        _ => [
            "keep_pending",
            "keep_redeemed_unexpired",
            "keep_redeemed_1h_expired",
            "del_expired",
            "del_redeemed_8d",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    };
    for name in candidates {
        if seed::has_token(store, table, &name).await {
            out.push(name);
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn cleanup_deletes_exactly_the_dead_rows_and_keeps_recently_revoked_ones() {
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    one_of_each(&store, now).await;

    db.cmd()
        .args(["token", "cleanup", "--dry-run"])
        .stdout("oauth_access_tokens: would delete 4 (2 expired, 2 revoked)")
        .stdout("dry run: 11 row(s) would be deleted; nothing was changed.")
        .run();
    assert_eq!(
        seed::count(&store, AT, "1").await,
        7,
        "the dry run deleted nothing"
    );
    assert_eq!(seed::count(&store, "maintenance_runs", "1").await, 0);

    let out = db
        .cmd()
        .args(["token", "cleanup"])
        .stdout("oauth_authorization_codes: deleted 2 (1 expired, 1 redeemed)\n")
        .stdout("oauth_access_tokens: deleted 4 (2 expired, 2 revoked)\n")
        .stdout("oauth_refresh_tokens: deleted 4 (2 expired, 2 revoked)\n")
        .stdout("login_sessions: deleted 0 (0 expired)\n")
        .stdout("auth_events: deleted 1 (1 old)\n")
        .stdout("token cleanup: 11 row(s) deleted")
        .run();
    // Cron output: plain lines, no progress bar or escape codes.
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(!out.stdout.contains('\x1b'));

    for table in [AT, RT] {
        let p = if table == AT { "mcp_at_" } else { "mcp_rt_" };
        let expected: Vec<String> = ["keep_live", "keep_revoked_1d_expired", "keep_revoked_1d_live"]
            .iter()
            .map(|s| format!("{p}{s}"))
            .collect();
        assert_eq!(survivors(&store, table).await, expected, "{table}");
    }
    assert_eq!(
        survivors(&store, CODES).await,
        [
            "keep_pending",
            "keep_redeemed_1h_expired",
            "keep_redeemed_unexpired"
        ]
    );
    assert_eq!(seed::count(&store, "auth_events", "kind = 'keep'").await, 1);
    assert_eq!(seed::count(&store, "auth_events", "1").await, 1);

    let run = cleanup::last_run(&store, cleanup::TOKEN_CLEANUP)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(run.summary["oauth_access_tokens"]["total"], 4);
    assert_eq!(run.summary["retention_seconds"], 7 * DAY);

    // A second run finds nothing; a shorter retention reaches the recently revoked.
    db.cmd()
        .args(["token", "cleanup"])
        .stdout("token cleanup: 0 row(s) deleted")
        .run();
    db.cmd()
        .args(["token", "cleanup", "--retention", "1h"])
        .stdout("oauth_access_tokens: deleted 2 (0 expired, 2 revoked)")
        .stdout("oauth_authorization_codes: deleted 1 (0 expired, 1 redeemed)")
        .run();
    assert_eq!(survivors(&store, AT).await, ["mcp_at_keep_live"]);
}

#[tokio::test]
async fn cleanup_removes_expired_login_sessions_only() {
    let db = Db::migrated();
    db.cmd()
        .args(["user", "add", "alice", "--password-stdin"])
        .stdin("correct horse battery staple\n")
        .run();
    let store = db.store().await;
    let alice = mcp_oauth::storage::users::find_by_username(&store, "alice")
        .await
        .unwrap()
        .unwrap();
    let now = seed::now();
    mcp_oauth::storage::users::create_session(
        &store,
        b"live-session-digest",
        &alice.user_id,
        now,
        now + HOUR,
    )
    .await
    .unwrap();
    mcp_oauth::storage::users::create_session(
        &store,
        b"dead-session-digest",
        &alice.user_id,
        now - DAY,
        now - 1,
    )
    .await
    .unwrap();
    let v = db.cmd().args(["--json", "token", "cleanup"]).run().json();
    assert_eq!(v["tables"]["login_sessions"]["expired"], 1);
    assert_eq!(seed::count(&store, "login_sessions", "1").await, 1);
    assert!(
        mcp_oauth::storage::users::find_session_user(&store, b"live-session-digest", now)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn cleanup_of_200_000_rows_goes_in_batches_and_spares_the_live_ones() {
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    seed::client(&store, "mcp_oauth_bulk", "usr_bulk").await;
    seed::bulk_tokens(&store, AT, 100_000, "mcp_oauth_bulk", now - 2 * DAY, None).await;
    seed::bulk_tokens(&store, RT, 99_000, "mcp_oauth_bulk", now - 2 * DAY, None).await;
    seed::bulk_tokens(
        &store,
        RT,
        1_000,
        "mcp_oauth_bulk",
        now - 30 * DAY,
        Some(now - 20 * DAY),
    )
    .await;
    // Kept: live, and revoked within the retention though long expired.
    seed::bulk_tokens(&store, AT, 2_000, "mcp_oauth_bulk", now + HOUR, None).await;
    seed::bulk_tokens(
        &store,
        RT,
        3_000,
        "mcp_oauth_bulk",
        now - 2 * DAY,
        Some(now - DAY),
    )
    .await;

    let v = db
        .cmd()
        .args(["--json", "token", "cleanup", "--batch-size", "5000"])
        .run()
        .json();
    assert_eq!(v["total"], 200_000);
    assert_eq!(v["tables"]["oauth_access_tokens"]["expired"], 100_000);
    assert_eq!(v["tables"]["oauth_refresh_tokens"]["expired"], 99_000);
    assert_eq!(v["tables"]["oauth_refresh_tokens"]["revoked"], 1_000);
    assert_eq!(seed::count(&store, AT, "1").await, 2_000);
    assert_eq!(seed::count(&store, AT, "expires_at > unixepoch()").await, 2_000);
    assert_eq!(seed::count(&store, RT, "1").await, 3_000);
    assert_eq!(seed::count(&store, RT, "revoked_at IS NOT NULL").await, 3_000);
}

#[tokio::test]
async fn each_batch_is_its_own_transaction_of_at_most_batch_size_rows() {
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    seed::client(&store, "mcp_oauth_bulk", "usr_bulk").await;
    seed::bulk_tokens(&store, AT, 2_500, "mcp_oauth_bulk", now - DAY, None).await;
    // Revoked recently and expired long ago: stepped over by the batches, never deleted.
    seed::bulk_tokens(&store, AT, 700, "mcp_oauth_bulk", now - 3 * DAY, Some(now - HOUR)).await;
    let policy = cleanup::Policy {
        now,
        retention: 7 * DAY,
        unused_clients_after: DAY,
    };
    let mut batches = Vec::new();
    let report = cleanup::run(&store, &policy, 1_000, |target, n| {
        if target.table == AT && target.reason == "expired" {
            batches.push(n);
        }
    })
    .await
    .unwrap();
    // Sizes follow the time each batch takes; never above the maximum, and all rows counted.
    assert!(batches.iter().all(|&n| n <= 1_000), "{batches:?}");
    assert_eq!(batches.iter().sum::<u64>(), 2_500);
    assert_eq!(batches.last(), Some(&0));
    assert_eq!(report.table_total(AT), 2_500);
    assert_eq!(seed::count(&store, AT, "1").await, 700);
}

#[tokio::test]
async fn cleanup_draws_a_progress_bar_only_on_a_terminal() {
    let db = Db::migrated();
    let store = db.store().await;
    seed::client(&store, "mcp_oauth_bulk", "usr_bulk").await;
    seed::bulk_tokens(&store, AT, 20_000, "mcp_oauth_bulk", seed::now() - DAY, None).await;
    let mut cmd = db
        .cmd()
        .args(["token", "cleanup", "--batch-size", "100"])
        .command();
    cmd.env("TERM", "xterm");
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    p.exp_string("rows, eta").unwrap();
    p.exp_string("oauth_access_tokens: deleted 20000 (20000 expired, 0 revoked)")
        .unwrap();
    p.exp_eof().unwrap();
}

/// A dynamically registered client, as `POST /api/oauth/register` stores it, registered at `at`.
async fn dynamic_client(store: &Store, client_id: &str, at: i64) {
    use mcp_oauth::oauth::scope::ScopeSet;
    use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
    clients::insert(
        store,
        &NewClient {
            client_id: client_id.into(),
            client_name: format!("{client_id} app"),
            secret_hash: None,
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            scopes: ScopeSet::all(),
            auth_method: AuthMethod::None,
            user_id: None,
            registration: Registration::Dynamic,
            created_at: at,
        },
    )
    .await
    .expect("insert client");
}

#[tokio::test]
async fn cleanup_deletes_dynamic_registrations_that_never_completed_an_authorization() {
    use mcp_oauth::storage::grants::{self, NewCode};
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    // Registered two days ago and abandoned: the spam this removes.
    dynamic_client(&store, "mcp_oauth_abandoned", now - 2 * DAY).await;
    // Registered two days ago, got a code (since cleaned up): a real client, kept.
    dynamic_client(&store, "mcp_oauth_used", now - 2 * DAY).await;
    grants::insert_code(
        &store,
        &NewCode {
            code_hash: b"used-code".to_vec(),
            grant_id: "grant_used".into(),
            client_id: "mcp_oauth_used".into(),
            user_id: "usr_1".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            scope: "memories:read".into(),
            resource: "http://127.0.0.1/api/mcp".into(),
            code_challenge: Some("x".into()),
            created_at: now - 2 * DAY,
            expires_at: now - 2 * DAY + 60,
        },
    )
    .await
    .unwrap();
    store
        .execute_write("DELETE FROM oauth_authorization_codes", ())
        .await
        .unwrap();
    // Registered an hour ago, not yet used: inside the retention, kept.
    dynamic_client(&store, "mcp_oauth_fresh", now - HOUR).await;
    // Registered by the operator and never used: never cleanup's to delete.
    seed::client(&store, "mcp_oauth_cli", "usr_1").await;
    store
        .execute_write(
            "UPDATE oauth_clients SET created_at = ?1 WHERE client_id = 'mcp_oauth_cli'",
            [now - 30 * DAY],
        )
        .await
        .unwrap();

    db.cmd()
        .args(["token", "cleanup", "--dry-run"])
        .stdout("oauth_clients: would delete 1 (1 never authorized)")
        .stdout("would delete client mcp_oauth_abandoned (\"mcp_oauth_abandoned app\"), registered ")
        .run();
    let v = db
        .cmd()
        .args(["--json", "token", "cleanup", "--dry-run"])
        .run()
        .json();
    assert_eq!(v["tables"]["oauth_clients"]["never authorized"], 1);
    assert_eq!(v["unused_clients"][0]["client_id"], "mcp_oauth_abandoned");
    assert_eq!(v["unused_clients"].as_array().unwrap().len(), 1);
    assert_eq!(
        seed::count(&store, "oauth_clients", "1").await,
        4,
        "the dry run deleted nothing"
    );

    db.cmd()
        .args(["token", "cleanup"])
        .stdout("oauth_clients: deleted 1 (1 never authorized)")
        .run();
    assert_eq!(
        survivors_of_clients(&store).await,
        ["mcp_oauth_cli", "mcp_oauth_fresh", "mcp_oauth_used"]
    );
    db.cmd()
        .args(["token", "cleanup", "--unused-clients-after", "30m"])
        .stdout("oauth_clients: deleted 1 (1 never authorized)")
        .run();
    assert_eq!(
        survivors_of_clients(&store).await,
        ["mcp_oauth_cli", "mcp_oauth_used"]
    );
}

async fn survivors_of_clients(store: &Store) -> Vec<String> {
    let conn = store.connection().await.unwrap();
    let mut rows = conn
        .query("SELECT client_id FROM oauth_clients ORDER BY client_id", ())
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().await.unwrap() {
        out.push(r.get::<String>(0).unwrap());
    }
    out
}

#[tokio::test]
async fn cleanup_killed_mid_run_leaves_a_consistent_database_and_a_rerun_finishes() {
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    seed::client(&store, "mcp_oauth_bulk", "usr_bulk").await;
    seed::bulk_tokens(&store, AT, 40_000, "mcp_oauth_bulk", now - DAY, None).await;
    seed::bulk_tokens(&store, RT, 20_000, "mcp_oauth_bulk", now - DAY, None).await;
    seed::bulk_tokens(&store, AT, 1_000, "mcp_oauth_bulk", now + HOUR, None).await;
    seed::bulk_tokens(&store, RT, 500, "mcp_oauth_bulk", now + DAY, None).await;

    // Small batches, so that the run is still going when some of them have committed.
    let mut child = db
        .cmd()
        .args(["token", "cleanup", "--batch-size", "100"])
        .command()
        .spawn()
        .expect("start token cleanup");
    while seed::count(&store, AT, "1").await == 41_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "cleanup ended before a batch was seen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    assert!(!child.wait().unwrap().success());

    let conn = store.connection().await.unwrap();
    let mut rows = conn.query("PRAGMA integrity_check", ()).await.unwrap();
    let check: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(check, "ok");
    drop(rows);
    drop(conn);
    let access_left = seed::count(&store, AT, "1").await;
    assert!(
        access_left < 41_000 && access_left > 1_000,
        "{access_left} access rows left"
    );
    assert_eq!(seed::count(&store, AT, "expires_at > unixepoch()").await, 1_000);
    assert_eq!(seed::count(&store, RT, "expires_at > unixepoch()").await, 500);

    let expired_left = access_left - 1_000 + seed::count(&store, RT, "1").await - 500;
    let v = db.cmd().args(["--json", "token", "cleanup"]).run().json();
    assert_eq!(v["total"], expired_left);
    assert_eq!(seed::count(&store, AT, "1").await, 1_000);
    assert_eq!(seed::count(&store, RT, "1").await, 500);
    assert_eq!(seed::count(&store, AT, "expires_at > unixepoch()").await, 1_000);
}

/// The 64 MiB `journal_size_limit` the connections set: a WAL file longer than this is cut
/// back by the commit that starts the WAL over, with the write lock held.
const JOURNAL_SIZE_LIMIT: u64 = 64 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_beside_another_writer_keeps_the_wal_short_and_loses_none_of_its_writes() {
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    seed::client(&store, "mcp_oauth_bulk", "usr_bulk").await;
    // Rows of about 2 KB (a long `resource`), so that deleting them rewrites many pages: a
    // batch appends megabytes to the WAL, as on a large production table.
    for table in [AT, RT] {
        store
            .execute_write(
                &format!(
                    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 30000) \
                     INSERT INTO {table} (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at) \
                     SELECT randomblob(32), 'bulk-' || i, 'mcp_oauth_bulk', 'usr_bulk', 'memories:read', \
                            hex(randomblob(1000)), ?1 - 3 * 86400, ?1 - 2 * 86400 + (i % 1000) FROM seq"
                ),
                [now],
            )
            .await
            .unwrap();
    }
    seed::bulk_tokens(&store, AT, 500, "mcp_oauth_bulk", now + HOUR, None).await;
    let _ = store
        .connection()
        .await
        .unwrap()
        .query("PRAGMA wal_checkpoint(TRUNCATE)", ())
        .await;

    // Another writer on the same file, as `serve` is: its own store, a commit every few ms.
    let server = db.store().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut written = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                server
                    .execute_write(
                        "INSERT INTO maintenance_runs (task, started_at, finished_at, summary) \
                         VALUES ('serve', 0, 0, '{}')",
                        (),
                    )
                    .await
                    .expect("the other writer's commit");
                written += 1;
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
            written
        }
    });

    let policy = cleanup::Policy {
        now,
        retention: 7 * DAY,
        unused_clients_after: DAY,
    };
    let checkpoints = store.checkpoint_in_background();
    let mut longest_wal = 0;
    let report = cleanup::run(&store, &policy, 50_000, |_, _| {
        longest_wal = longest_wal.max(store.wal_file_len().expect("a local file"));
    })
    .await
    .unwrap();
    drop(checkpoints);
    stop.store(true, std::sync::atomic::Ordering::Release);
    let written = writer.await.unwrap();

    assert_eq!(report.table_total(AT), 30_000);
    assert_eq!(report.table_total(RT), 30_000);
    assert_eq!(seed::count(&store, AT, "1").await, 500);
    assert_eq!(seed::count(&store, RT, "1").await, 0);
    assert!(written > 0);
    assert_eq!(
        seed::count(&store, "maintenance_runs", "task = 'serve'").await,
        written,
        "every commit of the other writer is in the database"
    );
    // Hundreds of MiB went through the WAL; it was copied back and started over long before
    // its file reached the size at which a commit would have to cut it.
    assert!(
        longest_wal < JOURNAL_SIZE_LIMIT,
        "the WAL file grew to {longest_wal} bytes"
    );
}
