//! The security review items that need more than one request: anti-framing headers on every
//! page verify can reach, token lifetimes, client secrets at rest, and rate limiting.

use reqwest::header;

use super::checklist::{CheckVerdict, Halt, Verdict};
use super::probes::check_frame_headers;
use super::run::Run;
use super::target::why;
use crate::client::{self, ClientAuth};
use crate::secret::{self, Kind};
use crate::storage::clients;
use crate::{fail, skip};

/// `security.frame-headers`: the login, consent and connections pages refuse framing
/// (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`).
pub async fn pages_refuse_framing(run: &mut Run) -> CheckVerdict {
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();
    let login = run
        .target
        .http
        .get(run.target.url("/api/oauth/login"))
        .send()
        .await
        .map_err(|e| format!("GET /api/oauth/login: {}", why(&e)))?;
    match login.status().as_u16() {
        200 => {
            check_frame_headers(login.headers(), "login page")?;
            checked.push("login");
        }
        // Clerk mode has no login form of its own.
        404 => {}
        s => fail!("GET /api/oauth/login answered {s}"),
    }
    let consent_url = match run.authorize_request("frame-headers").await {
        Ok((url, _, _)) => Some(url),
        Err(Halt::Skip(why)) => {
            not_checked.push(format!("consent page ({why})"));
            None
        }
        Err(e) => return Err(e),
    };
    match run.browser().await {
        Ok(browser) => {
            if let Some(url) = consent_url {
                let page = browser
                    .get(&url)
                    .await
                    .map_err(|e| format!("consent page: {}", why(&e)))?;
                if page.status != 200 {
                    fail!("the consent page answered {}", page.status);
                }
                check_frame_headers(&page.headers, "consent page")?;
                checked.push("consent");
            }
            let page = browser
                .get("/api/oauth/connections")
                .await
                .map_err(|e| format!("connections page: {}", why(&e)))?;
            if page.status != 200 {
                fail!("the connections page answered {} while signed in", page.status);
            }
            check_frame_headers(&page.headers, "connections page")?;
            checked.push("connections");
        }
        Err(Halt::Skip(why)) => not_checked.push(format!("signed-in pages ({why})")),
        Err(e) => return Err(e),
    }
    if checked.is_empty() {
        skip!("no page could be reached: {}", not_checked.join("; "));
    }
    if not_checked.is_empty() {
        Ok(Verdict::Pass)
    } else {
        Ok(Verdict::PassExcept(format!(
            "checked {}; not {}",
            checked.join(", "),
            not_checked.join("; ")
        )))
    }
}

/// `security.token-lifetimes`: `expires_in` is positive and within `--max-access-ttl`.
pub async fn token_lifetimes(run: &mut Run) -> CheckVerdict {
    let tokens = run.first_grant().await?;
    let max = run.settings.max_access_ttl.as_secs() as i64;
    if tokens.expires_in <= 0 {
        fail!("expires_in is {} s", tokens.expires_in);
    }
    if tokens.expires_in > max {
        fail!(
            "access tokens live {} s, longer than the expected maximum of {max} s (--max-access-ttl; serve --access-ttl)",
            tokens.expires_in
        );
    }
    Ok(Verdict::Pass)
}

/// `security.secrets-hashed`: every client secret in the database (current and previous) is
/// an argon2id PHC string, never the secret itself.
pub async fn secrets_hashed(run: &mut Run) -> CheckVerdict {
    let Some(store) = run.given.store.clone() else {
        skip!("needs --database (the deployment's database) to read oauth_clients");
    };
    let all = clients::list(&store)
        .await
        .map_err(|e| format!("reading oauth_clients: {}", why(&e)))?;
    let bad: Vec<&str> = all
        .iter()
        .filter(|c| {
            [&c.secret_hash, &c.previous_secret_hash]
                .into_iter()
                .flatten()
                .any(|h| !secret::is_argon2id_phc(h))
        })
        .map(|c| c.client_id.as_str())
        .collect();
    if !bad.is_empty() {
        fail!(
            "{} client(s) have a secret that is not an argon2id hash: {}; rotate them (`mcp-oauth client rotate ID`)",
            bad.len(),
            bad.iter().take(5).copied().collect::<Vec<_>>().join(", ")
        );
    }
    let with_secret = all.iter().filter(|c| c.secret_hash.is_some()).count();
    if with_secret == 0 {
        return Ok(Verdict::PassExcept("no client has a secret".into()));
    }
    Ok(Verdict::Pass)
}

/// How many failed client authentications verify sends before concluding there is no limit.
const RATE_LIMIT_ATTEMPTS: usize = 40;

/// `security.rate-limit`: repeated failed client authentications are refused with 429 and
/// `Retry-After`. This locks the probe's address out of client authentication for a while.
pub async fn rate_limit(run: &mut Run) -> CheckVerdict {
    if !run.settings.include_rate_limit {
        skip!("locks this address out of client authentication for a minute; run with --include-rate-limit");
    }
    let auth = ClientAuth::Post(
        format!(
            "mcp_oauth_verify-rate-limit-{}",
            &secret::generate(Kind::Csrf)[..12]
        ),
        "mcp_cs_not-a-secret".into(),
    );
    let endpoint = run.target.url("/api/oauth/token");
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "mcp_rt_not-a-token"),
    ];
    for attempt in 1..=RATE_LIMIT_ATTEMPTS {
        let resp = client::token_request(&run.target.http, &endpoint, &auth, &fields)
            .await
            .map_err(|e| format!("token request: {}", why(&e)))?;
        match resp.status().as_u16() {
            429 => {
                let retry = resp
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok());
                return match retry.and_then(|r| r.trim().parse::<u64>().ok()) {
                    Some(s) if s > 0 => Ok(Verdict::Pass),
                    _ => Err(format!("429 after {attempt} failures, but Retry-After is {retry:?}").into()),
                };
            }
            400 | 401 => {}
            s => fail!("a failed client authentication answered {s}"),
        }
    }
    fail!("{RATE_LIMIT_ATTEMPTS} failed client authentications in a row were never refused with 429")
}
