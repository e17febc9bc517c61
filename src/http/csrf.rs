//! CSRF protection for the browser forms (consent, login, connections).
//!
//! Each browser gets a random secret in an HttpOnly cookie. A form's token is
//! HMAC-SHA256(secret, purpose ‖ session binding ‖ the form's fields), so it is bound to the
//! browser (the cookie another site cannot read), to the sign-in session, and to exactly the
//! request the page showed: a token for one client's consent cannot approve another's.
//! Nothing is stored server-side, so any instance behind a load balancer can check it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

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

/// The MAC over purpose, binding and fields, each length-prefixed so that no two field lists
/// encode alike.
fn mac(browser_secret: &str, purpose: Purpose, binding: &str, fields: &[&str]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(browser_secret.as_bytes()).expect("HMAC takes keys of any length");
    for part in [purpose.label(), binding]
        .into_iter()
        .chain(fields.iter().copied())
    {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac
}

/// The token a form carries.
pub fn token(browser_secret: &str, purpose: Purpose, binding: &str, fields: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(
        mac(browser_secret, purpose, binding, fields)
            .finalize()
            .into_bytes(),
    )
}

/// Does `presented` match the token for these inputs? Constant-time (`Mac::verify_slice`).
pub fn verify(
    browser_secret: &str,
    purpose: Purpose,
    binding: &str,
    fields: &[&str],
    presented: &str,
) -> bool {
    let Ok(presented) = URL_SAFE_NO_PAD.decode(presented) else {
        return false;
    };
    mac(browser_secret, purpose, binding, fields)
        .verify_slice(&presented)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
