use std::collections::HashSet;

use futures::future::join_all;
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_registering_the_same_new_schema_get_one_id_and_one_version() {
    let app = spawn_app().await;
    let schema = record("Race", r#"[{"name":"a","type":"int"}]"#);
    let results = join_all((0..64).map(|_| app.register("race-value", &schema))).await;
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
    let schemas: Vec<String> = (0..64)
        .map(|i| record(&format!("R{i}"), r#"[{"name":"a","type":"int"}]"#))
        .collect();
    let results = join_all(schemas.iter().map(|s| app.register("many", s))).await;
    let ids: HashSet<i64> = results
        .iter()
        .map(|r| r.body["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 64);
    let versions = app.get("/subjects/many/versions").await.body;
    assert_eq!(versions, json!((1..=64).collect::<Vec<_>>()));
    // Each version holds the schema whose registration answered its id.
    for (schema, r) in schemas.iter().zip(&results) {
        let found = app.lookup("many", schema).await;
        assert_eq!(found.body["id"], r.body["id"], "{}", found.text);
    }
}

/// Registrations that arrive together are written together (group commit); one that fails
/// inside its group must fail alone. Every id being taken makes a new schema fail inside
/// the group's write, while registrations of stored schemas under new subjects, in the same
/// groups, need no new id and must succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registration_that_fails_inside_its_group_fails_alone() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let known: Vec<String> = (0..32)
        .map(|i| record(&format!("Known{i}"), r#"[{"name":"a","type":"int"}]"#))
        .collect();
    let mut ids = Vec::new();
    for (i, schema) in known.iter().enumerate() {
        ids.push(app.register_ok(&format!("known-{i}"), schema).await);
    }
    // The highest id there is, imported: no new schema can get an id after it.
    app.set_mode(Some("top"), "IMPORT", false).await;
    let top = app
        .register_body(
            "top",
            &json!({"schema": record("Top", "[]"), "id": i32::MAX}),
        )
        .await;
    assert_eq!(top.status, reqwest::StatusCode::OK, "{}", top.text);
    let fresh: Vec<String> = (0..32)
        .map(|i| record(&format!("Fresh{i}"), r#"[{"name":"a","type":"int"}]"#))
        .collect();
    let reuse_subjects: Vec<String> = (0..32).map(|i| format!("reuse-{i}")).collect();
    let fresh_subjects: Vec<String> = (0..32).map(|i| format!("fresh-{i}")).collect();
    let reused = known
        .iter()
        .zip(&reuse_subjects)
        .map(|(s, subject)| app.register(subject, s));
    let failing = fresh
        .iter()
        .zip(&fresh_subjects)
        .map(|(s, subject)| app.register(subject, s));
    let (reused, failing) = tokio::join!(join_all(reused), join_all(failing));
    for (i, r) in reused.iter().enumerate() {
        assert_eq!(r.status, reqwest::StatusCode::OK, "reuse-{i}: {}", r.text);
        assert_eq!(r.body["id"].as_i64(), Some(ids[i]), "reuse-{i}");
        let versions = app.get(&format!("/subjects/reuse-{i}/versions")).await;
        assert_eq!(versions.body, json!([1]), "reuse-{i}");
    }
    for (i, r) in failing.iter().enumerate() {
        assert_eq!(r.status.as_u16(), 422, "fresh-{i}: {}", r.text);
        assert_eq!(r.body["error_code"], 42205, "fresh-{i}: {}", r.text);
        let versions = app.get(&format!("/subjects/fresh-{i}/versions")).await;
        assert_eq!(
            versions.body["error_code"], 40401,
            "fresh-{i}: nothing written"
        );
    }
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
