//! Schema tags: `POST /subjects/{s}/versions/{v}/tags`, `schemaTagsToAdd`,
//! `schemaTagsToRemove` and `propagateSchemaTags` on a registration, and `findTags` on reads.
//! The facts are those of Confluent's `RestApiRegisterSchemaTagsTest` (Avro) and of its
//! JSON Schema and Protobuf `RestApiTest`s; bodies are what Confluent's Java client sends.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::{TestApp, spawn_app};

const PLAIN: &str =
    r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}"#;
const TAGGED_12: &str = r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}],"confluent:tags":["TAG1","TAG2"]}"#;
const TAGGED_1: &str = r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}],"confluent:tags":["TAG1"]}"#;

fn record_tags(tags: &[&str]) -> Value {
    json!([{"schemaEntity": {"entityPath": "myrecord", "entityType": "sr_record"}, "tags": tags}])
}

fn field_tags(path: &str, tags: &[&str]) -> Value {
    json!([{"schemaEntity": {"entityPath": path, "entityType": "sr_field"}, "tags": tags}])
}

async fn tag(app: &TestApp, subject: &str, version: &str, body: Value) -> warden_testkit::Reply {
    app.request(
        Method::POST,
        &format!("/subjects/{subject}/versions/{version}/tags"),
        Some(&body),
    )
    .await
}

async fn latest_with_tags(app: &TestApp, subject: &str, find: &str) -> Value {
    let r = app
        .get(&format!(
            "/subjects/{subject}/versions/latest?deleted=false&findTags={find}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn register_with_schema_tags_adds_and_removes_record_tags() {
    let app = spawn_app().await;
    assert_eq!(app.register_ok("test", PLAIN).await, 1);
    let r = app
        .register_body(
            "test",
            &json!({"schema": PLAIN, "version": 2, "schemaTagsToAdd": record_tags(&["TAG1", "TAG2"])}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 2);
    let v = latest_with_tags(&app, "test", "*").await;
    assert_eq!(v["schema"], TAGGED_12);
    assert_eq!(v["version"], 2);
    assert_eq!(v["metadata"]["properties"]["confluent:version"], "2");
    assert_eq!(v["schemaTags"], record_tags(&["TAG1", "TAG2"]));

    let r = app
        .register_body(
            "test",
            &json!({"schema": TAGGED_12, "version": 3, "schemaTagsToRemove": record_tags(&["TAG2"])}),
        )
        .await;
    assert_eq!(r.body["id"], 3, "{}", r.text);
    let v = latest_with_tags(&app, "test", "*").await;
    assert_eq!(v["schema"], TAGGED_1);
    assert_eq!(v["metadata"]["properties"]["confluent:version"], "3");
    assert_eq!(v["schemaTags"], record_tags(&["TAG1"]));
    let by_id = app
        .get("/schemas/ids/3?fetchMaxId=false&subject=test&findTags=TAG1")
        .await;
    assert_eq!(
        by_id.body["schemaTags"],
        record_tags(&["TAG1"]),
        "{}",
        by_id.text
    );
    // A tag no entity carries: no `schemaTags` at all (Confluent's NON_EMPTY).
    let none = app.get("/schemas/ids/3?findTags=OTHER").await;
    assert!(none.body.get("schemaTags").is_none(), "{}", none.text);
    // Without `findTags`, reads carry no `schemaTags`.
    let plain = app.version("test", "3").await;
    assert!(plain.body.get("schemaTags").is_none(), "{}", plain.text);
}

#[tokio::test]
async fn propagate_schema_tags_carries_the_latest_versions_tags_over() {
    let app = spawn_app().await;
    app.register_ok("test", PLAIN).await;
    app.register_body(
        "test",
        &json!({"schema": PLAIN, "schemaTagsToAdd": record_tags(&["TAG1"])}),
    )
    .await;
    let evolved = r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string","confluent:tags":["TAG2"]},{"name":"f2","type":"string","default":"hi"}]}"#;
    let r = app
        .register_body(
            "test",
            &json!({"schema": evolved, "propagateSchemaTags": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 3);
    let v = latest_with_tags(&app, "test", "*").await;
    assert_eq!(
        v["schema"],
        r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string","confluent:tags":["TAG2"]},{"name":"f2","type":"string","default":"hi"}],"confluent:tags":["TAG1"]}"#
    );
    let expected = json!([
        {"schemaEntity": {"entityPath": "myrecord", "entityType": "sr_record"}, "tags": ["TAG1"]},
        {"schemaEntity": {"entityPath": "myrecord.f1", "entityType": "sr_field"}, "tags": ["TAG2"]},
    ]);
    assert_eq!(v["schemaTags"], expected);
    let by_id = app
        .get("/schemas/ids/3?subject=test&findTags=TAG1&findTags=TAG2")
        .await;
    assert_eq!(by_id.body["schemaTags"], expected);
}

#[tokio::test]
async fn a_tag_on_an_entity_the_schema_lacks_is_42201() {
    let app = spawn_app().await;
    app.register_ok("test", PLAIN).await;
    let r = app
        .register_body(
            "test",
            &json!({"schema": PLAIN, "version": 2, "schemaTagsToAdd": field_tags("does.not.exist", &["TAG1"])}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), 42201);
    assert_eq!(
        r.body["message"],
        "java.lang.IllegalArgumentException: No matching path 'does.not.exist' found in the schema"
    );
    let r = tag(
        &app,
        "test",
        "1",
        json!({"newVersion": 2, "tagsToAdd": field_tags("does.not.exist", &["TAG1"])}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), 42201);
    // A version other than the next one.
    let r = app
        .register_body(
            "test",
            &json!({"schema": PLAIN, "version": 1, "schemaTagsToAdd": record_tags(&["TAG1"])}),
        )
        .await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Version is not one more than previous version"
    );
}

#[tokio::test]
async fn the_tags_endpoint_registers_a_tagged_version() {
    let app = spawn_app().await;
    app.register_ok("test", PLAIN).await;
    let r = tag(
        &app,
        "test",
        "latest",
        json!({"newVersion": 2, "tagsToAdd": record_tags(&["TAG1", "TAG2"])}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 2);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["schema"], TAGGED_12);
    let v = latest_with_tags(&app, "test", "*").await;
    assert_eq!(v["schema"], TAGGED_12);
    assert_eq!(v["metadata"]["properties"]["confluent:version"], "2");
    assert_eq!(v["schemaTags"], record_tags(&["TAG1", "TAG2"]));

    // Without `newVersion`: the next version.
    let r = tag(
        &app,
        "test",
        "latest",
        json!({"tagsToRemove": record_tags(&["TAG2"])}),
    )
    .await;
    assert_eq!(r.body["id"], 3, "{}", r.text);
    let v = app.version("test", "latest").await;
    assert_eq!(v.body["schema"], TAGGED_1);
    assert_eq!(v.body["version"], 3);
    assert_eq!(v.body["metadata"]["properties"]["confluent:version"], "3");
}

#[tokio::test]
async fn the_tags_endpoint_answers_confluents_error_codes() {
    let app = spawn_app().await;
    let body = json!({"newVersion": 2, "tagsToAdd": record_tags(&["TAG1"])});
    let r = tag(&app, "non-exist", "1", body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), 40401);
    app.register_ok("test", PLAIN).await;
    let r = tag(&app, "test", "2", body.clone()).await;
    assert_eq!(r.error_code(), 40402);
    let r = tag(&app, "test", "abc", body.clone()).await;
    assert_eq!(r.error_code(), 42202);
    let r = tag(
        &app,
        "test",
        "1",
        json!({"newVersion": 1, "tagsToAdd": record_tags(&["TAG1"])}),
    )
    .await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
    let r = tag(
        &app,
        "test",
        "1",
        json!({"ruleSet": {}, "rulesToRemove": ["x"]}),
    )
    .await;
    assert_eq!(r.error_code(), 42210, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "ruleSet should be omitted if specifying rulesToMerge or rulesToRemove"
    );
    let r = app
        .raw(
            Method::POST,
            "/subjects/test/versions/1/tags",
            Some("application/json"),
            "null",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "modifyTags.arg4 must not be null (was null)"
    );
    let r = tag(
        &app,
        "test",
        "1",
        json!({"tagsToAdd": [{"schemaEntity": {"entityPath": "myrecord", "entityType": "SR_RECORD"}, "tags": ["T"]}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

#[tokio::test]
async fn rules_to_merge_and_remove_edit_the_previous_rule_set() {
    let app = spawn_app().await;
    app.register_ok("test", PLAIN).await;
    let rule = |name: &str, tag: &str, mode: Option<&str>| {
        let mut r = json!({"name": name, "kind": "TRANSFORM", "type": "fooType", "tags": [tag], "onFailure": "NONE"});
        if let Some(m) = mode {
            r["mode"] = json!(m);
        }
        r
    };
    let merge = json!({
        "migrationRules": [rule("myMigrationRule", "PII", Some("UPGRADE")), rule("myMigrationRule2", "PII", Some("UPGRADE"))],
        "domainRules": [rule("myRule", "PII", None), rule("myRule2", "PII", None), rule("myRule3", "PII", None)],
    });
    let r = tag(
        &app,
        "test",
        "latest",
        json!({"newVersion": 2, "rulesToMerge": merge, "rulesToRemove": ["myRule4"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 2);
    let names = |rule_set: &Value, phase: &str| -> Vec<String> {
        rule_set[phase]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&r.body["ruleSet"], "domainRules"),
        ["myRule", "myRule2", "myRule3"]
    );
    let merge = json!({
        "migrationRules": [rule("myMigrationRule3", "PII2", Some("UPGRADE"))],
        "domainRules": [rule("myRule5", "PII2", None), rule("myRule4", "PII2", None), rule("myRule2", "PII2", None)],
    });
    let r = tag(
        &app,
        "test",
        "latest",
        json!({"newVersion": 3, "rulesToMerge": merge, "rulesToRemove": ["myRule", "myMigrationRule2"]}),
    )
    .await;
    assert_eq!(r.body["id"], 3, "{}", r.text);
    assert_eq!(
        names(&r.body["ruleSet"], "migrationRules"),
        ["myMigrationRule", "myMigrationRule3"]
    );
    assert_eq!(
        names(&r.body["ruleSet"], "domainRules"),
        ["myRule3", "myRule5", "myRule4", "myRule2"]
    );
    assert_eq!(r.body["metadata"]["properties"]["confluent:version"], "3");
}

#[tokio::test]
async fn json_schema_property_tags_are_written_and_found() {
    let app = spawn_app().await;
    let schema = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;
    let r = app
        .register_body("j", &json!({"schemaType": "JSON", "schema": schema}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = tag(
        &app,
        "j",
        "1",
        json!({"tagsToAdd": field_tags("object.name", &["PII"])}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = latest_with_tags(&app, "j", "PII").await;
    assert_eq!(
        v["schema"],
        r#"{"type":"object","properties":{"name":{"type":"string","confluent:tags":["PII"]}}}"#
    );
    assert_eq!(v["schemaTags"], field_tags("object.name", &["PII"]));
}

#[tokio::test]
async fn protobuf_message_tags_go_in_the_message_meta_option() {
    let app = spawn_app().await;
    let schema =
        "syntax = \"proto3\";\npackage com.example;\n\nmessage Message1 {\n  string f1 = 1;\n}\n";
    let r = app
        .register_body("p", &json!({"schemaType": "PROTOBUF", "schema": schema}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = tag(
        &app,
        "p",
        "1",
        json!({"tagsToAdd": [{"schemaEntity": {"entityPath": "Message1", "entityType": "sr_record"}, "tags": ["PII"]}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = latest_with_tags(&app, "p", "*").await;
    assert_eq!(
        v["schema"],
        "syntax = \"proto3\";\npackage com.example;\n\nmessage Message1 {\n  option (confluent.message_meta) = {\n    tags: [\n      \"PII\"\n    ]\n  };\n\n  string f1 = 1;\n}\n"
    );
    assert_eq!(
        v["schemaTags"],
        json!([{"schemaEntity": {"entityPath": "Message1", "entityType": "sr_record"}, "tags": ["PII"]}])
    );
}
