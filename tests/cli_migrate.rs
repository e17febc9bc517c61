//! `mcp-oauth migrate` on real database files: what it creates, what a dry run leaves alone,
//! rollback round trips, and refusing a migration edited after it ran.

#[path = "common/cli.rs"]
mod cli;

use cli::Db;
use mcp_oauth::storage::migrations::MIGRATIONS;

/// `name` of every schema object of `kind`, sorted.
async fn objects(db: &Db, kind: &str) -> Vec<String> {
    let store = db.store().await;
    let conn = store.connection().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            [kind],
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.push(row.get::<String>(0).unwrap());
    }
    out
}

/// Every schema object's SQL, for comparing two schemas.
async fn schema(db: &Db) -> Vec<(String, Option<String>)> {
    let store = db.store().await;
    let conn = store.connection().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT name, sql FROM sqlite_master WHERE name <> 'schema_migrations' ORDER BY type, name",
            (),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.push((row.get(0).unwrap(), row.get(1).unwrap()));
    }
    out
}

const TABLES: &[&str] = &[
    "auth_events",
    "entities",
    "login_sessions",
    "maintenance_runs",
    "memories",
    "memories_fts",
    "oauth_access_tokens",
    "oauth_authorization_codes",
    "oauth_clients",
    "oauth_refresh_tokens",
    "observations",
    "relations",
    "schema_migrations",
    "users",
];

const INDEXES: &[&str] = &[
    "idx_auth_events_created_at",
    "idx_login_sessions_expires_at",
    "idx_login_sessions_user_id",
    "idx_memories_user_id",
    "idx_oauth_access_client_id",
    "idx_oauth_access_created_at",
    "idx_oauth_access_expires_at",
    "idx_oauth_access_grant_id",
    "idx_oauth_access_revoked_at",
    "idx_oauth_access_token_hash",
    "idx_oauth_access_user_id",
    "idx_oauth_clients_created_at",
    "idx_oauth_clients_user_id",
    "idx_oauth_codes_client_id",
    "idx_oauth_codes_expires_at",
    "idx_oauth_codes_grant_id",
    "idx_oauth_codes_user_id",
    "idx_oauth_refresh_client_id",
    "idx_oauth_refresh_expires_at",
    "idx_oauth_refresh_grant_id",
    "idx_oauth_refresh_revoked_at",
    "idx_oauth_refresh_token_hash",
    "idx_oauth_refresh_user_id",
    "idx_relations_to",
];

#[tokio::test]
async fn migrate_on_an_empty_file_creates_every_table_and_index() {
    let db = Db::new();
    db.cmd()
        .arg("migrate")
        .stdout("applied 0001_oauth")
        .stdout("applied 0004_operations")
        .run();
    let tables = objects(&db, "table").await;
    for t in TABLES {
        assert!(tables.contains(&t.to_string()), "no table {t} in {tables:?}");
    }
    let indexes = objects(&db, "index").await;
    for i in INDEXES {
        assert!(indexes.contains(&i.to_string()), "no index {i} in {indexes:?}");
    }
    db.cmd()
        .arg("migrate")
        .stdout("up to date; nothing to apply")
        .run();
}

#[tokio::test]
async fn every_column_a_token_lookup_or_cleanup_uses_leads_an_index() {
    let db = Db::migrated();
    let store = db.store().await;
    let conn = store.connection().await.unwrap();
    for (table, column) in [
        ("oauth_authorization_codes", "client_id"),
        ("oauth_authorization_codes", "user_id"),
        ("oauth_authorization_codes", "expires_at"),
        ("oauth_access_tokens", "client_id"),
        ("oauth_access_tokens", "user_id"),
        ("oauth_access_tokens", "expires_at"),
        ("oauth_refresh_tokens", "client_id"),
        ("oauth_refresh_tokens", "user_id"),
        ("oauth_refresh_tokens", "expires_at"),
    ] {
        let mut rows = conn
            .query(
                "SELECT count(*) FROM pragma_index_list(?1) AS l, pragma_index_info(l.name) AS i \
                 WHERE i.seqno = 0 AND i.name = ?2",
                [table, column],
            )
            .await
            .unwrap();
        let n: i64 = rows.next().await.unwrap().unwrap().get(0).unwrap();
        assert!(n >= 1, "{table}.{column} has no index");
    }
    // The digest alone is unique: a lookup by token is one key search, and no two tokens
    // share a digest. Codes are keyed by it (WITHOUT ROWID); tokens have a unique index on it
    // (0006: rowid tables, so that new tokens are written at the end of each b-tree).
    for (table, key) in [
        ("oauth_authorization_codes", "code_hash"),
        ("oauth_access_tokens", "token_hash"),
        ("oauth_refresh_tokens", "token_hash"),
    ] {
        let mut rows = conn
            .query(
                "SELECT count(*) FROM pragma_index_list(?1) AS l, pragma_index_info(l.name) AS i \
                 WHERE l.\"unique\" = 1 AND i.seqno = 0 AND i.name = ?2 \
                 AND (SELECT count(*) FROM pragma_index_info(l.name)) = 1",
                [table, key],
            )
            .await
            .unwrap();
        let n: i64 = rows.next().await.unwrap().unwrap().get(0).unwrap();
        assert_eq!(n, 1, "{table}.{key} has no unique index of its own");
    }
}

#[test]
fn dry_run_on_a_missing_file_prints_the_sql_and_creates_nothing() {
    let db = Db::new();
    db.cmd()
        .args(["migrate", "--dry-run"])
        .stdout("CREATE TABLE oauth_clients")
        .stdout("nothing was changed")
        .run();
    assert!(!db.path().exists());
}

#[test]
fn dry_run_leaves_a_partly_migrated_file_byte_identical() {
    let db = Db::migrated();
    db.cmd()
        .args(["migrate", "rollback", "--to", "2", "--yes"])
        .stdout("reverted 0004_operations")
        .run();
    let before = db.bytes_on_disk();
    db.cmd()
        .args(["migrate", "--dry-run"])
        .stdout("-- 0003_memory (pending)")
        .stdout("-- 0004_operations (pending)")
        .stdout_lacks("0002_accounts (pending)")
        .run();
    assert!(before == db.bytes_on_disk(), "the dry run changed the file");
}

#[tokio::test]
async fn rollback_then_migrate_round_trips_the_schema() {
    let db = Db::migrated();
    let original = schema(&db).await;
    db.cmd()
        .args(["migrate", "rollback", "--yes"])
        .stdout("reverted 0001_oauth")
        .run();
    assert!(objects(&db, "table")
        .await
        .iter()
        .all(|t| t == "schema_migrations"));
    db.cmd()
        .arg("migrate")
        .stdout(&format!("{} migration(s) applied", MIGRATIONS.len()))
        .run();
    assert_eq!(schema(&db).await, original);
}

/// Every column of every token row, in a stable order.
async fn token_rows(db: &Db) -> Vec<String> {
    let store = db.store().await;
    let conn = store.connection().await.unwrap();
    let mut out = Vec::new();
    for sql in [
        "SELECT hex(token_hash), grant_id, client_id, user_id, scope, resource, \
         hex(refresh_token_hash), created_at, expires_at, revoked_at \
         FROM oauth_access_tokens ORDER BY token_hash",
        "SELECT hex(token_hash), grant_id, client_id, user_id, scope, resource, created_at, \
         expires_at, rotated_at, hex(replaced_by), revoked_at FROM oauth_refresh_tokens ORDER BY token_hash",
    ] {
        let mut rows = conn.query(sql, ()).await.unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            let cells: Vec<String> = (0..row.column_count())
                .map(|i| format!("{:?}", row.get_value(i).unwrap()))
                .collect();
            out.push(cells.join("|"));
        }
    }
    out
}

#[tokio::test]
async fn tokens_survive_the_move_to_rowid_tables_and_back() {
    let db = Db::migrated();
    db.cmd()
        .args(["migrate", "rollback", "--to", "5", "--yes"])
        .stdout("reverted 0006_token_tables_rowid")
        .run();
    {
        let store = db.store().await;
        let conn = store.connection().await.unwrap();
        conn.execute_batch(
            "INSERT INTO oauth_clients (client_id, client_name, redirect_uris, scopes, \
               token_endpoint_auth_method, created_at) \
               VALUES ('mcp_oauth_c', 'c', '[]', 'memories:read', 'none', 1); \
             INSERT INTO oauth_refresh_tokens VALUES (x'02', 'g1', 'mcp_oauth_c', 'u1', 'memories:read', \
               'https://r/api/mcp', 10, 20, 15, x'03', NULL); \
             INSERT INTO oauth_refresh_tokens VALUES (x'03', 'g1', 'mcp_oauth_c', 'u1', 'memories:read', \
               'https://r/api/mcp', 15, 25, NULL, NULL, NULL); \
             INSERT INTO oauth_access_tokens VALUES (x'01', 'g1', 'mcp_oauth_c', 'u1', 'memories:read', \
               'https://r/api/mcp', x'03', 15, 16, 17);",
        )
        .await
        .unwrap();
    }
    let before = token_rows(&db).await;
    assert_eq!(before.len(), 3);
    db.cmd()
        .arg("migrate")
        .stdout("applied 0006_token_tables_rowid")
        .run();
    assert_eq!(token_rows(&db).await, before);
    db.cmd()
        .args(["migrate", "rollback", "--to", "5", "--yes"])
        .stdout("reverted 0006_token_tables_rowid")
        .run();
    assert_eq!(token_rows(&db).await, before);
}

#[test]
fn rollback_without_a_terminal_needs_yes() {
    let db = Db::migrated();
    db.cmd()
        .args(["migrate", "rollback", "--to", "3"])
        .status(2)
        .stderr("re-run with --yes")
        .run();
}

#[tokio::test]
async fn an_applied_migration_whose_checksum_changed_is_refused() {
    let db = Db::migrated();
    {
        let store = db.store().await;
        let conn = store.connection().await.unwrap();
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1",
            (),
        )
        .await
        .unwrap();
    }
    db.cmd()
        .arg("migrate")
        .status(4)
        .stderr("migration 1 (oauth) was changed after it was applied")
        .run();
    db.cmd()
        .args(["client", "list"])
        .status(4)
        .stderr("was changed after it was applied")
        .run();
}

#[test]
fn an_unmigrated_database_names_the_fix() {
    let db = Db::new();
    // An existing but empty file (`migrate status` opens it without migrating).
    db.cmd().args(["migrate", "status"]).stdout("pending").run();
    for args in [
        &["client", "list"][..],
        &["user", "list"],
        &["token", "cleanup"],
        &["stats"],
    ] {
        db.cmd()
            .args(args)
            .status(4)
            .stderr("run `mcp-oauth migrate` first")
            .run();
    }
}

#[test]
fn a_command_on_a_missing_database_file_names_the_fix_and_creates_nothing() {
    let db = Db::new();
    db.cmd()
        .args(["client", "list"])
        .status(4)
        .stderr("(all of them: the file does not exist yet): run `mcp-oauth migrate` first")
        .run();
    assert!(!db.path().exists());
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_database_and_its_wal_and_shm_are_not_readable_by_other_accounts() {
    let db = Db::new();
    db.cmd().arg("migrate").stdout("applied 0001_oauth").run();
    assert_eq!(mode(db.path()), 0o600);
    // While a connection is open the WAL and shared-memory files exist beside it.
    let store = db.store().await;
    let conn = store.connection().await.unwrap();
    conn.execute(
        "INSERT INTO auth_events (kind, client_id, created_at) VALUES ('login_failed', NULL, 0)",
        (),
    )
    .await
    .unwrap();
    for suffix in ["-wal", "-shm"] {
        let mut name = db.path().as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        assert!(file.exists(), "{} exists while open", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[cfg(unix)]
#[test]
fn a_world_readable_database_is_warned_about_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let db = Db::migrated();
    std::fs::set_permissions(db.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    db.cmd()
        .arg("migrate")
        .stderr("is readable by other accounts (mode 644)")
        .stderr("chmod 600")
        .run();
    // Left as the operator set it: a warning, not a change.
    assert_eq!(mode(db.path()), 0o644);
}
