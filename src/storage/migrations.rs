//! Versioned schema migrations, embedded from `migrations/` at build time.
//!
//! Each applied version is recorded in `schema_migrations` with the SHA-256 of its up SQL.
//! A recorded checksum that no longer matches the embedded file means someone edited a
//! migration after it ran: that is refused, never silently re-run. Each migration is applied
//! (or reverted) in its own transaction, together with its bookkeeping row.

use sha2::{Digest, Sha256};

use super::{collect, Result, Store, StoreError};
use crate::clock;

/// One migration as shipped in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub up: &'static str,
    pub down: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $name,
            up: include_str!(concat!("../../migrations/", $file, ".up.sql")),
            down: include_str!(concat!("../../migrations/", $file, ".down.sql")),
        }
    };
}

/// Every migration, in order. File names are `NNNN_name.up.sql` / `NNNN_name.down.sql`.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "oauth", "0001_oauth"),
    migration!(2, "accounts", "0002_accounts"),
    migration!(3, "memory", "0003_memory"),
    migration!(4, "operations", "0004_operations"),
    migration!(5, "memory_search", "0005_memory_search"),
    migration!(6, "token_tables_rowid", "0006_token_tables_rowid"),
    migration!(7, "refresh_successor_nonce", "0007_refresh_successor_nonce"),
    migration!(8, "client_application_type", "0008_client_application_type"),
    migration!(9, "graph_limits", "0009_graph_limits"),
    migration!(10, "client_metadata_document", "0010_client_metadata_document"),
    migration!(11, "client_first_code", "0011_client_first_code"),
    migration!(12, "maintenance_runs_latest", "0012_maintenance_runs_latest"),
];

impl Migration {
    pub fn checksum(&self) -> String {
        hex(&Sha256::digest(self.up.as_bytes()))
    }

    /// `0001_oauth`
    pub fn id(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }
}

/// A row of `schema_migrations`.
#[derive(Debug, Clone)]
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: i64,
}

/// Where the database stands against the migrations in this binary.
#[derive(Debug, Clone)]
pub struct MigrationStatus {
    pub applied: Vec<AppliedMigration>,
    pub pending: Vec<Migration>,
}

impl MigrationStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "migration {version} ({name}) was changed after it was applied \
         (recorded checksum {recorded}, this binary has {embedded}); restore the original file \
         or roll the database back with a binary that has it"
    )]
    ChecksumMismatch {
        version: i64,
        name: String,
        recorded: String,
        embedded: String,
    },
    #[error("the database has migration {version} ({name}), which this binary does not know: it was migrated by a newer mcp-oauth")]
    Unknown { version: i64, name: String },
    #[error("the database {target} has pending migrations ({pending}): run `mcp-oauth migrate` first")]
    Pending { target: String, pending: String },
    #[error("no migration has version {0}")]
    NoSuchVersion(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)";

async fn ensure_ledger(store: &Store) -> Result<()> {
    let conn = store.connection().await?;
    conn.execute(CREATE_LEDGER, ()).await?;
    Ok(())
}

async fn read_ledger(store: &Store) -> Result<Vec<AppliedMigration>> {
    let conn = store.connection().await?;
    let exists = super::scalar_i64(
        &conn,
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        (),
    )
    .await?;
    if exists == 0 {
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

/// Compares the database's ledger with the embedded migrations; reads only.
pub async fn status(store: &Store) -> Result<MigrationStatus, MigrationError> {
    judge_ledger(read_ledger(store).await?)
}

/// Compares a ledger (read from any database, such as a backup file) with the embedded
/// migrations: a version this binary does not know, or a checksum that differs, is an error.
pub fn judge_ledger(applied: Vec<AppliedMigration>) -> Result<MigrationStatus, MigrationError> {
    for row in &applied {
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == row.version) else {
            return Err(MigrationError::Unknown {
                version: row.version,
                name: row.name.clone(),
            });
        };
        let embedded = m.checksum();
        if embedded != row.checksum {
            return Err(MigrationError::ChecksumMismatch {
                version: row.version,
                name: row.name.clone(),
                recorded: row.checksum.clone(),
                embedded,
            });
        }
    }
    let pending = MIGRATIONS
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .copied()
        .collect();
    Ok(MigrationStatus { applied, pending })
}

/// Fails with [`MigrationError::Pending`] unless every migration in this binary is applied.
pub async fn ensure_current(store: &Store) -> Result<(), MigrationError> {
    let status = status(store).await?;
    if status.is_current() {
        return Ok(());
    }
    Err(MigrationError::Pending {
        target: store.target().to_string(),
        pending: status
            .pending
            .iter()
            .map(Migration::id)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Applies every pending migration, each in its own transaction; returns those this call
/// applied (not those another process applied meanwhile).
pub async fn apply_pending(store: &Store) -> Result<Vec<Migration>, MigrationError> {
    let pending = status(store).await?.pending;
    if pending.is_empty() {
        return Ok(pending);
    }
    ensure_ledger(store).await?;
    let mut applied = Vec::with_capacity(pending.len());
    for m in pending {
        let tx = store.begin_write().await?;
        // Another `migrate` (on another machine, against the same server) may have applied it
        // since `status` looked: decided again under the write lock, so nothing runs twice.
        let rows = tx
            .query("SELECT 1 FROM schema_migrations WHERE version = ?1", [m.version])
            .await
            .map_err(StoreError::from)?;
        if crate::storage::first(rows, |_| Ok(())).await?.is_some() {
            continue;
        }
        tx.execute_batch(m.up).await.map_err(StoreError::from)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            libsql::params![m.version, m.name, m.checksum(), clock::now()],
        )
        .await
        .map_err(StoreError::from)?;
        tx.commit().await?;
        applied.push(m);
    }
    Ok(applied)
}

/// The applied migrations that rolling back to `to` (exclusive; `None` = everything) reverts,
/// newest first.
pub async fn rollback_plan(store: &Store, to: Option<i64>) -> Result<Vec<Migration>, MigrationError> {
    if let Some(v) = to {
        if v != 0 && !MIGRATIONS.iter().any(|m| m.version == v) {
            return Err(MigrationError::NoSuchVersion(v));
        }
    }
    let applied = status(store).await?.applied;
    let floor = to.unwrap_or(0);
    let mut plan: Vec<Migration> = applied
        .iter()
        .filter(|a| a.version > floor)
        .filter_map(|a| MIGRATIONS.iter().find(|m| m.version == a.version).copied())
        .collect();
    plan.sort_by_key(|m| std::cmp::Reverse(m.version));
    Ok(plan)
}

/// Reverts `plan` (from [`rollback_plan`]), newest first, each in its own transaction.
pub async fn rollback(store: &Store, plan: &[Migration]) -> Result<(), MigrationError> {
    for m in plan {
        let tx = store.begin_write().await?;
        tx.execute_batch(m.down).await.map_err(StoreError::from)?;
        tx.execute("DELETE FROM schema_migrations WHERE version = ?1", [m.version])
            .await
            .map_err(StoreError::from)?;
        tx.commit().await?;
    }
    Ok(())
}

/// Lower-case hex, for checksums shown to operators.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_strictly_increasing_and_files_non_empty() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        for m in MIGRATIONS {
            assert!(!m.up.trim().is_empty() && !m.down.trim().is_empty(), "{}", m.id());
        }
    }
}
