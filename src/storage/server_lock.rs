//! Whether a server is running on an embedded database file.
//!
//! `serve` holds a shared `flock(2)` on a lock file beside the database (`<db>.serve-lock`)
//! for as long as it runs; `restore` asks for an exclusive one without waiting. The kernel
//! drops a process's locks when it exits however it exits (`kill -9`, OOM, a crash), so a
//! stale lock is impossible, and several servers on one file (each with a shared lock) are
//! all seen. While a restore holds its exclusive lock, a server that starts refuses to.
//!
//! A separate file, not the database itself: SQLite locks the database with POSIX `fcntl`
//! locks, which a process loses when it closes *any* descriptor of that file; a descriptor of
//! our own on the database would be one more way to lose them. `flock` locks on another file
//! cannot interact with SQLite's.
//!
//! What it does not see: a server built before this lock existed, and processes other than
//! `serve` (a `token cleanup` in progress). Restore's atomic rename keeps even those safe from
//! a half-written file; they simply go on with the database that was replaced.

use std::fs::File;
use std::path::{Path, PathBuf};

/// `<db>.serve-lock`
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".serve-lock");
    PathBuf::from(name)
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

fn open(database: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(lock_path(database))
}

#[cfg(unix)]
fn try_flock(file: &File, exclusive: bool) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    let op = if exclusive { libc::LOCK_EX } else { libc::LOCK_SH } | libc::LOCK_NB;
    // SAFETY: flock on a descriptor this function borrows for the call; no memory is shared.
    if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(not(unix))]
fn try_flock(_file: &File, _exclusive: bool) -> std::io::Result<bool> {
    Ok(true)
}

/// What `serve` takes: `None` when a restore holds the database right now.
pub fn hold_for_server(database: &Path) -> std::io::Result<Option<ServerLock>> {
    let file = open(database)?;
    Ok(try_flock(&file, false)?.then_some(ServerLock { _file: file }))
}

/// What `restore` takes: `None` when a server holds the database.
pub fn hold_for_restore(database: &Path) -> std::io::Result<Option<ServerLock>> {
    let file = open(database)?;
    Ok(try_flock(&file, true)?.then_some(ServerLock { _file: file }))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_server_lock_keeps_a_restore_out_and_the_other_way_round() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let server = hold_for_server(&db).unwrap().expect("free");
        let second_server = hold_for_server(&db).unwrap().expect("servers share");
        assert!(hold_for_restore(&db).unwrap().is_none());
        drop(server);
        drop(second_server);
        let restore = hold_for_restore(&db).unwrap().expect("free again");
        assert!(hold_for_server(&db).unwrap().is_none());
        drop(restore);
    }
}
