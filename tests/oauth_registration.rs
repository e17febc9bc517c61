//! Dynamic client registration (RFC 7591) in the shapes the Python and TypeScript MCP SDKs
//! and Claude.ai rely on.

mod common;

use std::time::Duration;

use common::{json, TestServer, REDIRECT};
use mcp_oauth::client::{self, ClientAuth};
use mcp_oauth::http::config::Rate;
use serde_json::json;

async fn register(s: &TestServer, body: serde_json::Value) -> reqwest::Response {
    s.http
        .post(s.url("/api/oauth/register"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn python_sdk_registration_without_auth_method_gets_a_secret_and_client_secret_post() {
    let s = TestServer::start().await;
    let r = register(&s, json!({"redirect_uris": ["http://localhost:3030/callback"], "client_name": "Python SDK", "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "scope": "memories:read offline_access"})).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let b = json(r).await;
    assert_eq!(b["token_endpoint_auth_method"], "client_secret_post");
    assert!(b["client_id"].as_str().unwrap().starts_with("mcp_oauth_"));
    assert!(b["client_secret"].as_str().unwrap().starts_with("mcp_cs_"));
    assert_eq!(b["client_secret_expires_at"], 0);
    assert!(b["client_id_issued_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(b["scope"], "memories:read");
    assert_eq!(b["redirect_uris"], json!(["http://localhost:3030/callback"]));
    assert_eq!(b["grant_types"], json!(["authorization_code", "refresh_token"]));
    let stored: String = {
        let conn = s.store.connection().await.unwrap();
        let mut rows = conn
            .query(
                "SELECT secret_hash FROM oauth_clients WHERE registration = 'dynamic'",
                (),
            )
            .await
            .unwrap();
        rows.next().await.unwrap().unwrap().get(0).unwrap()
    };
    assert!(stored.starts_with("$argon2id$"));
    // The secret works with client_secret_post, as the SDK will send it.
    let auth = ClientAuth::Post(
        b["client_id"].as_str().unwrap().into(),
        b["client_secret"].as_str().unwrap().into(),
    );
    let r = client::refresh(&s.http, &s.issuer, &auth, "mcp_rt_unknown")
        .await
        .unwrap();
    assert_eq!(
        json(r).await["error"],
        "invalid_grant",
        "authenticated, then the grant is refused"
    );
}

#[tokio::test]
async fn typescript_sdk_registration_with_basic_then_basic_without_body_client_id() {
    let s = TestServer::start().await;
    let b = json(register(&s, json!({"redirect_uris": [REDIRECT], "client_name": "TS SDK", "token_endpoint_auth_method": "client_secret_basic"})).await).await;
    assert_eq!(b["token_endpoint_auth_method"], "client_secret_basic");
    let auth = ClientAuth::Basic(
        b["client_id"].as_str().unwrap().into(),
        b["client_secret"].as_str().unwrap().into(),
    );
    let mut browser = s.signed_in("alice").await;
    let t = s.tokens_for(&mut browser, &auth).await;
    assert!(t.access_token.starts_with("mcp_at_"));
}

#[tokio::test]
async fn public_client_registration_has_no_secret_and_revokes_with_client_id_only() {
    let s = TestServer::start().await;
    let b = json(register(&s, json!({"redirect_uris": [REDIRECT], "client_name": "Claude Code", "token_endpoint_auth_method": "none"})).await).await;
    assert_eq!(b["token_endpoint_auth_method"], "none");
    assert!(b.get("client_secret").is_none());
    assert_eq!(b["client_secret_expires_at"], 0);
    let auth = ClientAuth::Public(b["client_id"].as_str().unwrap().into());
    let mut browser = s.signed_in("alice").await;
    let t = s.tokens_for(&mut browser, &auth).await;
    assert_eq!(
        client::revoke(&s.http, &s.issuer, &auth, t.refresh_token.as_deref().unwrap())
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(!s.bearer_ok(&t.access_token).await);
}

#[tokio::test]
async fn empty_string_urls_are_not_echoed() {
    let s = TestServer::start().await;
    let b = json(register(&s, json!({"redirect_uris": [REDIRECT], "client_uri": "", "logo_uri": "", "tos_uri": "", "client_name": ""})).await).await;
    for field in ["client_uri", "logo_uri", "tos_uri", "policy_uri", "jwks_uri"] {
        assert!(b.get(field).is_none(), "{field}: {b}");
    }
    assert_eq!(b["client_name"], "Unnamed MCP client");
    let b = json(
        register(
            &s,
            json!({"redirect_uris": [REDIRECT], "client_uri": "https://claude.ai"}),
        )
        .await,
    )
    .await;
    assert_eq!(b["client_uri"], "https://claude.ai");
}

#[tokio::test]
async fn registration_of_open_redirect_uris_is_refused() {
    let s = TestServer::start().await;
    for uris in [
        json!(["http://evil.example/cb"]),
        json!(["javascript:alert(1)"]),
        json!(["https://app.example/cb#frag"]),
        json!(["https://*.example/cb"]),
        json!(["https://app.example/cb\r\nX: y"]),
        json!([]),
        json!("https://app.example/cb"),
    ] {
        let r = register(&s, json!({"redirect_uris": uris})).await;
        assert_eq!(r.status(), 400, "{uris}");
        let e = json(r).await["error"].as_str().unwrap().to_string();
        assert!(
            e == "invalid_redirect_uri" || e == "invalid_client_metadata",
            "{e}"
        );
    }
    let r = register(&s, json!({"client_name": "no uris"})).await;
    assert_eq!(json(r).await["error"], "invalid_redirect_uri");
    assert_eq!(s.count("SELECT count(*) FROM oauth_clients").await, 0);
}

#[tokio::test]
async fn invalid_client_metadata_is_refused() {
    let s = TestServer::start().await;
    for body in [
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
        json!({"redirect_uris": [REDIRECT], "response_types": ["token"]}),
        json!({"redirect_uris": [REDIRECT], "client_name": 7}),
    ] {
        let r = register(&s, body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(json(r).await["error"], "invalid_client_metadata");
    }
    let r = s
        .http
        .post(s.url("/api/oauth/register"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["error"], "invalid_client_metadata");
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let s = TestServer::start_with(|c| c.limits.registration = Rate::new(2, Duration::from_secs(3600))).await;
    let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
    assert_eq!(register(&s, body.clone()).await.status(), 201);
    assert_eq!(register(&s, body.clone()).await.status(), 201);
    let r = register(&s, body).await;
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

async fn register_via_proxy(
    s: &TestServer,
    forwarded_for: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    s.http
        .post(s.url("/api/oauth/register"))
        .header("x-forwarded-for", forwarded_for)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn assert_429_json_with_retry_after(r: reqwest::Response) {
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body = json(r).await;
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn registrations_from_many_addresses_beyond_the_global_cap_get_429_json_with_retry_after() {
    let s = TestServer::start_with(|c| {
        c.trust_proxy = true;
        c.limits.registration_global = Rate::new(3, Duration::from_secs(3600));
    })
    .await;
    let body = json!({"redirect_uris": [REDIRECT]});
    for i in 0..3 {
        let r = register_via_proxy(&s, &format!("198.51.100.{i}"), &body).await;
        assert_eq!(r.status(), 201);
    }
    // A fresh address, with its own per-address budget untouched, still meets the global cap.
    assert_429_json_with_retry_after(register_via_proxy(&s, "198.51.100.200", &body).await).await;
    assert_eq!(s.count("SELECT count(*) FROM oauth_clients").await, 3);
    // Invalid metadata is answered as such and spends no global budget.
    let r = register_via_proxy(&s, "198.51.100.201", &json!({"redirect_uris": []})).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn forged_left_most_forwarded_for_does_not_buy_fresh_registration_budgets() {
    let s = TestServer::start_with(|c| {
        c.trust_proxy = true;
        c.limits.registration = Rate::new(2, Duration::from_secs(3600));
    })
    .await;
    let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
    let mut statuses = Vec::new();
    for i in 0..4 {
        // The client forges the left-most entry; the trusted proxy appended 198.51.100.7.
        let r = register_via_proxy(&s, &format!("203.0.113.{i}, 198.51.100.7"), &body).await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 429, 429]);
    assert_429_json_with_retry_after(register_via_proxy(&s, "10.9.9.9, 198.51.100.7", &body).await).await;
    assert_eq!(register_via_proxy(&s, "198.51.100.8", &body).await.status(), 201);
    assert_eq!(s.count("SELECT count(*) FROM oauth_clients").await, 3);
}

#[tokio::test]
async fn ipv6_client_rotating_addresses_within_its_slash_64_shares_one_registration_budget() {
    let s = TestServer::start_with(|c| {
        c.trust_proxy = true;
        c.limits.registration = Rate::new(2, Duration::from_secs(3600));
    })
    .await;
    let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
    let mut statuses = Vec::new();
    for host in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:ffff::3",
        "2001:db8:1:2::4",
    ] {
        statuses.push(register_via_proxy(&s, host, &body).await.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 429, 429]);
    // The neighbouring /64 is another subscriber.
    assert_eq!(
        register_via_proxy(&s, "2001:db8:1:3::1", &body).await.status(),
        201
    );
}

#[tokio::test]
async fn registration_turned_off_answers_404_json_and_metadata_omits_it() {
    let s = TestServer::start_with(|c| c.registration_enabled = false).await;
    let r = register(&s, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(json(r).await["error"], "not_found");
    let meta = json(
        s.http
            .get(s.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(meta.get("registration_endpoint").is_none());
}

/// The `application_type` column of the client `client_id`.
async fn stored_application_type(s: &TestServer, client_id: &str) -> Option<String> {
    let conn = s.store.connection().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT application_type FROM oauth_clients WHERE client_id = ?1",
            [client_id],
        )
        .await
        .unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

#[tokio::test]
async fn application_type_native_with_a_loopback_redirect_is_stored_and_echoed() {
    let s = TestServer::start().await;
    let r = register(&s, json!({"redirect_uris": ["http://127.0.0.1:33418/callback"], "client_name": "CLI", "token_endpoint_auth_method": "none", "application_type": "native"})).await;
    assert_eq!(r.status(), 201);
    let b = json(r).await;
    assert_eq!(b["application_type"], "native");
    let id = b["client_id"].as_str().unwrap();
    assert_eq!(stored_application_type(&s, id).await.as_deref(), Some("native"));
}

#[tokio::test]
async fn application_type_web_with_a_public_https_redirect_is_stored_and_echoed() {
    let s = TestServer::start().await;
    let r = register(
        &s,
        json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"], "application_type": "web"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let b = json(r).await;
    assert_eq!(b["application_type"], "web");
    let id = b["client_id"].as_str().unwrap();
    assert_eq!(stored_application_type(&s, id).await.as_deref(), Some("web"));
}

#[tokio::test]
async fn a_web_client_cannot_register_a_localhost_redirect() {
    let s = TestServer::start().await;
    for uri in ["http://localhost:3030/callback", "https://127.0.0.1/cb"] {
        let r = register(&s, json!({"redirect_uris": [uri], "application_type": "web"})).await;
        assert_eq!(r.status(), 400, "{uri}");
        let b = json(r).await;
        assert_eq!(b["error"], "invalid_redirect_uri", "{uri}");
        assert!(b["error_description"]
            .as_str()
            .unwrap()
            .contains("web application"));
    }
}

#[tokio::test]
async fn a_native_client_cannot_register_a_remote_https_redirect() {
    let s = TestServer::start().await;
    let r = register(&s, json!({"redirect_uris": ["http://127.0.0.1/cb", "https://app.example/cb"], "application_type": "native"})).await;
    assert_eq!(r.status(), 400);
    let b = json(r).await;
    assert_eq!(b["error"], "invalid_redirect_uri");
    assert!(b["error_description"]
        .as_str()
        .unwrap()
        .contains("native application"));
}

#[tokio::test]
async fn without_application_type_loopback_and_https_redirects_both_register_as_before() {
    let s = TestServer::start().await;
    let r = register(&s, json!({"redirect_uris": ["http://localhost:3030/callback", "https://claude.ai/api/mcp/auth_callback"]})).await;
    assert_eq!(r.status(), 201);
    let b = json(r).await;
    assert!(
        b.get("application_type").is_none(),
        "nothing echoed that was not sent: {b}"
    );
    let id = b["client_id"].as_str().unwrap();
    assert_eq!(stored_application_type(&s, id).await, None);
}

#[tokio::test]
async fn an_unknown_application_type_is_invalid_client_metadata() {
    let s = TestServer::start().await;
    for value in [json!("desktop"), json!(1)] {
        let r = register(
            &s,
            json!({"redirect_uris": [REDIRECT], "application_type": value}),
        )
        .await;
        assert_eq!(r.status(), 400, "{value}");
        assert_eq!(json(r).await["error"], "invalid_client_metadata", "{value}");
    }
}

#[tokio::test]
async fn a_registration_storing_more_than_8_kib_of_metadata_is_refused_and_stores_nothing() {
    let s = TestServer::start().await;
    let uris = |path_len: usize| -> Vec<String> {
        (0..20)
            .map(|i| format!("http://127.0.0.1/cb{i:02}/{}", "p".repeat(path_len)))
            .collect()
    };
    let clients = || async {
        let conn = s.store.connection().await.unwrap();
        mcp_oauth::storage::scalar_i64(&conn, "SELECT count(*) FROM oauth_clients", ())
            .await
            .unwrap()
    };
    let before = clients().await;
    // 20 URIs of about 520 bytes: 10 KiB.
    let r = register(
        &s,
        json!({"redirect_uris": uris(500), "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body = json(r).await;
    assert_eq!(body["error"], "invalid_client_metadata");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("at most 8192"),
        "{body}"
    );
    assert_eq!(clients().await, before);
    // 20 URIs of about 320 bytes: 6.4 KiB, within the cap.
    let r = register(
        &s,
        json!({"redirect_uris": uris(300), "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(clients().await, before + 1);
}
