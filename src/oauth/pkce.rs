//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! `plain` is refused: it protects nothing against an attacker who can read the authorization
//! request, which is the attack PKCE exists for (OAuth 2.1 §7.5.2, RFC 9700 §2.1.1).
//! Both halves are here: the server checks, and clients (`verify`, tests) generate pairs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::secret::constant_time_eq;

/// The one method this server accepts.
pub const S256: &str = "S256";

/// RFC 7636 §4.1: 43–128 characters from the unreserved set `[A-Za-z0-9-._~]`.
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 challenge is base64url(SHA-256(verifier)) without padding: exactly 43 characters.
pub fn is_valid_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// `BASE64URL(SHA256(verifier))`
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Does `verifier` answer `challenge`? A malformed verifier never does.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    is_valid_verifier(verifier) && constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

/// A client's fresh verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct PkcePair {
    pub verifier: String,
    pub challenge: String,
}

impl PkcePair {
    pub fn generate() -> PkcePair {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = s256_challenge(&verifier);
        PkcePair { verifier, challenge }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_an_independent_implementation() {
        // Python: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=")
        let verifier = "dBjftJeZ4CVP-mJ92K9X6bY8hSpjMJDSG-WE-I8qj4A";
        let expected = "2xm9In5obKl25FkLHumfhmnVZuCkfbD5FtJt4ArdZp4";
        assert_eq!(s256_challenge(verifier), expected);
        assert!(verify(verifier, expected));
    }

    #[test]
    fn plain_verifier_equal_to_challenge_is_refused() {
        let v = "a".repeat(43);
        assert!(!verify(&v, &v));
    }

    #[test]
    fn verifier_shape_is_checked() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
        let pair = PkcePair::generate();
        assert!(is_valid_verifier(&pair.verifier));
        assert!(is_valid_s256_challenge(&pair.challenge));
        assert!(verify(&pair.verifier, &pair.challenge));
    }
}
