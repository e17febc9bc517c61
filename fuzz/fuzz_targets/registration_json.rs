//! `POST /api/oauth/register` (RFC 7591): the JSON body as the endpoint decodes it, then every
//! metadata check (redirect URIs, name, auth method, grant and response types, scope).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::oauth::redirect_uri;
use mcp_oauth::oauth::registration::{self, RegistrationRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<RegistrationRequest>(data) else {
        return;
    };
    if let Ok(valid) = registration::validate(&request) {
        assert!(!valid.redirect_uris.is_empty());
        for uri in &valid.redirect_uris {
            assert!(
                redirect_uri::validate(uri).is_ok(),
                "{uri:?} accepted at registration only"
            );
        }
        assert!(!valid.client_name.is_empty());
        assert!(!valid.scopes.is_empty());
    }
});
