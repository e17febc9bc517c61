//! The one storage seam: a libSQL database, embedded file or remote sqld/Turso, behind one type.
//!
//! Everything above this module (the server, the CLI, `verify`) talks to [`Store`] and the
//! repository functions in its submodules; SQL lives only here and in `migrations/`.
//!
//! Connections are pooled because a libSQL connection carries transaction state: two tasks
//! sharing one would interleave their transactions. Writers on an embedded file are serialised
//! in-process by an async gate before `BEGIN IMMEDIATE`, so a waiting writer parks a task rather
//! than a runtime thread inside SQLite's busy handler; the busy timeout remains for other
//! processes (a cron `token cleanup` beside `serve`).

pub mod cleanup;
pub mod clients;
pub mod events;
pub mod grants;
pub mod graph;
pub mod memories;
pub mod migrations;
pub mod revocation;
pub mod stats;
pub mod target;
pub mod tokens;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use std::sync::Mutex;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

pub use target::DatabaseTarget;

/// How long a statement on an embedded file waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database has no table `{table}`: run `mcp-oauth migrate` first")]
    NotMigrated { table: String },
    #[error("cannot open the database at {target}: {reason}")]
    Open { target: String, reason: String },
    #[error("the database is busy or locked by another process; try again")]
    Busy,
    #[error("database error: {0}")]
    Sql(String),
    #[error("unexpected data in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

impl From<libsql::Error> for StoreError {
    fn from(e: libsql::Error) -> Self {
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
    idle: Mutex<Vec<libsql::Connection>>,
    write_gate: Arc<AsyncMutex<()>>,
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
                idle: Mutex::new(Vec::new()),
                write_gate: Arc::new(AsyncMutex::new(())),
            }),
        };
        if store.is_local() {
            // WAL lets readers proceed beside the one writer. synchronous=NORMAL in WAL mode
            // never corrupts and never loses a commit when the *process* dies (kill -9): the WAL
            // is in the OS page cache. Only a power cut can drop the last commits; the cost of
            // that is a client re-authorizing, and FULL would put an fsync on every token issued.
            let conn = store.connection().await?;
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
        let reused = lock(&self.inner.idle).pop();
        let conn = match reused {
            Some(conn) => conn,
            None => self.new_connection().await?,
        };
        Ok(PooledConnection {
            conn: Some(conn),
            store: self.clone(),
            reusable: true,
        })
    }

    async fn new_connection(&self) -> Result<libsql::Connection> {
        let conn = self.inner.db.connect()?;
        if self.is_local() {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.query("PRAGMA synchronous = NORMAL", ()).await?;
        }
        // Per connection in SQLite; remote sqld applies it to the stream it opens.
        conn.query("PRAGMA foreign_keys = ON", ()).await?;
        Ok(conn)
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE`): it holds the write lock from the start,
    /// so it can never fail half-way with SQLITE_BUSY on lock upgrade. Dropped without
    /// [`WriteTx::commit`], the transaction is rolled back (the connection is discarded).
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let gate = if self.is_local() {
            Some(self.inner.write_gate.clone().lock_owned().await)
        } else {
            None
        };
        let mut conn = self.connection().await?;
        conn.reusable = false;
        conn.execute("BEGIN IMMEDIATE", ()).await?;
        Ok(WriteTx { conn, _gate: gate })
    }

    /// Round trip to the database: `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        let conn = self.connection().await?;
        let mut rows = conn.query("SELECT 1", ()).await?;
        rows.next().await?;
        Ok(())
    }
}

/// A connection borrowed from the pool.
pub struct PooledConnection {
    conn: Option<libsql::Connection>,
    store: Store,
    reusable: bool,
}

impl std::ops::Deref for PooledConnection {
    type Target = libsql::Connection;
    fn deref(&self) -> &libsql::Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // A connection left inside a transaction (an error mid-way) must not be reused:
        // dropping it rolls the transaction back.
        if self.reusable && conn.is_autocommit() {
            let mut idle = lock(&self.store.inner.idle);
            if idle.len() < POOL_SIZE {
                idle.push(conn);
            }
        }
    }
}

/// An open write transaction. Commit it, or drop it to roll back.
pub struct WriteTx {
    conn: PooledConnection,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTx {
    type Target = libsql::Connection;
    fn deref(&self) -> &libsql::Connection {
        &self.conn
    }
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<()> {
        self.conn.execute("COMMIT", ()).await?;
        self.conn.reusable = true;
        Ok(())
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
pub async fn scalar_i64(
    conn: &libsql::Connection,
    sql: &str,
    params: impl libsql::params::IntoParams,
) -> Result<i64> {
    let rows = conn.query(sql, params).await?;
    Ok(first(rows, |r| Ok(r.get::<Option<i64>>(0)?.unwrap_or(0)))
        .await?
        .unwrap_or(0))
}

/// The idle list stays usable even if a thread panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
