//! In-memory token buckets keyed by client address, client_id or user name.
//!
//! Failures (wrong secret, wrong password) draw from the bucket; a request arriving at an
//! empty bucket is refused with 429 and `Retry-After` before any expensive work (argon2) is
//! done. Successful authentications cost nothing, so a legitimate client is never throttled by
//! its own traffic. Buckets live in this process: behind a load balancer each instance counts
//! on its own, which bounds an attacker to N times the rate, still far below useful guessing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::Rate;

/// Entries kept before full (idle) buckets are pruned.
const PRUNE_AT: usize = 50_000;

pub struct RateLimiter {
    capacity: f64,
    refill_per_sec: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
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
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let mut buckets = self.lock();
        match buckets.get_mut(key) {
            Some(bucket) => self.refill(bucket).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Consumes one event for `key`; `Err(retry_after)` when none was left.
    pub fn hit(&self, key: &str) -> Result<(), Duration> {
        let mut buckets = self.lock();
        if buckets.len() >= PRUNE_AT {
            let now = Instant::now();
            let (capacity, rate) = (self.capacity, self.refill_per_sec);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < capacity);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.capacity,
            updated: Instant::now(),
        });
        self.refill(bucket)?;
        bucket.tokens -= 1.0;
        Ok(())
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_with_retry_after() {
        let l = RateLimiter::new(Rate::new(2, Duration::from_secs(60)));
        assert!(l.check("a").is_ok());
        assert!(l.hit("a").is_ok());
        assert!(l.hit("a").is_ok());
        let retry = l.check("a").unwrap_err();
        assert!(
            retry >= Duration::from_secs(1) && retry <= Duration::from_secs(30),
            "{retry:?}"
        );
        assert!(l.hit("a").is_err());
        assert!(l.check("b").is_ok());
    }
}
