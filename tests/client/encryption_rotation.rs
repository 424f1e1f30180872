//! DEK rotation of the `ENCRYPT` rule (`encrypt.dek.expiry.days`, Confluent's
//! `FieldEncryptionExecutor`) against a spawned registry and its DEK registry: ciphertexts
//! carry their DEK version, a DEK older than the expiry makes the next record use a new
//! version while older records still decrypt, concurrent writers that rotate at once end on
//! one version, and records are exchanged both ways with Confluent's Python
//! `confluent-kafka[rules]` and the Rust `schema-registry-client` (local KMS).
//!
//! The clock: Warden's writers take a [`DekClock`] and Python's executor a `Clock`
//! (`register_with_clock`), set days ahead; the registry and its DEKs' `ts` are real.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use warden_serde::{
    AvroDeserializer, AvroSerializer, DekClock, RegistryClient, SerializationContext,
    SerializerConfig,
};
use warden_testkit::{TestApp, spawn_app};

use crate::encryption::{SECRET, customer, raw_record, register, use_local_kms};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// An `ENCRYPT` rule on the PII fields with `encrypt.dek.expiry.days` = 1.
fn rotating_rule(algorithm: &str) -> Value {
    let mut rule = crate::encryption::encrypt_rule(algorithm, "ERROR");
    rule["params"]["encrypt.dek.expiry.days"] = json!("1");
    rule
}

/// A clock `offset` milliseconds ahead of the system's.
fn shifted_clock(offset: &Arc<AtomicI64>) -> DekClock {
    let offset = Arc::clone(offset);
    DekClock::from_fn(move || DekClock::default().now_millis() + offset.load(Ordering::SeqCst))
}

fn writer(app: &TestApp, clock: DekClock) -> AvroSerializer {
    AvroSerializer::from_registry(
        RegistryClient::new(&app.address).unwrap(),
        SerializerConfig {
            use_latest_version: true,
            dek_clock: clock,
            ..SerializerConfig::default()
        },
    )
}

/// The DEK version a rotated `ssn` field was written with: the magic byte `0`, then the
/// version (4 bytes, big-endian), then Tink's ciphertext.
fn ssn_version(record: &[u8]) -> i32 {
    let sealed = BASE64
        .decode(raw_record(record)["ssn"].as_str().unwrap())
        .unwrap();
    assert_eq!(sealed[0], 0, "the magic byte before the DEK version");
    i32::from_be_bytes(sealed[1..5].try_into().unwrap())
}

async fn dek_versions(app: &TestApp, subject: &str, algorithm: &str) -> Value {
    app.get(&format!(
        "/dek-registry/v1/keks/kek1/deks/{subject}/versions?algorithm={algorithm}"
    ))
    .await
    .body
}

#[tokio::test]
async fn a_dek_older_than_the_expiry_makes_the_next_record_use_a_new_version_and_old_records_still_decrypt()
 {
    use_local_kms();
    let app = spawn_app().await;
    for (topic, algorithm) in [("rotgcm", "AES256_GCM"), ("rotsiv", "AES256_SIV")] {
        let subject = format!("{topic}-value");
        register(&app, &subject, vec![rotating_rule(algorithm)]).await;
        let ctx = SerializationContext::value(topic);
        let offset = Arc::new(AtomicI64::new(0));
        let ser = writer(&app, shifted_clock(&offset));
        let reader = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap());

        let first = ser
            .serialize_json(&ctx, &customer("123-45-6789"))
            .await
            .unwrap();
        assert_eq!(ssn_version(&first), 1, "{algorithm}: the first DEK");
        let sealed = BASE64
            .decode(raw_record(&first)["ssn"].as_str().unwrap())
            .unwrap();
        let tink_len = if algorithm == "AES256_SIV" {
            16 + 11
        } else {
            12 + 11 + 16
        };
        assert_eq!(sealed.len(), 5 + tink_len, "{algorithm}: prefix + Tink");
        // The reader has read version 1 before the rotation, and keeps its keys.
        assert_eq!(
            reader.deserialize_json(&first).await.unwrap(),
            customer("123-45-6789")
        );

        // Less than a day old: still version 1.
        offset.store(DAY_MS - 60_000, Ordering::SeqCst);
        let young = ser
            .serialize_json(&ctx, &customer("123-45-6789"))
            .await
            .unwrap();
        assert_eq!(ssn_version(&young), 1, "{algorithm}: not yet expired");
        if algorithm == "AES256_SIV" {
            assert_eq!(young, first, "deterministic under one DEK version");
        }

        // A day old: the same writer creates version 2 for its next record.
        offset.store(DAY_MS + 60_000, Ordering::SeqCst);
        let rotated = ser
            .serialize_json(&ctx, &customer("123-45-6789"))
            .await
            .unwrap();
        assert_eq!(ssn_version(&rotated), 2, "{algorithm}: rotated");
        assert_eq!(dek_versions(&app, &subject, algorithm).await, json!([1, 2]));
        if algorithm == "AES256_SIV" {
            assert_ne!(
                raw_record(&rotated)["ssn"],
                raw_record(&first)["ssn"],
                "another DEK version, another deterministic ciphertext"
            );
        }

        // Back to now: version 2 is fresh, and kept; a new writer takes it too.
        offset.store(0, Ordering::SeqCst);
        let after = ser
            .serialize_json(&ctx, &customer("987-65-4321"))
            .await
            .unwrap();
        assert_eq!(
            ssn_version(&after),
            2,
            "{algorithm}: the new version is kept"
        );
        let other = writer(&app, DekClock::default())
            .serialize_json(&ctx, &customer("987-65-4321"))
            .await
            .unwrap();
        assert_eq!(ssn_version(&other), 2, "{algorithm}: the latest version");
        assert_eq!(dek_versions(&app, &subject, algorithm).await, json!([1, 2]));

        // Every record decrypts, old and new, by the reader that kept version 1 and by a
        // new one.
        let fresh = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap());
        for (record, ssn) in [
            (&first, "123-45-6789"),
            (&young, "123-45-6789"),
            (&rotated, "123-45-6789"),
            (&after, "987-65-4321"),
            (&other, "987-65-4321"),
        ] {
            for reader in [&reader, &fresh] {
                let read = reader.deserialize_json(record).await.unwrap();
                assert_eq!(read, customer(ssn), "{algorithm}");
            }
        }
    }
}

#[tokio::test]
async fn a_reader_with_rotation_refuses_a_ciphertext_without_the_version_prefix() {
    use_local_kms();
    let app = spawn_app().await;
    // Written without rotation, read with it: the first byte is the IV's, not the magic
    // byte, or the DEK version names no DEK.
    register(
        &app,
        "norot-value",
        vec![crate::encryption::encrypt_rule("AES256_GCM", "ERROR")],
    )
    .await;
    let ctx = SerializationContext::value("norot");
    let plain = writer(&app, DekClock::default())
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    register(&app, "norot-value", vec![rotating_rule("AES256_GCM")]).await;
    // The record names the schema id of the rule without rotation: re-encode it under the
    // latest one (the same schema, the rule with rotation).
    let latest = app.get("/subjects/norot-value/versions/latest").await;
    let id = latest.body["id"].as_i64().unwrap() as u32;
    let mut reframed = plain.clone();
    reframed[1..5].copy_from_slice(&id.to_be_bytes());
    let reader = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap());
    let failure = crate::encryption::refused(reader.deserialize_json(&reframed).await);
    assert_eq!(failure.rule, "encryptPII");
    assert!(
        failure.message.contains("magic byte") || failure.message.contains("no dek found"),
        "{}",
        failure.message
    );
}

/// The 409s the DEK registry answered, from `app`'s `/metrics`.
async fn dek_conflicts(app: &TestApp) -> u64 {
    app.get("/metrics")
        .await
        .text
        .lines()
        .filter(|l| {
            l.starts_with("warden_http_requests_total{")
                && l.contains("route=\"/dek-registry")
                && l.contains("status=\"409\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_that_rotate_at_once_all_write_with_the_version_one_of_them_created() {
    use_local_kms();
    let app = spawn_app().await;
    register(&app, "race-value", vec![rotating_rule("AES256_GCM")]).await;
    let ctx = SerializationContext::value("race");
    let first = writer(&app, DekClock::default())
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    assert_eq!(ssn_version(&first), 1);
    // Each round: new writers whose clock stands exactly a day after the latest DEK's `ts`
    // find it expired (and a version created since not), and all post the next version; a
    // loser (409) fetches the latest version and writes with it, not with the expired
    // one. Rounds until a conflict happened.
    let reader = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap());
    let latest = || async {
        let body = app
            .get("/dek-registry/v1/keks/kek1/deks/race-value/versions/latest")
            .await
            .body;
        (
            body["version"].as_i64().unwrap() as i32,
            body["ts"].as_i64().unwrap(),
        )
    };
    let record = customer("123-45-6789");
    // Rounds until two writers race (usually the first); a loaded machine can serialize
    // several rounds in a row.
    for _ in 0..50 {
        let (expired, ts) = latest().await;
        let writers: Vec<AvroSerializer> = (0..6)
            .map(|_| writer(&app, DekClock::from_fn(move || ts + DAY_MS)))
            .collect();
        let written =
            futures::future::join_all(writers.iter().map(|w| w.serialize_json(&ctx, &record)))
                .await;
        for record in written {
            let record = record.unwrap();
            assert_eq!(
                ssn_version(&record),
                expired + 1,
                "every writer of the round writes with the one new version"
            );
            assert_eq!(
                reader.deserialize_json(&record).await.unwrap(),
                customer("123-45-6789")
            );
        }
        if dek_conflicts(&app).await > 0 {
            break;
        }
    }
    assert!(
        dek_conflicts(&app).await > 0,
        "no round had two writers post the same version"
    );
    let (last, _) = latest().await;
    let versions = dek_versions(&app, "race-value", "AES256_GCM").await;
    assert_eq!(versions, json!((1..=last).collect::<Vec<_>>()));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_executor_and_warden_rotate_deks_and_read_each_others_versions() {
    use warden_testkit::clients::{clients_dir, python_with_confluent_kafka, run_client_script};

    use_local_kms();
    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let app = spawn_app().await;
    register(&app, "pyrot-value", vec![rotating_rule("AES256_GCM")]).await;
    let ctx = SerializationContext::value("pyrot");
    // Warden writes with version 1, then (a day ahead) rotates to version 2.
    let offset = Arc::new(AtomicI64::new(0));
    let ser = writer(&app, shifted_clock(&offset));
    let v1 = ser
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    offset.store(DAY_MS + 60_000, Ordering::SeqCst);
    let v2 = ser
        .serialize_json(&ctx, &customer("222-33-4444"))
        .await
        .unwrap();
    assert_eq!((ssn_version(&v1), ssn_version(&v2)), (1, 2));

    let out = tempfile::tempdir().unwrap();
    let out_now = out.path().join("now.hex");
    let out_later = out.path().join("later.hex");
    run_client_script(
        python,
        &clients_dir().join("python/encryption_rotation.py"),
        &[
            app.address.as_str(),
            SECRET,
            hex(&v1).as_str(),
            hex(&v2).as_str(),
            out_now.to_str().unwrap(),
            out_later.to_str().unwrap(),
        ],
        "confluent-kafka's encryption executor failed on Warden's rotated records",
    )
    .await;
    // Python wrote with the latest version (Warden's 2), then, two days ahead, rotated to
    // 3. (Python looks its DEK up per field, and two days ahead every DEK the registry
    // stamps now is expired too: it creates version 3 for `ssn`, and another for `email`.)
    let reader = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap());
    for (path, version, ssn) in [(&out_now, 2, "444-55-6666"), (&out_later, 3, "777-88-9999")] {
        let theirs = unhex(&std::fs::read_to_string(path).unwrap());
        assert_eq!(ssn_version(&theirs), version, "Python's DEK version");
        let read = reader.deserialize_json(&theirs).await.unwrap();
        assert_eq!(read["ssn"], ssn, "Warden decrypts Python's field");
        assert_eq!(read["email"], "b@example.com");
    }
    let latest = app
        .get("/dek-registry/v1/keks/kek1/deks/pyrot-value/versions/latest")
        .await
        .body["version"]
        .as_i64()
        .unwrap() as i32;
    assert!(latest >= 3, "Python created version 3 ({latest})");
    assert_eq!(
        dek_versions(&app, "pyrot-value", "AES256_GCM").await,
        json!((1..=latest).collect::<Vec<_>>())
    );
    // A Warden writer now takes Python's latest version; the old records still decrypt.
    let after = writer(&app, DekClock::default())
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    assert_eq!(ssn_version(&after), latest);
    for record in [&v1, &v2, &after] {
        assert!(reader.deserialize_json(record).await.is_ok());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_registry_clients_executor_and_warden_read_each_others_rotated_fields() {
    use std::collections::HashMap;

    use apache_avro_021::types::Value as TheirValue;
    use schema_registry_client::rest::dek_registry_client::DekRegistryClient;
    use schema_registry_client::rules::encryption::encrypt_executor::{
        FakeClock, FieldEncryptionExecutor,
    };
    use schema_registry_client::rules::encryption::localkms::local_driver::LocalKmsDriver;
    use schema_registry_client::serdes::avro::{
        AvroDeserializer as TheirDeserializer, AvroSerializer as TheirSerializer,
    };
    use schema_registry_client::serdes::config::{
        DeserializerConfig, SchemaSelector, SerializerConfig as TheirConfig,
    };
    use schema_registry_client::serdes::rule_registry::RuleRegistry;
    use schema_registry_client::serdes::serde::{SerdeFormat, SubjectNameStrategyType};

    use_local_kms();
    LocalKmsDriver::register();
    // The crate (0.4.2) cannot rotate a DEK itself: its `is_expired` computes
    // `now - ts / MILLIS_IN_DAY` (operator precedence), so with a real clock every DEK is
    // expired; and once it has created the next version it writes that key's ciphertexts
    // behind the previous version's number (it sets the new key material on its cached
    // latest DEK), which no reader, Confluent's included, can decrypt. With its clock at 0
    // nothing expires: it writes with the latest version, the rotated format under test.
    let app = spawn_app().await;
    // Inline tags only (the crate takes a metadata tag's pattern for its tags).
    let body = json!({"schema": crate::encryption::CUSTOMER,
                      "ruleSet": {"domainRules": [rotating_rule("AES256_GCM")]}});
    let r = app.register_body("rsrot-value", &body).await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
    let theirs_client = crate::confluent::new_client(&app.address);
    let rule_config = HashMap::from([("secret".to_owned(), SECRET.to_owned())]);
    let registry = || {
        let rules = RuleRegistry::new();
        rules.register_executor(FieldEncryptionExecutor::<DekRegistryClient>::new(
            FakeClock::new(0),
        ));
        rules
    };
    let field = |value: &TheirValue, name: &str| match value {
        TheirValue::Record(fields) => fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone()),
        other => panic!("a record, got {other:?}"),
    };

    // Warden writes with versions 1 and (a day ahead) 2; the crate reads both.
    let ctx = SerializationContext::value("rsrot");
    let offset = Arc::new(AtomicI64::new(0));
    let ser = writer(&app, shifted_clock(&offset));
    let v1 = ser
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    offset.store(DAY_MS + 60_000, Ordering::SeqCst);
    let v2 = ser
        .serialize_json(&ctx, &customer("222-33-4444"))
        .await
        .unwrap();
    assert_eq!((ssn_version(&v1), ssn_version(&v2)), (1, 2));
    let reader = TheirDeserializer::new(
        &theirs_client,
        Some(registry()),
        DeserializerConfig {
            subject_name_strategy_type: SubjectNameStrategyType::Topic,
            rule_config: rule_config.clone(),
            ..DeserializerConfig::default()
        },
    )
    .unwrap();
    let context = crate::confluent::value_context("rsrot", SerdeFormat::Avro);
    for (record, ssn) in [(&v1, "123-45-6789"), (&v2, "222-33-4444")] {
        let read = reader.deserialize(&context, record).await.unwrap();
        assert_eq!(
            field(&read.value, "ssn"),
            Some(TheirValue::String(ssn.into())),
            "the crate decrypts Warden's field of DEK version {}",
            ssn_version(record)
        );
    }

    // The crate writes with rotation on, with the latest DEK (Warden's version 2); Warden
    // reads the version its prefix names.
    let writer = TheirSerializer::new(
        &theirs_client,
        None,
        Some(registry()),
        TheirConfig {
            auto_register_schemas: false,
            use_schema: Some(SchemaSelector::LatestVersion),
            subject_name_strategy_type: SubjectNameStrategyType::Topic,
            rule_config,
            ..TheirConfig::default()
        },
    )
    .unwrap();
    let record = TheirValue::Record(vec![
        ("id".into(), TheirValue::String("c-2".into())),
        ("ssn".into(), TheirValue::String("444-55-6666".into())),
        (
            "email".into(),
            TheirValue::Union(1, Box::new(TheirValue::String("b@example.com".into()))),
        ),
        ("note".into(), TheirValue::String("rs".into())),
    ]);
    let bytes = writer.serialize(&context, record).await.unwrap();
    assert_eq!(
        ssn_version(&bytes),
        2,
        "the crate writes with the latest version"
    );
    let read = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap())
        .deserialize_json(&bytes)
        .await
        .unwrap();
    assert_eq!(
        read["ssn"], "444-55-6666",
        "Warden decrypts the crate's field"
    );
}
