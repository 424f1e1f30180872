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
