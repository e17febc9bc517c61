//! Backups and restores of the whole database: the mechanics behind `mcp-oauth backup`,
//! `mcp-oauth restore` and the restore drill in `verify`.
//!
//! ## A backup is a consistent snapshot taken while the server serves
//!
//! - **Embedded file**: `VACUUM INTO` a temporary file beside the destination. It reads the
//!   database inside one read transaction, so the copy is the database as of one commit, and in
//!   WAL mode a reader neither takes nor waits for the write lock: writers (the server's, in
//!   its own process) go on committing to the WAL meanwhile. Never a file copy: the database
//!   file of a live WAL database is not the database (the recent commits are in the `-wal`).
//!   What the server does notice: its background checkpointer cannot copy the WAL past the
//!   snapshot the backup reads, so the WAL grows for the backup's duration and starts over
//!   after it; and the disk is busy with the copy.
//! - **Remote (sqld/Turso)**: one read transaction on one Hrana stream (`BEGIN`, then every
//!   table read page by page, then `ROLLBACK`): sqld answers it from one snapshot of its SQLite
//!   database, so the copy is consistent across tables. The schema and rows go into a local
//!   SQLite file ([`copy`]).
//!
//! Either way the copy is then checked ([`inspect`]), fsynced, made owner-only (0600), and only
//! then renamed to its name: a file under a backup's name is always a complete, checked backup.

pub mod copy;
pub mod files;
pub mod inspect;
pub mod restore;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::migrations::MigrationError;
use super::{DatabaseTarget, Store, StoreError};
pub use inspect::{inspect_file, Inspection, TableRows};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} already exists; choose another path (backups never overwrite a file)", .0.display())]
    Exists(PathBuf),
    #[error("the backup {} is damaged ({detail}); it was not used", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("the backup {} lacks the table(s) {tables}: it is not an mcp-oauth database", path.display())]
    NotOurs { path: PathBuf, tables: String },
    #[error("the backup {}: {reason}", path.display())]
    Incompatible {
        path: PathBuf,
        reason: String,
        /// The backup was made by a newer mcp-oauth.
        newer: bool,
    },
    #[error(
        "a running `mcp-oauth serve` holds {} (its lock file {} is locked): stop the server first, \
         or pass --force to replace the database under it",
        path.display(),
        super::server_lock::lock_path(path).display()
    )]
    InUse { path: PathBuf },
    #[error(
        "the database {target} is not empty (it has {objects}): restore into an empty database, \
         or pass --replace to replace its tables in one transaction"
    )]
    NotEmpty { target: String, objects: String },
}

impl BackupError {
    pub(crate) fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
        let path = path.to_path_buf();
        move |source| BackupError::Io { what, path, source }
    }
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

/// Opens the SQLite file at `path` on its own, outside the store's pool (read-only when asked):
/// backups, restores and their checks work on files no server uses.
async fn open_file(path: &Path, read_only: bool) -> Result<libsql::Database, StoreError> {
    let mut builder = libsql::Builder::new_local(path);
    if read_only {
        builder = builder.flags(libsql::OpenFlags::SQLITE_OPEN_READ_ONLY);
    }
    builder.build().await.map_err(|e| StoreError::Open {
        target: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// How far a backup has got: bytes written (embedded) or rows copied (remote), of about `total`.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Rows,
}

/// A finished backup.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub path: PathBuf,
    pub inspection: Inspection,
    pub elapsed: Duration,
}

/// Writes a checked snapshot of `store` to `dest`, which must not exist. `on_progress` is
/// called now and then from another task.
pub async fn snapshot(
    store: &Store,
    dest: &Path,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Snapshot> {
    let started = Instant::now();
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_path_buf()));
    }
    let temp = files::temporary_beside(dest, "partial");
    let _ = std::fs::remove_file(&temp);
    super::file_mode::create_private(&temp).map_err(BackupError::io("creating", &temp))?;
    let outcome = match store.target() {
        DatabaseTarget::Local(source) => vacuum_into(store, source, &temp, on_progress).await,
        DatabaseTarget::Remote { .. } => copy_remote(store, &temp, on_progress).await,
    };
    let finished = async {
        outcome?;
        files::sync_file(&temp).map_err(BackupError::io("syncing", &temp))?;
        let inspection = inspect_file(&temp).await?;
        if !inspection.integrity_ok() {
            return Err(BackupError::Corrupt {
                path: dest.to_path_buf(),
                detail: inspection.integrity.join("; "),
            });
        }
        if dest.exists() {
            return Err(BackupError::Exists(dest.to_path_buf()));
        }
        std::fs::rename(&temp, dest).map_err(BackupError::io("renaming the backup to", dest))?;
        files::sync_parent(dest).map_err(BackupError::io("syncing the directory of", dest))?;
        Ok(inspection)
    }
    .await;
    match finished {
        Ok(inspection) => Ok(Snapshot {
            path: dest.to_path_buf(),
            inspection,
            elapsed: started.elapsed(),
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Size of the database and its WAL: what `VACUUM INTO` reads, about what it writes.
fn database_bytes(path: &Path) -> u64 {
    super::file_mode::database_files(path)
        .iter()
        .take(2)
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// `VACUUM INTO` on a blocking thread (SQLite does the whole copy inside one call), with the
/// destination's growing size as progress.
async fn vacuum_into(
    store: &Store,
    source: &Path,
    temp: &Path,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<()> {
    let total = database_bytes(source);
    let watched = temp.to_path_buf();
    let watcher = tokio::spawn(async move {
        loop {
            let done = std::fs::metadata(&watched).map_or(0, |m| m.len());
            on_progress(Progress {
                done,
                total: total.max(done),
                unit: Unit::Bytes,
            });
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let store = store.clone();
    let into = temp.to_string_lossy().into_owned();
    let outcome = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(async {
            // A pooled connection of its own: a read transaction, never the writer's gate.
            let conn = store.connection().await?;
            conn.execute("VACUUM INTO ?1", [into]).await?;
            Ok::<_, StoreError>(())
        })
    })
    .await
    .map_err(|e| StoreError::Sql(format!("the backup task failed: {e}")));
    watcher.abort();
    outcome??;
    Ok(())
}

/// A remote database into a local file: one read transaction on the server, one write
/// transaction on the file.
async fn copy_remote(
    store: &Store,
    temp: &Path,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<()> {
    let mut src = store.connection().await?;
    // Inside a transaction from here on: never handed back to the pool.
    src.reusable = false;
    src.execute("BEGIN", ()).await.map_err(StoreError::from)?;
    let schema = copy::read_schema(&src).await?;
    let mut total = 0u64;
    for table in copy::data_tables(&schema) {
        total += copy::count_rows(&src, &table).await?.max(0) as u64;
    }
    let db = open_file(temp, false).await?;
    let dst = db.connect().map_err(StoreError::from)?;
    dst.execute("BEGIN", ()).await.map_err(StoreError::from)?;
    let mut done = 0u64;
    let mut tell = |n: u64| {
        done += n;
        on_progress(Progress {
            done,
            total: total.max(done),
            unit: Unit::Rows,
        });
    };
    copy::copy_database(&src, &dst, &mut tell).await?;
    dst.execute("COMMIT", ()).await.map_err(StoreError::from)?;
    let _ = src.execute("ROLLBACK", ()).await;
    Ok(())
}
