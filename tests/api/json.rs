//! JSON Schema through the API: `schemaType: "JSON"`, `$ref` references, Confluent's
//! compatibility rules and the STRICT / LENIENT policies.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::{TestApp, spawn_app};

const OPEN_V1: &str =
    r#"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#;
const OPEN_V2: &str = r#"{"type":"object","properties":{"id":{"type":"integer"},"email":{"type":"string"}},"required":["id"]}"#;

async fn register_json(
    app: &TestApp,
    subject: &str,
    schema: &str,
    references: Value,
) -> warden_testkit::Reply {
    app.register_body(
        subject,
        &json!({"schemaType": "JSON", "schema": schema, "references": references}),
    )
    .await
}

#[tokio::test]
async fn a_json_schema_registers_and_reads_back_with_its_type() {
    let app = spawn_app().await;
    let r = register_json(&app, "orders-value", OPEN_V1, json!([])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let v = app.version("orders-value", "1").await;
    assert_eq!(v.body["schemaType"], "JSON");
    assert_eq!(v.body["schema"], OPEN_V1);
    let by_id = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(by_id.body["schemaType"], "JSON");
    // Lookup needs the type too: the same text as Avro is not this schema.
    let r = app
        .request(
            Method::POST,
            "/subjects/orders-value",
            Some(&json!({"schemaType": "JSON", "schema": OPEN_V1})),
        )
        .await;
    assert_eq!(r.body["id"], id, "{}", r.text);
}

#[tokio::test]
async fn invalid_json_schemas_and_remote_refs_are_42201() {
    let app = spawn_app().await;
    for (schema, why) in [
        (r#"{"type":"objekt"}"#, "unknown type in the meta-schema"),
        (r#"{"type":"object""#, "not JSON"),
        (
            r#"{"$ref":"https://example.com/elsewhere.json"}"#,
            "a remote $ref that no reference provides is never fetched",
        ),
    ] {
        let r = register_json(&app, "bad", schema, json!([])).await;
        assert_eq!(r.error_code(), 42201, "{why}: {}", r.text);
    }
}

#[tokio::test]
async fn a_ref_to_another_subject_resolves_through_references() {
    let app = spawn_app().await;
    let address =
        r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;
    let r = register_json(&app, "address", address, json!([])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let customer = r#"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#;
    let refs = json!([{"name": "address.json", "subject": "address", "version": 1}]);
    let r = register_json(&app, "customer", customer, refs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get("/subjects/address/versions/1/referencedby")
            .await
            .body,
        json!([r.body["id"]])
    );
    // Without the reference the $ref cannot be resolved.
    let r = register_json(&app, "customer2", customer, json!([])).await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
}

#[tokio::test]
async fn adding_a_property_to_an_open_model_is_incompatible_under_strict_and_fine_under_lenient() {
    let app = spawn_app().await;
    register_json(&app, "s", OPEN_V1, json!([])).await;
    let r = register_json(&app, "s", OPEN_V2, json!([])).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.error_code(), 409);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
        "{}",
        r.text
    );
    let r = app
        .request(
            Method::PUT,
            "/config/s",
            Some(&json!({"compatibilityPolicy": "lenient"})),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"compatibilityPolicy": "LENIENT"}),
        "{}",
        r.text
    );
    assert_eq!(
        app.get("/config/s").await.body["compatibilityPolicy"],
        "LENIENT"
    );
    let r = register_json(&app, "s", OPEN_V2, json!([])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .request(
            Method::PUT,
            "/config/s",
            Some(&json!({"compatibilityPolicy": "SOMETIMES"})),
        )
        .await;
    assert_eq!(r.error_code(), 42203);
}

#[tokio::test]
async fn a_closed_model_accepts_an_optional_property_and_verbose_checks_name_the_rule() {
    let app = spawn_app().await;
    let closed =
        r#"{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":false}"#;
    let wider = r#"{"type":"object","properties":{"id":{"type":"integer"},"note":{"type":"string"}},"additionalProperties":false}"#;
    let narrowed =
        r#"{"type":"object","properties":{"id":{"type":"string"}},"additionalProperties":false}"#;
    register_json(&app, "c", closed, json!([])).await;
    let check = |schema: &'static str| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/compatibility/subjects/c/versions/latest?verbose=true",
                Some(&json!({"schemaType": "JSON", "schema": schema})),
            )
            .await
        }
    };
    let ok = check(wider).await;
    assert_eq!(ok.body["is_compatible"], true, "{}", ok.text);
    let bad = check(narrowed).await;
    assert_eq!(bad.body["is_compatible"], false, "{}", bad.text);
    let first = bad.body["messages"][0].as_str().unwrap();
    assert!(
        first.contains("TYPE_CHANGED") || first.contains("TYPE_NARROWED"),
        "{first}"
    );
    assert!(first.contains("#/properties/id"), "{first}");
}

#[tokio::test]
async fn a_json_schema_after_an_avro_one_is_incompatible_because_of_the_type() {
    let app = spawn_app().await;
    app.register_ok("mixed", r#"{"type":"record","name":"R","fields":[]}"#)
        .await;
    let r = register_json(&app, "mixed", OPEN_V1, json!([])).await;
    assert_eq!(r.error_code(), 409, "{}", r.text);
    let message = r.body["message"].as_str().unwrap();
    assert!(message.contains("different schema type"), "{message}");
}
