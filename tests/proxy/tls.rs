//! TLS through the proxy: librdkafka (`security.protocol=ssl`) producing and consuming
//! through a TLS proxy, on the bootstrap listener and on a per-broker listener; mutual TLS
//! toward the clients; and the proxy reaching the broker over (mutual) TLS, Tansu behind
//! stunnel.

use std::path::Path;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use warden_core::SchemaType;
use warden_proxy::{BrokerTls, ProxyConfig};
use warden_testkit::kafka::{Broker, BrokerOptions};
use warden_testkit::{free_port, spawn_app};

use crate::components::{Pki, Stunnel};
use crate::support::{
    Env, ORDER_AVSC, RunningProxy, avro_bytes, consumer_config, fetch_all, producer_config,
    read_topic_with, subject, unique,
};

/// `config` speaking TLS to the proxy, trusting `ca` (host names are verified, librdkafka's
/// default `ssl.endpoint.identification.algorithm=https`).
fn ssl(mut config: ClientConfig, ca: &Path) -> ClientConfig {
    config
        .set("security.protocol", "ssl")
        .set("ssl.ca.location", ca.display().to_string())
        .set("broker.address.family", "v4");
    config
}

/// Produces `count` valid orders and one record without framing to `topic`; returns the
/// valid values. The invalid one must fail with `INVALID_RECORD`.
async fn produce_orders(
    producer: &FutureProducer,
    client: &warden_serde::RegistryClient,
    topic: &str,
    count: usize,
) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    for n in 0..count {
        let bytes = avro_bytes(client, topic, n).await;
        producer
            .send(
                FutureRecord::to(topic).key("k").payload(&bytes),
                Duration::from_secs(30),
            )
            .await
            .unwrap_or_else(|e| panic!("a valid record is delivered: {e:?}"));
        sent.push(bytes);
    }
    let refused = producer
        .send(
            FutureRecord::to(topic).key("k").payload("no framing"),
            Duration::from_secs(30),
        )
        .await
        .expect_err("an invalid record is refused");
    assert!(
        matches!(
            refused.0,
            KafkaError::MessageProduction(RDKafkaErrorCode::InvalidRecord)
        ),
        "{:?}",
        refused.0
    );
    sent
}

/// The port of `host:port`.
fn port_of(address: &str) -> i32 {
    address.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn librdkafka_produces_and_consumes_over_tls_on_the_bootstrap_and_per_broker_listeners() {
    let pki = Pki::new();
    // The proxy bootstraps by name, and Tansu advertises itself by IP: a different address,
    // so the proxy serves the broker on a listener of its own, which must speak TLS too.
    let env = Env::start_with(|config| {
        config.bootstrap_servers = config
            .bootstrap_servers
            .iter()
            .map(|s| s.replace("127.0.0.1", "localhost"))
            .collect();
        config.advertised_host = "localhost".into();
        config.tls = Some(pki.proxy_tls(false));
    })
    .await;
    let (topic, _) = env.topic_with("px-tls", SchemaType::Avro, ORDER_AVSC).await;
    let bootstrap = env.proxy.replace("127.0.0.1", "localhost");

    let producer: FutureProducer = ssl(producer_config(&bootstrap), &pki.ca())
        .create()
        .unwrap();
    let metadata = producer
        .client()
        .fetch_metadata(Some(&topic), Duration::from_secs(30))
        .expect("metadata over TLS");
    let brokers: Vec<(String, i32)> = metadata
        .brokers()
        .iter()
        .map(|b| (b.host().to_owned(), b.port()))
        .collect();
    assert_eq!(brokers.len(), 1, "{brokers:?}");
    assert_eq!(brokers[0].0, "localhost");
    assert_ne!(
        brokers[0].1,
        port_of(&env.proxy),
        "the broker is served on a per-broker listener"
    );
    let sent = produce_orders(&producer, &env.client, &topic, 5).await;

    let consumed = read_topic_with(
        ssl(consumer_config(&bootstrap), &pki.ca()),
        &topic,
        sent.len(),
        Duration::from_millis(500),
    )
    .await;
    let values: Vec<Vec<u8>> = consumed.into_iter().filter_map(|r| r.value).collect();
    assert_eq!(
        values, sent,
        "the valid records, unchanged, and nothing else"
    );

    // A client speaking plain Kafka to a TLS listener gets no Kafka answer: at most a TLS
    // alert, then the connection closes.
    for port in [port_of(&env.proxy), brokers[0].1] {
        let mut plain = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        // An ApiVersions v0 request: size, api key 18, version 0, correlation id 7, no client id.
        let request = [0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff];
        plain.write_all(&request).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(15), plain.read_to_end(&mut answer))
            .await
            .expect("the proxy closes the connection");
        assert!(
            read.is_err() || answer.is_empty() || answer[0] == 0x15,
            "port {port}: no Kafka answer over plain TCP: {answer:?}"
        );
    }
}

#[tokio::test]
async fn with_a_client_ca_only_clients_presenting_a_certificate_it_signed_get_through() {
    let pki = Pki::new();
    let env = Env::start_with(|config| {
        config.advertised_host = "localhost".into();
        config.tls = Some(pki.proxy_tls(true));
    })
    .await;
    let (topic, _) = env
        .topic_with("px-mtls", SchemaType::Avro, ORDER_AVSC)
        .await;
    let bootstrap = env.proxy.replace("127.0.0.1", "localhost");

    let mut with_cert = ssl(producer_config(&bootstrap), &pki.ca());
    with_cert
        .set(
            "ssl.certificate.location",
            pki.client_cert().display().to_string(),
        )
        .set("ssl.key.location", pki.client_key().display().to_string());
    let producer: FutureProducer = with_cert.create().unwrap();
    produce_orders(&producer, &env.client, &topic, 2).await;

    // Another CA's certificate, and no certificate, are refused in the handshake.
    let other = Pki::new();
    let mut foreign = ssl(producer_config(&bootstrap), &pki.ca());
    foreign
        .set(
            "ssl.certificate.location",
            other.client_cert().display().to_string(),
        )
        .set("ssl.key.location", other.client_key().display().to_string());
    for (what, mut config) in [
        (
            "no client certificate",
            ssl(producer_config(&bootstrap), &pki.ca()),
        ),
        ("another CA's certificate", foreign),
    ] {
        let producer: FutureProducer = config.set("message.timeout.ms", "5000").create().unwrap();
        let refused = producer
            .send(
                FutureRecord::to(&topic)
                    .key("k")
                    .payload(&avro_bytes(&env.client, &topic, 9).await),
                Duration::from_secs(5),
            )
            .await;
        assert!(refused.is_err(), "{what}: nothing is delivered");
    }
    let log = fetch_all(&env.broker.bootstrap_servers, &topic).await;
    assert_eq!(log.len(), 2, "only the authenticated client's records");
}

#[tokio::test]
async fn the_proxy_reaches_a_tls_broker_verifying_its_name_and_presenting_a_client_certificate() {
    let pki = Pki::new();
    // Tansu behind stunnel, which requires a client certificate; Tansu advertises the TLS
    // address by IP, the proxy bootstraps it by name, so both the bootstrap connection
    // (server name `localhost`) and the per-broker one (`127.0.0.1`) are verified.
    let tls_port = free_port();
    let tansu = Broker::start_with(&BrokerOptions {
        advertised: Some(format!("127.0.0.1:{tls_port}")),
        ..BrokerOptions::default()
    });
    let _stunnel = Stunnel::start(
        &format!("127.0.0.1:{tls_port}"),
        &tansu.bootstrap_servers,
        &pki,
        true,
    );
    let app = spawn_app().await;
    let mut config = ProxyConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        &format!("localhost:{tls_port}"),
        &app.address,
    );
    config.admin_listen = "127.0.0.1:0".parse().unwrap();
    config.advertised_host = "localhost".into();
    config.tls = Some(pki.proxy_tls(false));
    config.broker_tls = Some(BrokerTls {
        ca: Some(pki.ca()),
        cert: Some(pki.client_cert()),
        key: Some(pki.client_key()),
    });
    let mut proxy = RunningProxy::start(config.clone());
    let bootstrap = proxy.address.replace("127.0.0.1", "localhost");
    let (status, body) = get(&format!("{}/ready", proxy.admin)).await;
    assert_eq!(status, 200, "{body}");

    // The topic is created through the proxy (Tansu advertises only its TLS address).
    let topic = unique("px-broker-tls");
    create_topic(ssl(producer_config(&bootstrap), &pki.ca()), &topic).await;
    let client = warden_serde::RegistryClient::new(app.address.clone()).unwrap();
    client
        .register(
            &subject(&format!("{topic}-value")),
            &warden_serde::UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();
    let producer: FutureProducer = ssl(producer_config(&bootstrap), &pki.ca())
        .create()
        .unwrap();
    let sent = produce_orders(&producer, &client, &topic, 3).await;
    let consumed = read_topic_with(
        ssl(consumer_config(&bootstrap), &pki.ca()),
        &topic,
        sent.len(),
        Duration::from_millis(500),
    )
    .await;
    let values: Vec<Vec<u8>> = consumed.into_iter().filter_map(|r| r.value).collect();
    assert_eq!(values, sent);
    // Straight from Tansu's plain port: the records went through stunnel.
    let log = fetch_all(&tansu.bootstrap_servers, &topic).await;
    assert_eq!(
        log.into_iter().filter_map(|r| r.value).collect::<Vec<_>>(),
        sent
    );
    proxy.stop().await;

    // A proxy that does not trust the broker's CA does not reach it: not ready, naming the
    // broker and the TLS handshake.
    let other = Pki::new();
    let mut untrusting = config;
    untrusting.broker_tls = Some(BrokerTls {
        ca: Some(other.ca()),
        cert: Some(pki.client_cert()),
        key: Some(pki.client_key()),
    });
    let mut proxy = RunningProxy::start(untrusting);
    let (status, body) = get(&format!("{}/ready", proxy.admin)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("broker") && body.contains("TLS"), "{body}");
    proxy.stop().await;
}

/// Creates `topic` with one partition through the client settings of `config`.
pub(crate) async fn create_topic(config: ClientConfig, topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = config.create().expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("create topics");
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("topic {t} not created: {e}"));
    }
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("the admin endpoint answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}
