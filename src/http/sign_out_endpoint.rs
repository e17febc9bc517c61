//! `POST /api/oauth/logout`: ends the local sign-in session (`--login local`).
//!
//! The button sits on the connections page and on the login page while signed in. The form
//! carries a CSRF token bound to the session it ends, and the router's cross-site check runs
//! first, so another site can neither sign a user out nor learn whether one was signed in. The
//! session row is deleted (the cookie is worthless afterwards, even if a browser keeps it) and the
//! cookie is cleared. In Clerk mode sessions belong to Clerk, so this route does not exist.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};

use super::config::LoginMode;
use super::csrf::{self, Purpose};
use super::form;
use super::oauth_endpoints::form_error_page;
use super::pages;
use super::response::{self, HttpResponse};
use super::session;
use super::state::AppState;
use crate::login::local;

pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    if state.config.login != LoginMode::Local {
        return response::not_found();
    }
    if req.method() != Method::POST {
        return response::method_not_allowed("POST");
    }
    let user = match session::current_user(state, &req).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    let cookie_value = session::cookie(&req, session::session_cookie_name(state)).map(str::to_string);
    let (secret, new_secret) = session::csrf_secret(state, &req);
    let form = match form::read(req, state.config.max_body_bytes).await {
        Ok(f) => f,
        Err(e) => return form_error_page(e),
    };
    let (Some(user), Some(cookie_value)) = (user, cookie_value) else {
        // Already signed out: nothing to end; the cookie is cleared all the same.
        return signed_out(state);
    };
    // A new secret means the browser sent none: no token can be valid.
    if new_secret
        || !csrf::verify(
            &secret,
            Purpose::SignOut,
            &user.session_binding,
            &[],
            form.get("csrf").unwrap_or(""),
        )
    {
        tracing::warn!(user_id = %user.user_id, "sign-out form with a missing or wrong CSRF token");
        return pages::error(
            StatusCode::FORBIDDEN,
            "Request not accepted",
            "This request did not come from a page of this server.",
        );
    }
    if let Err(e) = local::end_session(&state.store, &cookie_value).await {
        return unavailable(e);
    }
    tracing::info!(user_id = %user.user_id, "signed out");
    signed_out(state)
}

/// The CSRF token of the sign-out button for this signed-in session.
pub fn token(browser_secret: &str, user: &crate::login::SignedIn) -> String {
    csrf::token(browser_secret, Purpose::SignOut, &user.session_binding, &[])
}

/// 303 to the login page, with the session cookie deleted.
fn signed_out(state: &AppState) -> HttpResponse {
    let mut resp = response::redirect(session::LOGIN_PATH);
    *resp.status_mut() = StatusCode::SEE_OTHER;
    session::set_cookie(state, &mut resp, session::session_cookie_name(state), "", Some(0));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn unavailable(e: crate::storage::StoreError) -> HttpResponse {
    pages::unavailable(&e)
}
