//! The web UI under authentication and rules: pages are reads of what the caller may read,
//! and the config and mode forms appear, and are accepted, only where the rules allow them.

use reqwest::{Client, Method, StatusCode, redirect};

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
subjects = ["orders-value"]

[[server.auth.rules]]
principals = ["bob"]
operations = ["read", "config"]
subjects = ["payments-value"]
"#,
        users.display()
    )
}

async fn html(
    client: &Client,
    method: Method,
    url: &str,
    user: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut request = client.request(method, url);
    if let Some((user, password)) = user {
        request = request.basic_auth(user, Some(password));
    }
    if !form.is_empty() {
        // As a browser posts a form from the UI's own page.
        request = request.form(form).header("Sec-Fetch-Site", "same-origin");
    }
    let response = request.send().await.expect("the registry answers");
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn ui_pages_and_forms_follow_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(
        dir.path(),
        &[
            ("admin", "admin-pw", &[]),
            ("alice", "alice-pw", &[]),
            ("bob", "bob-pw", &[]),
        ],
    );
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, rules(&users)).unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let base = &server.base;
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let admin = Auth::Basic("admin", "admin-pw");
    for subject in ["orders-value", "payments-value"] {
        let r = call(
            &client,
            Method::POST,
            &format!("{base}/subjects/{subject}/versions"),
            &admin,
            Some(avro("R", &["a"])),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let alice = Some(("alice", "alice-pw"));
    let bob = Some(("bob", "bob-pw"));

    // No credentials: 401, as for the API.
    let (status, _) = html(&client, Method::GET, &format!("{base}/ui/"), None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The list shows only the readable subjects, and no registry form without admin.
    let (status, list) = html(&client, Method::GET, &format!("{base}/ui/"), alice, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains(">orders-value</a>") && !list.contains("payments-value"),
        "{list}"
    );
    assert!(
        !list.contains("action=\"/ui/config\""),
        "no registry config form for alice"
    );
    let (_, list) = html(
        &client,
        Method::GET,
        &format!("{base}/ui/"),
        Some(("admin", "admin-pw")),
        &[],
    )
    .await;
    assert!(list.contains("action=\"/ui/config\"") && list.contains("action=\"/ui/mode\""));

    // alice reads her subject, without forms, and may not post them nor read the other.
    let (status, page) = html(
        &client,
        Method::GET,
        &format!("{base}/ui/subjects/orders-value"),
        alice,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("/config\"") && page.contains("Read-only"),
        "{page}"
    );
    let (status, _) = html(
        &client,
        Method::POST,
        &format!("{base}/ui/subjects/orders-value/config"),
        alice,
        &[("compatibility", "NONE")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = html(
        &client,
        Method::GET,
        &format!("{base}/ui/subjects/payments-value"),
        alice,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = html(
        &client,
        Method::POST,
        &format!("{base}/ui/config"),
        alice,
        &[("compatibility", "NONE")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // bob has config on his subject: the level form is there and works; the mode form is not.
    let (_, page) = html(
        &client,
        Method::GET,
        &format!("{base}/ui/subjects/payments-value"),
        bob,
        &[],
    )
    .await;
    assert!(
        page.contains("action=\"/ui/subjects/payments-value/config\""),
        "{page}"
    );
    assert!(
        !page.contains("action=\"/ui/subjects/payments-value/mode\""),
        "{page}"
    );
    let (status, _) = html(
        &client,
        Method::POST,
        &format!("{base}/ui/subjects/payments-value/config"),
        bob,
        &[("compatibility", "FULL")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // With authentication on, a form POST with neither `Origin` nor `Sec-Fetch-Site` (no
    // browser's) is refused, even from a caller allowed the change.
    let response = client
        .post(format!("{base}/ui/subjects/payments-value/config"))
        .basic_auth("bob", Some("bob-pw"))
        .form(&[("compatibility", "NONE")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let r = call(
        &client,
        Method::GET,
        &format!("{base}/config/payments-value"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.body["compatibilityLevel"], "FULL");
}
