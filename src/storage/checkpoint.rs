//! WAL checkpoints off the write path, for a long-running server on an embedded file.
//!
//! By default the connection that commits also checkpoints: every thousand WAL pages or so one
//! commit copies the WAL back into the database file and fsyncs both files, while it holds the
//! write lock, and every writer queued behind it waits. While [`Checkpoints`] is alive the
//! server's writer turns that off and this task checkpoints instead, on its own connection:
//! - every [`INTERVAL`] in which something was committed, a `PASSIVE` checkpoint copies what is
//!   committed into the database file beside the writers, without their lock. A page written
//!   many times in between (an index's last page) is copied once, not once per commit.
//! - a passive checkpoint never catches up while writers keep appending, and the WAL only starts
//!   over once it has been copied entirely. So when the WAL has grown past [`RESTART_FRAMES`],
//!   the checkpoint runs holding the write gate: nothing is appended meanwhile, it copies the
//!   little that is left, and the next write starts the WAL from its beginning.
//!
//! Durability is unchanged: a commit is in the WAL either way, and the WAL is replayed on open.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{Inner, Result, Store, StoreError};

/// How often the checkpointer looks for committed work.
pub const INTERVAL: Duration = Duration::from_millis(100);
/// A WAL this long (in pages; 64 MiB at 4 KiB) is checkpointed with writers held off, so that
/// it can start over. Under a saturating stream of writes that holds writers off for about
/// 10 ms (two fsyncs on the development disk) every second or so; below saturation the WAL starts over by itself, whenever a
/// checkpoint finds no write in progress.
pub const RESTART_FRAMES: i64 = 16_384;
/// Passes outside the gate before the one inside it, at most; fewer once a pass found at most
/// [`CAUGHT_UP_FRAMES`] new pages.
const CATCH_UP_PASSES: usize = 3;
const CAUGHT_UP_FRAMES: i64 = 256;

/// The background checkpointer; stopping it (dropping this) gives checkpoints back to commits.
pub struct Checkpoints {
    task: Option<JoinHandle<()>>,
    store: Store,
}

impl Store {
    /// Starts checkpointing in the background (see the module documentation). `None` for a
    /// remote database, whose server checkpoints its own files.
    pub fn checkpoint_in_background(&self) -> Option<Checkpoints> {
        if !self.is_local() {
            return None;
        }
        self.inner
            .writer
            .background_checkpoints
            .store(true, Ordering::Release);
        let task = tokio::spawn(run(Arc::downgrade(&self.inner)));
        Some(Checkpoints {
            task: Some(task),
            store: self.clone(),
        })
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.store
            .inner
            .writer
            .background_checkpoints
            .store(false, Ordering::Release);
    }
}

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, Clone, Copy)]
struct Progress {
    /// Pages in the WAL.
    log: i64,
    /// Of those, pages now copied into the database file.
    checkpointed: i64,
}

async fn run(inner: Weak<Inner>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = 0;
    loop {
        ticks.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let store = Store { inner };
        let commits = store.inner.writer.counts.commits.load(Ordering::Acquire);
        if commits == seen {
            continue;
        }
        seen = commits;
        let mut last = match checkpoint(&store).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                continue;
            }
        };
        if last.log < RESTART_FRAMES {
            continue;
        }
        // Catch up outside the gate first: each pass copies what was appended during the one
        // before, so the pass that holds writers off has only a little left to copy and sync.
        for _ in 0..CATCH_UP_PASSES {
            match checkpoint(&store).await {
                Ok(p) => {
                    let appended = p.log - last.log;
                    last = p;
                    if appended <= CAUGHT_UP_FRAMES {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    break;
                }
            }
        }
        let gate = store.inner.writer.quiesce().await;
        let r = checkpoint(&store).await;
        drop(gate);
        match r {
            Ok(p) => tracing::debug!(
                pages = p.log,
                copied = p.checkpointed,
                "WAL checkpointed to start over"
            ),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// One `PASSIVE` checkpoint, on a blocking thread: it writes and fsyncs files.
async fn checkpoint(store: &Store) -> Result<Progress> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(async {
            let conn = store.connection().await?;
            let mut rows = conn.query("PRAGMA wal_checkpoint(PASSIVE)", ()).await?;
            let row = rows
                .next()
                .await?
                .ok_or_else(|| StoreError::Sql("wal_checkpoint returned no row".into()))?;
            Ok(Progress {
                log: row.get(1)?,
                checkpointed: row.get(2)?,
            })
        })
    })
    .await
    .map_err(|e| StoreError::Sql(format!("the checkpoint task failed: {e}")))?
}
