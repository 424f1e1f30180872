//! The caches stay within their byte budgets whatever clients send: many distinct large
//! requests do not grow them past the budget, and one request heavier than a cache's
//! per-entry share is not cached at all.

use warden_testkit::{Reply, TestApp, spawn_app_with};

use crate::record;

const KIB: u64 = 1024;

/// A distinct record schema of about `doc_bytes` bytes (the size is in its doc).
fn large_schema(i: usize, doc_bytes: usize) -> String {
    let doc = format!("{i}-{}", "d".repeat(doc_bytes));
    format!(
        r#"{{"type":"record","name":"R","namespace":"com.acme","doc":"{doc}","fields":[{{"name":"a","type":"int"}}]}}"#
    )
}

/// The value of the metric line `name` in the Prometheus text, 0 when absent.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").await.text;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0, |v| v.parse().expect("a number"))
}

fn assert_compatible(r: &Reply, why: &str) {
    assert_eq!(r.status.as_u16(), 200, "{why}: {}", r.text);
    assert_eq!(r.body["is_compatible"], true, "{why}: {}", r.text);
}

#[tokio::test]
async fn many_distinct_large_requests_do_not_grow_the_caches_beyond_their_budgets() {
    let budget = 512 * KIB;
    let app = spawn_app_with(|s| {
        s.cache_schemas_bytes = budget;
        s.cache_parsed_bytes = budget;
        s.cache_requests_bytes = budget;
    })
    .await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    // 40 distinct requests of 20 KiB each: 800 KiB, more than the budget, each under the
    // per-entry share (32 KiB).
    for i in 0..40 {
        let r = app
            .check("s", Some("latest"), &large_schema(i, 20_000))
            .await;
        assert_compatible(&r, "a compatible schema with a long doc");
    }
    let requests = metric(&app, r#"warden_cache_bytes{cache="request"}"#).await;
    assert!(requests <= budget, "{requests} bytes of requests cached");
    assert!(
        requests >= 100 * KIB,
        "requests under the share are cached: {requests} bytes"
    );

    // Registered schemas, read by id and parsed for checks, within their budgets too.
    app.set_level(Some("t"), "NONE").await;
    // 50 schemas of 6 KB: about 620 KiB stored and 1.2 MiB parsed, each under its share.
    for i in 0..50 {
        let id = app.register_ok("t", &large_schema(i, 6_000)).await;
        assert_eq!(app.get(&format!("/schemas/ids/{id}")).await.status, 200);
    }
    app.set_level(Some("t"), "FULL_TRANSITIVE").await;
    let r = app.check("t", None, &large_schema(99, 6_000)).await;
    assert_compatible(&r, "checked against every version");
    let schemas = metric(&app, r#"warden_cache_bytes{cache="schema_by_id"}"#).await;
    let parsed = metric(&app, r#"warden_cache_bytes{cache="parsed"}"#).await;
    assert!(schemas <= budget, "{schemas} bytes of schemas cached");
    assert!(parsed <= budget, "{parsed} bytes of parsed schemas cached");
    assert!(
        schemas > 0 && parsed > 0,
        "{schemas} and {parsed} bytes cached"
    );
}

#[tokio::test]
async fn a_request_heavier_than_its_share_of_the_budget_is_not_cached() {
    let budget = 512 * KIB;
    let app = spawn_app_with(|s| s.cache_requests_bytes = budget).await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let hits = r#"warden_cache_requests_total{cache="request",result="hit"}"#;

    // Under the share (32 KiB): the second time is a hit.
    let small = large_schema(1, 16_000);
    assert_compatible(&app.check("s", None, &small).await, "first");
    assert_compatible(&app.check("s", None, &small).await, "second");
    assert_eq!(
        metric(&app, hits).await,
        1,
        "a request under its share is cached"
    );

    // A 2 MiB request, sent three times, is parsed every time and never cached.
    let large = large_schema(2, 2 * 1024 * 1024);
    for i in 0..3 {
        assert_compatible(&app.check("s", None, &large).await, &format!("large {i}"));
    }
    assert_eq!(
        metric(&app, hits).await,
        1,
        "a request over its share is not cached"
    );
    let requests = metric(&app, r#"warden_cache_bytes{cache="request"}"#).await;
    assert!(
        requests < 64 * KIB,
        "only the small request is cached: {requests} bytes"
    );
}
