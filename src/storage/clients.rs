//! `oauth_clients`: registered OAuth clients.

use super::{collect, first, Result, Store, StoreError};
use crate::oauth::scope::ScopeSet;

/// How a client authenticates at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

impl AuthMethod {
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        match s {
            "none" => Some(AuthMethod::None),
            "client_secret_post" => Some(AuthMethod::ClientSecretPost),
            "client_secret_basic" => Some(AuthMethod::ClientSecretBasic),
            _ => None,
        }
    }

    pub fn is_confidential(self) -> bool {
        self != AuthMethod::None
    }
}

/// What kind of application a dynamically registered client says it is (OpenID Connect
/// Dynamic Client Registration §2 `application_type`, which MCP 2026-07-28 asks clients to
/// send). It decides which redirect URIs it may register (`oauth::redirect_uri::validate_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// Runs on the user's device: redirects to a loopback address.
    Native,
    /// Runs on a web server: redirects over https to a public host.
    Web,
}

impl ApplicationType {
    pub const fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Native => "native",
            ApplicationType::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicationType> {
        match s {
            "native" => Some(ApplicationType::Native),
            "web" => Some(ApplicationType::Web),
            _ => None,
        }
    }
}

/// How the client came to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// `mcp-oauth client register`, by an operator.
    Cli,
    /// RFC 7591 dynamic client registration.
    Dynamic,
    /// A Client ID Metadata Document: the client_id is the document's https URL
    /// (`oauth::cimd`); name and redirect URIs come from the document.
    MetadataDocument,
}

impl Registration {
    pub const fn as_str(self) -> &'static str {
        match self {
            Registration::Cli => "cli",
            Registration::Dynamic => "dynamic",
            Registration::MetadataDocument => "metadata_document",
        }
    }
}

/// One row of `oauth_clients`.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client_id: String,
    pub client_name: String,
    pub secret_hash: Option<String>,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub redirect_uris: Vec<String>,
    pub scopes: ScopeSet,
    pub auth_method: AuthMethod,
    pub user_id: Option<String>,
    pub registration: Registration,
    pub created_at: i64,
    pub secret_rotated_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub disabled_at: Option<i64>,
    /// As registered; `None` for clients that gave none and for operator-registered ones.
    pub application_type: Option<ApplicationType>,
    /// When a metadata document client's name and redirect URIs were last taken from its document.
    pub metadata_document_fetched_at: Option<i64>,
}

impl ClientRecord {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

/// What a new client is made of; its secret is already hashed.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub client_id: String,
    pub client_name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: ScopeSet,
    pub auth_method: AuthMethod,
    pub user_id: Option<String>,
    pub registration: Registration,
    pub created_at: i64,
}

/// The columns [`decode`] reads, in its order: a macro so that statements are constants
/// (`concat!`), which the statement cache keys on.
macro_rules! columns {
    () => {
        "client_id, client_name, secret_hash, previous_secret_hash, previous_secret_expires_at, \
         redirect_uris, scopes, token_endpoint_auth_method, user_id, registration, created_at, \
         secret_rotated_at, last_used_at, disabled_at, application_type, metadata_document_fetched_at"
    };
}

fn decode(r: &libsql::Row) -> Result<ClientRecord> {
    let redirect_json: String = r.get(5)?;
    let redirect_uris: Vec<String> =
        serde_json::from_str(&redirect_json).map_err(|e| StoreError::Corrupt {
            what: "oauth_clients.redirect_uris",
            detail: e.to_string(),
        })?;
    let method: String = r.get(7)?;
    let registration: String = r.get(9)?;
    let metadata_document_fetched_at: Option<i64> = r.get(15)?;
    Ok(ClientRecord {
        client_id: r.get(0)?,
        client_name: r.get(1)?,
        secret_hash: r.get(2)?,
        previous_secret_hash: r.get(3)?,
        previous_secret_expires_at: r.get(4)?,
        redirect_uris,
        scopes: ScopeSet::parse_lenient(&r.get::<String>(6)?),
        auth_method: AuthMethod::parse(&method).ok_or(StoreError::Corrupt {
            what: "oauth_clients.token_endpoint_auth_method",
            detail: method.clone(),
        })?,
        user_id: r.get(8)?,
        registration: if metadata_document_fetched_at.is_some() {
            Registration::MetadataDocument
        } else if registration == "dynamic" {
            Registration::Dynamic
        } else {
            Registration::Cli
        },
        created_at: r.get(10)?,
        secret_rotated_at: r.get(11)?,
        last_used_at: r.get(12)?,
        disabled_at: r.get(13)?,
        application_type: r
            .get::<Option<String>>(14)?
            .map(|t| {
                ApplicationType::parse(&t).ok_or(StoreError::Corrupt {
                    what: "oauth_clients.application_type",
                    detail: t.clone(),
                })
            })
            .transpose()?,
        metadata_document_fetched_at,
    })
}

pub async fn insert(store: &Store, client: &NewClient) -> Result<()> {
    insert_with_application_type(store, client, None).await
}

/// [`insert`], recording the `application_type` a dynamically registered client gave.
pub async fn insert_with_application_type(
    store: &Store,
    client: &NewClient,
    application_type: Option<ApplicationType>,
) -> Result<()> {
    let redirect_json = serde_json::to_string(&client.redirect_uris).expect("strings serialize");
    store
        .execute_write(
            "INSERT INTO oauth_clients (client_id, client_name, secret_hash, redirect_uris, scopes, \
         token_endpoint_auth_method, user_id, registration, created_at, application_type) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            libsql::params![
                client.client_id.as_str(),
                client.client_name.as_str(),
                client.secret_hash.clone(),
                redirect_json,
                client.scopes.to_string(),
                client.auth_method.as_str(),
                client.user_id.clone(),
                client.registration.as_str(),
                client.created_at,
                application_type.map(ApplicationType::as_str),
            ],
        )
        .await?;
    Ok(())
}

/// Records a client known by its metadata document, or brings its row up to date with the
/// document (name, redirect URIs, scopes); returns the row as it now stands. A row the
/// document does not change is not written. A disabled client stays disabled; a client_id an
/// operator or dynamic registration already holds is never taken over (`None`).
pub async fn upsert_metadata_document(
    store: &Store,
    client_id: &str,
    client_name: &str,
    redirect_uris: &[String],
    scopes: &ScopeSet,
    now: i64,
) -> Result<Option<ClientRecord>> {
    if let Some(existing) = find(store, client_id).await? {
        if existing.registration != Registration::MetadataDocument {
            return Ok(None);
        }
        if existing.client_name == client_name
            && existing.redirect_uris == redirect_uris
            && existing.scopes == *scopes
        {
            return Ok(Some(existing));
        }
    }
    let redirect_json = serde_json::to_string(redirect_uris).expect("strings serialize");
    store
        .execute_write(
            "INSERT INTO oauth_clients (client_id, client_name, secret_hash, redirect_uris, scopes, \
             token_endpoint_auth_method, user_id, registration, created_at, metadata_document_fetched_at) \
             VALUES (?1, ?2, NULL, ?3, ?4, 'none', NULL, 'dynamic', ?5, ?5) \
             ON CONFLICT (client_id) DO UPDATE SET client_name = excluded.client_name, \
               redirect_uris = excluded.redirect_uris, scopes = excluded.scopes, \
               metadata_document_fetched_at = excluded.metadata_document_fetched_at \
             WHERE oauth_clients.metadata_document_fetched_at IS NOT NULL",
            libsql::params![client_id, client_name, redirect_json, scopes.to_string(), now],
        )
        .await?;
    find(store, client_id)
        .await
        .map(|c| c.filter(|c| c.registration == Registration::MetadataDocument))
}

pub async fn find(store: &Store, client_id: &str) -> Result<Option<ClientRecord>> {
    let conn = store.connection().await?;
    let find = conn
        .cached(concat!(
            "SELECT ",
            columns!(),
            " FROM oauth_clients WHERE client_id = ?1"
        ))
        .await?;
    first(find.query([client_id]).await?, decode).await
}

/// Every client, newest first.
pub async fn list(store: &Store) -> Result<Vec<ClientRecord>> {
    let conn = store.connection().await?;
    let rows = conn
        .query(
            concat!(
                "SELECT ",
                columns!(),
                " FROM oauth_clients ORDER BY created_at DESC, client_id"
            ),
            (),
        )
        .await?;
    collect(rows, decode).await
}

/// Replaces the secret. With a grace period the old hash stays valid until `previous_expires_at`;
/// without one (`None`) it stops working at once. Returns false if the client does not exist.
pub async fn rotate_secret(
    store: &Store,
    client_id: &str,
    new_hash: &str,
    previous_expires_at: Option<i64>,
    now: i64,
) -> Result<bool> {
    // One statement, so the old hash moves to `previous_secret_hash` atomically.
    let changed = store
        .execute_write(
            "UPDATE oauth_clients SET \
               previous_secret_hash = CASE WHEN ?3 IS NULL THEN NULL ELSE secret_hash END, \
               previous_secret_expires_at = ?3, \
               secret_hash = ?2, secret_rotated_at = ?4, \
               token_endpoint_auth_method = CASE token_endpoint_auth_method WHEN 'none' THEN 'client_secret_basic' ELSE token_endpoint_auth_method END \
             WHERE client_id = ?1",
            libsql::params![client_id, new_hash, previous_expires_at, now],
        )
        .await?;
    Ok(changed > 0)
}

/// Records that the client authenticated or was used, for `client list`. Best effort.
pub async fn touch_last_used(store: &Store, client_id: &str, now: i64) -> Result<()> {
    // Skip the write when it was touched within the last minute: this runs on every grant.
    store.execute_write(
        "UPDATE oauth_clients SET last_used_at = ?2 WHERE client_id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 60)",
        libsql::params![client_id, now],
    )
    .await?;
    Ok(())
}

/// Deletes a client and every code and token it holds, in one transaction.
/// Returns the number of tokens and codes removed with it, or `None` if there was no such client.
pub async fn delete(store: &Store, client_id: &str) -> Result<Option<u64>> {
    let tx = store.begin_write().await?;
    tx.note_revocation();
    let mut removed = 0;
    for table in [
        "oauth_refresh_tokens",
        "oauth_access_tokens",
        "oauth_authorization_codes",
    ] {
        removed += tx
            .execute(&format!("DELETE FROM {table} WHERE client_id = ?1"), [client_id])
            .await?;
    }
    let deleted = tx
        .execute("DELETE FROM oauth_clients WHERE client_id = ?1", [client_id])
        .await?;
    if deleted == 0 {
        return Ok(None); // dropped: rolled back, nothing was there
    }
    tx.commit().await?;
    Ok(Some(removed))
}
