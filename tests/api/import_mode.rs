//! IMPORT mode as Confluent's `KafkaSchemaRegistry` runs it: explicit ids and versions, the
//! mode rules of `checkRegisterMode`, the conflicts of `checkIfSchemaWithIdExist`, and what
//! `setMode` does to a scope that is not empty.

use reqwest::{Method, StatusCode};
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

#[tokio::test]
async fn an_id_taken_by_a_different_schema_is_42205_and_the_same_schema_may_reuse_it() {
    let app = spawn_app().await;
    app.set_mode(None, "IMPORT", false).await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let b = record("B", r#"[{"name":"b","type":"int"}]"#);
    let r = app
        .register_body("s1", &json!({"schema": a, "id": 1, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 1, "{}", r.text);
    let r = app
        .register_body("s1", &json!({"schema": b, "id": 1, "version": 2}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_code(), 42205, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Overwrite new schema with id 1 in context  is not permitted."
    );
    // The same schema and id again is the version it has.
    let r = app
        .register_body("s1", &json!({"schema": a, "id": 1, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 1, "{}", r.text);
    // The same schema with the same id under another subject shares the id.
    let r = app
        .register_body("s2", &json!({"schema": a, "id": 1, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 1, "{}", r.text);
    assert_eq!(
        app.get("/schemas/ids/1/versions")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn import_mode_needs_an_id_unless_the_schema_is_already_live() {
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let id = app.register_ok("s", &a).await;
    app.set_mode(Some("s"), "IMPORT", true).await;
    // Already live under the subject: its id, as Confluent's registerOrForward looks it up
    // before checking the mode.
    let r = app.register("s", &a).await;
    assert_eq!(r.body["id"], id, "{}", r.text);
    let b = record("B", r#"[{"name":"b","type":"int"}]"#);
    let r = app.register("s", &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_code(), 42205);
    assert_eq!(
        r.body["message"],
        "Subject s in context  is not in read-write mode"
    );
    // With an id it is imported; a version of 0 or -1 is the next one.
    let r = app
        .register_body("s", &json!({"schema": b, "id": 50, "version": -1}))
        .await;
    assert_eq!(r.body["id"], 50, "{}", r.text);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
}

#[tokio::test]
async fn an_explicit_id_outside_import_mode_names_the_mode() {
    let app = spawn_app().await;
    let body = json!({"schema": record("R", "[]"), "id": 5});
    let r = app.register_body("s", &body).await;
    assert_eq!(r.error_code(), 42205);
    assert_eq!(
        r.body["message"],
        "Subject s in context  is not in import mode"
    );
    // A negative id is no id, as in Confluent's `Schema(subject, request)`.
    let body = json!({"schema": record("R", "[]"), "id": -1});
    assert_eq!(app.register_body("s", &body).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_version_other_than_the_next_outside_import_mode_is_42201() {
    let app = spawn_app().await;
    let body = json!({"schema": record("R", "[]"), "version": 3});
    let r = app.register_body("s", &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_code(), 42201);
    assert_eq!(
        r.body["message"],
        "Version is not one more than previous version"
    );
    let body = json!({"schema": record("R", "[]"), "version": 1});
    let r = app.register_body("s", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1]));
}

#[tokio::test]
async fn import_mode_ignores_normalize_and_stores_the_schema_as_parsed() {
    let app = spawn_app().await;
    let config = json!({"normalize": true});
    app.request(Method::PUT, "/config/s", Some(&config)).await;
    app.set_mode(Some("s"), "IMPORT", false).await;
    let schema = record(
        "P",
        r#"[{"name":"a","type":"int","zprop":"z","aprop":"a"}]"#,
    );
    let body = json!({"schema": schema, "id": 7, "version": 1});
    let r = app
        .request(
            Method::POST,
            "/subjects/s/versions?normalize=true",
            Some(&body),
        )
        .await;
    assert_eq!(r.body["id"], 7, "{}", r.text);
    let imported = app.version("s", "1").await.body["schema"].clone();
    // The same text registered without normalization, outside IMPORT mode.
    app.register_ok("plain", &schema).await;
    assert_eq!(imported, app.version("plain", "1").await.body["schema"]);
}

#[tokio::test]
async fn import_mode_over_live_versions_is_42205_and_soft_deleted_ones_are_removed() {
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    app.register_ok("s", &a).await;
    let r = app.set_mode(Some("s"), "IMPORT", false).await;
    assert_eq!(r.error_code(), 42205, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Cannot import since found existing subjects"
    );
    let r = app.set_mode(None, "IMPORT", false).await;
    assert_eq!(r.error_code(), 42205, "{}", r.text);
    // Soft-deleted only: IMPORT removes them for good, so the import starts clean.
    assert_eq!(app.delete("/subjects/s").await.status, StatusCode::OK);
    let r = app.set_mode(Some("s"), "IMPORT", false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/subjects?deleted=true").await.body, json!([]));
    assert_eq!(app.get("/schemas/ids/1").await.error_code(), 40403);
    let r = app
        .register_body("s", &json!({"schema": a, "id": 9, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 9, "{}", r.text);
}

#[tokio::test]
async fn import_mode_over_a_soft_deleted_version_still_referenced_is_42206() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let inner = record("Inner", r#"[{"name":"a","type":"int"}]"#);
    app.register_ok("inner", &inner).await;
    let outer = record("Outer", r#"[{"name":"i","type":"com.acme.Inner"}]"#);
    let refs = json!([{"name": "com.acme.Inner", "subject": "inner", "version": 1}]);
    let r = app
        .register_body("outer", &json!({"schema": outer, "references": refs}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.delete("/subjects/outer").await.status, StatusCode::OK);
    assert_eq!(app.delete("/subjects/inner").await.status, StatusCode::OK);
    // The soft-deleted outer still references inner: nothing is removed.
    let r = app.set_mode(Some("inner"), "IMPORT", false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_code(), 42206, "{}", r.text);
    assert_eq!(
        app.get("/subjects?deleted=true").await.body,
        json!(["inner", "outer"])
    );
    // With outer gone for good, IMPORT clears inner.
    app.delete("/subjects/outer?permanent=true").await;
    let r = app.set_mode(Some("inner"), "IMPORT", false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/subjects?deleted=true").await.body, json!([]));
    // Already in IMPORT mode: no check at all.
    let r = app.set_mode(Some("inner"), "IMPORT", false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn imported_ids_move_the_counter_past_them() {
    let app = spawn_app().await;
    app.set_mode(None, "IMPORT", false).await;
    let r = app
        .register_body(
            "s",
            &json!({"schema": record("A", "[]"), "id": 100, "version": 1}),
        )
        .await;
    assert_eq!(r.body["id"], 100, "{}", r.text);
    app.set_mode(None, "READWRITE", false).await;
    assert_eq!(app.register_ok("t", &record("B", "[]")).await, 101);
}

#[tokio::test]
async fn a_schema_imported_under_a_second_id_is_stored_under_both() {
    // Confluent's RestApiModeTest `testImportModeWithSameSchemaDifferentId` and
    // `testImportModeWithSameSchemaDifferentIdAndSubject`: `register` refuses only an id
    // naming a different schema, so the same schema gets the second id too.
    let app = spawn_app().await;
    app.set_mode(None, "IMPORT", false).await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let r = app
        .register_body("s", &json!({"schema": a, "id": 100, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 100, "{}", r.text);
    let r = app
        .register_body("s", &json!({"schema": a, "id": 200, "version": 2}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 200, "{}", r.text);
    let v2 = app.version("s", "2").await.body;
    assert_eq!(
        (v2["id"].clone(), v2["version"].clone()),
        (json!(200), json!(2))
    );
    assert_eq!(v2["schema"], app.version("s", "1").await.body["schema"]);
    assert_eq!(
        app.get("/schemas/ids/200").await.body["schema"],
        v2["schema"]
    );
    assert_eq!(
        app.get("/schemas/ids/100/versions").await.body,
        json!([{"subject": "s", "version": 1}])
    );
    assert_eq!(
        app.get("/schemas/ids/200/versions").await.body,
        json!([{"subject": "s", "version": 2}])
    );
    // Under another subject, with a third id and no version: the next one there.
    let r = app
        .register_body("s2", &json!({"schema": a, "id": 300}))
        .await;
    assert_eq!(r.body["id"], 300, "{}", r.text);
    let found = app.lookup("s2", &a).await.body;
    assert_eq!(
        (found["id"].clone(), found["version"].clone()),
        (json!(300), json!(1))
    );
    // Sent again with an id it has under the subject: that version, nothing written.
    let r = app
        .register_body("s", &json!({"schema": a, "id": 200}))
        .await;
    assert_eq!(r.body["id"], 200, "{}", r.text);
    let r = app
        .register_body("s", &json!({"schema": a, "id": 100, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 100, "{}", r.text);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
    // An id of the schema that the subject does not use yet: a new version with it.
    let r = app
        .register_body("s", &json!({"schema": a, "id": 300}))
        .await;
    assert_eq!(r.body["id"], 300, "{}", r.text);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2, 3]));
    // Back in READWRITE, the schema registered anew keeps its first id.
    app.set_mode(None, "READWRITE", false).await;
    assert_eq!(app.register_ok("t", &a).await, 100);
}

#[tokio::test]
async fn a_schema_imported_again_after_its_subject_was_deleted_takes_the_id_sent() {
    // Confluent's `testRegisterSchemaWithDifferentIdAfterImport` and
    // `testRegisterSchemaWithSameIdAfterImport`.
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    assert_eq!(app.register_ok("s", &a).await, 1);
    assert_eq!(app.delete("/subjects/s").await.status, StatusCode::OK);
    app.set_mode(None, "IMPORT", false).await;
    let r = app
        .register_body("s", &json!({"schema": a, "id": 2, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 2, "{}", r.text);
    assert_eq!(app.delete("/subjects/s").await.status, StatusCode::OK);
    let r = app
        .register_body("s", &json!({"schema": a, "id": 2, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 2, "{}", r.text);
    assert_eq!(app.version("s", "1").await.body["id"], 2);
}

#[tokio::test]
async fn an_imported_version_that_exists_is_written_again_with_the_schema_sent() {
    // Confluent's `register` in IMPORT mode puts the version's key again: the version now
    // has the schema sent, with its id.
    let app = spawn_app().await;
    app.set_mode(None, "IMPORT", false).await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let b = record("B", r#"[{"name":"b","type":"string"}]"#);
    let r = app
        .register_body("s", &json!({"schema": a, "id": 1, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 1, "{}", r.text);
    let r = app
        .register_body("s", &json!({"schema": b, "id": 2, "version": 1}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 2, "{}", r.text);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1]));
    let v1 = app.version("s", "1").await.body;
    assert_eq!(v1["id"], 2, "{v1}");
    assert_eq!(v1["schema"], app.get("/schemas/ids/2").await.body["schema"]);
    assert_eq!(
        app.get("/schemas/ids/2/versions").await.body,
        json!([{"subject": "s", "version": 1}])
    );
    // The schema it replaced keeps its id, used by no version.
    assert_eq!(app.get("/schemas/ids/1").await.status, StatusCode::OK);
    assert_eq!(app.get("/schemas/ids/1/versions").await.body, json!([]));
    // A soft-deleted version imported again is live again.
    assert_eq!(
        app.delete("/subjects/s/versions/1").await.status,
        StatusCode::OK
    );
    let r = app
        .register_body("s", &json!({"schema": a, "id": 1, "version": 1}))
        .await;
    assert_eq!(r.body["id"], 1, "{}", r.text);
    assert_eq!(app.version("s", "1").await.body["id"], 1);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1]));
    // An id naming a different schema is still refused, and nothing changes.
    let r = app
        .register_body("s", &json!({"schema": a, "id": 2, "version": 1}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"error_code": 42205, "message": "Overwrite new schema with id 2 in context  is not permitted."})
    );
    assert_eq!(app.version("s", "1").await.body["id"], 1);
}

#[tokio::test]
async fn the_same_schema_imported_at_another_version_keeps_its_id() {
    // Confluent's RestApiTest `testImportSameSchemaDifferentVersion`.
    let app = spawn_app().await;
    app.set_mode(None, "IMPORT", false).await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    for version in [1, 2, 1, 2] {
        let r = app
            .register_body("s", &json!({"schema": a, "id": 1, "version": version}))
            .await;
        assert_eq!(r.body["id"], 1, "version {version}: {}", r.text);
    }
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
}

#[tokio::test]
async fn a_schema_imported_under_a_second_id_in_a_context_is_stored_under_both() {
    let app = spawn_app().await;
    app.set_mode(Some(":.c:"), "IMPORT", false).await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    for (subject, id) in [(":.c:s", 5), (":.c:t", 6)] {
        let r = app
            .register_body(subject, &json!({"schema": a, "id": id, "version": 1}))
            .await;
        assert_eq!(r.body["id"], id, "{subject}: {}", r.text);
    }
    assert_eq!(app.version(":.c:t", "1").await.body["id"], 6);
    assert_eq!(
        app.get("/schemas/ids/6/versions?subject=:.c:t").await.body,
        json!([{"subject": ":.c:t", "version": 1}])
    );
}
