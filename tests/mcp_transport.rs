//! `/api/mcp` transport and authorization: status codes, headers and JSON-RPC error codes
//! (SPEC §7), each test named for the rule or attack it pins.

#[path = "common/mcp.rs"]
mod harness;

use harness::{TestServer, TokenSpec, ALL_SCOPES};
use reqwest::Method;
use serde_json::json;

const ALL_SCOPES_CHALLENGE: &str = "memories:read memories:write entities:read entities:write";

// ---- methods -------------------------------------------------------------------------------

#[tokio::test]
async fn get_and_delete_are_405_with_allow_post() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for method in [Method::GET, Method::DELETE, Method::PUT] {
        let r = c.send(method.clone(), None).await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
    }
}

#[tokio::test]
async fn the_trailing_slash_path_is_the_same_endpoint() {
    let t = TestServer::start().await;
    let c = t.user("alice").await.with_url(&format!("{}/", t.mcp_url()));
    assert_eq!(c.result("ping", json!({})).await, json!({}));
}

// ---- authentication ------------------------------------------------------------------------

#[tokio::test]
async fn no_token_is_401_with_a_challenge_naming_the_resource_metadata_and_no_error() {
    let t = TestServer::start().await;
    let r = t
        .anonymous()
        .rpc("initialize", json!({"protocolVersion": "2025-06-18"}))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        format!(
            "Bearer resource_metadata=\"{}\", scope=\"{ALL_SCOPES_CHALLENGE}\"",
            t.resource_metadata_url()
        )
    );
}

#[tokio::test]
async fn an_unknown_token_is_401_invalid_token() {
    let t = TestServer::start().await;
    for token in [
        "mcp_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "not-even-ours",
        &"mcp_at_x".repeat(100),
    ] {
        let r = t.client(token).rpc("ping", json!({})).await;
        assert_eq!(r.status, 401, "{token}");
        let challenge = r.header("www-authenticate").unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(
            challenge.contains(&format!("resource_metadata=\"{}\"", t.resource_metadata_url())),
            "{challenge}"
        );
        assert_eq!(r.json()["error"], "invalid_token");
    }
}

#[tokio::test]
async fn an_expired_token_is_401_never_5xx() {
    let t = TestServer::start().await;
    let token = t
        .mint(TokenSpec {
            expires_in: -1,
            ..TokenSpec::new("alice", ALL_SCOPES)
        })
        .await;
    let r = t.client(&token).rpc("tools/list", json!({})).await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn a_revoked_token_is_refused_on_the_very_next_request() {
    let t = TestServer::start().await;
    let token = t.token("alice", ALL_SCOPES).await;
    let c = t.client(&token);
    assert_eq!(c.rpc("ping", json!({})).await.status, 200);
    t.revoke(&token).await;
    let r = c.rpc("ping", json!({})).await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn a_token_revoked_by_the_cli_on_the_same_file_is_refused_on_the_very_next_request() {
    // No lag on a file: validated tokens are cached only while nothing is committed to the
    // file, by any process.
    let t = TestServer::start().await;
    let token = t.token("alice", ALL_SCOPES).await;
    let c = t.client(&token);
    for _ in 0..2 {
        assert_eq!(c.rpc("tools/list", json!({})).await.status, 200);
    }
    let cache = t
        .server
        .state
        .bearer_cache
        .as_ref()
        .expect("a file with no lag caches");
    assert_eq!(cache.len(), 1, "the validated token is cached");
    let mark = t
        .server
        .state
        .store
        .change_mark()
        .await
        .expect("the file is there")
        .expect("no writer at work");
    assert!(
        mark.is_from_wal_index(),
        "the mark is read from the mapped WAL index, not asked with a statement"
    );
    let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-oauth"))
        .arg("--database")
        .arg(t.database_path())
        .args(["-q", "token", "revoke", "--token", "-", "--yes"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run the CLI");
    use std::io::Write as _;
    writeln!(cli.stdin.take().expect("stdin"), "{token}").expect("write the token");
    assert!(cli.wait().expect("CLI exit").success());
    let r = c.rpc("tools/list", json!({})).await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn a_token_revoked_through_this_server_is_refused_on_the_very_next_request() {
    let t = TestServer::start().await;
    let token = t.token("alice", ALL_SCOPES).await;
    let c = t.client(&token);
    for _ in 0..2 {
        assert_eq!(c.rpc("tools/list", json!({})).await.status, 200);
    }
    let r = t
        .http()
        .post(format!("{}/api/oauth/revoke", t.issuer()))
        .form(&[("token", token.as_str()), ("client_id", harness::CLIENT_ID)])
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 200);
    assert_eq!(c.rpc("tools/list", json!({})).await.status, 401);
}

#[tokio::test]
async fn a_token_minted_for_another_resource_is_401() {
    let t = TestServer::start().await;
    let token = t
        .mint(TokenSpec {
            resource: Some("https://other.example/api/mcp".into()),
            ..TokenSpec::new("alice", ALL_SCOPES)
        })
        .await;
    assert_eq!(t.client(&token).rpc("ping", json!({})).await.status, 401);
}

#[tokio::test]
async fn a_token_bound_to_the_resource_with_a_trailing_slash_is_accepted() {
    let t = TestServer::start().await;
    let token = t
        .mint(TokenSpec {
            resource: Some(format!("{}/", t.mcp_url())),
            ..TokenSpec::new("alice", ALL_SCOPES)
        })
        .await;
    assert_eq!(t.client(&token).rpc("ping", json!({})).await.status, 200);
}

#[tokio::test]
async fn a_token_in_the_query_string_is_ignored() {
    let t = TestServer::start().await;
    let token = t.token("alice", ALL_SCOPES).await;
    let r = t
        .anonymous()
        .with_url(&format!("{}?access_token={token}", t.mcp_url()))
        .rpc("ping", json!({}))
        .await;
    assert_eq!(r.status, 401);
    assert!(!r.header("www-authenticate").unwrap().contains("error="));
}

#[tokio::test]
async fn a_basic_authorization_header_carries_no_bearer_token() {
    let t = TestServer::start().await;
    let r = t
        .anonymous()
        .with_header("authorization", "Basic YWxpY2U6cGFzcw==")
        .rpc("ping", json!({}))
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_database_failure_is_503_not_a_stack_trace() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let conn = t.store.connection().await.unwrap();
    conn.execute_batch(
        "DROP TRIGGER memories_fts_insert; DROP TRIGGER memories_fts_delete; \
         DROP TRIGGER memories_fts_update; DROP TABLE memories_fts; DROP TABLE memories;",
    )
    .await
    .unwrap();
    let r = c
        .rpc("tools/call", json!({"name": "list_memories", "arguments": {}}))
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    assert!(!r.body.contains("no such table"));
}

// ---- scopes --------------------------------------------------------------------------------

#[tokio::test]
async fn a_read_only_token_cannot_add_a_memory_403_naming_memories_write() {
    let t = TestServer::start().await;
    let token = t.token("alice", "memories:read").await;
    let c = t.client(&token);
    let r = c
        .rpc(
            "tools/call",
            json!({"name": "add_memory", "arguments": {"content": "sneaky"}}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        format!(
            "Bearer error=\"insufficient_scope\", scope=\"memories:write\", resource_metadata=\"{}\", error_description=\"This tool needs the memories:write scope\"",
            t.resource_metadata_url()
        )
    );
    let listed = c.call_ok("list_memories", json!({})).await;
    assert_eq!(listed["memories"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn each_tool_is_refused_without_its_scope_with_that_scope_named() {
    let t = TestServer::start().await;
    let cases = [
        (
            "entities:read entities:write",
            "search_memories",
            json!({"query": "x"}),
            "memories:read",
        ),
        (
            "memories:read",
            "delete_memory",
            json!({"id": 1}),
            "memories:write",
        ),
        (
            "memories:read memories:write",
            "read_graph",
            json!({}),
            "entities:read",
        ),
        (
            "entities:read",
            "create_entities",
            json!({"entities": []}),
            "entities:write",
        ),
        (
            "entities:read",
            "delete_entities",
            json!({"entityNames": ["x"]}),
            "entities:write",
        ),
    ];
    for (scopes, tool, args, needed) in cases {
        let c = t.client(&t.token("alice", scopes).await);
        let r = c
            .rpc("tools/call", json!({"name": tool, "arguments": args}))
            .await;
        assert_eq!(r.status, 403, "{tool} with {scopes}");
        let challenge = r.header("www-authenticate").unwrap();
        assert!(
            challenge.contains(&format!("scope=\"{needed}\"")),
            "{tool}: {challenge}"
        );
        assert!(challenge.contains("error=\"insufficient_scope\""));
    }
}

#[tokio::test]
async fn tools_list_shows_only_the_tools_the_token_may_call() {
    let t = TestServer::start().await;
    let names = |result: serde_json::Value| -> Vec<String> {
        result["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_string())
            .collect()
    };
    let read = t.client(&t.token("alice", "memories:read").await);
    assert_eq!(
        names(read.result("tools/list", json!({})).await),
        ["search_memories", "list_memories"]
    );
    let graph = t.client(
        &t.token("alice", "entities:read entities:write offline_access")
            .await,
    );
    assert_eq!(
        names(graph.result("tools/list", json!({})).await),
        [
            "create_entities",
            "create_relations",
            "add_observations",
            "delete_entities",
            "delete_observations",
            "delete_relations",
            "read_graph",
            "search_nodes",
            "open_nodes"
        ]
    );
    let none = t.client(&t.token("alice", "").await);
    assert_eq!(none.result("tools/list", json!({})).await, json!({"tools": []}));
}

#[tokio::test]
async fn every_listed_tool_has_title_description_schemas_and_annotations() {
    let t = TestServer::start().await;
    let tools = t.user("alice").await.result("tools/list", json!({})).await["tools"].clone();
    let tools = tools.as_array().unwrap();
    assert_eq!(tools.len(), 13);
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        assert!(
            tool["title"].is_string() && tool["description"].is_string(),
            "{name}"
        );
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        let a = &tool["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint"] {
            assert!(a[hint].is_boolean(), "{name}.{hint}");
        }
        assert_eq!(a["openWorldHint"], false, "{name}");
    }
    let by_name = |n: &str| tools.iter().find(|t| t["name"] == n).unwrap()["annotations"].clone();
    assert_eq!(by_name("search_memories")["readOnlyHint"], true);
    assert_eq!(by_name("delete_memory")["destructiveHint"], true);
    assert_eq!(by_name("add_memory")["idempotentHint"], false);
}

// ---- origin and CORS -----------------------------------------------------------------------

#[tokio::test]
async fn a_foreign_origin_is_403_even_with_a_valid_token_dns_rebinding() {
    let t = TestServer::start().await;
    let c = t.user("alice").await.with_header("origin", "http://evil.example");
    let r = c.rpc("ping", json!({})).await;
    assert_eq!(r.status, 403);
    assert!(r.header("access-control-allow-origin").is_none());
    assert_eq!(r.error_code(), -32600);
    let null = t.user("alice").await.with_header("origin", "null");
    assert_eq!(null.rpc("ping", json!({})).await.status, 403);
}

#[tokio::test]
async fn the_issuers_own_origin_is_accepted() {
    let t = TestServer::start().await;
    let c = t.user("alice").await.with_header("origin", t.issuer());
    assert_eq!(c.rpc("ping", json!({})).await.status, 200);
}

#[tokio::test]
async fn a_configured_cors_origin_is_accepted_and_can_read_the_401_challenge() {
    let t = TestServer::start_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let c = t.user("alice").await.with_header("origin", "https://app.example");
    let r = c.rpc("ping", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    let r = t
        .anonymous()
        .with_header("origin", "https://app.example")
        .rpc("ping", json!({}))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("WWW-Authenticate"));

    let pre = t
        .anonymous()
        .with_header("origin", "https://app.example")
        .with_header("access-control-request-method", "POST")
        .send(Method::OPTIONS, None)
        .await;
    assert_eq!(pre.status, 204);
    assert!(pre
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
}

// ---- protocol version ----------------------------------------------------------------------

#[tokio::test]
async fn an_unsupported_protocol_version_header_is_400() {
    let t = TestServer::start().await;
    for bad in ["2024-11-05", "banana", ""] {
        let r = t
            .user("alice")
            .await
            .with_header("mcp-protocol-version", bad)
            .rpc("ping", json!({}))
            .await;
        assert_eq!(r.status, 400, "{bad:?}");
        assert!(r.body.contains("Unsupported MCP-Protocol-Version"), "{}", r.body);
    }
}

#[tokio::test]
async fn each_supported_protocol_version_header_is_accepted_and_absence_is_fine() {
    let t = TestServer::start().await;
    for v in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        let c = t.user("alice").await.with_header("mcp-protocol-version", v);
        assert_eq!(c.rpc("ping", json!({})).await.status, 200, "{v}");
    }
    assert_eq!(t.user("alice").await.rpc("ping", json!({})).await.status, 200);
}

#[tokio::test]
async fn initialize_echoes_a_supported_version_and_offers_the_newest_otherwise() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for v in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        let result = c
            .result(
                "initialize",
                json!({"protocolVersion": v, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
            )
            .await;
        assert_eq!(result["protocolVersion"], v);
        assert_eq!(result["capabilities"]["tools"]["listChanged"], false);
        assert_eq!(result["serverInfo"]["name"], "mcp-oauth");
    }
    let result = c
        .result("initialize", json!({"protocolVersion": "2024-11-05"}))
        .await;
    assert_eq!(result["protocolVersion"], "2025-11-25");
}

#[tokio::test]
async fn the_server_is_stateless_and_issues_no_session_id() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .rpc("initialize", json!({"protocolVersion": "2025-06-18"}))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("mcp-session-id").is_none());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

// ---- JSON-RPC ------------------------------------------------------------------------------

#[tokio::test]
async fn notifications_and_client_responses_are_202_with_no_body() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for body in [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
        json!({"jsonrpc": "2.0", "method": "no/such/notification"}),
        json!({"jsonrpc": "2.0", "id": 5, "result": {}}),
    ] {
        let r = c.post(body.to_string()).await;
        assert_eq!(r.status, 202, "{body}");
        assert_eq!(r.body, "", "{body}");
    }
}

#[tokio::test]
async fn ping_answers_an_empty_result_with_the_same_id() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .post(r#"{"jsonrpc":"2.0","id":"abc","method":"ping"}"#)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"jsonrpc": "2.0", "id": "abc", "result": {}}));
}

#[tokio::test]
async fn server_discover_and_unknown_methods_are_method_not_found() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for method in ["server/discover", "resources/list", "no/such/method"] {
        let r = c.rpc(method, json!({})).await;
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.error_code(), -32601, "{method}");
        assert_eq!(r.json()["id"], 1);
    }
}

#[tokio::test]
async fn malformed_json_is_400_parse_error() {
    let t = TestServer::start().await;
    let r = t.user("alice").await.post(r#"{"jsonrpc":"2.0","id":1,"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), -32700);
    assert_eq!(r.json()["id"], serde_json::Value::Null);
}

#[tokio::test]
async fn batches_and_invalid_requests_are_400_invalid_request() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    for body in [
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
        r#"{"id":1,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#,
        r#""ping""#,
    ] {
        let r = c.post(body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.error_code(), -32600, "{body}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let t = TestServer::start_with(|c| c.max_body_bytes = 1024).await;
    let c = t.user("alice").await;
    let big = "x".repeat(2000);
    let r = c
        .rpc(
            "tools/call",
            json!({"name": "add_memory", "arguments": {"content": big}}),
        )
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(c.call_ok("list_memories", json!({})).await["memories"], json!([]));
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .with_header("content-type", "text/plain")
        .post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .await;
    assert_eq!(r.status, 415);
}

#[tokio::test]
async fn an_unknown_tool_is_invalid_params() {
    let t = TestServer::start().await;
    let r = t
        .user("alice")
        .await
        .rpc("tools/call", json!({"name": "rm_rf", "arguments": {}}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.error_code(), -32602);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("rm_rf"));
}

#[tokio::test]
async fn tools_call_without_a_name_or_initialize_without_a_version_is_invalid_params() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    assert_eq!(
        c.rpc("tools/call", json!({"arguments": {}})).await.error_code(),
        -32602
    );
    assert_eq!(c.rpc("initialize", json!({})).await.error_code(), -32602);
    assert_eq!(c.rpc("tools/list", json!([1, 2])).await.error_code(), -32602);
}

#[tokio::test]
async fn bad_tool_arguments_are_a_tool_error_saying_what_was_wrong() {
    let t = TestServer::start().await;
    let c = t.user("alice").await;
    let missing = c.call_err("add_memory", json!({})).await;
    assert!(missing.contains("missing field `content`"), "{missing}");
    let wrong_type = c.call_err("add_memory", json!({"content": 5})).await;
    assert!(wrong_type.contains("invalid type"), "{wrong_type}");
    let unknown = c
        .call_err("add_memory", json!({"content": "x", "colour": "red"}))
        .await;
    assert!(unknown.contains("unknown field `colour`"), "{unknown}");
    let not_object = c.call_err("list_memories", json!([1])).await;
    assert!(not_object.contains("must be a JSON object"), "{not_object}");
}

// ---- compression ---------------------------------------------------------------------------

/// `tools/list` in the 2025 form, or the 2026-07-28 one, with `Accept-Encoding` if given:
/// (status, headers, raw body bytes).
async fn tools_list(
    t: &TestServer,
    token: &str,
    modern: bool,
    accept_encoding: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = t
        .http()
        .post(t.mcp_url())
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    let body = if modern {
        req = req
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/list");
        json!({"jsonrpc": "2.0", "id": "list-1", "method": "tools/list", "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}}}})
    } else {
        json!({"jsonrpc": "2.0", "id": 41, "method": "tools/list", "params": {}})
    };
    if let Some(value) = accept_encoding {
        req = req.header("accept-encoding", value);
    }
    let resp = req.body(body.to_string()).send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("a valid gzip body");
    out
}

fn varies_on_accept_encoding(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
}

#[tokio::test]
async fn tools_list_is_gzip_when_accepted_and_decompresses_to_the_exact_uncompressed_answer() {
    let t = TestServer::start().await;
    let token = t.token("alice", ALL_SCOPES).await;
    for modern in [false, true] {
        let (status, plain_headers, plain) = tools_list(&t, &token, modern, None).await;
        assert_eq!(status, 200);
        assert!(plain_headers.get("content-encoding").is_none());
        assert!(varies_on_accept_encoding(&plain_headers));
        let listed: serde_json::Value = serde_json::from_slice(&plain).expect("JSON");
        assert!(listed["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
        for accept in ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8, *;q=0.1", "*"] {
            let (status, headers, body) = tools_list(&t, &token, modern, Some(accept)).await;
            assert_eq!(status, 200, "{accept}");
            assert_eq!(headers["content-encoding"], "gzip", "{accept}");
            assert_eq!(headers["content-type"], "application/json");
            assert_eq!(headers["cache-control"], "no-store");
            assert!(varies_on_accept_encoding(&headers), "{accept}");
            assert_eq!(
                headers["content-length"].to_str().unwrap(),
                body.len().to_string()
            );
            assert!(
                body.len() * 3 < plain.len(),
                "{} of {} bytes",
                body.len(),
                plain.len()
            );
            assert_eq!(gunzip(&body), plain, "modern: {modern}, {accept}");
        }
    }
}

#[tokio::test]
async fn tools_list_is_uncompressed_when_gzip_is_refused_or_not_offered() {
    let t = TestServer::start().await;
    let token = t.token("alice", ALL_SCOPES).await;
    let (_, _, plain) = tools_list(&t, &token, false, None).await;
    for accept in ["gzip;q=0", "identity", "br, deflate", "gzip;q=0, *", "*;q=0", ""] {
        let (status, headers, body) = tools_list(&t, &token, false, Some(accept)).await;
        assert_eq!(status, 200, "{accept:?}");
        assert!(headers.get("content-encoding").is_none(), "{accept:?}");
        assert!(varies_on_accept_encoding(&headers), "{accept:?}");
        assert_eq!(body, plain, "{accept:?}");
    }
}

#[tokio::test]
async fn answers_built_per_request_are_never_compressed() {
    let t = TestServer::start().await;
    let c = t.user("alice").await.with_header("accept-encoding", "gzip");
    let r = c.call_ok("list_memories", json!({})).await;
    assert!(r.is_object());
    let reply = c.rpc("ping", json!({})).await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-encoding").is_none());
    assert_eq!(reply.json()["result"], json!({}));
}

#[tokio::test]
async fn a_refusal_before_the_body_keeps_the_connection_for_the_next_request() {
    // As Python's httpx sends it: the headers in one write, the body in another, then the next
    // request on the same connection (the SDK's retry with a token after the first 401). An
    // answer given with the body unread would close the connection under that next request.
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let t = TestServer::start().await;
    let addr = t.server.addr;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let head = format!(
        "POST /api/mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.set_nodelay(true).unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.flush().await.unwrap();
    tokio::task::yield_now().await;
    conn.write_all(body.as_bytes()).await.unwrap();
    conn.write_all(format!("{head}{body}").as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let answers = |r: &[u8]| String::from_utf8_lossy(r).matches("HTTP/1.1 401").count();
    while answers(&received) < 2 {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut buf))
            .await
            .expect("the server answers")
            .unwrap();
        assert!(
            n > 0,
            "the connection was closed after {} answer(s): {}",
            answers(&received),
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buf[..n]);
    }
    assert!(!String::from_utf8_lossy(&received)
        .to_ascii_lowercase()
        .contains("connection: close"));
}
