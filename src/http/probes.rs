//! `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use serde_json::json;

use super::response::{self, HttpResponse};
use super::state::AppState;

pub fn healthz() -> HttpResponse {
    response::json(StatusCode::OK, &json!({ "status": "ok" }))
}

/// A database that takes longer than this to answer `SELECT 1` is not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn readyz(state: &Arc<AppState>) -> HttpResponse {
    let ping = tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await;
    match ping {
        Ok(Ok(())) => response::json(StatusCode::OK, &json!({ "status": "ready", "database": "ok" })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            response::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "unavailable", "database": "unreachable" }),
            )
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "readiness check: database did not answer");
            response::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "unavailable", "database": "unreachable" }),
            )
        }
    }
}

pub async fn metrics(state: &Arc<AppState>) -> HttpResponse {
    let tables = crate::storage::stats::table_rows(&state.store)
        .await
        .unwrap_or_default();
    let mut body = state.metrics.render(&tables, state.store.write_counts());
    let maintenance = state.maintenance_gauges.current(&state.store).await;
    body.push_str(&super::maintenance_gauges::MaintenanceGauges::render(maintenance));
    let mut resp = response::text(StatusCode::OK, body);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
