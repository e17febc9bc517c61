//! A real `sqld` (the libSQL server Turso runs) on a loopback port, for the remote-database
//! tests. Found at `$SQLD`, then `sqld` on `PATH`, then `../shared/tools/sqld` (which CI has).
//! Without one, [`Sqld::start`] prints how to get it and the test returns early.
#![allow(dead_code)] // each test binary uses its own part of the harness

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcp_oauth::storage::{migrations, DatabaseTarget, Store};

pub struct Sqld {
    binary: PathBuf,
    dir: tempfile::TempDir,
    pub addr: SocketAddr,
    child: Option<Child>,
}

/// The sqld binary, if this machine has one.
pub fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SQLD").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    if let Some(found) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("sqld"))
            .find(|candidate| candidate.is_file())
    }) {
        return Some(found);
    }
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/sqld");
    if !wrapper.is_file() {
        return None;
    }
    let out = Command::new("bash").arg(&wrapper).arg("--path").output().ok()?;
    let path = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| PathBuf::from(path.trim()))
}

impl Sqld {
    /// A fresh sqld on a free loopback port, or `None` (after saying how to get one).
    pub fn start() -> Option<Sqld> {
        let Some(binary) = binary() else {
            // CI carries ../shared/tools/sqld: there, a missing sqld is a broken setup, not a skip.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but no sqld was found (SQLD, PATH, ../shared/tools/sqld)"
            );
            eprintln!(
                "skipped: no sqld. Set SQLD=/path/to/sqld, put sqld on PATH, or keep ../shared/tools/sqld beside the repository"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            probe.local_addr().expect("addr")
        };
        let mut sqld = Sqld {
            binary,
            dir,
            addr,
            child: None,
        };
        sqld.spawn();
        Some(sqld)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn target(&self) -> DatabaseTarget {
        DatabaseTarget::Remote {
            url: self.url(),
            auth_token: None,
        }
    }

    /// A store on this server, migrated.
    pub async fn migrated_store(&self) -> Store {
        let store = Store::open(&self.target()).await.expect("open remote store");
        migrations::apply_pending(&store).await.expect("migrate on sqld");
        store
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.binary)
            .arg("--db-path")
            .arg(self.dir.path().join("data.sqld"))
            .arg("--http-listen-addr")
            .arg(self.addr.to_string())
            .arg("--no-welcome")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sqld");
        self.child = Some(child);
        self.wait_until_listening();
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sqld did not listen on {} within 20 s", self.addr);
    }

    /// Kills the server (SIGKILL: an outage, not a shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same address and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Sqld {
    fn drop(&mut self) {
        self.kill();
    }
}
