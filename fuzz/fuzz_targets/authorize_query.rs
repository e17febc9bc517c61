//! `GET /api/oauth/authorize?…`: the query string as the endpoint decodes it, then every pure
//! check the authorization request goes through, and the redirect built from what survived.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::client;
use mcp_oauth::http::form::Form;
use mcp_oauth::oauth::authorize::{self, AuthorizeParams};
use mcp_oauth::oauth::error::ErrorCode;
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::oauth::{pkce, redirect_uri, resource};

fuzz_target!(|data: &[u8]| {
    let Some(form) = Form::parse(data) else { return };
    let _ = form.repeated();
    let p = AuthorizeParams::from_pairs(form.pairs());
    let registered = ScopeSet::all();
    if let Some(scope) = &p.scope {
        let _ = ScopeSet::effective(scope, &registered);
    }
    if let Some(challenge) = &p.code_challenge {
        let _ = pkce::is_valid_s256_challenge(challenge);
    }
    if let Some(r) = &p.resource {
        let _ = resource::same_resource(r, "http://127.0.0.1:8080/api/mcp");
    }
    if let Some(uri) = &p.redirect_uri {
        if redirect_uri::validate(uri).is_ok() {
            let _ = redirect_uri::matches("http://127.0.0.1/callback", uri);
            let location =
                authorize::success_location(uri, "auth_x", p.state.as_deref(), "http://127.0.0.1:8080");
            // What the client reads back is what it sent: `state` survives the round trip.
            if !uri.contains('?') {
                assert_eq!(client::query_param(&location, "state"), p.state, "{location}");
                assert_eq!(client::query_param(&location, "code").as_deref(), Some("auth_x"));
            }
            let _ = authorize::error_location(
                uri,
                ErrorCode::InvalidRequest,
                "fuzz",
                p.state.as_deref(),
                "http://127.0.0.1:8080",
            );
        }
    }
});
