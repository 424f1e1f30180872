//! Shared by the `warden` process tests: running the binary, temporary git repositories,
//! and the corpus.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/corpus`, next to the workspace.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// What a `warden` run printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `warden args…` in `dir`, with no registry settings from the environment and no
/// colors.
pub fn warden(dir: &Path, args: &[&str]) -> Run {
    warden_env(dir, args, &[])
}

/// [`warden`] with extra environment variables.
pub fn warden_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .current_dir(dir)
        .env_remove("WARDEN_REGISTRY_URL")
        .env_remove("WARDEN_REGISTRY_AUTH")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("warden runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// A git repository in a temporary directory, with a local identity and no signing.
#[derive(Debug)]
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Warden Tests"]);
        repo.git(&["config", "user.email", "tests@warden.invalid"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository and panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes `text` to `path` (folders created).
    pub fn write(&self, path: &str, text: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    /// Removes a file or folder if it exists.
    pub fn remove(&self, path: &str) {
        let full = self.path().join(path);
        if full.is_dir() {
            std::fs::remove_dir_all(full).unwrap();
        } else if full.exists() {
            std::fs::remove_file(full).unwrap();
        }
    }

    /// Stages everything and commits (empty commits allowed).
    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }
}
