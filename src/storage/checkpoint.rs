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
//! A process that appends much faster than a server (`token cleanup`) also has the WAL copied
//! back entirely between two of its transactions, without the write lock
//! ([`Store::catch_up_wal`]), whenever it has grown by 16 MiB or so: the WAL then starts over
//! while its file is short. A WAL left to grow to hundreds of MiB is cut back to
//! `journal_size_limit` by whichever commit starts it over, with the write lock held, and
//! cutting that much off a file stalls every writer for a tenth of a second or more.
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
pub struct Progress {
    /// Another checkpoint (of another process) was running: this one did nothing.
    pub busy: bool,
    /// Pages in the WAL.
    pub log: i64,
    /// Of those, pages now copied into the database file.
    pub checkpointed: i64,
}

/// How many times [`Store::catch_up_wal`] retries a pass that found another checkpoint
/// running (a server's), [`BUSY_PAUSE`] apart.
const BUSY_TRIES: usize = 10;
const BUSY_PAUSE: Duration = Duration::from_millis(5);

impl Store {
    /// The length of a local database's WAL file, in bytes (0 when there is none). `None` for
    /// a remote database.
    pub fn wal_file_len(&self) -> Option<u64> {
        let super::DatabaseTarget::Local(path) = &self.inner.target else {
            return None;
        };
        let [_, wal, _] = super::file_mode::database_files(path);
        Some(std::fs::metadata(wal).map_or(0, |m| m.len()))
    }

    /// Pages in the WAL when this process last checkpointed it (0 when none was seen, and
    /// after [`Store::catch_up_wal`] copied all of it).
    pub fn wal_pages_seen(&self) -> i64 {
        self.inner.writer.wal_pages.load(Ordering::Acquire)
    }

    /// Copies the whole WAL into the database file (`PASSIVE` passes, beside the writers, until
    /// one finds nothing left), so that the next write transaction of any process starts the
    /// WAL over from its beginning. For a process that appends much faster than a server does
    /// (`token cleanup`), between two of its write transactions, to keep the WAL short.
    ///
    /// Why it matters: a WAL starts over only once it has been copied entirely, and a passive
    /// checkpoint never finishes while a writer keeps appending. Left to grow to hundreds of
    /// MiB, the WAL is cut back to `journal_size_limit` (64 MiB) by the commit that finally
    /// starts it over, with the write lock held: cutting that much off a file takes a tenth of
    /// a second or more (the kernel frees its pages and blocks), and every writer of every
    /// process waits. A WAL started over while its file is shorter than the limit is never cut.
    ///
    /// It never takes the write lock and never waits for readers (unlike a `RESTART` or
    /// `TRUNCATE` checkpoint, which would hold the lock while SQLite's busy handler sleeps).
    /// If another process commits in between, the WAL is simply not started over this time.
    /// Returns the last pass.
    pub async fn catch_up_wal(&self) -> Result<Progress> {
        let _one_at_a_time = self.inner.writer.checkpointing.lock().await;
        let mut busy = 0;
        let mut passes = 0;
        loop {
            let p = checkpoint(self).await?;
            if p.busy && busy < BUSY_TRIES {
                // Another process's checkpoint is copying the same pages: let it finish.
                busy += 1;
                tokio::time::sleep(BUSY_PAUSE).await;
                continue;
            }
            passes += 1;
            if p.busy || p.log == p.checkpointed || passes > CATCH_UP_PASSES {
                if !p.busy && p.log == p.checkpointed {
                    self.inner.writer.wal_pages.store(0, Ordering::Release);
                }
                return Ok(p);
            }
        }
    }
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
        let _one_at_a_time = store.inner.writer.checkpointing.lock().await;
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

/// One `PASSIVE` checkpoint, on a blocking thread: it writes and fsyncs files. Notes the WAL's
/// length for [`Store::wal_pages_seen`].
async fn checkpoint(store: &Store) -> Result<Progress> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(async {
            let started = std::time::Instant::now();
            let conn = store.connection().await?;
            let mut rows = conn.query("PRAGMA wal_checkpoint(PASSIVE)", ()).await?;
            let row = rows
                .next()
                .await?
                .ok_or_else(|| StoreError::Sql("wal_checkpoint returned no row".into()))?;
            let p = Progress {
                busy: row.get::<i64>(0)? != 0,
                log: row.get(1)?,
                checkpointed: row.get(2)?,
            };
            if !p.busy {
                store.inner.writer.wal_pages.store(p.log, Ordering::Release);
            }
            tracing::trace!(
                took_us = started.elapsed().as_micros() as u64,
                busy = p.busy,
                pages = p.log,
                copied = p.checkpointed,
                "WAL checkpoint pass"
            );
            Ok(p)
        })
    })
    .await
    .map_err(|e| StoreError::Sql(format!("the checkpoint task failed: {e}")))?
}
