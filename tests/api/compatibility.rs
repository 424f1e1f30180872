use reqwest::StatusCode;
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

const V1: &str = r#"[{"name":"id","type":"long"}]"#;
const V2_DEFAULT: &str =
    r#"[{"name":"id","type":"long"},{"name":"email","type":"string","default":""}]"#;
const V2_NO_DEFAULT: &str = r#"[{"name":"id","type":"long"},{"name":"email","type":"string"}]"#;

#[tokio::test]
async fn an_incompatible_registration_is_409_with_the_rule_and_path() {
    let app = spawn_app().await;
    app.register_ok("users", &record("User", V1)).await;
    let r = app.register("users", &record("User", V2_NO_DEFAULT)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), 40901);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains("incompatible with an earlier schema"),
        "{message}"
    );
    assert!(
        message.contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{message}"
    );
    assert!(message.contains("/fields/1"), "{message}");
    // Nothing was written.
    assert_eq!(app.get("/subjects/users/versions").await.body, json!([1]));
    // The compatible evolution registers.
    app.register_ok("users", &record("User", V2_DEFAULT)).await;
    assert_eq!(
        app.get("/subjects/users/versions").await.body,
        json!([1, 2])
    );
}

#[tokio::test]
async fn the_check_endpoint_answers_is_compatible_with_verbose_messages() {
    let app = spawn_app().await;
    app.register_ok("users", &record("User", V1)).await;
    let ok = app
        .check("users", Some("latest"), &record("User", V2_DEFAULT))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body, json!({"is_compatible": true, "messages": []}));
    let bad = app
        .check("users", Some("1"), &record("User", V2_NO_DEFAULT))
        .await;
    assert_eq!(bad.body["is_compatible"], false);
    let messages: Vec<&str> = bad.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        messages[0].starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"),
        "{messages:?}"
    );
    assert!(messages.contains(&"{oldSchemaVersion: 1}"), "{messages:?}");
    assert!(
        messages.contains(&"{validateFields: 'false', compatibility: 'BACKWARD'}"),
        "{messages:?}"
    );
    // Without verbose there are no messages.
    let quiet = app
        .request(
            reqwest::Method::POST,
            "/compatibility/subjects/users/versions/latest",
            Some(&json!({"schema": record("User", V2_NO_DEFAULT)})),
        )
        .await;
    assert_eq!(quiet.body, json!({"is_compatible": false}));
}

/// Confluent's `CompatibilityResource`: `latest` (or `-1`) of a subject with no live version
/// (none at all, or all soft-deleted) is checked against nothing and is compatible, as is a
/// check against all versions; a version number that is not live is 40402, whether or not
/// the subject exists.
#[tokio::test]
async fn a_subject_with_no_live_version_is_compatible_and_a_missing_version_number_is_40402() {
    let app = spawn_app().await;
    let compatible = json!({"is_compatible": true, "messages": []});
    for subject in ["nobody", "gone"] {
        if subject == "gone" {
            app.register_ok("gone", &record("A", V1)).await;
            assert_eq!(app.delete("/subjects/gone").await.status, StatusCode::OK);
        }
        for version in [Some("latest"), Some("-1"), None] {
            let r = app
                .check(subject, version, &record("A", V2_NO_DEFAULT))
                .await;
            assert_eq!(
                (r.status, &r.body),
                (StatusCode::OK, &compatible),
                "{subject} {version:?}"
            );
        }
        let r = app.check(subject, Some("1"), &record("A", V1)).await;
        assert_eq!(
            (r.status, &r.body),
            (
                StatusCode::NOT_FOUND,
                &json!({"error_code": 40402, "message": "Version 1 not found."})
            ),
            "{subject} 1"
        );
        // The schema is still parsed: an invalid one is 42201, or with `verbose=true`
        // (Confluent's CompatibilityResource) incompatible with the parse error as message.
        let r = app
            .request(
                reqwest::Method::POST,
                &format!("/compatibility/subjects/{subject}/versions/latest"),
                Some(&json!({"schema": "{not avro"})),
            )
            .await;
        assert_eq!(r.error_code(), 42201, "{subject}: {}", r.text);
        let r = app.check(subject, Some("latest"), "{not avro").await;
        assert_eq!(r.status, StatusCode::OK, "{subject}: {}", r.text);
        assert_eq!(
            r.body["is_compatible"],
            json!(false),
            "{subject}: {}",
            r.text
        );
        assert_eq!(
            r.body["messages"].as_array().map(Vec::len),
            Some(1),
            "{}",
            r.text
        );
    }
    app.register_ok("s", &record("A", V1)).await;
    assert_eq!(
        app.check("s", Some("5"), &record("A", V1))
            .await
            .error_code(),
        40402
    );
    assert_eq!(
        app.check("s", Some("zero"), &record("A", V1))
            .await
            .error_code(),
        42202
    );
    let r = app
        .request(
            reqwest::Method::POST,
            "/compatibility/subjects/s/versions",
            Some(&json!({"schema": "{not avro"})),
        )
        .await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
}

#[tokio::test]
async fn transitive_levels_catch_a_break_with_an_older_version_only() {
    let app = spawn_app().await;
    // v1 has no `email`; v2 adds it with a default; v3 drops the default. v3 reads v2 data
    // (email present) but not v1 data.
    app.register_ok("s", &record("U", V1)).await;
    app.register_ok("s", &record("U", V2_DEFAULT)).await;
    let v3 = record("U", V2_NO_DEFAULT);
    let latest_only = app.check("s", None, &v3).await;
    assert_eq!(
        latest_only.body["is_compatible"], true,
        "{}",
        latest_only.text
    );
    app.set_level(Some("s"), "BACKWARD_TRANSITIVE").await;
    let all = app.check("s", None, &v3).await;
    assert_eq!(all.body["is_compatible"], false, "{}", all.text);
    let messages = all.body["messages"].to_string();
    assert!(messages.contains("{oldSchemaVersion: 1}"), "{messages}");
    assert!(!messages.contains("{oldSchemaVersion: 2}"), "{messages}");
    let r = app.register("s", &v3).await;
    assert_eq!(r.error_code(), 40901);
}

#[tokio::test]
async fn soft_deleted_versions_are_not_checked() {
    let app = spawn_app().await;
    app.register_ok("s", &record("U", V1)).await;
    app.set_level(Some("s"), "NONE").await;
    app.register_ok("s", &record("U", r#"[{"name":"id","type":"string"}]"#))
        .await;
    app.set_level(Some("s"), "BACKWARD_TRANSITIVE").await;
    let next = record(
        "U",
        r#"[{"name":"id","type":"string"},{"name":"x","type":"int","default":0}]"#,
    );
    assert_eq!(
        app.check("s", None, &next).await.body["is_compatible"],
        false
    );
    app.delete("/subjects/s/versions/1").await;
    assert_eq!(
        app.check("s", None, &next).await.body["is_compatible"],
        true
    );
}

#[tokio::test]
async fn forward_and_full_levels_check_the_other_direction() {
    let app = spawn_app().await;
    app.register_ok("f", &record("U", V2_NO_DEFAULT)).await;
    app.set_level(Some("f"), "FORWARD").await;
    // Removing a field the old reader needs (no default there) breaks FORWARD.
    let removed = app.register("f", &record("U", V1)).await;
    assert_eq!(removed.error_code(), 40901, "{}", removed.text);
    // Adding a field is fine FORWARD (old readers ignore it).
    let added = record(
        "U",
        r#"[{"name":"id","type":"long"},{"name":"email","type":"string"},{"name":"n","type":"int"}]"#,
    );
    assert_eq!(app.register("f", &added).await.status, StatusCode::OK);
    app.set_level(Some("f"), "FULL").await;
    // FULL: a field added without a default breaks backward.
    let more = record(
        "U",
        r#"[{"name":"id","type":"long"},{"name":"email","type":"string"},{"name":"n","type":"int"},{"name":"m","type":"int"}]"#,
    );
    assert_eq!(app.register("f", &more).await.error_code(), 40901);
    app.set_level(Some("f"), "NONE").await;
    assert_eq!(
        app.register("f", &record("U", r#"[{"name":"id","type":"string"}]"#))
            .await
            .status,
        StatusCode::OK
    );
}
