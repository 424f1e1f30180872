//! `warden serve` settings: clap flags, each with an environment twin.

use std::net::SocketAddr;

/// How the registry starts.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "WARDEN_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,

    /// Storage URL: `sqlite://PATH` (created with its tables on first start).
    #[arg(
        long,
        env = "WARDEN_DATABASE_URL",
        default_value = "sqlite://warden.db"
    )]
    pub database_url: String,

    /// Largest request body accepted, in bytes; larger ones answer 413.
    #[arg(long, env = "WARDEN_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Seconds a request may take before it is answered 500 (Confluent 50002).
    #[arg(long, env = "WARDEN_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds between checks that cached schemas still exist, the safety net behind the
    /// hard-delete announcements replicas send each other over PostgreSQL.
    #[arg(long, env = "WARDEN_CACHE_REVALIDATE_SECS", default_value_t = 30)]
    pub cache_revalidate_secs: u64,
}

impl Settings {
    /// Settings for a database URL on a free loopback port (tests, embedding).
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            cache_revalidate_secs: 30,
        }
    }
}
