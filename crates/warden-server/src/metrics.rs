//! Prometheus metrics of one registry process, served at `GET /metrics` in the text
//! exposition format.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use warden_storage::PoolStats;

use crate::registry::CacheWeights;

/// The caches whose lookups `warden_cache_requests_total` counts (its `cache` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheName {
    /// `schema_by_id`: stored schemas by id.
    SchemaById = 0,
    /// `request`: known submissions.
    Request = 1,
    /// `verdict`: verdicts of compatibility checks.
    Verdict = 2,
    /// `versions`: a subject's versions, soft-deleted ones included (read before every
    /// registration, and by the reads of a subject's versions).
    Versions = 3,
    /// `request_body`: submissions by the request body they were read from.
    RequestBody = 4,
    /// `answer`: answers of registrations, lookups and compatibility checks by request.
    Answer = 5,
}

/// The metrics of a route's answered GETs (status 200), resolved once
/// ([`Metrics::read_route`]): what a read answered before routing counts itself under.
#[derive(Debug)]
pub struct ReadRoute {
    route: Box<str>,
    latency: prometheus::Histogram,
    answered: IntCounter,
}

impl ReadRoute {
    /// The route's matched path (`/schemas/ids/{id}`), its `route` label.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// Counts one GET of the route answered 200 after `latency`, as
    /// `warden_http_requests_total` and `warden_http_request_duration_seconds` count every
    /// request.
    pub fn count(&self, latency: std::time::Duration) {
        self.latency.observe(latency.as_secs_f64());
        self.answered.inc();
    }
}

/// The registry's metrics. Each process has its own set (no global state).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `warden_http_requests_total{route, method, status}`.
    pub requests: IntCounterVec,
    /// `warden_http_request_duration_seconds{route, method}`.
    pub latency: HistogramVec,
    /// `warden_registrations_total{outcome="new"|"existing"}`.
    pub registrations: IntCounterVec,
    /// `warden_compatibility_failures_total`: registrations refused as incompatible.
    pub compatibility_failures: IntCounter,
    /// `warden_cache_requests_total{cache="schema_by_id"|"request"|"verdict"|"versions"|"request_body"|"answer", result="hit"|"miss"}`.
    pub cache: IntCounterVec,
    /// The twelve counters of `cache`, resolved once: `[schema_by_id, request, verdict,
    /// versions, request_body, answer]` × `[miss, hit]` (see [`Metrics::count_cache_lookup`]).
    cache_lookups: [[IntCounter; 2]; 6],
    /// `warden_cache_bytes{cache="schema_by_id"|"parsed"|"request"|"version_body"|"fingerprint"|"verdict"|"request_body"|"answer"}`:
    /// estimated bytes each cache holds, updated on every scrape.
    cache_bytes: IntGaugeVec,
    /// `warden_db_pool_connections{state="open"|"idle"}`, updated on every scrape.
    pool: IntGaugeVec,
    /// The [`ReadRoute`] of each route that kept a read so far (a few: the routes are the
    /// router's), resolved once each.
    read_routes: std::sync::RwLock<Vec<std::sync::Arc<ReadRoute>>>,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "warden_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "warden_http_request_duration_seconds",
                "HTTP request latency in seconds",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        let registrations = IntCounterVec::new(
            Opts::new(
                "warden_registrations_total",
                "Schema registrations by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let compatibility_failures = IntCounter::new(
            "warden_compatibility_failures_total",
            "Registrations refused as incompatible",
        )
        .expect("valid metric");
        let cache = IntCounterVec::new(
            Opts::new("warden_cache_requests_total", "In-memory cache lookups"),
            &["cache", "result"],
        )
        .expect("valid metric");
        let cache_bytes = IntGaugeVec::new(
            Opts::new(
                "warden_cache_bytes",
                "Estimated bytes held by each in-memory cache",
            ),
            &["cache"],
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new("warden_db_pool_connections", "Database pool connections"),
            &["state"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(registrations.clone()),
            Box::new(compatibility_failures.clone()),
            Box::new(cache.clone()),
            Box::new(cache_bytes.clone()),
            Box::new(pool.clone()),
        ] {
            registry.register(c).expect("metric names are unique");
        }
        let cache_lookups = [
            "schema_by_id",
            "request",
            "verdict",
            "versions",
            "request_body",
            "answer",
        ]
        .map(|name| ["miss", "hit"].map(|result| cache.with_label_values(&[name, result])));
        Self {
            registry,
            requests,
            latency,
            registrations,
            compatibility_failures,
            cache,
            cache_lookups,
            cache_bytes,
            pool,
            read_routes: std::sync::RwLock::default(),
        }
    }

    /// The metrics of the GETs of `route` (a matched path of the router's, so one of a
    /// few) answered 200, resolved at the route's first call.
    pub fn read_route(&self, route: &str) -> std::sync::Arc<ReadRoute> {
        let find = |routes: &[std::sync::Arc<ReadRoute>]| {
            routes.iter().find(|r| &*r.route == route).cloned()
        };
        if let Some(known) = find(&self.read_routes.read().unwrap_or_else(|p| p.into_inner())) {
            return known;
        }
        let mut routes = self.read_routes.write().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = find(&routes) {
            return known;
        }
        let made = std::sync::Arc::new(ReadRoute {
            route: route.into(),
            latency: self.latency.with_label_values(&[route, "GET"]),
            answered: self.requests.with_label_values(&[route, "GET", "200"]),
        });
        routes.push(std::sync::Arc::clone(&made));
        made
    }

    /// Counts one lookup of `cache` in `warden_cache_requests_total`, a hit or a miss.
    pub fn count_cache_lookup(&self, cache: CacheName, hit: bool) {
        self.cache_lookups[cache as usize][usize::from(hit)].inc();
    }

    /// The text exposition of every metric, with the pool gauges set from `pool` and the
    /// cache gauges from `caches`.
    pub fn render(&self, pool: PoolStats, caches: CacheWeights) -> String {
        for (cache, bytes) in [
            ("schema_by_id", caches.schemas_bytes),
            ("parsed", caches.parsed_bytes),
            ("request", caches.requests_bytes),
            ("version_body", caches.version_bodies_bytes),
            ("fingerprint", caches.fingerprints_bytes),
            ("verdict", caches.verdicts_bytes),
            ("request_body", caches.request_bodies_bytes),
            ("answer", caches.answers_bytes),
        ] {
            self.cache_bytes
                .with_label_values(&[cache])
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        self.pool
            .with_label_values(&["open"])
            .set(i64::from(pool.size));
        self.pool.with_label_values(&["idle"]).set(pool.idle as i64);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding of gathered metrics");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
