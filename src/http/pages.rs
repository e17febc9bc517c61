//! HTML pages (login, consent, connections, errors): small, readable, escaped.
//!
//! Every dynamic string goes through [`escape`]. Pages are served by [`super::response::html`]
//! (no framing, no caching, no referrer to other origins, a CSP without scripts). The layout is one column that
//! fits a 390 px phone without horizontal scrolling: long names and URLs wrap anywhere.

use hyper::StatusCode;

use super::response::{self, HttpResponse};
use crate::oauth::client_name;
use crate::oauth::scope::ScopeSet;

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1b1f;background:#f4f4f6}\
main{max-width:30rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002;overflow-wrap:anywhere}\
time{white-space:nowrap}h1{font-size:1.35rem;margin:0 0 1rem}p{margin:.5rem 0}ul{padding-left:1.2rem}li{margin:.3rem 0}\
label{display:block;margin:.8rem 0 .2rem;font-weight:600}\
input[type=text],input[type=password]{width:100%;padding:.6rem;font:inherit;border:1px solid #bbb;border-radius:8px}\
button{font:inherit;padding:.65rem 1.2rem;border-radius:8px;border:1px solid #1b1b1f;background:#fff;cursor:pointer;min-width:7rem}\
button.primary{background:#1b1b1f;color:#fff}\
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:1.2rem}\
.muted{color:#5b5b66;font-size:.9rem}.error{color:#a4161a;font-weight:600}\
.warning{background:#fff4e5;border:1px solid #e8a33d;border-radius:8px;padding:.6rem .8rem}\
.card{border:1px solid #ddd;border-radius:10px;padding:.8rem 1rem;margin:.8rem 0}\
code{font-size:.9em;background:#f0f0f3;padding:0 .25rem;border-radius:4px}\
@media (max-width:480px){main{margin:0;border-radius:0;min-height:100vh}}";

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        title = escape(title)
    )
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

/// A page that explains what went wrong; never a redirect.
/// The page for a request the database could not serve (503); the cause goes to the log only.
pub fn unavailable(e: &crate::storage::StoreError) -> HttpResponse {
    tracing::error!(error = %e, "database error");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The service cannot reach its database. Try again in a moment.",
    )
}

pub fn error(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p class=\"muted\">You can close this window and try again from the application.</p>",
        escape(title),
        escape(message)
    );
    response::html(status, layout(title, &body))
}

/// Who is signed in, and the CSRF token of the sign-out button (local accounts only).
pub struct SignOutView<'a> {
    pub signed_in_as: &'a str,
    pub csrf: &'a str,
}

/// The sign-out button: a POST form (a link would let any page sign the user out).
fn sign_out_form(csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/api/oauth/logout\">{}\
         <div class=\"actions\"><button type=\"submit\">Sign out</button></div></form>",
        hidden("csrf", csrf)
    )
}

/// The local login form; while someone is signed in, it says so and offers sign-out (after
/// the login form, so that its fields come first).
pub fn login(
    return_to: &str,
    csrf: &str,
    failure: Option<&str>,
    username: &str,
    signed_in: Option<&SignOutView<'_>>,
) -> String {
    let failure = failure
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let sign_out = signed_in
        .map(|v| {
            format!(
                "<p class=\"muted\">You are signed in as {}.</p>{}",
                escape(v.signed_in_as),
                sign_out_form(v.csrf)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in</h1>{failure}\
         <form method=\"post\" action=\"/api/oauth/login\">{}{}\
         <label for=\"username\">User name</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{}\" autocomplete=\"username\" autocapitalize=\"none\" required autofocus>\
         <label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\">Sign in</button></div></form>{sign_out}",
        hidden("return_to", return_to),
        hidden("csrf", csrf),
        escape(username),
    );
    layout("Sign in", &body)
}

/// What the consent screen shows.
pub struct ConsentView<'a> {
    pub client_name: &'a str,
    /// Registered by an operator; a self-registered (RFC 7591) client chose its own name.
    pub verified: bool,
    pub redirect_host: &'a str,
    /// A metadata document client: the host of its client_id URL, which published its name.
    pub document_host: Option<&'a str>,
    /// Every redirect URI of the client is on the user's own machine.
    pub localhost_only: bool,
    pub scopes: &'a ScopeSet,
    pub signed_in_as: &'a str,
    pub fields: &'a [(&'static str, String)],
    pub csrf: &'a str,
}

pub fn consent(v: &ConsentView<'_>) -> String {
    let scopes: String = v
        .scopes
        .iter()
        .map(|s| {
            format!(
                "<li>{} <span class=\"muted\">(<code>{}</code>)</span></li>",
                escape(s.description()),
                escape(s.as_str())
            )
        })
        .collect();
    let fields: String = v.fields.iter().map(|(k, val)| hidden(k, val)).collect();
    let unverified = if v.verified {
        String::new()
    } else if let Some(document_host) = v.document_host {
        format!(
            "<p class=\"warning\" role=\"note\"><strong>Published by {document_host}.</strong> \
             This application is identified by a document on <strong>{document_host}</strong>, which chose its name. \
             Approve only if you expect an application from {document_host}.</p>",
            document_host = escape(document_host),
        )
    } else {
        format!(
            "<p class=\"warning\" role=\"note\"><strong>Unverified application.</strong> \
             It registered itself and chose this name; nobody has checked it. \
             Approve only if you just connected it, and only if <strong>{host}</strong> is where you expect it to run.</p>",
            host = escape(v.redirect_host),
        )
    };
    let unverified = if v.localhost_only && !v.verified {
        format!(
            "{unverified}<p class=\"warning\" role=\"note\">It sends you back to a program on this computer \
             (<strong>{host}</strong>). Approve only if you just started it yourself.</p>",
            host = escape(v.redirect_host),
        )
    } else {
        unverified
    };
    let body = format!(
        "<h1>Allow <strong>{name}</strong> to use your memory?</h1>{unverified}\
         <p>It will be able to:</p><ul>{scopes}</ul>\
         <p class=\"muted\">After you decide, you will be sent to <strong>{host}</strong>. \
         Signed in as {user}. You can revoke access at any time on the <a href=\"/api/oauth/connections\">connections page</a>.</p>\
         <form method=\"post\" action=\"/api/oauth/authorize\">{fields}{csrf}\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div></form>",
        name = escape(&client_name::visible(v.client_name)),
        host = escape(v.redirect_host),
        user = escape(v.signed_in_as),
        csrf = hidden("csrf", v.csrf),
    );
    layout("Authorize access", &body)
}

/// One row of the connections page, with its revoke form's CSRF token.
pub struct ConnectionView<'a> {
    pub client_id: &'a str,
    pub client_name: &'a str,
    pub scopes: Vec<String>,
    pub authorized_at: String,
    pub last_used_at: String,
    pub csrf: String,
}

/// The connections page; `sign_out_csrf` adds the sign-out button (local accounts).
pub fn connections(signed_in_as: &str, rows: &[ConnectionView<'_>], sign_out_csrf: Option<&str>) -> String {
    let list: String = if rows.is_empty() {
        "<p>No application has access to your memory.</p>".to_string()
    } else {
        rows.iter()
            .map(|r| {
                let scopes: Vec<String> = r
                    .scopes
                    .iter()
                    .map(|s| match crate::oauth::scope::Scope::parse(s) {
                        Some(known) => escape(known.description()),
                        None => escape(s),
                    })
                    .collect();
                format!(
                    "<div class=\"card\"><strong>{name}</strong>\
                     <p class=\"muted\">Can: {scopes}<br>Authorized <time>{authorized}</time> · last used <time>{used}</time></p>\
                     <form method=\"post\" action=\"/api/oauth/connections\">{id}{csrf}\
                     <button type=\"submit\">Revoke</button></form></div>",
                    name = escape(&client_name::visible(r.client_name)),
                    scopes = scopes.join("; "),
                    authorized = escape(&r.authorized_at),
                    used = escape(&r.last_used_at),
                    id = hidden("client_id", r.client_id),
                    csrf = hidden("csrf", &r.csrf),
                )
            })
            .collect()
    };
    let sign_out = sign_out_csrf.map(sign_out_form).unwrap_or_default();
    let body = format!(
        "<h1>Connected applications</h1><p class=\"muted\">Signed in as {}.</p>{list}{sign_out}",
        escape(signed_in_as)
    );
    layout("Connected applications", &body)
}
