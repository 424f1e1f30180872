//! Real clients through the proxy: librdkafka (plain bytes, idempotent, consumer groups),
//! `warden-kafka`, and the routing answers they bootstrap from.

use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, FindCoordinatorRequest, MetadataRequest,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::Compression;
use rdkafka::Message as _;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use warden_core::SchemaType;
use warden_kafka::Producer;
use warden_proxy::{INVALID_RECORD, MAX_FETCH_VERSION, MAX_PRODUCE_VERSION, WITHHELD_APIS};
use warden_serde::{AvroSerializer, RawSerializer, SerializerConfig, UnregisteredSchema};

use crate::support::{
    Env, ORDER_AVSC, RawClient, batch, consumer_config, fetch_all, order, produce_request,
    producer_config,
};

async fn avro_bytes(env: &Env, topic: &str, n: usize) -> Vec<u8> {
    crate::support::avro_bytes(&env.client, topic, n).await
}

#[tokio::test]
async fn metadata_and_api_versions_send_clients_through_the_proxy_and_pipelined_answers_keep_order()
{
    let env = Env::start().await;
    let (topic, _) = env
        .topic_with("px-route", SchemaType::Avro, ORDER_AVSC)
        .await;
    let proxy_port: i32 = env.proxy.rsplit(':').next().unwrap().parse().unwrap();
    let mut client = RawClient::connect(&env.proxy).await;

    // Four requests written before any answer is read; one is refused by the proxy itself.
    let versions = client.send(&ApiVersionsRequest::default(), 0).await;
    let metadata = client.send(&MetadataRequest::default(), 4).await;
    let refused = client
        .send(
            &produce_request(&[(
                &topic,
                batch(&[(None, Some(b"x".to_vec()))], Compression::None),
            )]),
            9,
        )
        .await;
    let again = client.send(&MetadataRequest::default(), 4).await;

    let (id, answer) = client.receive::<ApiVersionsRequest>(0).await;
    assert_eq!(id, versions);
    let produce = answer
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::Produce as i16)
        .expect("Produce is offered");
    assert!(produce.max_version <= MAX_PRODUCE_VERSION, "{produce:?}");
    // No version whose answers name brokers that the proxy forwards unread.
    let fetch = answer
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::Fetch as i16)
        .expect("Fetch is offered");
    assert!(fetch.max_version <= MAX_FETCH_VERSION, "{fetch:?}");
    for withheld in WITHHELD_APIS {
        assert!(
            answer.api_keys.iter().all(|k| k.api_key != withheld as i16),
            "{withheld:?} is not offered"
        );
    }
    for key in &answer.api_keys {
        if let Ok(known) = ApiKey::try_from(key.api_key) {
            let ours = known.valid_versions();
            assert!(
                key.min_version >= ours.min && key.max_version <= ours.max,
                "{known:?} {key:?} is within what the proxy decodes ({ours:?})"
            );
        }
    }
    let (id, answer) = client.receive::<MetadataRequest>(4).await;
    assert_eq!(id, metadata);
    assert!(!answer.brokers.is_empty());
    for broker in &answer.brokers {
        assert_eq!(broker.host.as_str(), "127.0.0.1");
        assert_eq!(
            broker.port, proxy_port,
            "every broker is reached through the proxy"
        );
    }
    let (id, answer) = client
        .receive::<kafka_protocol::messages::ProduceRequest>(9)
        .await;
    assert_eq!(id, refused, "the proxy's own answer comes in its turn");
    assert_eq!(
        answer.responses[0].partition_responses[0].error_code,
        INVALID_RECORD
    );
    let (id, _) = client.receive::<MetadataRequest>(4).await;
    assert_eq!(id, again);

    // The flexible versions librdkafka and the Java client use are rewritten too.
    let answer = client.call(&MetadataRequest::default(), 12).await;
    for broker in &answer.brokers {
        assert_eq!(broker.port, proxy_port, "Metadata v12: {broker:?}");
    }
    let mut find = FindCoordinatorRequest::default();
    find.key_type = 0;
    find.coordinator_keys = vec![StrBytes::from_static_str("a-group")];
    let answer = client.call(&find, 4).await;
    assert_eq!(answer.coordinators.len(), 1, "{answer:?}");
    assert_eq!(answer.coordinators[0].error_code, 0, "{answer:?}");
    assert_eq!(answer.coordinators[0].host.as_str(), "127.0.0.1");
    assert_eq!(
        answer.coordinators[0].port, proxy_port,
        "FindCoordinator v4"
    );
    let mut find = FindCoordinatorRequest::default();
    find.key = StrBytes::from_static_str("a-group");
    let answer = client.call(&find, 2).await;
    assert_eq!(answer.port, proxy_port, "FindCoordinator v2: {answer:?}");
}

#[tokio::test]
async fn rdkafka_plain_bytes_valid_pass_invalid_fail_and_a_consumer_group_commits_through_the_proxy()
 {
    let env = Env::start().await;
    let (topic, _) = env.topic_with("px-rd", SchemaType::Avro, ORDER_AVSC).await;
    let producer: FutureProducer = producer_config(&env.proxy).create().unwrap();
    let mut sent = Vec::new();
    for n in 0..10 {
        let bytes = avro_bytes(&env, &topic, n).await;
        producer
            .send(
                FutureRecord::to(&topic).key("k").payload(&bytes),
                Duration::from_secs(30),
            )
            .await
            .expect("a valid record is delivered through the proxy");
        sent.push(bytes);
        let refused = producer
            .send(
                FutureRecord::to(&topic).key("k").payload("not avro"),
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
    }

    // A consumer group through the proxy: join, sync, fetch, commit, then a second consumer
    // of the group resumes after the committed offset.
    let group = crate::support::unique("px-group");
    let mut config = consumer_config(&env.proxy);
    config.set("group.id", &group);
    let consumer: StreamConsumer = config.create().unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let mut got = Vec::new();
    while got.len() < 6 {
        let m = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("records arrive")
            .expect("no consumer error");
        got.push(m.payload().unwrap().to_vec());
        if got.len() == 6 {
            consumer.commit_message(&m, CommitMode::Sync).unwrap();
        }
    }
    assert_eq!(got, sent[..6], "valid records come back unchanged");
    drop(consumer);
    let resumed: StreamConsumer = config.create().unwrap();
    resumed.subscribe(&[&topic]).unwrap();
    let mut rest = Vec::new();
    while rest.len() < 4 {
        let m = tokio::time::timeout(Duration::from_secs(60), resumed.recv())
            .await
            .expect("records arrive")
            .expect("no consumer error");
        rest.push(m.payload().unwrap().to_vec());
    }
    assert_eq!(
        rest,
        sent[6..],
        "the group resumes after its committed offset"
    );
    let log = fetch_all(&env.broker.bootstrap_servers, &topic).await;
    assert_eq!(log.len(), 10, "no refused record is in the log");
}

/// An idempotent librdkafka producer through the proxy: its batches reach the log once,
/// sequence numbers and epochs untouched, a refused batch fails with INVALID_RECORD, and the
/// producer's next batch reaches the broker with its epoch bumped, where Tansu refuses it.
///
/// What this does not show, and why: that the producer goes on after the refusal.
/// librdkafka treats every non-retriable produce error (INVALID_RECORD, and any other code
/// a proxy could answer) as a gap in its sequence: unless `enable.gapless.guarantee` is set
/// it drains, then an idempotent (non-transactional) producer bumps its own epoch without
/// asking the broker and goes on at sequence 0 (KIP-360; `rd_kafka_handle_Produce_error`
/// in rdkafka_request.c, `rd_kafka_idemp_drain_done` in rdkafka_idempotence.c: "The
/// idempotent producer can bump its own epoch"). Kafka 2.5+ accepts a higher epoch at
/// sequence 0. No storage engine of Tansu 0.6.0 does: each compares the batch's epoch with
/// the one it handed out (tansu-storage 0.6.0: memory and S3 in `dynostore.rs` lines
/// 814-817 answer PRODUCER_FENCED for any other epoch; PostgreSQL, SQLite and Turso look
/// up the sequence of the batch's own epoch (`producer_select_for_update.sql`, which has no
/// row for an epoch never handed out) and `sql.rs` line 446 answers INVALID_PRODUCER_EPOCH
/// to a higher one; SlateDB likewise in `slate/engine.rs` line 379), and none bumps an
/// epoch on `InitProducerId` with the current id and epoch (`dynostore.rs` lines
/// 2101-2107 and `slate/storage.rs` line 1760 answer UNKNOWN_SERVER_ERROR; `pg.rs` line
/// 3258, `lite.rs` line 4037 and `limbo.rs` line 3372 are `todo!()`). Tansu's main branch
/// (0.7.0-pre.2) checks the same way. So the producer's next batch is refused by Tansu
/// itself, as it would be after any non-retriable error of Tansu's own, and continuing
/// after a refusal needs a broker with KIP-360 (Apache Kafka 2.5+), which CI does not have.
#[tokio::test]
async fn an_idempotent_producer_writes_once_through_the_proxy_and_a_refused_batch_fails() {
    let env = Env::start().await;
    let (topic, _) = env
        .topic_with("px-idem", SchemaType::Avro, ORDER_AVSC)
        .await;
    let mut config = producer_config(&env.proxy);
    config.set("enable.idempotence", "true");
    let producer: FutureProducer = config.create().unwrap();
    let mut sent = Vec::new();
    let mut deliveries = Vec::new();
    for n in 0..50 {
        let bytes = avro_bytes(&env, &topic, n).await;
        deliveries.push(
            producer
                .send_result(FutureRecord::<(), _>::to(&topic).payload(&bytes))
                .expect("enqueued"),
        );
        sent.push(bytes);
    }
    for delivery in deliveries {
        delivery
            .await
            .expect("delivered")
            .expect("the valid record is acknowledged");
    }
    let refused = producer
        .send(
            FutureRecord::<(), _>::to(&topic).payload("plain"),
            Duration::from_secs(30),
        )
        .await
        .expect_err("the invalid record is refused");
    assert!(
        matches!(
            refused.0,
            KafkaError::MessageProduction(RDKafkaErrorCode::InvalidRecord)
        ),
        "{:?}",
        refused.0
    );
    // The next valid record goes through the proxy with the bumped epoch at sequence 0, and
    // Tansu's own epoch check refuses it (the proxy answers no PRODUCER_FENCED). Should
    // this record be acknowledged, the broker bumps epochs as Kafka does: then assert that
    // the producer goes on (records after the refusal in the log, once, in order).
    let next = avro_bytes(&env, &topic, 50).await;
    let after = producer
        .send(
            FutureRecord::<(), _>::to(&topic).payload(&next),
            Duration::from_secs(30),
        )
        .await
        .expect_err("Tansu 0.6 fences the bumped epoch");
    assert!(
        matches!(
            after.0,
            KafkaError::MessageProduction(RDKafkaErrorCode::ProducerFenced)
        ),
        "{:?}",
        after.0
    );
    let log = fetch_all(&env.broker.bootstrap_servers, &topic).await;
    let values: Vec<Vec<u8>> = log.into_iter().filter_map(|r| r.value).collect();
    assert_eq!(
        values, sent,
        "every valid record, once, in order; the invalid one absent"
    );
}

#[tokio::test]
async fn warden_kafka_produces_through_the_proxy() {
    let env = Env::start().await;
    let (topic, _) = env.topic_with("px-wk", SchemaType::Avro, ORDER_AVSC).await;
    let values = AvroSerializer::new(
        env.client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        SerializerConfig::default(),
    );
    let producer = Producer::new(&producer_config(&env.proxy), RawSerializer, values).unwrap();
    for n in 0..20 {
        producer
            .send_and_wait(&topic, Some("k"), &order(n))
            .await
            .expect("delivered through the proxy");
    }
    let log = fetch_all(&env.broker.bootstrap_servers, &topic).await;
    assert_eq!(log.len(), 20);
    for (n, record) in log.iter().enumerate() {
        assert_eq!(
            record.value.as_ref(),
            Some(&avro_bytes(&env, &topic, n).await)
        );
    }
}
