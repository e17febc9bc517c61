//! Every argon2 computation of the server and the CLI, hashing and verifying, runs on one small
//! fixed pool of threads.
//!
//! Why not `spawn_blocking(argon2)`: argon2 allocates its whole memory cost (4 MiB for client
//! secrets, 19 MiB for passwords) per call. Under a burst (wrong secrets at the token endpoint,
//! or unauthenticated dynamic registrations, each of which hashes a new client secret) tokio's
//! blocking pool grows towards 512 threads, each allocating at once, and glibc keeps the freed
//! blocks in per-thread arenas: measured, 64 concurrent verifications left the process at
//! ~550 MiB, and 240 concurrent registrations from 8 addresses near 1 GiB, resident for good: a
//! memory exhaustion lever for anyone who can reach the server. Here at most
//! [`MAX_WORKERS`] computations run at a time (one per CPU; more cannot finish sooner anyway),
//! each worker reuses one memory buffer, so argon2's footprint is bounded by
//! workers × the largest memory cost (4 × 19 MiB at most), and extra requests wait in a
//! bounded queue ([`QUEUE`]) instead; past it they are refused at once ([`Busy`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

use crate::secret::{self, constant_time_eq, HashCost};

/// Jobs waiting beyond this are refused at once rather than queued without bound.
pub const QUEUE: usize = 4096;

/// The most worker threads, whatever the CPU count: bounds argon2's resident memory.
pub const MAX_WORKERS: usize = 4;

/// The queue is full: the server is already doing all the argon2 work it will take on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many argon2 computations are queued; try again shortly")]
pub struct Busy;

/// A computation given a worker's reusable argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Worker threads taking jobs from one bounded queue.
struct Pool {
    queue: SyncSender<Job>,
}

impl Pool {
    fn start(workers: usize, queue: usize) -> Pool {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start an argon2 worker thread");
            }
        }
        Pool { queue: tx }
    }

    /// Queues `f` for a worker, with the worker's memory; `Busy` at once when the queue is full.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<T>, Busy> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = reply.send(f(memory));
        });
        if self.queue.try_send(job).is_err() {
            tracing::warn!("argon2 queue full; refusing");
            return Err(Busy);
        }
        Ok(answer)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.submit(f)?.await.map_err(|_| Busy)
    }
}

/// The process's one pool: a worker per CPU, at most [`MAX_WORKERS`].
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, MAX_WORKERS);
        Pool::start(workers, QUEUE)
    })
}

fn work(rx: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        // A panicking job drops its reply (its caller sees `Busy`); the worker lives on.
        if catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            memory = Vec::new();
        }
    }
}

/// A new PHC string for `secret` at `cost`, computed on the pool.
pub async fn hash(cost: HashCost, secret: &str) -> Result<String, Busy> {
    let secret = secret.to_string();
    pool()
        .run(move |memory| secret::hash_with_memory(cost, &secret, memory))
        .await
}

/// Does `secret` match the PHC string `phc`? Runs on the pool; a malformed hash never matches.
/// `Busy` is not an answer about the secret: callers must not count it as a failure.
pub async fn verify(secret: &str, phc: &str) -> Result<bool, Busy> {
    let (secret, phc) = (secret.to_string(), phc.to_string());
    pool()
        .run(move |memory| verify_with_memory(&secret, &phc, memory))
        .await
}

/// Argon2 verification into a caller-owned, reused buffer.
fn verify_with_memory(secret: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    // Stored hashes are ours; still, refuse costs that would make a worker hold absurd memory.
    if params.m_cost() > 64 * 1024 {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    memory.resize(memory.len().max(params.block_count()), Block::default());
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    argon
        .hash_password_into_with_memory(
            secret.as_bytes(),
            salt,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .is_ok()
        && constant_time_eq(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn agrees_with_the_reference_verifier() {
        let client = secret::hash_client_secret("s3cret");
        let password = secret::hash_password("hunter2");
        assert_eq!(verify("s3cret", &client).await, Ok(true));
        assert_eq!(verify("s3cret ", &client).await, Ok(false));
        assert_eq!(verify("hunter2", &password).await, Ok(true));
        assert_eq!(verify("hunter3", &password).await, Ok(false));
        assert_eq!(verify("x", "not a hash").await, Ok(false));
        // The buffer, reused across costs, gives the same answers.
        assert_eq!(verify("s3cret", &client).await, Ok(true));
    }

    #[tokio::test]
    async fn a_burst_beyond_the_queue_is_refused_at_once_instead_of_growing_threads() {
        let pool = Pool::start(1, 1);
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        // The one worker is held busy, the one queue slot taken: the next job is refused.
        let held = pool
            .submit(move |_| {
                started_tx.send(()).unwrap();
                released.recv().unwrap();
                "held"
            })
            .unwrap();
        started.recv().unwrap();
        let queued = pool
            .submit(|memory| secret::hash_with_memory(HashCost::ClientSecret, "s3cret", memory))
            .unwrap();
        assert_eq!(pool.submit(|_| ()).err(), Some(Busy));
        assert_eq!(pool.run(|_| ()).await, Err(Busy));
        release.send(()).unwrap();
        assert_eq!(held.await.unwrap(), "held");
        assert!(secret::verify_phc("s3cret", &queued.await.unwrap()));
        // Room again once the worker is free.
        assert_eq!(pool.run(|_| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn hashes_made_on_the_pool_verify_with_the_reference_verifier() {
        let client = hash(HashCost::ClientSecret, "s3cret").await.unwrap();
        let password = hash(HashCost::Password, "hunter2").await.unwrap();
        assert!(secret::verify_phc("s3cret", &client));
        assert!(secret::verify_phc("hunter2", &password));
        assert!(secret::is_argon2id_phc(&client) && secret::is_argon2id_phc(&password));
    }
}
