//! Checking a secret against an argon2id PHC string on a small fixed pool of threads.
//!
//! Why not `spawn_blocking(verify)`: argon2 allocates its whole memory cost (4 MiB for client
//! secrets, 19 MiB for passwords) per verification. Under a burst of wrong secrets tokio's
//! blocking pool grows towards 512 threads, each allocating at once, and glibc keeps the freed
//! blocks in per-thread arenas: measured, 64 concurrent verifications left the process at
//! ~550 MiB and a benchmark burst at ~2 GiB — a memory exhaustion lever for anyone who can send
//! wrong secrets. Here at most one verification per CPU runs at a time (more cannot finish
//! sooner anyway), each worker reuses one memory buffer, so argon2's footprint is bounded by
//! workers × the largest memory cost, and extra requests wait in a queue instead.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

use crate::secret::constant_time_eq;

/// Jobs waiting beyond this are answered "no match" at once rather than queued without bound.
const QUEUE: usize = 4096;

struct Job {
    secret: String,
    phc: String,
    reply: oneshot::Sender<bool>,
}

fn pool() -> &'static SyncSender<Job> {
    static POOL: OnceLock<SyncSender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        for i in 0..workers {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start an argon2 worker thread");
            }
        }
        tx
    })
}

fn work(rx: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let ok = verify_with_memory(&job.secret, &job.phc, &mut memory);
        let _ = job.reply.send(ok);
    }
}

/// Does `secret` match the PHC string `phc`? Runs on the pool; a malformed hash never matches.
pub async fn verify(secret: &str, phc: &str) -> bool {
    let (reply, answer) = oneshot::channel();
    let job = Job {
        secret: secret.to_string(),
        phc: phc.to_string(),
        reply,
    };
    if pool().try_send(job).is_err() {
        tracing::warn!("argon2 verification queue full; refusing");
        return false;
    }
    answer.await.unwrap_or(false)
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
    memory.resize(params.block_count(), Block::default());
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
    use crate::secret;

    #[tokio::test]
    async fn agrees_with_the_reference_verifier() {
        let client = secret::hash_client_secret("s3cret");
        let password = secret::hash_password("hunter2");
        assert!(verify("s3cret", &client).await);
        assert!(!verify("s3cret ", &client).await);
        assert!(verify("hunter2", &password).await);
        assert!(!verify("hunter3", &password).await);
        assert!(!verify("x", "not a hash").await);
        // The buffer, reused across costs, gives the same answers.
        assert!(verify("s3cret", &client).await);
    }
}
