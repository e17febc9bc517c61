//! Client ID Metadata Documents end to end: documents served by a loopback https server signed
//! by a throw-away certificate authority, reached through the same settings an operator uses
//! (`--cimd-trusted-host`, `--extra-ca-file`). Every attack test asserts the page the user
//! sees, that no code, token or client row was made, and, where the address is one this test
//! controls, that nothing connected to it.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestServer, REDIRECT};
use mcp_oauth::client::{self, mcp::McpClient, ClientAuth};
use mcp_oauth::http::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One canned answer of the document server.
#[derive(Clone)]
struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Send the headers, then nothing more.
    stall: bool,
}

impl Canned {
    fn json(body: String) -> Canned {
        Canned {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into_bytes(),
            stall: false,
        }
    }
}

/// A loopback https server with a certificate for 127.0.0.1, ::1 and localhost, signed by a
/// fresh CA; it counts the TCP connections it accepts.
struct DocServer {
    addr: SocketAddr,
    ca_pem: String,
    connections: Arc<AtomicUsize>,
    routes: Arc<Mutex<HashMap<String, Canned>>>,
}

impl DocServer {
    async fn start(bind: &str) -> Option<DocServer> {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mcp-oauth throw-away test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let leaf_params = rcgen::CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "::1".to_string(),
            "localhost".to_string(),
        ])
        .expect("leaf params");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("leaf cert");

        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let tls = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .expect("tls config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind(bind).await.ok()?;
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let routes: Arc<Mutex<HashMap<String, Canned>>> = Arc::default();
        let (count, table) = (connections.clone(), routes.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let (acceptor, table) = (acceptor.clone(), table.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let canned = table.lock().unwrap().get(&path).cloned().unwrap_or(Canned {
                        status: 404,
                        headers: vec![],
                        body: vec![],
                        stall: false,
                    });
                    let mut out = format!("HTTP/1.1 {} X\r\n", canned.status);
                    for (k, v) in &canned.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    if canned.stall {
                        out.push_str("content-length: 100\r\n\r\n");
                        let _ = tls.write_all(out.as_bytes()).await;
                        let _ = tls.flush().await;
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    out.push_str(&format!(
                        "content-length: {}\r\nconnection: close\r\n\r\n",
                        canned.body.len()
                    ));
                    let _ = tls.write_all(out.as_bytes()).await;
                    let _ = tls.write_all(&canned.body).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Some(DocServer {
            addr,
            ca_pem: ca_cert.pem(),
            connections,
            routes,
        })
    }

    /// `https://<addr>/<path>`, the client_id of the document served there.
    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    fn serve(&self, path: &str, canned: Canned) {
        self.routes.lock().unwrap().insert(path.to_string(), canned);
    }

    /// A valid document for `path` listing the loopback test redirect URI.
    fn serve_client(&self, path: &str) -> String {
        let id = self.url(path);
        self.serve(path, Canned::json(document(&id, "")));
        id
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The server settings that trust this document server.
    fn trust(&self, config: &mut ServerConfig) {
        config.cimd.trusted_hosts = vec![self.addr.to_string()];
        config.cimd.extra_roots =
            reqwest::Certificate::from_pem_bundle(self.ca_pem.as_bytes()).expect("ca pem");
        config.cimd.total_timeout = Duration::from_secs(1);
    }
}

fn document(client_id: &str, extra: &str) -> String {
    format!(
        r#"{{"client_id":"{client_id}","client_name":"Doc Client","redirect_uris":["{REDIRECT}"],"token_endpoint_auth_method":"none"{extra}}}"#
    )
}

async fn start(docs: &DocServer) -> TestServer {
    TestServer::start_with(|c| docs.trust(c)).await
}

/// GET the authorization request for `client_id` as a signed-in user: the page answered.
async fn authorize_page(server: &TestServer, client_id: &str) -> client::Page {
    let mut browser = server.signed_in("alice").await;
    let (url, _) = server.authorize_request(&ClientAuth::Public(client_id.to_string()), "st");
    browser.get(&url).await.expect("authorize")
}

/// Refused with an error page naming `reason`, and nothing stored for it.
async fn assert_refused(server: &TestServer, page: &client::Page, reason: &str) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.location().is_none());
    assert!(page.body.contains(reason), "expected `{reason}` in {}", page.body);
    assert_eq!(server.grant_rows().await, 0);
    assert_eq!(server.count("SELECT count(*) FROM oauth_clients").await, 0);
}

#[tokio::test]
async fn a_metadata_document_client_completes_the_whole_flow_and_calls_mcp() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.serve_client("/oauth/client.json");

    let meta = common::json(
        server
            .http
            .get(server.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(meta["client_id_metadata_document_supported"], true);

    let client = ClientAuth::Public(client_id.clone());
    let mut browser = server.signed_in("alice").await;
    let (url, pkce) = server.authorize_request(&client, "st");
    let consent = browser.get(&url).await.unwrap();
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(consent.body.contains("Doc Client"));
    // The consent page names who published the document and warns that the code goes to a
    // program on this machine.
    assert!(
        consent.body.contains("Published by 127.0.0.1"),
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains("a program on this computer"),
        "{}",
        consent.body
    );
    let code = browser.authorize(&url).await.expect("code");
    let resp = client::exchange_code(
        &server.http,
        &server.issuer,
        &client,
        &code,
        REDIRECT,
        Some(&pkce.verifier),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let tokens: client::TokenResponse = resp.json().await.unwrap();

    let mcp = McpClient::new(
        server.http.clone(),
        &server.resource(),
        Some(&tokens.access_token),
    );
    assert!(!mcp.list_tools().await.expect("tools/list").is_empty());

    // Recorded like any client: a public row marked as a metadata document client.
    let row = mcp_oauth::storage::clients::find(&server.store, &client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.registration,
        mcp_oauth::storage::clients::Registration::MetadataDocument
    );
    assert!(row.is_public());
    assert_eq!(row.client_name, "Doc Client");
    assert_eq!(row.redirect_uris, [REDIRECT]);

    // Cached: a second authorization does not fetch again.
    let fetched = docs.connections();
    let (url, _) = server.authorize_request(&client, "st2");
    assert_eq!(browser.get(&url).await.unwrap().status, 200);
    assert_eq!(docs.connections(), fetched);

    // The refresh token rotates and revocation accepts the URL client_id without a secret.
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    let resp = client::refresh(&server.http, &server.issuer, &client, &refresh)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let rotated: client::TokenResponse = resp.json().await.unwrap();
    assert_ne!(rotated.refresh_token.as_deref(), Some(refresh.as_str()));
    let resp = client::revoke(&server.http, &server.issuer, &client, &rotated.access_token)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(!server.bearer_ok(&rotated.access_token).await);
}

#[tokio::test]
async fn a_document_is_not_fetched_before_the_user_signs_in() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.serve_client("/c.json");
    let (url, _) = server.authorize_request(&ClientAuth::Public(client_id), "st");
    let mut browser = client::Browser::new(&server.issuer);
    let page = browser.get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    assert!(
        page.location().unwrap().contains("/api/oauth/login"),
        "{:?}",
        page.location()
    );
    let none = browser.get(&format!("{url}&prompt=none")).await.unwrap();
    assert_eq!(none.status, 400);
    assert!(none.location().is_none());
    assert_eq!(docs.connections(), 0);
    assert_eq!(server.count("SELECT count(*) FROM oauth_clients").await, 0);
}

#[tokio::test]
async fn a_disabled_metadata_document_client_is_refused_without_fetching() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.serve_client("/c.json");
    let mut browser = server.signed_in("alice").await;
    let (url, _) = server.authorize_request(&ClientAuth::Public(client_id.clone()), "st");
    assert_eq!(browser.get(&url).await.unwrap().status, 200);
    server
        .store
        .execute_write(
            "UPDATE oauth_clients SET disabled_at = 1 WHERE client_id = ?1",
            [client_id.as_str()],
        )
        .await
        .unwrap();
    let before = docs.connections();
    let page = browser.get(&url).await.unwrap();
    assert_eq!(page.status, 400);
    assert!(page.body.contains("disabled"), "{}", page.body);
    assert_eq!(docs.connections(), before);
}

#[tokio::test]
async fn client_id_on_untrusted_loopback_127_0_0_1_is_not_fetched() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let client_id = docs.serve_client("/c.json");
    // The CA is trusted but the host is not: the address policy must refuse before connecting.
    let server = TestServer::start_with(|c| {
        docs.trust(c);
        c.cimd.trusted_hosts.clear();
    })
    .await;
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "host 127.0.0.1 is not at a public address").await;
    assert_eq!(docs.connections(), 0);
}

#[tokio::test]
async fn client_id_naming_localhost_that_resolves_to_loopback_is_not_fetched() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    docs.serve_client("/c.json");
    let server = start(&docs).await; // trusts 127.0.0.1:PORT, not localhost:PORT
    let client_id = format!("https://localhost:{}/c.json", docs.addr.port());
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "host localhost is not at a public address").await;
    assert_eq!(docs.connections(), 0);
}

#[tokio::test]
async fn client_id_on_ipv6_loopback_is_not_fetched() {
    // Where the machine has no ::1, the policy is still exercised on the literal address.
    let docs = DocServer::start("[::1]:0").await;
    let port = docs.as_ref().map_or(443, |d| d.addr.port());
    let client_id = format!("https://[::1]:{port}/c.json");
    if let Some(d) = &docs {
        d.serve("/c.json", Canned::json(document(&client_id, "")));
    }
    let server = TestServer::start().await;
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "host [::1] is not at a public address").await;
    assert_eq!(docs.map_or(0, |d| d.connections()), 0);
}

#[tokio::test]
async fn client_id_on_private_10_0_0_1_is_refused_before_connecting() {
    // 10.0.0.1 is never contacted: the refusal names the address, which only the policy
    // (not a failed connection, which would time out) produces.
    let server = TestServer::start().await;
    let page = authorize_page(&server, "https://10.0.0.1/client.json").await;
    assert_refused(&server, &page, "host 10.0.0.1 is not at a public address").await;
}

#[tokio::test]
async fn client_id_on_cloud_metadata_169_254_169_254_is_refused_before_connecting() {
    let server = TestServer::start().await;
    let page = authorize_page(&server, "https://169.254.169.254/latest/meta-data/client.json").await;
    assert_refused(&server, &page, "host 169.254.169.254 is not at a public address").await;
}

#[tokio::test]
async fn a_redirect_from_the_document_url_is_not_followed() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.url("/moved.json");
    docs.serve(
        "/moved.json",
        Canned {
            status: 302,
            headers: vec![(
                "location".into(),
                "https://169.254.169.254/latest/meta-data/".into(),
            )],
            body: vec![],
            stall: false,
        },
    );
    let page = authorize_page(&server, &client_id).await;
    assert_refused(
        &server,
        &page,
        "answered with a redirect (302), which is not followed",
    )
    .await;
    assert_eq!(docs.connections(), 1);
}

#[tokio::test]
async fn a_document_larger_than_5_kb_is_refused() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.url("/big.json");
    let padding = format!(r#","padding":"{}""#, "x".repeat(6 * 1024));
    docs.serve("/big.json", Canned::json(document(&client_id, &padding)));
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "larger than 5 KB").await;
}

#[tokio::test]
async fn a_document_that_never_finishes_arriving_times_out() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.url("/slow.json");
    docs.serve(
        "/slow.json",
        Canned {
            stall: true,
            ..Canned::json(String::new())
        },
    );
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "took too long").await;
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_refused() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.url("/impostor.json");
    docs.serve(
        "/impostor.json",
        Canned::json(document("https://claude.ai/oauth/client.json", "")),
    );
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "client_id is not the URL it was fetched from").await;
}

#[tokio::test]
async fn a_document_with_client_secret_basic_is_refused() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.url("/secret.json");
    let body = format!(
        r#"{{"client_id":"{client_id}","client_name":"Doc Client","redirect_uris":["{REDIRECT}"],"token_endpoint_auth_method":"client_secret_basic"}}"#
    );
    docs.serve("/secret.json", Canned::json(body));
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "shared-secret token_endpoint_auth_method").await;
}

#[tokio::test]
async fn a_redirect_uri_not_in_the_document_is_refused_without_redirecting() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let client_id = docs.serve_client("/c.json");
    let mut browser = server.signed_in("alice").await;
    let pkce = client::PkcePair::generate();
    let url = client::authorize_url(
        &server.issuer,
        &client::AuthorizeUrl {
            client_id: &client_id,
            redirect_uri: "https://evil.example/callback",
            code_challenge: Some(&pkce.challenge),
            state: Some("st"),
            ..client::AuthorizeUrl::default()
        },
    );
    let page = browser.get(&url).await.unwrap();
    assert_eq!(page.status, 400);
    assert!(page.location().is_none());
    assert!(
        page.body.contains("not one this application registered"),
        "{}",
        page.body
    );
    assert_eq!(server.grant_rows().await, 0);
}

#[tokio::test]
async fn with_cimd_off_a_url_client_id_is_refused_and_not_advertised() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let client_id = docs.serve_client("/c.json");
    let server = TestServer::start_with(|c| {
        docs.trust(c);
        c.cimd.enabled = false;
    })
    .await;
    let meta = common::json(
        server
            .http
            .get(server.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(meta["client_id_metadata_document_supported"], false);
    let page = authorize_page(&server, &client_id).await;
    assert_refused(&server, &page, "does not accept client metadata documents").await;
    assert_eq!(docs.connections(), 0);
}

#[tokio::test]
async fn fetches_from_one_host_are_limited_per_minute() {
    // Errors are never cached, so every request for a missing document is a fetch: after 20
    // in a minute the host is not contacted again.
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let server = start(&docs).await;
    let mut browser = server.signed_in("alice").await;
    for i in 0..20 {
        let (url, _) =
            server.authorize_request(&ClientAuth::Public(docs.url(&format!("/missing/{i}"))), "st");
        let page = browser.get(&url).await.unwrap();
        assert!(page.body.contains("answered with status 404"), "{}", page.body);
    }
    assert_eq!(docs.connections(), 20);
    let (url, _) = server.authorize_request(&ClientAuth::Public(docs.url("/missing/last")), "st");
    let page = browser.get(&url).await.unwrap();
    assert_refused(
        &server,
        &page,
        "too many client metadata documents fetched from this host",
    )
    .await;
    assert_eq!(docs.connections(), 20);
}

#[tokio::test]
async fn with_cimd_turned_off_a_metadata_document_client_gets_no_more_tokens_but_may_revoke() {
    let docs = DocServer::start("127.0.0.1:0").await.expect("bind");
    let on = start(&docs).await;
    let client = ClientAuth::Public(docs.serve_client("/c.json"));
    let mut browser = on.signed_in("alice").await;
    let tokens = on.tokens_for(&mut browser, &client).await;

    // The same database, served again with --cimd off.
    let off = TestServer::start_on(on.store.clone(), |c| c.cimd.enabled = false).await;
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    let resp = client::refresh(&off.http, &off.issuer, &client, &refresh)
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(common::json(resp).await["error"], "invalid_client");
    let resp = client::revoke(&off.http, &off.issuer, &client, &refresh)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        off.count("SELECT count(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
}
