//! The audit log: a run of writes, deletes, reads and refusals leaves exactly one JSON line
//! for each write, delete and refusal, and none for reads.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Auth, avro, call, settings, start, users_file};

#[tokio::test]
async fn writes_deletes_and_refusals_leave_exactly_the_expected_audit_lines() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(
        dir.path(),
        &[("admin", "admin-pw", &[]), ("alice", "alice-pw", &[])],
    );
    let audit = dir.path().join("audit.log");
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
principals = ["alice"]
operations = ["read", "write"]
subjects = ["orders-*"]

[server.audit]
file = "{}"
"#,
            users.display(),
            audit.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(tempfile::tempdir().unwrap(), s).await;
    let client = Client::new();
    let base = &server.base;
    let alice = Auth::Basic("alice", "alice-pw");
    let admin = Auth::Basic("admin", "admin-pw");

    let r = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/orders-value/versions"),
        &alice,
        Some(avro("Order", &["id"])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let id = r.body["id"].as_i64().unwrap();
    // A write the registry refuses (incompatible) is audited as a failure.
    let r = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/orders-value/versions"),
        &alice,
        Some(json!({"schema": "\"int\""})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    // Reads are not audited.
    call(
        &client,
        Method::GET,
        &format!("{base}/subjects/orders-value/versions/1"),
        &alice,
        None,
    )
    .await;
    call(
        &client,
        Method::GET,
        &format!("{base}/subjects"),
        &alice,
        None,
    )
    .await;
    let r = call(
        &client,
        Method::PUT,
        &format!("{base}/config/orders-value"),
        &alice,
        Some(json!({"compatibility": "NONE"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &client,
        Method::GET,
        &format!("{base}/subjects/payments-value/versions"),
        &alice,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &client,
        Method::DELETE,
        &format!("{base}/subjects/orders-value"),
        &Auth::None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &client,
        Method::DELETE,
        &format!("{base}/subjects/orders-value/versions/1"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    let text = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    for line in &lines {
        let time = line["time"].as_str().unwrap();
        assert!(
            time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
            "{time}"
        );
        assert!(
            line["source"].as_str().unwrap().starts_with("127.0.0.1:"),
            "{line}"
        );
    }
    let seen: Vec<Value> = lines
        .iter()
        .map(|l| {
            let mut l = l.clone();
            let o = l.as_object_mut().unwrap();
            o.remove("time");
            o.remove("source");
            l
        })
        .collect();
    let expected = vec![
        json!({"principal": "alice", "operation": "write", "method": "POST", "path": "/subjects/orders-value/versions", "subject": "orders-value", "version": 1, "id": id, "outcome": "success", "status": 200}),
        json!({"principal": "alice", "operation": "write", "method": "POST", "path": "/subjects/orders-value/versions", "subject": "orders-value", "version": null, "id": null, "outcome": "failure", "status": 409}),
        json!({"principal": "alice", "operation": "config", "method": "PUT", "path": "/config/orders-value", "subject": "orders-value", "version": null, "id": null, "outcome": "denied", "status": 403}),
        json!({"principal": "alice", "operation": "read", "method": "GET", "path": "/subjects/payments-value/versions", "subject": "payments-value", "version": null, "id": null, "outcome": "denied", "status": 403}),
        json!({"principal": null, "operation": "delete", "method": "DELETE", "path": "/subjects/orders-value", "subject": "orders-value", "version": null, "id": null, "outcome": "unauthenticated", "status": 401}),
        json!({"principal": "admin", "operation": "delete", "method": "DELETE", "path": "/subjects/orders-value/versions/1", "subject": "orders-value", "version": 1, "id": null, "outcome": "success", "status": 200}),
    ];
    assert_eq!(seen, expected, "audit lines:\n{text}");
}
