use reqwest::StatusCode;
use serde_json::json;
use warden_testkit::spawn_app;

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"country","type":"com.acme.Country"}]}"#;
const COUNTRY: &str =
    r#"{"type":"enum","name":"Country","namespace":"com.acme","symbols":["NL","FR"]}"#;
const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"},{"name":"work","type":["null","com.acme.Address"],"default":null}]}"#;

#[tokio::test]
async fn references_resolve_transitively_and_read_back() {
    let app = spawn_app().await;
    app.register_ok("country", COUNTRY).await;
    let r = app
        .register_body(
            "address",
            &json!({"schema": ADDRESS, "references": [{"name":"com.acme.Country","subject":"country","version":1}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The customer names only Address; Address's own reference to Country is followed.
    // Version -1 pins to the latest version at registration time.
    let r = app
        .register_body(
            "customer",
            &json!({"schema": CUSTOMER, "references": [{"name":"com.acme.Address","subject":"address","version":-1}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let by_id = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(
        by_id.body["references"],
        json!([{"name":"com.acme.Address","subject":"address","version":1}])
    );
    let v = app.version("customer", "1").await;
    assert_eq!(v.body["references"][0]["version"], 1);
    let referenced = app.get("/subjects/address/versions/1/referencedby").await;
    assert_eq!(referenced.body, json!([id]));
    assert_eq!(
        app.get("/subjects/country/versions/1/referencedby")
            .await
            .body,
        json!([2])
    );
    assert_eq!(
        app.get("/subjects/customer/versions/1/referencedby")
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.get("/subjects/nobody/versions/1/referencedby")
            .await
            .error_code(),
        40401
    );
    // Without its reference the schema does not parse.
    let r = app.register("customer2", CUSTOMER).await;
    assert_eq!(r.error_code(), 42201);
}

/// Confluent's `getReferencedBy`: a version number finds a soft-deleted version too, and
/// `deleted=true` also lists referrers that only soft-deleted versions use; `latest` is the
/// newest live version; 40401 only for a subject with no version at all.
#[tokio::test]
async fn referencedby_lists_the_referrers_of_a_soft_deleted_version_with_deleted_true() {
    let app = spawn_app().await;
    app.register_ok("country", COUNTRY).await;
    let r = app
        .register_body(
            "address",
            &json!({"schema": ADDRESS, "references": [{"name":"com.acme.Country","subject":"country","version":1}]}),
        )
        .await;
    assert_eq!(r.body["id"], json!(2), "{}", r.text);
    let get = |path: &'static str| app.get(path);
    assert_eq!(app.delete("/subjects/address/versions/1").await.body, 1);
    // The referrer's only version is soft-deleted: listed only with deleted=true.
    let r = get("/subjects/country/versions/1/referencedby").await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!([])));
    let r = get("/subjects/country/versions/1/referencedby?deleted=true").await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!([2])));
    // The referenced version soft-deleted too: still found by its number.
    assert_eq!(app.delete("/subjects/country/versions/1").await.body, 1);
    for (path, body) in [
        ("/subjects/country/versions/1/referencedby", json!([])),
        (
            "/subjects/country/versions/1/referencedby?deleted=true",
            json!([2]),
        ),
    ] {
        let r = get(path).await;
        assert_eq!((r.status, &r.body), (StatusCode::OK, &body), "{path}");
    }
    // `latest` is the newest live version: none here.
    let r = get("/subjects/country/versions/latest/referencedby?deleted=true").await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::NOT_FOUND, 40402),
        "{}",
        r.text
    );
    let r = get("/subjects/country/versions/2/referencedby?deleted=true").await;
    assert_eq!(
        (r.status, &r.body),
        (
            StatusCode::NOT_FOUND,
            &json!({"error_code": 40402, "message": "Version 2 not found."})
        )
    );
    let r = get("/subjects/nobody/versions/1/referencedby?deleted=true").await;
    assert_eq!(
        (r.status, &r.body),
        (
            StatusCode::NOT_FOUND,
            &json!({"error_code": 40401, "message": "Subject 'nobody' not found."})
        )
    );
    // Hard-deleted, the referrer is gone from the list.
    let r = app
        .delete("/subjects/address/versions/1?permanent=true")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = get("/subjects/country/versions/1/referencedby?deleted=true").await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!([])));
}

#[tokio::test]
async fn compatibility_follows_named_types_into_references() {
    let app = spawn_app().await;
    app.register_ok("country", COUNTRY).await;
    let refs = json!([{"name":"com.acme.Country","subject":"country","version":1}]);
    app.register_body("address", &json!({"schema": ADDRESS, "references": refs}))
        .await;
    let customer_refs = json!([{"name":"com.acme.Address","subject":"address","version":1}]);
    let r = app
        .register_body(
            "customer",
            &json!({"schema": CUSTOMER, "references": customer_refs}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A new Address without `country` breaks readers that expect it (no default).
    let thin = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    app.register_ok("address", thin).await;
    let v2_refs = json!([{"name":"com.acme.Address","subject":"address","version":2}]);
    let check = app
        .request(
            reqwest::Method::POST,
            "/compatibility/subjects/customer/versions/latest?verbose=true",
            Some(&json!({"schema": CUSTOMER, "references": v2_refs})),
        )
        .await;
    // Backward: the new customer (reader) reads old data whose addresses had a country:
    // dropping a field is fine for the reader.
    assert_eq!(check.body["is_compatible"], true, "{}", check.text);
    app.set_level(Some("customer"), "FORWARD").await;
    let check = app
        .request(
            reqwest::Method::POST,
            "/compatibility/subjects/customer/versions/latest?verbose=true",
            Some(&json!({"schema": CUSTOMER, "references": v2_refs})),
        )
        .await;
    // Forward: old readers need `country`, which new data lacks and which has no default.
    assert_eq!(check.body["is_compatible"], false, "{}", check.text);
    assert!(
        check.body["messages"]
            .to_string()
            .contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{}",
        check.text
    );
}

/// Rounds of a hard delete of `country` racing a registration that references it: after
/// every round, either the delete or the registration was refused, and no schema references
/// a version that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_racing_a_referencing_registration_never_leaves_a_dangling_reference() {
    let app = std::sync::Arc::new(spawn_app().await);
    for round in 0..40 {
        let subject = format!("country{round}");
        app.register_ok(&subject, COUNTRY).await;
        let deleter = {
            let app = std::sync::Arc::clone(&app);
            let subject = subject.clone();
            tokio::spawn(async move {
                let soft = app.delete(&format!("/subjects/{subject}")).await;
                if soft.status != StatusCode::OK {
                    return soft;
                }
                app.delete(&format!("/subjects/{subject}?permanent=true"))
                    .await
            })
        };
        let address = app
            .register_body(
                &format!("address{round}"),
                &json!({"schema": ADDRESS, "references": [{"name":"com.acme.Country","subject": subject,"version":1}]}),
            )
            .await;
        let deleted = deleter.await.unwrap();
        let registered = address.status == StatusCode::OK;
        let removed = deleted.status == StatusCode::OK;
        assert!(
            registered != removed,
            "round {round}: exactly one wins; registration {} {}, delete {} {}",
            address.status,
            address.text,
            deleted.status,
            deleted.text
        );
        if registered {
            assert_eq!(
                deleted.error_code(),
                42206,
                "round {round}: {}",
                deleted.text
            );
            let v = app.version(&subject, "1").await;
            assert_eq!(
                v.status,
                StatusCode::OK,
                "round {round}: the referenced version lives"
            );
            let by = app
                .get(&format!("/subjects/{subject}/versions/1/referencedby"))
                .await;
            assert_eq!(by.body, json!([address.body["id"]]), "round {round}");
        } else {
            assert_eq!(
                address.error_code(),
                42201,
                "round {round}: {}",
                address.text
            );
        }
    }
}
