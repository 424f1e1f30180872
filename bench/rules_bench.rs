//! Serializer throughput under data-contract rules, as a ratio to the same serializer without
//! rules, on one core, printed as a Markdown table.
//!
//! ```sh
//! cargo run --release -p warden-bench --bin rules_bench
//! cargo run --release -p warden-bench --bin rules_bench -- --records 100000 --runs 7
//! ```
//!
//! A registry is started in-process (fresh SQLite). The 10-field `acme.Order` record of
//! `tests/fixtures/orders.rs` is registered twice per format: under `plain-<format>-value`
//! with no rules, and under `rules-<format>-value` with one `CEL` condition on the whole
//! message (`message.amount >= 0.0`) and one `CEL_FIELD` condition on the field the metadata
//! tags `PII` (the customer's email: `value.isEmail()`). Both serializers write with the
//! subject's latest version; the rule programs are compiled at the first record and reused.
//! Each row cycles through 10,000 distinct values: a warm-up pass, then `--runs` timed runs
//! (default 7) of `--records` calls (default 100,000); the median run is shown, and the
//! ratio is rules / no rules of the medians.

use serde_json::{Value, json};
use warden_core::{SchemaType, Subject};
use warden_serde::{
    AvroSerializer, JsonSerializer, RegisterOptions, RegistryClient, SerializationContext,
    SerializerConfig, UnregisteredSchema,
};

mod report;
mod timing;

#[allow(dead_code)]
#[path = "../tests/fixtures/orders.rs"]
mod orders;

use orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, Order, order};
use report::{group, load_average};
use timing::{DISTINCT, measure};

fn main() {
    let (records, runs) = timing::options(7);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(run(records, runs));
}

async fn register(
    client: &RegistryClient,
    subject: &str,
    schema_type: SchemaType,
    text: &str,
    rules: Option<(Value, Value)>,
) {
    let mut options = RegisterOptions::default();
    if let Some((rule_set, metadata)) = rules {
        options.rule_set = Some(rule_set);
        options.metadata = Some(metadata);
    }
    client
        .register_with(
            &Subject::parse(subject).expect("a subject"),
            &UnregisteredSchema::new(schema_type, text),
            options,
        )
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
}

async fn run(records: usize, runs: usize) {
    let load_before = load_average();
    let app = warden_testkit::spawn_app().await;
    let client = RegistryClient::new(&app.address).expect("a client");
    let rule_set = json!({"domainRules": [
        {"name": "nonNegative", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.amount >= 0.0"},
        {"name": "email", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.isEmail()"}
    ]});
    let avro_tags = json!({"tags": {"acme.Customer.email": ["PII"]}});
    let json_tags = json!({"tags": {"$.customer.email": ["PII"]}});
    register(
        &client,
        "plain-avro-value",
        SchemaType::Avro,
        ORDER_AVSC,
        None,
    )
    .await;
    register(
        &client,
        "rules-avro-value",
        SchemaType::Avro,
        ORDER_AVSC,
        Some((rule_set.clone(), avro_tags)),
    )
    .await;
    register(
        &client,
        "plain-json-value",
        SchemaType::Json,
        ORDER_JSON_SCHEMA,
        None,
    )
    .await;
    register(
        &client,
        "rules-json-value",
        SchemaType::Json,
        ORDER_JSON_SCHEMA,
        Some((rule_set, json_tags)),
    )
    .await;

    // The same two rules with the field picked by a guard on its name instead of by tag (the
    // guard runs on every field).
    let by_name = json!({"domainRules": [
        {"name": "nonNegative", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.amount >= 0.0"},
        {"name": "email", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "expr": "name == 'email' ; value.isEmail()"}
    ]});
    register(
        &client,
        "named-avro-value",
        SchemaType::Avro,
        ORDER_AVSC,
        Some((by_name, json!({}))),
    )
    .await;
    let config = SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    };
    let avro = AvroSerializer::from_registry(client.clone(), config.clone());
    let json_ser = JsonSerializer::from_registry(client.clone(), config);
    let structs: Vec<Order> = (0..DISTINCT).map(order).collect();
    let documents: Vec<Value> = structs
        .iter()
        .map(|o| serde_json::to_value(o).expect("JSON"))
        .collect();
    let (avro, json_ser, structs, documents) = (&avro, &json_ser, &structs, &documents);

    // Each rule must hold for every value, or the benchmark would measure refusals.
    for topic in ["rules-avro", "rules-json"] {
        let ctx = SerializationContext::value(topic);
        let written = if topic == "rules-avro" {
            avro.serialize(&ctx, &structs[0]).await
        } else {
            json_ser.serialize_value(&ctx, &documents[0]).await
        };
        written.expect("the benchmark's records pass the rules");
    }

    let mut rows = Vec::new();
    for (name, kind, with_rules) in [
        ("Avro from a serde struct", 0, "rules"),
        ("Avro from a `serde_json::Value`", 1, "rules"),
        ("JSON Schema from a `serde_json::Value`", 2, "rules"),
        ("Avro from a serde struct, CEL_FIELD by name", 0, "named"),
    ] {
        let mut rates = [0.0; 2];
        for (slot, prefix) in ["plain", with_rules].into_iter().enumerate() {
            let topic = match kind {
                0 | 1 => format!("{prefix}-avro"),
                _ => format!("{prefix}-json"),
            };
            let topic = &topic;
            rates[slot] = measure(records, runs, move |i| async move {
                let ctx = SerializationContext::value(topic);
                let bytes = match kind {
                    0 => avro.serialize(&ctx, &structs[i]).await,
                    1 => avro.serialize_json(&ctx, &documents[i]).await,
                    _ => json_ser.serialize_value(&ctx, &documents[i]).await,
                };
                bytes.expect("a valid Order").len()
            })
            .await;
            eprintln!("{name}, {prefix}: {:.0} records/s", rates[slot]);
        }
        rows.push((name, rates[0], rates[1]));
    }

    println!(
        "One core, {records} records per run, median of {runs} runs; load before {load_before}, after {}.\n",
        load_average()
    );
    println!(
        "| serializer | no rules records/s | CEL + CEL_FIELD records/s | ratio (target ≥ 0.5) |"
    );
    println!("|---|---:|---:|---:|");
    for (name, plain, rules) in rows {
        println!(
            "| {name} | {} | {} | {:.2} |",
            group(plain),
            group(rules),
            rules / plain
        );
    }
}
