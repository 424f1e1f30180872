//! The client side against a real registry: `warden-client` over HTTP and `warden-serde`'s
//! serializers and deserializers.

mod registry_client;
