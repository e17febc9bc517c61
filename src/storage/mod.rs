//! The one storage seam: a libSQL database, embedded file or remote sqld/Turso, behind one type.
//!
//! Everything above this module (the server, the CLI, `verify`) talks to [`Store`] and the
//! repository functions in its submodules; SQL lives only here and in `migrations/`.
//!
//! Connections are pooled because a libSQL connection carries transaction state: two tasks
//! sharing one would interleave their transactions. Writers on an embedded file are serialised
//! in-process by an async gate before `BEGIN IMMEDIATE`, so a waiting writer parks a task rather
//! than a runtime thread inside SQLite's busy handler. The lock of another process (a cron
//! `token cleanup` beside `serve`) is waited for on a timer too, retried every millisecond for
//! up to the busy timeout. Writers that queue at the gate share one commit (group commit,
//! [`writer`]).
//!
//! ## Durability: WAL + `synchronous = NORMAL`
//!
//! Every change is one SQLite transaction (a single statement in autocommit, or
//! `BEGIN IMMEDIATE … COMMIT`). In WAL mode a commit is the append of its frames to the `-wal`
//! file with a commit marker; `synchronous = NORMAL` skips the fsync of that append (the WAL is
//! fsynced at checkpoints). What that buys and costs:
//! - the *process* dying (`kill -9`, OOM kill, panic=abort) loses nothing: the appended frames
//!   are in the OS page cache, which outlives the process, and the next connection replays the
//!   WAL up to the last commit marker. A transaction cut short has no commit marker and is
//!   ignored as a whole: no half-applied rotation, no code redeemed without its tokens.
//!   `examples/crash.rs` (and `tests/crash_safety.rs`) kill the server under load and check
//!   exactly this;
//! - the *machine* losing power can drop the last commits made since the last checkpoint (but
//!   never corrupts the file). The cost is a client re-authorizing or a memory re-added;
//!   `synchronous = FULL` would put an fsync on every token issued and every memory added.
//!   Run on storage that survives power loss (or on Turso) if that matters more.
//!
//! ## The file going away
//!
//! An open SQLite connection keeps its file descriptor: if the file is deleted, moved away or
//! replaced under a running server, pooled connections would go on reading and writing a file
//! that nobody will ever open again, and acknowledged writes would be lost in silence. So each
//! checkout compares the path's identity (device, inode) with the one the pool was built on:
//! a missing file is [`StoreError::Unavailable`] (503, and `/readyz` says so) without creating
//! an empty database in its place; a different file empties the pool, and the server carries
//! on with the new file. When the file comes back, the next request simply succeeds. The one
//! reader that does not check on every call is [`Store::change_mark`] (asked by every
//! authenticated MCP request, where the `stat` would be a tenth of the CPU): it relies on a
//! check less than [`FILE_RECHECK`] old that found the file in place.
//!
//! ## Remote databases: streams expire
//!
//! A remote libSQL connection is a Hrana stream on the server, named by a baton the client
//! sends back with each request. The server ends a stream that sat idle (sqld after 10 s,
//! Turso likewise), and libSQL's client keeps sending the dead baton: every later statement on
//! that connection fails. And a restarted server knows none of the batons. So, here and
//! nowhere else:
//! - an idle remote connection is reused only within [`REMOTE_REUSE_WITHIN`] of its last use,
//!   well inside any server's expiry; an older one is dropped (which closes its stream);
//! - a connection whose call failed in transport or stream (not a statement's own SQL error,
//!   see [`is_transport_error`]) is never reused, and the whole idle list is dropped with it:
//!   a server that went away took every stream with it. The next request opens a new one, so
//!   a server that comes back is used again at once, without a restart;
//! - such a failure is [`StoreError::Unavailable`] (503), never an internal error.
//!
//! A remote write transaction opens its own stream (`BEGIN IMMEDIATE` … `COMMIT`, the server
//! serialises writers); a stream that dies before its `COMMIT` was answered rolls back on the
//! server. The one case a caller cannot be told for sure is a `COMMIT` that reached the server
//! and whose answer was lost: it is reported as unavailable (503) and may have committed.

pub mod backup;
pub mod checkpoint;
pub mod cleanup;
pub mod clients;
pub mod events;
pub mod file_mode;
pub mod grants;
pub mod graph;
pub mod inline;
pub mod memories;
pub mod migrations;
pub mod revocation;
pub mod server_lock;
pub mod statements;
pub mod stats;
pub mod target;
pub mod tokens;
pub mod users;
pub mod wal_index;
mod writer;

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::Mutex;

pub use statements::Conn;
pub use target::DatabaseTarget;
pub use writer::{WriteCounts, WriteTx};

/// How long a statement on an embedded file waits for another process's write lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 16;
/// A remote connection idle longer than this is not reused: its stream may have expired on
/// the server (sqld ends idle streams after 10 s).
pub const REMOTE_REUSE_WITHIN: Duration = Duration::from_secs(3);

/// How long [`Store::change_mark`] relies on the last look at the file's identity (a `stat`
/// of its path, which costs more than the rest of the mark): a file replaced under a running
/// server (`restore --force`) is seen within this, and at once by any request that opens a
/// connection or writes.
const FILE_RECHECK: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the database has no table `{table}`: run `mcp-oauth migrate` first")]
    NotMigrated { table: String },
    #[error("cannot open the database at {target}: {reason}")]
    Open { target: String, reason: String },
    #[error("the database is busy or locked by another process; try again")]
    Busy,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Sql(String),
    #[error("unexpected data in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

/// Whether a libSQL error is a failure to talk to a remote server (connection refused or
/// reset, a timeout, an expired or unknown stream, an HTTP error status) rather than an
/// error of the statement itself (a constraint, a syntax error, a missing table), which the
/// server reports as a stream error carrying an SQLite error code.
pub(crate) fn is_transport_error(e: &libsql::Error) -> bool {
    match e {
        libsql::Error::Hrana(_) => {
            let message = e.to_string();
            !(message.contains("SQLITE_") || message.contains("SQLite error"))
        }
        _ => false,
    }
}

impl From<libsql::Error> for StoreError {
    fn from(e: libsql::Error) -> Self {
        if is_transport_error(&e) {
            return StoreError::Unavailable(e.to_string());
        }
        let message = e.to_string();
        if let Some(rest) = message.split("no such table: ").nth(1) {
            let table = rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .next()
                .unwrap_or(rest)
                .to_string();
            return StoreError::NotMigrated { table };
        }
        if message.contains("database is locked") || message.contains("SQLITE_BUSY") {
            return StoreError::Busy;
        }
        StoreError::Sql(message)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle to the database; cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: libsql::Database,
    target: DatabaseTarget,
    /// Idle connections, each with the generation of the file (or, remote, of the server
    /// connection) it was opened on.
    idle: Mutex<Pool>,
    /// Serialises (and batches) the writers on an embedded file.
    writer: writer::Writer,
    /// What [`Store::change_mark`] reads, for the file generation it was made on.
    watch: Mutex<Option<Arc<Watch>>>,
    /// Held while a [`Watch`] is made or its pragma asked.
    watch_setup: tokio::sync::Mutex<()>,
}

/// How [`Store::change_mark`] sees commits to one file: the WAL index's header mapped into
/// memory ([`wal_index`]), or, when it cannot be mapped, `PRAGMA data_version` asked on the
/// connection. The connection is kept either way: while it is open, SQLite leaves the mapped
/// WAL index in place.
struct Watch {
    generation: u64,
    conn: Conn,
    wal_index: Option<wal_index::MappedWalIndex>,
}

/// What [`Store::change_mark`] returns: equal marks mean no commit reached the file between
/// the two reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeMark {
    generation: u64,
    version: Version,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    WalIndex(wal_index::Header),
    DataVersion(i64),
}

impl ChangeMark {
    #[cfg(test)]
    pub(crate) fn for_tests(generation: u64, data_version: i64) -> ChangeMark {
        ChangeMark {
            generation,
            version: Version::DataVersion(data_version),
        }
    }

    /// Read from the mapped WAL index rather than asked with a statement.
    pub fn is_from_wal_index(&self) -> bool {
        matches!(self.version, Version::WalIndex(_))
    }
}

#[derive(Default)]
struct Pool {
    /// Most recently used last.
    conns: Vec<Idle>,
    /// Identity of the local file the pool's connections are open on.
    file: Option<FileId>,
    /// Bumped whenever the file under the path changes; older connections are not reused.
    generation: u64,
    /// When [`Store::check_file`] last found the path on the pool's file; `None` after it
    /// found it missing or replaced.
    checked_at: Option<Instant>,
}

/// A connection waiting in the pool.
struct Idle {
    generation: u64,
    since: Instant,
    conn: Conn,
}

/// (device, inode) of a local database file.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> FileId {
    (0, 0)
}

impl Store {
    /// Opens (creating, for a local file) the database. Does not migrate.
    pub async fn open(target: &DatabaseTarget) -> Result<Store> {
        let open_error = |e: libsql::Error| StoreError::Open {
            target: target.to_string(),
            reason: e.to_string(),
        };
        let db = match target {
            DatabaseTarget::Local(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    if !parent.is_dir() {
                        return Err(StoreError::Open {
                            target: target.to_string(),
                            reason: format!("the directory {} does not exist", parent.display()),
                        });
                    }
                }
                // Owner-only before anything is written (see `file_mode`).
                file_mode::create_private(path).map_err(|e| StoreError::Open {
                    target: target.to_string(),
                    reason: e.to_string(),
                })?;
                for line in file_mode::describe_loose(&file_mode::loose_files(path)) {
                    tracing::warn!("{line}");
                }
                libsql::Builder::new_local(path)
                    .build()
                    .await
                    .map_err(open_error)?
            }
            DatabaseTarget::Remote { url, auth_token } => {
                libsql::Builder::new_remote(url.clone(), auth_token.clone().unwrap_or_default())
                    .build()
                    .await
                    .map_err(open_error)?
            }
        };
        let store = Store {
            inner: Arc::new(Inner {
                db,
                target: target.clone(),
                idle: Mutex::new(Pool::default()),
                writer: writer::Writer::default(),
                watch: Mutex::new(None),
                watch_setup: tokio::sync::Mutex::new(()),
            }),
        };
        if store.is_local() {
            // WAL lets readers proceed beside the one writer; see the module doc for why
            // synchronous=NORMAL. Outside the pool: this is what creates a new file, and the
            // pool refuses a path with no file behind it.
            let conn = store.inner.db.connect()?;
            conn.query("PRAGMA journal_mode = WAL", ()).await?;
        }
        Ok(store)
    }

    pub fn target(&self) -> &DatabaseTarget {
        &self.inner.target
    }

    pub fn is_local(&self) -> bool {
        matches!(self.inner.target, DatabaseTarget::Local(_))
    }

    /// A pooled connection in autocommit mode, returned to the pool when dropped.
    pub async fn connection(&self) -> Result<PooledConnection> {
        let generation = self.check_file()?;
        let reused = self.reusable_idle(generation);
        let conn = match reused {
            Some(conn) => conn,
            None => self.new_connection().await?,
        };
        Ok(self.attach(generation, conn))
    }

    /// The most recently used idle connection, if it may be reused. A remote one idle past
    /// [`REMOTE_REUSE_WITHIN`] is dropped, and every older one with it.
    fn reusable_idle(&self, generation: u64) -> Option<Conn> {
        let mut pool = lock(&self.inner.idle);
        let idle = pool.conns.pop()?;
        if idle.generation != generation {
            return None;
        }
        if !self.is_local() && idle.since.elapsed() > REMOTE_REUSE_WITHIN {
            pool.conns.clear();
            return None;
        }
        Some(idle.conn)
    }

    /// A connection opened on file `generation`, as a pooled one (new, from the idle list, or
    /// the writer's kept connection).
    fn attach(&self, generation: u64, conn: Conn) -> PooledConnection {
        PooledConnection {
            conn: Some(conn),
            generation,
            store: self.clone(),
            reusable: true,
        }
    }

    /// For a local file: is it still the file the pool is open on? Missing: unavailable.
    /// Replaced: the pool is emptied. Returns the generation new connections belong to.
    fn check_file(&self) -> Result<u64> {
        let DatabaseTarget::Local(path) = &self.inner.target else {
            return Ok(lock(&self.inner.idle).generation);
        };
        let id = match std::fs::metadata(path) {
            Ok(meta) => file_id(&meta),
            Err(e) => {
                lock(&self.inner.idle).checked_at = None;
                return Err(StoreError::Unavailable(format!(
                    "cannot reach the database file {}: {e}",
                    path.display()
                )));
            }
        };
        let mut pool = lock(&self.inner.idle);
        if pool.file != Some(id) {
            if pool.file.is_some() {
                tracing::warn!(path = %path.display(), "the database file was replaced; reopening connections");
            }
            pool.file = Some(id);
            pool.generation += 1;
            pool.conns.clear();
            pool.checked_at = None;
        } else {
            pool.checked_at = Some(Instant::now());
        }
        Ok(pool.generation)
    }

    /// [`Store::check_file`], or its answer of less than [`FILE_RECHECK`] ago when it found
    /// the file in place then.
    fn recently_checked_file(&self) -> Result<u64> {
        {
            let pool = lock(&self.inner.idle);
            if pool.checked_at.is_some_and(|at| at.elapsed() < FILE_RECHECK) {
                return Ok(pool.generation);
            }
        }
        self.check_file()
    }

    async fn new_connection(&self) -> Result<Conn> {
        let conn = self.inner.db.connect()?;
        if !self.is_local() {
            // Nothing to set up: a remote stream opens with its first statement, and pragmas
            // would last only as long as that stream (writes set theirs, [`WriteTx`]).
            return Ok(Conn::new(conn, true));
        }
        {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.query("PRAGMA synchronous = NORMAL", ()).await?;
            // Savepoint sub-journals (every batched writer has one) and temporary b-trees are
            // per connection and never outlive it: memory, not temporary files.
            conn.query("PRAGMA temp_store = MEMORY", ()).await?;
            // When the WAL starts over, cut its file back to this size rather than keep the
            // largest it ever grew to.
            conn.query("PRAGMA journal_size_limit = 67108864", ()).await?;
        }
        conn.query("PRAGMA foreign_keys = ON", ()).await?;
        Ok(Conn::new(conn, false))
    }

    /// Begins a write transaction. It holds the write lock from the start (`BEGIN IMMEDIATE`),
    /// so it can never fail half-way with SQLITE_BUSY on lock upgrade. On an embedded file it
    /// may share its commit with concurrent writers (see [`writer`]); either way
    /// [`WriteTx::commit`] returns once it is committed. Dropped without a commit, it is rolled
    /// back.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        if self.is_local() {
            self.inner.writer.begin(self).await
        } else {
            WriteTx::begin_remote(self).await
        }
    }

    /// Begins a write transaction and runs its first statement, returning the first row it
    /// answers, decoded. The same as [`Store::begin_write`] and then the statement, except on a
    /// remote database, where the `BEGIN` and the statement share one round trip: the server's
    /// write lock is then held from this statement on, not one round trip longer. For the
    /// conditional `UPDATE … RETURNING` that opens the hot write paths.
    pub async fn begin_write_with<T>(
        &self,
        sql: &'static str,
        params: Vec<libsql::Value>,
        decode: impl FnOnce(&libsql::Row) -> Result<T>,
    ) -> Result<(WriteTx, Option<T>)> {
        if self.is_local() {
            let tx = self.begin_write().await?;
            let found = {
                let statement = tx.cached(sql).await?;
                first(
                    statement
                        .query(libsql::params::Params::Positional(params))
                        .await?,
                    decode,
                )
                .await?
            };
            return Ok((tx, found));
        }
        let (tx, rows) = WriteTx::begin_remote_with(self, sql, &params).await?;
        let found = first(rows, decode).await?;
        Ok((tx, found))
    }

    /// One statement as a write transaction of its own (so it queues, and shares a commit, with
    /// the other writers instead of meeting their lock inside SQLite's busy handler).
    /// Returns the number of rows changed.
    pub async fn execute_write(&self, sql: &str, params: impl libsql::params::IntoParams) -> Result<u64> {
        let tx = self.begin_write().await?;
        let changed = tx.execute(sql, params).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// On an embedded file, a mark that changes whenever anything is committed to the file, by
    /// any connection of any process (`token revoke` from the CLI included), or the file is
    /// replaced; `None` on a remote database, and for the instant a writer is rewriting the
    /// WAL index (no mark: not the same as any other). It is the header of the WAL index
    /// ([`wal_index`]), read from shared memory; where that cannot be mapped, SQLite's
    /// `PRAGMA data_version` asked on a connection kept for this alone, which never writes.
    /// A cache of what the file held (validated access tokens) compares the mark it read
    /// before asking with the current one.
    pub async fn change_mark(&self) -> Result<Option<ChangeMark>> {
        if !self.is_local() {
            return Ok(None);
        }
        let generation = self.recently_checked_file()?;
        let watch = self.watch(generation).await?;
        if let Some(index) = &watch.wal_index {
            return Ok(index.header().map(|header| ChangeMark {
                generation,
                version: Version::WalIndex(header),
            }));
        }
        let _one_statement_at_a_time = self.inner.watch_setup.lock().await;
        Ok(Some(ChangeMark {
            generation,
            version: Version::DataVersion(data_version(&watch.conn).await?),
        }))
    }

    /// The [`Watch`] on file `generation`, made on first use.
    async fn watch(&self, generation: u64) -> Result<Arc<Watch>> {
        let current = || {
            lock(&self.inner.watch)
                .as_ref()
                .filter(|w| w.generation == generation)
                .cloned()
        };
        if let Some(watch) = current() {
            return Ok(watch);
        }
        let _setup = self.inner.watch_setup.lock().await;
        if let Some(watch) = current() {
            return Ok(watch);
        }
        let DatabaseTarget::Local(path) = &self.inner.target else {
            unreachable!("a change mark is asked only of a local file")
        };
        let conn = self.new_connection().await?;
        // A first read opens the WAL index (creating the -shm file if need be); from then on
        // this connection holds it open, and it can be mapped.
        data_version(&conn).await?;
        let watch = Arc::new(Watch {
            generation,
            conn,
            wal_index: wal_index::map_for(path),
        });
        *lock(&self.inner.watch) = Some(watch.clone());
        Ok(watch)
    }

    /// A number that changes after every committed write transaction of this process that
    /// revoked or deleted tokens. A cache of validated tokens compares it to the one it read
    /// before validating: a change means "ask the database again".
    pub fn revocation_epoch(&self) -> u64 {
        self.inner
            .writer
            .counts
            .revocations
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Write transactions and the commits they took, since the store was opened.
    pub fn write_counts(&self) -> WriteCounts {
        self.inner.writer.counts()
    }

    /// Round trip to the database: `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        let conn = self.connection().await?;
        let mut rows = conn.query("SELECT 1", ()).await?;
        rows.next().await?;
        Ok(())
    }
}

impl PooledConnection {
    /// Takes the connection out of the pool's care, with its generation; `None` if it must
    /// not be reused (left inside a transaction).
    fn detach(mut self) -> Option<(u64, Conn)> {
        let conn = self.conn.take()?;
        (self.reusable && conn.is_autocommit() && !conn.is_broken()).then_some((self.generation, conn))
    }
}

/// A connection borrowed from the pool.
pub struct PooledConnection {
    conn: Option<Conn>,
    generation: u64,
    store: Store,
    reusable: bool,
}

impl std::ops::Deref for PooledConnection {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut pool = lock(&self.store.inner.idle);
        if conn.is_broken() {
            // The server went away or forgot our streams: so are the idle connections'.
            if pool.generation == self.generation {
                pool.generation += 1;
                pool.conns.clear();
            }
            return;
        }
        // A connection left inside a transaction (an error mid-way) must not be reused:
        // dropping it rolls the transaction back.
        if self.reusable
            && conn.is_autocommit()
            && pool.generation == self.generation
            && pool.conns.len() < POOL_SIZE
        {
            pool.conns.push(Idle {
                generation: self.generation,
                since: Instant::now(),
                conn,
            });
        }
    }
}

/// Reads every row of a query through `decode`.
pub async fn collect<T>(
    mut rows: libsql::Rows,
    mut decode: impl FnMut(&libsql::Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(decode(&row)?);
    }
    Ok(out)
}

/// The first row of a query through `decode`, if any.
pub async fn first<T>(
    mut rows: libsql::Rows,
    decode: impl FnOnce(&libsql::Row) -> Result<T>,
) -> Result<Option<T>> {
    match rows.next().await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

/// One integer from a `SELECT count(*)`-style query.
pub async fn scalar_i64(conn: &Conn, sql: &str, params: impl libsql::params::IntoParams) -> Result<i64> {
    let rows = conn.query(sql, params).await?;
    Ok(first(rows, |r| Ok(r.get::<Option<i64>>(0)?.unwrap_or(0)))
        .await?
        .unwrap_or(0))
}

/// SQLite's `PRAGMA data_version` on `conn`: it changes when another connection committed.
async fn data_version(conn: &Conn) -> Result<i64> {
    let pragma = conn.cached("PRAGMA data_version").await?;
    Ok(first(pragma.query(()).await?, |r| Ok(r.get::<i64>(0)?))
        .await?
        .unwrap_or(0))
}

/// The idle list stays usable even if a thread panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
