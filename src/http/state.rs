//! What every request handler shares: configuration, the store, in-memory counters, rate
//! limiters, the verified-secret cache and the Clerk verifier.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::http::config::ServerConfig;
use crate::http::host_check::AllowedHosts;
use crate::http::maintenance_gauges;
use crate::http::metrics::Metrics;
use crate::http::probes::{ScrapeCache, TABLE_ROWS_MAX_AGE};
use crate::http::rate_limit::RateLimiter;
use crate::login::clerk::Clerk;
use crate::oauth::bearer::{self, BearerContext, BearerError, Principal};
use crate::oauth::bearer_cache::BearerCache;
use crate::oauth::cimd::Resolver;
use crate::oauth::client_auth::SecretCache;
use crate::oauth::grants::Lifetimes;
use crate::storage::Store;

pub struct AppState {
    pub config: ServerConfig,
    pub store: Store,
    pub metrics: Metrics,
    /// Rows per table for `/metrics`, counted at most once a minute.
    pub table_rows: ScrapeCache<Vec<(String, i64)>>,
    /// `<issuer>/api/mcp`, computed once.
    pub resource: String,
    pub lifetimes: Lifetimes,
    pub limits: Limiters,
    pub secret_cache: SecretCache,
    /// Set in `--login clerk` mode.
    pub clerk: Option<Clerk>,
    /// Access tokens validated recently (within `--revocation-lag`, or, on a file with no lag,
    /// since the file last changed); `None` on a remote database with no lag.
    pub bearer_cache: Option<BearerCache>,
    /// The `Host` values answered (DNS-rebinding protection).
    pub allowed_hosts: AllowedHosts,
    /// The issuer's origin, what a same-origin browser form post carries.
    pub issuer_origin: String,
    /// Fetches and caches Client ID Metadata Documents (`--cimd`).
    pub cimd: Resolver,
    /// The last cleanup and backup for `/metrics`, read at most every half minute.
    pub maintenance_runs: ScrapeCache<crate::storage::cleanup::LastFinished>,
}

/// One bucket set per abuse control (see [`crate::http::rate_limit`] for the keys).
pub struct Limiters {
    pub client_auth_by_address: RateLimiter,
    pub client_auth_by_address_and_client: RateLimiter,
    pub login_by_address: RateLimiter,
    pub login_by_address_and_username: RateLimiter,
    pub registration_by_address: RateLimiter,
    pub registration_global: RateLimiter,
    /// Registrations in progress; a request that finds no permit gets 429 at once.
    pub registrations_in_flight: Semaphore,
}

impl AppState {
    /// A server without Clerk (local accounts).
    pub fn new(config: ServerConfig, store: Store) -> Arc<AppState> {
        AppState::with_clerk(config, store, None)
    }

    /// A server that verifies Clerk session JWTs with `clerk` (`--login clerk`).
    pub fn with_clerk(config: ServerConfig, store: Store, clerk: Option<Clerk>) -> Arc<AppState> {
        let resource = config.resource();
        let bearer_cache = BearerCache::new(config.revocation_lag, store.is_local());
        let l = config.limits;
        Arc::new(AppState {
            allowed_hosts: AllowedHosts::new(&config.issuer, &config.allowed_hosts),
            issuer_origin: config.issuer_origin(),
            cimd: Resolver::new(config.cimd.clone()),
            lifetimes: config.lifetimes(),
            limits: Limiters {
                client_auth_by_address: RateLimiter::new(l.failed_client_auth_per_address),
                client_auth_by_address_and_client: RateLimiter::new(l.failed_client_auth),
                login_by_address: RateLimiter::new(l.failed_login_per_address),
                login_by_address_and_username: RateLimiter::new(l.failed_login),
                registration_by_address: RateLimiter::new(l.registration),
                registration_global: RateLimiter::new(l.registration_global),
                registrations_in_flight: Semaphore::new(l.registration_concurrency.max(1)),
            },
            config,
            store,
            metrics: Metrics::default(),
            table_rows: ScrapeCache::new(TABLE_ROWS_MAX_AGE),
            resource,
            secret_cache: SecretCache::default(),
            bearer_cache,
            clerk,
            maintenance_runs: ScrapeCache::new(maintenance_gauges::FRESH_FOR),
        })
    }

    /// Who a bearer token sent to `/api/mcp` speaks for: an `mcp_at_` access token for this
    /// resource, or (Clerk mode) a Clerk session JWT.
    pub async fn authenticate_bearer(&self, token: &str) -> Result<Principal, BearerError> {
        bearer::authenticate(
            &BearerContext {
                store: &self.store,
                cache: self.bearer_cache.as_ref(),
                resource: &self.resource,
                clerk: self.clerk.as_ref(),
                accept_access_tokens: self.config.accepts_access_tokens(),
                now: crate::clock::now(),
            },
            token,
        )
        .await
    }
}
