//! Access tokens this instance validated a moment ago, so that `/api/mcp` does not look its
//! bearer token up on every request: a round trip on a remote database, and on a file the
//! largest share of an authenticated request's CPU (the token query, its row decoded into
//! owned values, the principal built from it).
//!
//! The contract, which the README states and `serve --revocation-lag` sets:
//! - a revocation committed **by this process** (RFC 7009, the connections page, a replayed
//!   code or refresh token revoking its grant) takes effect here at once: every such commit
//!   changes [`Store::revocation_epoch`], and an entry validated under another epoch is never
//!   used. The epoch is read *before* the database is asked and changes only *after* the
//!   revoking commit, so a check that raced a revocation is never cached past it;
//! - with a lag (the default on a remote database), a revocation made elsewhere (another
//!   instance, the CLI) takes effect here within the lag: an entry is trusted only that long
//!   after the database last confirmed it;
//! - with no lag on an embedded file (the default there), a revocation made elsewhere (the
//!   CLI, another process on the same file) takes effect at once too: an entry is used only
//!   while the file's [`ChangeMark`] is the one read before the database confirmed the token,
//!   that is while nothing at all was committed to the file since. Under reads (`tools/list`,
//!   searches) entries live; any write (a memory added, a token issued) empties the cache in
//!   effect, and the next requests validate again. The mark costs a memory read (the WAL
//!   index's header, [`crate::storage::wal_index`]) and, at most once a millisecond, a `stat`
//!   of the file's path: a file replaced under the server (`restore --force`) can go unseen
//!   by a cached token for that millisecond;
//! - with no lag on a remote database there is no cache: every request asks;
//! - expiry is checked on every use, against the token's own `expires_at`.
//!
//! Entries are keyed by the token's SHA-256 digest; the token itself is never kept. The map is
//! bounded: when full, it is emptied (validating again is only a database read).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::bearer::Principal;
use crate::storage::ChangeMark;

/// More live tokens than a deployment's instance sees within a lag; when reached, start over.
const CAPACITY: usize = 50_000;

pub struct BearerCache {
    trust: Trust,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

/// How long a confirmation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// For this long (`--revocation-lag`).
    Lag(Duration),
    /// While the embedded file's [`ChangeMark`] is unchanged.
    WhileUnchanged,
}

struct Entry {
    principal: Principal,
    /// The token's own expiry (Unix seconds).
    expires_at: i64,
    /// When the database last said the token was live.
    confirmed: Instant,
    /// [`Store::revocation_epoch`] read before that confirmation.
    epoch: u64,
    /// [`crate::storage::Store::change_mark`] read before that confirmation.
    mark: Option<ChangeMark>,
}

impl BearerCache {
    /// A cache trusting a confirmation for `lag`, or, when `lag` is zero on an embedded file
    /// (`local`), while the file is unchanged; `None` when `lag` is zero on a remote database
    /// (always ask).
    pub fn new(lag: Duration, local: bool) -> Option<BearerCache> {
        let trust = match (lag.is_zero(), local) {
            (false, _) => Trust::Lag(lag),
            (true, true) => Trust::WhileUnchanged,
            (true, false) => return None,
        };
        Some(BearerCache {
            trust,
            entries: Mutex::new(HashMap::new()),
        })
    }

    pub fn trust(&self) -> Trust {
        self.trust
    }

    /// The principal of a token confirmed live under `epoch`, within the lag or under `mark`
    /// (as [`Trust`] says), and not expired at `now`.
    pub fn get(
        &self,
        digest: &[u8; 32],
        epoch: u64,
        mark: Option<ChangeMark>,
        now: i64,
    ) -> Option<Principal> {
        let entries = lock(&self.entries);
        let entry = entries.get(digest)?;
        let confirmed = match self.trust {
            Trust::Lag(lag) => entry.confirmed.elapsed() < lag,
            Trust::WhileUnchanged => mark.is_some() && entry.mark == mark,
        };
        let fresh = confirmed && entry.epoch == epoch && entry.expires_at > now;
        fresh.then(|| entry.principal.clone())
    }

    /// Remembers that the database confirmed this token live, under `epoch` and `mark` read
    /// before asking.
    pub fn put(
        &self,
        digest: [u8; 32],
        principal: Principal,
        expires_at: i64,
        (epoch, mark): (u64, Option<ChangeMark>),
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
                mark,
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
    fn a_zero_lag_means_no_cache_on_a_remote_database() {
        assert!(BearerCache::new(Duration::ZERO, false).is_none());
        assert_eq!(
            BearerCache::new(Duration::ZERO, true).map(|c| c.trust()),
            Some(Trust::WhileUnchanged)
        );
    }

    #[test]
    fn without_a_lag_an_entry_is_used_only_while_the_file_is_unchanged() {
        let cache = BearerCache::new(Duration::ZERO, true).expect("cache");
        let mark = Some(ChangeMark::for_tests(1, 5));
        cache.put([1; 32], principal(), 1_000, (7, mark), Instant::now());
        assert_eq!(cache.get(&[1; 32], 7, mark, 999), Some(principal()));
        assert_eq!(
            cache.get(&[1; 32], 7, Some(ChangeMark::for_tests(1, 6)), 999),
            None,
            "a commit"
        );
        assert_eq!(
            cache.get(&[1; 32], 7, Some(ChangeMark::for_tests(2, 5)), 999),
            None,
            "another file"
        );
        assert_eq!(cache.get(&[1; 32], 8, mark, 999), None, "a revocation here");
        assert_eq!(cache.get(&[1; 32], 7, mark, 1_000), None, "expired");
        cache.put([2; 32], principal(), 1_000, (7, None), Instant::now());
        assert_eq!(cache.get(&[2; 32], 7, None, 999), None, "no mark, no trust");
    }

    #[test]
    fn an_entry_is_used_within_the_lag_under_the_same_epoch() {
        let cache = BearerCache::new(Duration::from_secs(60), false).expect("cache");
        cache.put([1; 32], principal(), 1_000, (7, None), Instant::now());
        assert_eq!(cache.get(&[1; 32], 7, None, 999), Some(principal()));
        assert_eq!(cache.get(&[2; 32], 7, None, 999), None, "another token");
    }

    #[test]
    fn a_revocation_committed_by_this_process_invalidates_every_entry() {
        let cache = BearerCache::new(Duration::from_secs(60), false).expect("cache");
        cache.put([1; 32], principal(), 1_000, (7, None), Instant::now());
        assert_eq!(cache.get(&[1; 32], 8, None, 999), None);
    }

    #[test]
    fn an_entry_older_than_the_lag_is_not_used() {
        let cache = BearerCache::new(Duration::from_millis(50), false).expect("cache");
        let long_ago = Instant::now() - Duration::from_millis(51);
        cache.put([1; 32], principal(), 1_000, (7, None), long_ago);
        assert_eq!(cache.get(&[1; 32], 7, None, 999), None);
    }

    #[test]
    fn an_expired_token_is_not_served_from_the_cache() {
        let cache = BearerCache::new(Duration::from_secs(60), false).expect("cache");
        cache.put([1; 32], principal(), 1_000, (7, None), Instant::now());
        assert_eq!(cache.get(&[1; 32], 7, None, 1_000), None);
    }
}
