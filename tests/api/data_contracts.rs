//! Config fields, metadata and rule sets, `confluent:version`, compatibility groups,
//! `GET /subjects/{s}/metadata` and subject aliases, as Confluent treats them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::{TestApp, spawn_app};

use crate::record;

fn v1() -> String {
    record("R", r#"[{"name":"a","type":"string"}]"#)
}

fn v2() -> String {
    record(
        "R",
        r#"[{"name":"a","type":"string"},{"name":"b","type":"string","default":""}]"#,
    )
}

async fn put(app: &TestApp, path: &str, body: Value) -> warden_testkit::Reply {
    app.request(Method::PUT, path, Some(&body)).await
}

#[tokio::test]
async fn every_config_field_is_stored_answered_and_cleared_by_null() {
    let app = spawn_app().await;
    let all = json!({
        "alias": "target",
        "aliasForDeks": "keys",
        "normalize": true,
        "validateFields": false,
        "validateNewSchemas": true,
        "validateRules": false,
        "compatibilityGroup": "application.major",
        "defaultMetadata": {"properties": {"owner": "team-a"}},
        "overrideMetadata": {"tags": {"R.a": ["PII"]}},
        "defaultRuleSet": {"domainRules": [{"name": "checkA", "type": "CEL", "expr": "true"}]},
        "overrideRuleSet": {"migrationRules": [{"name": "up", "type": "JSONATA", "mode": "UPGRADE"}]}
    });
    let r = put(&app, "/config", all).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The stored config, rules in Confluent's canonical form, no level (none was set).
    let stored = json!({
        "alias": "target",
        "aliasForDeks": "keys",
        "normalize": true,
        "validateFields": false,
        "validateNewSchemas": true,
        "validateRules": false,
        "compatibilityGroup": "application.major",
        "defaultMetadata": {"properties": {"owner": "team-a"}},
        "overrideMetadata": {"tags": {"R.a": ["PII"]}},
        "defaultRuleSet": {"domainRules": [{"name": "checkA", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL", "expr": "true", "disabled": false}]},
        "overrideRuleSet": {"migrationRules": [{"name": "up", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA", "disabled": false}]}
    });
    assert_eq!(r.body, stored);
    let mut read = stored.clone();
    read["compatibilityLevel"] = json!("BACKWARD");
    assert_eq!(app.get("/config").await.body, read);

    // Absent fields are kept; null clears.
    let r = put(
        &app,
        "/config",
        json!({"compatibilityGroup": null, "alias": null}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.get("compatibilityGroup"), None, "{}", r.text);
    assert_eq!(r.body.get("alias"), None, "{}", r.text);
    assert_eq!(r.body["validateFields"], json!(false));
    assert_eq!(r.body["defaultMetadata"], stored["defaultMetadata"]);
}

#[tokio::test]
async fn put_config_answers_the_stored_config_without_defaults() {
    let app = spawn_app().await;
    let r = put(&app, "/config", json!({"normalize": true})).await;
    assert_eq!(r.body, json!({"normalize": true}));
    let r = put(&app, "/config/s", json!({"compatibility": "backward"})).await;
    assert_eq!(r.body, json!({"compatibility": "BACKWARD"}));
    // The subject's own config, with the level, and the global fields merged as Confluent's
    // mergeConfigs does.
    assert_eq!(
        app.get("/config/s?defaultToGlobal=true").await.body,
        json!({"compatibilityLevel": "BACKWARD", "normalize": true})
    );
}

#[tokio::test]
async fn a_subject_config_keeps_its_own_defaults_and_alias_and_inherits_the_switches() {
    let app = spawn_app().await;
    put(
        &app,
        "/config",
        json!({"validateFields": true, "defaultMetadata": {"properties": {"g": "1"}}, "alias": "x"}),
    )
    .await;
    put(&app, "/config/s", json!({"compatibility": "NONE"})).await;
    assert_eq!(
        app.get("/config/s?defaultToGlobal=true").await.body,
        json!({"compatibilityLevel": "NONE", "validateFields": true})
    );
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
}

#[tokio::test]
async fn invalid_rule_sets_are_42210_on_config_and_on_register() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"migrationRules": [{"name": "foo", "mode": "READ", "type": "IGNORE"}]}),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        (
            json!({"domainRules": [{"name": "foo", "type": "X"}, {"name": "foo", "type": "X"}]}),
            "Found rule with duplicate name 'foo'",
        ),
        (
            json!({"domainRules": [{"name": "foo"}]}),
            "Missing rule type",
        ),
        (json!({"domainRules": [{"type": "X"}]}), "Missing rule name"),
        (
            json!({"domainRules": [{"name": "a b", "type": "X"}]}),
            "Illegal character in rule name: a b",
        ),
        (
            json!({"domainRules": [{"name": "r", "type": "X", "mode": "WRITE", "onFailure": "ERROR,NONE"}]}),
            "Multiple actions only valid with WRITEREAD and UPDOWN",
        ),
    ];
    for (rule_set, message) in cases {
        let r = put(&app, "/config", json!({"defaultRuleSet": rule_set})).await;
        assert_eq!(
            (r.status, &r.body),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({"error_code": 42210, "message": message})
            ),
            "config {rule_set}"
        );
        let r = app
            .register_body("s", &json!({"schema": v1(), "ruleSet": rule_set}))
            .await;
        assert_eq!(
            (r.status, &r.body),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({"error_code": 42210, "message": message})
            ),
            "register {rule_set}"
        );
    }
    assert_eq!(app.get("/subjects").await.body, json!([]));
}

#[tokio::test]
async fn the_register_answer_carries_the_version_schema_and_data_contract() {
    let app = spawn_app().await;
    let r = app
        .register_body(
            "s",
            &json!({"schema": v1(), "metadata": {"properties": {"owner": "a"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let stored = app.version("s", "1").await.body;
    assert_eq!(
        r.body,
        json!({"id": 1, "version": 1, "guid": stored["guid"], "metadata": {"properties": {"owner": "a"}}, "schema": stored["schema"]})
    );
    // The same schema again answers the same version.
    let again = app
        .register_body(
            "s",
            &json!({"schema": v1(), "metadata": {"properties": {"owner": "a"}}}),
        )
        .await;
    assert_eq!(again.body, r.body);
    // JSON Schema carries its type.
    let r = app
        .register_body(
            "j",
            &json!({"schemaType": "JSON", "schema": r#"{"type":"object"}"#}),
        )
        .await;
    assert_eq!(r.body["schemaType"], json!("JSON"), "{}", r.text);
    assert_eq!(
        (r.body["id"].clone(), r.body["version"].clone()),
        (json!(2), json!(1))
    );
}

#[tokio::test]
async fn config_default_and_override_metadata_and_rules_merge_into_new_versions() {
    let app = spawn_app().await;
    put(
        &app,
        "/config",
        json!({
            "compatibility": "NONE",
            "defaultMetadata": {"properties": {"k": "default", "d": "1"}},
            "overrideMetadata": {"properties": {"o": "1"}},
            "defaultRuleSet": {"domainRules": [{"name": "r1", "type": "CEL"}]}
        }),
    )
    .await;
    let r = app
        .register_body(
            "s",
            &json!({"schema": v1(), "metadata": {"properties": {"k": "mine", "o": "mine"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["metadata"],
        json!({"properties": {"d": "1", "k": "mine", "o": "1"}})
    );
    assert_eq!(r.body["ruleSet"]["domainRules"][0]["name"], json!("r1"));
    // A version without metadata takes the latest version's, merged again.
    let r = app.register_body("s", &json!({"schema": v2()})).await;
    assert_eq!(r.body["version"], json!(2), "{}", r.text);
    assert_eq!(
        r.body["metadata"],
        json!({"properties": {"d": "1", "k": "mine", "o": "1"}})
    );
    let by_id = app.get("/schemas/ids/2").await.body;
    assert_eq!(by_id["metadata"], r.body["metadata"]);
}

#[tokio::test]
async fn a_registration_with_only_metadata_or_rules_takes_the_latest_schema() {
    let app = spawn_app().await;
    app.register_ok("s", &v1()).await;
    let r = app
        .register_body("s", &json!({"metadata": {"properties": {"k": "v"}}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["id"].clone(), r.body["version"].clone()),
        (json!(2), json!(2))
    );
    let latest = app.version("s", "latest").await.body;
    assert_eq!(latest["schema"], app.version("s", "1").await.body["schema"]);
    assert_eq!(latest["metadata"], json!({"properties": {"k": "v"}}));
    // Without any version there is nothing to take.
    let r = app
        .register_body("empty", &json!({"metadata": {"properties": {"k": "v"}}}))
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error_code": 42201, "message": "Empty schema"})
        )
    );
}

#[tokio::test]
async fn confluent_version_numbers_versions_registered_with_a_version() {
    let app = spawn_app().await;
    app.register_ok("s", &v1()).await;
    // -1: the latest version when it has the schema.
    let r = app
        .register_body("s", &json!({"schema": v1(), "version": -1}))
        .await;
    assert_eq!(
        (r.body["id"].clone(), r.body["version"].clone()),
        (json!(1), json!(1))
    );
    // An explicit next version makes a new one, numbered in its metadata.
    let r = app
        .register_body("s", &json!({"schema": v1(), "version": 2}))
        .await;
    assert_eq!(r.body["id"], json!(2), "{}", r.text);
    assert_eq!(
        r.body["metadata"],
        json!({"properties": {"confluent:version": "2"}})
    );
    // Any other version is 42201.
    let r = app
        .register_body("s", &json!({"schema": v1(), "version": 5}))
        .await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
    // A lookup without metadata finds version 1 (same schema, no metadata); with
    // confluent:version 1 too; with 2, version 2.
    let lookup = |metadata: Value| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/subjects/s",
                Some(&json!({"schema": v1(), "metadata": metadata})),
            )
            .await
        }
    };
    let r = lookup(json!({"properties": {"confluent:version": "1"}})).await;
    assert_eq!(
        (r.body["version"].clone(), r.body.get("metadata")),
        (json!(1), None)
    );
    let r = lookup(json!({"properties": {"confluent:version": "2"}})).await;
    assert_eq!(r.body["version"], json!(2));
    // Once version 1 is deleted, the lookup without metadata finds version 2.
    app.delete("/subjects/s/versions/1").await;
    let r = app.lookup("s", &v1()).await;
    assert_eq!(r.body["version"], json!(2), "{}", r.text);
}

#[tokio::test]
async fn a_lookup_without_a_rule_set_finds_the_version_registered_with_one() {
    let app = spawn_app().await;
    let rules = json!({"domainRules": [{"name": "r", "type": "CEL", "mode": "WRITE"}]});
    // An empty rule set is still a rule set: the schema without one is another schema.
    let r = app
        .register_body(
            "s",
            &json!({"schema": v1(), "ruleSet": {"domainRules": []}}),
        )
        .await;
    assert_eq!(r.body["ruleSet"], json!({}), "{}", r.text);
    let r = app.lookup("s", &v1()).await;
    assert_eq!(r.body["id"], json!(1), "{}", r.text);
    let r = app.register_body("s", &json!({"ruleSet": rules})).await;
    assert_eq!(r.body["id"], json!(2), "{}", r.text);
    let r = app.lookup("s", &v1()).await;
    assert_eq!(
        (r.body["id"].clone(), r.body["version"].clone()),
        (json!(2), json!(2)),
        "{}",
        r.text
    );
    // Registering it again without the rule set answers that version too.
    let r = app.register("s", &v1()).await;
    assert_eq!(r.body["id"], json!(2), "{}", r.text);
}

#[tokio::test]
async fn compatibility_is_checked_only_within_the_compatibility_group() {
    let app = spawn_app().await;
    put(&app, "/config", json!({"compatibilityGroup": "major"})).await;
    let with_major = |schema: String, major: &str| json!({"schema": schema, "metadata": {"properties": {"major": major}}});
    let incompatible = record("R", r#"[{"name":"z","type":"int"}]"#);
    app.register_body("s", &with_major(v1(), "1")).await;
    let r = app
        .register_body("s", &with_major(incompatible.clone(), "1"))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, 40901),
        "{}",
        r.text
    );
    let r = app.register_body("s", &with_major(incompatible, "2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"], json!(2));
}

#[tokio::test]
async fn get_latest_with_metadata_finds_the_newest_version_holding_every_pair() {
    let app = spawn_app().await;
    put(&app, "/config", json!({"compatibility": "NONE"})).await;
    for (schema, owner) in [(v1(), "a"), (v2(), "b"), (record("R", "[]"), "a")] {
        let r = app
            .register_body("s", &json!({"schema": schema, "metadata": {"properties": {"owner": owner, "tier": "1"}}}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = app
        .get("/subjects/s/metadata?key=owner&value=a&key=tier&value=1")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["subject"].clone(), r.body["version"].clone()),
        (json!("s"), json!(3))
    );
    let r = app.get("/subjects/s/metadata?key=owner&value=b").await;
    assert_eq!(r.body["version"], json!(2));
    // Soft-deleted versions count only with deleted=true.
    app.delete("/subjects/s/versions/2").await;
    let r = app.get("/subjects/s/metadata?key=owner&value=b").await;
    assert_eq!(
        (r.status, r.body),
        (
            StatusCode::NOT_FOUND,
            json!({"error_code": 40403, "message": "Schema not found"})
        )
    );
    let r = app
        .get("/subjects/s/metadata?key=owner&value=b&deleted=true")
        .await;
    assert_eq!(r.body["version"], json!(2));
    let r = app.get("/subjects/nope/metadata?key=owner&value=b").await;
    assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, 40401));
}

#[tokio::test]
async fn an_alias_stands_for_its_subject_in_reads_lookups_and_registrations() {
    let app = spawn_app().await;
    app.register_ok("target", &v1()).await;
    let r = put(&app, "/config/other%2Fname", json!({"alias": "target"})).await;
    assert_eq!(r.body, json!({"alias": "target"}));
    let read = app.version("other/name", "1").await;
    assert_eq!(
        (read.status, read.body["subject"].clone()),
        (StatusCode::OK, json!("target"))
    );
    let found = app.lookup("other/name", &v1()).await;
    assert_eq!(found.body["subject"], json!("target"), "{}", found.text);
    let r = app.register("other/name", &v2()).await;
    assert_eq!(r.body["version"], json!(2), "{}", r.text);
    assert_eq!(
        app.get("/subjects/target/versions").await.body,
        json!([1, 2])
    );
    assert_eq!(app.get("/subjects").await.body, json!(["target"]));
    // The global alias is not used; the alias's own config is still its own.
    put(&app, "/config", json!({"alias": "nowhere"})).await;
    assert_eq!(app.version("target", "1").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/config/other%2Fname").await.body["alias"],
        json!("target")
    );
}

#[tokio::test]
async fn get_schemas_with_aliases_lists_the_versions_an_alias_names() {
    let app = spawn_app().await;
    app.register_ok("target", &v1()).await;
    app.register_ok("target", &v2()).await;
    put(&app, "/config/alias-a", json!({"alias": "target"})).await;
    put(&app, "/config/alias-b", json!({"alias": "target"})).await;
    assert_eq!(
        app.get("/schemas?subjectPrefix=alias").await.body,
        json!([])
    );
    let r = app.get("/schemas?subjectPrefix=alias&aliases=true").await;
    let listed: Vec<(Value, Value, Value)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["subject"].clone(),
                e["version"].clone(),
                e["aliases"].clone(),
            )
        })
        .collect();
    let aliases = json!(["alias-a", "alias-b"]);
    assert_eq!(
        listed,
        [
            (json!("target"), json!(1), aliases.clone()),
            (json!("target"), json!(2), aliases),
        ],
        "{}",
        r.text
    );
    // Without the prefix matching an alias, the subject is listed without aliases.
    let r = app.get("/schemas?subjectPrefix=tar&aliases=true").await;
    assert_eq!(r.body[0].get("aliases"), None, "{}", r.text);
}

#[tokio::test]
async fn the_compatibility_test_keeps_to_the_group_and_messages_name_validate_fields() {
    let app = spawn_app().await;
    put(
        &app,
        "/config",
        json!({"compatibilityGroup": "major", "validateFields": true}),
    )
    .await;
    let incompatible = record("R", r#"[{"name":"z","type":"int"}]"#);
    let body = |schema: &str, major: &str| json!({"schema": schema, "metadata": {"properties": {"major": major}}});
    app.register_body("s", &body(&v1(), "1")).await;
    let check = |major: &'static str| {
        let (app, body) = (&app, body(&incompatible, major));
        async move {
            app.request(
                Method::POST,
                "/compatibility/subjects/s/versions?verbose=true",
                Some(&body),
            )
            .await
        }
    };
    let r = check("1").await;
    assert_eq!(r.body["is_compatible"], json!(false), "{}", r.text);
    let messages = r.body["messages"].as_array().unwrap();
    assert_eq!(
        messages.last().unwrap(),
        &json!("{validateFields: 'true', compatibility: 'BACKWARD'}")
    );
    let r = check("2").await;
    assert_eq!(r.body["is_compatible"], json!(true), "{}", r.text);
}

#[tokio::test]
async fn with_validate_fields_reserved_fields_may_not_be_fields_nor_be_dropped() {
    let app = spawn_app().await;
    put(&app, "/config", json!({"validateFields": true})).await;
    let reserving = |schema: String, fields: &str| json!({"schema": schema, "metadata": {"properties": {"confluent:reserved": fields}}});
    let r = app.register_body("s", &reserving(v1(), "a")).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, 40901),
        "{}",
        r.text
    );
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains("The new schema has field that conflicts with the reserved field a."),
        "{message}"
    );
    assert!(
        message.contains("{validateFields: 'true', compatibility: 'BACKWARD'}"),
        "{message}"
    );
    let r = app.register_body("s", &reserving(v1(), "x, y")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Dropping a reserved field is refused; keeping it is not.
    let r = app.register_body("s", &reserving(v2(), "x")).await;
    assert_eq!(r.error_code(), 40901, "{}", r.text);
    assert!(
        r.body["message"].as_str().unwrap().contains(
            "The new schema has reserved field y removed from its metadata which is present in \
             the old schema's metadata."
        ),
        "{}",
        r.text
    );
    let r = app.register_body("s", &reserving(v2(), "x,y")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Without validateFields nothing is checked.
    put(&app, "/config", json!({"validateFields": false})).await;
    let r = app.register_body("t", &reserving(v1(), "a")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_config_in_read_only_mode_cannot_change() {
    let app = spawn_app().await;
    put(&app, "/config/s", json!({"compatibility": "FULL"})).await;
    app.set_mode(Some("s"), "READONLY", false).await;
    let refused =
        json!({"error_code": 42205, "message": "Subject s in context  is in read-only mode"});
    let r = put(&app, "/config/s", json!({"compatibility": "NONE"})).await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::UNPROCESSABLE_ENTITY, &refused)
    );
    let r = app.delete("/config/s").await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::UNPROCESSABLE_ENTITY, &refused)
    );
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "FULL"})
    );
    app.set_mode(Some("s"), "READWRITE", false).await;
    let r = put(&app, "/config/s", json!({"compatibility": "NONE"})).await;
    assert_eq!(r.body, json!({"compatibility": "NONE"}));
}

/// `POST /compatibility/subjects/s/versions?verbose=true` with `body`.
async fn compatibility(app: &TestApp, body: &Value) -> warden_testkit::Reply {
    app.request(
        Method::POST,
        "/compatibility/subjects/s/versions?verbose=true",
        Some(body),
    )
    .await
}

#[tokio::test]
async fn the_compatibility_test_checks_reserved_fields_with_validate_fields_as_confluent() {
    // Confluent's `isCompatibleWithPrevious` runs `validateReservedFields` for the
    // compatibility endpoint too, before the level's check.
    let app = spawn_app().await;
    let reserving = |fields: &str| json!({"schema": v2(), "metadata": {"properties": {"confluent:reserved": fields}}});
    app.register_body("s", &reserving("legacy")).await;
    let r = compatibility(&app, &reserving("")).await;
    assert_eq!(
        r.body["is_compatible"],
        json!(true),
        "validateFields off: {}",
        r.text
    );
    put(&app, "/config", json!({"validateFields": true})).await;
    let r = compatibility(&app, &reserving("")).await;
    assert_eq!(r.body["is_compatible"], json!(false), "{}", r.text);
    assert_eq!(
        r.body["messages"],
        json!([
            "The new schema has reserved field legacy removed from its metadata which is \
             present in the old schema's metadata.",
            "{validateFields: 'true', compatibility: 'BACKWARD'}"
        ])
    );
    let r = compatibility(&app, &reserving("legacy")).await;
    assert_eq!(r.body["is_compatible"], json!(true), "{}", r.text);
}

#[tokio::test]
async fn a_new_condition_passes_as_in_confluent_and_fails_with_validate_rules_naming_the_rule() {
    let app = spawn_app().await;
    let rules = |domain: Value| json!({"schema": v1(), "ruleSet": {"domainRules": domain}});
    let positive = json!({"name": "positive", "kind": "CONDITION", "mode": "WRITE",
                          "type": "CEL", "expr": "message.a != ''"});
    let email = json!({"name": "email", "kind": "CONDITION", "mode": "WRITEREAD",
                       "type": "CEL_FIELD", "tags": ["PII"], "expr": "value.isEmail()"});
    let r = app.register_body("s", &rules(json!([positive]))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let stricter = rules(json!([positive, email]));
    // Confluent's compatibility endpoint gives no verdict on rule sets: compatible.
    let r = compatibility(&app, &stricter).await;
    assert_eq!(
        r.body,
        json!({"is_compatible": true, "messages": []}),
        "{}",
        r.text
    );

    put(&app, "/config", json!({"validateRules": true})).await;
    let r = compatibility(&app, &stricter).await;
    assert_eq!(r.body["is_compatible"], json!(false), "{}", r.text);
    let first = r.body["messages"][0].as_str().unwrap();
    assert!(
        first.starts_with(
            "{errorType:\"RULE_CONDITION_ADDED\", description:\"condition rule 'email'"
        ) && first.contains("at path '#/ruleSet/domainRules/email'"),
        "{first}"
    );
    // Registration refuses it the same way; the unchanged rule set passes.
    let r = app.register_body("s", &stricter).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, 40901),
        "{}",
        r.text
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("'email'"),
        "{}",
        r.text
    );
    let r = compatibility(&app, &rules(json!([positive]))).await;
    assert_eq!(r.body["is_compatible"], json!(true), "{}", r.text);
}
