//! Group commit: the write transactions of concurrent requests share one SQLite transaction.
//!
//! On the embedded file a small write is dominated by its `COMMIT`: appending one WAL frame per
//! dirty page, and every thousand pages or so a checkpoint with its fsyncs. A refresh grant
//! dirties a dozen pages, most of them the same pages the next grant dirties (the tail of each
//! index, the leaf the last rows went into). So writers that arrive while another is working
//! join its transaction and commit together: a page is written once per batch, not once per
//! request, and the commit work is shared.
//!
//! How, exactly:
//! - Writers queue on one in-process gate, first come first served, as before. The first of a
//!   batch opens it with `BEGIN IMMEDIATE`; each member runs inside its own `SAVEPOINT`.
//! - [`WriteTx::commit`] releases the member's savepoint. If another writer is already queued
//!   (and the batch is within [`MAX_MEMBERS`] and [`MAX_OPEN`]), the open transaction is handed to
//!   it and the member waits; otherwise it `COMMIT`s and tells every member the outcome.
//!   `commit()` returns only once the batch is committed: an answer is never sent for work that
//!   could still be rolled back — the guarantee of one commit per request, kept.
//! - A member that fails, or is dropped without committing, is rolled back to its savepoint
//!   alone. If SQLite itself abandoned the transaction (disk full, I/O error), every member
//!   learns that its commit failed.
//! - Members run one after another and each sees those before it: the outcome is that of the
//!   same transactions committed one by one in queue order. Races settled by one conditional
//!   statement (a code redeemed, a refresh token rotated) stay settled the same way.
//!
//! Remote databases (sqld/Turso) have no gate here: each transaction is its own, as the server
//! on the other end serialises them.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::{oneshot, Mutex as AsyncMutex, OwnedMutexGuard};

use super::{Conn, PooledConnection, Result, Store, StoreError};

/// At most this many transactions share one commit, so that the first member's wait is bounded.
pub const MAX_MEMBERS: usize = 64;
/// A batch open this long is committed by its next member whatever the queue.
pub const MAX_OPEN: Duration = Duration::from_millis(5);

/// The savepoint every member runs in. One name suffices: members never overlap.
const SAVEPOINT: &str = "SAVEPOINT batch_member";
const RELEASE: &str = "RELEASE batch_member";
const ROLLBACK_MEMBER: &str = "ROLLBACK TO batch_member";

/// The gate and the batch it protects; one per [`Store`] on a local file.
#[derive(Default)]
pub(super) struct Writer {
    slot: Arc<AsyncMutex<Slot>>,
    /// Writers queued on the gate: while there are any, a finished member hands the open
    /// transaction on rather than committing it.
    waiting: Arc<AtomicUsize>,
    /// Set while [`super::checkpoint`] runs: commits then leave checkpointing to it.
    pub(super) background_checkpoints: AtomicBool,
    /// Held by each round of [`super::checkpoint`]'s work: two checkpoints of one process
    /// would only find each other busy.
    pub(super) checkpointing: AsyncMutex<()>,
    /// Pages in the WAL as the last checkpoint of this process found them (see
    /// [`Store::wal_pages_seen`]).
    pub(super) wal_pages: AtomicI64,
    pub(super) counts: Arc<Counts>,
}

/// What the writer has done since the store was opened.
#[derive(Default)]
pub(super) struct Counts {
    /// Write transactions committed.
    pub(super) transactions: AtomicU64,
    /// Commits they took: fewer than the transactions when batches formed. The checkpointer
    /// also reads it, to skip a round in which nothing was committed.
    pub(super) commits: AtomicU64,
    /// Committed transactions that revoked or deleted tokens: see [`Store::revocation_epoch`].
    pub(super) revocations: AtomicU64,
}

/// A snapshot of [`Counts`], for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteCounts {
    pub transactions: u64,
    pub commits: u64,
}

#[derive(Default)]
struct Slot {
    batch: Option<Batch>,
    /// The connection of the last batch. Every batch runs on it while the file stays the same:
    /// its page cache holds what the last writes touched (a connection that did not write
    /// them would read those pages again from the file). Kept detached from the pool: a
    /// pooled connection holds its store, and the store holds this slot.
    connection: Option<(u64, Conn)>,
    /// Whether `connection` has automatic checkpoints turned off.
    autocheckpoint_off: bool,
}

struct Batch {
    conn: PooledConnection,
    autocheckpoint_off: bool,
    counts: Arc<Counts>,
    opened: Instant,
    /// Members that committed their part, waiting to hear how the batch ends.
    members: Vec<oneshot::Sender<Result<()>>>,
}

/// An open write transaction (one member of a batch, on a local file). Commit it, or drop it
/// to roll it back.
pub struct WriteTx {
    inner: Inner,
}

enum Inner {
    Local {
        /// `Some` until committed or dropped.
        slot: Option<OwnedMutexGuard<Slot>>,
        waiting: Arc<AtomicUsize>,
    },
    Remote(PooledConnection, Arc<Counts>),
}

impl std::ops::Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match &self.inner {
            Inner::Local { slot, .. } => {
                let batch = slot.as_ref().and_then(|s| s.batch.as_ref());
                &batch.expect("a member's batch is open until it commits").conn
            }
            Inner::Remote(conn, _) => conn,
        }
    }
}

impl Writer {
    pub(super) fn counts(&self) -> WriteCounts {
        WriteCounts {
            transactions: self.counts.transactions.load(Ordering::Relaxed),
            commits: self.counts.commits.load(Ordering::Relaxed),
        }
    }

    /// Joins the open batch, or opens one, and starts this member's savepoint.
    pub(super) async fn begin(&self, store: &Store) -> Result<WriteTx> {
        let queued = Queued::enter(self);
        let mut slot = self.slot.clone().lock_owned().await;
        queued.leave();
        if slot.batch.is_none() {
            let generation = store.check_file()?;
            let (mut conn, mut autocheckpoint_off) = match slot.connection.take() {
                Some((g, conn)) if g == generation => (store.attach(g, conn), slot.autocheckpoint_off),
                _ => (store.connection().await?, false),
            };
            conn.reusable = false;
            let background = self.background_checkpoints.load(Ordering::Acquire);
            if autocheckpoint_off != background {
                let pages = if background { 0 } else { DEFAULT_AUTOCHECKPOINT };
                pragma_now(&conn, &format!("PRAGMA wal_autocheckpoint = {pages}"))?;
                autocheckpoint_off = background;
            }
            begin_immediate(&conn).await?;
            slot.batch = Some(Batch {
                conn,
                autocheckpoint_off,
                counts: self.counts.clone(),
                opened: Instant::now(),
                members: Vec::new(),
            });
        }
        let batch = slot.batch.as_ref().expect("opened above");
        if let Err(e) = run_now(&batch.conn, SAVEPOINT) {
            abort(&mut slot, &e);
            return Err(e);
        }
        Ok(WriteTx {
            inner: Inner::Local {
                slot: Some(slot),
                waiting: self.waiting.clone(),
            },
        })
    }

    /// Holds the gate with no batch open (committing one a member left open): nothing writes
    /// until the guard is dropped.
    pub(super) async fn quiesce(&self) -> OwnedMutexGuard<impl Sized> {
        let mut slot = self.slot.clone().lock_owned().await;
        close(&mut slot);
        slot
    }

    /// Commits an open batch nobody is queued to continue: what a writer that gave up waiting
    /// for the gate leaves behind otherwise.
    async fn flush(slot: Arc<AsyncMutex<Slot>>, waiting: Arc<AtomicUsize>) {
        let mut slot = slot.lock().await;
        if waiting.load(Ordering::Acquire) == 0 {
            close(&mut slot);
        }
    }
}

impl WriteTx {
    pub(super) async fn begin_remote(store: &Store) -> Result<WriteTx> {
        let mut conn = store.connection().await?;
        conn.reusable = false;
        // One round trip. The pragma is per stream on the server, and a transaction's stream
        // is its own: it must be set here, before BEGIN, for ON DELETE CASCADE to hold.
        conn.execute_batch("PRAGMA foreign_keys = ON; BEGIN IMMEDIATE")
            .await?;
        Ok(WriteTx {
            inner: Inner::Remote(conn, store.inner.writer.counts.clone()),
        })
    }

    /// Begins a remote write transaction with its first statement: one round trip for the
    /// pragma, `BEGIN IMMEDIATE` and the statement (rendered with its values, see
    /// [`super::inline`]). Returns the transaction and the statement's rows.
    pub(super) async fn begin_remote_with(
        store: &Store,
        sql: &str,
        params: &[libsql::Value],
    ) -> Result<(WriteTx, libsql::Rows)> {
        let statement = super::inline::render(sql, params)?;
        let mut conn = store.connection().await?;
        conn.reusable = false;
        let mut results = conn
            .execute_batch(&format!("PRAGMA foreign_keys = ON; BEGIN IMMEDIATE; {statement}"))
            .await?;
        let tx = WriteTx {
            inner: Inner::Remote(conn, store.inner.writer.counts.clone()),
        };
        let rows = (0..3)
            .filter_map(|_| results.next_stmt_row())
            .last()
            .flatten()
            .ok_or_else(|| StoreError::Sql("the batch returned no rows for its statement".into()))?;
        Ok((tx, rows))
    }

    /// Runs `statements` and commits. On a remote database they go with the `COMMIT` in one
    /// round trip (rendered with their values, see [`super::inline`]); the first that fails stops
    /// the batch before the `COMMIT`, and the transaction is rolled back. Use it for statements
    /// whose outcome the caller does not need beyond success.
    pub async fn commit_with(self, statements: &[(&'static str, Vec<libsql::Value>)]) -> Result<()> {
        if matches!(self.inner, Inner::Local { .. }) {
            for (sql, params) in statements {
                self.cached(sql)
                    .await?
                    .execute(libsql::params::Params::Positional(params.clone()))
                    .await?;
            }
            return self.commit().await;
        }
        let mut sql = String::new();
        for (statement, params) in statements {
            sql.push_str(&super::inline::render(statement, params)?);
            sql.push_str("; ");
        }
        sql.push_str("COMMIT");
        self.commit_remote(&sql).await
    }

    /// Ends a remote transaction with `sql` (ending in `COMMIT`) in one round trip.
    async fn commit_remote(mut self, sql: &str) -> Result<()> {
        let Inner::Remote(conn, counts) = &mut self.inner else {
            unreachable!("only called on a remote transaction");
        };
        let revoked = conn.take_revocation();
        if sql == "COMMIT" {
            conn.execute(sql, ()).await?;
        } else {
            conn.execute_batch(sql).await?;
        }
        conn.reusable = true;
        counts.transactions.fetch_add(1, Ordering::Relaxed);
        counts.commits.fetch_add(1, Ordering::Relaxed);
        if revoked {
            counts.revocations.fetch_add(1, Ordering::Release);
        }
        Ok(())
    }

    /// Commits this transaction: returns once the batch it belongs to is committed (or failed).
    pub async fn commit(mut self) -> Result<()> {
        let outcome = match &mut self.inner {
            Inner::Remote(..) => return self.commit_remote("COMMIT").await,
            Inner::Local { slot, waiting } => {
                let mut slot = slot.take().expect("a member commits once");
                let Some(batch) = slot.batch.as_mut() else {
                    return Err(abandoned());
                };
                let revoked = batch.conn.take_revocation().then(|| batch.counts.clone());
                if let Err(e) = run_now(&batch.conn, RELEASE) {
                    abort(&mut slot, &e);
                    return Err(e);
                }
                let (told, outcome) = oneshot::channel();
                batch.members.push(told);
                if batch_is_done(batch, waiting) {
                    close(&mut slot);
                }
                (outcome, revoked)
            }
        };
        let (outcome, revoked) = outcome;
        let outcome = outcome.await.unwrap_or_else(|_| Err(abandoned()));
        if let (Ok(()), Some(counts)) = (&outcome, revoked) {
            // After the commit, never before: a bearer check that read the token as live
            // before it must not outlive it in a cache (see `oauth::bearer_cache`).
            counts.revocations.fetch_add(1, Ordering::Release);
        }
        outcome
    }
}

impl Drop for WriteTx {
    /// Rolls this member back to its savepoint; the batch goes on without it.
    fn drop(&mut self) {
        let Inner::Local { slot, waiting } = &mut self.inner else {
            return; // a remote connection dropped mid-transaction rolls back with it
        };
        let Some(mut slot) = slot.take() else { return };
        let Some(batch) = slot.batch.as_mut() else { return };
        batch.conn.take_revocation();
        let rolled_back = run_now(&batch.conn, ROLLBACK_MEMBER).and_then(|()| run_now(&batch.conn, RELEASE));
        if let Err(e) = rolled_back {
            abort(&mut slot, &e);
            return;
        }
        if batch_is_done(batch, waiting) {
            close(&mut slot);
        }
    }
}

fn batch_is_done(batch: &Batch, waiting: &AtomicUsize) -> bool {
    waiting.load(Ordering::Acquire) == 0
        || batch.members.len() >= MAX_MEMBERS
        || batch.opened.elapsed() >= MAX_OPEN
}

/// Ends the open batch: COMMIT (ROLLBACK when no member committed anything) and tell everyone.
fn close(slot: &mut Slot) {
    let Some(mut batch) = slot.batch.take() else {
        return;
    };
    let end = if batch.members.is_empty() {
        "ROLLBACK"
    } else {
        "COMMIT"
    };
    let outcome = run_now(&batch.conn, end);
    if outcome.is_ok() {
        batch.counts.commits.fetch_add(1, Ordering::Release);
        let members = batch.members.len() as u64;
        batch.counts.transactions.fetch_add(members, Ordering::Relaxed);
        batch.conn.reusable = true;
        slot.connection = batch.conn.detach();
        slot.autocheckpoint_off = batch.autocheckpoint_off;
    }
    if let Err(e) = &outcome {
        tracing::warn!(error = %e, members = batch.members.len(), "a write batch failed to commit");
    }
    for member in batch.members {
        let _ = member.send(outcome.clone());
    }
}

/// The transaction is lost (SQLite rolled it back, or a savepoint statement failed): every
/// member that thought its part was done hears so, and the connection is discarded.
fn abort(slot: &mut Slot, cause: &StoreError) {
    let Some(batch) = slot.batch.take() else { return };
    if !batch.members.is_empty() {
        tracing::warn!(error = %cause, members = batch.members.len(), "a write batch was rolled back");
    }
    for member in batch.members {
        let _ = member.send(Err(cause.clone()));
    }
    // `batch.conn` is not reusable: dropping it rolls back whatever is left.
}

fn abandoned() -> StoreError {
    StoreError::Sql("the write transaction was rolled back with its batch".into())
}

/// SQLite's default `wal_autocheckpoint`, in pages.
const DEFAULT_AUTOCHECKPOINT: u32 = 1000;

/// A `PRAGMA` that answers with a row, run like [`run_now`].
fn pragma_now(conn: &Conn, sql: &str) -> Result<()> {
    match conn.query(sql, ()).now_or_never() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(e.into()),
        None => Err(StoreError::Sql(format!("`{sql}` did not complete at once"))),
    }
}

/// How often a writer retries `BEGIN IMMEDIATE` while another process holds the write lock.
const LOCK_POLL: Duration = Duration::from_millis(1);

/// `BEGIN IMMEDIATE`, waiting for another process's write lock in steps of [`LOCK_POLL`]
/// (up to the busy timeout) on a timer, rather than in SQLite's busy handler.
///
/// Two reasons. SQLite's handler sleeps inside the call, which blocks a runtime thread. And it
/// sleeps ever longer (1, 2, 5, 10, … up to 100 ms between tries), so a writer that has waited
/// a while wakes long after the lock was released, and a process writing in a loop (a
/// `token cleanup`) would have to leave the lock free for as long again to be sure of letting
/// it in. Trying every millisecond, a waiting writer takes the lock within about a millisecond
/// of its release; `token cleanup` relies on that to yield between its batches.
async fn begin_immediate(conn: &Conn) -> Result<()> {
    let deadline = Instant::now() + super::BUSY_TIMEOUT;
    conn.busy_timeout(Duration::ZERO)?;
    let outcome = loop {
        match run_now(conn, "BEGIN IMMEDIATE") {
            Err(StoreError::Busy) if Instant::now() < deadline => {
                tokio::time::sleep(LOCK_POLL).await;
            }
            other => break other,
        }
    };
    // Inside the transaction, the usual timeout (a read may still meet a WAL being restarted).
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    outcome
}

/// Runs a statement that takes no parameters and returns no rows, on a local connection.
/// The embedded engine does its work inside the first poll, so this never waits; it lets the
/// batch be ended from `Drop` as well as from `commit`.
fn run_now(conn: &Conn, sql: &'static str) -> Result<()> {
    let work = async {
        conn.cached(sql).await?.execute(()).await?;
        Ok(())
    };
    work.now_or_never()
        .unwrap_or_else(|| Err(StoreError::Sql(format!("`{sql}` did not complete at once"))))
}

/// A writer queued on the gate. Counted in `waiting` until it gets the gate; if it gives up
/// first (its request was cancelled), a batch left open for it is committed by a flush.
struct Queued {
    slot: Arc<AsyncMutex<Slot>>,
    waiting: Arc<AtomicUsize>,
    left: bool,
}

impl Queued {
    fn enter(writer: &Writer) -> Queued {
        writer.waiting.fetch_add(1, Ordering::AcqRel);
        Queued {
            slot: writer.slot.clone(),
            waiting: writer.waiting.clone(),
            left: false,
        }
    }

    fn leave(mut self) {
        self.left = true;
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        if !self.left {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(Writer::flush(self.slot.clone(), self.waiting.clone()));
            }
        }
    }
}
