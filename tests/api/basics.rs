use reqwest::{Method, StatusCode};
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

const SR: &str = "application/vnd.schemaregistry.v1+json";

#[tokio::test]
async fn root_answers_an_empty_object_on_get_and_post() {
    let app = spawn_app().await;
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({}));
    assert_eq!(r.content_type, SR);
    let r = app.request(Method::POST, "/", Some(&json!({}))).await;
    assert_eq!(r.body, json!({}));
}

#[tokio::test]
async fn schema_types_lists_the_formats_this_build_registers() {
    let app = spawn_app().await;
    let r = app.get("/schemas/types").await;
    assert_eq!(r.body, json!(["JSON", "PROTOBUF", "AVRO"]));
}

#[tokio::test]
async fn every_accepted_content_type_and_a_missing_one_register() {
    let app = spawn_app().await;
    let body = json!({"schema": record("A", r#"[{"name":"a","type":"int"}]"#)}).to_string();
    for ct in [
        Some("application/vnd.schemaregistry.v1+json"),
        Some("application/vnd.schemaregistry+json"),
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/octet-stream"),
        None,
    ] {
        let r = app
            .raw(Method::POST, "/subjects/ct/versions", ct, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{ct:?}: {}", r.text);
        assert_eq!(r.body["id"], 1, "{ct:?}");
        assert_eq!(r.content_type, SR);
    }
    let r = app
        .raw(
            Method::POST,
            "/subjects/ct/versions",
            Some("text/plain"),
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.error_code(), 415);
}

#[tokio::test]
async fn percent_encoded_subjects_are_one_subject() {
    let app = spawn_app().await;
    let id = app
        .register_ok(
            "team/orders-value",
            &record("O", r#"[{"name":"a","type":"int"}]"#),
        )
        .await;
    let r = app.get("/subjects").await;
    assert_eq!(r.body, json!(["team/orders-value"]));
    let r = app.get("/subjects/team%2Forders-value/versions/1").await;
    assert_eq!(r.body["subject"], "team/orders-value");
    assert_eq!(r.body["id"], id);
}
