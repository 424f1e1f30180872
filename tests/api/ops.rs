//! Health endpoints and Prometheus metrics.

use reqwest::StatusCode;
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

#[tokio::test]
async fn liveness_and_readiness_answer_up_when_the_database_does() {
    let app = spawn_app().await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.body, json!({"status": "UP"}));
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body, json!({"status": "UP"}));
}

#[tokio::test]
async fn metrics_count_requests_registrations_failures_and_cache_hits() {
    let app = spawn_app().await;
    let id = app
        .register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let refused = app
        .register("s", &record("R", r#"[{"name":"a","type":"string"}]"#))
        .await;
    assert_eq!(refused.error_code(), 40901);
    for _ in 0..3 {
        app.get(&format!("/schemas/ids/{id}")).await;
    }
    let text = app.get("/metrics").await.text;
    let has = |line: &str| {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    };
    has(r#"warden_registrations_total{outcome="new"} 1"#);
    has(r#"warden_registrations_total{outcome="existing"} 1"#);
    has("warden_compatibility_failures_total 1");
    has(r#"warden_http_requests_total{method="GET",route="/schemas/ids/{id}",status="200"} 3"#);
    has(
        r#"warden_http_requests_total{method="POST",route="/subjects/{subject}/versions",status="409"} 1"#,
    );
    // Unknown paths are not counted; a method a route does not take is, and a method
    // outside HTTP's standard ones is counted as OTHER, so no client adds series at will.
    for method in ["PATCH", "FROBNICATE", "XYZZY"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let refused = app.request(method, "/schemas/ids/1", None).await;
        assert_eq!(refused.status, StatusCode::METHOD_NOT_ALLOWED);
    }
    assert_eq!(app.get("/no/such/path").await.status, StatusCode::NOT_FOUND);
    let text = app.get("/metrics").await.text;
    let has = |line: &str| {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    };
    has(r#"warden_http_requests_total{method="PATCH",route="/schemas/ids/{id}",status="405"} 1"#);
    has(r#"warden_http_requests_total{method="OTHER",route="/schemas/ids/{id}",status="405"} 2"#);
    assert!(!text.contains("FROBNICATE"), "{text}");
    assert!(!text.contains("/no/such/path"), "{text}");
    assert!(
        text.contains(r#"warden_cache_requests_total{cache="schema_by_id",result="hit"}"#),
        "{text}"
    );
    assert!(
        text.contains("warden_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"warden_db_pool_connections{state="open"}"#),
        "{text}"
    );
}
