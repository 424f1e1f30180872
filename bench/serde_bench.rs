//! Serialize-and-validate throughput of the serializers on one core, printed as a Markdown
//! table: records/s and ns/record for the 10-field `acme.Order` record of
//! `tests/fixtures/orders.rs`, per format and input shape.
//!
//! ```sh
//! cargo run --release -p warden-bench --bin serde_bench
//! cargo run --release -p warden-bench --bin serde_bench -- --records 200000 --runs 9
//! ```
//!
//! A registry is started in-process (`warden_testkit::spawn_app`, fresh SQLite) and the
//! schemas are registered under `<topic>-value`; every serializer uses the default
//! [`SerializerConfig`] (lookup, `TopicNameStrategy`), so the first call per serializer
//! fetches the schema and every later one is served from its cache. Everything runs on a
//! current-thread tokio runtime, i.e. one core.
//!
//! Each row cycles through 10,000 distinct precomputed values: one warm-up pass over all of
//! them, then `--runs` timed runs (default 7) of `--records` calls each (default 100,000);
//! the table shows the median run. Converting the inputs (e.g. `Order` → `serde_json::Value`)
//! is done before timing. The last rows, to show where the time goes, encode without a
//! schema or validation, or run single steps of the serializers with the parsed schema in
//! hand (Avro's validating encoders from JSON and from serde, JSON Schema validation by
//! `jsonschema` and by Warden's subset validator, finding the Protobuf message, checking the
//! `prost` encoding against the schema's message with the descriptor walk and with the check
//! compiled once, and checking an Avro datum by decoding it and without building it).
//! `--only TEXT` measures only the rows whose name contains `TEXT` (to profile one row).

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use prost::Message as _;
use serde_json::Value;
use warden_core::json::Verdict;
use warden_core::{ParsedSchema, SchemaType, Subject};
use warden_serde::{
    AvroSerializer, JsonSerializer, ProtobufSerializer, RegistryClient, SerializationContext,
    SerializerConfig, UnregisteredSchema,
};

mod report;

// The fixtures are shared with the tests; this benchmark uses part of them.
#[allow(dead_code)]
#[path = "../tests/fixtures/orders.rs"]
mod orders;

use orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, order, proto};
use report::{group, load_average};

/// The Protobuf message's full name.
const ORDER: &str = "acme.Order";

/// Distinct values each row cycles through.
const DISTINCT: usize = 10_000;

/// Command-line options.
#[derive(Debug, Clone, Copy)]
struct Options {
    records: usize,
    runs: usize,
    /// Only the rows whose name contains this (for profiling one row).
    only: Option<&'static str>,
}

fn options() -> Options {
    let mut options = Options {
        records: 100_000,
        runs: 7,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || -> usize {
            args.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--records" => options.records = number(),
            "--runs" => options.runs = number().max(1),
            "--only" => {
                let text = args.next().unwrap_or_else(|| panic!("--only needs a text"));
                options.only = Some(Box::leak(text.into_boxed_str()));
            }
            other => panic!("unknown option {other} (expected --records N, --runs N, --only TEXT)"),
        }
    }
    options
}

/// One measured row.
#[derive(Debug)]
struct Row {
    name: &'static str,
    /// Duration of each timed run.
    runs: Vec<Duration>,
    records: usize,
    /// Mean encoded size in bytes (Confluent header included for the serializers); `None`
    /// for rows that produce no bytes.
    bytes: Option<f64>,
}

impl Row {
    fn median(&self) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        sorted[sorted.len() / 2]
    }

    fn records_per_second(&self, run: Duration) -> f64 {
        self.records as f64 / run.as_secs_f64()
    }
}

/// Calls `f(i)` for `i` in `0..DISTINCT` once as a warm-up, then `options.runs` times for
/// `options.records` consecutive `i`; `f` returns the encoded length (0: no bytes).
async fn measure<F, Fut>(name: &'static str, options: Options, mut f: F) -> Row
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = usize>,
{
    if options.only.is_some_and(|only| !name.contains(only)) {
        return Row {
            name,
            runs: Vec::new(),
            records: options.records,
            bytes: None,
        };
    }
    let mut total = 0usize;
    for i in 0..DISTINCT {
        total += f(i).await;
    }
    let bytes = (total > 0).then(|| total as f64 / DISTINCT as f64);
    let mut runs = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        let start = Instant::now();
        let mut sum = 0usize;
        for i in 0..options.records {
            sum += f(i % DISTINCT).await;
        }
        runs.push(start.elapsed());
        black_box(sum);
    }
    let row = Row {
        name,
        runs,
        records: options.records,
        bytes,
    };
    eprintln!(
        "{name}: {:.0} records/s",
        row.records_per_second(row.median())
    );
    row
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(options));
}

async fn run(options: Options) {
    let load_before = load_average();
    let app = warden_testkit::spawn_app().await;
    let client = RegistryClient::new(&app.address).expect("a registry client");
    let schemas = [
        ("bench-avro", SchemaType::Avro, ORDER_AVSC),
        ("bench-json", SchemaType::Json, ORDER_JSON_SCHEMA),
        ("bench-protobuf", SchemaType::Protobuf, ORDER_PROTO),
    ];
    for (topic, schema_type, text) in schemas {
        client
            .register(
                &Subject::parse(&format!("{topic}-value")).expect("a valid subject"),
                &UnregisteredSchema::new(schema_type, text),
            )
            .await
            .unwrap_or_else(|e| panic!("{topic}: the schema registers: {e}"));
    }
    let config = SerializerConfig::default();
    let avro = AvroSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        config.clone(),
    );
    let json = JsonSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        config.clone(),
    );
    let protobuf = ProtobufSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        config,
    );
    let avro_ctx = SerializationContext::value("bench-avro");
    let json_ctx = SerializationContext::value("bench-json");
    let protobuf_ctx = SerializationContext::value("bench-protobuf");

    let structs: Vec<Order> = (0..DISTINCT).map(order).collect();
    let documents: Vec<Value> = structs
        .iter()
        .map(|o| serde_json::to_value(o).expect("an Order is JSON"))
        .collect();
    let messages: Vec<proto::Order> = (0..DISTINCT).map(proto::order).collect();

    let (avro, json, protobuf) = (&avro, &json, &protobuf);
    let (avro_ctx, json_ctx, protobuf_ctx) = (&avro_ctx, &json_ctx, &protobuf_ctx);
    let (structs, documents, messages) = (&structs, &documents, &messages);

    let mut rows = Vec::new();
    rows.push(
        measure("Avro from a serde struct", options, move |i| async move {
            let bytes = avro.serialize(avro_ctx, &structs[i]).await;
            bytes.expect("a valid Order").len()
        })
        .await,
    );
    rows.push(
        measure(
            "Avro from a `serde_json::Value`",
            options,
            move |i| async move {
                let bytes = avro.serialize_json(avro_ctx, &documents[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            "JSON Schema from a serde struct",
            options,
            move |i| async move {
                let bytes = json.serialize(json_ctx, &structs[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            "JSON Schema from a `serde_json::Value`",
            options,
            move |i| async move {
                let bytes = json.serialize_value(json_ctx, &documents[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            "Protobuf from a `prost` message",
            options,
            move |i| async move {
                let bytes = protobuf.serialize(protobuf_ctx, &messages[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            "Protobuf from a `serde_json::Value`",
            options,
            move |i| async move {
                let bytes = protobuf
                    .serialize_json(protobuf_ctx, None, &documents[i])
                    .await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    let references = rows.len();
    rows.push(
        measure(
            "reference: `serde_json::to_value` of the struct only",
            options,
            move |i| {
                let value = serde_json::to_value(&structs[i]).expect("an Order is JSON");
                black_box(value);
                std::future::ready(0)
            },
        )
        .await,
    );
    rows.push(
        measure(
            "reference: `serde_json::to_vec` of the struct (no schema)",
            options,
            move |i| {
                let bytes = serde_json::to_vec(&structs[i]).expect("an Order is JSON");
                std::future::ready(black_box(bytes).len())
            },
        )
        .await,
    );
    rows.push(
        measure(
            "reference: `prost` `encode_to_vec` (no schema)",
            options,
            move |i| std::future::ready(black_box(messages[i].encode_to_vec()).len()),
        )
        .await,
    );
    // The same steps with the parsed schema in hand: what each serializer does per record
    // besides finding its schema.
    let parse = |schema_type, text| {
        ParsedSchema::parse(schema_type, text, &[]).expect("the fixture schema parses")
    };
    let (
        ParsedSchema::Avro(avro_schema),
        ParsedSchema::Json(json_schema),
        ParsedSchema::Protobuf(protobuf_schema),
    ) = (
        parse(SchemaType::Avro, ORDER_AVSC),
        parse(SchemaType::Json, ORDER_JSON_SCHEMA),
        parse(SchemaType::Protobuf, ORDER_PROTO),
    )
    else {
        unreachable!("parsed as asked");
    };
    let descriptor = protobuf_schema
        .message(ORDER)
        .expect("the schema has acme.Order");
    let encoded: Vec<Vec<u8>> = messages.iter().map(|m| m.encode_to_vec()).collect();
    let (avro_schema, json_schema, protobuf_schema) =
        (&avro_schema, &json_schema, &protobuf_schema);
    let (descriptor, encoded) = (&descriptor, &encoded);
    rows.push(
        measure(
            "schema in hand: Avro `encode_json` of the `Value` (validating encoder)",
            options,
            move |i| {
                let mut out = Vec::with_capacity(64);
                avro_schema
                    .encode_json(&documents[i], &mut out)
                    .expect("a valid Order");
                std::future::ready(black_box(out).len())
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: Avro `encode_serde` of the struct (validating encoder)",
            options,
            move |i| {
                let mut out = Vec::with_capacity(64);
                avro_schema
                    .encode_serde(&structs[i], &mut out)
                    .expect("a valid Order");
                std::future::ready(black_box(out).len())
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: JSON Schema `validate` of the `Value`",
            options,
            move |i| {
                json_schema.validate(&documents[i]).expect("a valid Order");
                std::future::ready(0)
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: JSON Schema subset check of the `Value` (Warden's validator)",
            options,
            move |i| {
                let verdict = json_schema.subset_check_value(&documents[i]);
                assert_eq!(verdict, Verdict::Valid, "a valid Order");
                std::future::ready(0)
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: JSON Schema `serde_json::to_writer` of the struct + subset check of the text",
            options,
            move |i| {
                let mut out = Vec::with_capacity(256);
                serde_json::to_writer(&mut out, &structs[i]).expect("an Order is JSON");
                let verdict = json_schema.subset_check_text(&out);
                assert_eq!(verdict, Verdict::Valid, "a valid Order");
                std::future::ready(black_box(out).len())
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: JSON Schema subset check of the struct from its `Serialize` calls (what the serializer runs, after `to_writer`)",
            options,
            move |i| {
                let verdict = json_schema.subset_check_serde(&structs[i]);
                assert_eq!(verdict, Verdict::Valid, "a valid Order");
                std::future::ready(0)
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: Protobuf `message_indexes` + `message_by_indexes`",
            options,
            move |_| {
                let indexes = protobuf_schema.message_indexes(ORDER).expect("acme.Order");
                let found = protobuf_schema.message_by_indexes(&indexes);
                black_box((indexes, found));
                std::future::ready(0)
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: Protobuf `check_encoding` of the `prost` encoding (the validation)",
            options,
            move |i| {
                protobuf_schema
                    .check_encoding(descriptor, &encoded[i])
                    .expect("a valid Order");
                std::future::ready(0)
            },
        )
        .await,
    );
    let avro_datums: Vec<Vec<u8>> = structs
        .iter()
        .map(|order| {
            let mut out = Vec::with_capacity(64);
            avro_schema
                .encode_serde(order, &mut out)
                .expect("a valid Order");
            out
        })
        .collect();
    let avro_datums = &avro_datums;
    rows.push(
        measure(
            "schema in hand: Avro `decode` of the datum (apache-avro's reader, a `Value` built)",
            options,
            move |i| {
                let value = avro_schema.decode(&avro_datums[i]).expect("a valid Order");
                black_box(value);
                std::future::ready(0)
            },
        )
        .await,
    );
    rows.push(
        measure(
            "schema in hand: Avro `check_encoding` of the datum (no value built: what the proxy runs)",
            options,
            move |i| {
                avro_schema
                    .check_encoding(&avro_datums[i])
                    .expect("a valid Order");
                std::future::ready(0)
            },
        )
        .await,
    );
    let compiled = warden_core::protobuf::EncodingCheck::new(descriptor);
    let compiled = &compiled;
    rows.push(
        measure(
            "schema in hand: Protobuf `EncodingCheck::check` (compiled once, what the serializer runs)",
            options,
            move |i| {
                compiled.check(&encoded[i]).expect("a valid Order");
                std::future::ready(0)
            },
        )
        .await,
    );
    let load_after = load_average();

    println!(
        "Serialize-and-validate, one core: {} records per run, {} runs, median run shown \
         (all runs in records/s in the last column). Load average before {load_before}, \
         after {load_after}.",
        group(options.records as f64),
        options.runs
    );
    println!();
    println!(
        "| input (10-field `acme.Order`) | records/s | ns/record | bytes/record | runs (records/s) |"
    );
    println!("|---|---:|---:|---:|---|");
    for (n, row) in rows.iter().enumerate() {
        if n == references {
            println!("| *without a registry or validation:* | | | | |");
        }
        if row.runs.is_empty() {
            continue;
        }
        let median = row.median();
        let all = row
            .runs
            .iter()
            .map(|&r| group(row.records_per_second(r)))
            .collect::<Vec<_>>()
            .join(", ");
        let size = row
            .bytes
            .map_or_else(|| "–".to_owned(), |b| format!("{b:.1}"));
        println!(
            "| {} | {} | {:.0} | {size} | {all} |",
            row.name,
            group(row.records_per_second(median)),
            median.as_nanos() as f64 / row.records as f64,
        );
    }
}
