//! Bad input of every kind answers Confluent's `{"error_code", "message"}`: never a panic,
//! a plain-text body or a 500.

use reqwest::{Method, StatusCode};
use serde_json::json;
use warden_testkit::{spawn_app, spawn_app_with};

use crate::record;

fn assert_error(r: &warden_testkit::Reply, status: u16, code: i64, why: &str) {
    assert_eq!(r.status.as_u16(), status, "{why}: {}", r.text);
    assert_eq!(r.error_code(), code, "{why}: {}", r.text);
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{why}: message"
    );
    assert_eq!(
        r.content_type, "application/vnd.schemaregistry.v1+json",
        "{why}: content type"
    );
}

#[tokio::test]
async fn malformed_and_empty_bodies_are_400() {
    let app = spawn_app().await;
    let ct = Some("application/json");
    let cases: [(&str, &str); 2] = [
        ("{bad", "malformed JSON"),
        ("[1,2]", "JSON of the wrong shape"),
    ];
    for (body, why) in cases {
        let r = app
            .raw(Method::POST, "/subjects/s/versions", ct, body.to_owned())
            .await;
        assert_error(&r, 400, 400, why);
    }
    // An empty body is a null entity: Confluent's `@NotNull` violation, 422.
    for (body, why) in [("", "empty body"), ("   ", "blank body")] {
        let r = app
            .raw(Method::POST, "/subjects/s/versions", ct, body.to_owned())
            .await;
        assert_error(&r, 422, 422, why);
    }
    let r = app
        .raw(
            Method::PUT,
            "/config",
            ct,
            "{\"compatibility\": 5}".to_owned(),
        )
        .await;
    // Jackson reads the number as the text "5" (`StringDeserializer`): an unknown level.
    assert_error(&r, 422, 42203, "config level given as a number");
}

#[tokio::test]
async fn invalid_schemas_are_42201_and_nothing_is_written() {
    let app = spawn_app().await;
    let cases = [
        (json!({}), "no schema field"),
        (json!({"schema": ""}), "empty schema"),
        (json!({"schema": "{not json"}), "schema text is not JSON"),
        (json!({"schema": r#"{"type":"panther"}"#}), "unknown type"),
        (
            json!({"schema": r#"{"type":"record","name":"R","fields":[{"name":"a"}]}"#}),
            "field without type",
        ),
        (
            json!({"schema": r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#}),
            "default of the wrong type",
        ),
        (
            json!({"schema": r#"{"type":"record","name":"R","fields":[{"name":"u","type":["null","string"],"default":"x"}]}"#}),
            "union default not matching the first branch",
        ),
        (
            json!({"schema": r#"{"type":"enum","name":"E","symbols":["A","A"]}"#}),
            "duplicate enum symbol",
        ),
        (
            json!({"schema": r#"{"type":"record","name":"R","fields":[{"name":"a","type":"com.Missing"}]}"#}),
            "unknown named type",
        ),
        (
            json!({"schema": record("R", "[]"), "schemaType": "XML"}),
            "unknown schema type",
        ),
        (
            json!({"schema": "syntax = \"proto3\"; message {", "schemaType": "PROTOBUF"}),
            "Protobuf that does not compile",
        ),
        (
            json!({"schema": record("R", "[]"), "references": [{"name":"x","subject":"nope","version":1}]}),
            "unresolvable reference",
        ),
    ];
    for (body, why) in cases {
        let r = app.register_body("s", &body).await;
        assert_error(&r, 422, 42201, why);
    }
    assert_eq!(app.get("/subjects?deleted=true").await.body, json!([]));
}

#[tokio::test]
async fn bad_versions_are_42202() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", "[]")).await;
    for v in ["0", "-2", "abc", "99999999999"] {
        let r = app.version("s", v).await;
        assert_error(&r, 422, 42202, v);
    }
    assert_error(&app.version("s", "2").await, 404, 40402, "missing version");
    assert_error(&app.version("t", "1").await, 404, 40401, "missing subject");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_in_the_error_format() {
    let app = spawn_app().await;
    assert_error(&app.get("/nothing/here").await, 404, 404, "unknown route");
    assert_error(
        &app.get("/subjects/s/versions/1/extra").await,
        404,
        404,
        "too deep",
    );
    let r = app.request(Method::PATCH, "/subjects", None).await;
    assert_error(&r, 405, 405, "PATCH /subjects");
    let r = app.request(Method::DELETE, "/schemas/types", None).await;
    assert_error(&r, 405, 405, "DELETE /schemas/types");
}

/// Confluent's Jersey resources match a path with one trailing slash as the path without it;
/// Confluent's Java client tests against all versions at
/// `/compatibility/subjects/{s}/versions/`.
#[tokio::test]
async fn every_route_answers_with_one_trailing_slash_as_without_it() {
    let app = spawn_app().await;
    let schema = json!({"schema": record("R", "[]")});
    let r = app
        .request(Method::POST, "/subjects/s/versions/", Some(&schema))
        .await;
    assert_eq!((r.status.as_u16(), &r.body["id"]), (200, &json!(1)));
    assert_eq!(app.get("/subjects/").await.body, json!(["s"]));
    assert_eq!(app.get("/subjects/s/versions/").await.body, json!([1]));
    assert_eq!(app.get("/subjects/s/versions/latest/").await.body["id"], 1);
    assert_eq!(
        app.get("/schemas/?subjectPrefix=s").await.body[0]["subject"],
        "s"
    );
    assert_eq!(
        app.get("/schemas/ids/1/").await.body,
        app.get("/schemas/ids/1").await.body
    );
    assert_eq!(
        app.get("/config/").await.body,
        app.get("/config").await.body
    );
    let r = app
        .request(
            Method::POST,
            "/compatibility/subjects/s/versions/?verbose=false",
            Some(&schema),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({"is_compatible": true}))
    );
    let r = app
        .request(Method::POST, "/subjects/s/", Some(&schema))
        .await;
    assert_eq!((r.status.as_u16(), &r.body["version"]), (200, &json!(1)));
    // A wrong method is still 405; only one slash is dropped.
    let r = app.request(Method::PATCH, "/subjects/", None).await;
    assert_error(&r, 405, 405, "PATCH /subjects/");
    assert_error(&app.get("/subjects//").await, 404, 404, "two slashes");
    assert_eq!(app.get("/").await.body, json!({}));
    let r = app.delete("/subjects/s/versions/1/").await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!(1)));
}

#[tokio::test]
async fn boolean_query_parameters_read_as_javas_boolean_value_of() {
    let app = spawn_app().await;
    // Python's confluent-kafka sends `str(bool)`: `False`, `True`.
    let r = app
        .request(
            Method::POST,
            "/subjects/s/versions?normalize=False",
            Some(&json!({"schema": record("R", "[]")})),
        )
        .await;
    assert_eq!(r.status, 200, "normalize=False registers: {:?}", r.body);
    let r = app
        .request(
            Method::POST,
            "/subjects/s?normalize=False&deleted=True",
            Some(&json!({"schema": record("R", "[]")})),
        )
        .await;
    assert_eq!(r.status, 200, "lookup with False/True: {:?}", r.body);
    // Anything but `true` in some case is false, never a 400.
    let r = app.delete("/subjects/s?permanent=yes").await;
    assert_eq!(
        r.status, 200,
        "permanent=yes is a soft delete: {:?}",
        r.body
    );
    assert_eq!(app.get("/subjects?deleted=maybe").await.body, json!([]));
    assert_eq!(app.get("/subjects?deleted=TRUE").await.body, json!(["s"]));
    assert_eq!(app.get("/subjects?deleted=").await.body, json!([]));
    // `permanent=TRUE` is a hard delete.
    let r = app.delete("/subjects/s?permanent=TRUE").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.get("/subjects?deleted=true").await.body, json!([]));
}

#[tokio::test]
async fn a_subject_with_a_control_character_is_42208() {
    let app = spawn_app().await;
    let r = app
        .request(
            Method::POST,
            "/subjects/a%0Ab/versions",
            Some(&json!({"schema": record("R", "[]")})),
        )
        .await;
    assert_error(&r, 422, 42208, "newline in subject");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1024).await;
    let big = json!({"schema": record("R", &format!(r#"[{{"name":"a","type":"int","doc":"{}"}}]"#, "x".repeat(4096)))});
    let r = app.register_body("s", &big).await;
    assert_error(&r, 413, 413, "body over 1 KiB");
    // Under the limit still works.
    assert_eq!(
        app.register("s", &record("R", "[]")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn deeply_nested_bodies_and_schemas_are_refused_cleanly() {
    let app = spawn_app().await;
    // A request body nested far deeper than any schema needs.
    let deep_body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = app
        .raw(
            Method::POST,
            "/subjects/s/versions",
            Some("application/json"),
            deep_body,
        )
        .await;
    assert_error(&r, 400, 400, "deeply nested body");
    // A schema text nested deeply inside a well-formed body.
    let mut schema = String::from("\"int\"");
    for _ in 0..5_000 {
        schema = format!(r#"{{"type":"array","items":{schema}}}"#);
    }
    let r = app.register_body("s", &json!({ "schema": schema })).await;
    assert_error(&r, 422, 42201, "deeply nested schema");
    // The server is still up.
    assert_eq!(app.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn schema_ids_no_schema_can_have_are_40403_and_non_numbers_404() {
    let app = spawn_app().await;
    for id in ["0", "-1", "7"] {
        let r = app.get(&format!("/schemas/ids/{id}")).await;
        assert_error(&r, 404, 40403, id);
    }
    for id in ["abc", "2147483648", "99999999999", "1.5"] {
        let r = app.get(&format!("/schemas/ids/{id}")).await;
        assert_error(&r, 404, 404, id);
    }
}

#[tokio::test]
async fn a_schema_type_in_another_case_is_42201_as_confluent_keys_its_providers() {
    let app = spawn_app().await;
    for t in ["avro", "Avro", "json", "protobuf", "XML"] {
        let r = app
            .register_body("s", &json!({"schema": record("R", "[]"), "schemaType": t}))
            .await;
        assert_error(&r, 422, 42201, t);
        assert_eq!(r.body["message"], format!("Invalid schema type {t}"), "{t}");
    }
    let r = app
        .register_body(
            "s",
            &json!({"schema": record("R", "[]"), "schemaType": "AVRO"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
