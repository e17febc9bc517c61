//! `GET/POST /api/oauth/connections`: the signed-in user's authorized clients, each with a
//! CSRF-protected Revoke button that revokes every token that client holds for this user, and
//! (local accounts) a sign-out button.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::config::LoginMode;
use super::csrf::{self, Purpose};
use super::form;
use super::oauth_endpoints::form_error_page;
use super::pages::{self, ConnectionView};
use super::response::{self, HttpResponse};
use super::session;
use super::state::AppState;
use crate::clock;
use crate::storage::grants;

pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    let user = match session::current_user(state, &req).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    let Some(user) = user else {
        if req.method() == Method::POST {
            return pages::error(
                StatusCode::UNAUTHORIZED,
                "Signed out",
                "Sign in again to manage your connections.",
            );
        }
        return session::sign_in_redirect(state, session::CONNECTIONS_PATH);
    };
    let csrf_secret = session::csrf_secret(state, &req);
    match *req.method() {
        Method::GET | Method::HEAD => show(state, &user, &csrf_secret).await,
        Method::POST => {
            let form = match form::read(req, state.config.max_body_bytes).await {
                Ok(f) => f,
                Err(e) => return form_error_page(e),
            };
            let client_id = form.get("client_id").unwrap_or("");
            let (secret, new_secret) = &csrf_secret;
            if *new_secret
                || !csrf::verify(
                    secret,
                    Purpose::Connections,
                    &user.session_binding,
                    &[client_id],
                    form.get("csrf").unwrap_or(""),
                )
            {
                return pages::error(
                    StatusCode::FORBIDDEN,
                    "Request not accepted",
                    "This request did not come from your connections page.",
                );
            }
            match grants::revoke_user_client(&state.store, &user.user_id, client_id, clock::now()).await {
                Ok(revoked) => {
                    tracing::info!(user_id = %user.user_id, %client_id, revoked = revoked.total(), "connection revoked by the user");
                    let mut resp = response::redirect(session::CONNECTIONS_PATH);
                    *resp.status_mut() = StatusCode::SEE_OTHER;
                    resp
                }
                Err(e) => unavailable(e),
            }
        }
        _ => response::method_not_allowed("GET, POST"),
    }
}

async fn show(
    state: &AppState,
    user: &crate::login::SignedIn,
    (secret, new_secret): &(String, bool),
) -> HttpResponse {
    let connections = match grants::connections_for_user(&state.store, &user.user_id, clock::now()).await {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    let rows: Vec<ConnectionView<'_>> = connections
        .iter()
        .map(|c| ConnectionView {
            client_id: &c.client_id,
            client_name: &c.client_name,
            scopes: c.scopes.clone(),
            authorized_at: clock::human(c.authorized_at),
            last_used_at: clock::human(c.last_used_at),
            csrf: csrf::token(
                secret,
                Purpose::Connections,
                &user.session_binding,
                &[&c.client_id],
            ),
        })
        .collect();
    let sign_out =
        (state.config.login == LoginMode::Local).then(|| super::sign_out_endpoint::token(secret, user));
    let mut resp = response::html(
        StatusCode::OK,
        pages::connections(&user.display_name, &rows, sign_out.as_deref()),
    );
    if *new_secret {
        session::set_cookie(state, &mut resp, session::csrf_cookie_name(state), secret, None);
    }
    resp
}

fn unavailable(e: crate::storage::StoreError) -> HttpResponse {
    pages::unavailable(&e)
}
