//! The redirect URI validator and matcher (SPEC §3, RFC 8252 §7.3), and the query builder
//! that appends the authorization response to an accepted URI.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::oauth::redirect_uri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (registered, requested) = text.split_once('\n').unwrap_or((text, text));
    let _ = redirect_uri::validate(requested);
    let matched = redirect_uri::matches(registered, requested);
    if registered == requested && redirect_uri::validate(registered).is_ok() {
        assert!(matched, "an accepted URI must match itself: {registered:?}");
    }
    if matched && redirect_uri::validate(registered).is_ok() {
        // A match never lets a request leave the registered host.
        let host = |u: &str| {
            url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
        };
        assert_eq!(
            host(registered),
            host(requested),
            "{registered:?} vs {requested:?}"
        );
    }
    let _ = redirect_uri::with_query(requested, &[("code", "auth_x"), ("state", text)]);
});
