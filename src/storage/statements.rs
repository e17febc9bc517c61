//! A connection with its prepared statements kept for reuse.
//!
//! Preparing is parsing and planning: for the statements of a refresh grant (an `UPDATE …
//! RETURNING` and two `INSERT`s into tables with five and six indexes and a foreign key) it was
//! a sixth of the server's CPU per request. The statements the hot paths run are prepared once
//! per connection and kept with it in the pool.
//!
//! A statement is taken out of the cache for one use and put back reset, so no statement
//! stays half-stepped: a half-stepped `SELECT` would hold its read transaction open, and every
//! later read on the connection would see that old snapshot.
//!
//! ## Remote connections (sqld/Turso)
//!
//! A remote "prepared" statement is only its SQL and column names: nothing of it lives on the
//! server, so keeping it costs nothing and saves the `describe` round trip that preparing
//! takes. But libSQL fixes, when a remote statement is prepared, whether executing it closes the
//! Hrana stream (yes outside a transaction, no inside one); a statement prepared in autocommit
//! and executed inside a transaction would close the stream, and with it the transaction.
//! So [`Cached::execute`] on a remote connection runs the SQL through the connection, which
//! decides from the stream's state at that moment; reads take the cached statement.
//!
//! Every statement run through [`Conn`] watches its outcome: a remote failure that is not a
//! statement's own SQL error (the stream expired, the server went away) marks the connection
//! broken, and the pool never hands it out again ([`super::PooledConnection`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use libsql::params::IntoParams;

use super::{is_transport_error, lock, Result};

/// Statements kept per connection; more than the hot paths use, fewer than would matter.
const CAPACITY: usize = 32;

/// A libSQL connection and its statement cache. Derefs to the connection for everything else.
pub struct Conn {
    raw: libsql::Connection,
    statements: Mutex<HashMap<&'static str, libsql::Statement>>,
    remote: bool,
    /// Set when a remote call failed below the SQL level: the stream behind this connection
    /// is gone or unknown, and the connection must not be reused.
    broken: AtomicBool,
    /// Set when a statement revoked or deleted tokens inside the open write transaction; its
    /// commit then bumps the store's revocation epoch ([`super::Store::revocation_epoch`]).
    revoked: AtomicBool,
}

impl Conn {
    pub(super) fn new(raw: libsql::Connection, remote: bool) -> Conn {
        Conn {
            raw,
            statements: Mutex::new(HashMap::new()),
            remote,
            broken: AtomicBool::new(false),
            revoked: AtomicBool::new(false),
        }
    }

    /// Whether a remote call on this connection failed in transport or stream: see the
    /// module doc.
    pub(super) fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    /// Records that the write transaction open on this connection revokes or deletes tokens.
    pub(crate) fn note_revocation(&self) {
        self.revoked.store(true, Ordering::Relaxed);
    }

    /// Whether the transaction just ending revoked anything; clears the mark.
    pub(super) fn take_revocation(&self) -> bool {
        self.revoked.swap(false, Ordering::Relaxed)
    }

    /// Notes a failure that leaves the connection unusable (see [`is_transport_error`]).
    fn watch<T>(&self, outcome: libsql::Result<T>) -> libsql::Result<T> {
        if let Err(e) = &outcome {
            if self.remote && is_transport_error(e) {
                self.broken.store(true, Ordering::Relaxed);
            }
        }
        outcome
    }

    /// Runs a query (shadows [`libsql::Connection::query`] so failures are watched).
    pub async fn query(&self, sql: &str, params: impl IntoParams) -> libsql::Result<libsql::Rows> {
        let outcome = self.raw.query(sql, params).await;
        self.watch(outcome)
    }

    /// Runs a statement (shadows [`libsql::Connection::execute`] so failures are watched).
    pub async fn execute(&self, sql: &str, params: impl IntoParams) -> libsql::Result<u64> {
        let outcome = self.raw.execute(sql, params).await;
        self.watch(outcome)
    }

    /// Runs several statements without parameters (shadows
    /// [`libsql::Connection::execute_batch`] so failures are watched).
    pub async fn execute_batch(&self, sql: &str) -> libsql::Result<libsql::BatchRows> {
        let outcome = self.raw.execute_batch(sql).await;
        self.watch(outcome)
    }

    /// The next row of `rows`, watching the failure (a remote cursor streams its rows).
    pub async fn next_row(&self, rows: &mut libsql::Rows) -> libsql::Result<Option<libsql::Row>> {
        let outcome = rows.next().await;
        self.watch(outcome)
    }

    /// The prepared statement for `sql`, from the cache or prepared now. It goes back to the
    /// cache, reset, when the returned guard is dropped: finish with its rows first.
    pub async fn cached(&self, sql: &'static str) -> Result<Cached<'_>> {
        let kept = lock(&self.statements).remove(sql);
        let statement = match kept {
            Some(statement) => statement,
            None => {
                let prepared = self.raw.prepare(sql).await;
                self.watch(prepared)?
            }
        };
        Ok(Cached {
            conn: self,
            sql,
            statement: Some(statement),
        })
    }
}

impl Drop for Conn {
    /// Statements first: a connection closed with statements outstanding stays open, and the
    /// last connection's close is what checkpoints the WAL and removes it.
    fn drop(&mut self) {
        lock(&self.statements).clear();
    }
}

impl std::ops::Deref for Conn {
    type Target = libsql::Connection;
    fn deref(&self) -> &libsql::Connection {
        &self.raw
    }
}

/// A statement on loan from a [`Conn`]'s cache.
pub struct Cached<'c> {
    conn: &'c Conn,
    sql: &'static str,
    statement: Option<libsql::Statement>,
}

impl Cached<'_> {
    /// Runs the statement as a query.
    pub async fn query(&self, params: impl IntoParams) -> libsql::Result<libsql::Rows> {
        let outcome = self.statement().query(params).await;
        self.conn.watch(outcome)
    }

    /// Runs the statement; see the module doc for why a remote one goes through the connection.
    pub async fn execute(&self, params: impl IntoParams) -> libsql::Result<usize> {
        if self.conn.remote {
            return self.conn.execute(self.sql, params).await.map(|n| n as usize);
        }
        let outcome = self.statement().execute(params).await;
        self.conn.watch(outcome)
    }

    fn statement(&self) -> &libsql::Statement {
        self.statement.as_ref().expect("present until dropped")
    }
}

impl std::ops::Deref for Cached<'_> {
    type Target = libsql::Statement;
    fn deref(&self) -> &libsql::Statement {
        self.statement.as_ref().expect("present until dropped")
    }
}

impl Drop for Cached<'_> {
    fn drop(&mut self) {
        let Some(statement) = self.statement.take() else {
            return;
        };
        statement.reset();
        let mut statements = lock(&self.conn.statements);
        if statements.len() < CAPACITY {
            statements.insert(self.sql, statement);
        }
    }
}
