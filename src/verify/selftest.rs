//! The self-test: this build's server, started in-process on a free loopback port over a
//! throw-away database, with a user and a confidential client made for the run, and a Clerk
//! verifier over an RSA key generated for the run, so that `clerk.session-token` runs too, and
//! a client metadata document on a loopback https host with a CA made for the run, trusted the
//! way `--cimd-trusted-host` and `--extra-ca-file` trust one, so that `cimd.self-test-flow` runs.

use std::time::Duration;

use anyhow::Context as _;

use super::document_host::DocumentHost;
use super::run::{Given, Login, LOOPBACK_REDIRECT};
use crate::client::ClientAuth;
use crate::clock;
use crate::http::{AppState, Server, ServerConfig};
use crate::login::clerk::Clerk;
use crate::oauth::argon2_pool;
use crate::oauth::scope::ScopeSet;
use crate::secret::{self, HashCost, Kind};
use crate::storage::clients::{self, AuthMethod, NewClient, Registration};
use crate::storage::{migrations, users, DatabaseTarget, Store};

/// Short, so that `test2.refresh` sees the rotated-out refresh token fail without a long wait.
pub const REFRESH_GRACE: Duration = Duration::from_secs(1);

pub const CLIENT_NAME: &str = "mcp-oauth verify (self-test)";

/// The `client_name` of the self-test's metadata document.
pub const DOCUMENT_CLIENT_NAME: &str = "mcp-oauth verify (metadata document)";

/// A running self-test server; dropping it stops the server and deletes the database.
pub struct SelfTest {
    pub server: Server,
    pub given: Given,
    pub config: ServerConfig,
    /// Serves the client metadata document the server fetches.
    pub document_host: DocumentHost,
    // Dropped last: the directory holding the database.
    _dir: tempfile::TempDir,
}

impl SelfTest {
    /// `oauth_off`: the server starts with OAuth switched off (`verify --expect-oauth-off`).
    pub async fn start(oauth_off: bool) -> anyhow::Result<SelfTest> {
        let dir = tempfile::Builder::new()
            .prefix("mcp-oauth-verify-")
            .tempdir()
            .context("creating a temporary directory for the self-test database")?;
        let store = Store::open(&DatabaseTarget::Local(dir.path().join("verify.db"))).await?;
        migrations::apply_pending(&store).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a loopback port for the self-test server")?;
        let mut config = ServerConfig::for_listener(listener.local_addr()?);
        config.refresh_grace = REFRESH_GRACE;
        config.oauth_enabled = !oauth_off;
        let document_host = DocumentHost::start(metadata_document).await?;
        document_host.trust(&mut config.cimd)?;

        let now = clock::now();
        let username = "verify";
        let password = secret::generate(Kind::Csrf);
        users::create(
            &store,
            "usr_verify",
            username,
            &argon2_pool::hash(HashCost::Password, &password).await?,
            now,
        )
        .await?;
        let client_id = secret::generate(Kind::ClientId);
        let client_secret = secret::generate(Kind::ClientSecret);
        clients::insert(
            &store,
            &NewClient {
                client_id: client_id.clone(),
                client_name: CLIENT_NAME.into(),
                secret_hash: Some(argon2_pool::hash(HashCost::ClientSecret, &client_secret).await?),
                redirect_uris: vec![LOOPBACK_REDIRECT.into()],
                scopes: ScopeSet::all(),
                auth_method: AuthMethod::ClientSecretBasic,
                user_id: None,
                registration: Registration::Cli,
                created_at: now,
            },
        )
        .await?;

        let (clerk, session_token) = throwaway_clerk(now)?;
        let server = Server::start(
            AppState::with_clerk(config.clone(), store.clone(), Some(clerk)),
            listener,
        )?;
        let given = Given {
            client: Some(ClientAuth::Basic(client_id, client_secret)),
            client_name: Some(CLIENT_NAME.into()),
            redirect_uri: Some(LOOPBACK_REDIRECT.into()),
            login: Some(Login::Password {
                username: username.into(),
                password,
            }),
            session_token: Some(session_token),
            store: Some(store),
            metadata_document: Some(document_host.client_id()),
        };
        Ok(SelfTest {
            server,
            given,
            config,
            document_host,
            _dir: dir,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }
}

/// The self-test's client metadata document, for the URL `client_id` it is served at: a public
/// client (PKCE, no secret) with the loopback redirect URI the other flows use.
fn metadata_document(client_id: &str) -> String {
    serde_json::json!({
        "client_id": client_id,
        "client_name": DOCUMENT_CLIENT_NAME,
        "redirect_uris": [LOOPBACK_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
    .to_string()
}

/// A Clerk verifier for a key pair made now, and a session JWT it accepts: the same RS256
/// verification path a deployment's `CLERK_JWT_KEY` takes.
fn throwaway_clerk(now: i64) -> anyhow::Result<(Clerk, String)> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let private =
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).context("generating an RSA key")?;
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF)?;
    let private_pem = private.to_pkcs8_pem(LineEnding::LF)?;
    let clerk = Clerk::with_pem(&public_pem, Vec::new(), None)?;
    let claims = serde_json::json!({
        "sub": "user_verify_clerk", "sid": "sess_verify", "iat": now, "nbf": now - 5, "exp": now + 600,
    });
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes())?,
    )?;
    Ok((clerk, jwt))
}
