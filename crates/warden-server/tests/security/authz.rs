//! The authorization matrix: principals × operations × subjects matched exactly, by
//! prefix and by glob; every refusal is 403 with 40301, every grant goes through, and
//! listings show only the readable subjects.

use std::collections::BTreeSet;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Auth, Server, avro, call, settings, start, users_file};

const SUBJECTS: [&str; 5] = [
    "orders-value",
    "orders-key",
    "payments.cards-value",
    "payments.cards-key",
    "inventory-value",
];

const OPERATIONS: [&str; 5] = ["read", "write", "delete", "config", "mode"];

fn rules(users: &std::path::Path) -> String {
    format!(
        r#"
[server.auth]
users_file = "{}"

[[server.auth.rules]]
principals = ["admin"]
operations = ["admin"]

# exact
[[server.auth.rules]]
principals = ["alice"]
operations = ["read", "write"]
subjects = ["orders-value"]

# prefix, granted to a group
[[server.auth.rules]]
groups = ["payments-team"]
operations = ["read", "write", "delete", "config"]
subjects = ["payments.*"]

# import, with an explicit id and version
[[server.auth.rules]]
principals = ["importer"]
operations = ["import"]
subjects = ["payments.*"]

# glob
[[server.auth.rules]]
principals = ["carol"]
operations = ["read"]
subjects = ["*-{{key,nothing}}"]
"#,
        users.display()
    )
}

/// Every principal [`expected`] names, with its password and groups.
const EVERY_PRINCIPAL: [(&str, &str, &[&str]); 5] = [
    ("admin", "admin-pw", &[]),
    ("alice", "alice-pw", &[]),
    ("bob", "bob-pw", &["payments-team"]),
    ("carol", "carol-pw", &[]),
    ("dave", "dave-pw", &[]),
];

/// A registry serving [`rules`], with `users` (name, password, groups) in its users file.
async fn start_with_rules(users: &[(&str, &str, &[&str])]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), users);
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, rules(&users)).unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    start(dir, s).await
}

/// What each principal may do, as the rules above say it.
fn expected(principal: &str, op: &str, subject: &str) -> bool {
    match principal {
        "admin" => true,
        "alice" => subject == "orders-value" && matches!(op, "read" | "write"),
        "bob" => subject.starts_with("payments.") && op != "mode",
        "carol" => subject.ends_with("-key") && op == "read",
        _ => false,
    }
}

async fn attempt(
    client: &Client,
    base: &str,
    auth: &Auth,
    op: &str,
    subject: &str,
) -> (StatusCode, Value) {
    let (method, url, body) = match op {
        "read" => (
            Method::GET,
            format!("{base}/subjects/{subject}/versions"),
            None,
        ),
        "write" => (
            Method::POST,
            format!("{base}/subjects/{subject}/versions"),
            Some(avro("Rec", &["a", "b"])),
        ),
        // A version that does not exist: allowed is 404, refused is 403, and nothing is lost.
        "delete" => (
            Method::DELETE,
            format!("{base}/subjects/{subject}/versions/99"),
            None,
        ),
        "config" => (
            Method::PUT,
            format!("{base}/config/{subject}"),
            Some(json!({"compatibility": "BACKWARD"})),
        ),
        "mode" => (
            Method::PUT,
            format!("{base}/mode/{subject}"),
            Some(json!({"mode": "READWRITE"})),
        ),
        _ => unreachable!(),
    };
    let reply = call(client, method, &url, auth, body).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn each_principal_may_do_exactly_what_the_rules_grant_on_exact_prefix_and_glob_subjects() {
    let server = start_with_rules(&EVERY_PRINCIPAL).await;
    let client = Client::new();
    let base = &server.base;
    let admin = Auth::Basic("admin", "admin-pw");
    for subject in SUBJECTS {
        let r = call(
            &client,
            Method::POST,
            &format!("{base}/subjects/{subject}/versions"),
            &admin,
            Some(avro("Rec", &["a"])),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "admin registers {subject}: {:?}",
            r.body
        );
    }
    let passwords = [
        ("admin", "admin-pw"),
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("carol", "carol-pw"),
        ("dave", "dave-pw"),
    ];
    for (principal, password) in passwords {
        let auth = Auth::Basic(principal, password);
        for subject in SUBJECTS {
            for op in OPERATIONS {
                let (status, body) = attempt(&client, base, &auth, op, subject).await;
                if expected(principal, op, subject) {
                    assert!(
                        status.is_success() || (op == "delete" && status == StatusCode::NOT_FOUND),
                        "{principal} may {op} {subject}: {status} {body}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{principal} may not {op} {subject}: {body}"
                    );
                    assert_eq!(body["error_code"], 40301, "{body}");
                    let message = body["message"].as_str().unwrap();
                    assert!(
                        message.contains(&format!("'{op}'"))
                            && message.contains(&format!("'{subject}'"))
                            && message.contains(principal),
                        "the refusal names the principal, the operation and the subject: {message}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn listings_show_only_readable_subjects_and_schema_ids_follow_their_subjects() {
    let server = start_with_rules(&EVERY_PRINCIPAL).await;
    let client = Client::new();
    let base = &server.base;
    let admin = Auth::Basic("admin", "admin-pw");
    let mut ids = std::collections::BTreeMap::new();
    for subject in SUBJECTS {
        let r = call(
            &client,
            Method::POST,
            &format!("{base}/subjects/{subject}/versions"),
            &admin,
            Some(avro(&subject.replace(['-', '.'], "_"), &["a"])),
        )
        .await;
        ids.insert(subject, r.body["id"].as_i64().unwrap());
    }
    // One schema under a subject bob reads and one he does not (one id, two subjects).
    let shared = avro("Shared", &["x"]);
    let a = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/inventory.shared-value/versions"),
        &admin,
        Some(shared.clone()),
    )
    .await;
    let b = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/payments.shared-value/versions"),
        &admin,
        Some(shared),
    )
    .await;
    let shared_id = a.body["id"].as_i64().unwrap();
    assert_eq!(b.body["id"].as_i64(), Some(shared_id));

    let all: BTreeSet<String> = SUBJECTS
        .iter()
        .map(|s| (*s).to_owned())
        .chain([
            "payments.shared-value".to_owned(),
            "inventory.shared-value".to_owned(),
        ])
        .collect();
    for (principal, password) in [
        ("admin", "admin-pw"),
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("carol", "carol-pw"),
        ("dave", "dave-pw"),
    ] {
        let auth = Auth::Basic(principal, password);
        let readable: BTreeSet<String> = all
            .iter()
            .filter(|s| expected(principal, "read", s))
            .cloned()
            .collect();
        let listed = call(
            &client,
            Method::GET,
            &format!("{base}/subjects"),
            &auth,
            None,
        )
        .await;
        assert_eq!(listed.status, StatusCode::OK);
        let listed: BTreeSet<String> = serde_json::from_value(listed.body).unwrap();
        assert_eq!(listed, readable, "GET /subjects as {principal}");
        let schemas = call(
            &client,
            Method::GET,
            &format!("{base}/schemas"),
            &auth,
            None,
        )
        .await;
        let in_schemas: BTreeSet<String> = schemas
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["subject"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(in_schemas, readable, "GET /schemas as {principal}");
        // A schema id is readable when a subject using it is.
        for (subject, id) in &ids {
            let r = call(
                &client,
                Method::GET,
                &format!("{base}/schemas/ids/{id}"),
                &auth,
                None,
            )
            .await;
            let may = expected(principal, "read", subject);
            assert_eq!(
                r.status,
                if may {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
                "{principal} reads id {id} of {subject}"
            );
        }
        let shared = call(
            &client,
            Method::GET,
            &format!("{base}/schemas/ids/{shared_id}/subjects"),
            &auth,
            None,
        )
        .await;
        let readers: BTreeSet<String> = ["inventory.shared-value", "payments.shared-value"]
            .iter()
            .filter(|s| expected(principal, "read", s))
            .map(|s| (*s).to_owned())
            .collect();
        if readers.is_empty() {
            assert_eq!(
                shared.status,
                StatusCode::FORBIDDEN,
                "{principal}: {:?}",
                shared.body
            );
        } else {
            let listed: BTreeSet<String> = serde_json::from_value(shared.body).unwrap();
            assert_eq!(listed, readers, "subjects of the shared id as {principal}");
        }
    }
}

/// Reads whose answers are kept in memory stay authorized: once alice has read a
/// subject's latest version and its schema by id often enough for both answers to be kept,
/// dave (granted nothing) is refused both with 40301, and a request without credentials
/// with 401, while alice is still answered.
#[tokio::test]
async fn a_read_answered_from_memory_for_one_principal_is_refused_to_another() {
    let server = start_with_rules(&[
        ("admin", "admin-pw", &[]),
        ("alice", "alice-pw", &[]),
        ("dave", "dave-pw", &[]),
    ])
    .await;
    let client = Client::new();
    let base = &server.base;
    let registered = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/orders-value/versions"),
        &Auth::Basic("admin", "admin-pw"),
        Some(avro("Order", &["a"])),
    )
    .await;
    let id = registered.body["id"].as_i64().expect("an id");
    let reads = [
        format!("{base}/subjects/orders-value/versions/latest"),
        format!("{base}/schemas/ids/{id}"),
    ];
    let get = async |url: &str, auth: &Auth| call(&client, Method::GET, url, auth, None).await;
    let alice = Auth::Basic("alice", "alice-pw");
    for url in &reads {
        for _ in 0..3 {
            let r = get(url, &alice).await;
            assert_eq!(r.status, StatusCode::OK, "alice reads {url}: {:?}", r.body);
        }
    }
    let metrics = client
        .get(format!("{base}/metrics"))
        .basic_auth("admin", Some("admin-pw"))
        .send()
        .await
        .expect("the registry answers")
        .text()
        .await
        .expect("a text body");
    let hits: u64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(r#"warden_cache_requests_total{cache="answer",result="hit"} "#)
        })
        .map_or(0, |v| v.parse().expect("a number"));
    assert_eq!(
        hits, 2,
        "each read's third request was answered from memory"
    );
    for url in &reads {
        let dave = get(url, &Auth::Basic("dave", "dave-pw")).await;
        assert_eq!(dave.status, StatusCode::FORBIDDEN, "dave reads {url}");
        assert_eq!(dave.body["error_code"], 40301, "{:?}", dave.body);
        let anonymous = get(url, &Auth::None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{url}");
        let again = get(url, &alice).await;
        assert_eq!(again.status, StatusCode::OK, "alice reads {url} again");
    }
}

#[tokio::test]
async fn global_config_and_mode_need_admin_and_with_no_rule_nothing_is_granted() {
    let server = start_with_rules(&[("admin", "admin-pw", &[]), ("alice", "alice-pw", &[])]).await;
    let client = Client::new();
    let base = &server.base;
    let alice = Auth::Basic("alice", "alice-pw");
    let admin = Auth::Basic("admin", "admin-pw");
    for (method, path, body) in [
        (Method::PUT, "/config", json!({"compatibility": "NONE"})),
        (Method::PUT, "/mode", json!({"mode": "IMPORT"})),
        (Method::DELETE, "/config", Value::Null),
    ] {
        let body = (!body.is_null()).then_some(body);
        let refused = call(
            &client,
            method.clone(),
            &format!("{base}{path}"),
            &alice,
            body.clone(),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "alice {method} {path}"
        );
        assert_eq!(refused.code(), 40301);
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap()
                .contains("'admin'")
        );
        let done = call(
            &client,
            method.clone(),
            &format!("{base}{path}"),
            &admin,
            body,
        )
        .await;
        assert_eq!(
            done.status,
            StatusCode::OK,
            "admin {method} {path}: {:?}",
            done.body
        );
    }
    // Reading the global level is open to any authenticated principal.
    let read = call(
        &client,
        Method::GET,
        &format!("{base}/config"),
        &alice,
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);

    // Authentication on, no rule: every request is refused.
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("admin", "admin-pw", &[])]);
    let mut s = settings(dir.path());
    s.users_file = Some(users);
    let server = start(dir, s).await;
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
        StatusCode::OK,
        "/metrics is open by default"
    );
    let r = call(
        &client,
        Method::GET,
        &format!("{}/subjects/x/versions", server.base),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &client,
        Method::PUT,
        &format!("{}/config", server.base),
        &admin,
        Some(json!({"compatibility": "NONE"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_registration_with_an_explicit_id_needs_import_not_write() {
    let server = start_with_rules(&[
        ("admin", "admin-pw", &[]),
        ("bob", "bob-pw", &["payments-team"]),
        ("importer", "importer-pw", &[]),
    ])
    .await;
    let client = Client::new();
    let base = &server.base;
    let subject = "payments.imported-value";
    let r = call(
        &client,
        Method::PUT,
        &format!("{base}/mode/{subject}"),
        &Auth::Basic("admin", "admin-pw"),
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mut body = avro("Imported", &["a"]);
    body["id"] = json!(100);
    body["version"] = json!(1);
    let url = format!("{base}/subjects/{subject}/versions");
    let r = call(
        &client,
        Method::POST,
        &url,
        &Auth::Basic("bob", "bob-pw"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "write is not import: {:?}",
        r.body
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("'import'"),
        "{:?}",
        r.body
    );
    // The same body with text after it, which the registry does not read (as Jackson
    // does not), is an import too.
    let r = client
        .post(&url)
        .basic_auth("bob", Some("bob-pw"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(format!("{body} trailing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{:?}", r.text().await);
    let r = call(
        &client,
        Method::POST,
        &url,
        &Auth::Basic("importer", "importer-pw"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["id"], 100);
}

#[tokio::test]
async fn rules_match_the_subjects_of_a_context_by_their_qualified_name() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(
        dir.path(),
        &[("stager", "stager-pw", &[]), ("admin", "admin-pw", &[])],
    );
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[server.auth]\nusers_file = \"{}\"\n\n[[server.auth.rules]]\nprincipals = [\"admin\"]\noperations = [\"admin\"]\n\n[[server.auth.rules]]\nprincipals = [\"stager\"]\noperations = [\"read\", \"write\"]\nsubjects = [\":.staging:*\"]\n",
            users.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(dir, s).await;
    let client = Client::new();
    let base = &server.base;
    let stager = Auth::Basic("stager", "stager-pw");
    let admin = Auth::Basic("admin", "admin-pw");
    let r = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/orders-value/versions"),
        &admin,
        Some(avro("Order", &["id"])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // The context's URL and the qualified name are the same subject.
    for url in [
        format!("{base}/contexts/.staging/subjects/orders-value/versions"),
        format!("{base}/subjects/:.staging:payments-value/versions"),
    ] {
        let r = call(
            &client,
            Method::POST,
            &url,
            &stager,
            Some(avro("Staged", &["id"])),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{url}: {:?}", r.body);
    }
    let r = call(
        &client,
        Method::POST,
        &format!("{base}/subjects/orders-value/versions"),
        &stager,
        Some(avro("Order", &["id", "x"])),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the default context's subject"
    );
    let listed = call(
        &client,
        Method::GET,
        &format!("{base}/subjects?subjectPrefix=:*:"),
        &stager,
        None,
    )
    .await;
    let listed: BTreeSet<String> = serde_json::from_value(listed.body).unwrap();
    let expected: BTreeSet<String> = [":.staging:orders-value", ":.staging:payments-value"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        listed, expected,
        "every context listed, filtered to the readable"
    );
}

#[tokio::test]
async fn a_registration_over_the_body_limit_is_413_with_authentication_on() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("admin", "admin-pw", &[])]);
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, rules(&users)).unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    s.max_body_bytes = 1024;
    let server = start(dir, s).await;
    let fields: Vec<String> = (0..200).map(|i| format!("field_{i}")).collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let r = call(
        &Client::new(),
        Method::POST,
        &format!("{}/subjects/orders-value/versions", server.base),
        &Auth::Basic("admin", "admin-pw"),
        Some(avro("Big", &fields)),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert_eq!(r.code(), 413);
}
