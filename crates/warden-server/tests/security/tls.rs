//! TLS on the listener: HTTP/1.1 and HTTP/2, mutual TLS with certificates made here, a
//! certificate replaced on disk served without a restart, and one clear line at start for
//! files that cannot be used.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Version};

use crate::support::{Auth, Pki, avro, call, settings, start, tls_client, users_file};

#[tokio::test]
async fn the_registry_serves_https_over_http1_and_http2() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("Test CA");
    let (cert, key) = pki.server("warden").write(dir.path(), "server");
    let mut s = settings(dir.path());
    s.tls_cert = Some(cert);
    s.tls_key = Some(key);
    let server = start(dir, s).await;
    let client = tls_client(&pki.ca_pem, None);
    let h2 = client
        .get(format!("{}/subjects", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(h2.status(), StatusCode::OK);
    assert_eq!(h2.version(), Version::HTTP_2, "ALPN offers h2");
    let h1 = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let r = h1
        .get(format!("{}/subjects", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.version(), Version::HTTP_11);
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(server.base.replace("https://", "http://") + "/subjects").await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[tokio::test]
async fn mutual_tls_names_the_principal_by_its_certificate_and_refuses_other_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("Clients and server CA");
    let (cert, key) = pki.server("warden").write(dir.path(), "server");
    let ca = dir.path().join("clients-ca.crt");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        r#"
[[server.auth.rules]]
principals = ["svc-orders"]
operations = ["read", "write"]
subjects = ["orders-*"]
"#,
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    s.tls_cert = Some(cert);
    s.tls_key = Some(key);
    s.tls_client_ca = Some(ca);
    let server = start(dir, s).await;
    let url = format!("{}/subjects/orders-value/versions", server.base);

    let orders = tls_client(&pki.ca_pem, Some(pki.client("svc-orders").identity()));
    let r = call(
        &orders,
        Method::POST,
        &url,
        &Auth::None,
        Some(avro("Order", &["id"])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = call(
        &orders,
        Method::GET,
        &format!("{}/subjects/payments-value/versions", server.base),
        &Auth::None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["message"].as_str().unwrap().contains("svc-orders"));

    let stranger = tls_client(&pki.ca_pem, Some(pki.client("intruder").identity()));
    let r = call(&stranger, Method::GET, &url, &Auth::None, None).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a trusted certificate without a rule"
    );

    let other_ca = Pki::new("Another CA");
    let foreign = tls_client(&pki.ca_pem, Some(other_ca.client("svc-orders").identity()));
    assert!(
        foreign.get(&url).send().await.is_err(),
        "a certificate of another CA fails the handshake"
    );
    let anonymous = tls_client(&pki.ca_pem, None);
    assert!(
        anonymous.get(&url).send().await.is_err(),
        "with mutual TLS alone, a client certificate is required"
    );
}

#[tokio::test]
async fn with_mutual_tls_and_passwords_a_client_without_certificate_authenticates_by_password() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("CA");
    let (cert, key) = pki.server("warden").write(dir.path(), "server");
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let users = users_file(dir.path(), &[("alice", "pw", &[])]);
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[server.tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\n[server.auth]\nusers_file = \"{}\"\n[[server.auth.rules]]\nprincipals = [\"alice\", \"svc\"]\noperations = [\"read\"]\n",
            cert.display(),
            key.display(),
            ca.display(),
            users.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let url = format!("{}/subjects", server.base);
    let anonymous = tls_client(&pki.ca_pem, None);
    let r = call(&anonymous, Method::GET, &url, &Auth::None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &anonymous,
        Method::GET,
        &url,
        &Auth::Basic("alice", "pw"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let svc = tls_client(&pki.ca_pem, Some(pki.client("svc").identity()));
    let r = call(&svc, Method::GET, &url, &Auth::None, None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_to_new_connections_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = Pki::new("First CA");
    let second = Pki::new("Second CA");
    let (cert, key) = first.server("warden").write(dir.path(), "server");
    let mut s = settings(dir.path());
    s.tls_cert = Some(cert);
    s.tls_key = Some(key);
    let server = start(tempfile::tempdir().unwrap(), s).await;
    let url = format!("{}/health/live", server.base);
    assert!(
        tls_client(&first.ca_pem, None)
            .get(&url)
            .send()
            .await
            .is_ok()
    );
    assert!(
        tls_client(&second.ca_pem, None)
            .get(&url)
            .send()
            .await
            .is_err()
    );

    // Replace both files (key first, as a deploy tool might; a half-replaced pair is
    // refused and the certificate in force stays).
    let leaf = second.server("warden-renewed");
    let (tmp_cert, tmp_key) = leaf.write(dir.path(), "next");
    std::fs::rename(&tmp_key, dir.path().join("server.key")).unwrap();
    std::fs::rename(&tmp_cert, dir.path().join("server.crt")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tls_client(&second.ca_pem, None)
        .get(&url)
        .send()
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        tls_client(&first.ca_pem, None)
            .get(&url)
            .send()
            .await
            .is_err(),
        "the old certificate is no longer served"
    );
}

#[tokio::test]
async fn unusable_tls_files_stop_the_start_with_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("CA");
    let (cert, _) = pki.server("a").write(dir.path(), "a");
    let (_, other_key) = pki.server("b").write(dir.path(), "b");
    let missing = dir.path().join("missing.key");
    let garbage = dir.path().join("garbage.key");
    std::fs::write(&garbage, "not a key").unwrap();
    for (key, expect) in [
        (missing.clone(), "missing.key"),
        (garbage.clone(), "garbage.key"),
        (other_key, "a.crt"),
    ] {
        let mut s = settings(dir.path());
        s.tls_cert = Some(cert.clone());
        s.tls_key = Some(key.clone());
        let error = warden_server::Application::build(&s)
            .await
            .unwrap_err()
            .to_string();
        assert!(!error.contains('\n'), "one line: {error}");
        assert!(error.contains(expect), "{key:?}: {error}");
    }
    let mut s = settings(dir.path());
    s.tls_cert = Some(cert);
    let error = warden_server::Application::build(&s)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("--tls-key"), "{error}");
}
