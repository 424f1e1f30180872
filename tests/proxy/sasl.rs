//! SASL passed through the proxy to the broker, unread.
//!
//! What Tansu 0.6 (as CI installs it, memory storage) allows to test: with
//! `--authentication` it refuses every request but ApiVersions and SASL until the connection
//! has authenticated, and offers SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER, not PLAIN
//! (its SASL server answers `NoSharedMechanism` to PLAIN and closes the connection).
//! SCRAM credentials are stored with `AlterUserScramCredentials`, which must itself come over
//! an authenticated connection, and memory storage starts empty: no client can ever
//! authenticate. So these tests show that the handshake and the authentication requests reach
//! the broker and that its answers come back byte for byte as the broker sent them, on the
//! bootstrap and on a per-broker listener, and that librdkafka's SASL exchange (plain text and
//! over a TLS proxy) ends in the broker's own refusal. A successful SASL login through the
//! proxy needs a broker that accepts one (PLAIN on Apache Kafka, or Tansu with PostgreSQL
//! storage and a stored user).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, MetadataRequest, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord};
use warden_proxy::{MIN_SASL_HANDSHAKE_VERSION, ProxyConfig};
use warden_testkit::kafka::{Broker, BrokerOptions};

use crate::components::Pki;
use crate::support::{Env, RawClient, RunningProxy, producer_config};

/// The raw answers (header and body) on a new connection to `address` to a SCRAM-SHA-256
/// handshake (v1), to the client's first SCRAM message and to its final message with a proof
/// that cannot be right (SaslAuthenticate v2).
async fn scram_exchange(address: &str) -> (Bytes, Bytes, Bytes) {
    let mut client = RawClient::connect(address).await;
    let mut handshake = SaslHandshakeRequest::default();
    handshake.mechanism = StrBytes::from_static_str("SCRAM-SHA-256");
    client.send(&handshake, 1).await;
    let handshake = client.receive_raw().await;
    let mut first = SaslAuthenticateRequest::default();
    first.auth_bytes = Bytes::from_static(b"n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL");
    client.send(&first, 2).await;
    let server_first = client.receive_raw().await;
    let answer: SaslAuthenticateResponse = body(server_first.clone(), 1, 2);
    let text = String::from_utf8(answer.auth_bytes.to_vec()).expect("SCRAM is text");
    let nonce = text
        .split(',')
        .find_map(|part| part.strip_prefix("r="))
        .expect("the server's nonce");
    let mut last = SaslAuthenticateRequest::default();
    last.auth_bytes = Bytes::from(format!(
        "c=biws,r={nonce},p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    ));
    client.send(&last, 2).await;
    (handshake, server_first, client.receive_raw().await)
}

/// The body of a response frame, after its header (v0 for SaslHandshake v1; v1, flexible,
/// for SaslAuthenticate v2).
fn body<R: Decodable>(mut frame: Bytes, header_version: i16, version: i16) -> R {
    kafka_protocol::messages::ResponseHeader::decode(&mut frame, header_version).unwrap();
    R::decode(&mut frame, version).unwrap()
}

/// librdkafka client settings for SASL/SCRAM-SHA-256 as alice, over TLS trusting `ca` when
/// given (`sasl_ssl`), else in plain text (`sasl_plaintext`).
fn scram_client(bootstrap: &str, ca: Option<&std::path::Path>) -> ClientConfig {
    let mut config = producer_config(bootstrap);
    config
        .set("sasl.mechanism", "SCRAM-SHA-256")
        .set("sasl.username", "alice")
        .set("sasl.password", "alice-secret")
        .set("broker.address.family", "v4")
        .set("message.timeout.ms", "5000");
    match ca {
        Some(ca) => config
            .set("security.protocol", "sasl_ssl")
            .set("ssl.ca.location", ca.display().to_string()),
        None => config.set("security.protocol", "sasl_plaintext"),
    };
    config
}

/// The errors librdkafka reports, kept for the test to read.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

impl ClientContext for Errors {
    fn error(&self, error: KafkaError, reason: &str) {
        self.0.lock().unwrap().push(format!("{error}: {reason}"));
    }
}

#[tokio::test]
async fn sasl_requests_reach_the_broker_and_its_answers_come_back_unchanged() {
    let pki = Pki::new();
    let tansu = Broker::start_with(&BrokerOptions {
        authentication: true,
        ..BrokerOptions::default()
    });
    // No record is produced here, so the registry is never asked.
    let mut config = ProxyConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        &tansu.bootstrap_servers,
        "http://127.0.0.1:9",
    );
    config.admin_listen = "127.0.0.1:0".parse().unwrap();
    config.advertised_host = "localhost".into();
    let mut plain = RunningProxy::start(config.clone());
    config.tls = Some(pki.proxy_tls(false));
    let mut tls = RunningProxy::start(config);

    // The proxy offers SaslHandshake from v1 on (SASL tokens inside SaslAuthenticate).
    let mut raw = RawClient::connect(&plain.address).await;
    let versions = raw.call(&ApiVersionsRequest::default(), 0).await;
    let offered = |key: ApiKey| {
        versions
            .api_keys
            .iter()
            .find(|k| k.api_key == key as i16)
            .map(|k| (k.min_version, k.max_version))
    };
    assert_eq!(
        offered(ApiKey::SaslHandshake),
        Some((MIN_SASL_HANDSHAKE_VERSION, 1))
    );
    assert!(offered(ApiKey::SaslAuthenticate).is_some());

    // The same exchange straight to Tansu and through the proxy: the same answers back,
    // byte for byte but for the server's random nonce and salt in its first SCRAM message.
    let direct = scram_exchange(&tansu.bootstrap_servers).await;
    let proxied = scram_exchange(&plain.address).await;
    assert_eq!(proxied.0, direct.0, "the handshake answer, byte for byte");
    assert_eq!(proxied.2, direct.2, "the final answer, byte for byte");
    let handshake: SaslHandshakeResponse = body(proxied.0, 0, 1);
    assert_eq!(handshake.error_code, 0, "{handshake:?}");
    assert_eq!(
        handshake.mechanisms,
        [StrBytes::from_static_str("SCRAM-SHA-256")]
    );
    for first in [&proxied.1, &direct.1] {
        let first: SaslAuthenticateResponse = body(first.clone(), 1, 2);
        assert_eq!(first.error_code, 0, "{first:?}");
        let text = String::from_utf8_lossy(&first.auth_bytes).into_owned();
        assert!(
            text.starts_with("r=fyko+d2lbbFgONRv9qkxdawL") && text.contains(",s="),
            "the server's first SCRAM message, continuing the client's nonce: {text}"
        );
    }
    // Tansu knows no alice: its final SCRAM message is the RFC 5802 server error.
    let last: SaslAuthenticateResponse = body(proxied.2, 1, 2);
    assert_eq!(&last.auth_bytes[..], b"e=unknown-user", "{last:?}");

    // librdkafka's own SCRAM exchange, in plain text and over the TLS proxy: the handshake
    // succeeds, the authentication goes to the broker, and its refusal reaches the client.
    for (what, config) in [
        ("sasl_plaintext", scram_client(&plain.address, None)),
        (
            "sasl_ssl",
            scram_client(
                &tls.address.replace("127.0.0.1", "localhost"),
                Some(&pki.ca()),
            ),
        ),
    ] {
        let errors = Errors::default();
        let producer: FutureProducer<Errors> = config.create_with_context(errors.clone()).unwrap();
        let outcome = producer
            .send(
                FutureRecord::to("any-topic").key("k").payload("v"),
                Duration::from_secs(5),
            )
            .await;
        assert!(outcome.is_err(), "{what}: not authenticated, not delivered");
        let errors = errors.0.lock().unwrap().clone();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("SASL") && e.contains("unknown-user")),
            "{what}: the broker's refusal of the SaslAuthenticate request: {errors:?}"
        );
    }

    // Without SASL, the broker lets nothing through the proxy: it closes the connection.
    let mut unauthenticated = RawClient::connect(&plain.address).await;
    unauthenticated.send(&MetadataRequest::default(), 4).await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(unauthenticated.stream(), &mut rest),
    )
    .await
    .expect("the connection closes");
    assert!(
        closed.is_err() || rest.is_empty(),
        "no Metadata answer: {rest:?}"
    );
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test]
async fn a_per_broker_listener_forwards_sasl_handshakes_to_its_broker() {
    // Bootstrapped by name while Tansu advertises its IP: the broker gets a listener of its
    // own. This Tansu has no SASL configured: it answers UNSUPPORTED_SASL_MECHANISM.
    let env = Env::start_with(|config| {
        config.bootstrap_servers = config
            .bootstrap_servers
            .iter()
            .map(|s| s.replace("127.0.0.1", "localhost"))
            .collect();
    })
    .await;
    let metadata = RawClient::connect(&env.proxy)
        .await
        .call(&MetadataRequest::default(), 4)
        .await;
    let broker = &metadata.brokers[0];
    let listener = format!("127.0.0.1:{}", broker.port);
    assert_ne!(listener, env.proxy, "a per-broker listener");

    let exchange = |address: String| async move {
        let mut client = RawClient::connect(&address).await;
        let mut handshake = SaslHandshakeRequest::default();
        handshake.mechanism = StrBytes::from_static_str("PLAIN");
        client.send(&handshake, 1).await;
        client.receive_raw().await
    };
    let direct = exchange(env.broker.bootstrap_servers.clone()).await;
    let proxied = exchange(listener).await;
    assert_eq!(proxied, direct, "the broker's answer, byte for byte");
    let answer: SaslHandshakeResponse = body(proxied, 0, 1);
    assert_eq!(
        answer.error_code, 33,
        "UNSUPPORTED_SASL_MECHANISM: {answer:?}"
    );
}
