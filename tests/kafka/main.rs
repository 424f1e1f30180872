//! The validating producer and the schema-aware consumer against a real Kafka-protocol
//! broker (Tansu, started per test) and a real registry (spawned on port 0).

// Each binary uses part of the shared fixtures.
#[allow(dead_code)]
#[path = "../fixtures/orders.rs"]
mod orders;

#[allow(dead_code)]
#[path = "../fixtures/confluent_rust.rs"]
mod confluent;

mod confluent_rust;
mod dead_letter;
mod guid_headers;
mod python_clients;
mod roundtrip;
mod rules;
mod support;
mod unavailable;
