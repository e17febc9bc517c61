//! Access tokens this instance validated a moment ago, so that `/api/mcp` on a remote database
//! does not pay a round trip per request to check its bearer token.
//!
//! The contract, which the README states and `serve --revocation-lag` sets:
//! - a revocation committed **by this process** (RFC 7009, the connections page, a replayed
//!   code or refresh token revoking its grant) takes effect here at once: every such commit
//!   changes [`Store::revocation_epoch`], and an entry validated under another epoch is never
//!   used. The epoch is read *before* the database is asked and changes only *after* the
//!   revoking commit, so a check that raced a revocation is never cached past it;
//! - a revocation made elsewhere (another instance, the CLI) takes effect here within the lag:
//!   an entry is trusted only that long after the database last confirmed it;
//! - expiry is checked on every use, against the token's own `expires_at`.
//!
//! Entries are keyed by the token's SHA-256 digest; the token itself is never kept. The map is
//! bounded: when full, it is emptied (validating again is only a database read).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::bearer::Principal;

/// More live tokens than a deployment's instance sees within a lag; when reached, start over.
const CAPACITY: usize = 50_000;

pub struct BearerCache {
    lag: Duration,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

struct Entry {
    principal: Principal,
    /// The token's own expiry (Unix seconds).
    expires_at: i64,
    /// When the database last said the token was live.
    confirmed: Instant,
    /// [`Store::revocation_epoch`] read before that confirmation.
    epoch: u64,
}

impl BearerCache {
    /// A cache trusting a confirmation for `lag`; `None` when `lag` is zero (always ask).
    pub fn new(lag: Duration) -> Option<BearerCache> {
        (!lag.is_zero()).then(|| BearerCache {
            lag,
            entries: Mutex::new(HashMap::new()),
        })
    }

    /// The principal of a token confirmed live within the lag and under `epoch`, not expired
    /// at `now`.
    pub fn get(&self, digest: &[u8; 32], epoch: u64, now: i64) -> Option<Principal> {
        let entries = lock(&self.entries);
        let entry = entries.get(digest)?;
        let fresh = entry.epoch == epoch && entry.confirmed.elapsed() < self.lag && entry.expires_at > now;
        fresh.then(|| entry.principal.clone())
    }

    /// Remembers that the database confirmed this token live, under `epoch` read before asking.
    pub fn put(
        &self,
        digest: [u8; 32],
        principal: Principal,
        expires_at: i64,
        epoch: u64,
        confirmed: Instant,
    ) {
        let mut entries = lock(&self.entries);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            digest,
            Entry {
                principal,
                expires_at,
                confirmed,
                epoch,
            },
        );
    }

    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::scope::ScopeSet;

    fn principal() -> Principal {
        Principal {
            user_id: "usr_1".into(),
            client_id: Some("mcp_oauth_1".into()),
            scopes: ScopeSet::all(),
        }
    }

    #[test]
    fn a_zero_lag_means_no_cache() {
        assert!(BearerCache::new(Duration::ZERO).is_none());
    }

    #[test]
    fn an_entry_is_used_within_the_lag_under_the_same_epoch() {
        let cache = BearerCache::new(Duration::from_secs(60)).expect("cache");
        cache.put([1; 32], principal(), 1_000, 7, Instant::now());
        assert_eq!(cache.get(&[1; 32], 7, 999), Some(principal()));
        assert_eq!(cache.get(&[2; 32], 7, 999), None, "another token");
    }

    #[test]
    fn a_revocation_committed_by_this_process_invalidates_every_entry() {
        let cache = BearerCache::new(Duration::from_secs(60)).expect("cache");
        cache.put([1; 32], principal(), 1_000, 7, Instant::now());
        assert_eq!(cache.get(&[1; 32], 8, 999), None);
    }

    #[test]
    fn an_entry_older_than_the_lag_is_not_used() {
        let cache = BearerCache::new(Duration::from_millis(50)).expect("cache");
        let long_ago = Instant::now() - Duration::from_millis(51);
        cache.put([1; 32], principal(), 1_000, 7, long_ago);
        assert_eq!(cache.get(&[1; 32], 7, 999), None);
    }

    #[test]
    fn an_expired_token_is_not_served_from_the_cache() {
        let cache = BearerCache::new(Duration::from_secs(60)).expect("cache");
        cache.put([1; 32], principal(), 1_000, 7, Instant::now());
        assert_eq!(cache.get(&[1; 32], 7, 1_000), None);
    }
}
