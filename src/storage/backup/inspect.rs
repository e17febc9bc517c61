//! Checking a backup file before trusting it: SQLite's `integrity_check`, the migration ledger
//! against this binary's migrations (a version it does not know, or a checksum that differs,
//! is refused), the four `oauth_*` tables, and the rows in every table.

use std::path::Path;

use serde::Serialize;

use super::super::migrations::{self, AppliedMigration, MigrationError};
use super::super::{collect, Result, StoreError};
use super::copy;

/// The tables without which a file is not an mcp-oauth database worth restoring.
pub const OAUTH_TABLES: [&str; 4] = [
    "oauth_clients",
    "oauth_authorization_codes",
    "oauth_access_tokens",
    "oauth_refresh_tokens",
];

/// Lines of `integrity_check` output kept (the first ones name the damage).
const INTEGRITY_LINES: i64 = 10;

/// What a backup file holds and whether it is sound.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// `["ok"]`, or the problems `PRAGMA integrity_check` found.
    pub integrity: Vec<String>,
    /// The highest migration applied (0: none).
    pub migration_version: i64,
    /// Migrations this binary has that the file lacks (`migrate` applies them after a restore).
    pub pending_migrations: Vec<String>,
    /// Why the ledger is refused (a newer or edited migration), if it is.
    pub ledger_error: Option<String>,
    /// The ledger names a migration newer than this binary.
    #[serde(skip)]
    pub newer_than_binary: bool,
    /// Of [`OAUTH_TABLES`], those missing.
    pub missing_tables: Vec<String>,
    /// Rows per table, in creation order.
    pub tables: Vec<TableRows>,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRows {
    pub table: String,
    pub rows: i64,
}

impl Inspection {
    pub fn integrity_ok(&self) -> bool {
        self.integrity == ["ok"]
    }

    /// Sound enough to restore: intact, a ledger this binary accepts, the OAuth tables present.
    pub fn is_sound(&self) -> bool {
        self.integrity_ok() && self.ledger_error.is_none() && self.missing_tables.is_empty()
    }

    pub fn rows(&self, table: &str) -> Option<i64> {
        self.tables.iter().find(|t| t.table == table).map(|t| t.rows)
    }
}

/// Opens `path` read-only and inspects it. A file that is not a database at all is reported
/// as failing its integrity check, not as an error.
pub async fn inspect_file(path: &Path) -> Result<Inspection> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| StoreError::Open {
            target: path.display().to_string(),
            reason: e.to_string(),
        })?
        .len();
    let db = super::open_file(path, true).await?;
    let conn = db.connect()?;
    let mut inspection = inspect(&conn).await?;
    inspection.bytes = bytes;
    Ok(inspection)
}

/// Inspects the database on `conn`.
pub async fn inspect(conn: &libsql::Connection) -> Result<Inspection> {
    let integrity = match conn
        .query(&format!("PRAGMA integrity_check({INTEGRITY_LINES})"), ())
        .await
    {
        Ok(rows) => match collect(rows, |r| Ok(r.get::<String>(0)?)).await {
            Ok(lines) => lines,
            Err(e) => vec![e.to_string()],
        },
        // "file is not a database", "database disk image is malformed"
        Err(e) => vec![e.to_string()],
    };
    let mut inspection = Inspection {
        integrity,
        migration_version: 0,
        pending_migrations: Vec::new(),
        ledger_error: None,
        newer_than_binary: false,
        missing_tables: Vec::new(),
        tables: Vec::new(),
        bytes: 0,
    };
    if !inspection.integrity_ok() {
        return Ok(inspection);
    }
    let schema = copy::read_schema(conn).await?;
    for table in copy::user_tables(&schema) {
        let rows = copy::count_rows(conn, &table).await?;
        inspection.tables.push(TableRows { table, rows });
    }
    inspection.missing_tables = OAUTH_TABLES
        .iter()
        .filter(|t| inspection.rows(t).is_none())
        .map(|t| t.to_string())
        .collect();
    let ledger = read_ledger(conn, &schema).await?;
    inspection.migration_version = ledger.iter().map(|m| m.version).max().unwrap_or(0);
    match migrations::judge_ledger(ledger) {
        Ok(status) => {
            inspection.pending_migrations = status.pending.iter().map(|m| m.id()).collect();
        }
        Err(e) => {
            inspection.newer_than_binary = matches!(e, MigrationError::Unknown { .. });
            inspection.ledger_error = Some(e.to_string());
        }
    }
    Ok(inspection)
}

async fn read_ledger(
    conn: &libsql::Connection,
    schema: &[copy::SchemaObject],
) -> Result<Vec<AppliedMigration>> {
    if !schema.iter().any(|o| o.name == "schema_migrations") {
        return Ok(Vec::new());
    }
    let rows = conn
        .query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(AppliedMigration {
            version: r.get(0)?,
            name: r.get(1)?,
            checksum: r.get(2)?,
            applied_at: r.get(3)?,
        })
    })
    .await
}
