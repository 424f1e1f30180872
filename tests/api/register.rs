use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::spawn_app;

use crate::{record, user_v1};

#[tokio::test]
async fn registering_the_same_schema_twice_returns_the_same_id_and_one_version() {
    let app = spawn_app().await;
    let first = app.register_ok("users-value", &user_v1()).await;
    let again = app.register_ok("users-value", &user_v1()).await;
    assert_eq!(first, again);
    let r = app.get("/subjects/users-value/versions").await;
    assert_eq!(r.body, json!([1]));
}

#[tokio::test]
async fn whitespace_and_key_order_do_not_make_a_new_schema() {
    let app = spawn_app().await;
    let a = app
        .register_ok(
            "s",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        )
        .await;
    let b = app
        .register_ok(
            "s",
            r#"{ "fields" : [ {"type":"int", "name":"a"} ], "name":"R", "type":"record" }"#,
        )
        .await;
    assert_eq!(a, b);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1]));
}

#[tokio::test]
async fn a_schema_differing_only_in_a_default_or_doc_is_a_different_schema() {
    // Parsing Canonical Form drops doc and default; identity must not.
    let app = spawn_app().await;
    let plain = app
        .register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let with_doc = app
        .register_ok(
            "s",
            &record("R", r#"[{"name":"a","type":"int","doc":"the a"}]"#),
        )
        .await;
    let with_default = app
        .register_ok(
            "s",
            &record("R", r#"[{"name":"a","type":"int","default":3}]"#),
        )
        .await;
    assert_ne!(plain, with_doc);
    assert_ne!(with_doc, with_default);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2, 3]));
}

#[tokio::test]
async fn the_same_schema_under_another_subject_reuses_the_id_with_its_own_version() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let other = record("Other", r#"[{"name":"x","type":"string"}]"#);
    app.register_ok("b", &other).await;
    let id = app.register_ok("a", &user_v1()).await;
    let id_b = app.register_ok("b", &user_v1()).await;
    assert_eq!(id, id_b);
    assert_eq!(app.version("b", "2").await.body["id"], id);
    assert_eq!(app.version("a", "1").await.body["id"], id);
    let r = app.get(&format!("/schemas/ids/{id}/subjects")).await;
    assert_eq!(r.body, json!(["a", "b"]));
    let r = app.get(&format!("/schemas/ids/{id}/versions")).await;
    assert_eq!(
        r.body,
        json!([{"subject":"a","version":1},{"subject":"b","version":2}])
    );
}

#[tokio::test]
async fn a_version_reads_back_with_subject_id_version_and_schema() {
    let app = spawn_app().await;
    let id = app.register_ok("users-value", &user_v1()).await;
    for v in ["1", "latest", "-1"] {
        let r = app.version("users-value", v).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["subject"], "users-value");
        assert_eq!(r.body["version"], 1);
        assert_eq!(r.body["id"], id);
        // Avro is the default and, as in Confluent, schemaType is omitted for it.
        assert!(r.body.get("schemaType").is_none());
        let schema: Value = serde_json::from_str(r.body["schema"].as_str().unwrap()).unwrap();
        assert_eq!(schema["name"], "User");
        assert_eq!(schema["namespace"], "example.avro");
    }
    let raw = app.get("/subjects/users-value/versions/1/schema").await;
    assert_eq!(
        raw.body["name"], "User",
        "raw schema is the schema JSON itself"
    );
}

#[tokio::test]
async fn a_schema_reads_back_by_id_in_every_form() {
    let app = spawn_app().await;
    let id = app.register_ok("users-value", &user_v1()).await;
    let r = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let schema: Value = serde_json::from_str(r.body["schema"].as_str().unwrap()).unwrap();
    let original: Value = serde_json::from_str(&user_v1()).unwrap();
    assert_eq!(schema["fields"], original["fields"]);
    let raw = app.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(raw.body["fields"], original["fields"]);
    let missing = app.get("/schemas/ids/999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), 40403);
    for path in [
        "/schemas/ids/999/schema",
        "/schemas/ids/999/subjects",
        "/schemas/ids/999/versions",
    ] {
        assert_eq!(app.get(path).await.error_code(), 40403, "{path}");
    }
}

#[tokio::test]
async fn lookup_finds_the_version_of_a_registered_schema() {
    let app = spawn_app().await;
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]"#,
    );
    let id1 = app.register_ok("s", &v1).await;
    app.register_ok("s", &v2).await;
    let r = app.lookup("s", &v1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["id"], id1);
    assert_eq!(r.body["subject"], "s");
    let miss = app.lookup("s", &record("Z", "[]")).await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    assert_eq!(miss.error_code(), 40403);
    let unknown = app.lookup("nobody", &v1).await;
    assert_eq!(unknown.error_code(), 40401);
}

#[tokio::test]
async fn lookup_of_a_soft_deleted_version_needs_deleted_true() {
    let app = spawn_app().await;
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]"#,
    );
    app.register_ok("s", &v1).await;
    app.register_ok("s", &v2).await;
    app.delete("/subjects/s/versions/1").await;
    assert_eq!(app.lookup("s", &v1).await.error_code(), 40403);
    let r = app
        .request(
            Method::POST,
            "/subjects/s?deleted=true",
            Some(&json!({ "schema": v1 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], 1);
}

#[tokio::test]
async fn metadata_and_rule_set_are_stored_and_returned() {
    let app = spawn_app().await;
    let body = json!({
        "schema": record("R", r#"[{"name":"a","type":"int"}]"#),
        "metadata": {"properties": {"owner": "team-a"}},
        "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "type": "CEL", "expr": "true"}]},
        "somethingNew": 1
    });
    let r = app.register_body("s", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let v = app.version("s", "1").await;
    assert_eq!(v.body["metadata"], body["metadata"]);
    // Rules as Confluent writes them: its defaults filled in.
    let rules = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL", "expr": "true", "disabled": false}]});
    assert_eq!(v.body["ruleSet"], rules);
    assert_eq!(r.body["ruleSet"], rules, "the register answer carries it");
    let by_id = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(by_id.body["metadata"], body["metadata"]);
    // The same schema with other metadata is another schema.
    let other = json!({"schema": body["schema"], "metadata": {"properties": {"owner": "team-b"}}});
    let r = app.register_body("s", &other).await;
    assert_ne!(r.body["id"].as_i64().unwrap(), id);
}

#[tokio::test]
async fn subjects_and_schemas_list_with_prefix_and_deleted_filters() {
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let b = record("B", r#"[{"name":"b","type":"int"}]"#);
    app.register_ok("orders-value", &a).await;
    app.register_ok("orders-key", &b).await;
    app.register_ok("users-value", &b).await;
    assert_eq!(
        app.get("/subjects?subjectPrefix=orders").await.body,
        json!(["orders-key", "orders-value"])
    );
    app.delete("/subjects/users-value").await;
    assert_eq!(
        app.get("/subjects").await.body,
        json!(["orders-key", "orders-value"])
    );
    assert_eq!(
        app.get("/subjects?deleted=true").await.body,
        json!(["orders-key", "orders-value", "users-value"])
    );
    assert_eq!(
        app.get("/subjects?deletedOnly=true").await.body,
        json!(["users-value"])
    );
    let all = app.get("/schemas").await.body;
    let subjects: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["orders-key", "orders-value"]);
    let with_deleted = app
        .get("/schemas?deleted=true&subjectPrefix=users")
        .await
        .body;
    assert_eq!(with_deleted.as_array().unwrap().len(), 1);
    let schema: Value = serde_json::from_str(with_deleted[0]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema["name"], "B");
}

#[tokio::test]
async fn schemas_latest_only_keeps_one_entry_per_subject() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    app.register_ok(
        "s",
        &record(
            "R",
            r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]"#,
        ),
    )
    .await;
    let r = app.get("/schemas?latestOnly=true").await.body;
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(r[0]["version"], 2);
}

#[tokio::test]
async fn versions_list_honours_deleted_and_deleted_only() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    app.register_ok(
        "s",
        &record(
            "R",
            r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]"#,
        ),
    )
    .await;
    app.delete("/subjects/s/versions/1").await;
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([2]));
    assert_eq!(
        app.get("/subjects/s/versions?deleted=true").await.body,
        json!([1, 2])
    );
    assert_eq!(
        app.get("/subjects/s/versions?deletedOnly=true").await.body,
        json!([1])
    );
    assert_eq!(app.get("/subjects/none/versions").await.error_code(), 40401);
}

#[tokio::test]
async fn normalize_true_registers_differently_spelled_names_as_one_schema() {
    let app = spawn_app().await;
    let short = r#"{"type":"record","name":"R","namespace":"com.acme","fields":[{"name":"a","type":"int"}]}"#;
    let qualified = r#"{"type":"record","name":"com.acme.R","fields":[{"name":"a","type":"int"}]}"#;
    let body = |s: &str| json!({ "schema": s });
    let a = app
        .request(
            Method::POST,
            "/subjects/n/versions?normalize=true",
            Some(&body(short)),
        )
        .await;
    let b = app
        .request(
            Method::POST,
            "/subjects/n/versions?normalize=true",
            Some(&body(qualified)),
        )
        .await;
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(app.get("/subjects/n/versions").await.body, json!([1]));
    // Lookup without normalize falls back to the normalized form (Confluent PR #3841).
    let r = app.lookup("n", short).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The normalize config flag has the same effect.
    app.request(Method::PUT, "/config/m", Some(&json!({"normalize": true})))
        .await;
    let a = app.register_ok("m", short).await;
    let b = app.register_ok("m", qualified).await;
    assert_eq!(a, b);
}

/// A schema registered as sent is found again with `normalize=true`, by registration and
/// by lookup, as Confluent compares each version's parsed schema; Confluent's Python and
/// Node clients send `normalize=true` on a schema their user registered before.
#[tokio::test]
async fn normalize_true_finds_a_schema_registered_without_it() {
    let app = spawn_app().await;
    let short = r#"{"type":"record","name":"R","namespace":"com.acme","fields":[{"name":"a","type":"int"}]}"#;
    let qualified = r#"{"type":"record","name":"com.acme.R","fields":[{"name":"a","type":"int"}]}"#;
    let id = app.register_ok("raw", short).await;
    for text in [short, qualified] {
        let body = json!({ "schema": text });
        let r = app
            .request(
                Method::POST,
                "/subjects/raw/versions?normalize=true",
                Some(&body),
            )
            .await;
        assert_eq!(r.body["id"], json!(id), "{text}");
        let r = app
            .request(Method::POST, "/subjects/raw?normalize=true", Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["id"].clone(), r.body["version"].clone()),
            (json!(id), json!(1))
        );
    }
    assert_eq!(app.get("/subjects/raw/versions").await.body, json!([1]));
    // A different schema is still a new version.
    let other = r#"{"type":"record","name":"com.acme.R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]}"#;
    let r = app
        .request(
            Method::POST,
            "/subjects/raw/versions?normalize=true",
            Some(&json!({ "schema": other })),
        )
        .await;
    assert_ne!(r.body["id"], json!(id), "{}", r.text);
    assert_eq!(app.get("/subjects/raw/versions").await.body, json!([1, 2]));
}

#[tokio::test]
async fn import_mode_registers_with_explicit_ids_and_versions() {
    let app = spawn_app().await;
    let r = app.set_mode(None, "IMPORT", false).await;
    assert_eq!(r.body, json!({"mode": "IMPORT"}));
    let body =
        json!({"schema": record("R", r#"[{"name":"a","type":"int"}]"#), "id": 42, "version": 7});
    let r = app.register_body("imported", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], 42);
    let v = app.version("imported", "7").await;
    assert_eq!(v.body["id"], 42);
    // The id is taken by that schema: another schema cannot claim it.
    let clash =
        json!({"schema": record("Z", r#"[{"name":"z","type":"int"}]"#), "id": 42, "version": 8});
    let r = app.register_body("imported", &clash).await;
    assert_eq!(r.error_code(), 42205, "{}", r.text);
    // Ids continue after imported ones once back in READWRITE.
    app.set_mode(None, "READWRITE", false).await;
    let next = app
        .register_ok("other", &record("N", r#"[{"name":"n","type":"int"}]"#))
        .await;
    assert!(
        next > 42,
        "new ids do not collide with imported ones: {next}"
    );
}

#[tokio::test]
async fn an_explicit_id_outside_import_mode_is_refused_with_42205() {
    let app = spawn_app().await;
    let body = json!({"schema": record("R", r#"[{"name":"a","type":"int"}]"#), "id": 5});
    let r = app.register_body("s", &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), 42205);
}

#[tokio::test]
async fn schema_ids_stay_java_ints_and_a_registration_past_the_last_one_writes_nothing() {
    let app = spawn_app().await;
    app.set_mode(None, "IMPORT", false).await;
    let past = json!({"schema": record("P", "[]"), "id": 2_147_483_648_i64, "version": 1});
    let r = app.register_body("past", &past).await;
    // Confluent's `id` is a Java `Integer`: Jackson refuses the number while reading the body.
    assert_eq!(r.error_code(), 400, "an id past 2^31-1: {}", r.text);
    let top = json!({"schema": record("T", "[]"), "id": 2_147_483_647_i64, "version": 1});
    let r = app.register_body("top", &top).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.set_mode(None, "READWRITE", false).await;
    let r = app.register("next", &record("N", "[]")).await;
    assert_eq!(r.error_code(), 42205, "no id is left: {}", r.text);
    // Nothing was written, and the registry stays readable.
    assert_eq!(app.get("/subjects").await.body, json!(["top"]));
    let all = app.get("/schemas").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(all.body[0]["id"], 2_147_483_647_i64);
}

/// `force=true` on a registration skips the compatibility check, as Confluent's
/// `KafkaSchemaRegistry.register` does outside IMPORT mode; the mode and the schema's
/// validity are still checked, and the flag reads as Java's `Boolean.valueOf`.
#[tokio::test]
async fn register_with_force_true_skips_only_the_compatibility_check() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"string"}]"#))
        .await;
    let incompatible = json!({"schema": record("R", r#"[{"name":"a","type":"string"},{"name":"b","type":"string"}]"#)});
    let post = |query: &'static str, body: Value| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                &format!("/subjects/s/versions{query}"),
                Some(&body),
            )
            .await
        }
    };
    for query in ["", "?force=false", "?force=1"] {
        let r = post(query, incompatible.clone()).await;
        assert_eq!(r.error_code(), 40901, "{query}: {}", r.text);
    }
    let r = post("?force=TRUE", incompatible.clone()).await;
    assert_eq!((r.status, &r.body["id"]), (StatusCode::OK, &json!(2)));
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
    // The same schema again: its id, no new version.
    let r = post("?force=true", incompatible).await;
    assert_eq!((r.status, &r.body["id"]), (StatusCode::OK, &json!(2)));
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
    // Still refused: an invalid schema, and any write in READONLY mode.
    let r = post("?force=true", json!({"schema": "{not avro"})).await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
    app.set_mode(Some("s"), "READONLY", false).await;
    let r = post(
        "?force=true",
        json!({"schema": record("R", r#"[{"name":"c","type":"int"}]"#)}),
    )
    .await;
    assert_eq!(r.error_code(), 42205, "{}", r.text);
}
