//! Security of `warden serve`, black-box: a real registry on a loopback port with TLS,
//! authentication and authorization rules from a config file, driven over HTTP(S).

mod audit;
mod authn;
mod authz;
mod python;
mod support;
mod tls;
