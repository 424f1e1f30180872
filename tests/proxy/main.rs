//! `warden proxy` between real clients and a real Kafka-protocol broker (Tansu, started per
//! test), validating against a real registry (`warden serve`, spawned on port 0).

#[allow(dead_code)]
#[path = "../fixtures/orders.rs"]
mod orders;

mod clients;
mod components;
mod policies;
mod python;
mod sasl;
mod shutdown;
mod support;
mod tls;
mod validation;
