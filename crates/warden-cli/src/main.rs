//! `warden`: the registry server, the CLI for CI and administration, and JSON-lines
//! producing and consuming through the registry.

mod admin;
mod check;
mod diff;
mod exit;
mod init;
mod project;
mod register;
mod registry;
mod resolve;
mod source;
mod stream;
mod transfer;
mod usage;
mod user;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// The process's allocator: mimalloc's thread-local free lists instead of glibc's arenas.
/// Under load, glibc's `malloc`/`free` (with arena lock contention between the runtime's
/// worker threads) took about 14 % of the server's samples in a re-registration (BENCHMARKS.md,
/// "One allocator, routes without their descriptions, one codegen unit"). Without
/// transparent huge pages (`no_thp`): with them its arenas took 2 MiB pages and the RSS grew.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Warden, a schema registry for Kafka that speaks the Confluent Schema Registry API.
#[derive(Debug, Parser)]
#[command(name = "warden", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the registry (embedded SQLite by default).
    Serve(warden_server::Settings),
    /// Run a Kafka-protocol proxy that refuses produced records that do not match the
    /// registry's schemas (INVALID_RECORD, with the record, rule and field path).
    Proxy(warden_proxy::ProxyArgs),
    /// Merge the schema usage figures of `warden proxy` instances and list the registered
    /// versions no record has used for a given time.
    Usage(usage::UsageArgs),
    /// Write a starting warden.toml from the schema files found in the repository.
    Init(init::InitArgs),
    /// Check the project's schemas for compatibility with a git revision, a directory or a
    /// registry (exit 0 compatible, 1 incompatible, 2 usage or input errors).
    Check(check::CheckArgs),
    /// Register the project's schemas in dependency order (idempotent).
    Register(register::RegisterArgs),
    /// List subjects.
    Subjects(admin::SubjectsArgs),
    /// List a subject's versions.
    Versions(admin::VersionsArgs),
    /// Print one version of a subject (the latest by default).
    Get(admin::GetArgs),
    /// Show or set the compatibility level, globally or for a subject.
    Config(admin::ConfigArgs),
    /// Show or set the mode, globally or for a subject.
    Mode(admin::ModeArgs),
    /// Delete a subject or one version (soft, then --permanent).
    Delete(admin::DeleteArgs),
    /// Export every subject, version, schema id, config and mode of a registry to a file.
    Export(transfer::ExportArgs),
    /// Import an export (file or registry URL) with ids and versions preserved.
    Import(transfer::ImportArgs),
    /// Produce JSON lines from stdin to a topic, each validated against the subject's
    /// latest schema; refused lines are reported with their field path (exit 1).
    Produce(stream::ProduceArgs),
    /// Print a topic's records decoded by schema id as JSON lines.
    Consume(stream::ConsumeArgs),
    /// Show every change between two schemas, compatible or breaking per direction with its
    /// rule, and the verdict under each level: `warden diff SUBJECT V W` from a registry,
    /// `warden diff FILE_A FILE_B` offline.
    Diff(diff::DiffArgs),
    /// Print the registry API's OpenAPI 3.1 description (what `GET /openapi.json` serves).
    Openapi,
    /// Manage the users file of the registry's HTTP basic authentication.
    User(user::UserArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run(cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // One clear line, the whole cause chain on it (exit 2 for the CLI's input errors).
        Err(e) => exit::report(&e),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(settings) => {
            // Signals are listened for before the port is bound (see `shutdown_signal`).
            let stop = warden_server::shutdown_signal();
            let app = warden_server::Application::build(&settings).await?;
            app.run_until(stop).await?;
        }
        Command::Proxy(args) => {
            let stop = warden_server::shutdown_signal();
            let config =
                warden_proxy::ProxyConfig::from_args(&args).map_err(|e| exit::input(e.into()))?;
            // A TLS file that does not load is an input error (exit 2), as a bad flag is.
            let proxy = warden_proxy::Proxy::build(config)
                .await
                .map_err(|e| match e {
                    warden_proxy::ProxyError::Config(_) => exit::input(e.into()),
                    other => other.into(),
                })?;
            proxy.run_until(stop).await?;
        }
        Command::Usage(args) => usage::run(args).await.map_err(exit::input)?,
        Command::Init(args) => init::run(&args).map_err(exit::input)?,
        Command::Check(args) => check::run(args).await.map_err(exit::input)?,
        Command::Register(args) => register::run(args).await.map_err(exit::input)?,
        Command::Subjects(args) => admin::subjects(args).await.map_err(exit::input)?,
        Command::Versions(args) => admin::versions(args).await.map_err(exit::input)?,
        Command::Get(args) => admin::get(args).await.map_err(exit::input)?,
        Command::Config(args) => admin::config(args).await.map_err(exit::input)?,
        Command::Mode(args) => admin::mode(args).await.map_err(exit::input)?,
        Command::Delete(args) => admin::delete(args).await.map_err(exit::input)?,
        Command::Export(args) => transfer::export(args).await.map_err(exit::input)?,
        Command::Import(args) => transfer::import(args).await.map_err(exit::input)?,
        Command::Produce(args) => stream::produce(args).await.map_err(exit::input)?,
        Command::Consume(args) => stream::consume(args).await.map_err(exit::input)?,
        Command::Diff(args) => diff::run(args).await.map_err(exit::input)?,
        Command::Openapi => print!("{}", warden_server::http::openapi::document_json()),
        Command::User(args) => user::run(args).map_err(exit::input)?,
    }
    Ok(())
}

#[cfg(test)]
mod cli_tests {
    use clap::CommandFactory;

    #[test]
    fn every_subcommands_arguments_are_consistent() {
        // clap's debug assertions: unique argument ids (the shared registry flags must not
        // collide with a subcommand's own), valid defaults and conflicts.
        super::Cli::command().debug_assert();
    }
}
