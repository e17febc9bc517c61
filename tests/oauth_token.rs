//! The token and revocation endpoints: code exchange, refresh rotation, client authentication,
//! revocation and abuse controls. Each test names the attack it stops.

mod common;

use std::time::Duration;

use common::{json, TestServer, REDIRECT};
use mcp_oauth::client::{self, ClientAuth, TokenResponse};
use mcp_oauth::http::config::Rate;

fn token_url(s: &TestServer) -> String {
    s.url("/api/oauth/token")
}

#[tokio::test]
async fn code_exchange_returns_bound_tokens_with_no_store() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body = json(resp).await;
    assert!(body["access_token"].as_str().unwrap().starts_with("mcp_at_"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("mcp_rt_"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(
        body["scope"],
        "memories:read memories:write entities:read entities:write"
    );
    let principal = s
        .server
        .state
        .authenticate_bearer(body["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(principal.user_id, "user_alice");
    assert_eq!(principal.client_id.as_deref(), Some(c.client_id()));
    let resource = s.resource();
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM oauth_access_tokens WHERE user_id = 'user_alice' AND client_id = '{}' AND resource = '{resource}' AND refresh_token_hash IS NOT NULL",
            c.client_id()
        ))
        .await,
        1
    );
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_authorization_codes WHERE used_at IS NOT NULL")
            .await,
        1
    );
    // Nothing stored in plaintext.
    let tok = body["access_token"].as_str().unwrap();
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM oauth_access_tokens WHERE CAST(token_hash AS TEXT) = '{tok}'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn code_replay_fails_and_revokes_the_first_tokens() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let first: TokenResponse =
        client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(s.bearer_ok(&first.access_token).await);
    let replay = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    assert_eq!(json(replay).await["error"], "invalid_grant");
    assert!(!s.bearer_ok(&first.access_token).await);
    let refreshed = client::refresh(&s.http, &s.issuer, &c, first.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 400);
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn code_stolen_by_another_client_is_refused_and_not_burned() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let thief = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let stolen = client::exchange_code(&s.http, &s.issuer, &thief, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(stolen.status(), 400);
    assert_eq!(json(stolen).await["error"], "invalid_grant");
    assert_eq!(s.count("SELECT count(*) FROM oauth_access_tokens").await, 0);
    let legit = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(legit.status(), 200);
}

#[tokio::test]
async fn code_with_another_redirect_uri_is_refused() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT, "https://app.example/cb"]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    for other in ["https://app.example/cb", "http://127.0.0.1:1234/callback"] {
        let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, other, Some(&pkce.verifier))
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert_eq!(json(resp).await["error"], "invalid_grant");
    }
    let missing = client::token_request(
        &s.http,
        &token_url(&s),
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await
    .unwrap();
    assert_eq!(json(missing).await["error"], "invalid_request");
    assert_eq!(
        client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn pkce_missing_wrong_or_for_another_code_is_refused() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let (_code2, pkce2) = s.code_for(&mut b, &c).await;
    let missing = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, None)
        .await
        .unwrap();
    assert_eq!(json(missing).await["error"], "invalid_request");
    let wrong = "x".repeat(43);
    let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&wrong))
        .await
        .unwrap();
    assert_eq!(json(resp).await["error"], "invalid_grant");
    let other = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce2.verifier))
        .await
        .unwrap();
    assert_eq!(json(other).await["error"], "invalid_grant");
    // `plain`: the challenge itself as verifier.
    let plain = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.challenge))
        .await
        .unwrap();
    assert_eq!(json(plain).await["error"], "invalid_grant");
    let short = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some("short"))
        .await
        .unwrap();
    assert_eq!(json(short).await["error"], "invalid_request");
    assert_eq!(s.count("SELECT count(*) FROM oauth_access_tokens").await, 0);
    assert_eq!(
        client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
            .await
            .unwrap()
            .status(),
        200
    );
}

/// A code row stored without a challenge (only an older build could have issued one).
async fn legacy_code_without_challenge(s: &TestServer, code: &str, client_id: &str, user_id: &str) {
    let conn = s.store.connection().await.unwrap();
    let now = mcp_oauth::clock::now();
    conn.execute(
        "INSERT INTO oauth_authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, scope, resource, code_challenge, created_at, expires_at, used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'memories:read', ?6, NULL, ?7, ?8, NULL)",
        libsql::params![
            mcp_oauth::secret::digest(code),
            format!("grant-{code}"),
            client_id,
            user_id,
            REDIRECT,
            s.resource(),
            now,
            now + 600
        ],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn confidential_client_code_without_pkce_is_refused_with_or_without_a_verifier() {
    let s = TestServer::start().await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let user = s.add_user("alice").await;
    legacy_code_without_challenge(&s, "auth_legacy1", c.client_id(), &user).await;
    legacy_code_without_challenge(&s, "auth_legacy2", c.client_id(), &user).await;
    // The client secret alone no longer redeems a code.
    let resp = client::exchange_code(&s.http, &s.issuer, &c, "auth_legacy1", REDIRECT, None)
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_grant");
    // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade.
    let resp = client::exchange_code(
        &s.http,
        &s.issuer,
        &c,
        "auth_legacy2",
        REDIRECT,
        Some(&"a".repeat(43)),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_grant");
    assert_eq!(s.count("SELECT count(*) FROM oauth_access_tokens").await, 0);
    assert_eq!(s.count("SELECT count(*) FROM oauth_refresh_tokens").await, 0);
}

#[tokio::test]
async fn confidential_client_must_send_the_verifier_of_its_challenge() {
    let s = TestServer::start().await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, None)
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_request");
    assert_eq!(s.count("SELECT count(*) FROM oauth_access_tokens").await, 0);
    let (code, _) = s.code_for(&mut b, &c).await;
    let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_grant");
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn fifty_concurrent_redemptions_of_one_code_yield_exactly_one_token() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (http, issuer, c, code, v) = (
            s.http.clone(),
            s.issuer.clone(),
            c.clone(),
            code.clone(),
            pkce.verifier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client::exchange_code(&http, &issuer, &c, &code, REDIRECT, Some(&v))
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 49, "{statuses:?}");
    // The replays revoked what the winner got.
    assert_eq!(s.count("SELECT count(*) FROM oauth_access_tokens").await, 1);
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_access_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn expired_code_is_refused() {
    let s = TestServer::start_with(|c| c.code_ttl = Duration::from_secs(1)).await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (code, pkce) = s.code_for(&mut b, &c).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
        .await
        .unwrap();
    assert_eq!(json(resp).await["error"], "invalid_grant");
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    let s = TestServer::start_with(|c| c.access_ttl = Duration::from_secs(1)).await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    assert_eq!(t.expires_in, 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(!s.bearer_ok(&t.access_token).await);
    // Test 2 of the checklist: refresh after expiry works.
    let r = client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh: TokenResponse = r.json().await.unwrap();
    assert!(s.bearer_ok(&fresh.access_token).await);
}

#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let s = TestServer::start_with(|c| c.refresh_ttl = Duration::from_secs(1)).await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(json(r).await["error"], "invalid_grant");
}

#[tokio::test]
async fn token_for_another_audience_is_refused() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    let conn = s.store.connection().await.unwrap();
    conn.execute(
        "UPDATE oauth_access_tokens SET resource = 'https://other.example/api/mcp'",
        (),
    )
    .await
    .unwrap();
    assert!(!s.bearer_ok(&t.access_token).await);
    // And at the token endpoint, a resource other than the one authorized.
    let r = client::token_request(
        &s.http,
        &token_url(&s),
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh_token.as_deref().unwrap()),
            ("resource", "https://other.example/api/mcp"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(json(r).await["error"], "invalid_target");
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_works_only_within_the_grace() {
    let s = TestServer::start_with(|c| c.refresh_grace = Duration::from_secs(1)).await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let rt0 = t0.refresh_token.clone().unwrap();
    let t1: TokenResponse = client::refresh(&s.http, &s.issuer, &c, &rt0)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(t1.refresh_token.as_deref(), Some(rt0.as_str()));
    assert!(t1.refresh_token.as_deref().unwrap().starts_with("mcp_rt_"));
    // A second process refreshing with the same token at once: accepted, with the same pair.
    let again = client::refresh(&s.http, &s.issuer, &c, &rt0).await.unwrap();
    assert_eq!(again.status(), 200);
    let t1b: TokenResponse = again.json().await.unwrap();
    assert_eq!(t1b.refresh_token, t1.refresh_token);
    assert_eq!(t1b.access_token, t1.access_token);
    assert!(s.bearer_ok(&t1.access_token).await);
    // After the grace, reuse is theft: the whole family is revoked.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late = client::refresh(&s.http, &s.issuer, &c, &rt0).await.unwrap();
    assert_eq!(late.status(), 400);
    assert_eq!(json(late).await["error"], "invalid_grant");
    for at in [&t0.access_token, &t1.access_token, &t1b.access_token] {
        assert!(!s.bearer_ok(at).await);
    }
    let r = client::refresh(&s.http, &s.issuer, &c, t1.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn reuse_of_a_token_two_rotations_back_revokes_the_family_even_within_the_grace() {
    let s = TestServer::start().await; // 60 s grace
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let rt0 = t0.refresh_token.unwrap();
    let t1: TokenResponse = client::refresh(&s.http, &s.issuer, &c, &rt0)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t2: TokenResponse = client::refresh(&s.http, &s.issuer, &c, t1.refresh_token.as_deref().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stale = client::refresh(&s.http, &s.issuer, &c, &rt0).await.unwrap();
    assert_eq!(stale.status(), 400);
    assert!(!s.bearer_ok(&t2.access_token).await);
}

#[tokio::test]
async fn ten_concurrent_refreshes_with_one_token_all_get_the_same_pair_within_the_grace() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t0 = s.tokens_for(&mut b, &c).await;
    let rt0 = t0.refresh_token.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (http, issuer, c, rt) = (s.http.clone(), s.issuer.clone(), c.clone(), rt0.clone());
        tasks.push(tokio::spawn(async move {
            let r = client::refresh(&http, &issuer, &c, &rt).await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<TokenResponse>().await.unwrap()
        }));
    }
    let mut pairs = std::collections::HashSet::new();
    for t in tasks {
        let tokens = t.await.unwrap();
        assert!(s.bearer_ok(&tokens.access_token).await);
        pairs.insert((tokens.access_token, tokens.refresh_token.unwrap()));
    }
    assert_eq!(pairs.len(), 1, "every process gets the one successor pair");
    // Exactly one rotation happened, and one successor pair is stored.
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE rotated_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE rotated_at IS NULL AND revoked_at IS NULL")
            .await,
        1
    );
    assert_eq!(s.count("SELECT count(*) FROM oauth_access_tokens").await, 2);
}

#[tokio::test]
async fn refresh_by_another_client_is_refused_and_changes_nothing() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let thief = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    let r = client::refresh(&s.http, &s.issuer, &thief, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(json(r).await["error"], "invalid_grant");
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE rotated_at IS NULL AND revoked_at IS NULL")
            .await,
        1
    );
    assert_eq!(
        client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn refresh_scope_may_narrow_but_never_widen() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (url, pkce) = s.authorize_request(&c, "s");
    let code = b
        .authorize(&format!("{url}&scope=memories%3Aread+memories%3Awrite"))
        .await
        .unwrap();
    let t: TokenResponse =
        client::exchange_code(&s.http, &s.issuer, &c, &code, REDIRECT, Some(&pkce.verifier))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(t.scope.as_deref(), Some("memories:read memories:write"));
    let wide = client::token_request(
        &s.http,
        &token_url(&s),
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh_token.as_deref().unwrap()),
            ("scope", "memories:read entities:write"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(json(wide).await["error"], "invalid_scope");
    let narrow = client::token_request(
        &s.http,
        &token_url(&s),
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh_token.as_deref().unwrap()),
            ("scope", "memories:read"),
        ],
    )
    .await
    .unwrap();
    let n: TokenResponse = narrow.json().await.unwrap();
    assert_eq!(n.scope.as_deref(), Some("memories:read"));
    // The family keeps its scope: the next refresh may ask for write again.
    let back: TokenResponse = client::refresh(&s.http, &s.issuer, &c, n.refresh_token.as_deref().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(back.scope.as_deref(), Some("memories:read memories:write"));
}

#[tokio::test]
async fn unknown_client_and_wrong_secret_are_indistinguishable() {
    let s = TestServer::start().await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let mut answers = Vec::new();
    for auth in [
        ClientAuth::Basic(c.client_id().to_string(), "mcp_cs_wrong".into()),
        ClientAuth::Basic("mcp_oauth_doesnotexist".into(), "mcp_cs_wrong".into()),
    ] {
        let r = client::token_request(
            &s.http,
            &token_url(&s),
            &auth,
            &[
                ("grant_type", "authorization_code"),
                ("code", "auth_x"),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await
        .unwrap();
        let mut headers: Vec<(String, String)> = r
            .headers()
            .iter()
            .filter(|(k, _)| k.as_str() != "date")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        headers.sort();
        answers.push((r.status().as_u16(), headers, r.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 401);
    assert!(answers[0]
        .1
        .iter()
        .any(|(k, v)| k == "www-authenticate" && v.starts_with("Basic")));
    assert!(answers[0].2.contains("\"invalid_client\""));
    // Same with client_secret_post, and no WWW-Authenticate challenge then.
    let post = client::token_request(
        &s.http,
        &token_url(&s),
        &ClientAuth::Post("mcp_oauth_nope".into(), "x".into()),
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await
    .unwrap();
    assert_eq!(post.status(), 401);
    assert!(post.headers().get("www-authenticate").is_none());
    assert_eq!(
        s.count("SELECT count(*) FROM auth_events WHERE kind = 'client_auth_failed'")
            .await,
        3
    );
}

#[tokio::test]
async fn confidential_client_authenticates_with_basic_without_body_client_id_and_with_post() {
    let s = TestServer::start().await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let ClientAuth::Basic(id, secret) = c.clone() else {
        unreachable!()
    };
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    // The same secret via client_secret_post, twice (the second from the verified-secret cache).
    let post = ClientAuth::Post(id.clone(), secret.clone());
    let t2: TokenResponse = client::refresh(&s.http, &s.issuer, &post, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client::refresh(&s.http, &s.issuer, &post, t2.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Without a secret, a confidential client is refused.
    let none = client::refresh(
        &s.http,
        &s.issuer,
        &ClientAuth::Public(id),
        t2.refresh_token.as_deref().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(none.status(), 401);
}

#[tokio::test]
async fn rotated_client_secret_stops_working_even_when_remembered() {
    let s = TestServer::start().await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await; // the secret is now remembered
    let new_hash = mcp_oauth::secret::hash_client_secret("mcp_cs_new");
    mcp_oauth::storage::clients::rotate_secret(&s.store, c.client_id(), &new_hash, None, 1)
        .await
        .unwrap();
    let r = client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let fresh = ClientAuth::Basic(c.client_id().to_string(), "mcp_cs_new".into());
    assert_eq!(
        client::refresh(&s.http, &s.issuer, &fresh, t.refresh_token.as_deref().unwrap())
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_its_access_tokens() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    let r = client::revoke(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!s.bearer_ok(&t.access_token).await);
    let again = client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_refresh_token() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    let r = client::token_request(
        &s.http,
        &s.url("/api/oauth/revoke"),
        &c,
        &[("token", &t.access_token), ("token_type_hint", "refresh_token")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!s.bearer_ok(&t.access_token).await);
    assert_eq!(
        client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn revocation_of_unknown_or_foreign_tokens_answers_200_and_changes_nothing() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let other = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    assert_eq!(
        client::revoke(&s.http, &s.issuer, &c, "mcp_rt_unknown")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client::revoke(&s.http, &s.issuer, &other, &t.access_token)
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        s.bearer_ok(&t.access_token).await,
        "a client can revoke only its own tokens"
    );
    let missing = client::token_request(&s.http, &s.url("/api/oauth/revoke"), &c, &[])
        .await
        .unwrap();
    assert_eq!(json(missing).await["error"], "invalid_request");
}

#[tokio::test]
async fn oversized_body_is_refused_with_413() {
    let s = TestServer::start().await;
    let big = "a".repeat(100 * 1024);
    let r = s
        .http
        .post(token_url(&s))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = s
        .http
        .post(s.url("/api/oauth/register"))
        .header("content-type", "application/json")
        .body(format!("{{\"client_name\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn repeated_failed_client_authentication_is_rate_limited_with_retry_after() {
    let s = TestServer::start_with(|c| c.limits.failed_client_auth = Rate::new(3, Duration::from_secs(600)))
        .await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let wrong = ClientAuth::Basic(c.client_id().to_string(), "mcp_cs_guess".into());
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = client::refresh(&s.http, &s.issuer, &wrong, "mcp_rt_x")
            .await
            .unwrap();
        statuses.push((
            r.status().as_u16(),
            r.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string()),
        ));
    }
    assert_eq!(
        statuses[..3].iter().map(|s| s.0).collect::<Vec<_>>(),
        [401, 401, 401]
    );
    assert_eq!(statuses[3].0, 429);
    assert!(statuses[3].1.as_deref().unwrap().parse::<u64>().unwrap() >= 1);
    // The metric counted the three failures.
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mcp_oauth_failed_client_authentications_total 3"),
        "{metrics}"
    );
    assert!(metrics.contains("mcp_oauth_rate_limited_total 1"));
}

#[tokio::test]
async fn stranger_failing_in_a_clients_name_from_another_address_cannot_lock_it_out() {
    let s = TestServer::start().await;
    let confidential = s.confidential_client(&[REDIRECT]).await;
    let public = s.public_client(&[REDIRECT]).await;
    let attacker = common::http_from("127.0.0.2");
    for victim in [&confidential, &public] {
        // Wrong secrets naming the victim (for the public client too: client_secret=wrong).
        let forged = ClientAuth::Post(victim.client_id().to_string(), "mcp_cs_wrong".into());
        let mut statuses = Vec::new();
        for _ in 0..12 {
            let r = client::refresh(&attacker, &s.issuer, &forged, "mcp_rt_x")
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses[..10], [401; 10], "{statuses:?}");
        assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
        // The real client, from its own address, with its own credentials: served.
        let mut b = s.signed_in(&format!("user-{}", &victim.client_id()[..16])).await;
        let tokens = s.tokens_for(&mut b, victim).await;
        let r = client::refresh(
            &s.http,
            &s.issuer,
            victim,
            tokens.refresh_token.as_deref().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        s.count("SELECT count(*) FROM auth_events WHERE kind = 'client_auth_failed'")
            .await,
        20
    );
}

#[tokio::test]
async fn one_address_failing_under_many_client_ids_is_throttled_per_address() {
    let s = TestServer::start_with(|c| {
        c.limits.failed_client_auth_per_address = Rate::new(5, Duration::from_secs(600));
    })
    .await;
    let real = s.confidential_client(&[REDIRECT]).await;
    let attacker = common::http_from("127.0.0.2");
    let mut statuses = Vec::new();
    for i in 0..7 {
        let forged = ClientAuth::Post(format!("mcp_oauth_guess{i}"), "mcp_cs_wrong".into());
        let r = client::refresh(&attacker, &s.issuer, &forged, "mcp_rt_x")
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    // Even the real client is refused from the throttled address, but not from its own.
    let r = client::refresh(&attacker, &s.issuer, &real, "mcp_rt_x")
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let r = client::refresh(&s.http, &s.issuer, &real, "mcp_rt_x")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"], "invalid_grant");
}

#[tokio::test]
async fn forged_left_most_forwarded_for_does_not_reset_the_failure_budget() {
    let s = TestServer::start_with(|c| {
        c.trust_proxy = true;
        c.limits.failed_client_auth = Rate::new(3, Duration::from_secs(600));
    })
    .await;
    let c = s.confidential_client(&[REDIRECT]).await;
    let wrong = ClientAuth::Basic(c.client_id().to_string(), "mcp_cs_guess".into());
    let mut statuses = Vec::new();
    for i in 0..5 {
        // The client forges a fresh left-most entry; the proxy appends what it saw.
        let r = s
            .http
            .post(token_url(&s))
            .header(
                "authorization",
                client::basic_authorization(c.client_id(), "mcp_cs_guess"),
            )
            .header("x-forwarded-for", format!("203.0.113.{i}, 198.51.100.7"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "mcp_rt_x")])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // Another client address (as the proxy saw it) is not affected.
    let r = s
        .http
        .post(token_url(&s))
        .header("x-forwarded-for", "198.51.100.8")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "mcp_rt_x"),
            ("client_id", wrong.client_id()),
            ("client_secret", "mcp_cs_guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn token_endpoint_never_redirects_and_refuses_other_methods_and_media_types() {
    let s = TestServer::start().await;
    let r = s.http.get(token_url(&s)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = s
        .http
        .post(token_url(&s))
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"], "invalid_request");
    let c = s.public_client(&[REDIRECT]).await;
    let r = client::token_request(&s.http, &token_url(&s), &c, &[("grant_type", "password")])
        .await
        .unwrap();
    assert_eq!(json(r).await["error"], "unsupported_grant_type");
    let r = client::token_request(
        &s.http,
        &token_url(&s),
        &c,
        &[("grant_type", "refresh_token"), ("grant_type", "refresh_token")],
    )
    .await
    .unwrap();
    assert_eq!(json(r).await["error"], "invalid_request");
}

#[tokio::test]
async fn metrics_count_issued_tokens_and_authorization_outcomes() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let t = s.tokens_for(&mut b, &c).await;
    client::refresh(&s.http, &s.issuer, &c, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    let m = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("mcp_oauth_tokens_issued_total{grant_type=\"authorization_code\"} 1"));
    assert!(m.contains("mcp_oauth_tokens_issued_total{grant_type=\"refresh_token\"} 1"));
    assert!(m.contains("mcp_oauth_authorizations_total{outcome=\"approved\"} 1"));
    assert!(m.contains("mcp_oauth_request_duration_seconds_count{route=\"token\"} 2"));
}
