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
    assert_eq!(r.error_code(), 40901);
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
    assert_eq!(r.error_code(), 40901, "{}", r.text);
    let message = r.body["message"].as_str().unwrap();
    assert!(message.contains("different schema type"), "{message}");
}

/// Corpus JSON schemas that Confluent refuses too (see warden-core's JSON corpus tests):
/// `$schema: null` fails the meta-schema.
const REFUSED_CORPUS_SCHEMAS: [&str; 1] = ["nullSchemaSpec.json"];

#[tokio::test]
async fn every_self_contained_corpus_json_schema_registers_and_round_trips() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/jsonschema");
    let mut registered = 0;
    let mut failures = Vec::new();
    for dir in ["schemastore/schemas", "aws-glue-schema-registry/schema"] {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            if has_external_ref(&value) {
                continue; // needs references: covered by warden-core's corpus tests
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let r = register_json(&app, &name, &text, json!([])).await;
            if REFUSED_CORPUS_SCHEMAS.contains(&name.as_str()) {
                assert_eq!(r.error_code(), 42201, "{name}: {}", r.text);
                continue;
            }
            if r.status != StatusCode::OK {
                failures.push(format!("{name}: {}", r.text));
                continue;
            }
            let id = r.body["id"].as_i64().unwrap();
            let back = app.get(&format!("/schemas/ids/{id}")).await;
            let returned: Value =
                serde_json::from_str(back.body["schema"].as_str().unwrap()).unwrap();
            assert_eq!(returned, value, "{name}: the schema reads back unchanged");
            registered += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        registered >= 90,
        "only {registered} corpus schemas registered"
    );
}

fn has_external_ref(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k == "$ref" && v.as_str().is_some_and(|r| !r.starts_with('#')))
                || (!matches!(k.as_str(), "enum" | "const" | "examples" | "default")
                    && has_external_ref(v))
        }),
        Value::Array(items) => items.iter().any(has_external_ref),
        _ => false,
    }
}

#[tokio::test]
async fn deep_nesting_and_ref_cycles_answer_42201_or_a_verdict() {
    let app = spawn_app().await;
    let mut deep = String::from("{}");
    for _ in 0..10_000 {
        deep = format!(r#"{{"properties":{{"a":{deep}}}}}"#);
    }
    let r = register_json(&app, "deep", &deep, json!([])).await;
    assert_eq!(
        r.error_code(),
        42201,
        "{}",
        &r.text[..r.text.len().min(200)]
    );
    let cycle =
        r##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##;
    let r = register_json(&app, "cycle", cycle, json!([])).await;
    assert!(
        r.status == StatusCode::OK || r.error_code() == 42201,
        "a $ref cycle is a schema or an invalid one, never a crash: {}",
        r.text
    );
    let r = app
        .request(
            Method::POST,
            "/compatibility/subjects/cycle/versions?verbose=true",
            Some(&json!({"schemaType": "JSON", "schema": cycle})),
        )
        .await;
    assert!(
        r.status == StatusCode::OK || r.error_code() == 42201,
        "{}",
        r.text
    );
    assert_eq!(app.get("/").await.status, StatusCode::OK);
}
