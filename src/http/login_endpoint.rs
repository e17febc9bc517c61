//! `GET/POST /api/oauth/login`: the local login form (`--login local`). In Clerk mode sign-in
//! happens at Clerk, so this page does not exist.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};

use super::body::client_ip;
use super::config::LoginMode;
use super::csrf::{self, Purpose};
use super::form::{self, Form};
use super::metrics::Metrics;
use super::oauth_endpoints::{add_retry_after, form_error_page};
use super::pages;
use super::rate_limit::Key;
use super::response::{self, HttpResponse};
use super::session;
use super::state::AppState;
use crate::clock;
use crate::login::local;
use crate::storage::events::{self, AuthEvent};

pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    if state.config.login != LoginMode::Local {
        return response::not_found();
    }
    match *req.method() {
        Method::GET | Method::HEAD => show(state, req).await,
        Method::POST => submit(state, req).await,
        _ => response::method_not_allowed("GET, POST"),
    }
}

async fn show(state: &AppState, req: Request<Incoming>) -> HttpResponse {
    let query = Form::from_query(&req).unwrap_or_default();
    let return_to = session::safe_return_to(query.get("return_to"));
    let csrf_secret = session::csrf_secret(state, &req);
    // Someone already signed in is told so and offered sign-out; a database error only loses
    // that notice, never the form.
    let user = session::current_user(state, &req).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not look up the session for the login page");
        None
    });
    let sign_out_token = user
        .as_ref()
        .map(|u| super::sign_out_endpoint::token(&csrf_secret.0, u));
    let signed_in = user
        .as_ref()
        .zip(sign_out_token.as_deref())
        .map(|(u, csrf)| pages::SignOutView {
            signed_in_as: &u.display_name,
            csrf,
        });
    form_page(
        state,
        &csrf_secret,
        StatusCode::OK,
        return_to,
        None,
        "",
        signed_in.as_ref(),
    )
}

/// The form, with a CSRF token for the browser's secret (set as a cookie when new).
fn form_page(
    state: &AppState,
    (secret, new_secret): &(String, bool),
    status: StatusCode,
    return_to: &str,
    failure: Option<&str>,
    username: &str,
    signed_in: Option<&pages::SignOutView<'_>>,
) -> HttpResponse {
    let token = csrf::token(secret, Purpose::Login, "", &[]);
    let mut resp = response::html(
        status,
        pages::login(return_to, &token, failure, username, signed_in),
    );
    if *new_secret {
        session::set_cookie(state, &mut resp, session::csrf_cookie_name(state), secret, None);
    }
    resp
}

async fn submit(state: &AppState, req: Request<Incoming>) -> HttpResponse {
    let ip = client_ip(&req, state.config.trust_proxy);
    let csrf_secret = session::csrf_secret(state, &req);
    let form = match form::read(req, state.config.max_body_bytes).await {
        Ok(f) => f,
        Err(e) => return form_error_page(e),
    };
    let return_to = session::safe_return_to(form.get("return_to")).to_string();
    let username = form.get("username").unwrap_or("").trim().to_string();
    let password = form.get("password").unwrap_or("");
    let head = &csrf_secret;
    // A new secret means the browser sent none: no token can be valid.
    if csrf_secret.1
        || !csrf::verify(
            &csrf_secret.0,
            Purpose::Login,
            "",
            &[],
            form.get("csrf").unwrap_or(""),
        )
    {
        return form_page(
            state,
            head,
            StatusCode::FORBIDDEN,
            &return_to,
            Some("The form expired. Please sign in again."),
            &username,
            None,
        );
    }
    // Per address, and per address + user name; never per user name alone, so a stranger's
    // wrong passwords never lock the real user out from elsewhere.
    let address_key = Key::address(ip);
    let user_key = Key::address_and(ip, &username.to_lowercase());
    if let Err(retry) = state
        .limits
        .login_by_address
        .check(&address_key)
        .and(state.limits.login_by_address_and_username.check(&user_key))
    {
        Metrics::inc(&state.metrics.rate_limited);
        let mut resp = form_page(
            state,
            head,
            StatusCode::TOO_MANY_REQUESTS,
            &return_to,
            Some("Too many failed sign-ins. Wait a few minutes and try again."),
            &username,
            None,
        );
        add_retry_after(&mut resp, retry);
        return resp;
    }
    let user = match local::check_password(&state.store, &username, password).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "database error");
            return pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Try again in a moment.",
            );
        }
    };
    let Some(user) = user else {
        Metrics::inc(&state.metrics.failed_logins);
        let _ = state.limits.login_by_address.hit(&address_key);
        let _ = state.limits.login_by_address_and_username.hit(&user_key);
        tracing::info!(%ip, "failed login");
        if let Err(e) = events::record(&state.store, AuthEvent::LoginFailed, None, clock::now()).await {
            tracing::debug!(error = %e, "could not record the auth event");
        }
        return form_page(
            state,
            head,
            StatusCode::UNAUTHORIZED,
            &return_to,
            Some("Wrong user name or password."),
            &username,
            None,
        );
    };
    let now = clock::now();
    let token = match local::start_session(&state.store, &user, now).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "database error");
            return pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Try again in a moment.",
            );
        }
    };
    tracing::info!(user_id = %user.user_id, "signed in");
    // 303: the browser follows with a GET to the page it came from.
    let mut resp = response::redirect(&return_to);
    *resp.status_mut() = StatusCode::SEE_OTHER;
    session::set_cookie(
        state,
        &mut resp,
        session::session_cookie_name(state),
        &token,
        Some(local::SESSION_TTL_SECONDS),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
