//! A Clerk session JWT (the `__session` cookie, or a Bearer token at `/api/mcp`): the header
//! is parsed before any key is fetched, so it is what an unauthenticated client reaches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::login::clerk;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(header) = clerk::parse_header(token) {
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    }
});
