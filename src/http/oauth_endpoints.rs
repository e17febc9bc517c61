//! The OAuth routes under `/api/oauth/`. (Being built: see issue 3.)

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use super::response::{self, HttpResponse};
use super::state::AppState;

fn not_yet() -> HttpResponse {
    response::json(
        StatusCode::NOT_IMPLEMENTED,
        &serde_json::json!({ "error": "not_implemented" }),
    )
}

pub async fn authorize(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    not_yet()
}
pub async fn token(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    not_yet()
}
pub async fn revoke(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    not_yet()
}
pub async fn register(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    not_yet()
}
pub async fn login(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    not_yet()
}
pub async fn connections(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    not_yet()
}
