//! The client side against a real registry: `warden-client` over HTTP and `warden-serde`'s
//! serializers and deserializers.

// Each binary uses part of the shared fixtures.
#[allow(dead_code)]
#[path = "../fixtures/orders.rs"]
mod orders;

#[allow(dead_code)]
#[path = "../fixtures/confluent_rust.rs"]
mod confluent;

mod confluent_rust;
mod encryption;
mod encryption_rotation;
mod interop;
mod migrations;
mod registry_client;
mod rule_actions;
mod rules;
mod serializers;
