//! Refresh-token theft inside and after `--refresh-grace` (RFC 9700 §4.14.2).
//!
//! A rotated refresh token presented again inside the grace gets the very pair its first use
//! got, so a thief and a victim holding the same token end up on one chain, and whichever of
//! them falls behind is caught as reuse once the grace is over: the whole family is revoked.
//! Several processes (or server instances) refreshing with one token at once converge the same
//! way and all keep working.
//!
//! "The grace passes" is done by moving the recorded rotation times back by an hour, so the
//! tests never race the clock.

mod common;
#[path = "common/sqld.rs"]
mod sqld;

use std::sync::Arc;

use common::{json, TestServer, REDIRECT};
use mcp_oauth::client::{self, ClientAuth, TokenResponse};
use mcp_oauth::http::{AppState, Server, ServerConfig};
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::secret::{self, Kind};
use mcp_oauth::storage::clients::{self, AuthMethod, NewClient, Registration};
use mcp_oauth::storage::{DatabaseTarget, Store};
use sqld::Sqld;
use tokio::sync::Barrier;

/// One refresh through `base`'s token endpoint from the process owning `http`.
async fn refresh(http: &reqwest::Client, base: &str, c: &ClientAuth, rt: &str) -> reqwest::Response {
    client::refresh(http, base, c, rt).await.expect("token request")
}

/// A refresh that must succeed.
async fn refreshed(http: &reqwest::Client, base: &str, c: &ClientAuth, rt: &str) -> TokenResponse {
    let r = refresh(http, base, c, rt).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.expect("token json")
}

/// A refresh that must fail as RFC 6749 §5.2 `invalid_grant`.
async fn refused(http: &reqwest::Client, base: &str, c: &ClientAuth, rt: &str) {
    let r = refresh(http, base, c, rt).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"], "invalid_grant");
}

fn rt(t: &TokenResponse) -> &str {
    t.refresh_token.as_deref().expect("a refresh token")
}

/// Every rotation recorded so far happened an hour ago: well past the 60 s grace.
async fn grace_passes(store: &Store) {
    let conn = store.connection().await.expect("conn");
    conn.execute(
        "UPDATE oauth_refresh_tokens SET rotated_at = rotated_at - 3600 WHERE rotated_at IS NOT NULL",
        (),
    )
    .await
    .expect("backdate rotations");
}

async fn count(store: &Store, sql: &str) -> i64 {
    let conn = store.connection().await.expect("conn");
    let mut rows = conn.query(sql, ()).await.expect("query");
    rows.next()
        .await
        .expect("row")
        .expect("one row")
        .get(0)
        .expect("integer")
}

/// The token tables in a few numbers.
#[derive(Debug, PartialEq, Eq)]
struct Rows {
    refresh: i64,
    refresh_rotated: i64,
    refresh_revoked: i64,
    access: i64,
    access_revoked: i64,
}

async fn rows(store: &Store) -> Rows {
    Rows {
        refresh: count(store, "SELECT count(*) FROM oauth_refresh_tokens").await,
        refresh_rotated: count(
            store,
            "SELECT count(*) FROM oauth_refresh_tokens WHERE rotated_at IS NOT NULL",
        )
        .await,
        refresh_revoked: count(
            store,
            "SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NOT NULL",
        )
        .await,
        access: count(store, "SELECT count(*) FROM oauth_access_tokens").await,
        access_revoked: count(
            store,
            "SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NOT NULL",
        )
        .await,
    }
}

/// Whether a row of `table` is stored under the SHA-256 of `token` (and nothing else of it).
async fn stored_as_digest(store: &Store, table: &str, token: &str) -> bool {
    let conn = store.connection().await.expect("conn");
    let mut rows = conn
        .query(
            &format!("SELECT count(*) FROM {table} WHERE token_hash = ?1"),
            [secret::digest(token)],
        )
        .await
        .expect("query");
    rows.next().await.unwrap().unwrap().get::<i64>(0).unwrap() == 1
}

/// A server instance on `target`, behind `issuer` (two instances behind one load balancer
/// share it) or its own address. Returns it and its base URL.
async fn instance(target: &DatabaseTarget, issuer: Option<&str>) -> (Server, String) {
    let store = Store::open(target).await.expect("open database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut config = ServerConfig::for_listener(addr);
    if let Some(issuer) = issuer {
        config.issuer = issuer.to_string();
    }
    let server = Server::start(AppState::with_clerk(config, store, None), listener).expect("start");
    (server, format!("http://{addr}"))
}

#[tokio::test]
async fn thief_replaying_within_the_grace_after_the_victim_gets_the_same_pair_and_is_caught_at_the_next_divergence(
) {
    let s = TestServer::start().await; // 60 s grace
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let (victim, thief) = (client::http_client(), client::http_client());

    let t1 = refreshed(&victim, &s.issuer, &c, rt(&t0)).await;
    assert!(rt(&t1).starts_with("mcp_rt_") && t1.access_token.starts_with("mcp_at_"));
    assert_eq!(rt(&t1).len(), secret::generate(Kind::RefreshToken).len());
    let stolen = refreshed(&thief, &s.issuer, &c, rt(&t0)).await;
    // Not a chain of the thief's own: the victim's pair, with what is left of its lifetime.
    assert_eq!(rt(&stolen), rt(&t1));
    assert_eq!(stolen.access_token, t1.access_token);
    assert_eq!(stolen.scope, t1.scope);
    assert_eq!(stolen.token_type, "Bearer");
    assert!(stolen.expires_in > 0 && stolen.expires_in <= t1.expires_in);
    // The replay stored nothing: one rotation, its successor pair, stored as digests.
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 2,
            refresh_rotated: 1,
            refresh_revoked: 0,
            access: 2,
            access_revoked: 0
        }
    );
    assert!(stored_as_digest(&s.store, "oauth_refresh_tokens", rt(&t1)).await);
    assert!(stored_as_digest(&s.store, "oauth_access_tokens", &t1.access_token).await);
    assert!(s.bearer_ok(&t1.access_token).await);

    // The victim moves on; the thief, holding the victim's old successor, comes back later.
    let t2 = refreshed(&victim, &s.issuer, &c, rt(&t1)).await;
    grace_passes(&s.store).await;
    refused(&thief, &s.issuer, &c, rt(&t1)).await;
    // Reuse: the whole family is revoked, the victim's newest tokens with it.
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 3,
            refresh_rotated: 2,
            refresh_revoked: 3,
            access: 3,
            access_revoked: 3
        }
    );
    assert!(!s.bearer_ok(&t2.access_token).await);
    refused(&victim, &s.issuer, &c, rt(&t2)).await;
}

#[tokio::test]
async fn victim_replaying_within_the_grace_after_the_thief_gets_the_same_pair_and_the_thief_is_caught_at_the_next_divergence(
) {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let (victim, thief) = (client::http_client(), client::http_client());

    let stolen = refreshed(&thief, &s.issuer, &c, rt(&t0)).await;
    let t1 = refreshed(&victim, &s.issuer, &c, rt(&t0)).await;
    assert_eq!(rt(&t1), rt(&stolen));
    assert_eq!(t1.access_token, stolen.access_token);
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 2,
            refresh_rotated: 1,
            refresh_revoked: 0,
            access: 2,
            access_revoked: 0
        }
    );

    // The thief runs ahead; the victim's next refresh, an access-token lifetime later, is
    // past the grace and presents the successor the thief rotated away.
    let ahead = refreshed(&thief, &s.issuer, &c, rt(&stolen)).await;
    assert!(s.bearer_ok(&ahead.access_token).await);
    grace_passes(&s.store).await;
    refused(&victim, &s.issuer, &c, rt(&t1)).await;
    assert_eq!(
        count(
            &s.store,
            "SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &s.store,
            "SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NULL"
        )
        .await,
        0
    );
    assert!(!s.bearer_ok(&ahead.access_token).await);
    refused(&thief, &s.issuer, &c, rt(&ahead)).await;
}

#[tokio::test]
async fn stolen_token_replayed_after_the_grace_revokes_the_whole_family() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let (victim, thief) = (client::http_client(), client::http_client());
    let t1 = refreshed(&victim, &s.issuer, &c, rt(&t0)).await;
    grace_passes(&s.store).await;

    refused(&thief, &s.issuer, &c, rt(&t0)).await;
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 2,
            refresh_rotated: 1,
            refresh_revoked: 2,
            access: 2,
            access_revoked: 2
        }
    );
    // Revoked now, by this request: not before the rotation, not in the future.
    let now = mcp_oauth::clock::now();
    assert_eq!(
        count(
            &s.store,
            &format!(
                "SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at BETWEEN {} AND {now}",
                now - 30
            )
        )
        .await,
        2
    );
    assert!(!s.bearer_ok(&t1.access_token).await);
    refused(&victim, &s.issuer, &c, rt(&t1)).await;
}

#[tokio::test]
async fn concurrent_refreshes_from_several_processes_of_one_client_all_get_one_pair_and_keep_working() {
    const PROCESSES: usize = 8;
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    // Each "process" has its own HTTP client, so its own connections.
    let processes: Vec<reqwest::Client> = (0..PROCESSES).map(|_| client::http_client()).collect();

    let mut current = rt(&t0).to_string();
    for round in 1..=2 {
        let barrier = Arc::new(Barrier::new(PROCESSES));
        let tasks: Vec<_> = processes
            .iter()
            .map(|http| {
                let (http, base, c, token, barrier) = (
                    http.clone(),
                    s.issuer.clone(),
                    c.clone(),
                    current.clone(),
                    barrier.clone(),
                );
                tokio::spawn(async move {
                    barrier.wait().await;
                    refreshed(&http, &base, &c, &token).await
                })
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.expect("task"));
        }
        for t in &got {
            assert_eq!(
                rt(t),
                rt(&got[0]),
                "round {round}: one refresh token for everyone"
            );
            assert_eq!(
                t.access_token, got[0].access_token,
                "round {round}: one access token"
            );
            assert!(s.bearer_ok(&t.access_token).await);
        }
        assert_ne!(rt(&got[0]), current);
        current = rt(&got[0]).to_string();
        // One rotation per round, whoever won it; nothing revoked.
        let n = round as i64 + 1;
        assert_eq!(
            rows(&s.store).await,
            Rows {
                refresh: n,
                refresh_rotated: n - 1,
                refresh_revoked: 0,
                access: n,
                access_revoked: 0
            }
        );
    }
    // And the chain goes on from any of them.
    let next = refreshed(&processes[3], &s.issuer, &c, &current).await;
    assert!(s.bearer_ok(&next.access_token).await);
}

/// Instance A (at `base_a`, the issuer) and a second instance B on the same database take
/// many concurrent refreshes of `rt0` between them: all get one pair, one rotation is stored,
/// and either instance continues the chain. `store` reads the rows.
async fn two_instances_converge(
    a: &Server,
    base_a: &str,
    store: &Store,
    target: &DatabaseTarget,
    c: &ClientAuth,
    rt0: &str,
) {
    let (_b, base_b) = instance(target, Some(base_a)).await;
    let bases = [base_a.to_string(), base_b];
    const REQUESTS: usize = 8;
    let barrier = Arc::new(Barrier::new(REQUESTS));
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let (base, c, token, barrier) =
                (bases[i % 2].clone(), c.clone(), rt0.to_string(), barrier.clone());
            tokio::spawn(async move {
                let http = client::http_client();
                barrier.wait().await;
                refreshed(&http, &base, &c, &token).await
            })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.expect("task"));
    }
    for t in &got {
        assert_eq!(rt(t), rt(&got[0]));
        assert_eq!(t.access_token, got[0].access_token);
    }
    assert!(a.state.authenticate_bearer(&got[0].access_token).await.is_ok());
    let before = rows(store).await;
    assert_eq!(
        (
            before.refresh_rotated,
            before.refresh_revoked,
            before.access_revoked
        ),
        (1, 0, 0),
        "{before:?}"
    );
    // Either instance continues the one chain.
    let mut token = rt(&got[0]).to_string();
    for base in &bases {
        let t = refreshed(&client::http_client(), base, c, &token).await;
        assert!(a.state.authenticate_bearer(&t.access_token).await.is_ok());
        token = rt(&t).to_string();
    }
    let after = rows(store).await;
    assert_eq!(
        after,
        Rows {
            refresh: before.refresh + 2,
            refresh_rotated: 3,
            refresh_revoked: 0,
            access: before.access + 2,
            access_revoked: 0
        }
    );
}

#[tokio::test]
async fn concurrent_replays_on_two_instances_sharing_a_database_file_converge() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let target = DatabaseTarget::Local(s.database_path());
    two_instances_converge(&s.server, &s.issuer, &s.store, &target, &c, rt(&t0)).await;
}

#[tokio::test]
async fn replay_asking_another_scope_gets_the_same_refresh_token_and_an_access_token_for_that_scope() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (url, pkce) = s.authorize_request(&c, "s");
    let code = b
        .authorize(&format!("{url}&scope=memories%3Aread+memories%3Awrite"))
        .await
        .unwrap();
    let t0: TokenResponse =
        client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let with_scope = |scope: &'static str| {
        let (http, url, c, token) = (
            s.http.clone(),
            s.url("/api/oauth/token"),
            c.clone(),
            rt(&t0).to_string(),
        );
        async move {
            client::token_request(
                &http,
                &url,
                &c,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("scope", scope),
                ],
            )
            .await
            .unwrap()
        }
    };
    let read: TokenResponse = with_scope("memories:read").await.json().await.unwrap();
    assert_eq!(read.scope.as_deref(), Some("memories:read"));
    // The same scope again: the very same pair.
    let read_again: TokenResponse = with_scope("memories:read").await.json().await.unwrap();
    assert_eq!(
        (rt(&read_again), &read_again.access_token),
        (rt(&read), &read.access_token)
    );
    // No scope (the family's): the same refresh token, an access token of its own for that scope.
    let full = refreshed(&s.http, &s.issuer, &c, rt(&t0)).await;
    assert_eq!(rt(&full), rt(&read));
    assert_ne!(full.access_token, read.access_token);
    assert_eq!(full.scope.as_deref(), Some("memories:read memories:write"));
    assert_eq!(
        refreshed(&s.http, &s.issuer, &c, rt(&t0)).await.access_token,
        full.access_token
    );
    // Beyond the family's scope: refused as on a first use, nothing stored.
    let wide = with_scope("entities:write").await;
    assert_eq!(wide.status(), 400);
    assert_eq!(json(wide).await["error"], "invalid_scope");
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 2,
            refresh_rotated: 1,
            refresh_revoked: 0,
            access: 3,
            access_revoked: 0
        }
    );
    // Both access tokens hang off the one successor: revoking it takes both.
    assert_eq!(
        count(
            &s.store,
            &format!(
                "SELECT count(*) FROM oauth_access_tokens WHERE hex(refresh_token_hash) = '{}'",
                mcp_oauth::storage::migrations::hex(&secret::digest(rt(&read))).to_uppercase()
            )
        )
        .await,
        2
    );
    assert!(s.bearer_ok(&read.access_token).await && s.bearer_ok(&full.access_token).await);
}

#[tokio::test]
async fn replay_of_a_token_rotated_without_a_recorded_nonce_is_refused_and_revokes_nothing() {
    // A token rotated by a build that predates successor nonces: its successor was drawn at
    // random and cannot be given out again.
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let t1 = refreshed(&s.http, &s.issuer, &c, rt(&t0)).await;
    let conn = s.store.connection().await.unwrap();
    conn.execute("UPDATE oauth_refresh_tokens SET successor_nonce = NULL", ())
        .await
        .unwrap();
    refused(&s.http, &s.issuer, &c, rt(&t0)).await;
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 2,
            refresh_rotated: 1,
            refresh_revoked: 0,
            access: 2,
            access_revoked: 0
        }
    );
    assert!(s.bearer_ok(&t1.access_token).await);
    refreshed(&s.http, &s.issuer, &c, rt(&t1)).await;
}

#[tokio::test]
async fn replay_whose_access_token_was_revoked_alone_is_refused_and_keeps_the_refresh_token() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let t1 = refreshed(&s.http, &s.issuer, &c, rt(&t0)).await;
    let r = client::revoke(&s.http, &s.issuer, &c, &t1.access_token)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The revoked access token cannot be handed out again.
    refused(&s.http, &s.issuer, &c, rt(&t0)).await;
    assert_eq!(
        rows(&s.store).await,
        Rows {
            refresh: 2,
            refresh_rotated: 1,
            refresh_revoked: 0,
            access: 2,
            access_revoked: 1
        }
    );
    let t2 = refreshed(&s.http, &s.issuer, &c, rt(&t1)).await;
    assert!(s.bearer_ok(&t2.access_token).await);
}

// --- The same on a shared remote database (a real sqld), as several instances run it. ---

#[tokio::test]
async fn concurrent_replays_on_two_instances_sharing_a_remote_sqld_database_converge() {
    let Some(sqld) = Sqld::start() else { return };
    let store = sqld.migrated_store().await;
    let target = sqld.target();
    let (a, base_a) = instance(&target, None).await;
    // A client and the refresh token a code exchange would have left (the exchange is not
    // what this test is about).
    let client_id = secret::generate(Kind::ClientId);
    clients::insert(
        &store,
        &NewClient {
            client_id: client_id.clone(),
            client_name: "Remote Test Client".into(),
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
    .expect("insert client");
    let rt0 = secret::generate(Kind::RefreshToken);
    let now = mcp_oauth::clock::now();
    store
        .connection()
        .await
        .unwrap()
        .execute(
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, \
             created_at, expires_at) VALUES (?1, 'grant_remote', ?2, 'user_remote', 'memories:read', ?3, ?4, ?5)",
            libsql::params![secret::digest(&rt0), client_id.as_str(), format!("{base_a}/api/mcp"), now, now + 3600],
        )
        .await
        .unwrap();
    let c = ClientAuth::Public(client_id);
    two_instances_converge(&a, &base_a, &store, &target, &c, &rt0).await;
}
