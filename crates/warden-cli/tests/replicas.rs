//! Several `warden serve` processes on one real PostgreSQL: concurrency, crash safety and
//! coherence between replicas. Every replica runs with authentication and authorization on
//! (a users file and an admin rule), and every request carries the admin's credentials.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use warden_testkit::postgres::TempPostgres;

/// A `warden serve` child process, killed when dropped.
struct Replica {
    child: Child,
    url: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The user every request of these tests authenticates as.
const USER: (&str, &str) = ("replicas", "replicas-pw");

/// A client sending the test user's basic credentials with every request.
fn authed() -> Client {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", USER.0, USER.1));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Basic {token}").parse().unwrap(),
    );
    Client::builder().default_headers(headers).build().unwrap()
}

/// The users file and rules of the replicas, written into `dir` once.
fn security_config(dir: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("warden.toml");
    if !config.exists() {
        let users = dir.join("users");
        warden_server::security::users::add_user(&users, USER.0, USER.1, &[]).unwrap();
        std::fs::write(
            &config,
            format!(
                "[server.auth]\nusers_file = \"{}\"\n\n[[server.auth.rules]]\nprincipals = [\"{}\"]\noperations = [\"admin\"]\n",
                users.display(),
                USER.0
            ),
        )
        .unwrap();
    }
    config
}

async fn start_replica(database_url: &str, log: &std::path::Path) -> Replica {
    let port = free_port();
    let config = security_config(log.parent().unwrap());
    let log = std::fs::File::create(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", database_url])
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("warden starts");
    let replica = Replica {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = authed();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = client
            .get(format!("{}/health/ready", replica.url))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK);
        if ready {
            return replica;
        }
        assert!(
            Instant::now() < deadline,
            "replica on port {port} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn cluster(n: usize) -> (TempPostgres, tempfile::TempDir, Vec<Replica>) {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut replicas = Vec::new();
    for i in 0..n {
        replicas.push(start_replica(&pg.url(), &logs.path().join(format!("r{i}.log"))).await);
    }
    (pg, logs, replicas)
}

fn record(name: &str, fields: &str) -> String {
    format!(r#"{{"type":"record","name":"{name}","fields":{fields}}}"#)
}

async fn post(
    client: &Client,
    url: &str,
    body: &Value,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let r = client
        .post(url)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(body.to_string())
        .send()
        .await?;
    let status = r.status();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

async fn get(client: &Client, url: &str) -> (StatusCode, Value) {
    let r = client.get(url).send().await.expect("GET answered");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn put(client: &Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let r = client
        .put(url)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("PUT answered");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The i-th registration of the load: 200 subjects, 500 distinct schemas, so schemas are
/// shared across subjects and subjects get several versions.
fn registration(i: usize) -> (String, String) {
    let subject = format!("subject-{}", i % 200);
    let schema = record(&format!("R{}", i % 500), r#"[{"name":"a","type":"int"}]"#);
    (subject, schema)
}

/// An acknowledged registration.
#[derive(Debug, Clone)]
struct Ack {
    subject: String,
    schema: String,
    id: i64,
}

/// Runs registrations `range` from `clients` concurrent clients spread over `urls` (client
/// c uses `urls[c % urls.len()]`). Failed requests (a dead replica) are not acknowledged.
async fn load(
    urls: &[String],
    range: std::ops::Range<usize>,
    clients: usize,
    progress: &AtomicUsize,
) -> Vec<Ack> {
    let tasks = (0..clients).map(|c| {
        let url = urls[c % urls.len()].clone();
        let range = range.clone();
        async move {
            let client = authed();
            let mut acks = Vec::new();
            for i in range.filter(|i| i % clients == c) {
                let (subject, schema) = registration(i);
                let body = json!({ "schema": schema });
                if let Ok((StatusCode::OK, reply)) = post(
                    &client,
                    &format!("{url}/subjects/{subject}/versions"),
                    &body,
                )
                .await
                {
                    acks.push(Ack {
                        subject,
                        schema,
                        id: reply["id"].as_i64().unwrap(),
                    });
                    progress.fetch_add(1, Ordering::Relaxed);
                }
            }
            acks
        }
    });
    join_all(tasks).await.into_iter().flatten().collect()
}

/// Every acknowledged registration is readable from `url`; ids are unique per schema and
/// versions gap-free per subject.
async fn verify(url: &str, acks: &[Ack]) {
    let client = authed();
    let mut id_of_schema: HashMap<&str, i64> = HashMap::new();
    for ack in acks {
        let previous = id_of_schema.insert(&ack.schema, ack.id);
        assert!(
            previous.is_none_or(|p| p == ack.id),
            "one schema got two ids: {previous:?} and {}",
            ack.id
        );
    }
    let distinct_ids: HashSet<i64> = acks.iter().map(|a| a.id).collect();
    assert_eq!(
        distinct_ids.len(),
        id_of_schema.len(),
        "two schemas share an id"
    );

    let mut by_subject: BTreeMap<&str, HashSet<i64>> = BTreeMap::new();
    for ack in acks {
        by_subject.entry(&ack.subject).or_default().insert(ack.id);
    }
    for (subject, ids) in by_subject {
        let (status, versions) = get(&client, &format!("{url}/subjects/{subject}/versions")).await;
        assert_eq!(status, StatusCode::OK, "{subject}");
        let versions: Vec<i64> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(versions, expected, "{subject}: versions are gap-free");
        let mut stored = HashSet::new();
        for v in &versions {
            let (_, body) = get(&client, &format!("{url}/subjects/{subject}/versions/{v}")).await;
            assert!(
                stored.insert(body["id"].as_i64().unwrap()),
                "{subject}: a schema twice"
            );
        }
        assert!(
            ids.is_subset(&stored),
            "{subject}: acknowledged ids {ids:?} in {stored:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_under_32_clients_register_2000_schemas_consistently() {
    let (_pg, _logs, replicas) = cluster(2).await;
    let urls: Vec<String> = replicas.iter().map(|r| r.url.clone()).collect();
    let client = authed();
    put(
        &client,
        &format!("{}/config", urls[0]),
        &json!({"compatibility": "NONE"}),
    )
    .await;
    let acks = load(&urls, 0..2000, 32, &AtomicUsize::new(0)).await;
    assert_eq!(acks.len(), 2000, "every registration was acknowledged");
    for url in &urls {
        verify(url, &acks).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_registrations_on_two_replicas_never_leave_versions_that_break_each_other() {
    let (_pg, _logs, replicas) = cluster(2).await;
    let client = authed();
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    // Each is compatible with v1, but not with the other: b is an int in one and a string
    // in the other.
    let as_int = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]"#,
    );
    let as_string = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]"#,
    );
    for round in 0..20 {
        let subject = format!("race-{round}");
        let path = |r: &Replica| format!("{}/subjects/{subject}/versions", r.url);
        let (s, _) = post(&client, &path(&replicas[0]), &json!({"schema": v1}))
            .await
            .unwrap();
        assert_eq!(s, StatusCode::OK);
        let (url_a, url_b) = (path(&replicas[0]), path(&replicas[1]));
        let (body_a, body_b) = (json!({"schema": as_int}), json!({"schema": as_string}));
        let (a, b) = tokio::join!(
            post(&client, &url_a, &body_a),
            post(&client, &url_b, &body_b),
        );
        let statuses = [a.unwrap().0, b.unwrap().0];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "round {round}: exactly one wins, the other is refused: {statuses:?}"
        );
        assert!(
            statuses.contains(&StatusCode::CONFLICT),
            "round {round}: {statuses:?}"
        );
        let (_, versions) = get(
            &client,
            &format!("{}/subjects/{subject}/versions", replicas[1].url),
        )
        .await;
        assert_eq!(versions, json!([1, 2]), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_a_replica_mid_load_loses_no_acknowledged_registration() {
    let (_pg, _logs, mut replicas) = cluster(2).await;
    let urls: Vec<String> = replicas.iter().map(|r| r.url.clone()).collect();
    let client = authed();
    put(
        &client,
        &format!("{}/config", urls[0]),
        &json!({"compatibility": "NONE"}),
    )
    .await;
    // Every replica has verified the credentials once (argon2, slow in a debug build)
    // before the load starts, so the victim acknowledges registrations before the kill.
    for url in &urls {
        let (status, _) = get(&client, &format!("{url}/subjects")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let victim_pid = replicas[1].child.id();
    let progress = Arc::new(AtomicUsize::new(0));
    let load_task = tokio::spawn({
        let urls = urls.clone();
        let progress = Arc::clone(&progress);
        async move { load(&urls, 0..2000, 32, &progress).await }
    });
    // Let a fifth of the load through, then kill -9 the second replica in the middle of it.
    while progress.load(Ordering::Relaxed) < 400 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed = Command::new("kill")
        .args(["-9", &victim_pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = replicas[1].child.wait();
    let acks = load_task.await.unwrap();
    assert!(
        acks.len() > 1000,
        "the surviving replica kept serving: {} acks",
        acks.len()
    );
    assert!(acks.len() < 2000, "the kill happened during the load");
    // Everything either replica acknowledged, the survivor has.
    verify(&urls[0], &acks).await;
    let (status, _) = get(&client, &format!("{}/subjects", urls[0])).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_on_one_replica_is_visible_on_the_other_within_the_bound() {
    let (_pg, _logs, replicas) = cluster(2).await;
    let (a, b) = (&replicas[0].url, &replicas[1].url);
    let client = authed();
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]"#,
    );
    let (_, r) = post(
        &client,
        &format!("{a}/subjects/s/versions"),
        &json!({"schema": v1}),
    )
    .await
    .unwrap();
    let id1 = r["id"].as_i64().unwrap();
    // Read it on b so b caches the schema.
    assert_eq!(
        get(&client, &format!("{b}/schemas/ids/{id1}")).await.0,
        StatusCode::OK
    );

    // Subject versions are held in memory too: b reads them (and keeps them), a writes,
    // and b sees the write when a announces it, within the README's bound of one second.
    assert_eq!(
        get(&client, &format!("{b}/subjects/s/versions")).await.1,
        json!([1])
    );
    post(
        &client,
        &format!("{a}/subjects/s/versions"),
        &json!({"schema": v2}),
    )
    .await
    .unwrap();
    let within_the_bound = |url: String, expected: Value| {
        let client = client.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(1);
            loop {
                let (_, body) = get(&client, &url).await;
                if body == expected {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{url} still answers {body} a second after the change, not {expected}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    within_the_bound(format!("{b}/subjects/s/versions"), json!([1, 2])).await;
    assert_eq!(
        get(&client, &format!("{b}/subjects/s/versions/latest"))
            .await
            .1["version"],
        2
    );
    client
        .delete(format!("{a}/subjects/s/versions/1"))
        .send()
        .await
        .unwrap();
    within_the_bound(format!("{b}/subjects/s/versions"), json!([2])).await;

    // Configs and modes are held in memory: b reads them once (and keeps the answer), a
    // changes them, and b sees the change when a announces it (PostgreSQL NOTIFY), within
    // the README's bound of one second.
    assert_eq!(
        get(&client, &format!("{b}/config/s?defaultToGlobal=true"))
            .await
            .1["compatibilityLevel"],
        "BACKWARD"
    );
    assert_eq!(
        get(&client, &format!("{b}/mode/s?defaultToGlobal=true"))
            .await
            .1["mode"],
        "READWRITE"
    );
    // A lookup on b makes b hold the config and mode in effect for s.
    let (status, body) = post(&client, &format!("{b}/subjects/s"), &json!({"schema": v2}))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    put(
        &client,
        &format!("{a}/config/s"),
        &json!({"compatibility": "FULL"}),
    )
    .await;
    put(
        &client,
        &format!("{a}/mode/s"),
        &json!({"mode": "READONLY"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let config = get(&client, &format!("{b}/config/s")).await.1;
        let mode = get(&client, &format!("{b}/mode/s")).await.1;
        if config["compatibilityLevel"] == "FULL" && mode["mode"] == "READONLY" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "b still answers {config} and {mode} a second after a's change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A write on b follows the mode it now knows: READONLY refuses the registration.
    let (status, body) = post(
        &client,
        &format!("{b}/subjects/s/versions"),
        &json!({"schema": v1}),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, &body["error_code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!(42205)),
        "{body}"
    );
    put(
        &client,
        &format!("{a}/mode/s"),
        &json!({"mode": "READWRITE"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(1);
    while get(&client, &format!("{b}/mode/s")).await.1["mode"] != "READWRITE" {
        assert!(Instant::now() < deadline, "b kept READONLY for a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A hard delete removes a schema b has cached: b drops it when a announces it
    // (PostgreSQL NOTIFY); the README states a bound of one second.
    client
        .delete(format!("{a}/subjects/s/versions/1?permanent=true"))
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (status, body) = get(&client, &format!("{b}/schemas/ids/{id1}")).await;
        if status == StatusCode::NOT_FOUND {
            assert_eq!(
                body["error_code"],
                warden_core::ErrorCode::SchemaNotFound.code()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replica b still serves a hard-deleted schema"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn delete(client: &Client, url: &str) -> (StatusCode, Value) {
    let r = client.delete(url).send().await.expect("DELETE answered");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

const COUNTRY: &str =
    r#"{"type":"enum","name":"Country","namespace":"com.acme","symbols":["NL","FR"]}"#;
const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"country","type":"com.acme.Country"}]}"#;

/// Rounds of a soft-then-hard delete of `country` on one replica racing, on the other, a
/// registration that references it. After every round exactly one of the two wins (the
/// loser gets 42206 or 42201), no live or soft-deleted schema references a version that is
/// gone, and `referencedby` lists exactly the referencing schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_on_one_replica_racing_a_referencing_registration_on_the_other_never_dangles() {
    let (_pg, _logs, replicas) = cluster(2).await;
    let client = authed();
    let (a, b) = (replicas[0].url.clone(), replicas[1].url.clone());
    let mut wins = [0usize; 2];
    for round in 0..60 {
        let country = format!("country-{round}");
        let address = format!("address-{round}");
        let (s, _) = post(
            &client,
            &format!("{a}/subjects/{country}/versions"),
            &json!({"schema": COUNTRY}),
        )
        .await
        .unwrap();
        assert_eq!(s, StatusCode::OK);
        // The delete and the registration run on different replicas, and swap sides
        // every round, so that each replica plays each part.
        let (reg_url, del_url) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        // A delay of 0 to 3 ms before the delete moves the race's window across the
        // registration, so that both outcomes occur.
        let jitter = Duration::from_micros(1_000 * (round % 4) as u64);
        let deleter = async {
            tokio::time::sleep(jitter).await;
            let soft = delete(&client, &format!("{del_url}/subjects/{country}")).await;
            if soft.0 != StatusCode::OK {
                return soft;
            }
            delete(
                &client,
                &format!("{del_url}/subjects/{country}?permanent=true"),
            )
            .await
        };
        let body = json!({"schema": ADDRESS, "references": [
            {"name": "com.acme.Country", "subject": country, "version": 1}
        ]});
        let reg_path = format!("{reg_url}/subjects/{address}/versions");
        let registration = post(&client, &reg_path, &body);
        let (deleted, registered) = tokio::join!(deleter, registration);
        let registered = registered.unwrap();
        let (reg_ok, del_ok) = (registered.0 == StatusCode::OK, deleted.0 == StatusCode::OK);
        assert!(
            reg_ok != del_ok,
            "round {round}: exactly one wins; registration {registered:?}, delete {deleted:?}"
        );
        if reg_ok {
            wins[0] += 1;
            assert_eq!(deleted.1["error_code"], 42206, "round {round}: {deleted:?}");
            for url in [&a, &b] {
                let (s, v) = get(&client, &format!("{url}/subjects/{country}/versions/1")).await;
                assert_eq!(
                    s,
                    StatusCode::OK,
                    "round {round}: the referenced version lives"
                );
                assert_eq!(v["schema"], COUNTRY);
                let (_, by) = get(
                    &client,
                    &format!("{url}/subjects/{country}/versions/1/referencedby"),
                )
                .await;
                assert_eq!(by, json!([registered.1["id"]]), "round {round}");
                let (s, _) = get(
                    &client,
                    &format!("{url}/schemas/ids/{}", registered.1["id"]),
                )
                .await;
                assert_eq!(s, StatusCode::OK, "round {round}: the new schema resolves");
            }
        } else {
            wins[1] += 1;
            assert_eq!(
                registered.1["error_code"], 42201,
                "round {round}: {registered:?}"
            );
            for url in [&a, &b] {
                let (s, _) = get(&client, &format!("{url}/subjects/{address}/versions")).await;
                assert_eq!(
                    s,
                    StatusCode::NOT_FOUND,
                    "round {round}: nothing was written"
                );
                let (s, _) = get(
                    &client,
                    &format!("{url}/subjects/{country}/versions?deleted=true"),
                )
                .await;
                assert_eq!(
                    s,
                    StatusCode::NOT_FOUND,
                    "round {round}: the delete is whole"
                );
            }
        }
    }
    eprintln!("registration won {} rounds, delete {}", wins[0], wins[1]);
}

/// Schema ids are Java ints on PostgreSQL as well: IMPORT refuses an id past 2^31-1 (as
/// Jackson refuses it for Confluent's `Integer`) and accepts the last one; after it, a registration that needs a new id is refused with
/// 42205, nothing is written, and both replicas stay readable.
/// Two replicas registering at once into two contexts: each context numbers its own ids
/// from 1 without gaps or duplicates, one schema has one id in its context whichever
/// replica registered it, and the default context's ids are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ids_stay_unique_per_context_when_two_replicas_register_into_it_at_once() {
    let (_pg, _logs, replicas) = cluster(2).await;
    let client = authed();
    // Every context with no compatibility check: subjects take any of the schemas.
    let none = json!({"compatibility": "NONE"});
    let (status, _) = put(
        &client,
        &format!("{}/config/:.__GLOBAL:", replicas[0].url),
        &none,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..120 {
        let url = replicas[i % 2].url.clone();
        let client = client.clone();
        tasks.spawn(async move {
            let context = if i % 3 == 0 { ".b" } else { ".a" };
            // 40 distinct schemas per context, each registered by both replicas.
            let schema = record(
                &format!("R{}", (i / 2) % 40),
                r#"[{"name":"a","type":"int"}]"#,
            );
            let subject = format!(":{context}:s{}", i % 7);
            let (status, body) = post(
                &client,
                &format!("{url}/subjects/{subject}/versions"),
                &json!({ "schema": schema }),
            )
            .await
            .expect("registration answered");
            assert_eq!(status, StatusCode::OK, "{subject}: {body}");
            (context, schema, body["id"].as_i64().unwrap())
        });
    }
    let mut ids: std::collections::BTreeMap<(&str, String), i64> = Default::default();
    while let Some(done) = tasks.join_next().await {
        let (context, schema, id) = done.unwrap();
        let known = *ids.entry((context, schema.clone())).or_insert(id);
        assert_eq!(known, id, "one schema, one id in {context}: {schema}");
    }
    for context in [".a", ".b"] {
        let mut used: Vec<i64> = ids
            .iter()
            .filter(|((c, _), _)| *c == context)
            .map(|(_, id)| *id)
            .collect();
        used.sort_unstable();
        let expected: Vec<i64> = (1..=used.len() as i64).collect();
        assert_eq!(
            used, expected,
            "{context} numbers its ids from 1 without gaps"
        );
        // Each id reads back its own schema, on either replica.
        for ((c, schema), id) in ids.iter().filter(|((c, _), _)| *c == context) {
            let (status, body) = get(
                &client,
                &format!("{}/schemas/ids/{id}?subject=:{c}:", replicas[1].url),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let stored: Value = serde_json::from_str(body["schema"].as_str().unwrap()).unwrap();
            let sent: Value = serde_json::from_str(schema).unwrap();
            assert_eq!(stored["name"], sent["name"]);
        }
    }
    let (_, contexts) = get(&client, &format!("{}/contexts", replicas[0].url)).await;
    assert_eq!(contexts, json!([".", ".a", ".b"]));
    let (status, _) = post(
        &client,
        &format!("{}/subjects/plain/versions", replicas[0].url),
        &json!({ "schema": record("P", "[]") }),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    let (_, body) = get(
        &client,
        &format!("{}/subjects/plain/versions/1", replicas[1].url),
    )
    .await;
    assert_eq!(
        body["id"], 1,
        "the default context counts from 1 on its own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schema_ids_stop_at_the_top_of_the_java_int_range_on_postgres() {
    let (_pg, _logs, replicas) = cluster(2).await;
    let client = authed();
    let (a, b) = (&replicas[0].url, &replicas[1].url);
    put(&client, &format!("{a}/mode"), &json!({"mode": "IMPORT"})).await;
    let past = json!({"schema": record("P", "[]"), "id": 2_147_483_648_i64, "version": 1});
    let (s, body) = post(&client, &format!("{a}/subjects/past/versions"), &past)
        .await
        .unwrap();
    // Confluent's `Integer id` does not take it: Jackson's mapping error, 400.
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body,
        json!({"error_code": 400, "message": "Numeric value (2147483648) out of range of int (-2147483648 - 2147483647)"})
    );
    let top = json!({"schema": record("T", "[]"), "id": 2_147_483_647_i64, "version": 1});
    let (s, body) = post(&client, &format!("{a}/subjects/top/versions"), &top)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    put(&client, &format!("{a}/mode"), &json!({"mode": "READWRITE"})).await;
    for url in [a, b] {
        let (s, body) = post(
            &client,
            &format!("{url}/subjects/next/versions"),
            &json!({"schema": record("N", "[]")}),
        )
        .await
        .unwrap();
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error_code"], 42205, "no id is left: {body}");
        assert_eq!(
            get(&client, &format!("{url}/subjects")).await.1,
            json!(["top"])
        );
        let (s, all) = get(&client, &format!("{url}/schemas")).await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(all[0]["id"], 2_147_483_647_i64);
    }
    // A schema that already has an id still registers under a new subject.
    let (s, body) = post(
        &client,
        &format!("{b}/subjects/again/versions"),
        &json!({"schema": record("T", "[]")}),
    )
    .await
    .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["id"], 2_147_483_647_i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_whose_listening_connection_is_killed_still_sees_changes_within_the_bound() {
    let (pg, _logs, replicas) = cluster(2).await;
    let (a, b) = (&replicas[0].url, &replicas[1].url);
    let client = authed();
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]"#,
    );
    post(
        &client,
        &format!("{a}/subjects/s/versions"),
        &json!({"schema": v1}),
    )
    .await
    .unwrap();
    // b holds the subject's versions and its level in memory.
    assert_eq!(
        get(&client, &format!("{b}/subjects/s/versions")).await.1,
        json!([1])
    );
    assert_eq!(
        get(&client, &format!("{b}/config/s?defaultToGlobal=true"))
            .await
            .1["compatibilityLevel"],
        "BACKWARD"
    );
    // Every replica's LISTEN connection is cut; announcements sent before each reconnects
    // are lost to it.
    let pg = Arc::new(pg);
    let killer = Arc::clone(&pg);
    let killed = tokio::task::spawn_blocking(move || {
        killer.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
        )
    })
    .await
    .unwrap();
    assert!(
        killed.parse::<u32>().unwrap() >= 2,
        "one listener per replica: {killed}"
    );
    post(
        &client,
        &format!("{a}/subjects/s/versions"),
        &json!({"schema": v2}),
    )
    .await
    .unwrap();
    put(
        &client,
        &format!("{a}/config/s"),
        &json!({"compatibility": "FULL"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let versions = get(&client, &format!("{b}/subjects/s/versions")).await.1;
        let config = get(&client, &format!("{b}/config/s")).await.1;
        if versions == json!([1, 2]) && config["compatibilityLevel"] == "FULL" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "b still answers {versions} and {config} a second after a's writes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And it listens again: a later write reaches it the usual way.
    client
        .delete(format!("{a}/subjects/s/versions/1"))
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    while get(&client, &format!("{b}/subjects/s/versions")).await.1 != json!([2]) {
        assert!(
            Instant::now() < deadline,
            "b missed the delete after reconnecting"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_replica_sees_what_was_written_while_it_was_down_and_after() {
    let (pg, logs, mut replicas) = cluster(2).await;
    let a = replicas[0].url.clone();
    let client = authed();
    let versions = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| match i {
                0 => r#"{"name":"f0","type":"int"}"#.to_owned(),
                i => format!(r#"{{"name":"f{i}","type":"int","default":{i}}}"#),
            })
            .collect();
        record("R", &format!("[{}]", fields.join(",")))
    };
    let register = |n: usize| {
        let (client, a, schema) = (client.clone(), a.clone(), versions(n));
        async move {
            let (status, body) = post(
                &client,
                &format!("{a}/subjects/s/versions"),
                &json!({ "schema": schema }),
            )
            .await
            .unwrap();
            assert_eq!(status, StatusCode::OK, "{body}");
            body["id"].as_i64().unwrap()
        }
    };
    register(1).await;
    let b = replicas[1].url.clone();
    // b holds the subject's versions in memory.
    assert_eq!(
        get(&client, &format!("{b}/subjects/s/versions")).await.1,
        json!([1])
    );

    // b goes down hard; a writes a version and a level meanwhile.
    let killed = Command::new("kill")
        .args(["-9", &replicas[1].child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = replicas[1].child.wait();
    let id2 = register(2).await;
    put(
        &client,
        &format!("{a}/config/s"),
        &json!({"compatibility": "FULL"}),
    )
    .await;

    // Restarted on the same database, b answers both at once.
    replicas[1] = start_replica(&pg.url(), &logs.path().join("r1-restarted.log")).await;
    let b = replicas[1].url.clone();
    assert_eq!(
        get(&client, &format!("{b}/subjects/s/versions")).await.1,
        json!([1, 2])
    );
    assert_eq!(
        get(&client, &format!("{b}/config/s")).await.1["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        get(&client, &format!("{b}/schemas/ids/{id2}")).await.0,
        StatusCode::OK
    );

    // And it listens again: a's next write reaches it within the README's bound.
    let id3 = register(3).await;
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let latest = get(&client, &format!("{b}/subjects/s/versions/latest"))
            .await
            .1;
        if latest["version"] == 3 && latest["id"] == id3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "b still answers {latest} a second after a's write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
