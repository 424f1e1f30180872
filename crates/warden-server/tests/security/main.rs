//! Security of `warden serve`, black-box: a real registry on a loopback port with TLS,
//! authentication, authorization rules and rate limits from a config file, driven over
//! HTTP(S).

mod audit;
mod authn;
mod authz;
mod dek_registry;
mod diff;
mod limits;
mod python;
mod support;
mod tls;
mod ui;
