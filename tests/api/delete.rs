use reqwest::StatusCode;
use serde_json::json;
use warden_testkit::{TestApp, spawn_app};

use crate::record;

async fn two_versions(app: &TestApp, subject: &str) -> (i64, i64) {
    let a = app
        .register_ok(subject, &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let b = app
        .register_ok(
            subject,
            &record(
                "R",
                r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]"#,
            ),
        )
        .await;
    (a, b)
}

#[tokio::test]
async fn soft_delete_of_a_version_hides_it_but_keeps_the_id_readable() {
    let app = spawn_app().await;
    let (id1, _) = two_versions(&app, "s").await;
    let r = app.delete("/subjects/s/versions/1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!(1));
    let gone = app.version("s", "1").await;
    assert_eq!(gone.error_code(), 40402);
    let kept = app.get("/subjects/s/versions/1?deleted=true").await;
    assert_eq!(kept.body["id"], id1);
    // Old data stays decodable: the id still resolves.
    assert_eq!(
        app.get(&format!("/schemas/ids/{id1}")).await.status,
        StatusCode::OK
    );
    // A second soft delete is 40406.
    assert_eq!(
        app.delete("/subjects/s/versions/1").await.error_code(),
        40406
    );
}

#[tokio::test]
async fn hard_delete_of_a_version_requires_a_soft_delete_first() {
    let app = spawn_app().await;
    let (id1, _) = two_versions(&app, "s").await;
    let r = app.delete("/subjects/s/versions/1?permanent=true").await;
    assert_eq!(r.error_code(), 40407);
    app.delete("/subjects/s/versions/1").await;
    let r = app.delete("/subjects/s/versions/1?permanent=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!(1));
    assert_eq!(
        app.get("/subjects/s/versions?deleted=true").await.body,
        json!([2])
    );
    // No version uses the schema any more: its id is gone.
    assert_eq!(
        app.get(&format!("/schemas/ids/{id1}")).await.error_code(),
        40403
    );
    assert_eq!(
        app.delete("/subjects/s/versions/9").await.error_code(),
        40402
    );
    assert_eq!(
        app.delete("/subjects/none/versions/1").await.error_code(),
        40401
    );
}

#[tokio::test]
async fn deleting_a_subject_soft_then_hard() {
    let app = spawn_app().await;
    two_versions(&app, "s").await;
    assert_eq!(
        app.delete("/subjects/s?permanent=true").await.error_code(),
        40405
    );
    let r = app.delete("/subjects/s").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!([1, 2]));
    assert_eq!(app.get("/subjects/s/versions").await.error_code(), 40401);
    assert_eq!(app.version("s", "latest").await.error_code(), 40401);
    assert_eq!(app.delete("/subjects/s").await.error_code(), 40404);
    let r = app.delete("/subjects/s?permanent=true").await;
    assert_eq!(r.body, json!([1, 2]));
    assert_eq!(app.get("/subjects?deleted=true").await.body, json!([]));
    assert_eq!(app.delete("/subjects/s").await.error_code(), 40401);
}

/// Registered again, a soft-deleted schema keeps its id and gets a new version; the
/// soft-deleted version with that id goes for good unless a schema references it, as
/// Confluent's `KafkaSchemaRegistry.register` tombstones it.
#[tokio::test]
async fn re_registering_a_soft_deleted_schema_creates_a_new_version_and_removes_the_old_one() {
    let app = spawn_app().await;
    app.set_level(Some("s"), "NONE").await;
    let (a, b) = (
        record("R", r#"[{"name":"a","type":"int"}]"#),
        record("R", r#"[{"name":"b","type":"int"}]"#),
    );
    assert_eq!(app.register_ok("s", &a).await, 1);
    assert_eq!(app.register_ok("s", &b).await, 2);
    assert_eq!(app.delete("/subjects/s").await.body, json!([1, 2]));
    let r = app.register("s", &b).await;
    assert_eq!((r.status, &r.body["id"]), (StatusCode::OK, &json!(2)));
    assert_eq!(
        app.get("/subjects/s/versions?deleted=true").await.body,
        json!([1, 3])
    );
    let r = app.get("/subjects/s/versions/2?deleted=true").await;
    assert_eq!(
        (r.status, &r.body),
        (
            StatusCode::NOT_FOUND,
            &json!({"error_code": 40402, "message": "Version 2 not found."})
        )
    );
    assert_eq!(app.get("/subjects/s/versions/3").await.body["id"], 2);
    assert_eq!(
        app.get("/subjects/s/versions/1?deleted=true").await.body["id"],
        1
    );
    assert_eq!(
        app.get("/schemas/ids/2/versions?deleted=true").await.body,
        json!([{"subject": "s", "version": 3}])
    );
}

/// A soft-deleted version that a schema references, even a soft-deleted one, stays when
/// its schema is registered again (references resolve by subject and version).
#[tokio::test]
async fn re_registering_keeps_a_soft_deleted_version_that_a_schema_references() {
    let app = spawn_app().await;
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    app.register_ok("address", address).await;
    let customer = json!({
        "schema": r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"}]}"#,
        "references": [{"name": "com.acme.Address", "subject": "address", "version": 1}]
    });
    assert_eq!(
        app.register_body("customer", &customer).await.body["id"],
        json!(2)
    );
    assert_eq!(app.delete("/subjects/customer").await.body, json!([1]));
    assert_eq!(app.delete("/subjects/address").await.body, json!([1]));
    assert_eq!(app.register_ok("address", address).await, 1);
    assert_eq!(
        app.get("/subjects/address/versions?deleted=true")
            .await
            .body,
        json!([1, 2])
    );
    let r = app
        .get("/subjects/address/versions/1/referencedby?deleted=true")
        .await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!([2])));
}

#[tokio::test]
async fn a_referenced_version_cannot_be_deleted_with_42206() {
    let app = spawn_app().await;
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    app.register_ok("address", address).await;
    let customer = json!({
        "schema": r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"}]}"#,
        "references": [{"name": "com.acme.Address", "subject": "address", "version": 1}]
    });
    let r = app.register_body("customer", &customer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.delete("/subjects/address/versions/1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), 42206);
    assert_eq!(app.delete("/subjects/address").await.error_code(), 42206);
    // Once the referencing subject is gone entirely, the reference is free.
    app.delete("/subjects/customer").await;
    app.delete("/subjects/customer?permanent=true").await;
    assert_eq!(app.delete("/subjects/address").await.status, StatusCode::OK);
}

/// A subject whose version 2 references its version 1 is deleted whole, soft then hard, as
/// Confluent's `deleteSubject` ignores referrers in the subject being deleted; the version
/// alone stays protected, and so does the subject while another subject references it.
#[tokio::test]
async fn a_subject_whose_versions_reference_each_other_is_deleted_whole() {
    let app = spawn_app().await;
    app.set_level(Some("self"), "NONE").await;
    let base = r#"{"type":"record","name":"Base","namespace":"com.acme","fields":[{"name":"id","type":"long"}]}"#;
    app.register_ok("self", base).await;
    let derived = json!({
        "schema": r#"{"type":"record","name":"Derived","namespace":"com.acme","fields":[{"name":"base","type":"com.acme.Base"}]}"#,
        "references": [{"name": "com.acme.Base", "subject": "self", "version": 1}]
    });
    let r = app.register_body("self", &derived).await;
    assert_eq!(r.body["id"], json!(2), "{}", r.text);
    let r = app.delete("/subjects/self/versions/1").await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, 42206),
        "{}",
        r.text
    );
    // Another subject with the same referring schema keeps the subject from being deleted.
    let r = app.register_body("other", &derived).await;
    assert_eq!(r.body["id"], json!(2), "{}", r.text);
    let r = app.delete("/subjects/self").await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, 42206),
        "{}",
        r.text
    );
    assert_eq!(app.get("/subjects/self/versions").await.body, json!([1, 2]));
    assert_eq!(app.delete("/subjects/other").await.body, json!([1]));
    let r = app.delete("/subjects/self").await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!([1, 2])));
    // `other`'s soft-deleted version still references version 1 of `self`.
    let r = app.delete("/subjects/self?permanent=true").await;
    assert_eq!(r.error_code(), 42206, "{}", r.text);
    assert_eq!(
        app.delete("/subjects/other?permanent=true").await.body,
        json!([1])
    );
    let r = app.delete("/subjects/self?permanent=true").await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!([1, 2])));
    assert_eq!(app.get("/subjects?deleted=true").await.body, json!([]));
    assert_eq!(app.get("/schemas/ids/2").await.error_code(), 40403);
}
