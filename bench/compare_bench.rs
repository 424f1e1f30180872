//! Warden's serializers against the Rust serializers a user would otherwise pick, on the same
//! records, against the same registry, in the same run (issue 15): `schema-registry-client`
//! 0.4.2 (Confluent-compatible serdes) and `schema_registry_converter` 6.0 (encoders), for
//! Avro, Protobuf and JSON Schema, plus `serde_json::to_vec` and `prost`'s `encode_to_vec`
//! sent as bytes (no schema). What each validates: Avro values are checked against the schema
//! by both crates' `apache-avro` writers; JSON documents by `jsonschema` in both
//! (`schema-registry-client` with its `validate` option on, off by default;
//! `schema_registry_converter` always); Protobuf messages by neither (the converter takes
//! bytes already encoded, `schema-registry-client` a `DynamicMessage` typed by its
//! descriptor), while Warden checks the `prost` encoding against the registered schema.
//!
//! ```sh
//! cargo run --release -p warden-bench --bin compare_bench
//! cargo run --release -p warden-bench --bin compare_bench -- --registry http://127.0.0.1:8081 --tsv rows.tsv
//! ```
//!
//! Every row serializes the 10-field `acme.Order` of `tests/fixtures/orders.rs` (the same
//! field values per record number as `bench/compare_confluent.py`), cycling through 10,000
//! distinct records: one warm-up pass (which also fetches or registers the schema once), then
//! `--runs` timed runs (default 5) of `--records` calls (default 100,000); the median run is
//! shown. Each serializer gets its natural input, built before timing; when its API takes the
//! input by value, the clone it forces is timed (the row says so). Without `--registry`, a
//! registry is started in-process (`warden_testkit::spawn_app`, fresh SQLite); with it, the
//! given `warden serve` is used (what `bench/compare.sh` does, so the Python serializers use
//! the same server). One core: a current-thread tokio runtime.
//!
//! Subjects: `compare-<format>-value`, registered before the rows; every serializer looks its
//! schema up there once and caches it (Warden's default; `schema-registry-client` with
//! `auto_register_schemas: false`, plus one row with its defaults as they are). `--tsv PATH` also writes the rows as `format, library, input, records/s, ns/record,
//! bytes/record` for `bench/compare.sh` to merge with the Python rows.

use std::hint::black_box;
use std::time::{Duration, Instant};

use prost::Message as _;
use schema_registry_client::rest::schema_registry_client::SchemaRegistryClient;
use schema_registry_client::serdes::avro::AvroSerializer as SrcAvroSerializer;
use schema_registry_client::serdes::config::{SchemaSelector, SerializerConfig as SrcConfig};
use schema_registry_client::serdes::json::JsonSerializer as SrcJsonSerializer;
use schema_registry_client::serdes::protobuf::ProtobufSerializer as SrcProtobufSerializer;
use schema_registry_client::serdes::serde::SerdeFormat;
use schema_registry_converter::async_impl::avro::AvroEncoder;
use schema_registry_converter::async_impl::json::JsonEncoder;
use schema_registry_converter::async_impl::proto_raw::ProtoRawEncoder;
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::SubjectNameStrategy;
use serde_json::Value;
use warden_core::{SchemaType, Subject};
use warden_serde::{
    AvroSerializer, JsonSerializer, ProtobufSerializer, RegistryClient, SerializationContext,
    SerializerConfig, UnregisteredSchema,
};

mod report;

// The fixtures are shared with the tests; this benchmark uses part of them.
#[allow(dead_code)]
#[path = "../tests/fixtures/orders.rs"]
mod orders;

#[allow(dead_code)]
#[path = "../tests/fixtures/confluent_rust.rs"]
mod confluent;

use orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, order, proto};
use report::{group, load_average};

/// Distinct records each row cycles through.
const DISTINCT: usize = 10_000;

/// Command-line options.
#[derive(Debug, Clone)]
struct Options {
    records: usize,
    runs: usize,
    registry: Option<String>,
    tsv: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        records: 100_000,
        runs: 5,
        registry: None,
        tsv: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--records" => options.records = number(&arg, &value()),
            "--runs" => options.runs = number(&arg, &value()).max(1),
            "--registry" => options.registry = Some(value()),
            "--tsv" => options.tsv = Some(value()),
            other => panic!(
                "unknown option {other} (expected --records N, --runs N, --registry URL, --tsv PATH)"
            ),
        }
    }
    options
}

fn number(arg: &str, value: &str) -> usize {
    value
        .replace('_', "")
        .parse()
        .unwrap_or_else(|_| panic!("{arg} needs a number, got {value}"))
}

/// One measured row.
#[derive(Debug)]
struct Row {
    format: &'static str,
    library: &'static str,
    input: &'static str,
    /// Duration of each timed run.
    runs: Vec<Duration>,
    records: usize,
    /// Mean size of what the call returns, in bytes (framing included).
    bytes: f64,
}

impl Row {
    fn median(&self) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        sorted[sorted.len() / 2]
    }

    fn records_per_second(&self) -> f64 {
        self.records as f64 / self.median().as_secs_f64()
    }

    fn ns_per_record(&self) -> f64 {
        self.median().as_nanos() as f64 / self.records as f64
    }
}

/// Calls `f(i)` for `i` in `0..DISTINCT` once as a warm-up, then `options.runs` times for
/// `options.records` consecutive `i`; `f` returns the encoded length.
async fn measure<F, Fut>(
    (format, library, input): (&'static str, &'static str, &'static str),
    options: &Options,
    mut f: F,
) -> Row
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = usize>,
{
    let mut total = 0usize;
    for i in 0..DISTINCT {
        total += f(i).await;
    }
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
        format,
        library,
        input,
        runs,
        records: options.records,
        bytes: total as f64 / DISTINCT as f64,
    };
    eprintln!(
        "{format} | {library} | {input}: {:.0} records/s",
        row.records_per_second()
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
    let _app;
    let address = match &options.registry {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            _app = warden_testkit::spawn_app().await;
            _app.address.clone()
        }
    };
    let client = RegistryClient::new(&address).expect("a registry client");
    let schemas = [
        ("compare-avro", SchemaType::Avro, ORDER_AVSC),
        ("compare-json", SchemaType::Json, ORDER_JSON_SCHEMA),
        ("compare-protobuf", SchemaType::Protobuf, ORDER_PROTO),
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

    // The inputs, built before timing.
    let structs: Vec<Order> = (0..DISTINCT).map(order).collect();
    let documents: Vec<Value> = structs
        .iter()
        .map(|o| serde_json::to_value(o).expect("an Order is JSON"))
        .collect();
    let messages: Vec<proto::Order> = (0..DISTINCT).map(proto::order).collect();
    let avro_schema =
        apache_avro::Schema::parse_str(ORDER_AVSC).expect("the fixture's Avro schema parses");
    // Avro values resolved against the schema (unions and enums as the schema has them), as
    // each crate's own `to_value` and `resolve` make them.
    let avro_values: Vec<apache_avro::types::Value> = structs
        .iter()
        .map(|o| {
            apache_avro::to_value(o)
                .and_then(|v| v.resolve(&avro_schema))
                .expect("an Order is an Avro value")
        })
        .collect();
    let avro_schema_021 = apache_avro_021::Schema::parse_str(ORDER_AVSC)
        .expect("the fixture's Avro schema parses (apache-avro 0.21)");
    let avro_values_021: Vec<apache_avro_021::types::Value> = structs
        .iter()
        .map(|o| {
            apache_avro_021::to_value(o)
                .and_then(|v| v.resolve(&avro_schema_021))
                .expect("an Order is an Avro value")
        })
        .collect();
    let descriptor = confluent::descriptor(ORDER_PROTO, "acme.Order");
    let dynamic: Vec<prost_reflect_015::DynamicMessage> = (0..DISTINCT)
        .map(|n| confluent::dynamic_order_of(descriptor.clone(), n))
        .collect();

    // Warden.
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
    let avro_ctx = SerializationContext::value("compare-avro");
    let json_ctx = SerializationContext::value("compare-json");
    let protobuf_ctx = SerializationContext::value("compare-protobuf");

    // schema-registry-client: looking the schema up under the subject, as Warden's
    // serializers do by default (`auto_register_schemas: false`; its other defaults kept),
    // and, for JSON Schema, its validation switched on (`validate`, off by default).
    let src_client: SchemaRegistryClient = confluent::new_client(&address);
    let src_avro_schema = confluent::schema(None, ORDER_AVSC);
    let src_json_schema = confluent::schema(Some("JSON"), ORDER_JSON_SCHEMA);
    let lookup = SrcConfig {
        auto_register_schemas: false,
        ..SrcConfig::default()
    };
    let src_avro =
        SrcAvroSerializer::new(&src_client, Some(&src_avro_schema), None, lookup.clone())
            .expect("schema-registry-client's Avro serializer");
    let src_json = SrcJsonSerializer::new(
        &src_client,
        Some(&src_json_schema),
        None,
        SrcConfig {
            validate: true,
            ..lookup.clone()
        },
    )
    .expect("schema-registry-client's JSON serializer");
    // Its Protobuf lookup sends the message's file descriptor, which does not find the
    // schema registered as text, so it writes with the subject's latest version instead
    // (Confluent's `use.latest.version`).
    let src_protobuf = SrcProtobufSerializer::new(
        &src_client,
        None,
        SrcConfig {
            use_schema: Some(SchemaSelector::LatestVersion),
            ..lookup
        },
    )
    .expect("schema-registry-client's Protobuf serializer");
    // Its defaults as they are (auto-registration on): 0.4.2 writes what `register_schema`
    // answers into one cache and reads another, so it POSTs the schema for every record.
    let src_defaults_client: SchemaRegistryClient = confluent::new_client(&address);
    let src_avro_defaults = SrcAvroSerializer::new(
        &src_defaults_client,
        Some(&src_avro_schema),
        None,
        SrcConfig::default(),
    )
    .expect("schema-registry-client's Avro serializer");
    let src_avro_ctx = confluent::value_context("compare-avro", SerdeFormat::Avro);
    let src_json_ctx = confluent::value_context("compare-json", SerdeFormat::Json);
    let src_protobuf_ctx = confluent::value_context("compare-protobuf", SerdeFormat::Protobuf);

    // schema_registry_converter: the subject's latest schema, looked up by the encoder (and
    // cached by it).
    let settings = SrSettings::new(address.clone());
    let conv_avro = AvroEncoder::new(settings.clone());
    let conv_json = JsonEncoder::new(settings.clone());
    let conv_protobuf = ProtoRawEncoder::new(settings);
    let conv_avro_strategy = SubjectNameStrategy::TopicNameStrategy("compare-avro".into(), false);
    let conv_json_strategy = SubjectNameStrategy::TopicNameStrategy("compare-json".into(), false);
    let conv_protobuf_strategy =
        SubjectNameStrategy::TopicNameStrategy("compare-protobuf".into(), false);

    // The converter's first call of each format fetches the schema (then cached); a fetch
    // refused on a pooled connection the server closed is retried here, before any row.
    for _ in 0..3 {
        let avro_ok = conv_avro
            .encode_struct(&structs[0], &conv_avro_strategy)
            .await
            .is_ok();
        let json_ok = conv_json
            .encode(&documents[0], conv_json_strategy.clone())
            .await
            .is_ok();
        let payload = messages[0].encode_to_vec();
        let protobuf_ok = conv_protobuf
            .encode(&payload, "acme.Order", conv_protobuf_strategy.clone())
            .await
            .is_ok();
        if avro_ok && json_ok && protobuf_ok {
            break;
        }
        // The converter caches failures too.
        conv_avro.remove_errors_from_cache();
        conv_json.remove_errors_from_cache();
        conv_protobuf.remove_errors_from_cache();
    }
    let (avro, json, protobuf) = (&avro, &json, &protobuf);
    let (avro_ctx, json_ctx, protobuf_ctx) = (&avro_ctx, &json_ctx, &protobuf_ctx);
    let (src_avro, src_json, src_protobuf) = (&src_avro, &src_json, &src_protobuf);
    let src_avro_defaults = &src_avro_defaults;
    let (src_avro_ctx, src_json_ctx, src_protobuf_ctx) =
        (&src_avro_ctx, &src_json_ctx, &src_protobuf_ctx);
    let (conv_avro, conv_json, conv_protobuf) = (&conv_avro, &conv_json, &conv_protobuf);
    let (conv_avro_strategy, conv_json_strategy, conv_protobuf_strategy) = (
        &conv_avro_strategy,
        &conv_json_strategy,
        &conv_protobuf_strategy,
    );
    let (structs, documents, messages) = (&structs, &documents, &messages);
    let (avro_values, avro_values_021, dynamic) = (&avro_values, &avro_values_021, &dynamic);

    const WARDEN: &str = "Warden `warden-serde`";
    const SRC: &str = "`schema-registry-client` 0.4.2";
    const CONV: &str = "`schema_registry_converter` 6.0";
    const PLAIN: &str = "no registry, no schema";

    let mut rows = Vec::new();
    // Avro.
    rows.push(
        measure(
            ("Avro", WARDEN, "serde struct `&Order`"),
            &options,
            |i| async move {
                let bytes = avro.serialize(avro_ctx, &structs[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            ("Avro", WARDEN, "apache-avro 0.22 `Value` (by reference)"),
            &options,
            |i| async move {
                let bytes = avro.serialize_value(avro_ctx, &avro_values[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            ("Avro", SRC, "serde struct (`serialize_ser`, `&Order`)"),
            &options,
            |i| async move {
                let bytes = src_avro.serialize_ser(src_avro_ctx, &structs[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "Avro",
                SRC,
                "apache-avro 0.21 `Value` (owned: cloned per call)",
            ),
            &options,
            |i| async move {
                let value = avro_values_021[i].clone();
                let bytes = src_avro.serialize(src_avro_ctx, value).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "Avro",
                SRC,
                "serde struct, its defaults (auto-registration: a POST per record)",
            ),
            &Options {
                records: options.records / 20,
                ..options.clone()
            },
            |i| async move {
                let bytes = src_avro_defaults
                    .serialize_ser(src_avro_ctx, &structs[i])
                    .await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            ("Avro", CONV, "serde struct (`encode_struct`, `&Order`)"),
            &options,
            |i| async move {
                let bytes = conv_avro
                    .encode_struct(&structs[i], conv_avro_strategy)
                    .await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "Avro",
                CONV,
                "apache-avro 0.22 `Value` (`encode_value`, owned: cloned per call)",
            ),
            &options,
            |i| async move {
                let value = avro_values[i].clone();
                let bytes = conv_avro.encode_value(value, conv_avro_strategy).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    // JSON Schema.
    rows.push(
        measure(
            ("JSON Schema", WARDEN, "serde struct `&Order`"),
            &options,
            |i| async move {
                let bytes = json.serialize(json_ctx, &structs[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            ("JSON Schema", WARDEN, "`serde_json::Value` (by reference)"),
            &options,
            |i| async move {
                let bytes = json.serialize_value(json_ctx, &documents[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "JSON Schema",
                SRC,
                "serde struct (`serde_json::to_value` per call, validating)",
            ),
            &options,
            |i| async move {
                let value = serde_json::to_value(&structs[i]).expect("an Order is JSON");
                let bytes = src_json.serialize(src_json_ctx, value).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "JSON Schema",
                SRC,
                "`serde_json::Value` (owned: cloned per call, validating)",
            ),
            &options,
            |i| async move {
                let value = documents[i].clone();
                let bytes = src_json.serialize(src_json_ctx, value).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "JSON Schema",
                CONV,
                "serde struct (`serde_json::to_value` per call, validating)",
            ),
            &options,
            |i| async move {
                let value = serde_json::to_value(&structs[i]).expect("an Order is JSON");
                let bytes = conv_json.encode(&value, conv_json_strategy.clone()).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "JSON Schema",
                CONV,
                "`serde_json::Value` (by reference, validating)",
            ),
            &options,
            |i| async move {
                let bytes = conv_json
                    .encode(&documents[i], conv_json_strategy.clone())
                    .await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            ("JSON Schema", PLAIN, "`serde_json::to_vec` of the struct"),
            &options,
            |i| {
                let bytes = serde_json::to_vec(&structs[i]).expect("an Order is JSON");
                std::future::ready(black_box(bytes).len())
            },
        )
        .await,
    );
    // Protobuf.
    rows.push(
        measure(
            ("Protobuf", WARDEN, "`prost` message `&proto::Order`"),
            &options,
            |i| async move {
                let bytes = protobuf.serialize(protobuf_ctx, &messages[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "Protobuf",
                SRC,
                "prost-reflect 0.15 `DynamicMessage` (by reference; latest version)",
            ),
            &options,
            |i| async move {
                let bytes = src_protobuf.serialize(src_protobuf_ctx, &dynamic[i]).await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            (
                "Protobuf",
                CONV,
                "`prost` message (`encode_to_vec` per call, then `ProtoRawEncoder`)",
            ),
            &options,
            |i| async move {
                let payload = messages[i].encode_to_vec();
                let bytes = conv_protobuf
                    .encode(&payload, "acme.Order", conv_protobuf_strategy.clone())
                    .await;
                bytes.expect("a valid Order").len()
            },
        )
        .await,
    );
    rows.push(
        measure(
            ("Protobuf", PLAIN, "`prost` `encode_to_vec`"),
            &options,
            |i| std::future::ready(black_box(messages[i].encode_to_vec()).len()),
        )
        .await,
    );
    let load_after = load_average();

    println!(
        "Serializers compared, one core: {} records per run, {} runs, median run shown. \
         Load average before {load_before}, after {load_after}.",
        group(options.records as f64),
        options.runs
    );
    println!();
    println!(
        "| format | serializer | input | records/s | ns/record | bytes/record | Warden's first row ÷ this |"
    );
    println!("|---|---|---|---:|---:|---:|---:|");
    let mut tsv = String::new();
    for row in &rows {
        let warden = rows
            .iter()
            .find(|r| r.format == row.format && r.library == WARDEN)
            .expect("every format has a Warden row");
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.2} |",
            row.format,
            row.library,
            row.input,
            group(row.records_per_second()),
            row.ns_per_record(),
            row.bytes,
            warden.records_per_second() / row.records_per_second(),
        );
        tsv.push_str(&format!(
            "{}\t{}\t{}\t{:.0}\t{:.0}\t{:.1}\n",
            row.format,
            row.library,
            row.input,
            row.records_per_second(),
            row.ns_per_record(),
            row.bytes
        ));
    }
    if let Some(path) = &options.tsv {
        std::fs::write(path, tsv).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}
