//! PostgreSQL for tests: `initdb` into a temporary folder, `pg_ctl start` on a Unix socket.
//!
//! The server listens on no TCP address, only on a socket in its own folder; trust
//! authentication, `fsync` on. PostgreSQL refuses to run as root, so under root `initdb` and
//! `pg_ctl` run as the `postgres` system user (Debian's package creates it) and the folder
//! belongs to it. Dropping the handle stops the server (`pg_ctl stop -m immediate`) and
//! removes the folder.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::skipped;

/// A running PostgreSQL server of one test.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// uid and gid the server runs as (`postgres` when the tests run as root).
    owner: Option<(u32, u32)>,
    running: bool,
}

impl Postgres {
    /// Starts a fresh server; `None` after a `SKIPPED` line when PostgreSQL is not installed
    /// (a failure under IMPORTD_CI=1).
    pub fn start() -> Option<Postgres> {
        let test = std::thread::current().name().unwrap_or("a PostgreSQL test").to_string();
        let Some(bin) = find_bin() else {
            skipped(&test, "PostgreSQL (`initdb` in PATH or /usr/lib/postgresql/*/bin; .ci/run installs it)");
            return None;
        };
        let owner = if rustix::process::geteuid().is_root() {
            let Some(ids) = system_user("postgres") else {
                skipped(&test, "the `postgres` system user (PostgreSQL refuses to run as root)");
                return None;
            };
            Some(ids)
        } else {
            None
        };
        let dir = tempfile::Builder::new().prefix("importd-pg").tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sock")).expect("socket folder");
        if let Some((uid, gid)) = owner {
            for p in [dir.path().to_path_buf(), dir.path().join("sock")] {
                std::os::unix::fs::chown(&p, Some(uid), Some(gid)).expect("chown the server's folder");
            }
        }
        let mut pg = Postgres { dir, bin, owner, running: false };
        let data = pg.data();
        let out = pg
            .command("initdb")
            .args(["-D".as_ref(), data.as_os_str()])
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let conf = format!(
            "\nlisten_addresses = ''\nunix_socket_directories = '{}'\nunix_socket_permissions = 0777\n\
             fsync = on\nmax_connections = 60\nshared_buffers = 16MB\n",
            pg.socket_dir().display()
        );
        let mut text = std::fs::read_to_string(data.join("postgresql.conf")).expect("read postgresql.conf");
        text.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), text).expect("write postgresql.conf");
        pg.restart();
        Some(pg)
    }

    /// A URL for database `db` over the Unix socket, creating the database if it is missing.
    pub fn url(&self, db: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url_of("postgres"), postgres::NoTls).expect("connect as admin");
        let exists = admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db]).expect("look up database");
        if exists.is_none() {
            admin.batch_execute(&format!("CREATE DATABASE \"{db}\"")).expect("create database");
        }
        self.url_of(db)
    }

    fn url_of(&self, db: &str) -> String {
        // No host before the path: the socket folder is the only host (a `localhost` there
        // would be tried first, over TCP).
        format!("postgres://postgres@/{db}?host={}", self.socket_dir().display())
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are ended, the data is kept).
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        let data = self.data();
        let out = self
            .command("pg_ctl")
            .args(["-D".as_ref(), data.as_os_str()])
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("run pg_ctl stop");
        assert!(out.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
        self.running = false;
    }

    /// Starts the server again (or the first time), waiting until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let data = self.data();
        let log = self.dir.path().join("server.log");
        let out = self
            .command("pg_ctl")
            .args(["-D".as_ref(), data.as_os_str(), "-l".as_ref(), log.as_os_str()])
            .args(["-w", "-t", "60", "start"])
            .output()
            .expect("run pg_ctl start");
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(out.status.success(), "pg_ctl start failed: {}\n{server_log}", String::from_utf8_lossy(&out.stderr));
        self.running = true;
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    /// A PostgreSQL program, run as the server's owner from inside its folder.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(self.dir.path());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            let data = self.data();
            let _ = self
                .command("pg_ctl")
                .args(["-D".as_ref(), data.as_os_str()])
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

/// The folder holding `initdb`, `pg_ctl` and `postgres`: `initdb`'s in PATH (links followed),
/// or the newest /usr/lib/postgresql/<version>/bin.
fn find_bin() -> Option<PathBuf> {
    let in_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("initdb")).find(|p| p.is_file()));
    if let Some(dir) = in_path.and_then(|p| p.canonicalize().ok()).and_then(|p| p.parent().map(Path::to_path_buf)) {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The uid and gid of a system user, from /etc/passwd.
fn system_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == name).then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))?
    })
}
