//! In-memory token buckets keyed by client address, or by address and a name (client_id, user
//! name), with bounded memory.
//!
//! Failures (wrong secret, wrong password) draw from the buckets; a request arriving at an
//! empty bucket is refused with 429 and `Retry-After` before any expensive work (argon2) is
//! done. Successful authentications cost nothing, so a legitimate client is never throttled by
//! its own traffic. Buckets live in this process: behind a load balancer each instance counts
//! on its own, which bounds an attacker to N times the rate, still far below useful guessing.
//!
//! Design choices:
//! - **Never keyed by a name alone.** A bucket per presented `client_id` or user name, shared by
//!   every address, lets anyone lock a client or user out by failing in its name. Every key
//!   starts with the client's address, so a stranger's failures only ever throttle the
//!   stranger. (Client secrets are 256 random bits, so spreading guesses over many addresses
//!   gains nothing; passwords are protected by argon2 and by each address's budget.)
//! - **IPv6 clients are keyed by their /64**, the smallest block a subscriber is usually given:
//!   otherwise one host would own 2^64 addresses, each with a fresh budget. IPv4-mapped IPv6
//!   addresses count as the IPv4 address.
//! - **Keys are fixed-size digests**: SHA-256 over a per-process random salt, the address and
//!   the length-prefixed name, truncated to 128 bits. An attacker-chosen 64 KB client_id costs
//!   16 bytes, and without the salt no one can aim collisions at another client's bucket.
//! - **Bounded table**: at most [`MAX_ENTRIES`] buckets per limiter. An entry is a 16-byte key
//!   and a 24-byte bucket; at 50,000 entries the hash table has 65,536 slots of 41 bytes, so
//!   one limiter holds at most about 2.6 MiB (plus a transient second table while it grows),
//!   and the server's six limiters about 16 MiB. When the table is full, buckets that have
//!   refilled completely (which remember nothing) are dropped first; if that is not enough, the
//!   eighth of the buckets holding the most tokens (the least throttled) is evicted. Evicting a
//!   throttled bucket needs 6,250 fresh keys first, i.e. that many distinct addresses, each of
//!   which has a budget of its own anyway.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::config::Rate;

/// Buckets kept per limiter; see the module doc for the memory this bounds.
pub const MAX_ENTRIES: usize = 50_000;

/// A bucket's identity: 128 bits of a salted digest (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 16]);

impl Key {
    /// The bucket of one client address (an IPv6 client's /64).
    pub fn address(ip: IpAddr) -> Key {
        Key::digest(ip, None)
    }

    /// The bucket of one name (client_id, user name) as used from one address.
    pub fn address_and(ip: IpAddr, name: &str) -> Key {
        Key::digest(ip, Some(name))
    }

    /// The one bucket every request shares (a global cap).
    pub fn global() -> Key {
        Key([0; 16])
    }

    fn digest(ip: IpAddr, name: Option<&str>) -> Key {
        static SALT: OnceLock<[u8; 32]> = OnceLock::new();
        let salt = SALT.get_or_init(|| {
            let mut salt = [0u8; 32];
            rand::rng().fill_bytes(&mut salt);
            salt
        });
        let mut hasher = Sha256::new();
        hasher.update(salt);
        match address_block(ip) {
            IpAddr::V4(v4) => {
                hasher.update([4]);
                hasher.update(v4.octets());
            }
            IpAddr::V6(v6) => {
                hasher.update([6]);
                hasher.update(v6.octets());
            }
        }
        if let Some(name) = name {
            hasher.update((name.len() as u64).to_be_bytes());
            hasher.update(name.as_bytes());
        }
        let mut key = [0u8; 16];
        key.copy_from_slice(&hasher.finalize()[..16]);
        // The all-zero key is `global`'s; a digest landing on it is remapped (2^-128 odds).
        if key == [0; 16] {
            key[0] = 1;
        }
        Key(key)
    }
}

/// What an address is counted as: an IPv4 address (also when IPv4-mapped), or an IPv6 /64.
pub fn address_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

pub struct RateLimiter {
    capacity: f64,
    refill_per_sec: f64,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> RateLimiter {
        let capacity = f64::from(rate.burst.max(1));
        RateLimiter {
            capacity,
            refill_per_sec: capacity / rate.per.as_secs_f64().max(0.001),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` when `key` has nothing left; consumes nothing.
    pub fn check(&self, key: &Key) -> Result<(), Duration> {
        let mut buckets = self.lock();
        match buckets.get_mut(key) {
            Some(bucket) => self.refill(bucket).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Consumes one event for `key`; `Err(retry_after)` when none was left.
    pub fn hit(&self, key: &Key) -> Result<(), Duration> {
        let mut buckets = self.lock();
        if buckets.len() >= MAX_ENTRIES && !buckets.contains_key(key) {
            self.make_room(&mut buckets);
        }
        let bucket = buckets.entry(*key).or_insert(Bucket {
            tokens: self.capacity,
            updated: Instant::now(),
        });
        self.refill(bucket)?;
        bucket.tokens -= 1.0;
        Ok(())
    }

    /// How many buckets are kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops refilled buckets; if the table is still full, the eighth holding the most tokens.
    fn make_room(&self, buckets: &mut HashMap<Key, Bucket>) {
        let now = Instant::now();
        let current =
            |b: &Bucket| b.tokens + now.duration_since(b.updated).as_secs_f64() * self.refill_per_sec;
        buckets.retain(|_, b| current(b) < self.capacity);
        if buckets.len() < MAX_ENTRIES {
            return;
        }
        let mut levels: Vec<f64> = buckets.values().map(current).collect();
        let evict = MAX_ENTRIES / 8;
        let nth = levels.len() - evict;
        let (_, threshold, _) = levels.select_nth_unstable_by(nth, f64::total_cmp);
        let threshold = *threshold;
        let mut left = evict;
        buckets.retain(|_, b| {
            if left > 0 && current(b) >= threshold {
                left -= 1;
                false
            } else {
                true
            }
        });
    }

    /// Brings the bucket up to date; `Err(retry_after)` if it holds less than one event.
    fn refill(&self, bucket: &mut Bucket) -> Result<(), Duration> {
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.refill_per_sec;
            Err(Duration::from_secs(wait.ceil().max(1.0) as u64))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Bucket>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn burst_then_refusal_with_retry_after() {
        let l = RateLimiter::new(Rate::new(2, Duration::from_secs(60)));
        let (a, b) = (Key::address(ip("192.0.2.1")), Key::address(ip("192.0.2.2")));
        assert!(l.check(&a).is_ok());
        assert!(l.hit(&a).is_ok());
        assert!(l.hit(&a).is_ok());
        let retry = l.check(&a).unwrap_err();
        assert!(
            retry >= Duration::from_secs(1) && retry <= Duration::from_secs(30),
            "{retry:?}"
        );
        assert!(l.hit(&a).is_err());
        assert!(l.check(&b).is_ok());
    }

    #[test]
    fn ipv6_hosts_of_one_slash_64_share_a_bucket_and_other_prefixes_do_not() {
        let one = Key::address(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(one, Key::address(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(one, Key::address(ip("2001:db8:1:3::1")));
        assert_eq!(
            Key::address(ip("::ffff:192.0.2.7")),
            Key::address(ip("192.0.2.7"))
        );
        let l = RateLimiter::new(Rate::new(1, Duration::from_secs(600)));
        assert!(l.hit(&one).is_ok());
        assert!(l.hit(&Key::address(ip("2001:db8:1:2::dead:beef"))).is_err());
    }

    #[test]
    fn names_are_keyed_per_address_and_never_collide_with_the_address_alone() {
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        assert_ne!(Key::address_and(a, "c1"), Key::address_and(b, "c1"));
        assert_ne!(Key::address_and(a, "c1"), Key::address_and(a, "c2"));
        assert_ne!(Key::address_and(a, ""), Key::address(a));
        assert_eq!(Key::address_and(a, "c1"), Key::address_and(a, "c1"));
    }

    #[test]
    fn huge_attacker_chosen_names_flood_a_table_that_stays_bounded_and_keeps_throttled_buckets() {
        let l = RateLimiter::new(Rate::new(2, Duration::from_secs(3600)));
        let attacker = ip("192.0.2.66");
        // A throttled address: its empty bucket is what the limiter must not forget.
        let throttled = Key::address(ip("198.51.100.1"));
        let _ = l.hit(&throttled);
        let _ = l.hit(&throttled);
        assert!(l.check(&throttled).is_err());
        // One failure under each of 75,000 long, distinct names: each bucket keeps one token.
        let long = "x".repeat(200);
        for i in 0..(MAX_ENTRIES + MAX_ENTRIES / 2) {
            let _ = l.hit(&Key::address_and(attacker, &format!("{long}{i}")));
            assert!(l.len() <= MAX_ENTRIES);
        }
        assert!(l.len() > MAX_ENTRIES / 2);
        assert!(l.check(&throttled).is_err(), "the throttled bucket was evicted");
    }
}
