//! Where schema files are read from: the working tree, a git revision, or a directory of
//! previous versions. Paths are relative to the project root, with `/` separators.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A read-only view of the project's files at one point in time.
#[derive(Debug)]
pub(crate) enum Source {
    /// Files on disk under `root` (the working tree, or a directory given with
    /// `--against DIR`).
    Dir {
        /// The directory that plays the project root.
        root: PathBuf,
    },
    /// Files as committed at `rev` in the git repository that holds `root`.
    Git {
        /// The project root, inside a git work tree.
        root: PathBuf,
        /// The revision as the user wrote it (`HEAD~1`, `origin/main`).
        rev: String,
        /// Every file at `rev` under `root`, relative to `root`, sorted.
        files: Vec<String>,
        /// Texts already read, by path.
        cache: std::sync::Mutex<std::collections::HashMap<String, String>>,
    },
}

impl Source {
    /// The files on disk under `root`.
    pub(crate) fn dir(root: &Path) -> anyhow::Result<Self> {
        if !root.is_dir() {
            bail!("{} is not a directory", root.display());
        }
        Ok(Self::Dir {
            root: root.to_path_buf(),
        })
    }

    /// The files at git revision `rev` of the repository that holds `root`.
    ///
    /// Errors: `root` is not in a git work tree, or `rev` names no commit.
    pub(crate) fn git(root: &Path, rev: &str) -> anyhow::Result<Self> {
        let commit = format!("{rev}^{{commit}}");
        let verify =
            git(root, &["rev-parse", "--verify", "--quiet", &commit]).context("cannot run git")?;
        if !verify.status.success() {
            let inside = git(root, &["rev-parse", "--is-inside-work-tree"])?;
            if !inside.status.success() {
                bail!("{} is not inside a git repository", root.display());
            }
            bail!("git revision '{rev}' does not exist");
        }
        // Without --full-tree, ls-tree lists the current directory's subtree, relative to it.
        let listed = git(root, &["ls-tree", "-r", "-z", "--name-only", rev])?;
        if !listed.status.success() {
            bail!(
                "git ls-tree {rev} failed: {}",
                String::from_utf8_lossy(&listed.stderr).trim()
            );
        }
        let mut files: Vec<String> = listed
            .stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        files.sort();
        Ok(Self::Git {
            root: root.to_path_buf(),
            rev: rev.to_owned(),
            files,
            cache: std::sync::Mutex::default(),
        })
    }

    /// How this source is named in reports: the directory, or `git:REV`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Dir { root } => root.display().to_string(),
            Self::Git { rev, .. } => format!("git:{rev}"),
        }
    }

    /// Every file of the source, relative to the root, sorted. Hidden directories (`.git`)
    /// and `target/` are skipped on disk.
    pub(crate) fn files(&self) -> anyhow::Result<Vec<String>> {
        let mut out = match self {
            Self::Git { files, .. } => files.clone(),
            Self::Dir { root } => {
                let mut out = Vec::new();
                let walker = walkdir::WalkDir::new(root)
                    .follow_links(true)
                    .into_iter()
                    .filter_entry(|e| {
                        e.depth() == 0
                            || !(e.file_type().is_dir()
                                && (e.file_name().to_string_lossy().starts_with('.')
                                    || e.file_name() == "target"
                                    || e.file_name() == "node_modules"))
                    });
                for entry in walker {
                    let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
                    if entry.file_type().is_file()
                        && let Ok(rel) = entry.path().strip_prefix(root)
                    {
                        out.push(slash_path(rel));
                    }
                }
                out
            }
        };
        out.sort();
        Ok(out)
    }

    /// The text of `path`, or `None` when the file does not exist in this source.
    ///
    /// Errors: the file exists but cannot be read or is not UTF-8.
    pub(crate) fn read(&self, path: &str) -> anyhow::Result<Option<String>> {
        match self {
            Self::Dir { root } => {
                let full = root.join(path);
                if !full.is_file() {
                    return Ok(None);
                }
                std::fs::read_to_string(&full)
                    .map(Some)
                    .with_context(|| format!("cannot read {}", full.display()))
            }
            Self::Git {
                root,
                rev,
                files,
                cache,
            } => {
                if files.binary_search_by(|f| f.as_str().cmp(path)).is_err() {
                    return Ok(None);
                }
                if let Some(text) = cache.lock().expect("cache lock").get(path) {
                    return Ok(Some(text.clone()));
                }
                let out = git(root, &["show", &format!("{rev}:./{path}")])?;
                if !out.status.success() {
                    bail!(
                        "cannot read {path} at {rev}: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                }
                let text = String::from_utf8(out.stdout)
                    .with_context(|| format!("{path} at {rev} is not UTF-8"))?;
                cache
                    .lock()
                    .expect("cache lock")
                    .insert(path.to_owned(), text.clone());
                Ok(Some(text))
            }
        }
    }
}

fn git(root: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .context("cannot run git (is it installed?)")
}

/// A relative path with `/` separators.
pub(crate) fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `a/b/../c` → `a/c`, `./a` → `a`; `None` when the path climbs above the root.
pub(crate) fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}
