//! Warden's pure core: the registry's domain types, schema formats, compatibility rules,
//! Confluent error codes and the REST API's request and response bodies.
//!
//! This crate does no I/O: it has no tokio, sqlx, axum or reqwest. The storage and server
//! crates build on it; so will the client side.

pub mod api;
pub mod avro;
pub mod compat;
pub mod context;
pub mod diff;
pub mod encryption;
pub mod error;
pub mod guid;
pub mod jackson;
pub mod json;
pub mod limits;
pub mod payload;
pub mod protobuf;
pub mod references;
pub mod rules;
pub mod schema;
pub mod tags;
pub mod types;
pub mod violation;
pub mod wire;

pub use compat::{CompatibilityResult, check_with_policy};
pub use context::Context;
pub use error::ErrorCode;
pub use guid::Guid;
pub use json::JsonSchema;
pub use limits::{Interrupt, Interrupted, Limit, LimitExceeded, SchemaLimits};
pub use payload::PayloadError;
pub use protobuf::ProtobufSchema;
pub use schema::{ParsedSchema, ResolvedReference, SchemaError, SchemaFormat, fingerprint};
pub use types::{
    CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId, SchemaType, Subject, Version,
    VersionSelector,
};
pub use violation::{Direction, Violation};
