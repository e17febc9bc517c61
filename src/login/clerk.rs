//! Clerk sign-in (`serve --login clerk`): a Clerk session JWT, from the `__session` cookie or
//! sent as a Bearer token to `/api/mcp`, verified locally.
//!
//! RS256 only (the algorithm list is fixed, so `alg: none` and HMAC-with-the-public-key
//! confusion are refused before any key is looked at); `exp` required and checked, `nbf`
//! checked, with 5 s of leeway for clock skew; `azp` must be one of `CLERK_AUTHORIZED_PARTIES`
//! when that is set (Clerk's guidance against tokens minted for another of your apps); `iss`
//! must equal `CLERK_ISSUER` (a trailing slash aside), which `serve` derives from
//! `CLERK_JWKS_URL` (`https://<frontend-api>/.well-known/jwks.json` → `https://<frontend-api>`)
//! when it is not given, so that a key shared with another Clerk instance cannot vouch for its
//! users here. With only `CLERK_JWT_KEY` and no `CLERK_ISSUER`, `iss` is not checked, and
//! `serve` warns at start (as it does when `CLERK_AUTHORIZED_PARTIES` is unset).
//! The key is `CLERK_JWT_KEY` (PEM) or fetched from `CLERK_JWKS_URL` and cached: refetched
//! every 10 minutes, or when a token names an unknown `kid` (at most every 30 s).

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::SignedIn;

const JWKS_MAX_AGE: Duration = Duration::from_secs(600);
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);
const LEEWAY_SECONDS: u64 = 5;
/// A JWT longer than this is not a Clerk session token.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Where verification keys come from.
pub enum KeySource {
    Pem(DecodingKey),
    Jwks {
        url: String,
        http: reqwest::Client,
        cache: Mutex<Option<(JwkSet, Instant)>>,
    },
}

/// Clerk settings, read from the environment by `serve`.
pub struct Clerk {
    keys: KeySource,
    authorized_parties: Vec<String>,
    sign_in_url: Option<String>,
    /// The `iss` every token must carry, without a trailing slash; `None`: not checked.
    issuer: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClerkConfigError {
    #[error("CLERK_JWT_KEY is not a PEM RSA public key: {0}")]
    BadPem(String),
    #[error(
        "--login clerk needs CLERK_JWT_KEY (the PEM public key from the Clerk dashboard) or CLERK_JWKS_URL"
    )]
    NoKey,
    #[error("CLERK_SIGN_IN_URL `{0}` is not an absolute https URL")]
    BadSignInUrl(String),
    #[error(
        "cannot tell the token issuer from CLERK_JWKS_URL `{0}` (expected https://<frontend-api>/.well-known/jwks.json): set CLERK_ISSUER to the `iss` of your Clerk session tokens"
    )]
    NoIssuer(String),
    #[error("CLERK_ISSUER `{0}` is not an absolute https URL")]
    BadIssuer(String),
}

/// Why a token was refused; the reason goes to the logs only.
#[derive(Debug, thiserror::Error)]
pub enum ClerkError {
    #[error("malformed or unverifiable token: {0}")]
    Invalid(String),
    #[error("token authorized party `{0}` is not in CLERK_AUTHORIZED_PARTIES")]
    WrongParty(String),
    #[error("token issuer `{0}` is not CLERK_ISSUER")]
    WrongIssuer(String),
    #[error("no key for this token: {0}")]
    NoKey(String),
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    iss: Option<String>,
}

impl Clerk {
    pub fn new(keys: KeySource, authorized_parties: Vec<String>, sign_in_url: Option<String>) -> Clerk {
        Clerk {
            keys,
            authorized_parties,
            sign_in_url,
            issuer: None,
        }
    }

    /// Requires every token's `iss` to be `issuer` (compared without a trailing slash).
    pub fn with_issuer(mut self, issuer: Option<String>) -> Clerk {
        self.issuer = issuer.map(|i| i.trim_end_matches('/').to_string());
        self
    }

    /// The `iss` tokens must carry, if checked.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// What an operator should hear about at start: checks that are off.
    pub fn startup_warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.authorized_parties.is_empty() {
            warnings.push(
                "CLERK_AUTHORIZED_PARTIES is not set: session tokens minted for any of your Clerk applications (any azp) are accepted; set it to this site's origin(s)",
            );
        }
        if self.issuer.is_none() {
            warnings.push(
                "CLERK_ISSUER is not set (and there is no CLERK_JWKS_URL to derive it from): the token issuer (iss) is not checked",
            );
        }
        if self.sign_in_url.is_none() {
            warnings.push(
                "CLERK_SIGN_IN_URL is not set: browsers without a Clerk session cannot be sent to sign in",
            );
        }
        warnings
    }

    /// A verifier for one PEM public key.
    pub fn with_pem(
        pem: &str,
        authorized_parties: Vec<String>,
        sign_in_url: Option<String>,
    ) -> Result<Clerk, ClerkConfigError> {
        let key =
            DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| ClerkConfigError::BadPem(e.to_string()))?;
        Ok(Clerk::new(KeySource::Pem(key), authorized_parties, sign_in_url))
    }

    /// A verifier that fetches (and caches) keys from a JWKS URL.
    pub fn with_jwks_url(url: &str, authorized_parties: Vec<String>, sign_in_url: Option<String>) -> Clerk {
        let http = jwks_client(&[]);
        Clerk::new(
            KeySource::Jwks {
                url: url.to_string(),
                http,
                cache: Mutex::new(None),
            },
            authorized_parties,
            sign_in_url,
        )
    }

    /// Trusts `roots` (`--extra-ca-file`) besides the bundled ones when fetching the JWKS.
    pub fn trust_extra_roots(mut self, roots: &[reqwest::Certificate]) -> Clerk {
        if let KeySource::Jwks { http, .. } = &mut self.keys {
            *http = jwks_client(roots);
        }
        self
    }

    /// From `CLERK_JWT_KEY` / `CLERK_JWKS_URL`, `CLERK_AUTHORIZED_PARTIES` (comma-separated)
    /// and `CLERK_SIGN_IN_URL`.
    pub fn from_env() -> Result<Clerk, ClerkConfigError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let parties: Vec<String> = var("CLERK_AUTHORIZED_PARTIES")
            .map(|v| {
                v.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let sign_in = var("CLERK_SIGN_IN_URL");
        if let Some(url) = &sign_in {
            let ok = url::Url::parse(url).is_ok_and(|u| u.scheme() == "https" || is_loopback(&u));
            if !ok {
                return Err(ClerkConfigError::BadSignInUrl(url.clone()));
            }
        }
        let jwks_url = var("CLERK_JWKS_URL");
        let issuer = match (var("CLERK_ISSUER"), &jwks_url) {
            (Some(iss), _) => {
                if !url::Url::parse(&iss).is_ok_and(|u| u.scheme() == "https" || is_loopback(&u)) {
                    return Err(ClerkConfigError::BadIssuer(iss));
                }
                Some(iss)
            }
            (None, Some(url)) => {
                Some(issuer_from_jwks_url(url).ok_or_else(|| ClerkConfigError::NoIssuer(url.clone()))?)
            }
            (None, None) => None,
        };
        if let Some(pem) = var("CLERK_JWT_KEY") {
            // Dashboards show the key with literal "\n"s; accept both.
            return Ok(Clerk::with_pem(&pem.replace("\\n", "\n"), parties, sign_in)?.with_issuer(issuer));
        }
        if let Some(url) = jwks_url {
            return Ok(Clerk::with_jwks_url(&url, parties, sign_in).with_issuer(issuer));
        }
        Err(ClerkConfigError::NoKey)
    }

    /// `CLERK_SIGN_IN_URL`, where a browser without a session is sent.
    pub fn sign_in_url(&self) -> Option<&str> {
        self.sign_in_url.as_deref()
    }

    /// Verifies a Clerk session JWT and returns who it names.
    pub async fn verify(&self, token: &str) -> Result<SignedIn, ClerkError> {
        let header = parse_header(token)?;
        let key = self.key_for(header.kid.as_deref()).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| ClerkError::Invalid(e.to_string()))?;
        let claims = data.claims;
        if let Some(expected) = &self.issuer {
            let iss = claims.iss.unwrap_or_default();
            if iss.trim_end_matches('/') != expected {
                return Err(ClerkError::WrongIssuer(iss.chars().take(200).collect()));
            }
        }
        if !self.authorized_parties.is_empty() {
            let azp = claims.azp.unwrap_or_default();
            if !self.authorized_parties.contains(&azp) {
                return Err(ClerkError::WrongParty(azp));
            }
        }
        if claims.sub.is_empty() {
            return Err(ClerkError::Invalid("empty sub".into()));
        }
        Ok(SignedIn {
            session_binding: claims.sid.unwrap_or_else(|| claims.sub.clone()),
            display_name: claims.sub.clone(),
            user_id: claims.sub,
        })
    }

    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, ClerkError> {
        match &self.keys {
            KeySource::Pem(key) => Ok(key.clone()),
            KeySource::Jwks { url, http, cache } => {
                let mut cache = cache.lock().await;
                let fresh = |c: &Option<(JwkSet, Instant)>, max: Duration| {
                    c.as_ref().is_some_and(|(_, at)| at.elapsed() < max)
                };
                let known =
                    |c: &Option<(JwkSet, Instant)>| c.as_ref().and_then(|(set, _)| find_key(set, kid));
                if !fresh(&cache, JWKS_MAX_AGE)
                    || (known(&cache).is_none() && !fresh(&cache, JWKS_MIN_REFETCH))
                {
                    match fetch_jwks(http, url).await {
                        Ok(set) => *cache = Some((set, Instant::now())),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot fetch CLERK_JWKS_URL; using the cached keys")
                        }
                    }
                }
                let jwk =
                    known(&cache).ok_or_else(|| ClerkError::NoKey(kid.unwrap_or("(no kid)").to_string()))?;
                DecodingKey::from_jwk(&jwk).map_err(|e| ClerkError::NoKey(e.to_string()))
            }
        }
    }
}

/// The JWT header of a presented Clerk session token, before any key is looked up: bounded
/// length, well-formed, RS256 and nothing else (no `none`, no HMAC with a public key).
pub fn parse_header(token: &str) -> Result<jsonwebtoken::Header, ClerkError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(ClerkError::Invalid("too long".into()));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|e| ClerkError::Invalid(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(ClerkError::Invalid(format!(
            "algorithm {:?} is not RS256",
            header.alg
        )));
    }
    Ok(header)
}

fn is_loopback(url: &url::Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// `https://<frontend-api>/.well-known/jwks.json` → `https://<frontend-api>`: Clerk's session
/// tokens name their Frontend API as `iss`, and that is where its JWKS is published. Any other
/// shape of URL says nothing reliable about the issuer.
pub fn issuer_from_jwks_url(jwks_url: &str) -> Option<String> {
    let url = url::Url::parse(jwks_url).ok()?;
    if !(url.scheme() == "https" || is_loopback(&url)) || url.query().is_some() {
        return None;
    }
    let base = url.path().strip_suffix("/.well-known/jwks.json")?;
    Some(format!("{}{base}", url.origin().ascii_serialization()))
}

fn find_key(set: &JwkSet, kid: Option<&str>) -> Option<jsonwebtoken::jwk::Jwk> {
    match kid {
        Some(kid) => set.find(kid).cloned(),
        None if set.keys.len() == 1 => set.keys.first().cloned(),
        None => None,
    }
}

fn jwks_client(extra_roots: &[reqwest::Certificate]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none());
    for root in extra_roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder.build().unwrap_or_default()
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<JwkSet, reqwest::Error> {
    http.get(url)
        .send()
        .await?
        .error_for_status()?
        .json::<JwkSet>()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_derived_only_from_a_frontend_api_jwks_url() {
        assert_eq!(
            issuer_from_jwks_url("https://clerk.ai-memory.app/.well-known/jwks.json").as_deref(),
            Some("https://clerk.ai-memory.app")
        );
        assert_eq!(
            issuer_from_jwks_url("https://fine-cat-12.clerk.accounts.dev/.well-known/jwks.json").as_deref(),
            Some("https://fine-cat-12.clerk.accounts.dev")
        );
        assert_eq!(issuer_from_jwks_url("https://api.clerk.com/v1/jwks"), None);
        assert_eq!(
            issuer_from_jwks_url("http://clerk.example/.well-known/jwks.json"),
            None
        );
        assert_eq!(issuer_from_jwks_url("not a url"), None);
    }

    #[test]
    fn missing_checks_are_named_at_start() {
        let clerk = Clerk::with_jwks_url("https://c.example/.well-known/jwks.json", vec![], None);
        let warnings = clerk.startup_warnings().join("\n");
        assert!(warnings.contains("CLERK_AUTHORIZED_PARTIES is not set"));
        assert!(warnings.contains("CLERK_ISSUER is not set"));
        let clerk = Clerk::with_jwks_url(
            "https://c.example/.well-known/jwks.json",
            vec!["https://app.example".into()],
            Some("https://c.example/sign-in".into()),
        )
        .with_issuer(Some("https://c.example/".into()));
        assert!(clerk.startup_warnings().is_empty());
        assert_eq!(clerk.issuer(), Some("https://c.example"));
    }
}
