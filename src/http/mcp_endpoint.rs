//! `/api/mcp`: MCP Streamable HTTP. (Being built: see issue 4.)

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use super::response::{self, HttpResponse};
use super::state::AppState;

pub async fn handle(_state: &Arc<AppState>, _req: Request<Incoming>) -> HttpResponse {
    response::json(
        StatusCode::NOT_IMPLEMENTED,
        &serde_json::json!({ "error": "not_implemented" }),
    )
}
