//! Warden's pure core: the registry's domain types, schema formats, compatibility rules,
//! Confluent error codes and the REST API's request and response bodies.
//!
//! This crate does no I/O: it has no tokio, sqlx, axum or reqwest. The storage and server
//! crates build on it; so will the client side.

pub mod api;
pub mod avro;
pub mod compat;
pub mod error;
pub mod schema;
pub mod types;

pub use compat::{CompatibilityResult, Violation};
pub use error::ErrorCode;
pub use schema::{ParsedSchema, ResolvedReference, SchemaError, fingerprint};
pub use types::{CompatibilityLevel, Mode, SchemaId, SchemaType, Subject, Version};
