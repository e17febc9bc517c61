//! Exit codes, and turning an error into one line an operator can act on.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the command failed (a check failed, the operator declined, an internal error) |
//! | 2 | bad usage or input (clap's own code for usage errors) |
//! | 3 | the database cannot be reached or opened |
//! | 4 | the database is not migrated, or its migrations do not match this binary |
//! | 5 | the named client, user or token does not exist |

use std::io::ErrorKind;
use std::process::ExitCode;

use crate::storage::backup::BackupError;
use crate::storage::migrations::MigrationError;
use crate::storage::StoreError;

/// An error whose exit code and message the command chose.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
}

impl Failure {
    pub fn usage(msg: impl Into<String>) -> anyhow::Error {
        Failure::Usage(msg.into()).into()
    }
    pub fn not_found(msg: impl Into<String>) -> anyhow::Error {
        Failure::NotFound(msg.into()).into()
    }
    pub fn failed(msg: impl Into<String>) -> anyhow::Error {
        Failure::Failed(msg.into()).into()
    }
}

pub const USAGE: u8 = 2;
pub const DATABASE_UNAVAILABLE: u8 = 3;
pub const NOT_MIGRATED: u8 = 4;
pub const NOT_FOUND: u8 = 5;

fn code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return match f {
                Failure::Usage(_) => USAGE,
                Failure::NotFound(_) => NOT_FOUND,
                Failure::Failed(_) => 1,
            };
        }
        if let Some(m) = cause.downcast_ref::<MigrationError>() {
            return match m {
                MigrationError::Store(s) => store_code(s),
                MigrationError::NoSuchVersion(_) => USAGE,
                _ => NOT_MIGRATED,
            };
        }
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            return store_code(s);
        }
        if let Some(b) = cause.downcast_ref::<BackupError>() {
            return backup_code(b);
        }
    }
    1
}

/// A backup or restore: a newer backup is a migration mismatch (4), a destination that exists
/// or a remote database that is not empty is a usage error naming the flag (2).
fn backup_code(e: &BackupError) -> u8 {
    match e {
        BackupError::Store(s) => store_code(s),
        BackupError::Migration(MigrationError::Store(s)) => store_code(s),
        BackupError::Migration(_) => NOT_MIGRATED,
        BackupError::Incompatible { .. } => NOT_MIGRATED,
        BackupError::Exists(_) | BackupError::NotEmpty { .. } => USAGE,
        BackupError::Io { .. }
        | BackupError::Corrupt { .. }
        | BackupError::NotOurs { .. }
        | BackupError::InUse { .. } => 1,
    }
}

fn store_code(e: &StoreError) -> u8 {
    match e {
        StoreError::NotMigrated { .. } => NOT_MIGRATED,
        StoreError::Open { .. } | StoreError::Busy | StoreError::Unavailable(_) => DATABASE_UNAVAILABLE,
        _ => 1,
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
            // `--json` output goes through serde_json, which wraps the io::Error.
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(ErrorKind::BrokenPipe))
    })
}

/// Prints the error (with its causes) and returns the exit code. A closed stdout (`| head`)
/// is not an error.
pub fn report(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(code_for(&err))
        }
    }
}
