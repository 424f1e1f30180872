//! Field-encryption throughput (data contracts' `ENCRYPT` rule) with DEKs cached, on one
//! core, printed as a Markdown table.
//!
//! ```sh
//! cargo run --release -p warden-bench --bin encrypt_bench
//! cargo run --release -p warden-bench --bin encrypt_bench -- --records 100000 --runs 5
//! ```
//!
//! A registry is started in-process (fresh SQLite). The 10-field `acme.Order` record of
//! `tests/fixtures/orders.rs` is registered under `plain-value` with no rules, and under
//! `gcm-value` and `siv-value` with one `ENCRYPT` rule on the field the metadata tags `PII`
//! (the customer's email), with an `AES256_GCM` and an `AES256_SIV` DEK, local KMS, and
//! under `gcmrot-value` with the `AES256_GCM` rule and DEK rotation
//! (`encrypt.dek.expiry.days` 30: version-prefixed ciphertexts, whose version the reader
//! reads before the rules run). The
//! KEK and each subject's DEK are created at the first record and kept; the timed runs never
//! reach the registry. Each row cycles through 10,000 distinct values: a warm-up pass, then
//! `--runs` timed runs (default 5) of `--records` calls (default 100,000); the median run
//! is shown. Writes are `AvroSerializer::serialize_json`; reads are
//! `AvroDeserializer::deserialize_json` of the records that serializer wrote.

use std::sync::Arc;

use serde_json::{Value, json};
use warden_core::encryption::LocalKms;
use warden_core::{SchemaType, Subject};
use warden_serde::{
    AvroDeserializer, AvroSerializer, RegisterOptions, RegistryClient, SerializationContext,
    SerializerConfig, UnregisteredSchema,
};

mod report;
mod timing;

#[allow(dead_code)]
#[path = "../tests/fixtures/orders.rs"]
mod orders;

use orders::{ORDER_AVSC, order};
use report::{group, load_average};
use timing::{DISTINCT, measure};

fn main() {
    let (records, runs) = timing::options(5);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(run(records, runs));
}

async fn register(
    client: &RegistryClient,
    subject: &str,
    algorithm: Option<&str>,
    expiry_days: Option<&str>,
) {
    let mut options = RegisterOptions::default();
    if let Some(algorithm) = algorithm {
        let mut params = json!({"encrypt.kek.name": "bench", "encrypt.kms.type": "local-kms",
                                "encrypt.kms.key.id": "bench", "encrypt.dek.algorithm": algorithm});
        if let Some(days) = expiry_days {
            params["encrypt.dek.expiry.days"] = json!(days);
        }
        options.rule_set = Some(json!({"domainRules": [
            {"name": "encryptPii", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "ENCRYPT",
             "tags": ["PII"], "params": params}
        ]}));
        options.metadata = Some(json!({"tags": {"acme.Customer.email": ["PII"]}}));
    }
    client
        .register_with(
            &Subject::parse(subject).expect("a subject"),
            &UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
            options,
        )
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
}

async fn run(records: usize, runs: usize) {
    let load_before = load_average();
    warden_serde::register_kms(Arc::new(LocalKms::new("benchmark secret")));
    let app = warden_testkit::spawn_app().await;
    let client = RegistryClient::new(&app.address).expect("a client");
    register(&client, "plain-value", None, None).await;
    register(&client, "gcm-value", Some("AES256_GCM"), None).await;
    register(&client, "siv-value", Some("AES256_SIV"), None).await;
    register(&client, "gcmrot-value", Some("AES256_GCM"), Some("30")).await;
    let config = SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    };
    let ser = AvroSerializer::from_registry(client.clone(), config);
    let de = AvroDeserializer::new(client.clone());
    let documents: Vec<Value> = (0..DISTINCT)
        .map(|i| serde_json::to_value(order(i)).expect("JSON"))
        .collect();
    let (ser, de, documents) = (&ser, &de, &documents);

    let mut rows = Vec::new();
    for topic in ["plain", "gcm", "siv", "gcmrot"] {
        let ctx = SerializationContext::value(topic);
        // The encrypted field must come out as ciphertext, and read back.
        let first = ser
            .serialize_json(&ctx, &documents[0])
            .await
            .expect("written");
        let back = de.deserialize_json(&first).await.expect("read");
        assert_eq!(back, documents[0], "{topic}: the record reads back");
        let written: Vec<Vec<u8>> = {
            let mut all = Vec::with_capacity(DISTINCT);
            for d in documents {
                all.push(ser.serialize_json(&ctx, d).await.expect("written"));
            }
            all
        };
        let written = &written;
        let ctx = &ctx;
        let write = measure(records, runs, move |i| async move {
            ser.serialize_json(ctx, &documents[i])
                .await
                .expect("written")
                .len()
        })
        .await;
        let read = measure(records, runs, move |i| async move {
            match de.deserialize_json(&written[i]).await.expect("read") {
                Value::Object(m) => m.len(),
                _ => 0,
            }
        })
        .await;
        eprintln!("{topic}: write {write:.0}/s, read {read:.0}/s");
        rows.push((topic, write, read));
    }

    println!(
        "One core, {records} records per run, median of {runs} runs; load before {load_before}, after {}.\n",
        load_average()
    );
    println!(
        "| Avro `acme.Order`, email tagged PII | write records/s | ratio | read records/s | ratio |"
    );
    println!("|---|---:|---:|---:|---:|");
    let (plain_write, plain_read) = (rows[0].1, rows[0].2);
    for (topic, write, read) in rows {
        let name = match topic {
            "plain" => "no rules",
            "gcm" => "ENCRYPT, AES256_GCM DEK",
            "siv" => "ENCRYPT, AES256_SIV DEK (deterministic)",
            _ => "ENCRYPT, AES256_GCM DEK, rotation (`encrypt.dek.expiry.days` 30)",
        };
        println!(
            "| {name} | {} | {:.2} | {} | {:.2} |",
            group(write),
            write / plain_write,
            group(read),
            read / plain_read
        );
    }
}
