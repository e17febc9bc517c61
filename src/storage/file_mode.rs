//! Who may read the database file.
//!
//! The database holds every memory, password hash and token digest, so a new file is created
//! mode 0600 (owner only) before libSQL opens it: SQLite gives the `-wal` and `-shm` files it
//! creates later the permissions of the database file, so they are 0600 too. An existing file
//! is left as it is (the operator may have chosen a group on purpose), but a file any other
//! account can read is reported at start ([`loose_files`]); `chmod 600` fixes it.

use std::path::{Path, PathBuf};

/// The database file and the files SQLite keeps beside it.
pub fn database_files(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Creates `path` empty with mode 0600 if it does not exist yet (an empty file is a new
/// SQLite database). Another process creating it first is not an error.
pub fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The files among the database's that other accounts may read (group or world read bits),
/// with their modes.
pub fn loose_files(path: &Path) -> Vec<(PathBuf, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        database_files(path)
            .into_iter()
            .filter_map(|p| {
                let mode = std::fs::metadata(&p).ok()?.permissions().mode() & 0o777;
                (mode & 0o044 != 0).then_some((p, mode))
            })
            .collect()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Vec::new()
    }
}

/// One line per loose file, saying how to fix it.
pub fn describe_loose(files: &[(PathBuf, u32)]) -> Vec<String> {
    files
        .iter()
        .map(|(p, mode)| {
            format!(
                "{} is readable by other accounts (mode {mode:o}); it holds every memory and password hash: chmod 600 it",
                p.display()
            )
        })
        .collect()
}

/// Writes `contents` to a file only its owner can read (reports that may carry secrets). An
/// existing file is narrowed to 0600 before anything is written to it.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.set_len(0)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_owner_only_and_an_existing_one_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.db");
        create_private(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        assert!(loose_files(&new).is_empty());
        let old = dir.path().join("old.db");
        std::fs::write(&old, b"x").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private(&old).unwrap();
        assert_eq!(mode(&old), 0o644);
        assert_eq!(loose_files(&old), vec![(old.clone(), 0o644)]);
        assert_eq!(std::fs::read(&old).unwrap(), b"x");
    }

    #[test]
    fn private_writes_narrow_an_existing_file_first() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.xml");
        std::fs::write(&report, b"old and longer").unwrap();
        std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&report, b"new").unwrap();
        assert_eq!(mode(&report), 0o600);
        assert_eq!(std::fs::read(&report).unwrap(), b"new");
    }
}
