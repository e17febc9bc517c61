//! The authorization endpoint, consent, login and connections pages: each test names the
//! attack it stops.

mod common;

use common::{TestServer, REDIRECT};
use mcp_oauth::client::{authorize_url, hidden_inputs, query_param, AuthorizeUrl, Browser, PkcePair};

fn url_with(server: &TestServer, client_id: &str, redirect_uri: &str, extra: &[(&str, &str)]) -> String {
    let pkce = PkcePair::generate();
    let mut url = authorize_url(
        &server.issuer,
        &AuthorizeUrl {
            client_id,
            redirect_uri,
            code_challenge: Some(&pkce.challenge),
            state: Some("s1"),
            ..AuthorizeUrl::default()
        },
    );
    for (k, v) in extra {
        url.push('&');
        url.push_str(&serde_urlencoded::to_string([(k, v)]).unwrap());
    }
    url
}

/// An error page: 400 HTML, no Location, framing forbidden.
fn assert_error_page(page: &mcp_oauth::client::Page) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.location().is_none(),
        "must never redirect: {:?}",
        page.location()
    );
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn open_redirect_via_unregistered_redirect_uri_gets_an_error_page() {
    let s = TestServer::start().await;
    let c = s.public_client(&["https://app.example/cb"]).await;
    let mut b = s.signed_in("alice").await;
    for uri in [
        "https://evil.example/cb",
        "https://app.example/cb/../../evil",
        "https://app.example/cb?x=1",
        "https://app.example.evil.example/cb",
        "https://app.example/cb/",
    ] {
        let page = b.get(&url_with(&s, c.client_id(), uri, &[])).await.unwrap();
        assert_error_page(&page);
    }
}

#[tokio::test]
async fn open_redirect_via_case_changed_redirect_uri_gets_an_error_page() {
    let s = TestServer::start().await;
    let c = s.public_client(&["https://app.example/cb"]).await;
    let mut b = s.signed_in("alice").await;
    for uri in [
        "https://APP.example/cb",
        "https://app.example/CB",
        "HTTPS://app.example/cb",
    ] {
        assert_error_page(&b.get(&url_with(&s, c.client_id(), uri, &[])).await.unwrap());
    }
}

#[tokio::test]
async fn open_redirect_via_fragment_redirect_uri_gets_an_error_page() {
    let s = TestServer::start().await;
    let c = s.public_client(&["https://app.example/cb"]).await;
    let mut b = s.signed_in("alice").await;
    assert_error_page(
        &b.get(&url_with(
            &s,
            c.client_id(),
            "https://app.example/cb#https://evil.example",
            &[],
        ))
        .await
        .unwrap(),
    );
}

#[tokio::test]
async fn open_redirect_via_javascript_redirect_uri_gets_an_error_page() {
    let s = TestServer::start().await;
    let c = s.public_client(&["https://app.example/cb"]).await;
    let mut b = s.signed_in("alice").await;
    assert_error_page(
        &b.get(&url_with(
            &s,
            c.client_id(),
            "javascript:alert(document.cookie)",
            &[],
        ))
        .await
        .unwrap(),
    );
}

#[tokio::test]
async fn open_redirect_via_control_character_redirect_uri_gets_an_error_page() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    for uri in [
        "http://127.0.0.1/callback\r\nLocation: https://evil.example",
        "http://127.0.0.1:80\t/callback",
        "http://127.0.0.1/callback\0",
    ] {
        assert_error_page(&b.get(&url_with(&s, c.client_id(), uri, &[])).await.unwrap());
    }
}

#[tokio::test]
async fn unknown_client_gets_an_error_page_not_a_redirect() {
    let s = TestServer::start().await;
    let mut b = s.signed_in("alice").await;
    assert_error_page(
        &b.get(&url_with(&s, "mcp_oauth_nope", REDIRECT, &[]))
            .await
            .unwrap(),
    );
    let no_client = format!(
        "{}/api/oauth/authorize?response_type=code&redirect_uri=https%3A%2F%2Fevil.example",
        s.issuer
    );
    assert_error_page(&b.get(&no_client).await.unwrap());
}

#[tokio::test]
async fn loopback_redirect_uri_matches_any_port() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let page = b
        .get(&url_with(
            &s,
            c.client_id(),
            "http://127.0.0.1:49152/callback",
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let page = b
        .get(&url_with(
            &s,
            c.client_id(),
            "http://localhost:49152/callback",
            &[],
        ))
        .await
        .unwrap();
    assert_error_page(&page);
}

#[tokio::test]
async fn crlf_and_html_in_state_are_encoded_not_injected() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let evil = "x\r\nSet-Cookie: pwned=1\"><script>alert(1)</script>";
    let pkce = PkcePair::generate();
    let url = authorize_url(
        &s.issuer,
        &AuthorizeUrl {
            client_id: c.client_id(),
            redirect_uri: REDIRECT,
            code_challenge: Some(&pkce.challenge),
            state: Some(evil),
            ..Default::default()
        },
    );
    let consent = b.get(&url).await.unwrap();
    assert_eq!(consent.status, 200);
    assert!(
        !consent.body.contains("<script>alert"),
        "state must be escaped on the consent page"
    );
    let fields = hidden_inputs(&consent.body);
    let answer = b.decide(&fields, "approve").await.unwrap();
    assert_eq!(answer.status, 302);
    assert!(answer.headers.get("set-cookie").is_none());
    let location = answer.location().unwrap();
    assert!(!location.contains('\r') && !location.contains('\n') && !location.contains('<'));
    assert_eq!(query_param(location, "state").as_deref(), Some(evil));
}

#[tokio::test]
async fn html_in_client_name_is_escaped_on_the_consent_page() {
    let s = TestServer::start().await;
    let resp = s
        .http
        .post(s.url("/api/oauth/register"))
        .json(&serde_json::json!({"client_name": "<img src=x onerror=alert(1)>\"Evil\"", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let id = common::json(resp).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b = s.signed_in("alice").await;
    let page = b.get(&url_with(&s, &id, REDIRECT, &[])).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(page
        .body
        .contains("&lt;img src=x onerror=alert(1)&gt;&quot;Evil&quot;"));

    let crlf = s
        .http
        .post(s.url("/api/oauth/register"))
        .json(&serde_json::json!({"client_name": "Nice\r\nSet-Cookie: x=y", "redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap();
    assert_eq!(crlf.status(), 400);
    assert_eq!(common::json(crlf).await["error"], "invalid_client_metadata");
}

#[tokio::test]
async fn pkce_missing_for_a_public_client_is_refused_at_authorize() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let url = authorize_url(
        &s.issuer,
        &AuthorizeUrl {
            client_id: c.client_id(),
            redirect_uri: REDIRECT,
            state: Some("s1"),
            ..Default::default()
        },
    );
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    let loc = page.location().unwrap();
    assert!(loc.starts_with(REDIRECT));
    assert_eq!(query_param(loc, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(loc, "state").as_deref(), Some("s1"));
    assert_eq!(query_param(loc, "iss").as_deref(), Some(s.issuer.as_str()));
    assert!(query_param(loc, "error_description").is_some());
}

#[tokio::test]
async fn pkce_plain_downgrade_is_refused_at_authorize() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let plain = "a".repeat(43);
    let base = format!(
        "{}/api/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&state=s1&code_challenge={plain}",
        s.issuer,
        c.client_id(),
        "http%3A%2F%2F127.0.0.1%2Fcallback"
    );
    for url in [format!("{base}&code_challenge_method=plain"), base.clone()] {
        let page = b.get(&url).await.unwrap();
        assert_eq!(page.status, 302);
        assert_eq!(
            query_param(page.location().unwrap(), "error").as_deref(),
            Some("invalid_request")
        );
    }
}

#[tokio::test]
async fn wrong_audience_resource_is_refused_at_authorize() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let page = b
        .get(&url_with(
            &s,
            c.client_id(),
            REDIRECT,
            &[("resource", "https://other.example/api/mcp")],
        ))
        .await
        .unwrap();
    assert_eq!(page.status, 302);
    assert_eq!(
        query_param(page.location().unwrap(), "error").as_deref(),
        Some("invalid_target")
    );
    // One trailing slash is tolerated.
    let ok = b
        .get(&url_with(
            &s,
            c.client_id(),
            REDIRECT,
            &[("resource", &format!("{}/", s.resource()))],
        ))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn unsupported_response_type_is_redirected_with_iss() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let url = url_with(&s, c.client_id(), REDIRECT, &[]).replace("response_type=code", "response_type=token");
    let page = b.get(&url).await.unwrap();
    assert_eq!(
        query_param(page.location().unwrap(), "error").as_deref(),
        Some("unsupported_response_type")
    );
}

#[tokio::test]
async fn no_session_is_sent_to_the_login_form_and_back() {
    let s = TestServer::start().await;
    s.add_user("alice").await;
    let c = s.public_client(&[REDIRECT]).await;
    let url = url_with(&s, c.client_id(), REDIRECT, &[]);
    let mut b = Browser::new(&s.issuer);
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    let login = page.location().unwrap().to_string();
    assert!(
        login.starts_with("/api/oauth/login?return_to=%2Fapi%2Foauth%2Fauthorize%3F"),
        "{login}"
    );
    let form = b.get(&login).await.unwrap();
    assert_eq!(form.status, 200);
    assert_eq!(form.header("x-frame-options"), Some("DENY"));
    let csrf_cookie = form.header("set-cookie").unwrap();
    assert!(
        csrf_cookie.contains("HttpOnly")
            && csrf_cookie.contains("SameSite=Lax")
            && csrf_cookie.contains("Path=/")
    );
    let mut fields: Vec<(String, String)> = hidden_inputs(&form.body);
    fields.push(("username".into(), "alice".into()));
    fields.push(("password".into(), common::PASSWORD.into()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let signed = b.post_form("/api/oauth/login", &refs).await.unwrap();
    assert_eq!(signed.status, 303);
    let session = signed.header("set-cookie").unwrap();
    assert!(
        session.starts_with("mcp_session=mcp_ss_")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
    );
    assert!(!session.contains("Secure"), "http issuer: no Secure flag");
    let back = signed.location().unwrap();
    assert_eq!(format!("{}{back}", s.issuer), url);
    assert_eq!(b.get(back).await.unwrap().status, 200);
}

#[tokio::test]
async fn login_return_to_cannot_be_an_open_redirect() {
    let s = TestServer::start().await;
    let mut b = s.signed_in("alice").await;
    let page = b
        .get("/api/oauth/login?return_to=https%3A%2F%2Fevil.example")
        .await
        .unwrap();
    let fields = hidden_inputs(&page.body);
    assert!(fields.contains(&("return_to".into(), "/api/oauth/connections".into())));
    let page = b
        .get("/api/oauth/login?return_to=%2F%2Fevil.example")
        .await
        .unwrap();
    assert!(hidden_inputs(&page.body).contains(&("return_to".into(), "/api/oauth/connections".into())));
}

#[tokio::test]
async fn wrong_password_is_refused_and_repeated_failures_are_rate_limited() {
    let s = TestServer::start_with(|c| {
        c.limits.failed_login = mcp_oauth::http::config::Rate::new(3, std::time::Duration::from_secs(600))
    })
    .await;
    s.add_user("alice").await;
    let mut b = Browser::new(&s.issuer);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let form = b.get("/api/oauth/login").await.unwrap();
        let mut fields = hidden_inputs(&form.body);
        fields.push(("username".into(), "alice".into()));
        fields.push(("password".into(), "wrong".into()));
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let page = b.post_form("/api/oauth/login", &refs).await.unwrap();
        assert!(page
            .header("set-cookie")
            .is_none_or(|c| !c.contains("mcp_session")));
        statuses.push((page.status, page.header("retry-after").map(str::to_string)));
    }
    assert_eq!(statuses[0], (401, None));
    assert_eq!(statuses[2].0, 401);
    assert_eq!(statuses[3].0, 429);
    assert!(statuses[3].1.as_deref().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(
        s.count("SELECT count(*) FROM auth_events WHERE kind = 'login_failed'")
            .await,
        3
    );
    // Even the right password waits out the limit.
    assert!(b.sign_in("alice", common::PASSWORD).await.is_err());
}

#[tokio::test]
async fn ten_wrong_passwords_from_one_address_do_not_lock_the_user_out_from_another() {
    let s = TestServer::start().await;
    s.add_user("alice").await;
    let mut attacker = Browser::with_http(&s.issuer, common::http_from("127.0.0.2"));
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let form = attacker.get("/api/oauth/login").await.unwrap();
        let mut fields = hidden_inputs(&form.body);
        fields.push(("username".into(), "alice".into()));
        fields.push(("password".into(), "wrong".into()));
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        statuses.push(
            attacker
                .post_form("/api/oauth/login", &refs)
                .await
                .unwrap()
                .status,
        );
    }
    assert_eq!(statuses[..10], [401; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
    // Alice, from her own address, signs in with her password.
    let mut alice = Browser::new(&s.issuer);
    alice.sign_in("alice", common::PASSWORD).await.unwrap();
    assert!(alice.cookie("mcp_session").is_some());
    assert_eq!(
        s.count("SELECT count(*) FROM auth_events WHERE kind = 'login_failed'")
            .await,
        10
    );
    assert_eq!(s.count("SELECT count(*) FROM login_sessions").await, 1);
}

#[tokio::test]
async fn confidential_dynamically_registered_client_without_pkce_gets_an_error_redirect_not_a_code() {
    let s = TestServer::start().await;
    let registered: serde_json::Value = s
        .http
        .post(s.url("/api/oauth/register"))
        .json(&serde_json::json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(registered["client_secret"].is_string());
    let client_id = registered["client_id"].as_str().unwrap();
    let mut b = s.signed_in("alice").await;
    let url = authorize_url(
        &s.issuer,
        &AuthorizeUrl {
            client_id,
            redirect_uri: REDIRECT,
            state: Some("s1"),
            ..Default::default()
        },
    );
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    let loc = page.location().unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(query_param(loc, "error").as_deref(), Some("invalid_request"));
    assert!(query_param(loc, "error_description")
        .unwrap()
        .contains("code_challenge"));
    assert_eq!(query_param(loc, "state").as_deref(), Some("s1"));
    assert_eq!(query_param(loc, "iss").as_deref(), Some(s.issuer.as_str()));
    assert!(query_param(loc, "code").is_none());
    assert_eq!(s.count("SELECT count(*) FROM oauth_authorization_codes").await, 0);
}

#[tokio::test]
async fn login_csrf_missing_is_refused() {
    let s = TestServer::start().await;
    s.add_user("alice").await;
    let mut b = Browser::new(&s.issuer);
    let page = b
        .post_form(
            "/api/oauth/login",
            &[
                ("username", "alice"),
                ("password", common::PASSWORD),
                ("return_to", "/api/oauth/connections"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 403);
    assert!(b.cookie("mcp_session").is_none());
}

#[tokio::test]
async fn consent_page_cannot_be_framed_or_cached() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let page = b.get(&url_with(&s, c.client_id(), REDIRECT, &[])).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    assert!(page.body.contains("Test Public Client") && page.body.contains("127.0.0.1"));
    assert!(page.body.contains("Read and search your memories"));
    assert!(page.body.contains("width=device-width"));
}

#[tokio::test]
async fn consent_without_csrf_token_is_refused_and_creates_nothing() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let fields: Vec<(String, String)> = b
        .consent(&url_with(&s, c.client_id(), REDIRECT, &[]))
        .await
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .collect();
    let page = b.decide(&fields, "approve").await.unwrap();
    assert_eq!(page.status, 403);
    assert!(page.location().is_none());
    assert_eq!(s.grant_rows().await, 0);
}

#[tokio::test]
async fn consent_with_mismatched_csrf_token_is_refused() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let other = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    // A token from another consent page (another client) does not approve this one.
    let theirs = b
        .consent(&url_with(&s, other.client_id(), REDIRECT, &[]))
        .await
        .unwrap();
    let mut mine = b
        .consent(&url_with(&s, c.client_id(), REDIRECT, &[]))
        .await
        .unwrap();
    let their_token = theirs.iter().find(|(k, _)| k == "csrf").unwrap().1.clone();
    for f in mine.iter_mut().filter(|(k, _)| k == "csrf") {
        f.1 = their_token.clone();
    }
    assert_eq!(b.decide(&mine, "approve").await.unwrap().status, 403);
    // Tampering with a hidden field (a wider scope) breaks the token too.
    let mut tampered = theirs.clone();
    for f in tampered.iter_mut().filter(|(k, _)| k == "state") {
        f.1 = "changed".into();
    }
    assert_eq!(b.decide(&tampered, "approve").await.unwrap().status, 403);
    // Another browser (another user's session and cookie) cannot replay the form.
    let mut mallory = s.signed_in("mallory").await;
    assert_eq!(mallory.decide(&theirs, "approve").await.unwrap().status, 403);
    assert_eq!(s.grant_rows().await, 0);
}

#[tokio::test]
async fn deny_redirects_access_denied_and_creates_no_rows() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let fields = b
        .consent(&url_with(&s, c.client_id(), REDIRECT, &[]))
        .await
        .unwrap();
    let page = b.decide(&fields, "deny").await.unwrap();
    assert_eq!(page.status, 302);
    let loc = page.location().unwrap();
    assert!(loc.starts_with("http://127.0.0.1/callback?"));
    assert_eq!(query_param(loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(loc, "state").as_deref(), Some("s1"));
    assert_eq!(query_param(loc, "iss").as_deref(), Some(s.issuer.as_str()));
    assert!(query_param(loc, "code").is_none());
    assert_eq!(s.grant_rows().await, 0);
    assert_eq!(
        s.count("SELECT count(*) FROM auth_events WHERE kind = 'authorization_denied'")
            .await,
        1
    );
}

#[tokio::test]
async fn approve_redirects_with_code_state_and_iss() {
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let fields = b
        .consent(&url_with(
            &s,
            c.client_id(),
            "http://127.0.0.1:5555/callback",
            &[("scope", "memories:read offline_access")],
        ))
        .await
        .unwrap();
    let page = b.decide(&fields, "approve").await.unwrap();
    assert_eq!(page.status, 302);
    let loc = page.location().unwrap();
    assert!(
        loc.starts_with("http://127.0.0.1:5555/callback?code=auth_"),
        "{loc}"
    );
    assert_eq!(query_param(loc, "state").as_deref(), Some("s1"));
    assert_eq!(query_param(loc, "iss").as_deref(), Some(s.issuer.as_str()));
    assert_eq!(s.count("SELECT count(*) FROM oauth_authorization_codes WHERE scope = 'memories:read' AND user_id = 'user_alice' AND used_at IS NULL").await, 1);
}

#[tokio::test]
async fn discovery_documents_carry_a_byte_identical_issuer() {
    let s = TestServer::start().await;
    let as_meta = common::json(
        s.http
            .get(s.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let pr_root = common::json(
        s.http
            .get(s.url("/.well-known/oauth-protected-resource"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let pr_mcp = common::json(
        s.http
            .get(s.url("/.well-known/oauth-protected-resource/api/mcp"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(as_meta["issuer"], s.issuer.as_str());
    assert_eq!(pr_root["authorization_servers"][0], s.issuer.as_str());
    assert_eq!(pr_mcp["authorization_servers"][0], s.issuer.as_str());
    assert_eq!(pr_mcp["resource"], s.resource().as_str());
    assert_eq!(
        as_meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(as_meta["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn connections_page_lists_clients_and_revokes_with_csrf() {
    let s = TestServer::start().await;
    let c = s.named_client("Claude <Desktop>", &[REDIRECT]).await;
    let mut b = s.signed_in("alice").await;
    let tokens = s.tokens_for(&mut b, &c).await;
    let page = b.get("/api/oauth/connections").await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Claude &lt;Desktop&gt;"));
    assert!(page.body.contains("Read and search your memories"));
    let fields = hidden_inputs(&page.body);
    // Without the token: refused.
    let refused = b
        .post_form("/api/oauth/connections", &[("client_id", c.client_id())])
        .await
        .unwrap();
    assert_eq!(refused.status, 403);
    assert!(s.bearer_ok(&tokens.access_token).await);
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = b.post_form("/api/oauth/connections", &refs).await.unwrap();
    assert_eq!(done.status, 303);
    assert!(!s.bearer_ok(&tokens.access_token).await);
    assert_eq!(
        s.count("SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
    let after = b.get("/api/oauth/connections").await.unwrap();
    assert!(after.body.contains("No application has access"));
}

#[tokio::test]
async fn connections_page_requires_sign_in() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s.issuer);
    let page = b.get("/api/oauth/connections").await.unwrap();
    assert_eq!(page.status, 302);
    assert_eq!(
        page.location(),
        Some("/api/oauth/login?return_to=%2Fapi%2Foauth%2Fconnections")
    );
}

#[tokio::test]
async fn upper_case_loopback_redirect_uri_neither_registers_nor_matches_another_host() {
    let s = TestServer::start().await;
    // Registration refuses the upper-case scheme, naming the lower-case form.
    let resp = s
        .http
        .post(s.url("/api/oauth/register"))
        .json(&serde_json::json!({
            "client_name": "Shouty",
            "redirect_uris": ["HTTP://127.0.0.1/cb"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_redirect_uri");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("http://127.0.0.1/cb"));
    assert_eq!(s.count("SELECT count(*) FROM oauth_clients").await, 0);

    // A row stored before that check matches only itself, never another loopback URI.
    let client_id = s
        .add_client("Legacy", &["HTTP://127.0.0.1/cb"], None, "memories:read")
        .await;
    let mut b = s.signed_in("alice").await;
    for stolen in ["HTTP://localhost:4444/anything", "HTTP://127.0.0.1:4444/cb"] {
        let page = b.get(&url_with(&s, &client_id, stolen, &[])).await.unwrap();
        assert_error_page(&page);
    }
    assert_eq!(s.grant_rows().await, 0);
}

#[tokio::test]
async fn every_error_redirect_carries_iss_equal_to_the_issuer_once() {
    // MCP 2026-07-28 / RFC 9207: `iss` on authorization error responses too, so a client can
    // tell which server sent the error (mix-up attacks) before acting on it.
    let s = TestServer::start().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut signed_in = s.signed_in("alice").await;
    let mut anonymous = Browser::new(&s.issuer);
    let cases = [
        (
            &mut signed_in,
            url_with(
                &s,
                c.client_id(),
                REDIRECT,
                &[("resource", "https://other.example/api/mcp")],
            ),
            "invalid_target",
        ),
        (
            &mut anonymous,
            url_with(&s, c.client_id(), REDIRECT, &[("prompt", "none")]),
            "login_required",
        ),
    ];
    for (browser, url, error) in cases {
        let page = browser.get(&url).await.unwrap();
        assert_eq!(page.status, 302, "{error}");
        let location = page.location().unwrap();
        assert_eq!(query_param(location, "error").as_deref(), Some(error));
        assert_eq!(
            query_param(location, "iss").as_deref(),
            Some(s.issuer.as_str()),
            "{location}"
        );
        assert_eq!(location.matches("iss=").count(), 1, "{location}");
        assert_eq!(query_param(location, "state").as_deref(), Some("s1"));
    }
}
