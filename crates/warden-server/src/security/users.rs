//! HTTP basic authentication against a users file of password hashes.
//!
//! The file has one user a line, `NAME:HASH` or `NAME:HASH:GROUP,GROUP`, where `HASH` is an
//! argon2id PHC string (`$argon2id$v=19$m=…`) as [`hash_password`] and `warden user add`
//! write it. Blank lines and lines starting with `#` are ignored. The file is read again
//! when it changes (see [`crate::security::Security::reload_changed`]).
//!
//! A password is checked against its hash once: a successful check is cached under a
//! SHA-256 of the name, the password and the stored hash, so later requests with the same
//! credentials pay a hash lookup, not argon2's cost, and a changed hash in the file (a new
//! password) invalidates the entry by itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use super::rules::Principal;
use super::watch::FileStamp;

/// One user of the file.
#[derive(Debug, Clone)]
struct User {
    hash: String,
    groups: Vec<String>,
}

/// Why a users file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersFileError {
    /// The file cannot be read.
    #[error("cannot read the users file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not `NAME:HASH[:GROUPS]` with an argon2 hash.
    #[error("users file {path}, line {line}: {reason}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file cannot be written.
    #[error("cannot write the users file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The password could not be hashed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

fn parse(path: &Path, text: &str) -> Result<HashMap<String, User>, UsersFileError> {
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: &str| UsersFileError::Line {
            path: path.to_owned(),
            line: i + 1,
            reason: reason.to_owned(),
        };
        let mut parts = line.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let hash = parts.next().ok_or_else(|| bad("expected NAME:HASH"))?;
        if name.is_empty() {
            return Err(bad("empty user name"));
        }
        PasswordHash::new(hash).map_err(|e| bad(&format!("not a PHC password hash: {e}")))?;
        let groups = parts
            .next()
            .map(|g| {
                g.split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        users.insert(
            name.to_owned(),
            User {
                hash: hash.to_owned(),
                groups,
            },
        );
    }
    Ok(users)
}

/// The users of a users file, with a cache of verified credentials.
pub struct UsersFile {
    path: PathBuf,
    users: RwLock<(FileStamp, Arc<HashMap<String, User>>)>,
    verified: moka::sync::Cache<[u8; 32], ()>,
}

impl std::fmt::Debug for UsersFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither hashes nor cache keys are printed.
        f.debug_struct("UsersFile")
            .field("path", &self.path)
            .field("users", &self.users.read().map(|u| u.1.len()).unwrap_or(0))
            .finish_non_exhaustive()
    }
}

impl UsersFile {
    /// Reads the users file at `path`.
    pub fn load(path: &Path) -> Result<Self, UsersFileError> {
        let stamp = FileStamp::of(path);
        let users = read(path)?;
        Ok(Self {
            path: path.to_owned(),
            users: RwLock::new((stamp, Arc::new(users))),
            verified: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        })
    }

    /// Reads the file again if it changed since it was last read; a file that no longer
    /// parses is reported and the users read before stay in force.
    pub fn reload_if_changed(&self) {
        let stamp = FileStamp::of(&self.path);
        if self.users.read().map(|u| u.0 == stamp).unwrap_or(true) {
            return;
        }
        match read(&self.path) {
            Ok(users) => {
                tracing::info!(path = %self.path.display(), users = users.len(), "users file reloaded");
                if let Ok(mut guard) = self.users.write() {
                    *guard = (stamp, Arc::new(users));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "users file not reloaded; the previous users stay");
                if let Ok(mut guard) = self.users.write() {
                    guard.0 = stamp;
                }
            }
        }
    }

    /// Whether `name` with `password` was verified before (so [`Self::verify`] is cheap).
    pub fn is_cached(&self, name: &str, password: &str) -> bool {
        let Some(users) = self.users.read().ok().map(|u| Arc::clone(&u.1)) else {
            return false;
        };
        users.get(name).is_some_and(|user| {
            self.verified
                .contains_key(&cache_key(name, password, &user.hash))
        })
    }

    /// The principal `name` is when `password` is theirs; `None` for an unknown user or a
    /// wrong password.
    pub fn verify(&self, name: &str, password: &str) -> Option<Principal> {
        let users = self.users.read().ok().map(|u| Arc::clone(&u.1))?;
        let Some(user) = users.get(name) else {
            // As long as a wrong password takes, so the answer's time does not tell which
            // names exist.
            if let Some(parsed) = dummy_hash().and_then(|h| PasswordHash::new(h).ok()) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
            }
            return None;
        };
        let key = cache_key(name, password, &user.hash);
        // Concurrent first requests with the same credentials wait for one verification
        // rather than each paying argon2 (a burst of clients starting at once).
        self.verified
            .try_get_with(key, || {
                let parsed = PasswordHash::new(&user.hash).map_err(|_| ())?;
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .map_err(|_| ())
            })
            .ok()?;
        Some(Principal {
            name: name.to_owned(),
            groups: user.groups.clone(),
        })
    }
}

/// A hash of a random password, verified against for unknown users.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()).ok())
        .as_deref()
}

/// The cache key of verified credentials: the stored hash is part of it, so a new
/// password in the file is verified again.
fn cache_key(name: &str, password: &str, hash: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([0])
        .chain_update(password.as_bytes())
        .chain_update([0])
        .chain_update(hash.as_bytes())
        .finalize()
        .into()
}

fn read(path: &Path) -> Result<HashMap<String, User>, UsersFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| UsersFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// An argon2id PHC hash of `password` with a fresh random salt (argon2's default cost).
pub fn hash_password(password: &str) -> Result<String, UsersFileError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersFileError::Hash(e.to_string()))
}

/// Adds `name` to the users file at `path` (created when missing, with mode 0600 on
/// Unix), or replaces its entry, with a hash of `password` and `groups`. The file is
/// written to a temporary file beside it and renamed over it, so a running registry never
/// reads half of it. Returns whether the user already existed.
pub fn add_user(
    path: &Path,
    name: &str,
    password: &str,
    groups: &[String],
) -> Result<bool, UsersFileError> {
    if name.is_empty() || name.contains(':') || name.contains(char::is_whitespace) {
        return Err(UsersFileError::Line {
            path: path.to_owned(),
            line: 0,
            reason: format!("user name {name:?} is empty or has ':' or white space"),
        });
    }
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => {
            parse(path, &text)?;
            text
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(UsersFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let hash = hash_password(password)?;
    let mut entry = format!("{name}:{hash}");
    if !groups.is_empty() {
        entry.push(':');
        entry.push_str(&groups.join(","));
    }
    let mut replaced = false;
    let mut lines: Vec<String> = existing
        .lines()
        .map(|line| {
            if line.trim().split(':').next() == Some(name) && !line.trim().starts_with('#') {
                replaced = true;
                entry.clone()
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !replaced {
        lines.push(entry);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let write_err = |source| UsersFileError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("users")
    ));
    write_private(&tmp, text.as_bytes()).map_err(write_err)?;
    std::fs::rename(&tmp, path).map_err(write_err)?;
    Ok(replaced)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_added_to_the_file_verifies_with_their_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        assert!(!add_user(&path, "alice", "s3cret", &["team-a".into()]).unwrap());
        assert!(!add_user(&path, "bob", "hunter2", &[]).unwrap());
        let users = UsersFile::load(&path).unwrap();
        let alice = users.verify("alice", "s3cret").unwrap();
        assert_eq!(alice.groups, ["team-a"]);
        assert!(
            users.verify("alice", "s3cret").is_some(),
            "cached the second time"
        );
        assert!(users.verify("alice", "wrong").is_none());
        assert!(users.verify("carol", "s3cret").is_none());
        assert!(add_user(&path, "alice", "changed", &[]).unwrap());
        users.reload_if_changed();
        assert!(
            users.verify("alice", "s3cret").is_none(),
            "old password after change"
        );
        assert!(users.verify("alice", "changed").is_some());
    }
}
