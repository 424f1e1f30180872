use std::collections::HashSet;

use futures::future::join_all;
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_registering_the_same_new_schema_get_one_id_and_one_version() {
    let app = spawn_app().await;
    let schema = record("Race", r#"[{"name":"a","type":"int"}]"#);
    let results = join_all((0..16).map(|_| app.register("race-value", &schema))).await;
    let ids: HashSet<i64> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
            r.body["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one id for all: {ids:?}");
    assert_eq!(
        app.get("/subjects/race-value/versions").await.body,
        json!([1])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_different_schemas_get_distinct_ids_and_gap_free_versions() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let schemas: Vec<String> = (0..24)
        .map(|i| record(&format!("R{i}"), r#"[{"name":"a","type":"int"}]"#))
        .collect();
    let results = join_all(schemas.iter().map(|s| app.register("many", s))).await;
    let ids: HashSet<i64> = results
        .iter()
        .map(|r| r.body["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 24);
    let versions = app.get("/subjects/many/versions").await.body;
    assert_eq!(versions, json!((1..=24).collect::<Vec<_>>()));
}

/// Clients that give up mid-registration (timeouts, closed connections) must not leave a
/// store transaction half done: every later request still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_abandoned_by_their_clients_leave_the_registry_writable() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let impatient = reqwest::Client::new();
    let url = format!("{}/subjects/abandoned/versions", app.address);
    for round in 0..5 {
        let requests = (0..64u64).map(|i| {
            let body = json!({"schema": record(&format!("Gone{round}x{i}"), "[]")});
            // Clients give up after 1 to 64 ms: some before the server reads the body, some
            // in the middle of the registration's transaction.
            impatient
                .post(&url)
                .timeout(std::time::Duration::from_millis(1 + i))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .json(&body)
                .send()
        });
        join_all(requests).await;
        let r = app
            .register("after", &record(&format!("After{round}"), "[]"))
            .await;
        assert_eq!(
            r.status,
            reqwest::StatusCode::OK,
            "round {round}: {}",
            r.text
        );
    }
}
