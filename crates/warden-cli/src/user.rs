//! `warden user add NAME`: writes a user of the registry's HTTP basic authentication to its
//! users file (argon2id hash), prompting for the password without echo.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};

/// `warden user …`.
#[derive(Debug, clap::Args)]
pub(crate) struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Add a user, or set a user's password and groups (the registry reads the file again
    /// within a second; no restart).
    Add(AddArgs),
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The user's name (the principal the authorization rules name).
    name: String,
    /// The users file (created with mode 0600 when missing).
    #[arg(long, env = "WARDEN_USERS_FILE", default_value = "users")]
    users_file: PathBuf,
    /// Groups the user belongs to, comma-separated (rules may grant to groups).
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

pub(crate) fn run(args: UserArgs) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Add(add) => {
            let password = if add.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                let first = rpassword::prompt_password(format!("Password for {}: ", add.name))
                    .context("cannot read the password")?;
                let again =
                    rpassword::prompt_password("Again: ").context("cannot read the password")?;
                if first != again {
                    bail!("the passwords differ");
                }
                first
            };
            if password.is_empty() {
                bail!("the password is empty");
            }
            let replaced = warden_server::security::users::add_user(
                &add.users_file,
                &add.name,
                &password,
                &add.groups,
            )?;
            eprintln!(
                "{} {} in {}",
                if replaced { "updated" } else { "added" },
                add.name,
                add.users_file.display()
            );
        }
    }
    Ok(())
}
