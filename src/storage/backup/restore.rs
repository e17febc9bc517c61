//! Putting a backup back.
//!
//! First the backup is checked ([`check`]): intact, a migration ledger this binary accepts
//! (nothing newer than it, no edited migration), the OAuth tables present. Then:
//!
//! - **Embedded file** ([`restore_file`]), atomically: the backup is copied (`VACUUM INTO`,
//!   which also turns a WAL-mode file into one self-contained file) to a temporary file beside
//!   the database, brought up to this binary's migrations there, fsynced, and renamed over the
//!   database. A reader opening the path sees the old database or the new one, never a mix.
//!   Before the rename the old database is checkpointed (its WAL copied into it) and kept
//!   under `<db>.replaced-<UTC time>` (a hard link: no copy); its `-wal` and `-shm` are
//!   removed, because SQLite would otherwise replay the old WAL onto the new file. A running
//!   server is detected by its lock ([`crate::storage::server_lock`]): refused unless forced.
//!   A forced restore under a running server works because the server notices the file
//!   replaced and reopens its connections on the new one ([`crate::storage`], "The file going
//!   away").
//! - **Remote** ([`restore_remote`]): into an empty database, or, with `replace`, dropping
//!   every table and creating the backup's in the same write transaction, so the database is
//!   the old one or the restored one, never a mix. Then pending migrations are applied.
//!   The transaction holds the server's write lock for the whole copy: stop the instances
//!   first (a restore is an outage anyway), as sqld may end a write transaction that keeps
//!   other writers waiting too long. Exercised on small databases only (`tests/cli_backup.rs`).

use std::path::{Path, PathBuf};

use super::super::migrations::{self, Migration};
use super::super::{server_lock, DatabaseTarget, Store, StoreError};
use super::{copy, files, inspect_file, BackupError, Inspection, Result};
use crate::clock;

/// Checks `backup` and refuses it unless it is sound.
pub async fn check(backup: &Path) -> Result<Inspection> {
    let inspection = inspect_file(backup).await?;
    if !inspection.integrity_ok() {
        return Err(BackupError::Corrupt {
            path: backup.to_path_buf(),
            detail: inspection.integrity.join("; "),
        });
    }
    if let Some(reason) = &inspection.ledger_error {
        return Err(BackupError::Incompatible {
            path: backup.to_path_buf(),
            reason: reason.clone(),
            newer: inspection.newer_than_binary,
        });
    }
    if !inspection.missing_tables.is_empty() {
        return Err(BackupError::NotOurs {
            path: backup.to_path_buf(),
            tables: inspection.missing_tables.join(", "),
        });
    }
    Ok(inspection)
}

/// Rows per table in the database a restore would replace (`None`: there is none yet).
pub async fn current_rows(target: &DatabaseTarget) -> Result<Option<Vec<(String, i64)>>> {
    if let DatabaseTarget::Local(path) = target {
        if !path.exists() {
            return Ok(None);
        }
    }
    let store = Store::open(target).await?;
    let conn = store.connection().await?;
    let schema = copy::read_schema(&conn).await?;
    let mut out = Vec::new();
    for table in copy::user_tables(&schema) {
        out.push((table.clone(), copy::count_rows(&conn, &table).await?));
    }
    Ok(Some(out))
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Migrations applied to bring the backup up to date.
    pub migrated: Vec<Migration>,
    /// Where the replaced embedded database was kept, if there was one.
    pub replaced_kept_at: Option<PathBuf>,
}

/// Restores `backup` (already [`check`]ed) over the database file `target`.
pub async fn restore_file(backup: &Path, target: &Path, force: bool) -> Result<Restored> {
    let lock = server_lock::hold_for_restore(target)
        .map_err(BackupError::io("locking", &server_lock::lock_path(target)))?;
    if lock.is_none() && !force {
        return Err(BackupError::InUse {
            path: target.to_path_buf(),
        });
    }
    let temp = files::temporary_beside(target, "restore");
    let _ = std::fs::remove_file(&temp);
    let prepared = prepare(backup, &temp).await;
    let migrated = match prepared {
        Ok(m) => m,
        Err(e) => {
            remove_with_sidecars(&temp);
            return Err(e);
        }
    };
    let swapped = swap(&temp, target).await;
    drop(lock);
    match swapped {
        Ok(replaced_kept_at) => Ok(Restored {
            migrated,
            replaced_kept_at,
        }),
        Err(e) => {
            remove_with_sidecars(&temp);
            Err(e)
        }
    }
}

/// Keeps the database at `target` aside (if any), removes its WAL and shared-memory files, and
/// renames `temp` over it.
async fn swap(temp: &Path, target: &Path) -> Result<Option<PathBuf>> {
    let replaced_kept_at = if target.exists() {
        Some(set_aside(target).await?)
    } else {
        None
    };
    for sidecar in super::super::file_mode::database_files(target).iter().skip(1) {
        match std::fs::remove_file(sidecar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::io("removing", sidecar)(e)),
        }
    }
    std::fs::rename(temp, target).map_err(BackupError::io("renaming the restored database to", target))?;
    files::sync_parent(target).map_err(BackupError::io("syncing the directory of", target))?;
    Ok(replaced_kept_at)
}

/// The backup copied to `temp`, migrated, in rollback-journal mode (one file), fsynced.
async fn prepare(backup: &Path, temp: &Path) -> Result<Vec<Migration>> {
    super::super::file_mode::create_private(temp).map_err(BackupError::io("creating", temp))?;
    {
        let db = super::open_file(backup, true).await?;
        let conn = db.connect().map_err(StoreError::from)?;
        conn.execute("VACUUM INTO ?1", [temp.to_string_lossy().into_owned()])
            .await
            .map_err(StoreError::from)?;
    }
    let migrated = {
        let store = Store::open(&DatabaseTarget::Local(temp.to_path_buf())).await?;
        migrations::apply_pending(&store).await?
    };
    {
        let db = super::open_file(temp, false).await?;
        let conn = db.connect().map_err(StoreError::from)?;
        // Leaving WAL mode checkpoints and deletes the WAL: the file alone is the database.
        conn.query("PRAGMA journal_mode = DELETE", ())
            .await
            .map_err(StoreError::from)?;
    }
    files::sync_file(temp).map_err(BackupError::io("syncing", temp))?;
    Ok(migrated)
}

/// Checkpoints the database at `target` and links it to `<target>.replaced-<UTC time>`.
async fn set_aside(target: &Path) -> Result<PathBuf> {
    {
        let db = super::open_file(target, false).await?;
        let conn = db.connect().map_err(StoreError::from)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::from)?;
        // Best effort: under a forced restore a server may keep part of the WAL busy.
        let _ = conn.query("PRAGMA wal_checkpoint(TRUNCATE)", ()).await;
    }
    let stamp = files::name_for(clock::now());
    let stamp = stamp
        .trim_start_matches("mcp-oauth-")
        .trim_end_matches(".db")
        .to_string();
    // Two restores within one second: `-2`, `-3`, … rather than losing the earlier one.
    for n in 1..100 {
        let mut aside = target.as_os_str().to_owned();
        aside.push(format!(".replaced-{stamp}"));
        if n > 1 {
            aside.push(format!("-{n}"));
        }
        let aside = PathBuf::from(aside);
        match std::fs::hard_link(target, &aside) {
            Ok(()) => return Ok(aside),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(BackupError::io("keeping the replaced database as", &aside)(e)),
        }
    }
    Err(BackupError::io("keeping the replaced database beside", target)(
        std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    ))
}

fn remove_with_sidecars(path: &Path) {
    for p in super::super::file_mode::database_files(path) {
        let _ = std::fs::remove_file(p);
    }
}

/// The schema objects of a remote database, as `type name` (empty: an empty database).
async fn objects(store: &Store) -> Result<Vec<copy::SchemaObject>> {
    let conn = store.connection().await?;
    Ok(copy::read_schema(&conn).await?)
}

/// Restores `backup` (already [`check`]ed) into the remote database of `store`.
pub async fn restore_remote(
    backup: &Path,
    store: &Store,
    replace: bool,
    on_rows: &mut (dyn FnMut(u64) + Send),
) -> Result<Restored> {
    let existing = objects(store).await?;
    if !existing.is_empty() && !replace {
        let tables: Vec<String> = existing
            .iter()
            .filter(|o| o.kind == "table")
            .map(|o| o.name.clone())
            .take(6)
            .collect();
        return Err(BackupError::NotEmpty {
            target: store.target().to_string(),
            objects: format!("tables {}…", tables.join(", ")),
        });
    }
    let db = super::open_file(backup, true).await?;
    let src = db.connect().map_err(StoreError::from)?;
    let mut dst = store.connection().await?;
    dst.reusable = false;
    // Foreign keys off for the copy: tables are dropped and filled in whatever order.
    dst.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE")
        .await
        .map_err(StoreError::from)?;
    if replace {
        drop_everything(&dst, &existing).await?;
    }
    copy::copy_database(&src, &dst, on_rows).await?;
    dst.execute("COMMIT", ()).await.map_err(StoreError::from)?;
    drop(dst);
    let migrated = migrations::apply_pending(store).await?;
    Ok(Restored {
        migrated,
        replaced_kept_at: None,
    })
}

/// Drops every table, view and trigger (indexes go with their tables). Virtual tables first:
/// they drop their own shadow tables.
async fn drop_everything(conn: &libsql::Connection, existing: &[copy::SchemaObject]) -> Result<()> {
    for o in existing.iter().filter(|o| o.kind == "trigger") {
        conn.execute(&format!("DROP TRIGGER IF EXISTS {}", copy::quote(&o.name)), ())
            .await
            .map_err(StoreError::from)?;
    }
    for o in existing.iter().filter(|o| o.kind == "view") {
        conn.execute(&format!("DROP VIEW IF EXISTS {}", copy::quote(&o.name)), ())
            .await
            .map_err(StoreError::from)?;
    }
    let virtual_first = existing
        .iter()
        .filter(|o| o.kind == "table" && o.sql.to_ascii_uppercase().contains("VIRTUAL TABLE"))
        .chain(
            existing
                .iter()
                .filter(|o| o.kind == "table" && !o.sql.to_ascii_uppercase().contains("VIRTUAL TABLE")),
        );
    for o in virtual_first {
        conn.execute(&format!("DROP TABLE IF EXISTS {}", copy::quote(&o.name)), ())
            .await
            .map_err(StoreError::from)?;
    }
    if existing.iter().any(|o| o.kind == "table") {
        let _ = conn.execute("DELETE FROM sqlite_sequence", ()).await;
    }
    Ok(())
}
