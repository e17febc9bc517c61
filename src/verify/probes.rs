//! Checks that need nothing but HTTP: discovery, the MCP endpoint's 401, HTTPS and HSTS,
//! CORS, and the anti-framing headers on the pages.

use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use serde_json::Value;

use super::checklist::CheckVerdict;
use super::target::Target;
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
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    if status != StatusCode::OK {
        fail!("GET {path} answered {status}");
    }
    let doc = resp
        .json::<Value>()
        .await
        .map_err(|e| format!("GET {path}: not JSON: {e}"))?;
    Ok((doc, headers))
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
    Ok(None)
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
    }
    Ok(None)
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
        .map_err(|e| format!("POST {url}: {e}"))?;
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
    Ok(None)
}

/// https everywhere unless loopback; on https, HSTS on the responses.
pub async fn https_everywhere(target: &Target) -> CheckVerdict {
    if is_loopback_url(&target.issuer) && target.issuer.starts_with("http://") {
        return Ok(Some("loopback deployment: http is allowed".into()));
    }
    if !target.issuer.starts_with("https://") {
        fail!("issuer {} is not https", target.issuer);
    }
    let resp = target
        .http
        .get(target.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match resp.headers().get(header::STRICT_TRANSPORT_SECURITY) {
        Some(v) if v.to_str().is_ok_and(|s| s.contains("max-age=")) => Ok(None),
        _ => Err("no Strict-Transport-Security header on https responses (set it at the TLS proxy)".into()),
    }
}

/// A foreign origin gets no CORS allowance; an expected one (`--cors-origin`) does.
pub async fn cors_only_configured_origins(target: &Target) -> CheckVerdict {
    const FOREIGN: &str = "https://verify-foreign-origin.invalid";
    for path in [
        "/.well-known/oauth-authorization-server",
        "/api/oauth/token",
        "/api/mcp",
    ] {
        let url = target.url(path);
        let resp = target
            .http
            .request(reqwest::Method::OPTIONS, &url)
            .header(header::ORIGIN, FOREIGN)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .send()
            .await
            .map_err(|e| format!("OPTIONS {path}: {e}"))?;
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
    Ok(None)
}

/// The login page must not be framed (clickjacking of the consent decision).
pub async fn pages_refuse_framing(target: &Target) -> CheckVerdict {
    let url = target.url("/api/oauth/login");
    let resp = target
        .http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if resp.status().is_server_error() {
        fail!("GET /api/oauth/login answered {}", resp.status());
    }
    check_frame_headers(resp.headers(), "/api/oauth/login")
}

pub fn check_frame_headers(headers: &HeaderMap, what: &str) -> Result<Option<String>, String> {
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
    Ok(None)
}
