//! `POST /warden/v1/diff` under rules: a caller reads, through a diff, only the subjects the
//! rules let them read. A reference (direct or through a referenced version) to any other
//! subject, or a body `subject` they may not read, is 40301 before anything is read, so the
//! answer neither shows the schema nor tells whether the subject exists.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Auth, avro, call, settings, start, users_file};

fn rules(users: &std::path::Path) -> String {
    format!(
        r#"
[server.auth]
users_file = "{}"

[[server.auth.rules]]
principals = ["admin"]
operations = ["admin"]

[[server.auth.rules]]
principals = ["alice"]
operations = ["read"]
subjects = ["orders-value", "public-ref"]
"#,
        users.display()
    )
}

/// A diff from a record with one string field to a record holding the named type `ty`
/// referenced from `subject` version 1.
fn diff_referencing(ty: &str, subject: &str) -> Value {
    let old = json!({"type": "record", "name": "Wrap", "fields": [
        {"name": "a", "type": "string"}
    ]});
    let new = json!({"type": "record", "name": "Wrap", "fields": [
        {"name": "a", "type": "string"},
        {"name": "inner", "type": ["null", ty], "default": null}
    ]});
    json!({
        "old": {"schema": old.to_string()},
        "new": {
            "schema": new.to_string(),
            "references": [{"name": ty, "subject": subject, "version": 1}]
        }
    })
}

#[tokio::test]
async fn a_diff_reads_only_the_subjects_the_caller_may_read() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(
        dir.path(),
        &[("admin", "admin-pw", &[]), ("alice", "alice-pw", &[])],
    );
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, rules(&users)).unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let base = &server.base;
    let client = Client::new();
    let admin = Auth::Basic("admin", "admin-pw");
    let alice = Auth::Basic("alice", "alice-pw");
    let url = format!("{base}/warden/v1/diff");

    for (subject, body) in [
        ("secret", avro("Secret", &["classified"])),
        ("orders-value", avro("Order", &["total"])),
        (
            "public-ref",
            json!({
                "schema": json!({"type": "record", "name": "Pub", "fields": [
                    {"name": "s", "type": "Secret"}
                ]}).to_string(),
                "references": [{"name": "Secret", "subject": "secret", "version": 1}]
            }),
        ),
    ] {
        let r = call(
            &client,
            Method::POST,
            &format!("{base}/subjects/{subject}/versions"),
            &admin,
            Some(body),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{subject}: {:?}", r.body);
    }

    // The same diff resolves for a caller who may read `secret`.
    let r = call(
        &client,
        Method::POST,
        &url,
        &admin,
        Some(diff_referencing("Secret", "secret")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["changes"][0]["kind"], "FIELD_ADDED", "{:?}", r.body);

    // alice may not read `secret`: refused, naming it.
    let r = call(
        &client,
        Method::POST,
        &url,
        &alice,
        Some(diff_referencing("Secret", "secret")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.body["error_code"], 40301, "{:?}", r.body);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains("alice") && message.contains("'secret'"),
        "{message}"
    );

    // A subject that does not exist is refused the same way: no 42201 tells it apart.
    let r = call(
        &client,
        Method::POST,
        &url,
        &alice,
        Some(diff_referencing("Ghost", "no-such-subject")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.body["error_code"], 40301);

    // Through a readable subject whose version references `secret`: refused too.
    let r = call(
        &client,
        Method::POST,
        &url,
        &alice,
        Some(diff_referencing("Pub", "public-ref")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("'secret'"),
        "{:?}",
        r.body
    );

    // The body's subject must be readable.
    let mut body = diff_referencing("Order", "orders-value");
    body["subject"] = json!("secret");
    let r = call(&client, Method::POST, &url, &alice, Some(body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.body["error_code"], 40301);

    // Her own subject resolves and diffs.
    let r = call(
        &client,
        Method::POST,
        &url,
        &alice,
        Some(diff_referencing("Order", "orders-value")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["changes"][0]["kind"], "FIELD_ADDED", "{:?}", r.body);
}
