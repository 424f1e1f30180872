//! Warden's registry service: the [`Registry`] application service (register, lookup,
//! compatibility, config, mode, soft and hard delete, references), the Confluent-compatible
//! HTTP API over it ([`http::app`]), and [`Application`], which binds and serves.

pub mod error;
pub mod http;
pub mod metrics;
pub mod registry;
pub mod security;
mod serve;
mod settings;
mod startup;

pub use error::Error;
pub use registry::Registry;
pub use settings::Settings;
pub use startup::{Application, shutdown_signal};
