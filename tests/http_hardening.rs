//! The browser surface against attacks from other sites: cross-site form posts (Origin /
//! Sec-Fetch-Site), DNS rebinding (Host → 421), sign-out, and the authorize endpoint as an open
//! redirector for self-registered clients. A real server on a loopback port, real HTTP.

mod common;

use common::{json, TestServer, REDIRECT};
use mcp_oauth::client::{self, hidden_inputs, Browser, ClientAuth, Page};

const EVIL: &str = "https://evil.example";

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn assert_refused_as_cross_site(page: &Page) {
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.location().is_none());
    assert!(page.body.contains("another site"), "{}", page.body);
}

/// A signed-in browser at the consent screen of a public client: (server, browser, form fields).
async fn at_consent() -> (TestServer, Browser, ClientAuth, Vec<(String, String)>) {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (url, _pkce) = s.authorize_request(&c, "st");
    let mut fields = b.consent(&url).await.expect("consent page");
    fields.push(("decision".into(), "approve".into()));
    (s, b, c, fields)
}

// ---- item 13: cross-site form posts ----

#[tokio::test]
async fn consent_approve_from_a_foreign_origin_with_a_valid_token_issues_no_code() {
    let (s, mut b, _c, fields) = at_consent().await;
    let answer = b
        .post_form_with("/api/oauth/authorize", &refs(&fields), &[("origin", EVIL)])
        .await
        .unwrap();
    assert_refused_as_cross_site(&answer);
    assert_eq!(s.grant_rows().await, 0);
    // The same form from the issuer's own origin goes through: the token was valid.
    let answer = b
        .post_form_with(
            "/api/oauth/authorize",
            &refs(&fields),
            &[("origin", &s.issuer), ("sec-fetch-site", "same-origin")],
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 302);
    assert!(answer.location().unwrap().starts_with(REDIRECT));
    assert_eq!(s.count("SELECT count(*) FROM oauth_authorization_codes").await, 1);
}

#[tokio::test]
async fn consent_approve_with_origin_null_is_refused() {
    let (s, mut b, _c, fields) = at_consent().await;
    let answer = b
        .post_form_with("/api/oauth/authorize", &refs(&fields), &[("origin", "null")])
        .await
        .unwrap();
    assert_refused_as_cross_site(&answer);
    assert_eq!(s.grant_rows().await, 0);
}

#[tokio::test]
async fn consent_approve_marked_sec_fetch_site_cross_site_is_refused() {
    let (s, mut b, _c, fields) = at_consent().await;
    let answer = b
        .post_form_with(
            "/api/oauth/authorize",
            &refs(&fields),
            &[("sec-fetch-site", "cross-site")],
        )
        .await
        .unwrap();
    assert_refused_as_cross_site(&answer);
    assert_eq!(s.grant_rows().await, 0);
}

#[tokio::test]
async fn consent_deny_from_a_foreign_origin_is_refused_and_records_nothing() {
    let (s, mut b, _c, mut fields) = at_consent().await;
    fields.pop();
    fields.push(("decision".into(), "deny".into()));
    let before = s.count("SELECT count(*) FROM auth_events").await;
    let answer = b
        .post_form_with("/api/oauth/authorize", &refs(&fields), &[("origin", EVIL)])
        .await
        .unwrap();
    assert_refused_as_cross_site(&answer);
    assert_eq!(s.count("SELECT count(*) FROM auth_events").await, before);
}

#[tokio::test]
async fn connections_revoke_from_a_foreign_origin_leaves_the_grant() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let tokens = s.tokens_for(&mut b, &c).await;
    let page = b.get("/api/oauth/connections").await.unwrap();
    let fields = hidden_inputs(&page.body);
    for headers in [
        vec![("origin", EVIL)],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", s.issuer.as_str()), ("sec-fetch-site", "cross-site")],
    ] {
        let answer = b
            .post_form_with("/api/oauth/connections", &refs(&fields), &headers)
            .await
            .unwrap();
        assert_refused_as_cross_site(&answer);
    }
    assert!(s.bearer_ok(&tokens.access_token).await);
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL")
            .await,
        1
    );
    // From the page itself: revoked.
    let answer = b
        .post_form_with("/api/oauth/connections", &refs(&fields), &[("origin", &s.issuer)])
        .await
        .unwrap();
    assert_eq!(answer.status, 303);
    assert!(!s.bearer_ok(&tokens.access_token).await);
}

#[tokio::test]
async fn login_form_posted_from_a_foreign_origin_starts_no_session() {
    let s = TestServer::start().await;
    s.add_user("alice").await;
    let mut b = Browser::new(&s.issuer);
    let page = b.get("/api/oauth/login").await.unwrap();
    let mut fields = hidden_inputs(&page.body);
    fields.push(("username".into(), "alice".into()));
    fields.push(("password".into(), common::PASSWORD.into()));
    let answer = b
        .post_form_with("/api/oauth/login", &refs(&fields), &[("origin", EVIL)])
        .await
        .unwrap();
    assert_refused_as_cross_site(&answer);
    assert!(answer.header("set-cookie").is_none());
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 0);
    // Without Origin or Sec-Fetch-Site the CSRF token alone decides: signed in.
    let answer = b.post_form("/api/oauth/login", &refs(&fields)).await.unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 1);
}

// ---- item 11: sign-out ----

/// The sign-out form's CSRF token: the last hidden `csrf` on a page.
fn sign_out_token(page: &Page) -> String {
    assert!(
        page.body.contains("action=\"/api/oauth/logout\""),
        "{}",
        page.body
    );
    hidden_inputs(&page.body)
        .into_iter()
        .rev()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .expect("a csrf field")
}

#[tokio::test]
async fn sign_out_on_the_connections_page_deletes_the_session_and_clears_the_cookie() {
    let s = TestServer::start().await;
    let mut b = s.signed_in("alice").await;
    let session_cookie = b.cookie("mcp_session").expect("session cookie").to_string();
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 1);
    let page = b.get("/api/oauth/connections").await.unwrap();
    let csrf = sign_out_token(&page);

    // Without the token: refused, the session stays.
    let refused = b.post_form("/api/oauth/logout", &[]).await.unwrap();
    assert_eq!(refused.status, 403);
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 1);
    // With the token but from another site: refused, the session stays.
    let refused = b
        .post_form_with("/api/oauth/logout", &[("csrf", &csrf)], &[("origin", EVIL)])
        .await
        .unwrap();
    assert_refused_as_cross_site(&refused);
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 1);

    let answer = b
        .post_form_with("/api/oauth/logout", &[("csrf", &csrf)], &[("origin", &s.issuer)])
        .await
        .unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location(), Some("/api/oauth/login"));
    let cleared = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mcp_session="))
        .expect("the session cookie is cleared");
    assert!(cleared.starts_with("mcp_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 0);
    assert!(b.cookie("mcp_session").is_none());

    // A browser that kept the old cookie is signed out too: the row is gone.
    b.set_cookie("mcp_session", &session_cookie);
    let page = b.get("/api/oauth/connections").await.unwrap();
    assert_eq!(page.status, 302);
}

#[tokio::test]
async fn sign_out_is_offered_on_the_login_page_when_signed_in() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s.issuer);
    let page = b.get("/api/oauth/login").await.unwrap();
    assert!(!page.body.contains("/api/oauth/logout"));
    s.add_user("bob").await;
    b.sign_in("bob", common::PASSWORD).await.unwrap();
    let page = b.get("/api/oauth/login").await.unwrap();
    assert!(page.body.contains("You are signed in as bob"), "{}", page.body);
    let csrf = sign_out_token(&page);
    let answer = b
        .post_form("/api/oauth/logout", &[("csrf", &csrf)])
        .await
        .unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 0);
    // Signing in again from that page still works (its own fields come first).
    b.sign_in("bob", common::PASSWORD).await.unwrap();
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 1);
}

#[tokio::test]
async fn a_sign_out_token_of_another_session_is_refused() {
    let s = TestServer::start().await;
    let mut alice = s.signed_in("alice").await;
    let page = alice.get("/api/oauth/connections").await.unwrap();
    let alice_token = sign_out_token(&page);
    // A second session in the same browser (same CSRF secret) cannot be ended with it.
    alice.forget_cookies("session");
    s.add_user("bob").await;
    alice.sign_in("bob", common::PASSWORD).await.unwrap();
    let answer = alice
        .post_form("/api/oauth/logout", &[("csrf", &alice_token)])
        .await
        .unwrap();
    assert_eq!(answer.status, 403);
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 2);
}

// ---- item 14: Host ----

async fn get_with_host(s: &TestServer, path: &str, host: &str) -> reqwest::Response {
    s.http
        .get(s.url(path))
        .header("host", host)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn dns_rebinding_host_is_answered_421_on_mcp_pages_and_metadata() {
    let s = TestServer::start().await;
    let port = s.server.addr.port();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
    ] {
        for path in [
            "/api/mcp",
            "/api/oauth/login",
            "/api/oauth/connections",
            "/.well-known/oauth-authorization-server",
        ] {
            let resp = get_with_host(&s, path, &host).await;
            assert_eq!(resp.status(), 421, "{host} {path}");
            assert_eq!(
                resp.headers()["content-type"].to_str().unwrap(),
                "application/json"
            );
            let body = json(resp).await;
            assert_eq!(body["error"], "invalid_request");
        }
    }
    let resp = s
        .http
        .post(s.url("/api/mcp"))
        .header("host", "evil.example")
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 421);
}

#[tokio::test]
async fn localhost_names_the_loopback_listener() {
    let s = TestServer::start().await;
    let host = format!("localhost:{}", s.server.addr.port());
    let resp = get_with_host(&s, "/.well-known/oauth-authorization-server", &host).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn probes_answer_any_host_and_count_the_refusals() {
    let s = TestServer::start().await;
    assert_eq!(get_with_host(&s, "/api/mcp", "evil.example").await.status(), 421);
    for path in ["/healthz", "/readyz", "/metrics"] {
        let resp = get_with_host(&s, path, "lb-probe.internal").await;
        assert_eq!(resp.status(), 200, "{path}");
    }
    let metrics = get_with_host(&s, "/metrics", "lb-probe.internal")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mcp_oauth_refused_requests_total{reason=\"misdirected_host\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("mcp_oauth_refused_requests_total{reason=\"cross_site_form\"} 0"));
}

#[tokio::test]
async fn the_issuer_authority_the_listen_address_and_allowed_hosts_are_served() {
    let s = TestServer::start_with(|c| {
        c.issuer = "https://mem.example".into();
        c.allowed_hosts = vec!["localhost".into(), "internal.example:9000".into()];
    })
    .await;
    let listen = s.server.addr.to_string();
    for host in [
        "mem.example",
        "MEM.example:443",
        listen.as_str(),
        "localhost:1234",
        "internal.example:9000",
    ] {
        let resp = s
            .http
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                s.server.base_url()
            ))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{host}");
    }
    for host in ["mem.example:8443", "internal.example:9001", "evil.example"] {
        let resp = s
            .http
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                s.server.base_url()
            ))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 421, "{host}");
    }
}

// ---- item 8: no open redirector for self-registered clients ----

async fn dynamic_client(s: &TestServer) -> ClientAuth {
    client::registration::register(
        &s.http,
        &s.url("/api/oauth/register"),
        "Self-registered",
        &["https://attacker.example/landing"],
    )
    .await
    .expect("register")
    .auth
}

/// An authorization request with an error that validation would redirect
/// (`response_type=token`).
fn erroneous_authorize_url(s: &TestServer, client: &ClientAuth, redirect_uri: &str) -> String {
    format!(
        "{}/api/oauth/authorize?client_id={}&redirect_uri={}&response_type=token&state=x",
        s.issuer,
        client.client_id(),
        urlencode(redirect_uri)
    )
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string()
}

#[tokio::test]
async fn authorize_error_for_a_self_registered_client_is_a_page_before_sign_in() {
    let s = TestServer::start().await;
    let c = dynamic_client(&s).await;
    let url = erroneous_authorize_url(&s, &c, "https://attacker.example/landing");
    let mut anonymous = Browser::new(&s.issuer);
    let page = anonymous.get(&url).await.unwrap();
    assert_eq!(page.status, 400, "{:?}", page.location());
    assert!(page.location().is_none());
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    // prompt=none would redirect login_required there: a page too.
    let pkce = client::PkcePair::generate();
    let url = client::authorize_url(
        &s.issuer,
        &client::AuthorizeUrl {
            client_id: c.client_id(),
            redirect_uri: "https://attacker.example/landing",
            code_challenge: Some(&pkce.challenge),
            ..client::AuthorizeUrl::default()
        },
    ) + "&prompt=none";
    let page = anonymous.get(&url).await.unwrap();
    assert_eq!(page.status, 400, "{:?}", page.location());
    assert!(page.location().is_none());

    // Signed in, the error goes back to the client as RFC 6749 §4.1.2.1 says.
    let mut b = s.signed_in("alice").await;
    let url = erroneous_authorize_url(&s, &c, "https://attacker.example/landing");
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    assert!(page
        .location()
        .unwrap()
        .starts_with("https://attacker.example/landing?error=unsupported_response_type"));
}

#[tokio::test]
async fn authorize_error_for_an_operator_registered_client_still_redirects() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let url = erroneous_authorize_url(&s, &c, REDIRECT);
    let page = Browser::new(&s.issuer).get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    assert!(page
        .location()
        .unwrap()
        .starts_with(&format!("{REDIRECT}?error=unsupported_response_type")));
}

// ---- item 9: self-registered names ----

#[tokio::test]
async fn a_self_registered_client_named_claude_is_marked_unverified_with_its_redirect_host() {
    let s = TestServer::start().await;
    let registered = client::registration::register(
        &s.http,
        &s.url("/api/oauth/register"),
        "Claude",
        &["https://attacker.example/landing"],
    )
    .await
    .expect("register");
    let mut b = s.signed_in("alice").await;
    let pkce = client::PkcePair::generate();
    let url = client::authorize_url(
        &s.issuer,
        &client::AuthorizeUrl {
            client_id: registered.auth.client_id(),
            redirect_uri: "https://attacker.example/landing",
            code_challenge: Some(&pkce.challenge),
            ..client::AuthorizeUrl::default()
        },
    );
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Unverified application"), "{}", page.body);
    assert!(page
        .body
        .contains("<strong>attacker.example</strong> is where you expect"));

    // A client an operator registered is not marked.
    let c = s.named_client("Claude", &[REDIRECT]).await;
    let (url, _) = s.authorize_request(&c, "st");
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Unverified"));
}

#[tokio::test]
async fn registration_refuses_names_with_bidi_zero_width_or_control_characters() {
    let s = TestServer::start().await;
    for name in [
        "Claude\u{202E}lanigiro",
        "Cla\u{200B}ude",
        "Claude\u{2066}\u{2069}",
        "Claude\u{0007}",
        "Claude\u{FEFF}",
    ] {
        let resp = s
            .http
            .post(s.url("/api/oauth/register"))
            .json(&serde_json::json!({
                "client_name": name,
                "redirect_uris": ["https://app.example/cb"],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{name:?}");
        let body = json(resp).await;
        assert_eq!(body["error"], "invalid_client_metadata", "{name:?}");
    }
    assert_eq!(s.count("SELECT count(*) FROM oauth_clients").await, 0);
}

#[tokio::test]
async fn a_stored_name_with_hidden_characters_is_shown_with_them_marked() {
    let s = TestServer::start().await;
    let c = s.named_client("Cl\u{202E}edua", &[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let (url, _) = s.authorize_request(&c, "st");
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(!page.body.contains('\u{202E}'));
    assert!(page.body.contains("Cl\u{FFFD}edua"));
}

#[tokio::test]
async fn pages_keep_a_real_origin_on_their_own_posts() {
    // Under `Referrer-Policy: no-referrer` browsers post `Origin: null`, which is refused.
    let s = TestServer::start().await;
    let page = Browser::new(&s.issuer).get("/api/oauth/login").await.unwrap();
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
}

#[tokio::test]
async fn origin_null_is_accepted_only_when_the_browser_says_same_origin() {
    let (s, mut b, _c, fields) = at_consent().await;
    let refused = b
        .post_form_with(
            "/api/oauth/authorize",
            &refs(&fields),
            &[("origin", "null"), ("sec-fetch-site", "same-site")],
        )
        .await
        .unwrap();
    assert_refused_as_cross_site(&refused);
    assert_eq!(s.grant_rows().await, 0);
    let answer = b
        .post_form_with(
            "/api/oauth/authorize",
            &refs(&fields),
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 302);
    assert_eq!(s.count("SELECT count(*) FROM oauth_authorization_codes").await, 1);
}
