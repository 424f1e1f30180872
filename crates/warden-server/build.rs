//! Records the commit the server is built from (`WARDEN_COMMIT_ID`, answered by
//! `GET /v1/metadata/version` as Confluent answers its own commit id): the environment's
//! `WARDEN_COMMIT_ID` when set (release builds from a source archive), else `git rev-parse
//! HEAD` when the source is a git checkout, else nothing.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=WARDEN_COMMIT_ID");
    if std::env::var_os("WARDEN_COMMIT_ID").is_some() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(commit) = git(dir, &["rev-parse", "HEAD"]) else {
        return;
    };
    println!("cargo:rustc-env=WARDEN_COMMIT_ID={commit}");
    // Built again when the checked-out commit moves: HEAD, and the branch it points to.
    if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = Path::new(&git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", git_dir.join(branch).display());
        }
    }
}
