//! `--login clerk`: Clerk session JWTs (RS256) in the `__session` cookie and as Bearer tokens
//! to `/api/mcp`, with keys generated here.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{TestServer, REDIRECT};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_oauth::client::{query_param, Browser};
use mcp_oauth::http::LoginMode;
use mcp_oauth::login::clerk::Clerk;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;

const SIGN_IN: &str = "https://accounts.example.com/sign-in";
const PARTY: &str = "https://ai-memory.app";

struct Keys {
    private_pem: String,
    public_pem: String,
}

fn keypair() -> Keys {
    let mut rng = rand_core_rng();
    let private = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("rsa key");
    Keys {
        private_pem: private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
    }
}

fn rand_core_rng() -> rsa::rand_core::OsRng {
    rsa::rand_core::OsRng
}

/// Two keypairs, made once per test binary (RSA generation is the slow part).
fn keys() -> &'static (Keys, Keys) {
    static KEYS: OnceLock<(Keys, Keys)> = OnceLock::new();
    KEYS.get_or_init(|| (keypair(), keypair()))
}

fn now() -> i64 {
    mcp_oauth::clock::now()
}

fn jwt(private_pem: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &claims,
        &EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn valid_claims() -> serde_json::Value {
    json!({"sub": "user_clerk_1", "sid": "sess_1", "azp": PARTY, "iat": now() - 5, "nbf": now() - 5, "exp": now() + 60})
}

async fn clerk_server() -> TestServer {
    let clerk = Clerk::with_pem(
        &keys().0.public_pem,
        vec![PARTY.to_string()],
        Some(SIGN_IN.to_string()),
    )
    .unwrap();
    TestServer::start_full(|c| c.login = LoginMode::Clerk, Some(clerk)).await
}

fn unsigned(claims: &serde_json::Value) -> String {
    use base64::Engine;
    let e = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    format!("{}.{}.", e(&json!({"alg": "none", "typ": "JWT"})), e(claims))
}

/// The refused tokens: expired, signed by another key, for another party, unsigned.
fn bad_tokens() -> Vec<(&'static str, String)> {
    let mut expired = valid_claims();
    expired["exp"] = json!(now() - 3600);
    let mut wrong_azp = valid_claims();
    wrong_azp["azp"] = json!("https://evil.example");
    vec![
        ("expired", jwt(&keys().0.private_pem, expired)),
        ("wrong key", jwt(&keys().1.private_pem, valid_claims())),
        ("wrong azp", jwt(&keys().0.private_pem, wrong_azp)),
        ("alg none", unsigned(&valid_claims())),
    ]
}

#[tokio::test]
async fn valid_clerk_session_reaches_consent_and_tokens_bind_to_the_clerk_user() {
    let s = clerk_server().await;
    let c = s.public_client(&[REDIRECT]).await;
    let mut b = Browser::new(&s.issuer);
    b.set_cookie("__session", &jwt(&keys().0.private_pem, valid_claims()));
    let t = s.tokens_for(&mut b, &c).await;
    let p = s.server.state.authenticate_bearer(&t.access_token).await.unwrap();
    assert_eq!(p.user_id, "user_clerk_1");
}

#[tokio::test]
async fn missing_session_is_sent_to_clerk_sign_in_with_the_authorize_url() {
    let s = clerk_server().await;
    let c = s.public_client(&[REDIRECT]).await;
    let (url, _) = s.authorize_request(&c, "st");
    let mut b = Browser::new(&s.issuer);
    let page = b.get(&url).await.unwrap();
    assert_eq!(page.status, 302);
    let loc = page.location().unwrap();
    assert!(loc.starts_with(&format!("{SIGN_IN}?redirect_url=")), "{loc}");
    assert_eq!(query_param(loc, "redirect_url").as_deref(), Some(url.as_str()));
    // No local login form in Clerk mode.
    assert_eq!(b.get("/api/oauth/login").await.unwrap().status, 404);
}

#[tokio::test]
async fn expired_wrong_key_wrong_azp_and_alg_none_sessions_are_refused() {
    let s = clerk_server().await;
    let c = s.public_client(&[REDIRECT]).await;
    let (url, _) = s.authorize_request(&c, "st");
    for (what, token) in bad_tokens() {
        let mut b = Browser::new(&s.issuer);
        b.set_cookie("__session", &token);
        let page = b.get(&url).await.unwrap();
        assert_eq!(page.status, 302, "{what}");
        assert!(page.location().unwrap().starts_with(SIGN_IN), "{what}");
    }
}

#[tokio::test]
async fn clerk_session_jwt_is_accepted_as_bearer_with_every_scope() {
    let s = clerk_server().await;
    let p = s
        .server
        .state
        .authenticate_bearer(&jwt(&keys().0.private_pem, valid_claims()))
        .await
        .unwrap();
    assert_eq!(p.user_id, "user_clerk_1");
    assert_eq!(p.client_id, None);
    assert_eq!(p.scopes, mcp_oauth::oauth::scope::ScopeSet::all());
    for (what, token) in bad_tokens() {
        assert!(
            s.server.state.authenticate_bearer(&token).await.is_err(),
            "{what}"
        );
    }
}

#[tokio::test]
async fn clerk_jwt_is_not_accepted_as_bearer_in_local_mode() {
    let s = TestServer::start().await;
    assert!(s
        .server
        .state
        .authenticate_bearer(&jwt(&keys().0.private_pem, valid_claims()))
        .await
        .is_err());
}

/// Serves `body` as JSON to every request; counts the requests.
async fn jwks_server(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (url, hits)
}

#[tokio::test]
async fn jwks_keys_are_fetched_once_and_unknown_kids_refused() {
    use base64::Engine;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    let public = rsa::RsaPublicKey::from_public_key_pem(&keys().0.public_pem).unwrap();
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "ins_1", "use": "sig", "alg": "RS256", "n": b64(public.n().to_bytes_be()), "e": b64(public.e().to_bytes_be())}]});
    let (url, hits) = jwks_server(jwks.to_string()).await;
    let clerk = Clerk::with_jwks_url(&url, vec![], None);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ins_1".into());
    let key = EncodingKey::from_rsa_pem(keys().0.private_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &valid_claims(), &key).unwrap();
    for _ in 0..3 {
        assert_eq!(clerk.verify(&token).await.unwrap().user_id, "user_clerk_1");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "keys are cached");
    header.kid = Some("ins_other".into());
    let other = jsonwebtoken::encode(&header, &valid_claims(), &key).unwrap();
    assert!(clerk.verify(&other).await.is_err());
    let other_key = EncodingKey::from_rsa_pem(keys().1.private_pem.as_bytes()).unwrap();
    header.kid = Some("ins_1".into());
    assert!(clerk
        .verify(&jsonwebtoken::encode(&header, &valid_claims(), &other_key).unwrap())
        .await
        .is_err());
}

#[tokio::test]
async fn a_session_token_from_another_clerk_issuer_is_refused() {
    const ISSUER: &str = "https://clerk.ai-memory.app";
    let clerk = Clerk::with_pem(
        &keys().0.public_pem,
        vec![PARTY.to_string()],
        Some(SIGN_IN.to_string()),
    )
    .unwrap()
    .with_issuer(Some(format!("{ISSUER}/")));
    let s = TestServer::start_full(|c| c.login = LoginMode::Clerk, Some(clerk)).await;
    let c = s.public_client(&[REDIRECT]).await;
    let (url, _) = s.authorize_request(&c, "st");
    let with_iss = |iss: Option<&str>| {
        let mut claims = valid_claims();
        if let Some(iss) = iss {
            claims["iss"] = json!(iss);
        }
        jwt(&keys().0.private_pem, claims)
    };
    for (why, token) in [
        ("other issuer", with_iss(Some("https://clerk.other-app.example"))),
        ("no iss", with_iss(None)),
        (
            "issuer as a prefix",
            with_iss(Some("https://clerk.ai-memory.app.evil.example")),
        ),
    ] {
        let mut b = Browser::new(&s.issuer);
        b.set_cookie("__session", &token);
        let page = b.get(&url).await.unwrap();
        assert_eq!(page.status, 302, "{why}");
        assert!(
            page.location().unwrap().starts_with(SIGN_IN),
            "{why}: sent to sign in"
        );
        let mcp = s
            .http
            .post(s.resource())
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(mcp.status(), 401, "{why}");
    }
    assert_eq!(s.grant_rows().await, 0);
    // The configured issuer (with or without the trailing slash) is accepted.
    for iss in [ISSUER, "https://clerk.ai-memory.app/"] {
        let mut b = Browser::new(&s.issuer);
        b.set_cookie("__session", &with_iss(Some(iss)));
        let page = b.get(&url).await.unwrap();
        assert_eq!(page.status, 200, "{iss}");
    }
}
