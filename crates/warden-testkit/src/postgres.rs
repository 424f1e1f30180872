//! A private PostgreSQL server for one test: `initdb` in a temporary directory, started
//! with `pg_ctl` on a free loopback port, stopped when dropped.
//!
//! PostgreSQL refuses to run as root; when the tests run as root, the server runs as the
//! `postgres` system user (`runuser`), which owns the temporary directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running private PostgreSQL server.
#[derive(Debug)]
pub struct TempPostgres {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres_user: bool,
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, user])
        .output()
        .unwrap_or_else(|e| panic!("id {flag} {user}: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the system user {user} is needed to run PostgreSQL as root"))
}

impl TempPostgres {
    /// Runs `initdb` and starts the server; panics with the server log when it cannot.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let as_postgres_user = running_as_root();
        if as_postgres_user {
            std::os::unix::fs::chown(
                dir.path(),
                Some(id_of("postgres", "-u")),
                Some(id_of("postgres", "-g")),
            )
            .expect("chown the PostgreSQL directory");
        }
        let pg = Self {
            dir,
            port: crate::free_port(),
            as_postgres_user,
        };
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            pg.port,
            path(pg.dir.path())
        );
        let log = pg.dir.path().join("server.log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-o",
                &options,
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        );
        pg
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) {
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{program} could not start: {e}"));
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "{program} failed: {}\n{}\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Runs one SQL statement with `psql` as the `postgres` user on the `postgres`
    /// database and returns what it printed (unaligned, tuples only); panics when it fails.
    pub fn psql(&self, sql: &str) -> String {
        let port = self.port.to_string();
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-tAc", sql])
            .output()
            .unwrap_or_else(|e| panic!("psql could not start: {e}"));
        assert!(
            out.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for the `postgres` database.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// A URL for database `name` (create it first with [`TempPostgres::create_database`]).
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let port = self.port.to_string();
        self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name],
        );
        self.database_url(name)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "pg_ctl"]);
            c
        } else {
            Command::new("pg_ctl")
        };
        let _ = cmd
            .args(["-D", path(&data), "-m", "immediate", "-w", "stop"])
            .output();
    }
}
