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

/// A value `/metrics` reads from the database, read again at most every `max_age` however many
/// scrapers there are: scrapes that find it stale queue on the lock, so only one of them reads.
/// While the database is down, or when a read fails, the last value read is served again;
/// before any was read there is none.
pub struct ScrapeCache<T> {
    max_age: Duration,
    last: tokio::sync::Mutex<Option<(Instant, T)>>,
}

impl<T: Clone> ScrapeCache<T> {
    pub fn new(max_age: Duration) -> Self {
        ScrapeCache {
            max_age,
            last: tokio::sync::Mutex::new(None),
        }
    }

    async fn get<E: std::fmt::Display>(
        &self,
        database_up: bool,
        read: impl std::future::Future<Output = Result<T, E>>,
    ) -> Option<T> {
        let mut last = self.last.lock().await;
        let fresh = last.as_ref().is_some_and(|(at, _)| at.elapsed() < self.max_age);
        if fresh || !database_up {
            return last.as_ref().map(|(_, value)| value.clone());
        }
        match read.await {
            Ok(value) => {
                *last = Some((Instant::now(), value.clone()));
                Some(value)
            }
            Err(e) => {
                tracing::debug!(error = %e, "reading a /metrics value from the database");
                last.as_ref().map(|(_, value)| value.clone())
            }
        }
    }
}

pub async fn metrics(state: &Arc<AppState>) -> HttpResponse {
    let database_up = database_answers(state).await;
    let tables = state
        .table_rows
        .get(database_up, crate::storage::stats::table_rows(&state.store))
        .await
        .unwrap_or_default();
    let mut body = state.metrics.render(&Scrape {
        tables: &tables,
        writes: state.store.write_counts(),
        database_up,
        oauth_enabled: state.config.oauth_enabled,
    });
    let maintenance = state
        .maintenance_runs
        .get(database_up, crate::storage::cleanup::last_finished(&state.store))
        .await;
    body.push_str(&super::maintenance_gauges::render(maintenance));
    let mut resp = response::text(StatusCode::OK, body);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
