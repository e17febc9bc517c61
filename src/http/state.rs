//! What every request handler shares: configuration, the store, and in-memory counters.

use std::sync::Arc;

use crate::http::config::ServerConfig;
use crate::http::metrics::Metrics;
use crate::storage::Store;

pub struct AppState {
    pub config: ServerConfig,
    pub store: Store,
    pub metrics: Metrics,
    /// `<issuer>/api/mcp`, computed once.
    pub resource: String,
}

impl AppState {
    pub fn new(config: ServerConfig, store: Store) -> Arc<AppState> {
        let resource = config.resource();
        Arc::new(AppState {
            config,
            store,
            metrics: Metrics::default(),
            resource,
        })
    }
}
