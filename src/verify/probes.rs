//! Checks that need nothing but HTTP: health, discovery (RFC 8414, RFC 9728), the MCP
//! endpoint's 401 (RFC 6750, RFC 9728 §5.1), HTTPS and HSTS, and CORS.

use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use serde_json::Value;

use super::checklist::{CheckVerdict, Verdict};
use super::target::{why, Target};
use crate::fail;
use crate::oauth::metadata;

fn is_loopback_url(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| matches!(h, "127.0.0.1" | "[::1]" | "localhost"))
        })
        .unwrap_or(false)
}

/// An endpoint URL in a metadata document must be absolute, and https unless loopback.
fn check_endpoint(doc: &Value, field: &str, required: bool) -> Result<(), String> {
    match doc.get(field) {
        None | Some(Value::Null) if !required => Ok(()),
        None | Some(Value::Null) => Err(format!("`{field}` is missing")),
        Some(Value::String(s)) => {
            let url = url::Url::parse(s).map_err(|_| format!("`{field}` is not an absolute URL: {s:?}"))?;
            if url.scheme() != "https" && !is_loopback_url(s) {
                return Err(format!("`{field}` is not https: {s}"));
            }
            Ok(())
        }
        Some(other) => Err(format!("`{field}` is not a string: {other}")),
    }
}

async fn get_json(target: &Target, path: &str) -> Result<(Value, HeaderMap), String> {
    let url = target.url(path);
    let resp = target
        .http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", why(&e)))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    if status != StatusCode::OK {
        fail!("GET {path} answered {status}");
    }
    let doc = resp
        .json::<Value>()
        .await
        .map_err(|e| format!("GET {path}: not JSON: {}", why(&e)))?;
    Ok((doc, headers))
}

/// `/healthz` and `/readyz` answer 200 (`/readyz` is 503 when the database is unreachable).
pub async fn health(target: &Target) -> CheckVerdict {
    for path in ["/healthz", "/readyz"] {
        let url = target.url(path);
        let resp = target
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {}", why(&e)))?;
        if resp.status() != StatusCode::OK {
            let hint = if path == "/readyz" {
                " (the server cannot reach its database)"
            } else {
                ""
            };
            fail!("GET {path} answered {}{hint}", resp.status());
        }
    }
    Ok(Verdict::Pass)
}

/// RFC 8414: the document, its issuer equal to the URL it is reached at, absolute https endpoints.
pub async fn authorization_server_metadata(target: &Target) -> CheckVerdict {
    let (doc, _) = get_json(target, "/.well-known/oauth-authorization-server").await?;
    let issuer = doc.get("issuer").and_then(Value::as_str).unwrap_or_default();
    if issuer != target.issuer {
        fail!("issuer is {issuer:?}, but the server is reached at {:?}; SDK clients compare them exactly (set --issuer)", target.issuer);
    }
    for field in ["authorization_endpoint", "token_endpoint", "revocation_endpoint"] {
        check_endpoint(&doc, field, true)?;
    }
    check_endpoint(&doc, "registration_endpoint", false)?;
    let has = |field: &str, want: &str| {
        doc.get(field)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(want)))
    };
    if !has("code_challenge_methods_supported", "S256") {
        fail!("code_challenge_methods_supported does not list S256 (MCP clients refuse to proceed)");
    }
    if !has("response_types_supported", "code") {
        fail!("response_types_supported does not list code");
    }
    for grant in ["authorization_code", "refresh_token"] {
        if !has("grant_types_supported", grant) {
            fail!("grant_types_supported does not list {grant}");
        }
    }
    if doc.get("authorization_response_iss_parameter_supported") != Some(&Value::Bool(true)) {
        fail!("authorization_response_iss_parameter_supported is not true (RFC 9207)");
    }
    Ok(Verdict::Pass)
}

/// RFC 9728 at both paths, naming this issuer and `<issuer>/api/mcp`.
pub async fn protected_resource_metadata(target: &Target) -> CheckVerdict {
    let expected_resource = crate::oauth::resource::for_issuer(&target.issuer);
    for path in [
        "/.well-known/oauth-protected-resource",
        metadata::PROTECTED_RESOURCE_PATH,
    ] {
        let (doc, _) = get_json(target, path).await?;
        let resource = doc.get("resource").and_then(Value::as_str).unwrap_or_default();
        if resource != expected_resource {
            fail!("{path}: resource is {resource:?}, expected {expected_resource:?}");
        }
        let servers = doc.get("authorization_servers").and_then(Value::as_array);
        if !servers.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(target.issuer.as_str()))) {
            fail!(
                "{path}: authorization_servers does not contain the issuer {:?}",
                target.issuer
            );
        }
        let methods = doc.get("bearer_methods_supported").and_then(Value::as_array);
        if !methods.is_some_and(|m| m.iter().any(|v| v.as_str() == Some("header"))) {
            fail!("{path}: bearer_methods_supported does not list header");
        }
    }
    Ok(Verdict::Pass)
}

/// No token → 401 naming the protected-resource metadata, so clients can discover the server.
pub async fn mcp_requires_token(target: &Target) -> CheckVerdict {
    let url = target.url("/api/mcp");
    let resp = target
        .http
        .post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {}", why(&e)))?;
    if resp.status() != StatusCode::UNAUTHORIZED {
        fail!(
            "POST /api/mcp without a token answered {}, expected 401",
            resp.status()
        );
    }
    let challenge = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let expected = format!(
        "resource_metadata=\"{}\"",
        metadata::protected_resource_metadata_url(&target.issuer)
    );
    if !challenge.starts_with("Bearer") || !challenge.contains(&expected) {
        fail!("WWW-Authenticate is {challenge:?}; expected Bearer with {expected}");
    }
    Ok(Verdict::Pass)
}

/// https everywhere unless loopback; on https, HSTS on the responses.
pub async fn https_everywhere(target: &Target) -> CheckVerdict {
    if is_loopback_url(&target.issuer) && target.issuer.starts_with("http://") {
        return Ok(Verdict::PassExcept(
            "loopback: http is allowed and HSTS does not apply".into(),
        ));
    }
    if !target.issuer.starts_with("https://") {
        fail!("issuer {} is not https", target.issuer);
    }
    let resp = target
        .http
        .get(target.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .map_err(|e| why(&e))?;
    match resp.headers().get(header::STRICT_TRANSPORT_SECURITY) {
        Some(v) if v.to_str().is_ok_and(|s| s.contains("max-age=")) => Ok(Verdict::Pass),
        _ => fail!("no Strict-Transport-Security header on https responses (set it at the TLS proxy)"),
    }
}

/// The origin `security.cors` presents as a stranger's.
pub const FOREIGN_ORIGIN: &str = "https://verify-foreign-origin.invalid";

/// A foreign origin gets no CORS allowance; an expected one (`--cors-origin`) does.
pub async fn cors_only_configured_origins(target: &Target) -> CheckVerdict {
    for path in [
        "/.well-known/oauth-authorization-server",
        "/api/oauth/token",
        "/api/mcp",
    ] {
        let url = target.url(path);
        let resp = target
            .http
            .request(reqwest::Method::OPTIONS, &url)
            .header(header::ORIGIN, FOREIGN_ORIGIN)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .send()
            .await
            .map_err(|e| format!("OPTIONS {path}: {}", why(&e)))?;
        if let Some(v) = resp.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            fail!("OPTIONS {path} from a foreign origin got Access-Control-Allow-Origin: {v:?}");
        }
    }
    for origin in &target.expect_cors_origins {
        let url = target.url("/.well-known/oauth-authorization-server");
        let resp = target
            .http
            .get(&url)
            .header(header::ORIGIN, origin)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let got = resp
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if got != origin {
            fail!("the configured origin {origin} got Access-Control-Allow-Origin {got:?}");
        }
    }
    Ok(Verdict::Pass)
}

/// `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'` on a page (clickjacking of the
/// consent decision).
pub fn check_frame_headers(headers: &HeaderMap, what: &str) -> Result<(), String> {
    let xfo = headers
        .get("x-frame-options")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !xfo.eq_ignore_ascii_case("deny") {
        fail!("{what}: X-Frame-Options is {xfo:?}, expected DENY");
    }
    if !csp.contains("frame-ancestors 'none'") {
        fail!("{what}: Content-Security-Policy lacks frame-ancestors 'none' ({csp:?})");
    }
    Ok(())
}

/// Whether the operator switched OAuth off (`serve --oauth off`): the authorization-server
/// metadata answers 503 `temporarily_unavailable` with the switch's own description. Any
/// other answer (or none) is left for the checks to judge.
pub async fn oauth_switched_off(target: &Target) -> bool {
    let url = target.url("/.well-known/oauth-authorization-server");
    let Ok(resp) = target.http.get(&url).send().await else {
        return false;
    };
    resp.status() == StatusCode::SERVICE_UNAVAILABLE
        && resp
            .json::<Value>()
            .await
            .is_ok_and(|body| is_oauth_off_body(&body))
}

fn is_oauth_off_body(body: &Value) -> bool {
    body.get("error").and_then(Value::as_str) == Some("temporarily_unavailable")
        && body.get("error_description").and_then(Value::as_str)
            == Some(crate::oauth::error::OAUTH_DISABLED_DESCRIPTION)
}

/// With OAuth switched off: every OAuth endpoint answers 503 with `Retry-After`, the JSON
/// ones with the switch's `temporarily_unavailable` error. Passes only when the run was told to
/// expect the switch off (`expected`), and fails naming the mode otherwise.
pub async fn oauth_off_answers(target: &Target, expected: bool) -> CheckVerdict {
    if !expected {
        fail!("{}: the OAuth endpoints answer 503 (serve --oauth off); pass --expect-oauth-off to verify a rollback", super::OAUTH_DISABLED);
    }
    let json_routes = [
        (reqwest::Method::GET, "/.well-known/oauth-authorization-server"),
        (reqwest::Method::GET, "/.well-known/oauth-protected-resource"),
        (reqwest::Method::GET, metadata::PROTECTED_RESOURCE_PATH),
        (reqwest::Method::GET, "/api/oauth/authorize"),
        (reqwest::Method::POST, "/api/oauth/token"),
        (reqwest::Method::POST, "/api/oauth/revoke"),
        (reqwest::Method::POST, "/api/oauth/register"),
    ];
    for (method, path) in json_routes {
        let url = target.url(path);
        let resp = target
            .http
            .request(method.clone(), &url)
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {}", why(&e)))?;
        if resp.status() != StatusCode::SERVICE_UNAVAILABLE
            || !resp.headers().contains_key(header::RETRY_AFTER)
        {
            fail!("{method} {path} answered {} (Retry-After: {}), expected 503 with Retry-After while OAuth is off", resp.status(), resp.headers().contains_key(header::RETRY_AFTER));
        }
        let body = resp.json::<Value>().await.unwrap_or_default();
        if !is_oauth_off_body(&body) {
            fail!("{method} {path}: the 503 body is {body}, expected temporarily_unavailable saying OAuth is disabled");
        }
    }
    for path in ["/api/oauth/login", "/api/oauth/connections"] {
        let url = target.url(path);
        let resp = target
            .http
            .get(&url)
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .map_err(|e| format!("GET {url}: {}", why(&e)))?;
        let html = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/html"));
        if resp.status() != StatusCode::SERVICE_UNAVAILABLE || !html {
            fail!(
                "GET {path} answered {}, expected a 503 page while OAuth is off",
                resp.status()
            );
        }
    }
    Ok(Verdict::PassExcept(format!(
        "{}: every OAuth endpoint answers 503 temporarily_unavailable, as expected",
        super::OAUTH_DISABLED
    )))
}
