//! CSRF protection for the browser forms (consent, login, connections).
//!
//! Each browser gets a random secret in an HttpOnly cookie. A form's token is
//! HMAC-SHA256(secret, purpose ‖ session binding ‖ the form's fields), so it is bound to the
//! browser (the cookie another site cannot read), to the sign-in session, and to exactly the
//! request the page showed: a token for one client's consent cannot approve another's.
//! Nothing is stored server-side, so any instance behind a load balancer can check it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::secret::{self, Kind};

/// What a token is for; part of the MAC so tokens cannot cross forms.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Consent,
    Login,
    Connections,
}

impl Purpose {
    const fn label(self) -> &'static str {
        match self {
            Purpose::Consent => "consent",
            Purpose::Login => "login",
            Purpose::Connections => "connections",
        }
    }
}

/// A new browser secret for the CSRF cookie.
pub fn new_secret() -> String {
    secret::generate(Kind::Csrf)
}

/// The token a form carries.
pub fn token(browser_secret: &str, purpose: Purpose, binding: &str, fields: &[&str]) -> String {
    let mut message = Vec::new();
    for part in [purpose.label(), binding]
        .into_iter()
        .chain(fields.iter().copied())
    {
        // Length-prefixed, so that no two field lists encode alike.
        message.extend_from_slice(&(part.len() as u64).to_be_bytes());
        message.extend_from_slice(part.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(hmac_sha256(browser_secret.as_bytes(), &message))
}

/// Does `presented` match the token for these inputs? Constant-time.
pub fn verify(
    browser_secret: &str,
    purpose: Purpose,
    binding: &str,
    fields: &[&str],
    presented: &str,
) -> bool {
    let expected = token(browser_secret, purpose, binding, fields);
    secret::constant_time_eq(expected.as_bytes(), presented.as_bytes())
}

/// RFC 2104 HMAC with SHA-256.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            crate::storage::migrations::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_are_bound_to_secret_purpose_binding_and_fields() {
        let t = token("s", Purpose::Consent, "sess", &["a", "b"]);
        assert!(verify("s", Purpose::Consent, "sess", &["a", "b"], &t));
        assert!(!verify("s2", Purpose::Consent, "sess", &["a", "b"], &t));
        assert!(!verify("s", Purpose::Login, "sess", &["a", "b"], &t));
        assert!(!verify("s", Purpose::Consent, "other", &["a", "b"], &t));
        assert!(!verify("s", Purpose::Consent, "sess", &["ab", ""], &t));
        assert!(!verify("s", Purpose::Consent, "sess", &["a", "b"], ""));
    }
}
