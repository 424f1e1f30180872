//! Exit codes of the CI and admin commands: 0 success, 1 incompatible, 2 usage or input
//! errors (a missing or bad `warden.toml`, a schema that does not parse, a git revision that
//! does not exist, a registry that does not answer). `warden serve` keeps exiting 1 when it
//! cannot start.

use std::process::ExitCode;

/// An exit with this code whose output was already written: `main` prints nothing more.
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
pub(crate) struct Exit(pub(crate) u8);

/// An error that is the user's input (exit 2), as opposed to a failure of `warden serve`.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub(crate) struct Input(pub(crate) anyhow::Error);

/// Marks an error of a CI or admin command as an input error (exit 2), unless it is already
/// an [`Exit`].
pub(crate) fn input(e: anyhow::Error) -> anyhow::Error {
    if e.is::<Exit>() { e } else { Input(e).into() }
}

/// Prints `e` on one line (unless it is an [`Exit`]) and returns the process exit code.
pub(crate) fn report(e: &anyhow::Error) -> ExitCode {
    if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
        return ExitCode::from(*code);
    }
    // One clear line: the whole cause chain on it, newlines folded.
    let line = format!("{e:#}").replace('\n', " ");
    eprintln!("warden: {line}");
    if e.is::<Input>() {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}
