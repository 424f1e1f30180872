//! SASL passed through the proxy to the broker: Tansu 0.6 with `--authentication` refuses
//! every request but ApiVersions and SASL until the connection has authenticated.
//!
//! Tansu's SASL/PLAIN accepts any password: its check (`tansu-auth` 0.6, `Callback::check`)
//! only requires a user name and a password to be present. So PLAIN is tested for what it
//! does on Tansu (the handshake and the authentication reach the broker on the bootstrap and
//! per-broker connections, and clients that skip SASL get nothing through), and a wrong
//! password is tested with SCRAM-SHA-256, which Tansu checks against credentials stored with
//! `AlterUserScramCredentials`. The proxy forwards both the same way, unread.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialUpsertion;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, ApiKey, ApiVersionsRequest, MetadataRequest,
    SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use warden_core::SchemaType;
use warden_proxy::{MIN_SASL_HANDSHAKE_VERSION, ProxyConfig};
use warden_testkit::spawn_app;

use crate::components::{Pki, Tansu};
use crate::support::{
    ORDER_AVSC, RawClient, RunningProxy, avro_bytes, consumer_config, producer_config,
    read_topic_with, subject, unique,
};
use crate::tls::create_topic;

/// `config` authenticating with SASL `mechanism` as `user`/`password`, over TLS trusting
/// `ca` when given (`sasl_ssl`), else in plain text (`sasl_plaintext`).
fn sasl(
    mut config: ClientConfig,
    mechanism: &str,
    user: &str,
    password: &str,
    ca: Option<&std::path::Path>,
) -> ClientConfig {
    config
        .set("sasl.mechanism", mechanism)
        .set("sasl.username", user)
        .set("sasl.password", password)
        .set("broker.address.family", "v4");
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
        self.0
            .lock()
            .unwrap()
            .push(format!("{error}: {reason}"));
    }
}

/// Stores a SCRAM-SHA-256 credential for `user` over `client`'s (authenticated) connection,
/// salted as a Kafka client does (PBKDF2-HMAC-SHA-256, 4096 iterations).
async fn store_scram_credential(client: &mut RawClient, user: &str, password: &str) {
    let salt = b"warden-proxy-test-salt".to_vec();
    let iterations = 4096;
    let mut salted = [0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations).unwrap(),
        &salt,
        password.as_bytes(),
        &mut salted,
    );
    let mut upsertion = ScramCredentialUpsertion::default();
    upsertion.name = StrBytes::from_string(user.to_owned());
    upsertion.mechanism = 1; // SCRAM-SHA-256
    upsertion.iterations = iterations as i32;
    upsertion.salt = Bytes::from(salt);
    upsertion.salted_password = Bytes::copy_from_slice(&salted);
    let mut request = AlterUserScramCredentialsRequest::default();
    request.upsertions = vec![upsertion];
    let answer = client.call(&request, 0).await;
    assert_eq!(answer.results.len(), 1, "{answer:?}");
    assert_eq!(answer.results[0].error_code, 0, "{answer:?}");
}

#[tokio::test]
async fn sasl_reaches_the_broker_through_every_listener_and_a_wrong_scram_password_is_refused() {
    let pki = Pki::new();
    let tansu = Tansu::start(None, true);
    let app = spawn_app().await;
    // Bootstrapped by name while Tansu advertises its IP: clients authenticate on the
    // bootstrap listener and again on the broker's own listener.
    let mut config = ProxyConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        &tansu.address.replace("127.0.0.1", "localhost"),
        &app.address,
    );
    config.admin_listen = "127.0.0.1:0".parse().unwrap();
    config.advertised_host = "localhost".into();
    let mut plain = RunningProxy::start(config.clone());
    config.tls = Some(pki.proxy_tls(false));
    let mut tls = RunningProxy::start(config);
    let plain_bootstrap = plain.address.replace("127.0.0.1", "localhost");
    let tls_bootstrap = tls.address.replace("127.0.0.1", "localhost");

    // By hand: the proxy offers SaslHandshake from v1 on; the broker answers the handshake
    // and the authentication, and the authenticated connection stores a SCRAM credential.
    let mut raw = RawClient::connect(&plain.address).await;
    let versions = raw.call(&ApiVersionsRequest::default(), 0).await;
    let handshake = versions
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::SaslHandshake as i16)
        .expect("SaslHandshake is offered");
    assert_eq!(handshake.min_version, MIN_SASL_HANDSHAKE_VERSION);
    let mut request = SaslHandshakeRequest::default();
    request.mechanism = StrBytes::from_static_str("PLAIN");
    let answer = raw.call(&request, 1).await;
    assert_eq!(answer.error_code, 0, "{answer:?}");
    assert_eq!(answer.mechanisms, [StrBytes::from_static_str("PLAIN")]);
    let mut request = SaslAuthenticateRequest::default();
    request.auth_bytes = Bytes::from_static(b"\0admin\0admin-secret");
    let answer = raw.call(&request, 2).await;
    assert_eq!(answer.error_code, 0, "{answer:?}");
    store_scram_credential(&mut raw, "alice", "alice-secret").await;
    let metadata = raw.call(&MetadataRequest::default(), 4).await;
    assert!(!metadata.brokers.is_empty(), "authenticated: {metadata:?}");

    let topic = unique("px-sasl");
    create_topic(
        sasl(
            producer_config(&plain_bootstrap),
            "PLAIN",
            "admin",
            "x",
            None,
        ),
        &topic,
    )
    .await;
    let client = warden_serde::RegistryClient::new(app.address.clone()).unwrap();
    client
        .register(
            &subject(&format!("{topic}-value")),
            &warden_serde::UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();

    // sasl_plaintext with PLAIN, sasl_plaintext and sasl_ssl with SCRAM-SHA-256: valid
    // records go through, invalid ones are still refused.
    let mut sent = Vec::new();
    let mut n = 0;
    for (what, config) in [
        (
            "sasl_plaintext PLAIN",
            sasl(
                producer_config(&plain_bootstrap),
                "PLAIN",
                "admin",
                "x",
                None,
            ),
        ),
        (
            "sasl_plaintext SCRAM-SHA-256",
            sasl(
                producer_config(&plain_bootstrap),
                "SCRAM-SHA-256",
                "alice",
                "alice-secret",
                None,
            ),
        ),
        (
            "sasl_ssl SCRAM-SHA-256",
            sasl(
                producer_config(&tls_bootstrap),
                "SCRAM-SHA-256",
                "alice",
                "alice-secret",
                Some(&pki.ca()),
            ),
        ),
    ] {
        let producer: FutureProducer = config.create().unwrap();
        for _ in 0..2 {
            let bytes = avro_bytes(&client, &topic, n).await;
            n += 1;
            producer
                .send(
                    FutureRecord::to(&topic).key("k").payload(&bytes),
                    Duration::from_secs(30),
                )
                .await
                .unwrap_or_else(|e| panic!("{what}: delivered: {e:?}"));
            sent.push(bytes);
        }
        let refused = producer
            .send(
                FutureRecord::to(&topic).key("k").payload("no framing"),
                Duration::from_secs(30),
            )
            .await;
        assert!(refused.is_err(), "{what}: an invalid record is refused");
    }
    let consumed = read_topic_with(
        sasl(
            consumer_config(&tls_bootstrap),
            "SCRAM-SHA-256",
            "alice",
            "alice-secret",
            Some(&pki.ca()),
        ),
        &topic,
        sent.len(),
        Duration::from_millis(500),
    )
    .await;
    let values: Vec<Vec<u8>> = consumed.into_iter().filter_map(|r| r.value).collect();
    assert_eq!(values, sent, "a consumer group over sasl_ssl reads them back");

    // A wrong SCRAM password is refused by the broker, and so is a client without SASL:
    // nothing of theirs reaches the log.
    let wrong = sasl(
        producer_config(&plain_bootstrap),
        "SCRAM-SHA-256",
        "alice",
        "not-her-secret",
        None,
    );
    let mut without = producer_config(&plain_bootstrap);
    without.set("broker.address.family", "v4");
    for (what, mut config, authentication_error) in [
        ("a wrong password", wrong, true),
        ("no SASL", without, false),
    ] {
        let errors = Errors::default();
        let producer: FutureProducer<Errors> = config
            .set("message.timeout.ms", "5000")
            .create_with_context(errors.clone())
            .unwrap();
        let outcome = producer
            .send(
                FutureRecord::to(&topic).key("k").payload(&avro_bytes(&client, &topic, 99).await),
                Duration::from_secs(5),
            )
            .await;
        assert!(outcome.is_err(), "{what}: not delivered");
        if authentication_error {
            let errors = errors.0.lock().unwrap().clone();
            assert!(
                errors.iter().any(|e| e.contains("uthentication")),
                "{what}: librdkafka reports the broker's refusal: {errors:?}"
            );
        }
        let _ = producer.flush(Duration::from_secs(1));
    }
    let log = fetch_all_authenticated(&tansu.address, &topic, sent.len()).await;
    assert_eq!(log, sent, "only the authenticated clients' records");
    plain.stop().await;
    tls.stop().await;
}

/// The values of `topic` read straight from Tansu after authenticating with PLAIN: the
/// `expected` ones, and any more that arrive within a second.
async fn fetch_all_authenticated(address: &str, topic: &str, expected: usize) -> Vec<Vec<u8>> {
    let consumed = read_topic_with(
        sasl(consumer_config(address), "PLAIN", "admin", "x", None),
        topic,
        expected,
        Duration::from_secs(1),
    )
    .await;
    consumed.into_iter().filter_map(|r| r.value).collect()
}
