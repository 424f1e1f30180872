//! Request bodies read as Confluent's Java stack reads them (Jackson 2 with Confluent's
//! mapper, Jersey, rest-utils' exception mappers): coercions of scalars, `null` lists and
//! unknown fields, Jackson's mapping messages (400, error code 400), and the null entity of
//! an empty or `null` body (422, error code 422).

use reqwest::Method;
use serde_json::{Value, json};
use warden_testkit::{TestApp, spawn_app};

use crate::record;

const CT: Option<&str> = Some("application/vnd.schemaregistry.v1+json");

fn schema() -> String {
    record("J", r#"[{"name":"a","type":"string"}]"#)
}

async fn send(app: &TestApp, method: Method, path: &str, body: &str) -> warden_testkit::Reply {
    app.raw(method, path, CT, body.to_owned()).await
}

#[track_caller]
fn assert_error(r: &warden_testkit::Reply, status: u16, code: i64, message: &str, why: &str) {
    assert_eq!(r.status.as_u16(), status, "{why}: {}", r.text);
    assert_eq!(r.error_code(), code, "{why}: {}", r.text);
    assert_eq!(r.body["message"], message, "{why}");
}

#[tokio::test]
async fn an_empty_or_null_body_is_the_null_entity_violation_of_each_endpoint() {
    let app = spawn_app().await;
    let cases = [
        (Method::POST, "/subjects/s/versions", "register.arg5"),
        (Method::POST, "/subjects/s", "lookUpSchemaUnderSubject.arg5"),
        (
            Method::POST,
            "/compatibility/subjects/s/versions",
            "testCompatibilityForSubject.arg3",
        ),
        (
            Method::POST,
            "/compatibility/subjects/s/versions/latest",
            "testCompatibilityBySubjectName.arg4",
        ),
        (Method::PUT, "/config", "updateTopLevelConfig.arg1"),
        (Method::PUT, "/config/s", "updateSubjectLevelConfig.arg2"),
        (Method::PUT, "/mode", "updateTopLevelMode.arg1"),
        (Method::PUT, "/mode/s", "updateMode.arg2"),
    ];
    for (method, path, parameter) in cases {
        for body in ["", "  \n", "null", " null "] {
            let r = send(&app, method.clone(), path, body).await;
            assert_error(
                &r,
                422,
                422,
                &format!("{parameter} must not be null (was null)"),
                &format!("{method} {path} {body:?}"),
            );
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_an_object_gets_jacksons_creator_message() {
    let app = spawn_app().await;
    let creator = |class: &str, what: &str| {
        format!(
            "Cannot construct instance of `{class}` (although at least one Creator exists): \
             no {what}"
        )
    };
    let cases = [
        (
            Method::POST,
            "/subjects/s/versions",
            "RegisterSchemaRequest",
        ),
        (Method::PUT, "/config", "ConfigUpdateRequest"),
        (Method::PUT, "/mode", "ModeUpdateRequest"),
    ];
    for (method, path, class) in cases {
        for (body, message) in [
            (
                "[]",
                format!(
                    "Cannot deserialize value of type `{class}` from Array value (token \
                     `JsonToken.START_ARRAY`)"
                ),
            ),
            (
                "\"x\"",
                creator(
                    class,
                    "String-argument constructor/factory method to deserialize from String \
                     value ('x')",
                ),
            ),
            (
                "7",
                creator(
                    class,
                    "int/Int-argument constructor/factory method to deserialize from Number \
                     value (7)",
                ),
            ),
            (
                "true",
                creator(
                    class,
                    "boolean/Boolean-argument constructor/factory method to deserialize from \
                     boolean value (true)",
                ),
            ),
        ] {
            let r = send(&app, method.clone(), path, body).await;
            assert_error(&r, 400, 400, &message, &format!("{path} {body}"));
        }
    }
}

#[tokio::test]
async fn scalars_where_a_string_is_expected_become_their_text() {
    let app = spawn_app().await;
    // `"schema": 42` is the schema text "42": not a valid Avro schema, 42201 (not 400).
    for schema in ["42", "true", "1.5"] {
        let body = format!(r#"{{"schema":{schema}}}"#);
        for path in ["/subjects/s/versions", "/compatibility/subjects/s/versions"] {
            let r = send(&app, Method::POST, path, &body).await;
            assert_eq!(r.status.as_u16(), 422, "{path} {body}: {}", r.text);
            assert_eq!(r.error_code(), 42201, "{path} {body}: {}", r.text);
        }
    }
    // `"schemaType": 1` is the type "1": 42201 as any unknown type.
    let r = send(
        &app,
        Method::POST,
        "/subjects/s/versions",
        &json!({"schema": schema(), "schemaType": 1}).to_string(),
    )
    .await;
    assert_error(&r, 422, 42201, "Invalid schema type 1", "schemaType 1");
    // A number as the compatibility level or the mode is its text, then refused as invalid.
    let r = send(&app, Method::PUT, "/config", r#"{"compatibility":1}"#).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (422, 42203),
        "{}",
        r.text
    );
    let r = send(&app, Method::PUT, "/mode", r#"{"mode":1}"#).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (422, 42204),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn arrays_and_objects_where_a_scalar_is_expected_are_mapping_errors() {
    let app = spawn_app().await;
    let from = |class: &str, shape: &str, token: &str| {
        format!(
            "Cannot deserialize value of type `{class}` from {shape} (token `JsonToken.{token}`)"
        )
    };
    let cases = [
        (
            Method::POST,
            "/subjects/s/versions",
            r#"{"schema":[]}"#,
            from("String", "Array value", "START_ARRAY"),
        ),
        (
            Method::POST,
            "/subjects/s",
            r#"{"schema":{"type":"string"}}"#,
            from("String", "Object value", "START_OBJECT"),
        ),
        (
            Method::POST,
            "/compatibility/subjects/s/versions/1",
            r#"{"schemaType":["AVRO"]}"#,
            from("String", "Array value", "START_ARRAY"),
        ),
        (
            Method::POST,
            "/subjects/s/versions",
            r#"{"version":true}"#,
            from("Integer", "Boolean value", "VALUE_TRUE"),
        ),
        (
            Method::POST,
            "/subjects/s/versions",
            r#"{"id":[1]}"#,
            from("Integer", "Array value", "START_ARRAY"),
        ),
        (
            Method::POST,
            "/subjects/s/versions",
            r#"{"references":"x"}"#,
            from("SchemaReference>", "String value", "VALUE_STRING"),
        ),
        (
            Method::POST,
            "/subjects/s/versions",
            r#"{"references":{}}"#,
            from("SchemaReference>", "Object value", "START_OBJECT"),
        ),
        (
            Method::PUT,
            "/config",
            r#"{"compatibility":["BACKWARD"]}"#,
            from("String", "Array value", "START_ARRAY"),
        ),
        (
            Method::PUT,
            "/config/s",
            r#"{"normalize":1.5}"#,
            from("Boolean", "Floating-point value", "VALUE_NUMBER_FLOAT"),
        ),
        (
            Method::PUT,
            "/config",
            r#"{"compatibilityPolicy":{}}"#,
            from("String", "Object value", "START_OBJECT"),
        ),
        (
            Method::PUT,
            "/config",
            r#"{"alias":[]}"#,
            from("String", "Array value", "START_ARRAY"),
        ),
        (
            Method::PUT,
            "/mode",
            r#"{"mode":["READONLY"]}"#,
            from("String", "Array value", "START_ARRAY"),
        ),
        (
            Method::PUT,
            "/mode/s",
            r#"{"mode":{}}"#,
            from("String", "Object value", "START_OBJECT"),
        ),
    ];
    for (method, path, body, message) in cases {
        let r = send(&app, method, path, body).await;
        assert_error(&r, 400, 400, &message, body);
    }
    // The first field in the document that Jackson cannot map is the one reported.
    let r = send(
        &app,
        Method::POST,
        "/subjects/s/versions",
        r#"{"id":{},"schema":[]}"#,
    )
    .await;
    assert_error(
        &r,
        400,
        400,
        &from("Integer", "Object value", "START_OBJECT"),
        "order",
    );
    // A reference that is not an object: SchemaReference's creator.
    let r = send(
        &app,
        Method::POST,
        "/subjects/s/versions",
        r#"{"references":["x"]}"#,
    )
    .await;
    assert_error(
        &r,
        400,
        400,
        "Cannot construct instance of `SchemaReference` (although at least one Creator exists): \
         no String-argument constructor/factory method to deserialize from String value ('x')",
        "reference",
    );
}

#[tokio::test]
async fn integers_are_read_from_strings_and_floats_as_jackson_reads_them() {
    let app = spawn_app().await;
    let base = app.register_ok("base", &schema()).await;
    // `"version": "1"` in a reference is version 1.
    let referencing = json!({
        "schema": record("R", r#"[{"name":"j","type":"com.acme.J"}]"#),
        "references": [{"name": "com.acme.J", "subject": "base", "version": "1"}],
    });
    let r = app.register_body("r", &referencing).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let r = app.get("/subjects/r/versions/1").await;
    assert_eq!(r.body["references"][0]["version"], 1, "{}", r.text);
    // A float is truncated (`ACCEPT_FLOAT_AS_INT`): 1.9 is version 1.
    let truncated = json!({
        "schema": record("T", r#"[{"name":"j","type":"com.acme.J"}]"#),
        "references": [{"name": "com.acme.J", "subject": "base", "version": 1.9}],
    });
    let r = app.register_body("t", &truncated).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    // `"id": "<the same id>"` outside IMPORT mode: read as the id (42205 would follow for
    // another id); an empty string is null.
    let body = json!({"schema": schema(), "id": "", "version": " "});
    let r = app.register_body("base", &body).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["id"], base, "{}", r.text);
    let cases = [
        (
            r#"{"version":"1.0"}"#,
            "Cannot deserialize value of type `Integer` from String \"1.0\": not a valid `java.lang.Integer` value",
        ),
        (
            r#"{"id":"abc"}"#,
            "Cannot deserialize value of type `Integer` from String \"abc\": not a valid `java.lang.Integer` value",
        ),
        (
            r#"{"id":"3000000000"}"#,
            "Cannot deserialize value of type `Integer` from String \"3000000000\": Overflow: numeric value (3000000000) out of range of `java.lang.Integer` (-2147483648 -2147483647)",
        ),
        (
            r#"{"version":3000000000}"#,
            "Numeric value (3000000000) out of range of int (-2147483648 - 2147483647)",
        ),
        (
            r#"{"references":[{"name":"x","subject":"base","version":"one"}]}"#,
            "Cannot deserialize value of type `Integer` from String \"one\": not a valid `java.lang.Integer` value",
        ),
    ];
    for (body, message) in cases {
        let r = send(&app, Method::POST, "/subjects/s/versions", body).await;
        assert_error(&r, 400, 400, message, body);
    }
}

#[tokio::test]
async fn null_lists_and_fields_are_absent_and_unknown_fields_are_ignored() {
    let app = spawn_app().await;
    let body = json!({
        "schema": schema(),
        "references": null,
        "metadata": null,
        "ruleSet": null,
        "schemaType": null,
        "id": null,
        "version": null,
        "unknownField": [1, {"x": 2}],
        "schemaTagsToAdd": null,
    });
    let r = app.register_body("s", &body).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    for path in ["/subjects/s", "/compatibility/subjects/s/versions/latest"] {
        let r = app.request(Method::POST, path, Some(&body)).await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.text);
    }
    // Whatever follows the body's JSON value is not read (Jackson's readValue).
    let r = send(
        &app,
        Method::PUT,
        "/config",
        r#"{"compatibility":"NONE"} trailing"#,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body, json!({"compatibility": "NONE"}));
}

#[tokio::test]
async fn config_and_mode_values_are_case_insensitive_and_stored_upper_case() {
    let app = spawn_app().await;
    let r = send(
        &app,
        Method::PUT,
        "/config/s",
        r#"{"compatibility":"backward_Transitive","compatibilityPolicy":"lenient","normalize":"True"}"#,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"compatibility": "BACKWARD_TRANSITIVE", "normalize": true, "compatibilityPolicy": "LENIENT"})
    );
    let r = app.get("/config/s").await;
    assert_eq!(
        r.body["compatibilityLevel"], "BACKWARD_TRANSITIVE",
        "{}",
        r.text
    );
    // `normalize` as an int is true unless zero (`_coerceBooleanFromInt`); a string other
    // than true/false is a mapping error.
    let r = send(&app, Method::PUT, "/config/s", r#"{"normalize":0}"#).await;
    assert_eq!(r.body["normalize"], false, "{}", r.text);
    let r = send(&app, Method::PUT, "/config/s", r#"{"normalize":"yes"}"#).await;
    assert_error(
        &r,
        400,
        400,
        "Cannot deserialize value of type `Boolean` from String \"yes\": only \"true\" or \"false\" recognized",
        "normalize yes",
    );
    let r = send(&app, Method::PUT, "/mode/s", r#"{"mode":"readOnly"}"#).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body, json!({"mode": "READONLY"}));
    assert_eq!(app.get("/mode/s").await.body, json!({"mode": "READONLY"}));
    // `schemaType` is exact-case in Confluent (`SchemaRegistry.parseSchema` looks the
    // provider up by its exact name).
    let r = app
        .register_body("t", &json!({"schema": schema(), "schemaType": "avro"}))
        .await;
    assert_error(
        &r,
        422,
        42201,
        "Invalid schema type avro",
        "schemaType avro",
    );
    let _: Value = r.body;
}
