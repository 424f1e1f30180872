//! Policies per topic glob (dead-letter, observe, off, require-schema), the admin endpoints
//! (metrics per topic, schema usage) and the registry being unreachable (fail closed).

use kafka_protocol::records::Compression;
use warden_core::SchemaType;
use warden_proxy::{Action, INVALID_RECORD, Policy, REQUEST_TIMED_OUT};
use warden_serde::{AvroSerializer, SerializationContext, SerializerConfig, UnregisteredSchema};

use crate::support::{Env, ORDER_AVSC, fetch_all, order, produce_raw, unique};

async fn avro_bytes(env: &Env, topic: &str, n: usize) -> Vec<u8> {
    crate::support::avro_bytes(&env.client, topic, n).await
}

fn policy(pattern: &str, action: Action) -> Policy {
    Policy::new(pattern, Some(action)).unwrap()
}

#[tokio::test]
async fn dead_letter_observe_off_and_require_schema_policies_apply_per_topic_glob() {
    let env = Env::start_with(|config| {
        config.policies = vec![
            policy("dlq-*", Action::DeadLetter),
            policy("observed-*", Action::Observe),
            policy("unchecked-*", Action::Off),
            {
                let mut p = Policy::new("strict-*", None).unwrap();
                p.require_schema = true;
                p
            },
        ];
    })
    .await;
    let (dlq_topic, _) = env
        .topic_with("dlq-orders", SchemaType::Avro, ORDER_AVSC)
        .await;
    env.broker.create_topic(&format!("{dlq_topic}.dlq")).await;
    let (observed, _) = env
        .topic_with("observed-orders", SchemaType::Avro, ORDER_AVSC)
        .await;
    let (unchecked, _) = env
        .topic_with("unchecked-orders", SchemaType::Avro, ORDER_AVSC)
        .await;
    let strict = unique("strict-free");
    env.broker.create_topic(&strict).await;

    // dead-letter: the batch is refused and its invalid record copied with its reason.
    let valid = avro_bytes(&env, &dlq_topic, 1).await;
    let records = [
        (None, Some(valid.clone())),
        (Some(b"key-1".to_vec()), Some(b"not avro".to_vec())),
    ];
    let answer = produce_raw(&env.proxy, &dlq_topic, &records, Compression::Snappy).await;
    assert_eq!(answer.error_code, INVALID_RECORD);
    assert!(
        fetch_all(&env.broker.bootstrap_servers, &dlq_topic)
            .await
            .is_empty()
    );
    let dead = fetch_all(&env.broker.bootstrap_servers, &format!("{dlq_topic}.dlq")).await;
    assert_eq!(dead.len(), 1, "the invalid record only: {dead:?}");
    assert_eq!(dead[0].key.as_deref(), Some(&b"key-1"[..]));
    assert_eq!(dead[0].value.as_deref(), Some(&b"not avro"[..]));
    let header = |name: &str| {
        dead[0]
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("header {name} in {:?}", dead[0].headers))
    };
    assert_eq!(header("warden.dlq.topic"), dlq_topic);
    assert_eq!(header("warden.dlq.partition"), "0");
    assert_eq!(header("warden.dlq.record"), "1");
    assert_eq!(header("warden.dlq.rule"), "MAGIC_BYTE");
    assert_eq!(header("warden.dlq.path"), "/");
    assert!(header("warden.dlq.reason").contains("magic byte"));

    // observe: forwarded and counted; off: forwarded without looking.
    for topic in [&observed, &unchecked] {
        let valid = avro_bytes(&env, topic, 2).await;
        let records = [(None, Some(valid)), (None, Some(b"not avro".to_vec()))];
        let answer = produce_raw(&env.proxy, topic, &records, Compression::Gzip).await;
        assert_eq!(answer.error_code, 0, "{topic}");
        assert_eq!(
            fetch_all(&env.broker.bootstrap_servers, topic).await.len(),
            2,
            "{topic}: both records forwarded"
        );
    }

    // require-schema: a topic without a subject is refused.
    let answer = produce_raw(
        &env.proxy,
        &strict,
        &[(None, Some(b"anything".to_vec()))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, INVALID_RECORD);
    assert!(
        crate::support::error_message(&answer).contains("SUBJECT_NOT_FOUND"),
        "{answer:?}"
    );

    let (status, metrics) = env.admin_get("/metrics").await;
    assert_eq!(status, 200);
    let line = |needle: &str| {
        metrics
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} in\n{metrics}"))
            .to_owned()
    };
    assert!(
        line(&format!(
            "warden_proxy_records_total{{outcome=\"observed_invalid\",topic=\"{observed}\"}}"
        ))
        .ends_with(" 1")
    );
    assert!(
        line(&format!(
            "warden_proxy_records_total{{outcome=\"dead_lettered\",topic=\"{dlq_topic}\"}}"
        ))
        .ends_with(" 1")
    );
    assert!(
        line(&format!(
            "warden_proxy_records_total{{outcome=\"unchecked\",topic=\"{unchecked}\"}}"
        ))
        .ends_with(" 2")
    );
    assert!(
        line(&format!(
            "warden_proxy_invalid_records_total{{rule=\"SUBJECT_NOT_FOUND\",topic=\"{strict}\"}}"
        ))
        .ends_with(" 1")
    );
    assert!(metrics.contains("warden_proxy_added_latency_seconds_bucket"));
}

#[tokio::test]
async fn usage_counts_records_per_schema_id_and_subject() {
    let env = Env::start().await;
    let (topic, id) = env
        .topic_with("px-usage", SchemaType::Avro, ORDER_AVSC)
        .await;
    let records: Vec<_> = futures_records(&env, &topic, 3).await;
    let answer = produce_raw(&env.proxy, &topic, &records, Compression::None).await;
    assert_eq!(answer.error_code, 0);
    let (status, body) = env.admin_get("/usage").await;
    assert_eq!(status, 200);
    let usage: Vec<warden_proxy::Usage> = serde_json::from_str(&body).unwrap();
    let mine: Vec<_> = usage
        .iter()
        .filter(|u| u.subject == format!("{topic}-value"))
        .collect();
    assert_eq!(mine.len(), 1, "{usage:?}");
    assert_eq!(mine[0].schema_id, id);
    assert_eq!(mine[0].records, 3);
    assert!(mine[0].last_seen > 1_700_000_000);
    assert_eq!(env.admin_get("/health").await.0, 200);
    assert_eq!(env.admin_get("/ready").await.0, 200);
}

async fn futures_records(
    env: &Env,
    topic: &str,
    n: usize,
) -> Vec<(Option<Vec<u8>>, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push((None, Some(avro_bytes(env, topic, i).await)));
    }
    out
}

#[tokio::test]
async fn an_unreachable_registry_fails_closed_with_a_retriable_error() {
    let mut env = Env::start().await;
    let (topic, _) = env
        .topic_with("px-down", SchemaType::Avro, ORDER_AVSC)
        .await;
    let valid = avro_bytes(&env, &topic, 1).await;
    // A schema the proxy has not seen yet, then the registry goes away.
    let (other, _) = env
        .topic_with("px-down2", SchemaType::Avro, ORDER_AVSC)
        .await;
    env.app.stop().await;
    let answer = produce_raw(
        &env.proxy,
        &other,
        &[(None, Some(valid.clone()))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, REQUEST_TIMED_OUT, "{answer:?}");
    assert!(crate::support::error_message(&answer).contains("unreachable"));
    assert!(
        fetch_all(&env.broker.bootstrap_servers, &other)
            .await
            .is_empty()
    );
    let (status, body) = env.admin_get("/ready").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("registry"), "{body}");
    env.stop_proxy().await;
    assert!(
        tokio::net::TcpStream::connect(&env.proxy).await.is_err(),
        "a stopped proxy accepts no connection"
    );
}

#[tokio::test]
async fn record_name_strategy_and_key_validation_are_applied_per_policy() {
    let env = Env::start_with(|config| {
        let mut by_record = Policy::new("rn-*", Some(Action::Reject)).unwrap();
        by_record.subject_name_strategy = Some(warden_serde::SubjectNameStrategy::RecordName);
        let mut keyed = Policy::new("keyed-*", None).unwrap();
        keyed.validate_key = true;
        config.policies = vec![by_record, keyed];
    })
    .await;
    // RecordNameStrategy: the subject is the record's full name, acme.Order.
    let topic = unique("rn-orders");
    env.broker.create_topic(&topic).await;
    env.client
        .register(
            &crate::support::subject("acme.Order"),
            &UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();
    let other = r#"{"type":"record","name":"Refund","namespace":"acme","fields":[{"name":"id","type":"string"}]}"#;
    let other_id = env
        .client
        .register(
            &crate::support::subject("acme.Other"),
            &UnregisteredSchema::new(SchemaType::Avro, other),
        )
        .await
        .unwrap();
    let valid = AvroSerializer::new(
        env.client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        SerializerConfig {
            subject_name_strategy: warden_serde::SubjectNameStrategy::RecordName,
            ..SerializerConfig::default()
        },
    )
    .serialize(&SerializationContext::value(&topic), &order(1))
    .await
    .unwrap();
    let answer = produce_raw(
        &env.proxy,
        &topic,
        &[(None, Some(valid))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, 0, "{answer:?}");
    // acme.Refund's id is registered under acme.Other, not under its record name.
    let refund = crate::support::framed(other_id.get(), &[0x02, b'r']);
    let answer = produce_raw(
        &env.proxy,
        &topic,
        &[(None, Some(refund))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, INVALID_RECORD);
    assert!(
        crate::support::error_message(&answer).contains(&format!(
            "SCHEMA_NOT_IN_SUBJECT at /: schema id {other_id} is not registered under subject acme.Refund"
        )),
        "{answer:?}"
    );

    // validate-key: the key is checked against <topic>-key.
    let (keyed, _) = env
        .topic_with("keyed-orders", SchemaType::Avro, ORDER_AVSC)
        .await;
    env.client
        .register(
            &crate::support::subject(&format!("{keyed}-key")),
            &UnregisteredSchema::new(SchemaType::Avro, r#""string""#),
        )
        .await
        .unwrap();
    let value = avro_bytes(&env, &keyed, 2).await;
    let answer = produce_raw(
        &env.proxy,
        &keyed,
        &[(Some(b"plain key".to_vec()), Some(value))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, INVALID_RECORD);
    assert!(
        crate::support::error_message(&answer).contains("record 0 key: MAGIC_BYTE"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_schema_registered_under_a_second_subject_is_accepted_there_at_once() {
    let env = Env::start().await;
    let (first, id) = env
        .topic_with("px-first", SchemaType::Avro, ORDER_AVSC)
        .await;
    let record = avro_bytes(&env, &first, 1).await;
    let answer = produce_raw(
        &env.proxy,
        &first,
        &[(None, Some(record.clone()))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, 0);
    // The same schema (so the same id) under the second topic's subject, just registered.
    let (second, second_id) = env
        .topic_with("px-second", SchemaType::Avro, ORDER_AVSC)
        .await;
    assert_eq!(second_id, id);
    let answer = produce_raw(
        &env.proxy,
        &second,
        &[(None, Some(record))],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, 0, "{answer:?}");
}
