//! MCP 2026-07-28 on `/api/mcp`, beside the 2025 revisions (SPEC §7): the stateless pipeline's
//! header and `_meta` checks, `server/discover`, what every result carries, and the revision's
//! authorization details. Each test asserts the HTTP status, the JSON-RPC code, the id echo and
//! the headers of the behaviour it is named for.

#[path = "common/mcp.rs"]
mod harness;

use base64::Engine;
use harness::{McpClient, Reply, TestServer};
use serde_json::{json, Value};

const MODERN: &str = "2026-07-28";
const ID: &str = "req-7";

fn meta(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcp_2026 test", "version": "1"},
    })
}

/// `params` with the modern `_meta` added.
fn with_meta(mut params: Value) -> Value {
    params["_meta"] = meta(MODERN);
    params
}

/// The headers a 2026-07-28 client sends for `method` (and `Mcp-Name` for `tools/call`).
fn modern_client(c: &McpClient, method: &str, params: &Value) -> McpClient {
    let mut c = c
        .clone()
        .with_header("mcp-protocol-version", MODERN)
        .with_header("mcp-method", method);
    if method == "tools/call" {
        c = c.with_header("mcp-name", params["name"].as_str().unwrap_or(""));
    }
    c
}

fn body(id: &str, method: &str, params: &Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// A well-formed 2026-07-28 request: headers and `_meta` as a conforming client sends them.
async fn modern(c: &McpClient, method: &str, params: Value) -> Reply {
    let params = with_meta(params);
    modern_client(c, method, &params)
        .post(body(ID, method, &params))
        .await
}

/// The `result` of a modern request that must succeed.
async fn modern_result(c: &McpClient, method: &str, params: Value) -> Value {
    let r = modern(c, method, params).await;
    assert_eq!(r.status, 200, "{method}: {}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["id"], ID, "{method}");
    assert!(body.get("error").is_none(), "{method}: {body}");
    let result = body["result"].clone();
    assert_eq!(result["resultType"], "complete", "{method}: {result}");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "mcp-oauth",
        "{method}: {result}"
    );
    result
}

/// Asserts a JSON-RPC error answer: HTTP status, code, and the request id echoed.
fn assert_error(r: &Reply, status: u16, code: i64) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let body = r.json();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], ID, "the error echoes the request id: {body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body.get("result").is_none());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    body["error"].clone()
}

fn tool_names(result: &Value) -> Vec<String> {
    result["tools"]
        .as_array()
        .expect("tools array")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

// ---- server/discover ----------------------------------------------------------------------

#[tokio::test]
async fn server_discover_names_every_version_the_tools_capability_and_public_cache_hints() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let d = modern_result(&c, "server/discover", json!({})).await;
    assert_eq!(
        d["supportedVersions"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    );
    assert_eq!(
        d["capabilities"],
        json!({"tools": {}}),
        "no listChanged without a stream"
    );
    assert!(d["instructions"].as_str().unwrap().contains("add_memory"));
    assert!(d["ttlMs"].as_u64().is_some(), "ttlMs is an integer >= 0: {d}");
    assert_eq!(d["cacheScope"], "public");
    assert!(d.get("serverInfo").is_none(), "serverInfo lives in _meta only");
}

#[tokio::test]
async fn server_discover_sent_the_2025_way_stays_method_not_found_so_old_probes_fall_back() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .with_header("mcp-protocol-version", "2025-11-25")
        .post(body(ID, "server/discover", &json!({})))
        .await;
    assert_error(&r, 200, -32601);
}

// ---- tools --------------------------------------------------------------------------------

#[tokio::test]
async fn modern_tools_list_is_private_cacheable_and_the_same_bytes_call_after_call() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let first = modern(&c, "tools/list", json!({})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    modern_result(
        &c,
        "tools/call",
        json!({"name": "add_memory", "arguments": {"content": "a side effect"}}),
    )
    .await;
    let second = modern(&c, "tools/list", json!({})).await;
    assert_eq!(first.body, second.body, "tools/list does not vary between calls");

    let list = modern_result(&c, "tools/list", json!({})).await;
    assert_eq!(
        list["cacheScope"], "private",
        "the list depends on the token's scopes"
    );
    assert!(list["ttlMs"].as_u64().is_some());
    let legacy = c.result("tools/list", json!({})).await;
    assert_eq!(
        list["tools"], legacy["tools"],
        "one set of tools for both eras, same order"
    );
    assert_eq!(tool_names(&list).len(), 13);
}

#[tokio::test]
async fn modern_tools_list_shows_only_the_tools_the_token_may_call() {
    let t = TestServer::start().await;
    let c = t.client(&t.token("bob", "memories:read").await);
    let list = modern_result(&c, "tools/list", json!({})).await;
    assert_eq!(tool_names(&list), ["search_memories", "list_memories"]);
    assert_eq!(list["cacheScope"], "private");
}

#[tokio::test]
async fn modern_tools_call_is_complete_and_names_the_server() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let added = modern_result(
        &c,
        "tools/call",
        json!({"name": "add_memory", "arguments": {"content": "stateless"}}),
    )
    .await;
    assert_eq!(added["isError"], false);
    assert_eq!(added["structuredContent"]["content"], "stateless");
    let listed = modern_result(
        &c,
        "tools/call",
        json!({"name": "list_memories", "arguments": {}}),
    )
    .await;
    assert_eq!(listed["structuredContent"]["memories"][0]["content"], "stateless");
}

#[tokio::test]
async fn a_modern_request_without_client_info_is_served() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }});
    let r = modern_client(&c, "tools/list", &params)
        .post(body(ID, "tools/list", &params))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_modern_unknown_tool_is_200_invalid_params_echoing_the_id() {
    let t = TestServer::start().await;
    let r = modern(
        &t.user("alice").await,
        "tools/call",
        json!({"name": "rm_rf", "arguments": {}}),
    )
    .await;
    let e = assert_error(&r, 200, -32602);
    assert!(e["message"].as_str().unwrap().contains("rm_rf"));
}

#[tokio::test]
async fn a_modern_call_without_its_scope_is_403_naming_it_in_one_challenge() {
    let t = TestServer::start().await;
    let c = t.client(&t.token("alice", "memories:read").await);
    let r = modern(
        &c,
        "tools/call",
        json!({"name": "add_memory", "arguments": {"content": "sneaky"}}),
    )
    .await;
    assert_eq!(r.status, 403);
    let challenges: Vec<_> = r.headers.get_all("www-authenticate").iter().collect();
    assert_eq!(challenges.len(), 1, "one challenge");
    let challenge = challenges[0].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"memories:write\""),
        "{challenge}"
    );
    assert!(!challenge.contains("offline_access"), "{challenge}");
}

// ---- headers against the body: 400 + -32020 -----------------------------------------------

#[tokio::test]
async fn a_missing_or_differently_cased_mcp_method_is_400_header_mismatch() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = with_meta(json!({}));
    let base = c.clone().with_header("mcp-protocol-version", MODERN);
    let missing = base.clone().post(body(ID, "tools/list", &params)).await;
    assert_error(&missing, 400, -32020);
    let shouted = base
        .clone()
        .with_header("mcp-method", "TOOLS/LIST")
        .post(body(ID, "tools/list", &params))
        .await;
    assert_error(&shouted, 400, -32020);
    let other = base
        .with_header("mcp-method", "server/discover")
        .post(body(ID, "tools/list", &params))
        .await;
    let e = assert_error(&other, 400, -32020);
    assert!(e["message"].as_str().unwrap().contains("Mcp-Method"), "{e}");
}

#[tokio::test]
async fn a_missing_or_mismatched_mcp_name_on_tools_call_is_400_header_mismatch_and_nothing_runs() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = with_meta(json!({"name": "add_memory", "arguments": {"content": "x"}}));
    let base = c
        .clone()
        .with_header("mcp-protocol-version", MODERN)
        .with_header("mcp-method", "tools/call");
    for (name, value) in [
        (None, ""),
        (Some("mcp-name"), "delete_memory"),
        (Some("mcp-name"), "ADD_MEMORY"),
        (Some("mcp-name"), "=?base64?not base64!?="),
    ] {
        let client = match name {
            Some(n) => base.clone().with_header(n, value),
            None => base.clone(),
        };
        let r = client.post(body(ID, "tools/call", &params)).await;
        assert_error(&r, 400, -32020);
    }
    let listed = c.call_ok("list_memories", json!({})).await;
    assert_eq!(listed["memories"], json!([]), "no refused call stored anything");
}

#[tokio::test]
async fn an_mcp_name_with_surrounding_spaces_or_in_base64_is_accepted() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = with_meta(json!({"name": "list_memories", "arguments": {}}));
    let encoded = format!(
        "=?base64?{}?=",
        base64::engine::general_purpose::STANDARD.encode("list_memories")
    );
    for value in ["  list_memories ", encoded.as_str()] {
        let r = c
            .clone()
            .with_header("mcp-protocol-version", MODERN)
            .with_header("mcp-method", " tools/call")
            .with_header("mcp-name", value)
            .post(body(ID, "tools/call", &params))
            .await;
        assert_eq!(r.status, 200, "{value:?}: {}", r.body);
        assert_eq!(r.json()["result"]["resultType"], "complete");
    }
}

#[tokio::test]
async fn a_raw_non_ascii_mcp_name_is_400_header_mismatch_it_must_come_base64_encoded() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = with_meta(json!({"name": "café", "arguments": {}}));
    let r = c
        .clone()
        .with_header("mcp-protocol-version", MODERN)
        .with_header("mcp-method", "tools/call")
        .with_header("mcp-name", "café")
        .post(body(ID, "tools/call", &params))
        .await;
    let e = assert_error(&r, 400, -32020);
    assert!(
        e["message"].as_str().unwrap().contains("invalid characters"),
        "{e}"
    );
}

#[tokio::test]
async fn a_meta_version_without_the_header_is_400_header_mismatch() {
    let t = TestServer::start().await;
    let c = t.user("alice").await.with_header("mcp-method", "tools/list");
    let r = c.post(body(ID, "tools/list", &with_meta(json!({})))).await;
    assert_error(&r, 400, -32020);
}

#[tokio::test]
async fn a_header_version_that_differs_from_meta_is_400_header_mismatch() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = json!({"_meta": meta("v999.0.0")});
    let r = modern_client(&c, "tools/list", &params)
        .post(body(ID, "tools/list", &params))
        .await;
    assert_error(&r, 400, -32020);
}

// ---- _meta: 400 + -32602 ------------------------------------------------------------------

#[tokio::test]
async fn a_modern_request_missing_a_required_meta_key_is_400_invalid_params() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for params in [
        json!({}),
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}),
        json!({"_meta": {"io.modelcontextprotocol/clientCapabilities": {}}}),
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                         "io.modelcontextprotocol/clientCapabilities": "all"}}),
    ] {
        let r = modern_client(&c, "tools/list", &params)
            .post(body(ID, "tools/list", &params))
            .await;
        assert_error(&r, 400, -32602);
    }
    let no_params = modern_client(&c, "tools/list", &json!({}))
        .post(json!({"jsonrpc": "2.0", "id": ID, "method": "tools/list"}).to_string())
        .await;
    assert_error(&no_params, 400, -32602);
}

// ---- versions: 400 + -32022 ---------------------------------------------------------------

#[tokio::test]
async fn an_unsupported_version_is_400_naming_supported_and_requested() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let params = json!({"_meta": meta("v999.0.0")});
    let r = c
        .clone()
        .with_header("mcp-protocol-version", "v999.0.0")
        .with_header("mcp-method", "tools/list")
        .post(body(ID, "tools/list", &params))
        .await;
    let e = assert_error(&r, 400, -32022);
    assert_eq!(e["data"]["requested"], "v999.0.0");
    let discover = modern_result(&c, "server/discover", json!({})).await;
    assert_eq!(
        e["data"]["supported"], discover["supportedVersions"],
        "the same list in both places"
    );
}

#[tokio::test]
async fn an_unknown_version_header_on_a_2025_style_request_is_400_unsupported_echoing_the_id() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .with_header("mcp-protocol-version", "2024-11-05")
        .post(body(ID, "ping", &json!({})))
        .await;
    let e = assert_error(&r, 400, -32022);
    assert_eq!(e["data"]["requested"], "2024-11-05");
    assert!(e["data"]["supported"]
        .as_array()
        .unwrap()
        .contains(&json!(MODERN)));
}

// ---- methods: 404 + -32601 ----------------------------------------------------------------

#[tokio::test]
async fn removed_and_unknown_methods_are_404_method_not_found_in_2026() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for method in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/list",
        "prompts/list",
        "subscriptions/listen",
        "no/such/method",
    ] {
        let r = modern(&c, method, json!({})).await;
        let e = assert_error(&r, 404, -32601);
        assert!(e["message"].as_str().unwrap().contains(method), "{e}");
    }
}

// ---- the two eras side by side ------------------------------------------------------------

#[tokio::test]
async fn a_legacy_initialize_asking_for_2026_07_28_negotiates_down_to_2025_11_25() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let result = c
        .result(
            "initialize",
            json!({"protocolVersion": MODERN, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        )
        .await;
    assert_eq!(result["protocolVersion"], "2025-11-25");
    assert!(
        result.get("resultType").is_none(),
        "a 2025 answer stays a 2025 answer"
    );
}

#[tokio::test]
async fn a_2025_request_is_not_held_to_the_2026_headers() {
    let t = TestServer::start().await;
    let c = t
        .user("alice")
        .await
        .with_header("mcp-protocol-version", "2025-11-25")
        .with_header("mcp-method", "something/else");
    let r = c.post(body(ID, "ping", &json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"jsonrpc": "2.0", "id": ID, "result": {}}));
}

#[tokio::test]
async fn a_modern_request_ignores_a_session_id_and_mints_none() {
    let t = TestServer::start().await;
    let c = t.user("alice").await.with_header("mcp-session-id", "abc");
    let r = modern(&c, "tools/list", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("mcp-session-id").is_none());
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_modern_notification_is_202_with_no_body() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .with_header("mcp-protocol-version", MODERN)
        .with_header("mcp-method", "notifications/cancelled")
        .post(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.body, "");
}

// ---- authorization details of the revision ------------------------------------------------

#[tokio::test]
async fn the_protected_resource_metadata_and_challenges_never_name_offline_access() {
    let t = TestServer::start().await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/api/mcp",
    ] {
        let prm: Value = t
            .http()
            .get(format!("{}{path}", t.issuer()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let scopes = prm["scopes_supported"].as_array().unwrap();
        assert!(!scopes.is_empty(), "{path}");
        assert!(!scopes.contains(&json!("offline_access")), "{path}: {prm}");
    }
    let unauthenticated = modern(&t.anonymous(), "tools/list", json!({})).await;
    assert_eq!(unauthenticated.status, 401);
    let challenge = unauthenticated.header("www-authenticate").unwrap();
    assert!(challenge.contains("scope=\""), "{challenge}");
    assert!(!challenge.contains("offline_access"), "{challenge}");
}

#[tokio::test]
async fn a_browser_client_may_send_the_2026_headers_cross_origin() {
    let t = TestServer::start_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let pre = t
        .anonymous()
        .with_header("origin", "https://app.example")
        .with_header("access-control-request-method", "POST")
        .with_header("access-control-request-headers", "mcp-method, mcp-name")
        .send(reqwest::Method::OPTIONS, None)
        .await;
    assert_eq!(pre.status, 204);
    let allowed = pre
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["mcp-protocol-version", "mcp-method", "mcp-name"] {
        assert!(allowed.contains(h), "{h} not in {allowed}");
    }
}
