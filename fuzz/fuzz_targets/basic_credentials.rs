//! The `Authorization` header at the token and revocation endpoints (RFC 6749 §2.3.1):
//! `Basic base64(urlencode(id):urlencode(secret))`, alone or beside form credentials.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::client;
use mcp_oauth::oauth::client_auth::{self, Presented};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = client_auth::extract(Some(text), None, None);
    let _ = client_auth::extract(Some(text), Some("mcp_oauth_x"), None);
    let _ = client_auth::extract(Some(text), None, Some("s"));
    // Whatever a client encodes, the server decodes back (id without ':' is the only rule).
    if let Some((id, secret)) = text.split_once('\n') {
        if !id.is_empty() {
            let header = client::basic_authorization(id, secret);
            match client_auth::extract(Some(&header), None, None) {
                Ok(Presented::Basic { client_id, secret: s }) => {
                    assert_eq!((client_id.as_str(), s.as_str()), (id, secret));
                }
                other => panic!("{header:?} for {id:?}/{secret:?} → {other:?}"),
            }
        }
    }
});
