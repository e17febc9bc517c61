//! `mcp-oauth stats` counts what is in the database, for people and for monitoring.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/seed.rs"]
mod seed;

use cli::Db;
use mcp_oauth::storage::events::{record_on, AuthEvent};
use seed::{Token, DAY, HOUR};

#[tokio::test]
async fn stats_counts_clients_tokens_codes_events_and_the_last_cleanup() {
    let db = Db::migrated();
    let store = db.store().await;
    let now = seed::now();
    seed::client(&store, "mcp_oauth_c", "u").await;
    let c = "mcp_oauth_c";
    Token::access("mcp_at_live", "g1", c, "u").insert(&store).await;
    Token::access("mcp_at_old", "g0", c, "u")
        .created(now - 5 * HOUR)
        .expires(now - 4 * HOUR)
        .insert(&store)
        .await;
    Token::access("mcp_at_revoked", "g2", c, "u")
        .revoked(now - 60)
        .insert(&store)
        .await;
    Token::refresh("mcp_rt_live", "g1", c, "u").insert(&store).await;
    Token::refresh("mcp_rt_2", "g2", c, "u")
        .created(now - 2 * DAY)
        .insert(&store)
        .await;
    seed::code(&store, "pending", c, "u", now + 300, None).await;
    seed::code(&store, "used", c, "u", now + 300, Some(now)).await;
    let conn = store.connection().await.unwrap();
    record_on(&conn, AuthEvent::ClientAuthFailed, Some(c), now - 60)
        .await
        .unwrap();
    record_on(&conn, AuthEvent::LoginFailed, None, now - 3 * HOUR)
        .await
        .unwrap();
    record_on(&conn, AuthEvent::AuthorizationDenied, Some(c), now - 2 * DAY)
        .await
        .unwrap();

    let v = db.cmd().args(["stats", "--json"]).run().json();
    assert_eq!(v["clients"]["total"], 1);
    assert_eq!(v["clients"]["confidential"], 1);
    assert_eq!(
        v["access_tokens"],
        serde_json::json!({"active": 1, "expired": 1, "revoked": 1})
    );
    assert_eq!(
        v["refresh_tokens"],
        serde_json::json!({"active": 2, "expired": 0, "revoked": 0})
    );
    assert_eq!(
        v["authorization_codes"],
        serde_json::json!({"pending": 1, "redeemed": 1, "expired": 0})
    );
    // Issued: 2 access tokens in the last hour, 3 in the last day (the refresh one from 2 days ago is out).
    assert_eq!(
        v["tokens_issued"],
        serde_json::json!({"last_hour": 2, "last_day": 3})
    );
    assert_eq!(
        v["failed_authorizations"],
        serde_json::json!({"last_hour": 1, "last_day": 2})
    );
    assert!(v["last_cleanup"].is_null());
    let tables = v["tables"].as_array().unwrap();
    let at = tables
        .iter()
        .find(|t| t["table"] == "oauth_access_tokens")
        .unwrap();
    assert_eq!(at["rows"], 3);
    assert!(at["bytes"].as_i64().unwrap_or(0) > 0 || v["size_note"].is_string());
    assert!(v["database_bytes"].as_i64().unwrap() > 0);

    db.cmd().args(["token", "cleanup"]).run();
    let v = db.cmd().args(["stats", "--json"]).run().json();
    assert_eq!(v["last_cleanup"]["summary"]["oauth_access_tokens"]["expired"], 1);

    db.cmd()
        .arg("stats")
        .stdout("access tokens")
        .stdout("1 active, 0 expired, 1 revoked")
        .stdout("failed authorizations")
        .stdout("1 last hour, 2 last day")
        .stdout("oauth_refresh_tokens")
        .stdout("(1 rows deleted)")
        .run();
}
