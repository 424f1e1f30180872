//! `warden`: the registry server and (later) the CLI for CI and administration.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

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
        Err(e) => {
            // One clear line, the whole cause chain on it.
            eprintln!("warden: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(settings) => {
            let app = warden_server::Application::build(&settings).await?;
            app.run_until_stopped().await?;
        }
    }
    Ok(())
}
