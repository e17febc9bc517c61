//! The seed's end-to-end tests as a client and a browser perform them: authorize, exchange,
//! call the MCP endpoint, refresh, deny, present bad client credentials, revoke (RFC 6749,
//! RFC 7009, RFC 7591, RFC 9207, RFC 9700 §4.14).

use std::time::Duration;

use serde_json::{json, Value};

use super::checklist::{CheckVerdict, Halt, Verdict};
use super::run::{approve, connection_listed, Run, SHORT_GRACE};
use super::target::why;
use crate::client::{self, authorize_url, AuthorizeUrl, ClientAuth, PkcePair};
use crate::secret::{self, Kind};
use crate::{clock, fail, skip};

/// A value no one else chose: states, unknown client ids.
fn nonce(prefix: &str) -> String {
    format!("{prefix}-{}", &secret::generate(Kind::Csrf)[..16])
}

/// `registration.dynamic`: RFC 7591 registration answers what MCP clients parse.
pub async fn dynamic_registration(run: &mut Run) -> CheckVerdict {
    let given_client = run.given.client.is_some();
    if given_client && !run.settings.self_test {
        skip!("a client was given (--client-id): verify registers no other on a deployment");
    }
    let offered = run.metadata().await?.get("registration_endpoint").is_some();
    if !offered {
        if given_client {
            skip!("the server offers no dynamic registration (no registration_endpoint)");
        }
        fail!(
            "the server offers no dynamic registration (no registration_endpoint) and no --client-id was given: \
             clients without a client ID (Claude.ai with empty OAuth fields) cannot connect, and the flows are \
             skipped; give --client-id and --redirect-uri to test a registered client"
        );
    }
    let registered = run.register().await?;
    let doc = &registered.response;
    let client_id = registered.auth.client_id().to_string();
    let method = doc.get("token_endpoint_auth_method").and_then(Value::as_str);
    if method.is_none() {
        fail!("the registration answer does not state token_endpoint_auth_method (the Python SDK needs it)");
    }
    if doc.get("client_secret").is_some() && !doc.get("client_secret_expires_at").is_some_and(Value::is_i64) {
        fail!(
            "client_secret_expires_at is not an integer: {}",
            doc.get("client_secret_expires_at").unwrap_or(&Value::Null)
        );
    }
    if let Some((field, _)) = doc
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, v)| v.as_str() == Some(""))
    {
        fail!(
            "the registration answer echoes an empty string in `{field}` (strict clients fail to parse it)"
        );
    }
    let uris = doc.get("redirect_uris").and_then(Value::as_array);
    if !uris.is_some_and(|u| {
        u.iter()
            .any(|v| v.as_str() == Some(super::run::LOOPBACK_REDIRECT))
    }) {
        fail!(
            "the registration answer does not list the redirect URI sent: {}",
            doc.get("redirect_uris").unwrap_or(&Value::Null)
        );
    }
    if run.settings.self_test {
        return Ok(Verdict::Pass);
    }
    Ok(Verdict::PassExcept(format!(
        "registered {client_id} for the checks; it stays registered: `mcp-oauth client delete {client_id}`"
    )))
}

/// `authorize.probe`: a valid authorization request ends in sign-in (302) or the consent
/// page, never a server error.
pub async fn authorize_probe(run: &mut Run) -> CheckVerdict {
    let (url, _, _) = run.authorize_request(&nonce("probe")).await?;
    let resp = run
        .target
        .http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("GET authorize: {}", why(&e)))?;
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.text().await.unwrap_or_default();
    match status.as_u16() {
        302 | 303 if location.is_some() => {}
        200 if body.contains("name=\"decision\"") => {}
        s if status.is_server_error() => fail!("GET authorize answered {s}: {}", client::mcp::snippet(&body)),
        s => fail!(
            "GET authorize without a session answered {s} (Location {location:?}); expected 302 to sign in or the consent page"
        ),
    }
    let client_name = run.given.client_name.clone();
    let browser = match run.browser().await {
        Ok(b) => b,
        Err(Halt::Skip(why)) => {
            return Ok(Verdict::PassExcept(format!(
                "signed-in consent page not checked: {why}"
            )))
        }
        Err(e) => return Err(e),
    };
    let page = browser
        .get(&url)
        .await
        .map_err(|e| format!("GET authorize signed in: {}", why(&e)))?;
    if page.status != 200 || !page.body.contains("name=\"decision\"") {
        fail!(
            "signed in, GET authorize answered {} (Location {:?}), not the consent page",
            page.status,
            page.location()
        );
    }
    if let Some(name) = client_name {
        if !page.body.contains(&crate::http::pages::escape(&name)) {
            fail!("the consent page does not name the client {name:?}");
        }
    }
    Ok(Verdict::Pass)
}

/// Checks an approval's redirect: to the redirect URI, with the code, the state and `iss`.
pub(super) fn check_approval(run: &Run, location: &str, redirect: &str, state: &str) -> Result<(), String> {
    if !location.starts_with(redirect) {
        return Err(format!(
            "approval redirected to {location}, not to the redirect URI {redirect}"
        ));
    }
    if client::query_param(location, "state").as_deref() != Some(state) {
        return Err(format!(
            "approval redirect does not carry the state {state:?}: {location}"
        ));
    }
    let iss = client::query_param(location, "iss");
    if iss.as_deref() != Some(run.target.issuer.as_str()) {
        return Err(format!(
            "approval redirect's iss is {iss:?}, expected {:?} (RFC 9207)",
            run.target.issuer
        ));
    }
    match client::query_param(location, "code") {
        Some(code) if code.starts_with("auth_") => Ok(()),
        Some(_) => Err("the authorization code does not start with auth_".into()),
        None => Err(format!("approval redirect has no code: {location}")),
    }
}

/// `token.exchange`: consent → code → `mcp_at_`/`mcp_rt_` tokens with a sane `expires_in`.
pub async fn token_exchange(run: &mut Run) -> CheckVerdict {
    let state = nonce("exchange");
    let (url, pkce, redirect) = run.authorize_request(&state).await?;
    let location = approve(run.browser().await?, &url).await?;
    check_approval(run, &location, &redirect, &state)?;
    let tokens = run.exchange(&location, &redirect, &pkce).await?;
    check_tokens(&tokens)?;
    run.remember_first_grant(&tokens);
    Ok(Verdict::Pass)
}

pub(super) fn check_tokens(t: &client::TokenResponse) -> Result<(), String> {
    if !t.access_token.starts_with("mcp_at_") {
        return Err("the access token does not start with mcp_at_".into());
    }
    if !t
        .refresh_token
        .as_deref()
        .is_some_and(|r| r.starts_with("mcp_rt_"))
    {
        return Err("no refresh token starting with mcp_rt_".into());
    }
    if !t.token_type.eq_ignore_ascii_case("bearer") {
        return Err(format!("token_type is {:?}, expected Bearer", t.token_type));
    }
    if t.expires_in <= 0 || t.expires_in > 24 * 3600 {
        return Err(format!(
            "expires_in is {} s; expected between 1 s and a day",
            t.expires_in
        ));
    }
    Ok(())
}

/// `mcp.tools-list`: `initialize` and `tools/list` with the access token.
pub async fn tools_list(run: &mut Run) -> CheckVerdict {
    let tokens = run.first_grant().await?;
    let mcp = run.mcp(Some(&tokens.access_token));
    let init = mcp
        .initialize()
        .await
        .map_err(|e| format!("initialize: {}", why(&e)))?;
    if !init.get("protocolVersion").is_some_and(Value::is_string) {
        fail!("initialize result has no protocolVersion: {init}");
    }
    let tools = mcp
        .list_tools()
        .await
        .map_err(|e| format!("tools/list: {}", why(&e)))?;
    if tools.is_empty() {
        fail!(
            "tools/list returned no tools for a token with scopes {:?}",
            tokens.scope
        );
    }
    for tool in &tools {
        let name = tool.get("name").and_then(Value::as_str);
        if name.is_none() || !tool.get("inputSchema").is_some_and(Value::is_object) {
            fail!("a tool lacks a name or an inputSchema object: {tool}");
        }
    }
    Ok(Verdict::Pass)
}

/// `mcp.2026-07-28`: the stateless revision with the same token: `server/discover` and a
/// 2026-07-28 `tools/list`, each a complete result with cache hints, listing the same tools in
/// the same order as the 2025 `tools/list`.
pub async fn mcp_2026(run: &mut Run) -> CheckVerdict {
    let tokens = run.first_grant().await?;
    let mcp = run.mcp(Some(&tokens.access_token));
    let modern = |method: &'static str| {
        let mcp = mcp.clone();
        async move {
            let result = mcp
                .rpc_2026(method, json!({}))
                .await
                .and_then(|reply| reply.result())
                .map_err(|e| format!("2026-07-28 {method}: {}", why(&e)))?;
            if result.get("resultType") != Some(&json!("complete"))
                || !result.get("ttlMs").is_some_and(Value::is_u64)
                || !result.get("cacheScope").is_some_and(Value::is_string)
            {
                return Err(format!(
                    "2026-07-28 {method} lacks resultType \"complete\", ttlMs or cacheScope: {}",
                    client::mcp::snippet(&result.to_string())
                ));
            }
            Ok::<Value, String>(result)
        }
    };
    let discover = modern("server/discover").await?;
    let speaks_2026 = discover
        .get("supportedVersions")
        .and_then(Value::as_array)
        .is_some_and(|v| v.contains(&json!(client::mcp::MODERN_PROTOCOL_VERSION)));
    if !speaks_2026 {
        fail!("server/discover does not list 2026-07-28: {discover}");
    }
    let names = |tools: &[Value]| -> Vec<String> {
        tools
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let list = modern("tools/list").await?;
    let modern_tools = list
        .get("tools")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let legacy_tools = mcp
        .list_tools()
        .await
        .map_err(|e| format!("2025 tools/list: {}", why(&e)))?;
    if modern_tools.is_empty() || names(&modern_tools) != names(&legacy_tools) {
        fail!(
            "2026-07-28 tools/list {:?} differs from the 2025 one {:?}",
            names(&modern_tools),
            names(&legacy_tools)
        );
    }
    Ok(Verdict::Pass)
}

/// `test1.new-user-authorization`: a fresh sign-in, consent, approve, code, tokens, and a
/// tool call that works (a memory added, found and deleted again).
pub async fn new_user_authorization(run: &mut Run) -> CheckVerdict {
    // Signs the shared browser in first, so the connections check sees what was there before.
    run.browser().await?;
    let mut browser = run.sign_in().await?;
    let state = nonce("test1");
    let (url, pkce, redirect) = run.authorize_request(&state).await?;
    let location = approve(&mut browser, &url).await?;
    check_approval(run, &location, &redirect, &state)?;
    let tokens = run.exchange(&location, &redirect, &pkce).await?;
    check_tokens(&tokens)?;
    let mcp = run.mcp(Some(&tokens.access_token));
    let tools = mcp
        .list_tools()
        .await
        .map_err(|e| format!("tools/list: {}", why(&e)))?;
    let has = |name: &str| {
        tools
            .iter()
            .any(|t| t.get("name").and_then(Value::as_str) == Some(name))
    };
    if !(has("add_memory") && has("delete_memory")) {
        if has("list_memories") {
            mcp.call_tool("list_memories", json!({ "limit": 1 }))
                .await
                .map_err(|e| format!("list_memories: {}", why(&e)))?;
            return Ok(Verdict::PassExcept(
                "the client's scopes allow no add_memory: only list_memories was called".into(),
            ));
        }
        return Ok(Verdict::PassExcept(
            "the client's scopes allow no memory tool: only tools/list was called".into(),
        ));
    }
    let content = format!("mcp-oauth verify {}", nonce("memory"));
    let added = mcp
        .call_tool(
            "add_memory",
            json!({ "content": content, "tags": ["mcp-oauth-verify"] }),
        )
        .await
        .map_err(|e| format!("add_memory: {}", why(&e)))?;
    let Some(id) = added.get("id").and_then(Value::as_i64) else {
        fail!("add_memory returned no id: {added}");
    };
    run.remember_memory(&tokens.access_token, id);
    if has("list_memories") {
        let listed = mcp
            .call_tool("list_memories", json!({ "limit": 20 }))
            .await
            .map_err(|e| format!("list_memories: {}", why(&e)))?;
        let found = listed
            .get("memories")
            .and_then(Value::as_array)
            .is_some_and(|m| m.iter().any(|m| m.get("id").and_then(Value::as_i64) == Some(id)));
        if !found {
            fail!("list_memories does not show the memory just added (id {id})");
        }
    }
    let deleted = mcp
        .call_tool("delete_memory", json!({ "id": id }))
        .await
        .map_err(|e| format!("delete_memory: {}", why(&e)))?;
    if deleted.get("deleted") != Some(&Value::Bool(true)) {
        fail!("delete_memory did not delete memory {id}: {deleted}");
    }
    run.forget_memory(id);
    Ok(Verdict::Pass)
}

/// The JSON `error` of a token-endpoint answer.
async fn oauth_error(resp: reqwest::Response) -> (u16, Option<String>, String) {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    let error = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string));
    (status, error, body)
}

/// Refreshing with `refresh_token` must fail with `invalid_grant`.
async fn expect_refresh_refused(
    run: &mut Run,
    client: &ClientAuth,
    refresh_token: &str,
    what: &str,
) -> Result<(), String> {
    let resp = client::refresh(&run.target.http, &run.target.issuer, client, refresh_token)
        .await
        .map_err(|e| format!("refresh: {}", why(&e)))?;
    match oauth_error(resp).await {
        (400, Some(e), _) if e == "invalid_grant" => Ok(()),
        (200, _, _) => Err(format!("{what} still works at the token endpoint")),
        (status, error, body) => Err(format!(
            "refreshing with {what} answered {status} {error:?}, expected 400 invalid_grant: {}",
            client::mcp::snippet(&body)
        )),
    }
}

/// An access token must be refused by `/api/mcp` with 401 `invalid_token`.
async fn expect_token_refused(run: &Run, access_token: &str, what: &str) -> Result<(), String> {
    let reply = run
        .mcp(Some(access_token))
        .rpc("tools/list", json!({}))
        .await
        .map_err(|e| format!("tools/list: {}", why(&e)))?;
    if reply.status != 401 {
        return Err(format!(
            "{what}: /api/mcp answered {}, expected 401",
            reply.status
        ));
    }
    let challenge = reply.www_authenticate.unwrap_or_default();
    if !challenge.contains("invalid_token") {
        return Err(format!(
            "{what}: 401 without error=\"invalid_token\" (WWW-Authenticate: {challenge:?})"
        ));
    }
    Ok(())
}

/// How long `test2.refresh` may take beyond the per-check timeout: the grace it waits out.
pub fn refresh_wait(run: &Run) -> Option<Duration> {
    let grace = run.settings.refresh_grace;
    (run.settings.wait_grace || grace <= SHORT_GRACE).then_some(grace + Duration::from_secs(1))
}

/// `test2.refresh`: the refresh grant replaces both tokens, the new access token works, and the
/// rotated-out refresh token fails once the grace is over — revoking its family (RFC 9700 §4.14.2).
pub async fn refresh(run: &mut Run) -> CheckVerdict {
    let first = run.first_grant().await?;
    let Some(old_refresh) = first.refresh_token.clone() else {
        fail!("the code exchange issued no refresh token");
    };
    let client = run.client().await?;
    let resp = client::refresh(&run.target.http, &run.target.issuer, &client, &old_refresh)
        .await
        .map_err(|e| format!("refresh: {}", why(&e)))?;
    let rotated_by = clock::now();
    let second = run.token_response(resp, "refresh").await?;
    check_tokens(&second)?;
    if second.access_token == first.access_token {
        fail!("the refresh returned the same access token");
    }
    if second.refresh_token.as_deref() == Some(old_refresh.as_str()) {
        fail!("the refresh token was not rotated (the same one came back)");
    }
    run.mcp(Some(&second.access_token))
        .list_tools()
        .await
        .map_err(|e| format!("tools/list with the refreshed access token: {}", why(&e)))?;
    let grace = run.settings.refresh_grace;
    if refresh_wait(run).is_none() {
        return Ok(Verdict::PassExcept(format!(
            "rotation checked; that the old refresh token fails after the {} grace was not (--wait-grace waits for it)",
            humantime::format_duration(grace)
        )));
    }
    // Rotation times are whole seconds and the old token is good while `now - rotated_at <= grace`.
    let until = rotated_by + grace.as_secs() as i64 + 1;
    while clock::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let grace_text = humantime::format_duration(grace);
    expect_refresh_refused(
        run,
        &client,
        &old_refresh,
        &format!("the rotated-out refresh token, {grace_text} after rotation,"),
    )
    .await
    .map_err(|e| {
        format!("{e} (is the server's --refresh-grace longer than {grace_text}? say so with --refresh-grace)")
    })?;
    expect_token_refused(
        run,
        &second.access_token,
        "after the rotated-out refresh token was reused",
    )
    .await
    .map_err(|e| format!("reuse did not revoke the token family (RFC 9700 §4.14.2): {e}"))?;
    if let Some(new_refresh) = &second.refresh_token {
        expect_refresh_refused(
            run,
            &client,
            new_refresh,
            "the family's new refresh token, after the reuse,",
        )
        .await
        .map_err(|e| format!("reuse did not revoke the token family (RFC 9700 §4.14.2): {e}"))?;
    }
    Ok(Verdict::Pass)
}

/// `test3.denial`: Deny redirects with `access_denied`, the state and `iss`, and no code; no
/// code or token is stored (checked in the database when there is one).
pub async fn denial(run: &mut Run) -> CheckVerdict {
    let state = nonce("test3");
    let (url, _, redirect) = run.authorize_request(&state).await?;
    let client_id = run.client().await?.client_id().to_string();
    let store = run.given.store.clone();
    let before = match &store {
        Some(s) => Some(
            crate::storage::grants::count_issued_to_client(s, &client_id)
                .await
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let browser = run.browser().await?;
    let fields = browser
        .consent(&url)
        .await
        .map_err(|e| format!("consent page: {}", why(&e)))?;
    let answer = browser
        .decide(&fields, "deny")
        .await
        .map_err(|e| format!("deny: {}", why(&e)))?;
    let Some(location) = answer.location().map(str::to_string) else {
        fail!("deny answered {} without a Location", answer.status);
    };
    if !location.starts_with(&redirect) {
        fail!("deny redirected to {location}, not to the redirect URI");
    }
    let param = |name: &str| client::query_param(&location, name);
    if param("error").as_deref() != Some("access_denied") {
        fail!(
            "deny redirect's error is {:?}, expected access_denied",
            param("error")
        );
    }
    if param("state").as_deref() != Some(state.as_str()) {
        fail!("deny redirect does not carry the state: {location}");
    }
    if param("iss").as_deref() != Some(run.target.issuer.as_str()) {
        fail!(
            "deny redirect's iss is {:?}, expected {:?}",
            param("iss"),
            run.target.issuer
        );
    }
    if param("code").is_some() {
        fail!("deny redirect carries a code");
    }
    match (&store, before) {
        (Some(s), Some(before)) => {
            let after = crate::storage::grants::count_issued_to_client(s, &client_id)
                .await
                .map_err(|e| e.to_string())?;
            if after != before {
                fail!(
                    "the denial stored {} code(s)/token(s) for the client",
                    after - before
                );
            }
            Ok(Verdict::Pass)
        }
        _ => Ok(Verdict::PassExcept(
            "no --database: that nothing was stored is seen only in the redirect carrying no code".into(),
        )),
    }
}

/// `test4.invalid-client`: an unknown client or an unregistered redirect URI gets an error
/// page and no redirect; an unknown client and a wrong secret get the same `invalid_client`.
pub async fn invalid_client(run: &mut Run) -> CheckVerdict {
    let mut not_checked = Vec::new();
    let unknown_id = format!("mcp_oauth_{}", nonce("verify-unknown"));
    let unregistered = "https://unregistered.invalid/mcp-oauth-verify/callback";
    let pkce = PkcePair::generate();
    let issuer = run.target.issuer.clone();
    let probe = |client_id: &str, redirect_uri: &str| {
        authorize_url(
            &issuer,
            &AuthorizeUrl {
                client_id,
                redirect_uri,
                state: Some("test4"),
                code_challenge: Some(&pkce.challenge),
                ..AuthorizeUrl::default()
            },
        )
    };
    let mut cases = vec![("an unknown client_id", probe(&unknown_id, unregistered))];
    let client = run.client().await.ok();
    match &client {
        Some(c) => cases.push(("an unregistered redirect_uri", probe(c.client_id(), unregistered))),
        None => not_checked.push("an unregistered redirect_uri (no client)"),
    }
    for (what, url) in cases {
        let resp = run
            .target
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET authorize: {}", why(&e)))?;
        if let Some(location) = resp.headers().get("location") {
            fail!("authorize with {what} redirected to {location:?}; it must show an error page");
        }
        if resp.status() != reqwest::StatusCode::BAD_REQUEST {
            fail!("authorize with {what} answered {}, expected 400", resp.status());
        }
        let html = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !html {
            fail!("authorize with {what} answered 400 but not with an HTML page");
        }
    }
    // Both through client_secret_post, so that nothing but the credentials differs.
    let endpoint = run.target.url("/api/oauth/token");
    let http = run.target.http.clone();
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", "auth_mcp-oauth-verify-not-a-code"),
        ("redirect_uri", unregistered),
    ];
    let attempt = |auth: ClientAuth| {
        let http = http.clone();
        let endpoint = endpoint.clone();
        async move {
            let resp = client::token_request(&http, &endpoint, &auth, &fields)
                .await
                .map_err(|e| format!("token request: {}", why(&e)))?;
            Ok::<_, String>(oauth_error(resp).await)
        }
    };
    let unknown = attempt(ClientAuth::Post(unknown_id.clone(), "mcp_cs_not-a-secret".into())).await?;
    if unknown.0 == 429 {
        fail!("the token endpoint rate-limited this address (429) before the check; wait a minute and run again");
    }
    if unknown.0 != 401 || unknown.1.as_deref() != Some("invalid_client") {
        fail!(
            "an unknown client got {} {:?}, expected 401 invalid_client",
            unknown.0,
            unknown.1
        );
    }
    match run.confidential_client().await {
        Some((id, _)) => {
            let wrong = attempt(ClientAuth::Post(id, "mcp_cs_not-the-secret".into())).await?;
            if wrong != unknown {
                fail!(
                    "a wrong secret and an unknown client are told apart: {} {} vs {} {}",
                    wrong.0,
                    client::mcp::snippet(&wrong.2),
                    unknown.0,
                    client::mcp::snippet(&unknown.2)
                );
            }
        }
        None => not_checked.push("a wrong secret (no confidential client)"),
    }
    if not_checked.is_empty() {
        Ok(Verdict::Pass)
    } else {
        Ok(Verdict::PassExcept(format!(
            "not checked: {}",
            not_checked.join(", ")
        )))
    }
}

/// `test5.revocation`: a revoked access token gets 401; a revoked refresh token no longer
/// refreshes (RFC 7009).
pub async fn revocation(run: &mut Run) -> CheckVerdict {
    let grant = run.new_grant(&nonce("test5")).await?;
    let client = run.client().await?;
    let Some(refresh_token) = grant.tokens.refresh_token.clone() else {
        fail!("the code exchange issued no refresh token");
    };
    for token in [&grant.tokens.access_token, &refresh_token] {
        let resp = client::revoke(&run.target.http, &run.target.issuer, &client, token)
            .await
            .map_err(|e| format!("revoke: {}", why(&e)))?;
        if resp.status() != reqwest::StatusCode::OK {
            fail!("the revocation endpoint answered {}", resp.status());
        }
        if token == &grant.tokens.access_token {
            expect_token_refused(run, token, "the revoked access token").await?;
        }
    }
    expect_refresh_refused(run, &client, &refresh_token, "the revoked refresh token").await?;
    Ok(Verdict::Pass)
}

/// `connections.revoke`: the signed-in user's connections page lists the client, and its
/// Revoke button ends the client's tokens at once.
pub async fn connections_revoke(run: &mut Run) -> CheckVerdict {
    run.browser().await?;
    if run.preexisting_connection() && !run.settings.self_test {
        skip!(
            "this user already had a connection with this client, which Revoke would end too; \
             give verify a user (or client) of its own"
        );
    }
    let client = run.client().await?;
    let grant = run.new_grant(&nonce("connections")).await?;
    let browser = run.browser().await?;
    let page = browser
        .get("/api/oauth/connections")
        .await
        .map_err(|e| format!("GET /api/oauth/connections: {}", why(&e)))?;
    if page.status != 200 {
        fail!(
            "GET /api/oauth/connections answered {} while signed in",
            page.status
        );
    }
    let fields = client::hidden_inputs(&page.body);
    let Some(at) = fields
        .iter()
        .position(|(k, v)| k == "client_id" && v == client.client_id())
    else {
        fail!("the connections page does not list the client that was just authorized");
    };
    let Some((_, csrf)) = fields[at + 1..].iter().find(|(k, _)| k == "csrf") else {
        fail!("the client's Revoke form has no CSRF token");
    };
    let csrf = csrf.clone();
    let answer = browser
        .post_form(
            "/api/oauth/connections",
            &[("client_id", client.client_id()), ("csrf", &csrf)],
        )
        .await
        .map_err(|e| format!("POST /api/oauth/connections: {}", why(&e)))?;
    if !(300..400).contains(&answer.status) {
        fail!(
            "Revoke answered {}, expected a redirect back to the page",
            answer.status
        );
    }
    let page = browser
        .get("/api/oauth/connections")
        .await
        .map_err(|e| e.to_string())?;
    if connection_listed(&page.body, client.client_id()) {
        fail!("after Revoke the connections page still lists the client");
    }
    expect_token_refused(
        run,
        &grant.tokens.access_token,
        "an access token of the revoked connection",
    )
    .await?;
    if let Some(rt) = &grant.tokens.refresh_token {
        expect_refresh_refused(run, &client, rt, "a refresh token of the revoked connection").await?;
    }
    Ok(Verdict::Pass)
}

/// `clerk.session-token`: a Clerk session JWT as Bearer still opens `/api/mcp`.
pub async fn clerk_session_token(run: &mut Run) -> CheckVerdict {
    let Some(jwt) = run.given.session_token.clone() else {
        skip!("needs --session-token (a Clerk session JWT, or env MCP_OAUTH_SESSION_TOKEN)");
    };
    run.mcp(Some(&jwt))
        .list_tools()
        .await
        .map_err(|e| format!("tools/list with the Clerk session JWT as Bearer: {}", why(&e)))?;
    Ok(Verdict::Pass)
}
