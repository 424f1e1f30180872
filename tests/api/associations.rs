//! The associations API (Confluent 8's `AssociationsResource`): topics linked to their key
//! and value subjects. Expected answers follow Confluent's `RestApiAssociationTest` and the
//! rules of `AbstractSchemaRegistry.createOrUpdateAssociation`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::{Reply, TestApp, spawn_app};

use crate::record;

async fn post(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.request(Method::POST, path, Some(body)).await
}

async fn put(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.request(Method::PUT, path, Some(body)).await
}

fn schema_a() -> String {
    record("A", r#"[{"name":"a","type":"int"}]"#)
}

fn schema_b() -> String {
    record("B", r#"[{"name":"b","type":"string"}]"#)
}

/// A WEAK create of `orders` (id `t-1`, namespace `lkc-1`) with the given subjects.
fn weak(key: &str, value: &str) -> Value {
    json!({
        "resourceName": "orders",
        "resourceNamespace": "lkc-1",
        "resourceId": "t-1",
        "resourceType": "topic",
        "associations": [
            {"subject": key, "associationType": "key", "lifecycle": "WEAK"},
            {"subject": value, "associationType": "value"},
        ]
    })
}

/// The associations of a reply with the per-row fields Warden makes up (guid, times)
/// checked and removed.
fn without_generated(reply: &Reply) -> Value {
    let mut rows = reply.body.clone();
    for row in rows.as_array_mut().expect("an array") {
        let row = row.as_object_mut().expect("an object");
        let guid = row.remove("guid").expect("guid");
        let guid = guid.as_str().unwrap();
        assert_eq!(guid.len(), 36, "a UUID: {guid}");
        assert_eq!(&guid[14..15], "4", "a version-4 UUID: {guid}");
        let created = row.remove("createTs").expect("createTs").as_i64().unwrap();
        let updated = row.remove("updateTs").expect("updateTs").as_i64().unwrap();
        assert!(created > 0 && updated >= created, "{created} {updated}");
    }
    rows
}

fn weak_row(subject: &str, kind: &str) -> Value {
    json!({
        "subject": subject,
        "resourceName": "orders",
        "resourceNamespace": "lkc-1",
        "resourceId": "t-1",
        "resourceType": "topic",
        "associationType": kind,
        "lifecycle": "WEAK",
    })
}

#[tokio::test]
async fn weak_associations_are_created_read_by_subject_resource_and_name_and_deleted() {
    let app = spawn_app().await;
    app.register_ok("orders-k", &schema_a()).await;
    app.register_ok("orders-v", &schema_b()).await;

    let created = post(&app, "/associations", &weak("orders-k", "orders-v")).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert_eq!(
        created.body,
        json!({
            "resourceName": "orders",
            "resourceNamespace": "lkc-1",
            "resourceId": "t-1",
            "resourceType": "topic",
            "associations": [
                {"subject": "orders-k", "associationType": "key", "lifecycle": "WEAK"},
                {"subject": "orders-v", "associationType": "value", "lifecycle": "WEAK"},
            ]
        })
    );

    let both = json!([weak_row("orders-k", "key"), weak_row("orders-v", "value")]);
    for path in [
        "/associations/resources/t-1",
        "/associations/resources/t-1?resourceType=topic&associationType=key&associationType=value",
        "/associations/resources/lkc-1/orders",
        "/associations/resources/-/orders",
        "/associations/resources/lkc-1/-",
        "/associations/resources/-/-",
        // The query form the Rust client schema-registry-client sends.
        "/associations?resourceName=orders&resourceNamespace=lkc-1&resourceType=topic",
        "/associations?resourceName=orders",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        assert_eq!(without_generated(&r), both, "{path}");
    }
    let r = app
        .get("/associations?resourceName=orders&resourceNamespace=lkc-1&associationType=value")
        .await;
    assert_eq!(
        without_generated(&r),
        json!([weak_row("orders-v", "value")])
    );
    let r = app.get("/associations?resourceName=payments").await;
    assert_eq!((r.status, r.body.clone()), (StatusCode::OK, json!([])));
    let r = app.get("/associations/subjects/orders-v").await;
    assert_eq!(
        without_generated(&r),
        json!([weak_row("orders-v", "value")])
    );
    let r = app
        .get("/associations/subjects/orders-v?associationType=key")
        .await;
    assert_eq!(r.body, json!([]));
    let r = app
        .get("/associations/resources/t-1?lifecycle=STRONG")
        .await;
    assert_eq!(r.body, json!([]));
    let r = app
        .get("/associations/resources/t-1?resourceType=other")
        .await;
    assert_eq!(r.body, json!([]));
    let r = app.get("/associations/resources/lkc-2/orders").await;
    assert_eq!(r.body, json!([]));
    // Pages: skip(offset).limit(limit); a limit that is not positive is the default.
    let r = app
        .get("/associations/resources/t-1?offset=1&limit=1")
        .await;
    assert_eq!(
        without_generated(&r),
        json!([weak_row("orders-v", "value")])
    );
    let r = app.get("/associations/resources/t-1?limit=0").await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);

    // An associated subject keeps its last live version, and is not deleted.
    let r = app.delete("/subjects/orders-v/versions/1").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40907, "message": "No active (non-deleted) version exists for subject 'orders-v'"})
    );
    let r = app.delete("/subjects/orders-k").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40904, "message": "An association already exists for subject 'orders-k'"})
    );

    // Deleting one type leaves the other; the subjects of WEAK associations stay.
    let r = app
        .delete("/associations/resources/t-1?associationType=key&cascadeLifecycle=True")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(r.text, "");
    let r = app.get("/associations/resources/t-1").await;
    assert_eq!(
        without_generated(&r),
        json!([weak_row("orders-v", "value")])
    );
    assert_eq!(
        app.get("/subjects/orders-k/versions").await.body,
        json!([1])
    );

    let r = app.delete("/associations/resources/t-1").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.delete("/associations/resources/t-1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body,
        json!({"error_code": 40410, "message": "Association for 't-1' not found."})
    );
}

#[tokio::test]
async fn a_dry_run_validates_without_a_resource_id_and_writes_nothing() {
    let app = spawn_app().await;
    app.register_ok("orders-k", &schema_a()).await;
    app.register_ok("orders-v", &schema_b()).await;
    let mut body = weak("orders-k", "orders-v");
    body.as_object_mut().unwrap().remove("resourceId");
    let r = post(&app, "/associations?dryRun=true", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceType": "topic"})
    );
    assert_eq!(app.get("/associations/resources/-/-").await.body, json!([]));
    // Without dryRun the id is required.
    let r = post(&app, "/associations", &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({
            "error_code": 42212,
            "message": "The association specified an invalid value for property: 'resourceId', detail: cannot be null or empty"
        })
    );
}

#[tokio::test]
async fn invalid_association_requests_answer_42212_naming_the_property() {
    let app = spawn_app().await;
    app.register_ok("s", &schema_a()).await;
    let base = weak("s", "s2");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        edit(&mut b);
        b
    };
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "no resource name",
            with(&|b| {
                b.as_object_mut().unwrap().remove("resourceName");
            }),
            "resourceName",
            "cannot be null or empty",
        ),
        (
            "a dot in the name",
            with(&|b| b["resourceName"] = json!("orders.v1")),
            "resourceName",
            "illegal character '.'",
        ),
        (
            "a namespace over 256 chars",
            with(&|b| b["resourceNamespace"] = json!("n".repeat(257))),
            "resourceNamespace",
            "exceeds max length of 256",
        ),
        (
            "another resource type",
            with(&|b| b["resourceType"] = json!("table")),
            "resourceType",
            "must be 'topic'",
        ),
        (
            "no associations",
            with(&|b| b["associations"] = json!([])),
            "associations",
            "cannot be null or empty",
        ),
        (
            "an unknown association type",
            with(&|b| b["associations"][0]["associationType"] = json!("header")),
            "associationType",
            "must be either 'key' or 'value'",
        ),
        (
            "an empty subject",
            with(&|b| b["associations"][0]["subject"] = json!("")),
            "subject",
            "must not be empty",
        ),
        (
            "a WEAK association without a subject",
            with(&|b| {
                b["associations"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("subject");
            }),
            "subject",
            "must be provided for WEAK associations",
        ),
        (
            "a WEAK association on the default subject",
            with(&|b| b["associations"][0]["subject"] = json!(":.lkc-1:orders-key")),
            "subject",
            "WEAK associations cannot use subject ':.lkc-1:orders-key'",
        ),
        (
            "a schema with WEAK",
            with(&|b| b["associations"][0]["schema"] = json!({"schema": schema_a()})),
            "lifecycle",
            "cannot be WEAK when schema is provided",
        ),
        (
            "a WEAK association frozen",
            with(&|b| b["associations"][0]["frozen"] = json!(true)),
            "frozen",
            "association with lifecycle of WEAK cannot be frozen=true",
        ),
        (
            "a schema with frozen=false",
            json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                   "associations": [{"frozen": false, "schema": {"schema": schema_a()}}]}),
            "frozen",
            "cannot be false when a schema is provided",
        ),
        (
            "a frozen association on another subject",
            json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                   "associations": [{"subject": "s", "schema": {"schema": schema_a()}}]}),
            "subject",
            "frozen associations must use subject ':.lkc-1:orders-value'",
        ),
        (
            "a STRONG create without a schema",
            json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                   "associations": [{"lifecycle": "STRONG"}]}),
            "schema",
            "schema must be provided when creating a frozen association",
        ),
        (
            "the same type twice",
            with(&|b| b["associations"][1]["associationType"] = json!("key")),
            "associationType",
            "may only appear once per request, but 'key' appears more than once",
        ),
    ];
    for (reason, body, property, detail) in cases {
        let r = post(&app, "/associations", &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason}: {}",
            r.text
        );
        assert_eq!(
            r.body,
            json!({
                "error_code": 42212,
                "message": format!("The association specified an invalid value for property: '{property}', detail: {detail}")
            }),
            "{reason}"
        );
    }
    assert_eq!(app.get("/associations/resources/-/-").await.body, json!([]));
}

#[tokio::test]
async fn bodies_and_parameters_are_read_as_confluents_jax_rs_resource_reads_them() {
    let app = spawn_app().await;
    let r = app
        .raw(Method::POST, "/associations", Some("application/json"), "")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({"error_code": 422, "message": "createAssociation.arg4 must not be null (was null)"})
    );
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "t", "resourceNamespace": "n", "resourceId": "i",
                "associations": [{"subject": "s", "lifecycle": "weak"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"error_code": 400, "message": "Cannot deserialize value of type `LifecyclePolicy` from String \"weak\": not one of the values accepted for Enum class: [STRONG, WEAK]"})
    );
    let r = post(
        &app,
        "/associations:batchMutate",
        &json!({"requests": [{"resourceName": "t", "resourceNamespace": "n", "resourceId": "i",
                              "associations": [{"opType": "RENAME"}]}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"error_code": 400, "message": "Could not resolve type id 'RENAME' as a subtype of `AssociationOp`: known type ids = [CREATE, DELETE, UPSERT]"})
    );
    let r = app
        .raw(
            Method::POST,
            "/associations:batchGet",
            Some("application/json"),
            "null",
        )
        .await;
    assert_eq!(
        r.body,
        json!({"error_code": 422, "message": "batchGetAssociations.arg1 must not be null (was null)"})
    );
    for path in [
        "/associations/resources/t-1?lifecycle=weak",
        "/associations/resources/t-1?offset=x",
        "/associations/subjects/s?limit=1.5",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            r.body,
            json!({"error_code": 404, "message": "HTTP 404 Not Found"}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_schema_given_with_a_create_makes_a_frozen_strong_association_owning_its_subject() {
    let app = spawn_app().await;
    let body = json!({
        "resourceName": "orders",
        "resourceNamespace": "lkc-1",
        "resourceId": "t-1",
        "associations": [{"schema": {"schema": schema_a()}}]
    });
    let r = post(&app, "/associations", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The schema is the registered version as a lookup answers it.
    let version = app.lookup(":.lkc-1:orders-value", &schema_a()).await;
    assert_eq!(version.status, StatusCode::OK, "{}", version.text);
    assert_eq!(
        r.body,
        json!({
            "resourceName": "orders",
            "resourceNamespace": "lkc-1",
            "resourceId": "t-1",
            "resourceType": "topic",
            "associations": [{
                "subject": ":.lkc-1:orders-value",
                "associationType": "value",
                "lifecycle": "STRONG",
                "schema": version.body,
            }]
        })
    );
    // Repeating it writes nothing and answers without associations.
    let again = post(&app, "/associations", &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(
        again.body,
        json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1", "resourceType": "topic"})
    );
    // The same association with another schema is a conflict.
    let mut other = body.clone();
    other["associations"][0]["schema"] = json!({"schema": schema_b()});
    let r = post(&app, "/associations", &other).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40903, "message": "An association of type 'value' already exists for resource 'orders'"})
    );

    // Another resource cannot share the owned subject, weakly or strongly.
    let shared = json!({
        "resourceName": "payments", "resourceNamespace": "lkc-1", "resourceId": "t-2",
        "associations": [{"subject": ":.lkc-1:orders-value"}]
    });
    let r = post(&app, "/associations", &shared).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40905, "message": "A strong association already exists for subject ':.lkc-1:orders-value'"})
    );

    // The subject of an association cannot be deleted.
    let r = app.delete("/subjects/:.lkc-1:orders-value").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40904, "message": "An association already exists for subject ':.lkc-1:orders-value'"})
    );

    // A frozen association is deleted only with cascadeLifecycle, which deletes its subject.
    let r = app.delete("/associations/resources/t-1").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40908, "message": "The association of type  'value' is frozen for subject ':.lkc-1:orders-value'"})
    );
    let r = app
        .delete("/associations/resources/t-1?cascadeLifecycle=true&dryRun=true")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/subjects/:.lkc-1:orders-value/versions")
            .await
            .body,
        json!([1])
    );
    let r = app
        .delete("/associations/resources/t-1?cascadeLifecycle=true")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(app.get("/associations/resources/t-1").await.body, json!([]));
    let r = app
        .get("/subjects/:.lkc-1:orders-value/versions?deleted=true")
        .await;
    assert_eq!(r.body["error_code"], 40401, "hard-deleted: {}", r.text);
}

#[tokio::test]
async fn subjects_without_live_versions_or_with_other_associations_are_refused() {
    let app = spawn_app().await;
    let r = post(&app, "/associations", &weak("missing-k", "missing-v")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"error_code": 40907, "message": "No active (non-deleted) version exists for subject 'missing-k'"})
    );

    // A STRONG association needs its subject to itself.
    app.register_ok("shared", &schema_a()).await;
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "payments", "resourceNamespace": "lkc-1", "resourceId": "t-2",
                "associations": [{"subject": "shared"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                "associations": [{"schema": {"schema": schema_a()}}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Another resource's WEAK association on the same shared subject is fine.
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "refunds", "resourceNamespace": "lkc-1", "resourceId": "t-3",
                "associations": [{"subject": "shared"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/associations/subjects/shared").await;
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["resourceName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["payments", "refunds"], "sorted by resource name");

    // A resource's associations share one lifecycle.
    let r = put(
        &app,
        "/associations/resources/t-1",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1",
                "associations": [{"subject": "shared", "associationType": "key", "lifecycle": "WEAK"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({"error_code": 42212, "message": "The association specified an invalid value for property: 'lifecycle', detail: all associations for a resource must have the same lifecycle, but got value=STRONG, key=WEAK"})
    );
}

#[tokio::test]
async fn an_upsert_adds_weak_associations_and_keeps_subjects_fixed() {
    let app = spawn_app().await;
    app.register_ok("a", &schema_a()).await;
    app.register_ok("b", &schema_b()).await;
    let r = put(
        &app,
        "/associations/resources/t-1",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-9",
                "associations": [{"subject": "a"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({"error_code": 42212, "message": "The association specified an invalid value for property: 'resourceId', detail: Resource ID in the path parameter does not match the resource ID in the request body"})
    );
    let body = json!({"resourceName": "orders", "resourceNamespace": "lkc-1",
                      "associations": [{"subject": "a"}]});
    let r = put(&app, "/associations/resources/t-1", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
               "resourceType": "topic",
               "associations": [{"subject": "a", "associationType": "value", "lifecycle": "WEAK"}]})
    );
    let r = put(
        &app,
        "/associations/resources/t-1",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1",
                "associations": [{"subject": "b", "lifecycle": "WEAK"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({"error_code": 42212, "message": "The association specified an invalid value for property: 'subject', detail: subject of association cannot be changed from 'a' to 'b'"})
    );
    let r = put(
        &app,
        "/associations/resources/t-1",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1",
                "associations": [{"subject": "b", "associationType": "key", "lifecycle": "STRONG"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["message"],
        "The association specified an invalid value for property: 'subject', detail: frozen associations must use subject ':.lkc-1:orders-key'"
    );
    // A create of another subject for an existing association answers 40903.
    let r = post(&app, "/associations", &weak("b", "b")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["error_code"], 40903);
}

#[tokio::test]
async fn batches_answer_207_with_one_result_or_error_per_request() {
    let app = spawn_app().await;
    app.register_ok("a", &schema_a()).await;
    let r = post(&app, "/associations:batchMutate", &json!({"requests": []})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({"error_code": 42212, "message": "The association specified an invalid value for property: 'requests', detail: cannot be null or empty"})
    );
    let r = post(
        &app,
        "/associations:batchMutate",
        &json!({"requests": [
            {"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
             "associations": [{"opType": "CREATE", "subject": "a", "lifecycle": "WEAK"}]},
            {"resourceName": "bad.name", "resourceNamespace": "lkc-1", "resourceId": "t-2",
             "associations": [{"opType": "CREATE", "subject": "a"}]},
            {"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-3",
             "associations": [{"opType": "CREATE", "subject": "missing"}]},
        ]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"results": [
            {"result": {"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                        "resourceType": "topic",
                        "associations": [{"subject": "a", "associationType": "value", "lifecycle": "WEAK"}]}},
            {"error": {"error_code": 42212, "message": "The association specified an invalid value for property: 'resourceName', detail: illegal character '.'"}},
            {"error": {"error_code": 40907, "message": "No active (non-deleted) version exists for subject 'missing'"}},
        ]})
    );

    let r = post(
        &app,
        "/associations:batchGet?includeSchemas=true",
        &json!({"requests": [
            {"resourceId": "t-1"},
            {"resourceName": "orders", "resourceNamespace": "lkc-1", "associationTypes": ["key"]},
            {"resourceName": "orders"},
        ]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.text);
    let version = app.get("/subjects/a/versions/1").await.body;
    assert_eq!(
        r.body,
        json!({"results": [
            {"result": {"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                        "resourceType": "topic",
                        "associations": [{"subject": "a", "associationType": "value", "lifecycle": "WEAK",
                                          "schema": version}]}},
            {"result": {"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceType": "topic"}},
            {"error": {"error_code": 500, "message": "Error while getting associations: property: resourceNamespace; detail: resourceNamespace is required when resourceName is specified"}},
        ]})
    );

    // A DELETE operation, then the resource has no association left.
    let r = post(
        &app,
        "/associations:batchMutate",
        &json!({"requests": [
            {"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
             "associations": [{"opType": "DELETE"}]},
        ]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"results": [{"result": {"resourceName": "orders", "resourceNamespace": "lkc-1",
                                       "resourceId": "t-1", "resourceType": "topic"}}]})
    );
    assert_eq!(app.get("/associations/resources/t-1").await.body, json!([]));
}

#[tokio::test]
async fn the_context_parameter_qualifies_unqualified_subjects() {
    let app = spawn_app().await;
    app.register_ok(":.ctx1:orders-v", &schema_a()).await;
    let body = json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                      "associations": [{"subject": "orders-v"}]});
    let r = post(&app, "/associations?context=.ctx1", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["associations"][0]["subject"], ":.ctx1:orders-v");
    let r = app.get("/associations/subjects/:.ctx1:orders-v").await;
    assert_eq!(r.body[0]["resourceId"], "t-1", "{}", r.text);
    // `:.:s` is the default context's `s`.
    app.register_ok("orders-k", &schema_b()).await;
    let r = put(
        &app,
        "/associations/resources/t-1",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1",
                "associations": [{"subject": ":.:orders-k", "associationType": "key"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["associations"][0]["subject"], "orders-k");
}

#[tokio::test]
async fn a_subject_owned_by_a_topic_cannot_be_referenced_nor_a_referenced_one_owned() {
    let app = spawn_app().await;
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                "associations": [{"schema": {"schema": schema_a()}}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let referrer = json!({
        "schema": record("Uses", r#"[{"name":"a","type":"com.acme.A"}]"#),
        "references": [{"name": "com.acme.A", "subject": ":.lkc-1:orders-value", "version": 1}],
    });
    let r = app.register_body("uses", &referrer).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"error_code": 42205, "message": "Subject ':.lkc-1:orders-value' has a strong association and cannot be referenced"})
    );

    // A referenced subject cannot become a topic's own.
    app.register_ok(":.lkc-1:payments-value", &schema_a()).await;
    let referrer = json!({
        "schema": record("Uses", r#"[{"name":"a","type":"com.acme.A"}]"#),
        "references": [{"name": "com.acme.A", "subject": ":.lkc-1:payments-value", "version": 1}],
    });
    let r = app.register_body("uses", &referrer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "payments", "resourceNamespace": "lkc-1", "resourceId": "t-2",
                "associations": [{"schema": {"schema": schema_a()}}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"error_code": 42206, "message": "One or more references exist to the schema :.lkc-1:payments-value."})
    );
}

#[tokio::test]
async fn associations_work_the_same_on_postgresql() {
    let pg = tokio::task::spawn_blocking(warden_testkit::postgres::TempPostgres::start)
        .await
        .unwrap();
    let url = pg.url();
    // Declared after the database, so the server stops first.
    let app = warden_testkit::spawn_app_with(|s| s.database_url = url).await;
    app.register_ok("orders-k", &schema_a()).await;
    let r = post(&app, "/associations", &weak("orders-k", "orders-v")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["error_code"], 40907);
    app.register_ok("orders-v", &schema_b()).await;
    let r = post(&app, "/associations", &weak("orders-k", "orders-v")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .get("/associations/resources/-/orders?associationType=value")
        .await;
    assert_eq!(
        without_generated(&r),
        json!([weak_row("orders-v", "value")])
    );
    let r = post(
        &app,
        "/associations",
        &json!({"resourceName": "payments", "resourceNamespace": "lkc-1", "resourceId": "t-2",
                "associations": [{"schema": {"schema": schema_a()}}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["associations"][0]["lifecycle"], "STRONG");
    let r = app
        .delete("/associations/resources/t-2?cascadeLifecycle=true")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app.delete("/associations/resources/t-1").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(app.get("/associations/resources/-/-").await.body, json!([]));
}

#[tokio::test]
async fn an_alias_stands_for_its_subject() {
    let app = spawn_app().await;
    app.register_ok("real-v", &schema_a()).await;
    let r = put(&app, "/config/alias-v", &json!({"alias": "real-v"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "t-1",
                      "associations": [{"subject": "alias-v"}]});
    let r = post(&app, "/associations", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["associations"][0]["subject"], "real-v");
    let r = app.get("/associations/subjects/real-v").await;
    assert_eq!(r.body[0]["resourceId"], "t-1", "{}", r.text);
}

#[tokio::test]
async fn get_schemas_filters_by_association_and_lists_them() {
    let app = spawn_app().await;
    app.register_ok("orders-k", &schema_a()).await;
    app.register_ok("orders-v", &schema_b()).await;
    app.register_ok("loose", &record("L", r#"[{"name":"l","type":"int"}]"#))
        .await;
    let r = post(&app, "/associations", &weak("orders-k", "orders-v")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let subjects = |r: &Reply| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get("/schemas").await;
    assert_eq!(subjects(&all), ["loose", "orders-k", "orders-v"]);
    assert!(all.body[1].get("associations").is_none(), "{}", all.text);

    let r = app.get("/schemas?associationType=value").await;
    assert_eq!(subjects(&r), ["orders-v"]);
    let associations = &r.body[0]["associations"];
    assert_eq!(associations.as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(associations[0]["resourceName"], "orders");
    assert_eq!(associations[0]["associationType"], "value");
    assert_eq!(associations[0]["lifecycle"], "WEAK");

    let r = app.get("/schemas?lifecycle=WEAK&lifecycle=NONE").await;
    assert_eq!(subjects(&r), ["loose", "orders-k", "orders-v"]);
    assert!(r.body[0].get("associations").is_none());
    let r = app.get("/schemas?lifecycle=NONE").await;
    assert_eq!(subjects(&r), ["loose"]);
    let r = app.get("/schemas?lifecycle=STRONG").await;
    assert_eq!(r.body, json!([]));
    let r = app
        .get("/schemas?resourceType=topic&limit=1&offset=1")
        .await;
    assert_eq!(subjects(&r), ["orders-v"], "paged after the filter");
    let r = app.get("/schemas?lifecycle=strong").await;
    assert_eq!(
        r.body,
        json!({"error_code": 404, "message": "HTTP 404 Not Found"})
    );
}
