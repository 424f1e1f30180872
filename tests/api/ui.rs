//! The web UI at `/ui/`: HTTP checks of its pages, and Debian's headless Chromium driven by
//! `tests/clients/browser/ui.js` (puppeteer-core) through a registry of 10,000 subjects.
//! The browser run saves the README's screenshots (`docs/ui-subjects.png`,
//! `docs/ui-diff.png`), so they show the UI as it is.

use std::path::PathBuf;
use std::process::Command;

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use warden_testkit::clients::{clients_dir, run_client_script};
use warden_testkit::{TestApp, spawn_app};

const V1: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}"#;
const BREAKING: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":"string"}]}"#;
const COMPATIBLE: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":["null","string"],"default":null}]}"#;

/// `users` with a breaking second version (registered under NONE, then set to BACKWARD),
/// `customer` referencing `address`.
async fn fill(app: &TestApp) {
    app.set_level(Some("users"), "NONE").await;
    app.register_ok("users", V1).await;
    app.register_ok("users", V2).await;
    app.set_level(Some("users"), "BACKWARD").await;
    let address = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
    app.register_ok("address", address).await;
    let customer = json!({
        "schema": r#"{"type":"record","name":"Customer","namespace":"acme","fields":[{"name":"home","type":"acme.Address"}]}"#,
        "references": [{"name": "acme.Address", "subject": "address", "version": 1}],
    });
    let r = app.register_body("customer", &customer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// `n` more subjects `orders-00000` … (one schema, registered concurrently).
async fn fill_many(app: &TestApp, n: usize) {
    let schema = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"}]}"#;
    futures::stream::iter(0..n)
        .map(|i| async move {
            let r = app.register(&format!("orders-{i:05}"), schema).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn every_page_answers_html_with_what_it_shows() {
    let app = spawn_app().await;
    fill(&app).await;
    let (status, list) = page(&app, "/ui/").await;
    assert_eq!(status, StatusCode::OK);
    // No framing of any UI page (clickjacking), no content sniffing, even on an error page.
    for path in [
        "/ui/",
        "/ui/subjects/users",
        "/ui/subjects/nobody",
        "/ui/assets/ui.js",
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    for subject in ["users", "address", "customer"] {
        assert!(
            list.contains(&format!(">{subject}</a>")),
            "{subject} listed"
        );
    }
    let (_, found) = page(&app, "/ui/?q=CUST").await;
    assert!(
        found.contains(">customer</a>") && !found.contains(">users</a>"),
        "search is by name, any case"
    );
    let (_, avro) = page(&app, "/ui/?format=PROTOBUF").await;
    assert!(avro.contains("0 matching"), "no Protobuf subject");
    app.set_level(Some("address"), "FULL").await;
    let (_, level) = page(&app, "/ui/?level=BACKWARD").await;
    assert!(
        level.contains(">users</a>") && !level.contains(">address</a>"),
        "level filter: {level}"
    );
    let (_, level) = page(&app, "/ui/?level=FULL").await;
    assert!(
        level.contains(">address</a>") && !level.contains(">users</a>"),
        "level filter: {level}"
    );
    let (status, subject) = page(&app, "/ui/subjects/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(subject.contains("Version 2") && subject.contains("Version 1"));
    assert!(
        subject.contains("/ui/subjects/users/diff?from=1&amp;to=2"),
        "the timeline links each step's diff"
    );
    let (_, customer) = page(&app, "/ui/subjects/customer").await;
    assert!(
        customer.contains("href=\"/ui/subjects/address?version=1\""),
        "references link"
    );
    let (_, diff) = page(&app, "/ui/subjects/users/diff?from=1&to=2").await;
    assert!(diff.contains("READER_FIELD_MISSING_DEFAULT_VALUE"));
    assert!(diff.contains("chg-bad"), "the breaking lines are marked");
    let (_, schema) = page(&app, "/ui/schemas/1").await;
    assert!(schema.contains("users version 1"));
    // A subject of another context: its ids are that context's (id 1 there is not the
    // default context's id 1), and its links read the id there.
    let event = r#"{"type":"record","name":"Event","fields":[{"name":"at","type":"long"}]}"#;
    app.register_ok(":.ctx:events", event).await;
    let (status, events) = page(&app, "/ui/subjects/:.ctx:events").await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let link = "/ui/schemas/1?subject=:.ctx:events";
    assert!(events.contains(&format!("href=\"{link}\"")), "{events}");
    let (status, in_ctx) = page(&app, link).await;
    assert_eq!(status, StatusCode::OK, "{in_ctx}");
    assert!(
        in_ctx.contains(":.ctx:events version 1")
            && in_ctx.contains("Event")
            && !in_ctx.contains("users version 1"),
        "{in_ctx}"
    );
    // Unknown things answer Confluent's codes in a page, with the HTTP status.
    let (status, missing) = page(&app, "/ui/subjects/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("40401"), "{missing}");
    let (status, _) = page(&app, "/ui/subjects/users/diff?from=1&to=9").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, "/ui/schemas/77").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A bad page number is the first page, in HTML (`page` asserts the content type).
    let (status, first) = page(&app, "/ui/?page=abc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.contains(">users</a>"), "{first}");
}

#[tokio::test]
async fn the_check_box_and_config_forms_post_from_the_ui_only() {
    let app = spawn_app().await;
    fill(&app).await;
    let post = |path: &str, form: &[(&str, &str)], origin: Option<&str>| {
        let mut req = app.client.post(format!("{}{path}", app.address)).form(form);
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.send()
    };
    let r = post(
        "/ui/subjects/users/check",
        &[("schema", BREAKING), ("schemaType", "AVRO")],
        None,
    )
    .await
    .unwrap();
    let text = r.text().await.unwrap();
    // The verdict element itself, not the per-level table, says it.
    let verdict = text.split("id=\"verdict\"").nth(1).expect("a verdict");
    let verdict = &verdict[..verdict.find("</p>").unwrap()];
    assert!(
        verdict.contains("BACKWARD") && verdict.contains(">incompatible<"),
        "{verdict}"
    );
    assert!(
        text.contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{text}"
    );
    let r = post(
        "/ui/subjects/users/check",
        &[("schema", "{\"type\":")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an invalid schema is 42201"
    );
    // A form without its field answers the UI's error page, not a plain-text rejection.
    let r = post("/ui/subjects/users/config", &[("other", "x")], None)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("42203"));
    // A change from another site is refused; from the registry's own page it applies.
    let r = post(
        "/ui/subjects/users/config",
        &[("compatibility", "FULL")],
        Some("http://evil.example"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/config/users").await.body["compatibilityLevel"],
        "BACKWARD"
    );
    let own = app.address.clone();
    let r = post(
        "/ui/subjects/users/config",
        &[("compatibility", "FULL")],
        Some(&own),
    )
    .await
    .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(
        app.get("/config/users").await.body["compatibilityLevel"],
        "FULL"
    );
    let r = post("/ui/mode", &[("mode", "READONLY")], None)
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(app.get("/mode").await.body["mode"], "READONLY");
    let r = app.request(Method::GET, "/ui/assets/ui.css", None).await;
    assert_eq!(r.status, StatusCode::OK);
}

/// `node` with puppeteer-core installed by `tests/clients/browser/setup.sh`.
fn node_with_puppeteer() -> &'static str {
    let setup = Command::new("bash")
        .arg(clients_dir().join("browser/setup.sh"))
        .status()
        .expect("bash runs tests/clients/browser/setup.sh");
    assert!(setup.success(), "tests/clients/browser/setup.sh failed");
    "node"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_finds_a_subject_among_10000_reads_the_diff_and_checks_a_version() {
    let node = tokio::task::spawn_blocking(node_with_puppeteer)
        .await
        .unwrap();
    let app = spawn_app().await;
    fill(&app).await;
    fill_many(&app, 10_000).await;
    let needle = "orders-07345";
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    std::fs::create_dir_all(&docs).unwrap();
    let id = app.register_ok("users", V1).await; // the id of version 1
    let config = json!({
        "base": app.address,
        "docs": docs,
        "needle": needle,
        "subject": "users",
        "refSubject": "customer",
        "refTarget": "address",
        "breaking": BREAKING,
        "compatible": COMPATIBLE,
        "schemaId": id,
    });
    run_client_script(
        node,
        &clients_dir().join("browser/ui.js"),
        &[config.to_string()],
        "the web UI in headless Chromium",
    )
    .await;
    for shot in ["ui-subjects.png", "ui-diff.png"] {
        let bytes = std::fs::read(docs.join(shot)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{shot} is a PNG");
    }
}

#[tokio::test]
async fn the_check_box_judges_as_a_registration_would_under_a_transitive_level() {
    let app = spawn_app().await;
    app.set_level(Some("trans"), "NONE").await;
    app.register_ok(
        "trans",
        r#"{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}"#,
    )
    .await;
    app.register_ok("trans", r#"{"type":"record","name":"T","fields":[]}"#)
        .await;
    // Readable from version 2 (a has a default), not from version 1 (int is no string).
    let candidate =
        r#"{"type":"record","name":"T","fields":[{"name":"a","type":"string","default":""}]}"#;
    let check = |level: &'static str| {
        let app = &app;
        async move {
            app.set_level(Some("trans"), level).await;
            let r = app
                .client
                .post(format!("{}/ui/subjects/trans/check", app.address))
                .form(&[("schema", candidate), ("schemaType", "AVRO")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let page = r.text().await.unwrap();
            let verdict = page.split("id=\"verdict\"").nth(1).unwrap().to_owned();
            verdict[..verdict.find("</p>").unwrap()].to_owned()
        }
    };
    let backward = check("BACKWARD").await;
    assert!(backward.contains(">compatible<"), "{backward}");
    let transitive = check("BACKWARD_TRANSITIVE").await;
    assert!(
        transitive.contains(">incompatible<"),
        "version 1 breaks: {transitive}"
    );
    let registered = app.register("trans", candidate).await;
    assert_eq!(
        registered.error_code(),
        40901,
        "the registration agrees: {}",
        registered.text
    );
}
