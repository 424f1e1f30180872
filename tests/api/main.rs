//! Black-box tests of the registry over HTTP: each test starts the real server on a free
//! port with a fresh SQLite file (`warden_testkit::spawn_app`).

mod associations;
mod basics;
mod caches;
mod clients;
mod compatibility;
mod concurrency;
mod config_mode;
mod confluent_cases;
mod contexts;
mod corpus;
mod data_contracts;
mod dek_registry;
mod delete;
mod diff;
mod errors;
mod formats;
mod import_mode;
mod interop;
mod jackson_bodies;
mod json;
mod limits;
mod openapi;
mod ops;
mod protobuf;
mod read_fields;
mod references;
mod register;
mod request_bodies;
mod schema_text;
mod slow_clients;
mod tags;
mod ui;

/// An Avro record schema named `name` with the given fields (JSON array text).
pub(crate) fn record(name: &str, fields: &str) -> String {
    format!(r#"{{"type":"record","name":"{name}","namespace":"com.acme","fields":{fields}}}"#)
}

/// The `User` schema of `schemas/user-value.avsc`.
pub(crate) fn user_v1() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/user-value.avsc"
    ))
    .expect("schemas/user-value.avsc")
}
