//! Shared set-up: broker, registry, topics, the test records, and a plain consumer that
//! reads a topic's raw bytes with no deserializer.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Headers as _, Message as _};
use warden_core::Subject;
use warden_testkit::kafka::Broker;

pub(crate) use crate::orders::*;

/// `name` as a subject; the tests' names are valid ones.
pub(crate) fn subject(name: &str) -> Subject {
    Subject::parse(name).expect("a valid subject")
}

/// Producer settings for tests: loopback broker, small linger.
pub(crate) fn producer_config(broker: &Broker) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &broker.bootstrap_servers)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000");
    config
}

/// Consumer settings for tests: a fresh group reading from the beginning, with the short
/// fetch wait Tansu needs.
pub(crate) fn consumer_config(broker: &Broker) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &broker.bootstrap_servers)
        .set("group.id", format!("test-{}", unique("group")))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10");
    config
}

/// A name no other test uses (Tansu's memory storage is shared per broker).
pub(crate) fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A raw record as a plain consumer sees it.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    pub(crate) payload: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
}

/// Reads `topic` with a plain rdkafka consumer (no deserializer) until `expected` records
/// arrived, then waits `quiet` more for any extra record, and returns all of them.
pub(crate) async fn read_raw(
    broker: &Broker,
    topic: &str,
    expected: usize,
    quiet: Duration,
) -> Vec<RawRecord> {
    let consumer: StreamConsumer = consumer_config(broker).create().expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let wait = if out.len() >= expected {
            quiet
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        match tokio::time::timeout(wait, consumer.recv()).await {
            Ok(Ok(message)) => out.push(RawRecord {
                payload: message.payload().unwrap_or_default().to_vec(),
                headers: message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_owned(),
                                    String::from_utf8_lossy(h.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            Ok(Err(e)) => panic!("consumer error: {e}"),
            Err(_) => break,
        }
    }
    out
}
