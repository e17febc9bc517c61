//! Secrets we mint, and how we keep them at rest.
//!
//! Codes, tokens and session cookies are 256 bits from a CSPRNG (rand's ChaCha12, OS-seeded) behind a readable prefix
//! (`mcp_at_…`), stored only as their SHA-256: with 256 bits of entropy no dictionary or
//! brute-force attack applies, so a slow hash would cost latency and buy nothing.
//! Client secrets are stored as argon2id PHC strings, as the contract asks, with light
//! parameters (see [`HashCost`]); user passwords, which people choose, get the
//! OWASP-recommended argon2id cost.
//!
//! One kind of token is derived rather than drawn: the successor pair of a refresh-token
//! rotation ([`derive`]), so that a replay inside the grace recomputes the same pair (see
//! `oauth::grants`). It is an HMAC-SHA-256 keyed with the presented 256-bit token, so it is as
//! unguessable as a drawn one to anyone who does not hold that token, and it is stored the same
//! way: its SHA-256 only.

use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The kinds of secret this server mints, each with the prefix that makes it recognisable in
/// logs, secret scanners and support tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ClientId,
    ClientSecret,
    AuthorizationCode,
    AccessToken,
    RefreshToken,
    LoginSession,
    Csrf,
}

impl Kind {
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::ClientId => "mcp_oauth_",
            Kind::ClientSecret => "mcp_cs_",
            Kind::AuthorizationCode => "auth_",
            Kind::AccessToken => "mcp_at_",
            Kind::RefreshToken => "mcp_rt_",
            Kind::LoginSession => "mcp_ss_",
            Kind::Csrf => "",
        }
    }

    /// Client IDs are identifiers, not secrets: 128 bits keeps them unguessable and short.
    const fn random_bytes(self) -> usize {
        match self {
            Kind::ClientId => 16,
            _ => 32,
        }
    }
}

/// A fresh random value of `kind`, e.g. `mcp_at_` followed by 43 base64url characters.
pub fn generate(kind: Kind) -> String {
    let mut bytes = vec![0u8; kind.random_bytes()];
    rand::rng().fill_bytes(&mut bytes);
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
}

/// A value of `kind` (same prefix and length as [`generate`]'s) derived from the secret `key`:
/// `HMAC-SHA-256(key, label ‖ 0 ‖ each context part, length-prefixed)`. The kind's prefix and
/// `label` separate domains, the length prefixes make the encoding of `context` unambiguous.
/// Deterministic: the same key, label and context give the same value on every instance.
pub fn derive(kind: Kind, key: &str, label: &str, context: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(kind.prefix().as_bytes());
    mac.update(b"\0");
    mac.update(label.as_bytes());
    mac.update(b"\0");
    for part in context {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    let bytes = mac.finalize().into_bytes();
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
}

/// A random nonce of `n` bytes (not a secret on its own: an input to [`derive`]).
pub fn nonce(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// The form in which a code, token or session is stored and looked up.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time equality for secrets and their digests.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The two argon2id costs this server hashes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    /// A machine-generated client secret carries 256 bits of entropy, so argon2's memory
    /// hardness (which exists to slow guessing of low-entropy passwords) protects nothing here;
    /// argon2id is kept because the contract asks for PHC strings, at the minimum sensible cost
    /// (4 MiB, one pass), which verifies in about a millisecond and keeps the token endpoint fast.
    ClientSecret,
    /// People choose passwords: OWASP's argon2id recommendation (19 MiB, two passes).
    Password,
}

impl HashCost {
    fn hasher(self) -> Argon2<'static> {
        let (m_cost, t_cost) = match self {
            HashCost::ClientSecret => (4 * 1024, 1),
            HashCost::Password => (19 * 1024, 2),
        };
        let params = Params::new(m_cost, t_cost, 1, None).expect("static argon2 parameters are valid");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Hashes `secret` into a PHC string, with `memory` (grown as needed, and kept for the next
/// call) as argon2's working memory. This is what the bounded pool of
/// [`crate::oauth::argon2_pool`] runs; the server and the CLI hash through that pool.
pub fn hash_with_memory(cost: HashCost, secret: &str, memory: &mut Vec<Block>) -> String {
    let argon = cost.hasher();
    let params = argon.params().clone();
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .expect("a salt we just encoded decodes");
    memory.resize(memory.len().max(params.block_count()), Block::default());
    let output = Output::init_with(params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN), |out| {
        argon
            .hash_password_into_with_memory(
                secret.as_bytes(),
                raw_salt,
                out,
                &mut memory[..params.block_count()],
            )
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .expect("argon2 with valid parameters and salt cannot fail");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("static argon2 parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// `$argon2id$v=19$m=4096,t=1,p=1$…`, on the calling thread: for fixtures and examples. The
/// server and the CLI use [`crate::oauth::argon2_pool::hash`] instead.
pub fn hash_client_secret(secret: &str) -> String {
    hash_with_memory(HashCost::ClientSecret, secret, &mut Vec::new())
}

/// `$argon2id$v=19$m=19456,t=2,p=1$…`, on the calling thread (see [`hash_client_secret`]).
pub fn hash_password(password: &str) -> String {
    hash_with_memory(HashCost::Password, password, &mut Vec::new())
}

/// Checks `secret` against a stored PHC string. The parameters come from the PHC string
/// itself, so hashes made with older costs keep verifying. A malformed hash never matches.
pub fn verify_phc(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A PHC string made by a hasher this build uses? (`verify`'s "client secret hashed" check.)
pub fn is_argon2id_phc(s: &str) -> bool {
    s.starts_with("$argon2id$") && PasswordHash::new(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_prefix_and_256_bits() {
        let t = generate(Kind::AccessToken);
        assert!(t.starts_with("mcp_at_"));
        assert_eq!(t.len(), "mcp_at_".len() + 43);
        assert_ne!(t, generate(Kind::AccessToken));
        assert_eq!(generate(Kind::ClientId).len(), "mcp_oauth_".len() + 22);
    }

    #[test]
    fn client_secret_hash_is_argon2id_and_verifies_only_the_secret() {
        let h = hash_client_secret("s3cret");
        assert!(is_argon2id_phc(&h), "{h}");
        assert!(verify_phc("s3cret", &h));
        assert!(!verify_phc("s3cret ", &h));
        assert!(!verify_phc("s3cret", "not a hash"));
    }

    #[test]
    fn derived_tokens_look_drawn_and_depend_on_every_input() {
        let key = generate(Kind::RefreshToken);
        let t = derive(Kind::RefreshToken, &key, "successor", &[b"n1"]);
        assert!(t.starts_with("mcp_rt_"));
        assert_eq!(t.len(), generate(Kind::RefreshToken).len());
        assert_eq!(t, derive(Kind::RefreshToken, &key, "successor", &[b"n1"]));
        let other_key = generate(Kind::RefreshToken);
        assert_ne!(t, derive(Kind::RefreshToken, &other_key, "successor", &[b"n1"]));
        assert_ne!(t, derive(Kind::RefreshToken, &key, "successor", &[b"n2"]));
        assert_ne!(t, derive(Kind::RefreshToken, &key, "other", &[b"n1"]));
        // Context parts are length-prefixed: moving a byte across a boundary changes the value.
        assert_ne!(
            derive(Kind::AccessToken, &key, "x", &[b"ab", b"c"]),
            derive(Kind::AccessToken, &key, "x", &[b"a", b"bc"])
        );
        let at = derive(Kind::AccessToken, &key, "successor", &[b"n1"]);
        assert!(at.starts_with("mcp_at_"));
        assert_ne!(at[7..], t[7..]);
    }

    #[test]
    fn hashes_made_in_reused_memory_carry_each_cost_and_verify() {
        let mut memory = Vec::new();
        let password = hash_with_memory(HashCost::Password, "hunter2", &mut memory);
        let client = hash_with_memory(HashCost::ClientSecret, "s3cret", &mut memory);
        assert!(
            password.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{password}"
        );
        assert!(client.starts_with("$argon2id$v=19$m=4096,t=1,p=1$"), "{client}");
        assert!(verify_phc("hunter2", &password) && verify_phc("s3cret", &client));
        assert!(!verify_phc("hunter3", &password));
        assert_ne!(
            client,
            hash_with_memory(HashCost::ClientSecret, "s3cret", &mut memory)
        );
    }

    #[test]
    fn digest_is_sha256() {
        assert_eq!(
            super::super::storage::migrations::hex(&digest("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
