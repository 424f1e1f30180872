//! End-to-end produce throughput to a real broker (Tansu), validating [`Producer`] against a
//! plain `rdkafka` producer sending the same records pre-encoded, printed as Markdown tables.
//!
//! ```sh
//! cargo run --release -p warden-bench --bin produce_bench
//! cargo run --release -p warden-bench --bin produce_bench -- \
//!     --records 1000000 --runs 3 --formats avro,protobuf,json
//! ```
//!
//! The process allocates with glibc's malloc, as a Rust program does by default, or with
//! mimalloc when built with `--features mimalloc` (what the `warden` binary uses); the report
//! names it, with `GLIBC_TUNABLES` when set (`glibc.malloc.tcache_count=2000` gives each
//! thread a larger cache). librdkafka frees each record on its own threads, so the allocator
//! decides how much the application's thread waits on their frees: see BENCHMARKS.md.
//!
//! Needs `tansu` (see `warden_testkit::kafka`). A registry is started in-process
//! (`warden_testkit::spawn_app`); the application side runs on a current-thread tokio
//! runtime (librdkafka adds its own threads, Tansu is a separate process).
//!
//! For each format and run: a fresh Tansu broker (memory storage) with two new one-partition
//! topics, the `acme.Order` schema of `tests/fixtures/orders.rs` registered under both
//! `<topic>-value` subjects, and two producers made from the same settings (`acks=all`,
//! `linger.ms=5`, `batch.num.messages=10000`, `queue.buffering.max.messages=1000000`,
//! no compression, no keys). One record is sent and acknowledged on each topic first
//! (metadata, connections and the serializer's schema cache warm). Then the records go in
//! `--slices` slices (default 10; fewer when the records do not divide: slices of
//! `records / slices` rounded up), the two producers taking turns slice by slice, the first
//! of each pair alternating from slice to slice and from run to run, so that a change in the
//! host's speed during a run falls on both alike:
//!
//! - **validating**: `--records` records (default 1,000,000, all distinct; at 200,000 in one
//!   piece a run took under half a second and one build's ratios spread from 0.51 to 0.87)
//!   go through [`Producer::send`] (serialize, validate, enqueue), keeping every `Delivery`,
//!   then all deliveries of the slice are awaited; the wall time covers both. (`Producer`
//!   enqueues through a `ThreadedProducer` whose records carry one reference-counted slot
//!   for their delivery report, where `FutureProducer` allocates a channel and a boxed
//!   sender per record.)
//!   With `--distinct N`, the sends cycle through `N` distinct records instead (both
//!   producers alike): a small `N` keeps the records in the CPU's caches, as a record an
//!   application has just built is; with a million distinct ones, each record the
//!   validating producer reads (a struct, its strings, vector and map: about ten places in
//!   memory) comes from main memory, while the plain producer reads one payload.
//! - **plain**: the same records, serialized beforehand with the same serializer (timed
//!   separately: the "serializer only" column), are sent as bytes with
//!   `FutureProducer::send_result` in the same way: what an application with a future per
//!   record writes with `rdkafka` alone.
//!
//! Beside the wall time, the CPU time each producer's slices took is read from
//! `/proc/PID/task/*/schedstat` before and after each slice: the application's thread
//! (the main thread), the whole process (with librdkafka's threads) and the broker, printed
//! per record in a second table.
//!
//! The ratio validating/plain is the share of end-to-end throughput that remains once
//! serialization and validation are added; issue 15's targets are at least 0.8 for Avro and
//! Protobuf and 0.6 for JSON Schema ([`Format::target`]).

use std::fmt::Write as _;
use std::ops::Range;
use std::time::{Duration, Instant};

/// With `--features mimalloc`, the whole process (both producers, librdkafka's threads)
/// allocates with mimalloc.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's allocator as the report names it: mimalloc, or glibc's malloc with the
/// `GLIBC_TUNABLES` it was started with.
fn allocator() -> String {
    if cfg!(feature = "mimalloc") {
        return "mimalloc".to_owned();
    }
    match std::env::var("GLIBC_TUNABLES") {
        Ok(tunables) if !tunables.is_empty() => format!("glibc malloc ({tunables})"),
        _ => "glibc malloc".to_owned(),
    }
}

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use warden_core::{SchemaType, Subject};
use warden_kafka::Producer;
use warden_serde::{
    AvroSerializer, JsonSerializer, ProtobufSerializer, RawSerializer, RegistryClient,
    SerializationContext, SerializerConfig, UnregisteredSchema, ValueSerializer,
};
use warden_testkit::kafka::Broker;

mod report;

// The fixtures are shared with the tests; this benchmark uses part of them.
#[allow(dead_code)]
#[path = "../tests/fixtures/orders.rs"]
mod orders;

use orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, order, proto};
use report::{group, load_average};

/// A record format under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Avro from the serde `Order`.
    Avro,
    /// Protobuf from the `prost` `Order`.
    Protobuf,
    /// JSON Schema from the serde `Order`.
    Json,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Self::Avro => "Avro (serde struct)",
            Self::Protobuf => "Protobuf (`prost` message)",
            Self::Json => "JSON Schema (serde struct)",
        }
    }

    /// The validating/plain ratio this format should reach (issue 15).
    fn target(self) -> f64 {
        match self {
            Self::Avro | Self::Protobuf => 0.8,
            Self::Json => 0.6,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Avro => "avro",
            Self::Protobuf => "protobuf",
            Self::Json => "json",
        }
    }

    fn schema(self) -> UnregisteredSchema {
        match self {
            Self::Avro => UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
            Self::Protobuf => UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
            Self::Json => UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        }
    }
}

/// Command-line options.
#[derive(Debug, Clone)]
struct Options {
    records: usize,
    /// How many distinct records the `records` sends cycle through (`None`: all distinct).
    distinct: Option<usize>,
    runs: usize,
    slices: usize,
    formats: Vec<Format>,
}

fn options() -> Options {
    let mut options = Options {
        records: 1_000_000,
        distinct: None,
        runs: 3,
        slices: 10,
        formats: vec![Format::Avro, Format::Protobuf, Format::Json],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        let number = || -> usize {
            value
                .replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{arg}: not a number: {value}"))
        };
        match arg.as_str() {
            "--records" => options.records = number().max(1),
            "--distinct" => options.distinct = Some(number().max(1)),
            "--runs" => options.runs = number().max(1),
            "--slices" => options.slices = number().max(1),
            "--formats" => {
                options.formats = value
                    .split(',')
                    .map(|f| match f.trim() {
                        "avro" => Format::Avro,
                        "protobuf" => Format::Protobuf,
                        "json" => Format::Json,
                        other => panic!("unknown format {other} (avro, protobuf, json)"),
                    })
                    .collect();
            }
            other => {
                panic!(
                    "unknown option {other} (--records N, --distinct N, --runs N, --slices N, \
                     --formats LIST)"
                )
            }
        }
    }
    options
}

/// The same settings for the validating and the plain producer.
fn producer_config(broker: &Broker) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &broker.bootstrap_servers)
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .set("message.timeout.ms", "120000");
    config
}

/// CPU time used so far by every live thread of process `pid` (`"self"` for this one), in
/// nanoseconds: the sum of the first field of `/proc/PID/task/*/schedstat`. Threads that
/// have exited are not counted; 0 where `/proc` cannot be read.
fn cpu_ns(pid: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// CPU time used so far by this process's main thread, in nanoseconds (0 where `/proc`
/// cannot be read).
fn app_ns() -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{}/schedstat", std::process::id()))
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Wall and CPU time of one producer's slices, summed.
#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    wall: Duration,
    /// CPU of this process: the application's thread, librdkafka's threads (both
    /// producers' idle ones too) and the in-process registry, idle during the slices.
    process_ns: u64,
    /// CPU of the application's thread alone (the main thread: the runtime is
    /// current-thread).
    app_ns: u64,
    /// CPU of the broker process.
    broker_ns: u64,
}

impl Spent {
    /// Adds the wall and CPU time of `phase`, run now.
    async fn add(&mut self, broker: &str, phase: impl Future<Output = Duration>) {
        let (process, app, broker_before) = (cpu_ns("self"), app_ns(), cpu_ns(broker));
        self.wall += phase.await;
        self.process_ns += cpu_ns("self").saturating_sub(process);
        self.app_ns += app_ns().saturating_sub(app);
        self.broker_ns += cpu_ns(broker).saturating_sub(broker_before);
    }
}

/// The records sent `sends` (indexes into the whole run), cycling through `pool`.
fn cycled<T>(pool: &[T], sends: Range<usize>) -> impl Iterator<Item = &T> {
    sends.map(move |i| &pool[i % pool.len()])
}

/// Sends the values of `sends` through the validating producer, then awaits every delivery.
async fn send_validating<VS, V>(
    producer: &Producer<RawSerializer, VS>,
    topic: &str,
    values: &[V],
    sends: Range<usize>,
) -> Duration
where
    VS: ValueSerializer<V>,
{
    let start = Instant::now();
    let mut deliveries = Vec::with_capacity(sends.len());
    for value in cycled(values, sends) {
        let delivery = producer
            .send::<str, V>(topic, None, value)
            .await
            .expect("the record is valid and enqueued");
        deliveries.push(delivery);
    }
    for delivery in deliveries {
        delivery.await.expect("the broker acknowledges the record");
    }
    start.elapsed()
}

/// Sends the payloads of `sends` with a plain producer, then awaits every delivery.
async fn send_plain(
    producer: &FutureProducer,
    topic: &str,
    payloads: &[Vec<u8>],
    sends: Range<usize>,
) -> Duration {
    let start = Instant::now();
    let mut deliveries = Vec::with_capacity(sends.len());
    for payload in cycled(payloads, sends) {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic).payload(payload);
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    deliveries.push(delivery);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => panic!("the record is not enqueued: {e}"),
            }
        }
    }
    for delivery in deliveries {
        match delivery.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => panic!("the broker refused the record: {e}"),
            Err(_) => panic!("the delivery was canceled"),
        }
    }
    start.elapsed()
}

/// Serializes every value with `serializer` (the serializer-only cost).
async fn encode_all<VS, V>(
    serializer: &VS,
    context: &SerializationContext<'_>,
    values: &[V],
) -> (Vec<Vec<u8>>, Duration)
where
    VS: ValueSerializer<V>,
{
    let start = Instant::now();
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        out.push(
            serializer
                .serialize(context, value)
                .await
                .expect("the record is valid"),
        );
    }
    (out, start.elapsed())
}

/// One run of one format.
#[derive(Debug, Clone)]
struct Run {
    format: Format,
    run: usize,
    validating_first: bool,
    validating: Duration,
    plain: Duration,
    /// CPU per producer (validating, plain).
    cpu: (Spent, Spent),
    serializer_only: Duration,
    bytes_per_record: f64,
    load: String,
}

/// One run: fresh broker and topics, warm-up, then both measurements in the given order:
/// `records` sends of each producer, cycling through `values` (and their payloads).
async fn run_once<VS, V>(
    client: &RegistryClient,
    format: Format,
    (run, slices, records): (usize, usize, usize),
    serializer: VS,
    values: &[V],
) -> Run
where
    VS: ValueSerializer<V>,
{
    let broker = Broker::start();
    let validating_topic = format!("bench-{}-validating-{run}", format.slug());
    let plain_topic = format!("bench-{}-plain-{run}", format.slug());
    broker.create_topic(&validating_topic).await;
    broker.create_topic(&plain_topic).await;
    for topic in [&validating_topic, &plain_topic] {
        client
            .register(
                &Subject::parse(&format!("{topic}-value")).expect("a valid subject"),
                &format.schema(),
            )
            .await
            .expect("the schema registers");
    }
    let config = producer_config(&broker);
    let producer =
        Producer::new(&config, RawSerializer, serializer).expect("a validating producer");
    let plain: FutureProducer = config.create().expect("a plain producer");

    // Warm-up: one acknowledged record per topic.
    producer
        .send_and_wait::<str, V>(&validating_topic, None, &values[0])
        .await
        .expect("the warm-up record is acknowledged");
    let plain_context = SerializationContext::value(plain_topic.as_str());
    let first = producer
        .values()
        .serialize(&plain_context, &values[0])
        .await
        .expect("the record is valid");
    send_plain(&plain, &plain_topic, &[first], 0..1).await;

    let (payloads, serializer_only) = encode_all(producer.values(), &plain_context, values).await;
    // The serializer's time for `records` records, at its rate over the distinct ones.
    let serializer_only = serializer_only.mul_f64(records as f64 / values.len() as f64);
    let bytes_per_record =
        payloads.iter().map(Vec::len).sum::<usize>() as f64 / payloads.len() as f64;
    // The records go in slices, the two producers taking turns slice by slice (and
    // starting in turn from run to run), so that a change in the host's speed during the run
    // falls on both alike.
    let validating_first = run.is_multiple_of(2);
    let slice = records.div_ceil(slices.max(1));
    let (mut validating, mut plain_spent) = (Spent::default(), Spent::default());
    let pid = broker.pid().to_string();
    for (index, start) in (0..records).step_by(slice).enumerate() {
        let sends = start..(start + slice).min(records);
        let validating_slice = send_validating(&producer, &validating_topic, values, sends.clone());
        let plain_slice = send_plain(&plain, &plain_topic, &payloads, sends);
        if validating_first == index.is_multiple_of(2) {
            validating.add(&pid, validating_slice).await;
            plain_spent.add(&pid, plain_slice).await;
        } else {
            plain_spent.add(&pid, plain_slice).await;
            validating.add(&pid, validating_slice).await;
        }
    }
    let result = Run {
        format,
        run,
        validating_first,
        validating: validating.wall,
        plain: plain_spent.wall,
        cpu: (validating, plain_spent),
        serializer_only,
        bytes_per_record,
        load: load_average(),
    };
    let rate = |d: Duration| records as f64 / d.as_secs_f64();
    eprintln!(
        "{} run {}: validating {:.0}/s, plain {:.0}/s, serializer only {:.0}/s",
        format.name(),
        run + 1,
        rate(validating.wall),
        rate(plain_spent.wall),
        rate(serializer_only)
    );
    result
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
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
    let distinct = options
        .distinct
        .unwrap_or(options.records)
        .min(options.records);
    let structs: Vec<Order> = (0..distinct).map(order).collect();
    let messages: Vec<proto::Order> = (0..distinct).map(proto::order).collect();
    let shape = (options.slices, options.records);
    let config = SerializerConfig::default;

    let mut runs = Vec::new();
    for &format in &options.formats {
        for run in 0..options.runs {
            let schema = format.schema();
            let result = match format {
                Format::Avro => {
                    let serializer = AvroSerializer::new(client.clone(), schema, config());
                    run_once(
                        &client,
                        format,
                        (run, shape.0, shape.1),
                        serializer,
                        &structs,
                    )
                    .await
                }
                Format::Protobuf => {
                    let serializer = ProtobufSerializer::new(client.clone(), schema, config());
                    run_once(
                        &client,
                        format,
                        (run, shape.0, shape.1),
                        serializer,
                        &messages,
                    )
                    .await
                }
                Format::Json => {
                    let serializer = JsonSerializer::new(client.clone(), schema, config());
                    run_once(
                        &client,
                        format,
                        (run, shape.0, shape.1),
                        serializer,
                        &structs,
                    )
                    .await
                }
            };
            runs.push(result);
        }
    }

    let rate = |d: Duration| options.records as f64 / d.as_secs_f64();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} records per run ({} distinct), 1 partition, acks=all, linger.ms=5, allocator {}; \
         load average before {load_before}, after {}.\n",
        group(options.records as f64),
        group(distinct as f64),
        allocator(),
        load_average()
    );
    let _ = writeln!(
        out,
        "| format | run | first in slice 1 | validating records/s | plain records/s | validating/plain \
         | serializer only records/s | serializer time / validating time | bytes/record | load (1, 5, 15 min) |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for r in &runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.3} | {} | {:.1} % | {:.1} | {} |",
            r.format.name(),
            r.run + 1,
            if r.validating_first {
                "validating"
            } else {
                "plain"
            },
            group(rate(r.validating)),
            group(rate(r.plain)),
            r.plain.as_secs_f64() / r.validating.as_secs_f64(),
            group(rate(r.serializer_only)),
            100.0 * r.serializer_only.as_secs_f64() / r.validating.as_secs_f64(),
            r.bytes_per_record,
            r.load,
        );
    }
    let _ = writeln!(
        out,
        "\nCPU per record (µs) over the same slices, and wall time per record: the application's \
         thread, this whole process (with librdkafka's threads), the broker, and both \
         processes.\n\n\
         | format | run | validating: wall | app thread | process | broker | both \
         | plain: wall | app thread | process | broker | both | both, validating/plain |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let per_record = |ns: u64| ns as f64 / 1000.0 / options.records as f64;
    for r in &runs {
        let (v, p) = r.cpu;
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} \
             | {:.2} | {:.2} |",
            r.format.name(),
            r.run + 1,
            per_record(v.wall.as_nanos() as u64),
            per_record(v.app_ns),
            per_record(v.process_ns),
            per_record(v.broker_ns),
            per_record(v.process_ns + v.broker_ns),
            per_record(p.wall.as_nanos() as u64),
            per_record(p.app_ns),
            per_record(p.process_ns),
            per_record(p.broker_ns),
            per_record(p.process_ns + p.broker_ns),
            (v.process_ns + v.broker_ns) as f64 / (p.process_ns + p.broker_ns).max(1) as f64,
        );
    }
    let _ = writeln!(
        out,
        "\n| format | validating records/s (median) | plain records/s (median) \
         | validating/plain (median of runs) | per-run ratios | serializer time / validating time (median) \
         | target |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|---:|---|");
    for &format in &options.formats {
        let of: Vec<&Run> = runs.iter().filter(|r| r.format == format).collect();
        let ratios: Vec<f64> = of
            .iter()
            .map(|r| r.plain.as_secs_f64() / r.validating.as_secs_f64())
            .collect();
        let ratio = median(ratios.clone());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {ratio:.3} | {} | {:.1} % | ≥ {:.1}: {} |",
            format.name(),
            group(median(of.iter().map(|r| rate(r.validating)).collect())),
            group(median(of.iter().map(|r| rate(r.plain)).collect())),
            ratios
                .iter()
                .map(|r| format!("{r:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            median(
                of.iter()
                    .map(|r| 100.0 * r.serializer_only.as_secs_f64() / r.validating.as_secs_f64())
                    .collect()
            ),
            format.target(),
            if ratio >= format.target() {
                "**met**"
            } else {
                "**missed**"
            },
        );
    }
    print!("{out}");
}
