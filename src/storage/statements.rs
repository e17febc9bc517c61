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

use std::collections::HashMap;
use std::sync::Mutex;

use super::{lock, Result};

/// Statements kept per connection; more than the hot paths use, fewer than would matter.
const CAPACITY: usize = 32;

/// A libSQL connection and its statement cache. Derefs to the connection for everything else.
pub struct Conn {
    raw: libsql::Connection,
    statements: Mutex<HashMap<&'static str, libsql::Statement>>,
}

impl Conn {
    pub(super) fn new(raw: libsql::Connection) -> Conn {
        Conn {
            raw,
            statements: Mutex::new(HashMap::new()),
        }
    }

    /// The prepared statement for `sql`, from the cache or prepared now. It goes back to the
    /// cache, reset, when the returned guard is dropped: finish with its rows first.
    pub async fn cached(&self, sql: &'static str) -> Result<Cached<'_>> {
        let kept = lock(&self.statements).remove(sql);
        let statement = match kept {
            Some(statement) => statement,
            None => self.raw.prepare(sql).await?,
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
