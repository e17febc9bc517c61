//! Whether anything was committed to an embedded file, for the price of a memory read: the
//! header of SQLite's WAL index.
//!
//! In WAL mode every connection to a file, in every process, shares the *WAL index*, which
//! SQLite's unix VFS keeps in the `<db>-shm` file and maps into each process. It begins with
//! two copies of a 48-byte header (SQLite's "WAL-mode File Format" document, "The WAL-Index
//! Header"): a counter that every committed transaction increments (`iChange`), the last valid
//! WAL frame, the database size, the WAL's salts and checksums. A writer rewrites the second
//! copy, then (after a memory barrier) the first; a reader that finds the two copies equal has
//! read a header that was whole at some instant, and any commit after that instant changes it.
//! That is what `PRAGMA data_version` tells too, but the pragma is a statement with a read
//! transaction around it (two `fcntl` locks on the `-shm` file, a `stat` behind them, the
//! statement reset): about a tenth of an authenticated `tools/list`'s CPU. This is two loads
//! of 48 bytes.
//!
//! The mapping is read-only and lives only as long as a connection of this process that has
//! the WAL index open ([`super::Store::change_mark`] keeps one): SQLite truncates or rebuilds
//! the `-shm` file only when a connection opens it while no other connection holds it open
//! (its "DMS" lock), which that connection prevents. The descriptor the mapping is made from
//! is never closed: closing any descriptor of a file drops all of this process's POSIX locks
//! on it, SQLite's lock included, and another process would then reinitialise the index under
//! every connection here. Anything unexpected (no `-shm` file, one
//! too short to hold the header, not a unix system) means no mapping, and the caller falls
//! back to the pragma.

use std::path::Path;

/// The words of one copy of the WAL-index header: 48 bytes, compared, never interpreted.
pub type Header = [u32; HEADER_WORDS];

const HEADER_WORDS: usize = 12;

/// Both copies, and the checkpoint information after them (SQLite's `WALINDEX_HDR_SIZE`):
/// a `-shm` file shorter than this is not an initialised WAL index.
const INDEX_HEADER_BYTES: u64 = 136;

pub use imp::MappedWalIndex;

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::mem::ManuallyDrop;
    use std::os::fd::AsRawFd;
    use std::path::Path;
    use std::ptr::NonNull;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::{Header, HEADER_WORDS, INDEX_HEADER_BYTES};

    /// The first bytes of a `-shm` file, mapped shared and read-only.
    pub struct MappedWalIndex {
        words: NonNull<AtomicU32>,
    }

    // SAFETY: the mapping is read-only from here and read only through atomic loads; it is
    // unmapped once, on drop.
    unsafe impl Send for MappedWalIndex {}
    unsafe impl Sync for MappedWalIndex {}

    impl MappedWalIndex {
        /// Maps the header of the WAL index at `shm`, or `None` when there is no initialised
        /// one there.
        pub fn open(shm: &Path) -> std::io::Result<Option<MappedWalIndex>> {
            // Never closed: closing any descriptor of a file releases every POSIX lock this
            // process holds on it, SQLite's included, and SQLite's shared lock on the WAL index
            // is what tells other processes it is in use (one that sees no lock reinitialises
            // and truncates the file under every mapping of it). One descriptor per file the
            // process watches, kept until it exits.
            let file = match File::open(shm) {
                Ok(f) => ManuallyDrop::new(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            if file.metadata()?.len() < INDEX_HEADER_BYTES {
                return Ok(None);
            }
            // SAFETY: a fresh shared read-only mapping of an open file descriptor.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    INDEX_HEADER_BYTES as usize,
                    libc::PROT_READ,
                    libc::MAP_SHARED,
                    file.as_raw_fd(),
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Err(std::io::Error::last_os_error());
            }
            let words = NonNull::new(base.cast::<AtomicU32>()).expect("mmap never maps page 0");
            Ok(Some(MappedWalIndex { words }))
        }

        /// The header, or `None` while a writer is rewriting it (the two copies differ).
        pub fn header(&self) -> Option<Header> {
            let first = self.copy(0);
            let second = self.copy(HEADER_WORDS);
            (first == second).then_some(first)
        }

        /// One copy, starting at word `start`. Acquire loads: the words of the first copy are
        /// read before those of the second, as SQLite's own readers do, so equal copies cannot
        /// be a mix of two headers.
        fn copy(&self, start: usize) -> Header {
            std::array::from_fn(|i| {
                // SAFETY: 2 × 12 words lie within the mapped 136 bytes, 4-aligned (page-aligned
                // base); other processes write them, so they are read atomically.
                unsafe { self.words.as_ptr().add(start + i).as_ref() }
                    .expect("non-null")
                    .load(Ordering::Acquire)
            })
        }
    }

    impl Drop for MappedWalIndex {
        fn drop(&mut self) {
            // SAFETY: the mapping made in `open`, unmapped once.
            unsafe {
                libc::munmap(self.words.as_ptr().cast(), INDEX_HEADER_BYTES as usize);
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::path::Path;

    use super::Header;

    /// No mapping outside unix: [`super::super::Store::change_mark`] uses the pragma.
    pub struct MappedWalIndex;

    impl MappedWalIndex {
        pub fn open(_shm: &Path) -> std::io::Result<Option<MappedWalIndex>> {
            Ok(None)
        }

        pub fn header(&self) -> Option<Header> {
            None
        }
    }
}

/// The WAL index of the database at `db`, mapped; `None` when there is none to map.
pub fn map_for(db: &Path) -> Option<MappedWalIndex> {
    let [_, _, shm] = super::file_mode::database_files(db);
    match MappedWalIndex::open(&shm) {
        Ok(mapped) => mapped,
        Err(e) => {
            tracing::debug!(error = %e, path = %shm.display(), "cannot map the WAL index; using PRAGMA data_version");
            None
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    async fn wal_file(dir: &Path) -> (libsql::Database, libsql::Connection) {
        let db = libsql::Builder::new_local(dir.join("t.db"))
            .build()
            .await
            .unwrap();
        let conn = db.connect().unwrap();
        conn.query("PRAGMA journal_mode = WAL", ()).await.unwrap();
        conn.execute("CREATE TABLE t (x)", ()).await.unwrap();
        (db, conn)
    }

    #[tokio::test]
    async fn every_commit_changes_the_header_and_reads_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, conn) = wal_file(dir.path()).await;
        let index = map_for(&dir.path().join("t.db")).expect("an initialised -shm file");
        let before = index.header().expect("no writer at work");
        conn.query("SELECT count(*) FROM t", ()).await.unwrap();
        assert_eq!(index.header(), Some(before), "a read commits nothing");
        let mut seen = vec![before];
        for i in 0..3 {
            conn.execute("INSERT INTO t VALUES (?1)", [i]).await.unwrap();
            let now = index.header().expect("no writer at work");
            assert!(!seen.contains(&now), "commit {i} left the header as it was");
            seen.push(now);
        }
    }

    #[tokio::test]
    async fn a_commit_by_another_process_changes_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, _conn) = wal_file(dir.path()).await;
        let index = map_for(&dir.path().join("t.db")).expect("an initialised -shm file");
        let before = index.header().expect("no writer at work");
        let status = std::process::Command::new("python3")
            .arg("-c")
            .arg("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('INSERT INTO t VALUES (1)'); c.commit()")
            .arg(dir.path().join("t.db"))
            .status()
            .expect("python3 runs");
        assert!(status.success());
        assert_ne!(index.header(), Some(before));
    }

    #[tokio::test]
    async fn mapping_the_index_keeps_sqlites_lock_on_it() {
        // SQLite's connections hold a shared lock on byte 128 of the -shm file (its "DMS"
        // lock); a process that can lock it exclusively takes the index for unused and
        // truncates it. Closing a descriptor of the file would drop this process's locks.
        let dir = tempfile::tempdir().unwrap();
        let (_db, conn) = wal_file(dir.path()).await;
        let _index = map_for(&dir.path().join("t.db")).expect("an initialised -shm file");
        let _short = map_for(&dir.path().join("absent.db"));
        conn.query("SELECT count(*) FROM t", ()).await.unwrap();
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\ntry:\n    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)\n    print('free')\nexcept OSError:\n    print('held')")
            .arg(dir.path().join("t.db-shm"))
            .output()
            .expect("python3 runs");
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "held");
    }

    #[test]
    fn no_shm_file_means_no_mapping() {
        let dir = tempfile::tempdir().unwrap();
        assert!(map_for(&dir.path().join("absent.db")).is_none());
        std::fs::write(dir.path().join("short.db-shm"), [0u8; 3]).unwrap();
        assert!(
            map_for(&dir.path().join("short.db")).is_none(),
            "a truncated -shm file"
        );
    }
}
