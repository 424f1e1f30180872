//! The DEK registry API (Confluent's `DekRegistryResource`, `/dek-registry/v1/keks…`):
//! KEKs and DEKs created, read, listed, soft- and hard-deleted and undeleted, with
//! Confluent's codes (`DekRegistryErrors`): 40470 not found, 40471 not soft-deleted, 40472
//! KEK soft-deleted, 40971 exists, 42271 invalid field, 42272 KEK still has DEKs, 50070 no
//! KMS for a shared KEK.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_core::encryption::{DekAlgorithm, LocalKms, generate_key_material};
use warden_testkit::{Reply, TestApp, spawn_app, spawn_app_with};

const KEKS: &str = "/dek-registry/v1/keks";

async fn post(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.request(Method::POST, path, Some(body)).await
}

fn kek(name: &str, shared: bool) -> Value {
    json!({"name": name, "kmsType": "local-kms", "kmsKeyId": "mykey", "shared": shared})
}

/// Base64 of a new AES256_GCM DEK wrapped by the local KMS of `secret`, as a client sends it
/// for a KEK that is not shared.
fn wrapped(secret: &str) -> String {
    let raw = generate_key_material(DekAlgorithm::Aes256Gcm);
    BASE64.encode(LocalKms::new(secret).wrap_now(&raw).unwrap())
}

#[tokio::test]
async fn keks_are_created_read_listed_updated_deleted_and_undeleted() {
    let app = spawn_app().await;
    let created = post(&app, KEKS, &kek("k1", false)).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert_eq!(created.body["name"], "k1");
    assert_eq!(created.body["kmsType"], "local-kms");
    assert_eq!(created.body["kmsKeyId"], "mykey");
    assert_eq!(created.body["shared"], false);
    assert_eq!(created.body["deleted"], false);
    assert!(created.body["ts"].as_i64().unwrap() > 0);

    let again = post(&app, KEKS, &kek("k1", false)).await;
    assert_eq!((again.status.as_u16(), again.error_code()), (409, 40971));
    assert_eq!(
        again.body["message"],
        "Key 'k1' already exists; use a different value"
    );

    for (body, field) in [
        (
            json!({"name": "1bad", "kmsType": "local-kms", "kmsKeyId": "k"}),
            "name",
        ),
        (json!({"name": "k2", "kmsType": "local-kms"}), "kmsKeyId"),
        (json!({"name": "k2", "kmsKeyId": "k"}), "kmsType"),
    ] {
        let refused = post(&app, KEKS, &body).await;
        assert_eq!(
            (refused.status.as_u16(), refused.error_code()),
            (422, 42271),
            "{field}: {}",
            refused.text
        );
        assert!(refused.text.contains(field), "{field}: {}", refused.text);
    }

    assert_eq!(app.get(&format!("{KEKS}/k1")).await.body["name"], "k1");
    let missing = app.get(&format!("{KEKS}/nope")).await;
    assert_eq!(
        (missing.status.as_u16(), missing.error_code()),
        (404, 40470)
    );
    assert_eq!(app.get(KEKS).await.body, json!(["k1"]));

    let updated = app
        .request(
            Method::PUT,
            &format!("{KEKS}/k1"),
            Some(&json!({"doc": "orders"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["doc"], "orders");
    assert_eq!(updated.body["kmsKeyId"], "mykey");

    let hard = app.delete(&format!("{KEKS}/k1?permanent=true")).await;
    assert_eq!((hard.status.as_u16(), hard.error_code()), (404, 40471));
    assert_eq!(
        app.delete(&format!("{KEKS}/k1")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(KEKS).await.body, json!([]));
    assert_eq!(
        app.get(&format!("{KEKS}?deleted=true")).await.body,
        json!(["k1"])
    );
    assert_eq!(app.get(&format!("{KEKS}/k1")).await.error_code(), 40470);
    assert_eq!(
        app.get(&format!("{KEKS}/k1?deleted=true")).await.body["deleted"],
        true
    );
    let undeleted = post(&app, &format!("{KEKS}/k1/undelete"), &json!({})).await;
    assert_eq!(
        undeleted.status,
        StatusCode::NO_CONTENT,
        "{}",
        undeleted.text
    );
    assert_eq!(app.get(&format!("{KEKS}/k1")).await.body["deleted"], false);

    app.delete(&format!("{KEKS}/k1")).await;
    assert_eq!(
        app.delete(&format!("{KEKS}/k1?permanent=true"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("{KEKS}/k1?deleted=true"))
            .await
            .error_code(),
        40470
    );
}

#[tokio::test]
async fn deks_of_a_kek_that_is_not_shared_carry_the_clients_wrapped_key() {
    let app = spawn_app().await;
    post(&app, KEKS, &kek("k1", false)).await;
    let deks = format!("{KEKS}/k1/deks");

    let no_key = post(&app, &format!("{deks}/orders-value"), &json!({})).await;
    assert_eq!((no_key.status.as_u16(), no_key.error_code()), (422, 42271));
    assert!(
        no_key.text.contains("encryptedKeyMaterial"),
        "{}",
        no_key.text
    );

    let material = wrapped("s3cret");
    let created = post(
        &app,
        &format!("{deks}/orders-value"),
        &json!({"encryptedKeyMaterial": material, "algorithm": "AES256_GCM"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert_eq!(created.body["kekName"], "k1");
    assert_eq!(created.body["subject"], "orders-value");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["algorithm"], "AES256_GCM");
    assert_eq!(created.body["encryptedKeyMaterial"], material.as_str());
    assert!(
        created.body.get("keyMaterial").is_none(),
        "{}",
        created.text
    );

    // The older route, with the subject in the body only.
    let v2 = post(
        &app,
        &deks,
        &json!({"subject": "orders-value", "version": 2, "encryptedKeyMaterial": wrapped("s3cret")}),
    )
    .await;
    assert_eq!(v2.body["version"], 2, "{}", v2.text);
    let taken = post(
        &app,
        &format!("{deks}/orders-value"),
        &json!({"encryptedKeyMaterial": wrapped("s3cret")}),
    )
    .await;
    assert_eq!((taken.status.as_u16(), taken.error_code()), (409, 40971));

    let one = app.get(&format!("{deks}/orders-value/versions/1")).await;
    assert_eq!(one.body["encryptedKeyMaterial"], material.as_str());
    let latest = app
        .get(&format!("{deks}/orders-value/versions/latest"))
        .await;
    assert_eq!(latest.body["version"], 2);
    assert_eq!(
        app.get(&format!("{deks}/orders-value")).await.body["version"],
        2
    );
    assert_eq!(
        app.get(&format!("{deks}/orders-value/versions")).await.body,
        json!([1, 2])
    );
    assert_eq!(app.get(&deks).await.body, json!(["orders-value"]));
    let siv = app
        .get(&format!(
            "{deks}/orders-value/versions/1?algorithm=AES256_SIV"
        ))
        .await;
    assert_eq!((siv.status.as_u16(), siv.error_code()), (404, 40470));
    let bad_version = app.get(&format!("{deks}/orders-value/versions/0")).await;
    assert_eq!(
        (bad_version.status.as_u16(), bad_version.error_code()),
        (422, 42202)
    );
    let other = app.get(&format!("{deks}/payments-value/versions/1")).await;
    assert_eq!(other.error_code(), 40470);
    assert_eq!(other.body["message"], "Key 'payments-value' not found");

    // A KEK with live DEKs stays; DEKs are soft-deleted before they are removed.
    assert_eq!(app.delete(&format!("{KEKS}/k1")).await.error_code(), 42272);
    let hard = app
        .delete(&format!("{deks}/orders-value/versions/1?permanent=true"))
        .await;
    assert_eq!((hard.status.as_u16(), hard.error_code()), (404, 40471));
    let soft = app.delete(&format!("{deks}/orders-value/versions/1")).await;
    assert_eq!(soft.status, StatusCode::NO_CONTENT, "{}", soft.text);
    assert_eq!(
        app.get(&format!("{deks}/orders-value/versions")).await.body,
        json!([2])
    );
    assert_eq!(
        app.get(&format!("{deks}/orders-value/versions/1?deleted=true"))
            .await
            .body["deleted"],
        true
    );
    let undeleted = post(
        &app,
        &format!("{deks}/orders-value/versions/1/undelete"),
        &json!({}),
    )
    .await;
    assert_eq!(
        undeleted.status,
        StatusCode::NO_CONTENT,
        "{}",
        undeleted.text
    );
    assert_eq!(
        app.get(&format!("{deks}/orders-value/versions")).await.body,
        json!([1, 2])
    );
    assert_eq!(
        app.delete(&format!("{deks}/orders-value")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&deks).await.body, json!([]));
    assert_eq!(
        app.delete(&format!("{deks}/orders-value?permanent=true"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("{deks}?deleted=true")).await.body,
        json!([])
    );
    assert_eq!(
        app.delete(&format!("{KEKS}/k1")).await.status,
        StatusCode::NO_CONTENT
    );
    let kek_gone = post(&app, &format!("{deks}/orders-value/undelete"), &json!({})).await;
    assert_eq!(
        (kek_gone.status.as_u16(), kek_gone.error_code()),
        (404, 40472)
    );
}

#[tokio::test]
async fn the_registry_creates_and_unwraps_the_deks_of_a_shared_kek_with_the_local_kms() {
    let app = spawn_app_with(|s| s.local_kms_secret = Some("s3cret".into())).await;
    let created = post(
        &app,
        &format!("{KEKS}?testSharing=true"),
        &kek("shared", true),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    for algorithm in ["AES256_GCM", "AES256_SIV"] {
        let dek = post(
            &app,
            &format!("{KEKS}/shared/deks/orders-value"),
            &json!({"algorithm": algorithm}),
        )
        .await;
        assert_eq!(dek.status, StatusCode::OK, "{}", dek.text);
        let key = BASE64
            .decode(dek.body["keyMaterial"].as_str().unwrap())
            .unwrap();
        // The wrapped key is the same key, under the local KMS of the secret: what a
        // Confluent client with that secret unwraps.
        let wrapped = BASE64
            .decode(dek.body["encryptedKeyMaterial"].as_str().unwrap())
            .unwrap();
        assert_eq!(LocalKms::new("s3cret").unwrap_now(&wrapped).unwrap(), key);
        let algorithm = DekAlgorithm::parse(algorithm).unwrap();
        warden_core::encryption::Dek::new(algorithm, &key).expect("a Tink key of the algorithm");
        let read = app
            .get(&format!(
                "{KEKS}/shared/deks/orders-value/versions/1?algorithm={}",
                algorithm.as_str()
            ))
            .await;
        assert_eq!(read.body["keyMaterial"], dek.body["keyMaterial"]);
    }

    // A registry without the local KMS's secret cannot create a shared KEK's DEK.
    let app = spawn_app().await;
    post(&app, KEKS, &kek("shared", true)).await;
    let refused = post(
        &app,
        &format!("{KEKS}/shared/deks/orders-value"),
        &json!({}),
    )
    .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (500, 50070)
    );
    let tested = post(
        &app,
        &format!("{KEKS}?testSharing=true"),
        &kek("other", true),
    )
    .await;
    assert_eq!(tested.error_code(), 50070);
}
