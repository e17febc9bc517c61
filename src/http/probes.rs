//! `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use serde_json::json;

use super::metrics::Scrape;
use super::response::{self, HttpResponse};
use super::state::AppState;

pub fn healthz() -> HttpResponse {
    response::json(StatusCode::OK, &json!({ "status": "ok" }))
}

/// A database that takes longer than this to answer `SELECT 1` is not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `/readyz`: 200 when the database answers. The OAuth switch does not change readiness (a
/// server with OAuth off still serves `/api/mcp`); while it is off the body adds
/// `"oauth": "disabled"` (and is otherwise unchanged, for the probes and scripts that read it).
pub async fn readyz(state: &Arc<AppState>) -> HttpResponse {
    let (status, mut body) = if database_answers(state).await {
        (StatusCode::OK, json!({ "status": "ready", "database": "ok" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "database": "unreachable" }),
        )
    };
    if !state.config.oauth_enabled {
        body["oauth"] = json!("disabled");
    }
    response::json(status, &body)
}

async fn database_answers(state: &AppState) -> bool {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            false
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "readiness check: database did not answer");
            false
        }
    }
}

/// Rows per table are counted (a scan of each table) at most this often, however often
/// `/metrics` is scraped; between, the last counts are served again.
pub const TABLE_ROWS_MAX_AGE: Duration = Duration::from_secs(60);

/// The last table counts and when they were read; scrapes that find them stale queue on the
/// lock, so only one of them counts.
#[derive(Default)]
pub struct TableRowsCache(tokio::sync::Mutex<Option<(Instant, TableRows)>>);

/// `(table, rows)` pairs.
type TableRows = Vec<(String, i64)>;

impl TableRowsCache {
    /// The counts, read again when stale and `database_up`; otherwise the last ones (if any).
    async fn rows(&self, store: &crate::storage::Store, database_up: bool) -> Vec<(String, i64)> {
        let mut cached = self.0.lock().await;
        if let Some((at, rows)) = cached.as_ref() {
            if !database_up || at.elapsed() < TABLE_ROWS_MAX_AGE {
                return rows.clone();
            }
        }
        if !database_up {
            return Vec::new();
        }
        match crate::storage::stats::table_rows(store).await {
            Ok(rows) => {
                *cached = Some((Instant::now(), rows.clone()));
                rows
            }
            Err(_) => cached.as_ref().map(|(_, r)| r.clone()).unwrap_or_default(),
        }
    }
}

pub async fn metrics(state: &Arc<AppState>) -> HttpResponse {
    let database_up = database_answers(state).await;
    let tables = state.table_rows.rows(&state.store, database_up).await;
    let mut body = state.metrics.render(&Scrape {
        tables: &tables,
        writes: state.store.write_counts(),
        database_up,
        oauth_enabled: state.config.oauth_enabled,
    });
    let maintenance = state.maintenance_gauges.current(&state.store).await;
    body.push_str(&super::maintenance_gauges::MaintenanceGauges::render(maintenance));
    let mut resp = response::text(StatusCode::OK, body);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
