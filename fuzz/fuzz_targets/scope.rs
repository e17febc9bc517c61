//! The scope parameter (RFC 6749 §3.3, SPEC §6: split on whitespace, unknown and empty dropped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::oauth::scope::ScopeSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lenient = ScopeSet::parse_lenient(text);
    // Canonical form round-trips.
    assert_eq!(ScopeSet::parse_lenient(&lenient.to_string()), lenient);
    if let Ok(strict) = ScopeSet::parse_strict(text) {
        assert!(strict.is_subset_of(&ScopeSet::all()));
    }
    let registered = ScopeSet::parse_lenient("memories:read entities:read");
    let effective = ScopeSet::effective(text, &registered);
    assert!(
        effective.is_subset_of(&registered),
        "{text:?} widened {registered:?} to {effective:?}"
    );
});
