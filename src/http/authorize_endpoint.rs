//! `GET /api/oauth/authorize` (the authorization request → sign-in or consent screen) and
//! `POST /api/oauth/authorize` (the consent decision → redirect with a code or an error).
//!
//! The validation in [`crate::oauth::authorize::validate`] decides whether an error may be
//! redirected; this file only renders. The POST is a browser form, so it answers with the
//! 302 the authorization response requires.
//!
//! One rendering rule is ours (RFC 9700 §4.11.2): a client that registered itself (RFC 7591)
//! chose its redirect URI without anyone vouching for it, so before a user has signed in an
//! error for such a client (an unknown scope, `prompt=none`, …) is shown as a page, never sent
//! there by a 302: otherwise anyone could register `https://evil.example/` and use this server's
//! authorize URL as a redirector to it. Once a user has signed in and sees the consent screen
//! (which names the client as unverified and shows where it will send them) errors go back
//! to the client as usual. Clients an operator registered are trusted from the start.
//!
//! A client named by a metadata document URL (`oauth::cimd`) is looked up only once a user has
//! signed in: before that the request goes straight to sign-in, so that nobody can make this
//! server fetch URLs without an account.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::csrf::{self, Purpose};
use super::form::{self, Form};
use super::metrics::Metrics;
use super::oauth_endpoints::form_error_page;
use super::pages::{self, ConsentView};
use super::response::{self, HttpResponse};
use super::session;
use super::state::AppState;
use crate::clock;
use crate::login::SignedIn;
use crate::oauth::authorize::{self, AuthorizationRequest, AuthorizeError, AuthorizeParams};
use crate::oauth::error::ErrorCode;
use crate::oauth::grants::{self, Approval};
use crate::storage::clients::{self, ClientRecord, Registration};
use crate::storage::events::{self, AuthEvent};

pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> HttpResponse {
    match *req.method() {
        Method::GET | Method::HEAD => show(state, req).await,
        Method::POST => decide(state, req).await,
        _ => response::method_not_allowed("GET, POST"),
    }
}

async fn show(state: &AppState, req: Request<Incoming>) -> HttpResponse {
    let Some(query) = Form::from_query(&req) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The authorization request could not be read.",
        );
    };
    let user = match session::current_user(state, &req).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    if user.is_none() && names_a_document(&query) {
        // A metadata document is fetched only for a signed-in user, so that strangers cannot
        // make this server fetch URLs of their choosing (SEP-991).
        if query.get("prompt") == Some("none") {
            return untrusted_error_page("the user is not signed in (prompt=none)");
        }
        return session::sign_in_redirect(state, &here(&req));
    }
    let request = match validated(state, &query, user.is_some()).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let Some(user) = user else {
        if request.prompt_none && !is_trusted(&request.client) {
            return untrusted_error_page("the user is not signed in (prompt=none)");
        }
        if request.prompt_none {
            return redirect_error(
                state,
                &request,
                ErrorCode::LoginRequired,
                "the user is not signed in",
            );
        }
        return session::sign_in_redirect(state, &here(&req));
    };
    if request.prompt_none {
        return redirect_error(
            state,
            &request,
            ErrorCode::ConsentRequired,
            "the user must approve this client",
        );
    }
    consent_page(state, &req, &request, &user)
}

/// This request's path and query, where sign-in returns to.
fn here<B>(req: &Request<B>) -> String {
    req.uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(session::AUTHORIZE_PATH)
        .to_string()
}

/// Does the request name a client by its metadata document URL?
fn names_a_document(pairs: &Form) -> bool {
    pairs
        .get("client_id")
        .is_some_and(crate::oauth::cimd::policy::looks_like_document_url)
}

fn consent_page<B>(
    state: &AppState,
    req: &Request<B>,
    request: &AuthorizationRequest,
    user: &SignedIn,
) -> HttpResponse {
    let (secret, new_secret) = session::csrf_secret(state, req);
    let fields = request.form_fields();
    let token = csrf::token(
        &secret,
        Purpose::Consent,
        &user.session_binding,
        &field_values(&fields),
    );
    let mut resp = response::html(
        StatusCode::OK,
        pages::consent(&ConsentView {
            client_name: &request.client.client_name,
            verified: is_trusted(&request.client),
            redirect_host: &request.redirect_host(),
            document_host: request.document_host().as_deref(),
            localhost_only: request.localhost_only(),
            scopes: &request.scopes,
            signed_in_as: &user.display_name,
            fields: &fields,
            csrf: &token,
        }),
    );
    if new_secret {
        session::set_cookie(state, &mut resp, session::csrf_cookie_name(state), &secret, None);
    }
    resp
}

fn field_values<'a>(fields: &'a [(&'static str, String)]) -> Vec<&'a str> {
    fields.iter().flat_map(|(k, v)| [*k, v.as_str()]).collect()
}

async fn decide(state: &AppState, req: Request<Incoming>) -> HttpResponse {
    let (secret, new_secret) = session::csrf_secret(state, &req);
    let user = match session::current_user(state, &req).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    let form = match form::read(req, state.config.max_body_bytes).await {
        Ok(f) => f,
        Err(e) => return form_error_page(e),
    };
    // Only the authorization parameters are validated; csrf and decision are ours.
    let params = Form(
        form.0
            .iter()
            .filter(|(k, _)| k != "csrf" && k != "decision")
            .cloned()
            .collect(),
    );
    if user.is_none() && names_a_document(&params) {
        return signed_out_page();
    }
    let request = match validated(state, &params, user.is_some()).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let Some(user) = user else {
        return signed_out_page();
    };
    let fields = request.form_fields();
    let presented = form.get("csrf").unwrap_or("");
    // A new secret means the browser sent none: no token can be valid.
    if new_secret
        || !csrf::verify(
            &secret,
            Purpose::Consent,
            &user.session_binding,
            &field_values(&fields),
            presented,
        )
    {
        Metrics::inc(&state.metrics.authorizations_failed);
        tracing::warn!(client_id = %request.client.client_id, "consent form with a missing or wrong CSRF token");
        return pages::error(
            StatusCode::FORBIDDEN,
            "Request not accepted",
            "This approval did not come from the consent page we showed you. Start again from the application.",
        );
    }
    match form.get("decision") {
        Some("approve") => approve(state, &request, &user).await,
        Some("deny") => {
            Metrics::inc(&state.metrics.authorizations_denied);
            tracing::info!(client_id = %request.client.client_id, "authorization denied by the user");
            if let Err(e) = events::record(
                &state.store,
                AuthEvent::AuthorizationDenied,
                Some(&request.client.client_id),
                clock::now(),
            )
            .await
            {
                tracing::debug!(error = %e, "could not record the auth event");
            }
            response::redirect(&authorize::error_location(
                &request.redirect_uri,
                ErrorCode::AccessDenied,
                "the user denied the request",
                request.state.as_deref(),
                &state.config.issuer,
            ))
        }
        _ => pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "Choose Approve or Deny.",
        ),
    }
}

async fn approve(state: &AppState, request: &AuthorizationRequest, user: &SignedIn) -> HttpResponse {
    let approval = Approval {
        client_id: &request.client.client_id,
        user_id: &user.user_id,
        redirect_uri: &request.redirect_uri,
        scope: &request.scopes,
        resource: &request.resource,
        code_challenge: request.code_challenge.as_deref(),
    };
    match grants::issue_code(&state.store, &approval, &state.lifetimes, clock::now()).await {
        Ok(code) => {
            Metrics::inc(&state.metrics.authorizations_approved);
            tracing::info!(client_id = %request.client.client_id, user_id = %user.user_id, "authorization approved");
            response::redirect(&authorize::success_location(
                &request.redirect_uri,
                &code,
                request.state.as_deref(),
                &state.config.issuer,
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store the authorization code");
            redirect_error(
                state,
                request,
                ErrorCode::TemporarilyUnavailable,
                "the server could not complete the request",
            )
        }
    }
}

fn signed_out_page() -> HttpResponse {
    pages::error(
        StatusCode::UNAUTHORIZED,
        "Signed out",
        "Your sign-in ended before you decided. Start again from the application.",
    )
}

/// Was the client registered by an operator (rather than by itself)?
fn is_trusted(client: &ClientRecord) -> bool {
    client.registration == Registration::Cli
}

/// The page shown instead of redirecting an error to a self-registered client's URI.
fn untrusted_error_page(reason: &str) -> HttpResponse {
    tracing::info!(
        reason,
        "error for a self-registered client shown as a page, not redirected (no user signed in)"
    );
    pages::error(
        StatusCode::BAD_REQUEST,
        "This request cannot be completed",
        "The application sent an authorization request this server cannot accept. Start again from the application.",
    )
}

/// Validates, rendering failures: a page for an untrusted client or redirect URI, a redirect
/// to the client for everything else (for a self-registered client only once someone is
/// `signed_in`).
async fn validated(
    state: &AppState,
    pairs: &Form,
    signed_in: bool,
) -> Result<AuthorizationRequest, HttpResponse> {
    let params = AuthorizeParams::from_pairs(pairs.pairs());
    match authorize::validate(&state.store, &state.cimd, &params, &state.resource).await {
        Ok(r) => Ok(r),
        Err(AuthorizeError::Page(message)) => {
            Metrics::inc(&state.metrics.authorizations_failed);
            tracing::info!(
                reason = message,
                "authorization request refused with an error page"
            );
            Err(pages::error(
                StatusCode::BAD_REQUEST,
                "This request cannot be completed",
                message,
            ))
        }
        Err(AuthorizeError::Document(e)) => {
            Metrics::inc(&state.metrics.authorizations_failed);
            tracing::info!(reason = %e, "client metadata document refused at authorize");
            Err(pages::error(
                StatusCode::BAD_REQUEST,
                "This application cannot be used",
                &format!("Its client metadata document was not accepted: {e}."),
            ))
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            error,
            description,
            state: client_state,
        }) => {
            Metrics::inc(&state.metrics.authorizations_failed);
            tracing::info!(%error, "authorization request refused");
            if !signed_in && !redirect_trusted(state, &params).await {
                return Err(untrusted_error_page(description));
            }
            Err(response::redirect(&authorize::error_location(
                &redirect_uri,
                error,
                description,
                client_state.as_deref(),
                &state.config.issuer,
            )))
        }
        Err(AuthorizeError::Store(e)) => Err(unavailable(e)),
    }
}

/// May an error be redirected to this request's (already verified) redirect URI before anyone
/// signed in? Only for a client an operator registered; a store error answers no.
async fn redirect_trusted(state: &AppState, params: &AuthorizeParams) -> bool {
    let Some(client_id) = params.client_id.as_deref() else {
        return false;
    };
    matches!(clients::find(&state.store, client_id).await, Ok(Some(c)) if is_trusted(&c))
}

fn redirect_error(
    state: &AppState,
    request: &AuthorizationRequest,
    error: ErrorCode,
    description: &str,
) -> HttpResponse {
    Metrics::inc(&state.metrics.authorizations_failed);
    response::redirect(&authorize::error_location(
        &request.redirect_uri,
        error,
        description,
        request.state.as_deref(),
        &state.config.issuer,
    ))
}

fn unavailable(e: crate::storage::StoreError) -> HttpResponse {
    pages::unavailable(&e)
}
