//! Backup files on disk: their names in a backup directory (`mcp-oauth-20261129T031500Z.db`,
//! UTC, so names sort by time), pruning the old ones, and writing a file so that it is either
//! complete under its name or absent (a temporary name beside it, fsync, rename, fsync the
//! directory).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const PREFIX: &str = "mcp-oauth-";
const SUFFIX: &str = ".db";

/// `mcp-oauth-YYYYMMDDTHHMMSSZ.db` for the instant `unix_seconds`.
pub fn name_for(unix_seconds: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(unix_seconds.max(0) as u64);
    let stamp = humantime::format_rfc3339_seconds(t).to_string(); // 2026-11-29T03:15:00Z
    let compact: String = stamp.chars().filter(|c| *c != '-' && *c != ':').collect();
    format!("{PREFIX}{compact}{SUFFIX}")
}

/// The instant a backup file's name carries, when it is one of ours; `None` for any other
/// name (which pruning never touches).
pub fn parse_name(name: &str) -> Option<i64> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let b = stamp.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<&str> {
        let s = &stamp[r];
        s.bytes().all(|c| c.is_ascii_digit()).then_some(s)
    };
    let rfc = format!(
        "{}-{}-{}T{}:{}:{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?
    );
    let t = humantime::parse_rfc3339(&rfc).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// Our backups in `dir`, oldest first.
pub fn list(dir: &Path) -> std::io::Result<Vec<(i64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(at) = name.to_str().and_then(parse_name) else {
            continue;
        };
        if entry.file_type()?.is_file() {
            found.push((at, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Which backups go.
#[derive(Debug, Clone, Copy)]
pub enum Retention {
    /// Keep the newest N.
    Keep(usize),
    /// Keep those younger than this (the newest is always kept).
    MaxAge(Duration),
}

/// Deletes the backups in `dir` that `retention` lets go (never `keep_always`, the one just
/// written); returns them.
pub fn prune(
    dir: &Path,
    retention: Retention,
    now: i64,
    keep_always: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    let all = list(dir)?;
    let doomed: Vec<PathBuf> = match retention {
        Retention::Keep(n) => {
            let excess = all.len().saturating_sub(n.max(1));
            all.into_iter().take(excess).map(|(_, p)| p).collect()
        }
        Retention::MaxAge(age) => {
            let cutoff = now.saturating_sub(i64::try_from(age.as_secs()).unwrap_or(i64::MAX));
            let newest = all.last().map(|(_, p)| p.clone());
            all.into_iter()
                .filter(|(at, p)| *at < cutoff && Some(p) != newest.as_ref())
                .map(|(_, p)| p)
                .collect()
        }
    };
    let mut deleted = Vec::new();
    for path in doomed {
        if path == keep_always {
            continue;
        }
        std::fs::remove_file(&path)?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// A temporary name beside `path` (same directory, so the final rename is atomic), which no
/// pruning or listing mistakes for a backup.
pub fn temporary_beside(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mcp-oauth.db".into());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// fsync a file's data.
pub fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

/// fsync the directory holding `path`, so a rename into it survives a power cut.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(parent)?.sync_all()?;
    }
    let _ = path;
    Ok(())
}

/// Seconds since the epoch of `t`, for file times.
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_utc_instant_and_nothing_else_parses() {
        let name = name_for(1_795_000_000);
        assert_eq!(name, "mcp-oauth-20261118T110640Z.db");
        assert_eq!(parse_name(&name), Some(1_795_000_000));
        for other in [
            "mcp-oauth.db",
            "mcp-oauth-20261129T031500Z.db-wal",
            ".mcp-oauth-20261129T031500Z.db.partial-12",
            "mcp-oauth-2026112XT031500Z.db",
            "notes.txt",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }

    #[test]
    fn keep_n_deletes_only_the_oldest_of_our_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..4 {
            let p = dir.path().join(name_for(1_800_000_000 + i * 86_400));
            std::fs::write(&p, b"x").unwrap();
            paths.push(p);
        }
        let foreign = dir.path().join("mcp-oauth.db");
        std::fs::write(&foreign, b"x").unwrap();
        let deleted = prune(dir.path(), Retention::Keep(2), 0, &paths[3]).unwrap();
        assert_eq!(deleted, paths[..2].to_vec());
        assert!(foreign.exists() && paths[2].exists() && paths[3].exists());
        let deleted = prune(
            dir.path(),
            Retention::MaxAge(Duration::from_secs(86_400)),
            1_800_000_000 + 3 * 86_400 + 10,
            &paths[3],
        )
        .unwrap();
        assert_eq!(deleted, vec![paths[2].clone()]);
    }
}
