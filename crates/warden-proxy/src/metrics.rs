//! Prometheus metrics per topic and the schema usage figures (`GET /usage`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use serde::{Deserialize, Serialize};
use warden_core::{SchemaId, Subject};

/// The proxy's metrics. Each proxy has its own set (no global state).
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    /// `warden_proxy_records_total{topic, outcome}`: outcome `valid`, `refused`,
    /// `dead_lettered`, `observed_invalid`, `unchecked` (no subject, policy off, registry
    /// unreachable with fail-open).
    pub(crate) records: IntCounterVec,
    /// `warden_proxy_invalid_records_total{topic, rule}`.
    pub(crate) invalid: IntCounterVec,
    /// `warden_proxy_produce_bytes_total{topic}`: record batch bytes produced through the
    /// proxy.
    pub(crate) bytes: IntCounterVec,
    /// `warden_proxy_added_latency_seconds{topic}`: time spent validating a produce
    /// request's partitions before it is forwarded.
    pub(crate) latency: HistogramVec,
    /// `warden_proxy_schema_records_total{subject, schema_id}`.
    schema_records: IntCounterVec,
    /// `warden_proxy_schema_last_seen_seconds{subject, schema_id}`: Unix time.
    schema_last_seen: IntGaugeVec,
    usage: Mutex<HashMap<(SchemaId, Subject), (u64, u64)>>,
}

/// One line of `GET /usage`: how many records a proxy has seen written with a schema id
/// under a subject since it started, and when the last one was (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// The subject the record's topic and strategy gave.
    pub subject: String,
    /// The schema id in the record's header.
    pub schema_id: u32,
    /// Records seen.
    pub records: u64,
    /// Unix time in seconds of the last record seen.
    pub last_seen: u64,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("unique");
            c
        };
        let records = counter(
            "warden_proxy_records_total",
            "Produced records by topic and outcome",
            &["topic", "outcome"],
        );
        let invalid = counter(
            "warden_proxy_invalid_records_total",
            "Invalid produced records by topic and rule",
            &["topic", "rule"],
        );
        let bytes = counter(
            "warden_proxy_produce_bytes_total",
            "Record batch bytes produced by topic",
            &["topic"],
        );
        let schema_records = counter(
            "warden_proxy_schema_records_total",
            "Valid records seen per schema id and subject",
            &["subject", "schema_id"],
        );
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "warden_proxy_added_latency_seconds",
                "Validation time added to a produce request, per topic",
            )
            .buckets(vec![
                0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
                0.25, 1.0,
            ]),
            &["topic"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(latency.clone()))
            .expect("unique");
        let schema_last_seen = IntGaugeVec::new(
            Opts::new(
                "warden_proxy_schema_last_seen_seconds",
                "Unix time of the last record seen per schema id and subject",
            ),
            &["subject", "schema_id"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(schema_last_seen.clone()))
            .expect("unique");
        Self {
            registry,
            records,
            invalid,
            bytes,
            latency,
            schema_records,
            schema_last_seen,
            usage: Mutex::default(),
        }
    }

    /// Counts `count` valid records written with `id` under `subject`.
    pub(crate) fn saw(&self, id: SchemaId, subject: &Subject, count: u64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let id_label = id.to_string();
        self.schema_records
            .with_label_values(&[subject.as_str(), &id_label])
            .inc_by(count);
        self.schema_last_seen
            .with_label_values(&[subject.as_str(), &id_label])
            .set(i64::try_from(now).unwrap_or(i64::MAX));
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        let entry = usage.entry((id, subject.clone())).or_default();
        entry.0 += count;
        entry.1 = now;
    }

    /// The usage figures, by subject then schema id.
    pub(crate) fn usage(&self) -> Vec<Usage> {
        let usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<Usage> = usage
            .iter()
            .map(|((id, subject), (records, last_seen))| Usage {
                subject: subject.as_str().to_owned(),
                schema_id: id.get(),
                records: *records,
                last_seen: *last_seen,
            })
            .collect();
        out.sort_by(|a, b| (&a.subject, a.schema_id).cmp(&(&b.subject, b.schema_id)));
        out
    }

    /// The text exposition of every metric.
    pub(crate) fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding");
        String::from_utf8(out).unwrap_or_default()
    }
}
