//! Produce throughput and added latency through `warden proxy` against directly to Tansu,
//! with 1 KiB Avro records and validation on, printed as a Markdown table.
//!
//! ```sh
//! cargo build --release -p warden-cli -p warden-bench
//! target/release/proxy_bench --records 200000 --runs 3
//! ```
//!
//! Needs `tansu` and the `warden` binary built beside this one
//! (`cargo build --release -p warden-cli -p warden-bench`). One Tansu broker (memory
//! storage), a registry in-process (`warden_testkit::spawn_app`), and `warden proxy` as a
//! process of its own (its peak RSS, `VmHWM`, is printed at the end). The records are Avro `bench.Blob` values (`id` and a 1,000-character
//! string: 1,011 bytes framed), serialized once beforehand, so both sides send the same
//! bytes with plain `rdkafka` producers (`acks=all`, `linger.ms=5`,
//! `batch.num.messages=10000`, no compression). Per run, in alternating order: `--records`
//! records enqueued at once and all deliveries awaited, direct and through the proxy (the
//! ratio is the share of direct throughput kept); then `--probes` records sent one at a time
//! (`linger.ms=0`), each awaited, direct and through the proxy: the p50 and p99 of the
//! difference is the latency the proxy adds at low load. Last, half of the maximum load: the
//! records sent at half of the direct throughput just measured for `--paced-seconds`
//! (default 5), direct and through the proxy (`linger.ms=5`), each record's latency from
//! enqueueing to acknowledgement: the difference of the two p99s is the latency the proxy
//! adds at half load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use warden_core::{SchemaType, Subject};
use warden_serde::{
    AvroSerializer, RegistryClient, SerializationContext, SerializerConfig, UnregisteredSchema,
};
use warden_testkit::kafka::Broker;

mod report;

use report::{group, load_average};

const BLOB: &str = r#"{"type":"record","name":"Blob","namespace":"bench","fields":[
  {"name":"id","type":"long"},{"name":"payload","type":"string"}]}"#;

#[derive(serde::Serialize)]
struct Blob {
    id: i64,
    payload: String,
}

fn producer(bootstrap: &str, linger: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", linger)
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .set("message.timeout.ms", "120000")
        .create()
        .expect("producer")
}

async fn throughput(producer: &FutureProducer, topic: &str, records: &[Vec<u8>]) -> f64 {
    let started = Instant::now();
    let mut deliveries = Vec::with_capacity(records.len());
    for r in records {
        loop {
            match producer.send_result(FutureRecord::<(), _>::to(topic).payload(r)) {
                Ok(d) => {
                    deliveries.push(d);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        }
    }
    for d in deliveries {
        d.await.expect("delivered").expect("acknowledged");
    }
    records.len() as f64 / started.elapsed().as_secs_f64()
}

async fn latencies(producer: &FutureProducer, topic: &str, record: &[u8], n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        producer
            .send(
                FutureRecord::<(), _>::to(topic).payload(record),
                Duration::from_secs(30),
            )
            .await
            .expect("acknowledged");
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out.sort_by(f64::total_cmp);
    out
}

/// Sends records from `records` (cycled) at `rate` per second for `seconds`, and returns each
/// record's latency from enqueueing to its acknowledgement (ms, sorted). The producer's own
/// batching (`linger.ms`) is part of the latency, the same on both sides.
async fn paced(
    producer: &FutureProducer,
    topic: &str,
    records: &[Vec<u8>],
    rate: f64,
    seconds: f64,
) -> Vec<f64> {
    let total = (rate * seconds) as usize;
    let started = Instant::now();
    let mut waiting = Vec::with_capacity(total);
    let mut sent = 0usize;
    while sent < total {
        let due = ((started.elapsed().as_secs_f64() * rate) as usize).min(total);
        while sent < due {
            let record = &records[sent % records.len()];
            let enqueued = Instant::now();
            match producer.send_result(FutureRecord::<(), _>::to(topic).payload(record)) {
                Ok(delivery) => {
                    waiting.push(tokio::spawn(async move {
                        delivery.await.expect("delivered").expect("acknowledged");
                        enqueued.elapsed().as_secs_f64() * 1000.0
                    }));
                    sent += 1;
                }
                Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut out = Vec::with_capacity(total);
    for w in waiting {
        out.push(w.await.expect("the delivery task"));
    }
    out.sort_by(f64::total_cmp);
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let mut records = 200_000usize;
    let mut runs = 3usize;
    let mut probes = 2_000usize;
    let mut paced_seconds = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value: usize = args
            .next()
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or_else(|| panic!("{arg} needs a number"));
        match arg.as_str() {
            "--records" => records = value.max(1),
            "--runs" => runs = value.max(1),
            "--probes" => probes = value.max(1),
            "--paced-seconds" => paced_seconds = value.max(1),
            other => panic!(
                "unknown option {other} (--records N, --runs N, --probes N, --paced-seconds N)"
            ),
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let broker = Broker::start();
        let app = warden_testkit::spawn_app().await;
        let client = RegistryClient::new(app.address.clone()).expect("client");
        // The proxy is the `warden` binary next to this one (`cargo build --release -p
        // warden-cli`), a process of its own, so that its peak RSS can be read.
        let warden = std::env::current_exe()
            .expect("the benchmark's path")
            .with_file_name("warden");
        let port = warden_testkit::free_port();
        let admin = warden_testkit::free_port();
        let mut child = std::process::Command::new(&warden)
            .args([
                "proxy",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--admin-listen",
                &format!("127.0.0.1:{admin}"),
                "--bootstrap-servers",
                &broker.bootstrap_servers,
                "--registry-url",
                &app.address,
            ])
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", warden.display()));
        let proxy = format!("127.0.0.1:{port}");
        while std::net::TcpStream::connect(&proxy).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let serializer = Arc::new(AvroSerializer::new(
            client.clone(),
            UnregisteredSchema::new(SchemaType::Avro, BLOB),
            SerializerConfig::default(),
        ));
        println!(
            "proxy_bench: {records} records of 1 KiB Avro per side, {runs} runs, {probes} probes; load {}",
            load_average()
        );
        println!();
        println!(
            "| run | direct msg/s | proxy msg/s | ratio | added p50 ms | added p99 ms | half-load msg/s | direct p99 ms | proxy p99 ms | added p99 ms at half load |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for run in 0..runs {
            let topic = format!("bench-{run}");
            broker.create_topic(&topic).await;
            client
                .register(
                    &Subject::parse(&format!("{topic}-value")).unwrap(),
                    &UnregisteredSchema::new(SchemaType::Avro, BLOB),
                )
                .await
                .expect("registers");
            let mut values = Vec::with_capacity(records);
            for id in 0..records {
                let blob = Blob {
                    id: id as i64,
                    payload: format!("{id:0>1000}"),
                };
                values.push(
                    serializer
                        .serialize(&SerializationContext::value(&topic), &blob)
                        .await
                        .expect("serializes"),
                );
            }
            let direct = producer(&broker.bootstrap_servers, "5");
            let through = producer(&proxy, "5");
            let warm = &values[..1];
            throughput(&direct, &topic, warm).await;
            throughput(&through, &topic, warm).await;
            let (d, p) = if run % 2 == 0 {
                let d = throughput(&direct, &topic, &values).await;
                (d, throughput(&through, &topic, &values).await)
            } else {
                let p = throughput(&through, &topic, &values).await;
                (throughput(&direct, &topic, &values).await, p)
            };
            let direct0 = producer(&broker.bootstrap_servers, "0");
            let through0 = producer(&proxy, "0");
            let ld = latencies(&direct0, &topic, &values[0], probes).await;
            let lp = latencies(&through0, &topic, &values[0], probes).await;
            // Half of the maximum load: half of the direct throughput just measured, the
            // same rate on both sides, alternating which side goes first.
            let half = d / 2.0;
            let seconds = paced_seconds as f64;
            let (hd, hp) = if run % 2 == 0 {
                let hd = paced(&direct, &topic, &values, half, seconds).await;
                (hd, paced(&through, &topic, &values, half, seconds).await)
            } else {
                let hp = paced(&through, &topic, &values, half, seconds).await;
                (paced(&direct, &topic, &values, half, seconds).await, hp)
            };
            println!(
                "| {} | {} | {} | {:.2} | {:.3} | {:.3} | {} | {:.3} | {:.3} | {:.3} |",
                run + 1,
                group(d),
                group(p),
                p / d,
                percentile(&lp, 0.5) - percentile(&ld, 0.5),
                percentile(&lp, 0.99) - percentile(&ld, 0.99),
                group(half),
                percentile(&hd, 0.99),
                percentile(&hp, 0.99),
                percentile(&hp, 0.99) - percentile(&hd, 0.99),
            );
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .unwrap_or_default();
        let peak = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .unwrap_or("VmHWM: unknown");
        println!();
        println!("proxy peak RSS ({peak})");
        let _ = child.kill();
        let _ = child.wait();
    });
}
