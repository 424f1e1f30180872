//! Per-principal rate limits on changes: a principal past its burst gets 429 with
//! `Retry-After` in Confluent's body, another principal and reads are not held back, and
//! the bucket refills.

use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::support::{Auth, call, settings, start, users_file};

#[tokio::test]
async fn changes_past_a_principals_burst_answer_429_until_its_bucket_refills() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("alice", "a", &[]), ("bob", "b", &[])]);
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[server.auth]\nusers_file = \"{}\"\n\n[[server.auth.rules]]\nprincipals = [\"*\"]\noperations = [\"read\", \"config\"]\n\n[server.limits]\nwrites_per_second = 2\nwrite_burst = 2\n",
            users.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let client = Client::new();
    let url = format!("{}/config/orders-value", server.base);
    let level = || Some(json!({"compatibility": "FULL"}));
    let alice = Auth::Basic("alice", "a");
    for _ in 0..2 {
        assert_eq!(
            call(&client, Method::PUT, &url, &alice, level())
                .await
                .status,
            StatusCode::OK
        );
    }
    let response = client
        .put(&url)
        .basic_auth("alice", Some("a"))
        .json(&json!({"compatibility": "FULL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], 429, "{body}");
    // Reads are never limited, and bob has a bucket of his own.
    for _ in 0..5 {
        assert_eq!(
            call(&client, Method::GET, &url, &alice, None).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        call(
            &client,
            Method::PUT,
            &url,
            &Auth::Basic("bob", "b"),
            level()
        )
        .await
        .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        call(&client, Method::PUT, &url, &alice, level())
            .await
            .status,
        StatusCode::OK,
        "refilled"
    );
}
