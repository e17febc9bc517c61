//! `POST /api/oauth/token` and `/api/oauth/revoke` bodies: the form decoding, the duplicate
//! check, client credentials from the form, and the pure checks of each grant's parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::http::form::Form;
use mcp_oauth::oauth::client_auth;
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::oauth::{pkce, redirect_uri, resource};

fuzz_target!(|data: &[u8]| {
    let Some(form) = Form::parse(data) else { return };
    let _ = form.repeated();
    let _ = client_auth::extract(None, form.get("client_id"), form.get("client_secret"));
    match form.get("grant_type") {
        Some("authorization_code") => {
            if let Some(verifier) = form.get("code_verifier") {
                if pkce::is_valid_verifier(verifier) {
                    let challenge = pkce::s256_challenge(verifier);
                    assert!(pkce::is_valid_s256_challenge(&challenge));
                    assert!(pkce::verify(verifier, &challenge));
                }
                let _ = pkce::verify(verifier, form.get("code").unwrap_or(""));
            }
            if let Some(uri) = form.get("redirect_uri") {
                let _ = redirect_uri::matches("http://127.0.0.1/callback", uri);
            }
        }
        Some("refresh_token") => {
            if let Some(scope) = form.get("scope") {
                let _ = ScopeSet::parse_strict(scope);
            }
        }
        _ => {}
    }
    if let Some(r) = form.get("resource") {
        let _ = resource::same_resource(r, "https://ai-memory.app/api/mcp");
    }
    // Revocation: token and token_type_hint are opaque strings; digesting any of them is safe.
    if let Some(token) = form.get("token") {
        let _ = mcp_oauth::secret::digest(token);
    }
});
