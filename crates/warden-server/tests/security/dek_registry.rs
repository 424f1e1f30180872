//! The DEK registry (`/dek-registry/v1/keks…`) under rules: KEKs are read and created by any
//! authenticated principal (clients create the KEK of an `ENCRYPT` rule on first use),
//! changed and deleted by administrators; a DEK belongs to its subject: read with `read`,
//! created with `write` (whether the subject is in the path or only in the body, as
//! Confluent's Java client sends it), deleted with `delete`.

use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::support::{Auth, call, settings, start, users_file};

#[tokio::test]
async fn dek_registry_routes_follow_the_subjects_rules() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(
        dir.path(),
        &[
            ("admin", "admin-pw", &[]),
            ("writer", "writer-pw", &[]),
            ("reader", "reader-pw", &[]),
        ],
    );
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server.auth]
users_file = "{}"

[[server.auth.rules]]
principals = ["admin"]
operations = ["admin"]

[[server.auth.rules]]
principals = ["writer"]
operations = ["read", "write"]
subjects = ["orders-value"]

[[server.auth.rules]]
principals = ["reader"]
operations = ["read"]
subjects = ["orders-value"]
"#,
            users.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let base = &server.base;
    let client = Client::new();
    let admin = Auth::Basic("admin", "admin-pw");
    let writer = Auth::Basic("writer", "writer-pw");
    let reader = Auth::Basic("reader", "reader-pw");
    let keks = format!("{base}/dek-registry/v1/keks");
    let dek = json!({"encryptedKeyMaterial": "AAAA"});

    let anonymous = call(&client, Method::GET, &keks, &Auth::None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let kek = json!({"name": "k1", "kmsType": "local-kms", "kmsKeyId": "key"});
    let created = call(&client, Method::POST, &keks, &writer, Some(kek)).await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    let read = call(&client, Method::GET, &format!("{keks}/k1"), &reader, None).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    let changed = call(
        &client,
        Method::PUT,
        &format!("{keks}/k1"),
        &writer,
        Some(json!({"doc": "x"})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::FORBIDDEN, "{:?}", changed.body);

    let orders = format!("{keks}/k1/deks/orders-value");
    let refused = call(&client, Method::POST, &orders, &reader, Some(dek.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.body["error_code"], 40301);
    let other = format!("{keks}/k1/deks/payments-value");
    let refused = call(&client, Method::POST, &other, &writer, Some(dek.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    let created = call(&client, Method::POST, &orders, &writer, Some(dek)).await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    let got = call(
        &client,
        Method::GET,
        &format!("{orders}/versions/1"),
        &reader,
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);

    // `POST …/keks/{name}/deks` names the subject in the body only (Confluent's Java
    // client): the subject's `write` decides, as with the subject in the path.
    let deks = format!("{keks}/k1/deks");
    let in_body = |subject: &str, version: i32| json!({"subject": subject, "version": version, "encryptedKeyMaterial": "AAAA"});
    let created = call(
        &client,
        Method::POST,
        &deks,
        &writer,
        Some(in_body("orders-value", 2)),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    assert_eq!(created.body["subject"], "orders-value");
    assert_eq!(created.body["version"], 2);
    let refused = call(
        &client,
        Method::POST,
        &deks,
        &writer,
        Some(in_body("payments-value", 1)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.body["error_code"], 40301);
    assert_eq!(
        refused.body["message"],
        "User 'writer' is not authorized to perform operation 'write' on subject 'payments-value'"
    );
    let refused = call(
        &client,
        Method::POST,
        &deks,
        &reader,
        Some(in_body("orders-value", 3)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.body["error_code"], 40301);
    // Nothing was created for the refused requests.
    let versions = call(
        &client,
        Method::GET,
        &format!("{orders}/versions"),
        &admin,
        None,
    )
    .await;
    assert_eq!(versions.body, json!([1, 2]), "{:?}", versions.body);
    let payments = call(
        &client,
        Method::GET,
        &format!("{keks}/k1/deks/payments-value/versions/1"),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        payments.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        payments.body
    );
    // Without a subject the handler refuses it (42271), whoever asks.
    let no_subject = call(
        &client,
        Method::POST,
        &deks,
        &writer,
        Some(json!({"encryptedKeyMaterial": "AAAA"})),
    )
    .await;
    assert_eq!(
        no_subject.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        no_subject.body
    );
    // A KEK's DEK subjects stay administration.
    let listed = call(&client, Method::GET, &deks, &writer, None).await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN, "{:?}", listed.body);
    let listed = call(&client, Method::GET, &deks, &admin, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);

    let deleted = call(&client, Method::DELETE, &orders, &writer, None).await;
    assert_eq!(deleted.status, StatusCode::FORBIDDEN, "{:?}", deleted.body);
    let deleted = call(&client, Method::DELETE, &orders, &admin, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
}
