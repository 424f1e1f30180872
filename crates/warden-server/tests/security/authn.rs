//! Who gets in: basic credentials and bearer tokens, each refusal a 401 in Confluent's body
//! with a `WWW-Authenticate` challenge; the health probes stay open.

use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::support::{Auth, Issuer, avro, call, now, settings, start, users_file};

const RULES: &str = r#"
[[server.auth.rules]]
principals = ["alice"]
groups = ["schema-admins"]
operations = ["admin"]
"#;

#[tokio::test]
async fn basic_auth_refuses_no_credentials_and_a_bad_password_with_401_and_a_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("alice", "correct horse", &[])]);
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[server.auth]\nusers_file = \"{}\"\nmetrics = \"authenticated\"\n{RULES}",
            users.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let client = Client::new();
    let url = format!("{}/subjects", server.base);
    for (auth, why) in [
        (Auth::None, "no credentials"),
        (Auth::Basic("alice", "wrong"), "a wrong password"),
        (Auth::Basic("mallory", "correct horse"), "an unknown user"),
        (
            Auth::Bearer("not-a-jwt".into()),
            "a bearer token where only basic is on",
        ),
    ] {
        let r = call(&client, Method::GET, &url, &auth, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(r.code(), 401, "{why}: {:?}", r.body);
        assert!(r.body["message"].is_string(), "{why}");
        assert!(
            r.challenges
                .iter()
                .any(|c| c.starts_with("Basic realm=\"warden\"")),
            "{why}: {:?}",
            r.challenges
        );
    }
    let ok = call(
        &client,
        Method::GET,
        &url,
        &Auth::Basic("alice", "correct horse"),
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    for open in ["/health/live", "/health/ready"] {
        let r = call(
            &client,
            Method::GET,
            &format!("{}{open}", server.base),
            &Auth::None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{open} stays open");
    }
    let metrics = call(
        &client,
        Method::GET,
        &format!("{}/metrics", server.base),
        &Auth::None,
        None,
    )
    .await;
    assert_eq!(
        metrics.status,
        StatusCode::UNAUTHORIZED,
        "metrics = \"authenticated\""
    );
    // An unknown route asks for credentials before it answers 404.
    let unknown = call(
        &client,
        Method::GET,
        &format!("{}/nothing/here", server.base),
        &Auth::None,
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_changed_users_file_is_read_again_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("alice", "first", &[])]);
    let mut s = settings(dir.path());
    s.users_file = Some(users.clone());
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, RULES).unwrap();
    s.config = Some(config);
    let server = start(dir, s).await;
    let client = Client::new();
    let url = format!("{}/subjects", server.base);
    assert_eq!(
        call(
            &client,
            Method::GET,
            &url,
            &Auth::Basic("alice", "first"),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    warden_server::security::users::add_user(&users, "alice", "second", &[]).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let old = call(
            &client,
            Method::GET,
            &url,
            &Auth::Basic("alice", "first"),
            None,
        )
        .await;
        if old.status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the users file was not reloaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        call(
            &client,
            Method::GET,
            &url,
            &Auth::Basic("alice", "second"),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bearer_tokens_are_checked_for_signature_expiry_audience_and_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::new("k1");
    let jwks = issuer.write_jwks(dir.path());
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server.auth.jwt]
jwks_file = "{}"
issuer = "https://idp.test"
audience = ["warden"]
principal_claim = "preferred_username"
groups_claim = "realm_access.roles"
leeway_secs = 0

[[server.auth.rules]]
groups = ["orders-writers"]
operations = ["read", "write"]
subjects = ["orders-*"]
"#,
            jwks.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let client = Client::new();
    let url = format!("{}/subjects/orders-value/versions", server.base);
    let claims = |exp: i64, aud: &str, iss: &str| {
        json!({
            "sub": "0f3c", "preferred_username": "svc-orders", "iss": iss, "aud": aud,
            "exp": exp, "iat": now() - 10, "realm_access": {"roles": ["orders-writers"]},
        })
    };
    let good = issuer.token("k1", &claims(now() + 300, "warden", "https://idp.test"));
    let r = call(
        &client,
        Method::POST,
        &url,
        &Auth::Bearer(good.clone()),
        Some(avro("Order", &["id"])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let other_key = Issuer::new("k1");
    let mut not_yet = claims(now() + 600, "warden", "https://idp.test");
    not_yet["nbf"] = json!(now() + 300);
    let cases = [
        (
            issuer.token("k1", &claims(now() - 60, "warden", "https://idp.test")),
            "expired",
        ),
        (
            issuer.token(
                "k1",
                &claims(now() + 300, "another-service", "https://idp.test"),
            ),
            "audience",
        ),
        (
            issuer.token("k1", &claims(now() + 300, "warden", "https://evil.test")),
            "issuer",
        ),
        (
            other_key.token("k1", &claims(now() + 300, "warden", "https://idp.test")),
            "signature",
        ),
        (issuer.token("k1", &not_yet), "not valid yet"),
        (
            issuer.token("k2", &claims(now() + 300, "warden", "https://idp.test")),
            "signature",
        ),
    ];
    for (token, why) in cases {
        let r = call(&client, Method::GET, &url, &Auth::Bearer(token), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}: {:?}", r.body);
        assert_eq!(r.code(), 401);
        let message = r.body["message"].as_str().unwrap();
        assert!(message.contains(why), "the 401 says why ({why}): {message}");
        assert!(
            r.challenges
                .iter()
                .any(|c| c.contains("Bearer") && c.contains("invalid_token")),
            "{:?}",
            r.challenges
        );
    }
    // Authenticated, but the group grants nothing outside orders-*.
    let r = call(
        &client,
        Method::GET,
        &format!("{}/subjects/payments-value/versions", server.base),
        &Auth::Bearer(good),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body["message"].as_str().unwrap().contains("svc-orders"),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn keys_are_discovered_from_the_issuer_and_a_rotated_key_is_fetched_without_a_restart() {
    use std::sync::{Arc, Mutex};

    let first = Issuer::new("k1");
    let second = Issuer::new("k2");
    let served = Arc::new(Mutex::new(first.jwks.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp = format!("http://{}", listener.local_addr().unwrap());
    let app = {
        let served = Arc::clone(&served);
        let idp = idp.clone();
        axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || {
                    let doc = json!({"issuer": idp, "jwks_uri": format!("{idp}/keys")});
                    async move { axum::Json(doc) }
                }),
            )
            .route(
                "/keys",
                axum::routing::get(move || {
                    let keys = served.lock().unwrap().clone();
                    async move { axum::Json(keys) }
                }),
            )
    };
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[server.auth.jwt]\nissuer = \"{idp}\"\naudience = [\"warden\"]\njwks_refresh_secs = 1\n\n[[server.auth.rules]]\nprincipals = [\"svc\"]\noperations = [\"read\"]\n"
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let client = Client::new();
    let url = format!("{}/subjects", server.base);
    let claims = json!({"sub": "svc", "iss": idp, "aud": "warden", "exp": now() + 300});
    let r = call(
        &client,
        Method::GET,
        &url,
        &Auth::Bearer(first.token("k1", &claims)),
        None,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a key of the discovered JWKS: {:?}",
        r.body
    );

    // The identity provider rotates its key.
    *served.lock().unwrap() = second.jwks.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = call(
            &client,
            Method::GET,
            &url,
            &Auth::Bearer(second.token("k2", &claims)),
            None,
        )
        .await;
        if r.status == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rotated key was never fetched: {:?}",
            r.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
