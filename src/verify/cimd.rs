//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the registration
//! MCP 2026-07-28 prefers): that the server says it accepts them, and, in the self-test, a whole
//! authorization by a client whose `client_id` is the https URL of its document.

use serde_json::{json, Value};

use super::checklist::{CheckVerdict, Halt, Verdict};
use super::flows::{check_approval, check_tokens};
use super::run::{approve, Run, LOOPBACK_REDIRECT};
use super::target::why;
use crate::client::{self, AuthorizeUrl, ClientAuth, PkcePair, TokenResponse};
use crate::secret::{self, Kind};
use crate::{fail, skip};

const ADVERTISED: &str = "client_id_metadata_document_supported";

/// Whether the authorization-server metadata says `client_id_metadata_document_supported: true`;
/// a value that is not a boolean fails.
async fn is_advertised(run: &mut Run) -> Result<bool, Halt> {
    match run.metadata().await?.get(ADVERTISED) {
        Some(Value::Bool(b)) => Ok(*b),
        None => Ok(false),
        Some(other) => Err(Halt::Fail(format!("{ADVERTISED} is {other}, not a boolean"))),
    }
}

/// `cimd.advertised`: the metadata advertises metadata documents. A deployment that turned
/// them off (`serve --cimd off`) is told so, not failed: clients then register dynamically.
pub async fn advertised(run: &mut Run) -> CheckVerdict {
    if !is_advertised(run).await? {
        skip!(
            "{ADVERTISED} is not true: this server does not accept Client ID Metadata Documents \
             (serve --cimd off); clients that prefer them (Claude Code, VS Code) fall back to dynamic registration"
        );
    }
    Ok(Verdict::Pass)
}

/// `cimd.self-test-flow`: a client known only by the URL of its metadata document is
/// authorized (the consent page names the document's host), gets a code and tokens, calls
/// the MCP endpoint, and revokes its grant, after which the access token is refused.
pub async fn metadata_document_flow(run: &mut Run) -> CheckVerdict {
    let Some(client_id) = run.given.metadata_document.clone() else {
        skip!(
            "needs a client metadata document served over https that the server may fetch: runs in the self-test \
             (`mcp-oauth verify` without --base-url)"
        );
    };
    if !is_advertised(run).await? {
        skip!("the server does not accept Client ID Metadata Documents (serve --cimd off)");
    }
    let client = ClientAuth::Public(client_id.clone());
    let pkce = PkcePair::generate();
    let state = format!("cimd-{}", &secret::generate(Kind::Csrf)[..16]);
    let resource = crate::oauth::resource::for_issuer(&run.target.issuer);
    let url = client::authorize_url(
        &run.target.issuer,
        &AuthorizeUrl {
            client_id: &client_id,
            redirect_uri: LOOPBACK_REDIRECT,
            state: Some(&state),
            code_challenge: Some(&pkce.challenge),
            resource: Some(&resource),
            ..AuthorizeUrl::default()
        },
    );
    let browser = run.browser().await?;
    let page = browser
        .get(&url)
        .await
        .map_err(|e| format!("GET authorize for the metadata-document client: {}", why(&e)))?;
    if page.status != 200 || !page.body.contains("name=\"decision\"") {
        fail!(
            "signed in, authorize for the metadata-document client {client_id} answered {} (Location {:?}): {}",
            page.status,
            page.location(),
            client::mcp::snippet(&page.body)
        );
    }
    let host = url::Url::parse(&client_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    if !page.body.contains(&format!("Published by {host}")) {
        fail!("the consent page for {client_id} does not name the client_id's host {host} as its publisher");
    }
    let location = approve(browser, &url).await?;
    check_approval(run, &location, LOOPBACK_REDIRECT, &state)?;
    let code = client::query_param(&location, "code").unwrap_or_default();

    let resp = client::exchange_code(
        &run.target.http,
        &run.target.issuer,
        &client,
        &code,
        LOOPBACK_REDIRECT,
        Some(&pkce.verifier),
    )
    .await
    .map_err(|e| format!("token request: {}", why(&e)))?;
    let status = resp.status();
    let body = resp
        .text()
        .await
        .map_err(|e| format!("token request: {}", why(&e)))?;
    if status != reqwest::StatusCode::OK {
        fail!(
            "the code exchange for the metadata-document client answered {status}: {}",
            client::mcp::snippet(&body)
        );
    }
    let tokens: TokenResponse =
        serde_json::from_str(&body).map_err(|e| format!("not a token response: {e}"))?;
    check_tokens(&tokens)?;

    let mcp = run.mcp(Some(&tokens.access_token));
    let listed = mcp
        .rpc_2026("tools/list", json!({}))
        .await
        .and_then(|reply| reply.result())
        .map_err(|e| {
            format!(
                "2026-07-28 tools/list with the metadata-document client's token: {}",
                why(&e)
            )
        })?;
    if listed
        .get("tools")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        fail!("tools/list with the metadata-document client's token listed no tools: {listed}");
    }

    let refresh = tokens.refresh_token.as_deref().unwrap_or_default();
    let revoked = client::revoke(&run.target.http, &run.target.issuer, &client, refresh)
        .await
        .map_err(|e| format!("revoking: {}", why(&e)))?;
    if !revoked.status().is_success() {
        fail!(
            "revoking the metadata-document client's refresh token answered {}",
            revoked.status()
        );
    }
    let after = mcp
        .rpc_2026("tools/list", json!({}))
        .await
        .map_err(|e| format!("tools/list after revocation: {}", why(&e)))?;
    if after.status != 401 {
        fail!(
            "after revoking its grant, the metadata-document client's access token got {} (expected 401)",
            after.status
        );
    }
    Ok(Verdict::Pass)
}
