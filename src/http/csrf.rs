//! CSRF protection for the browser forms (consent, login, connections).
//!
//! Each browser gets a random secret in an HttpOnly cookie. A form's token is
//! HMAC-SHA256(secret, purpose ‖ session binding ‖ the form's fields), so it is bound to the
//! browser (the cookie another site cannot read), to the sign-in session, and to exactly the
//! request the page showed: a token for one client's consent cannot approve another's.
//! Nothing is stored server-side, so any instance behind a load balancer can check it.
//!
//! Before any token is looked at, [`check_same_origin`] refuses a form post that a browser
//! says came from another site (the way Django and Rails check `Origin`): an `Origin` that is
//! present and not the issuer's origin (or is `null`, as sandboxed frames and cross-origin
//! redirects send), or `Sec-Fetch-Site: cross-site`. A token stolen or replayed through
//! another page then buys nothing. With neither header (old browsers, command-line clients) the
//! token alone decides. The pages are therefore meant to be used at the issuer URL, and are
//! served with `Referrer-Policy: same-origin` so that their own posts carry a real `Origin`.

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
    SignOut,
}

impl Purpose {
    const fn label(self) -> &'static str {
        match self {
            Purpose::Consent => "consent",
            Purpose::Login => "login",
            Purpose::Connections => "connections",
            Purpose::SignOut => "sign-out",
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

/// Why a form post was refused as cross-site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrossSite {
    #[error("Origin {0} is not this server's origin")]
    Origin(String),
    #[error("Sec-Fetch-Site is cross-site")]
    FetchSite,
}

/// May a browser form post with these headers change anything? `own_origin` is the issuer's
/// origin (`scheme://host[:port]`, as [`url::Origin::ascii_serialization`] writes it).
pub fn check_same_origin(
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    own_origin: &str,
) -> Result<(), CrossSite> {
    let same_origin_fetch = sec_fetch_site.is_some_and(|v| v.trim().eq_ignore_ascii_case("same-origin"));
    if let Some(origin) = origin {
        // `null` never equals a real origin, so it is refused here too, unless the browser
        // itself vouches with `Sec-Fetch-Site: same-origin` (a header no page can set): a page
        // of ours whose referrer policy is `no-referrer` (a user's privacy setting) posts
        // `Origin: null`.
        let vouched_null = origin.trim() == "null" && same_origin_fetch;
        if !vouched_null && !origin.trim().eq_ignore_ascii_case(own_origin) {
            return Err(CrossSite::Origin(truncated(origin)));
        }
    }
    if sec_fetch_site.is_some_and(|v| v.trim().eq_ignore_ascii_case("cross-site")) {
        return Err(CrossSite::FetchSite);
    }
    Ok(())
}

/// An attacker-chosen header kept short for the log.
fn truncated(s: &str) -> String {
    s.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "https://mem.example";

    #[test]
    fn a_foreign_or_null_origin_is_refused() {
        assert!(check_same_origin(Some("https://evil.example"), None, OWN).is_err());
        assert!(check_same_origin(Some("null"), None, OWN).is_err());
        assert!(check_same_origin(Some("null"), Some("same-site"), OWN).is_err());
        assert!(check_same_origin(Some("null"), Some("cross-site"), OWN).is_err());
        assert!(check_same_origin(Some("https://mem.example:8443"), None, OWN).is_err());
        assert!(check_same_origin(Some("http://mem.example"), None, OWN).is_err());
        assert!(check_same_origin(Some("https://mem.example.evil.example"), None, OWN).is_err());
        assert!(check_same_origin(Some(""), None, OWN).is_err());
    }

    #[test]
    fn cross_site_fetch_metadata_is_refused_even_with_a_good_origin() {
        assert_eq!(
            check_same_origin(Some(OWN), Some("cross-site"), OWN),
            Err(CrossSite::FetchSite)
        );
        assert_eq!(
            check_same_origin(None, Some("cross-site"), OWN),
            Err(CrossSite::FetchSite)
        );
    }

    #[test]
    fn same_origin_or_no_headers_leave_it_to_the_token() {
        assert_eq!(check_same_origin(Some(OWN), Some("same-origin"), OWN), Ok(()));
        assert_eq!(check_same_origin(Some("HTTPS://MEM.EXAMPLE"), None, OWN), Ok(()));
        assert_eq!(check_same_origin(None, Some("none"), OWN), Ok(()));
        assert_eq!(check_same_origin(None, None, OWN), Ok(()));
        // Our own page under a `no-referrer` policy: the browser says same-origin.
        assert_eq!(check_same_origin(Some("null"), Some("same-origin"), OWN), Ok(()));
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
