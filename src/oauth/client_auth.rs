//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3, OAuth 2.1 §2.4).
//!
//! Three methods: `client_secret_basic` (HTTP Basic, id and secret form-urlencoded first,
//! RFC 6749 §2.3.1), `client_secret_post` (both in the body) and `none` (a public client names
//! itself with `client_id` only). A confidential client may use either secret method, whatever
//! it registered: the TypeScript SDK sends Basic without a body `client_id`, the Python SDK
//! sends what registration told it, and refusing a correct secret over transport buys nothing.
//!
//! An unknown client and a wrong secret are indistinguishable: both are
//! [`ClientAuthError::Failed`], and an unknown client is verified against a dummy argon2 hash
//! so that the two take the same time.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::sync::OnceCell;

use super::argon2_pool;
use crate::secret::{self, HashCost};
use crate::storage::clients::{self, ClientRecord};
use crate::storage::{Store, StoreError};

/// The credentials a request presented, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Basic …`
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the form body.
    Post { client_id: String, secret: String },
    /// `client_id` alone: a public client.
    None { client_id: String },
}

impl Presented {
    pub fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Post { client_id, .. }
            | Presented::None { client_id } => client_id,
        }
    }

    pub fn used_basic(&self) -> bool {
        matches!(self, Presented::Basic { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientAuthError {
    /// The request is malformed (two methods at once, no client named): 400 `invalid_request`.
    #[error("{0}")]
    Malformed(&'static str),
    /// Unknown client, wrong or missing secret, disabled client: 401 `invalid_client`, always
    /// the same answer. `basic` says whether to add `WWW-Authenticate: Basic`.
    #[error("client authentication failed")]
    Failed { basic: bool },
    /// The argon2 pool is saturated, so the secret could not be checked: 503, and not counted
    /// as a failure (a client with the right secret must not be throttled for the server's load).
    #[error(transparent)]
    Busy(#[from] argon2_pool::Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the credentials from the `Authorization` header value and the form's `client_id` and
/// `client_secret`. An empty `client_secret` counts as absent (some clients send one for
/// public clients).
pub fn extract(
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Presented, ClientAuthError> {
    let form_secret = form_secret.filter(|s| !s.is_empty());
    let form_client_id = form_client_id.filter(|s| !s.is_empty());
    if let Some(value) = authorization {
        let Some(encoded) = strip_scheme(value, "basic") else {
            // Some other scheme (a Bearer token sent by mistake): not a client credential.
            return Err(ClientAuthError::Failed { basic: false });
        };
        let (client_id, secret) = decode_basic(encoded).ok_or(ClientAuthError::Failed { basic: true })?;
        if form_secret.is_some() {
            return Err(ClientAuthError::Malformed(
                "use one client authentication method, not both Basic and client_secret",
            ));
        }
        if form_client_id.is_some_and(|id| id != client_id) {
            return Err(ClientAuthError::Failed { basic: true });
        }
        return Ok(Presented::Basic { client_id, secret });
    }
    let Some(client_id) = form_client_id else {
        return Err(ClientAuthError::Malformed(
            "the client must authenticate (HTTP Basic) or name itself with client_id",
        ));
    };
    Ok(match form_secret {
        Some(secret) => Presented::Post {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
        },
        None => Presented::None {
            client_id: client_id.to_string(),
        },
    })
}

/// `Basic abc` → `abc`, scheme case-insensitive.
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.trim().split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// RFC 6749 §2.3.1: base64 of `urlencode(id):urlencode(secret)`.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let raw = STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    let id = form_decode(id)?;
    let secret = form_decode(secret)?;
    (!id.is_empty()).then_some((id, secret))
}

fn form_decode(s: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// Remembers secrets already verified against a client's current stored hash.
///
/// Argon2 is slow by design, and client secrets are stored as argon2id because the contract
/// asks for it. But a client secret is 256 bits from a CSPRNG, not a password: what argon2
/// protects (a leaked database being guessed offline) is not weakened by remembering, in this
/// process's memory only, that SHA-256(secret) was already proven correct for the exact PHC
/// string now stored. Entries are keyed by client and PHC, so a rotation or deletion (which
/// changes or removes the PHC) makes them unreachable at once; the comparison is constant-time;
/// a wrong secret never matches an entry and always pays for a full argon2 verification (and is
/// rate-limited). Memory holds only digests of unguessable values, never the secrets.
#[derive(Default)]
pub struct SecretCache {
    entries: Mutex<HashMap<String, CachedSecret>>,
}

struct CachedSecret {
    phc: String,
    secret_digest: Vec<u8>,
}

/// Far more than a deployment has clients; when reached, the cache starts over.
const CACHE_CAPACITY: usize = 10_000;

impl SecretCache {
    fn remembers(&self, client_id: &str, phc: &str, secret_digest: &[u8]) -> bool {
        let entries = lock(&self.entries);
        entries
            .get(client_id)
            .is_some_and(|e| e.phc == phc && secret::constant_time_eq(&e.secret_digest, secret_digest))
    }

    fn remember(&self, client_id: &str, phc: &str, secret_digest: Vec<u8>) {
        let mut entries = lock(&self.entries);
        if entries.len() >= CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(
            client_id.to_string(),
            CachedSecret {
                phc: phc.to_string(),
                secret_digest,
            },
        );
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A hash no secret matches, with the parameters real client secrets use, verified when the
/// client is unknown so that "no such client" costs what "wrong secret" costs.
async fn dummy_hash() -> String {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async {
            argon2_pool::hash(
                HashCost::ClientSecret,
                &secret::generate(secret::Kind::ClientSecret),
            )
            .await
        })
        .await
        .cloned()
        // A saturated pool refuses the verification that follows just as fast.
        .unwrap_or_default()
}

/// Checks the presented credentials; returns the client they prove.
pub async fn authenticate(
    store: &Store,
    cache: &SecretCache,
    presented: &Presented,
    now: i64,
) -> Result<ClientRecord, ClientAuthError> {
    let failed = ClientAuthError::Failed {
        basic: presented.used_basic(),
    };
    let client = clients::find(store, presented.client_id()).await?;
    match presented {
        Presented::None { .. } => match client {
            Some(c) if c.is_public() && c.disabled_at.is_none() => Ok(c),
            _ => Err(failed),
        },
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            let Some(client) = client else {
                verify_off_thread(secret.clone(), dummy_hash().await).await?;
                return Err(failed);
            };
            if verify_secret(cache, &client, secret, now).await? && client.disabled_at.is_none() {
                Ok(client)
            } else {
                Err(failed)
            }
        }
    }
}

/// The current hash, then the previous one while its rotation grace lasts.
async fn verify_secret(
    cache: &SecretCache,
    client: &ClientRecord,
    secret: &str,
    now: i64,
) -> Result<bool, argon2_pool::Busy> {
    let previous = client
        .previous_secret_hash
        .as_deref()
        .filter(|_| client.previous_secret_expires_at.is_some_and(|t| t > now));
    let candidates: Vec<&str> = client
        .secret_hash
        .as_deref()
        .into_iter()
        .chain(previous)
        .collect();
    if candidates.is_empty() {
        // A public client presenting a secret: pay the same price as a wrong secret.
        verify_off_thread(secret.to_string(), dummy_hash().await).await?;
        return Ok(false);
    }
    let digest = secret::digest(secret);
    if candidates
        .iter()
        .any(|phc| cache.remembers(&client.client_id, phc, &digest))
    {
        return Ok(true);
    }
    for phc in candidates {
        if verify_off_thread(secret.to_string(), phc.to_string()).await? {
            cache.remember(&client.client_id, phc, digest);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Argon2 is CPU and memory work: it runs on the bounded pool of [`argon2_pool`].
async fn verify_off_thread(secret: String, phc: String) -> Result<bool, argon2_pool::Busy> {
    argon2_pool::verify(&secret, &phc).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_without_body_client_id_is_accepted() {
        let p = extract(Some(&basic("c1", "s%3A1")), None, None).unwrap();
        assert_eq!(
            p,
            Presented::Basic {
                client_id: "c1".into(),
                secret: "s:1".into()
            }
        );
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        assert!(matches!(
            extract(Some(&basic("c1", "s")), Some("c1"), Some("s")),
            Err(ClientAuthError::Malformed(_))
        ));
    }

    #[test]
    fn basic_and_body_naming_different_clients_fail() {
        assert!(matches!(
            extract(Some(&basic("c1", "s")), Some("c2"), None),
            Err(ClientAuthError::Failed { basic: true })
        ));
    }

    #[test]
    fn empty_secret_means_public_client() {
        assert_eq!(
            extract(None, Some("c1"), Some("")).unwrap(),
            Presented::None {
                client_id: "c1".into()
            }
        );
        assert!(matches!(
            extract(None, None, None),
            Err(ClientAuthError::Malformed(_))
        ));
    }
}
