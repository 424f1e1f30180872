//! The read side as Confluent 8 answers it: `guid`, `ts` and `deleted` in the answers of reads,
//! `offset`/`limit`, `deletedAsNegative`, `latestOnly` and `ruleType`, `fetchMaxId` and
//! `?subject=` on `GET /schemas/ids/{id}`, `latest` with `deleted=true`, the GUID endpoints,
//! and `/v1/metadata/*`.

use reqwest::StatusCode;
use serde_json::json;
use warden_testkit::{TestApp, spawn_app};

/// A record already in Java Avro's canonical text, so it is stored as sent.
const R1: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
/// Its GUID: the MD5 of its text as a UUID (computed with Python's `hashlib` and `uuid`).
const R1_GUID: &str = "e4d94c3f-c345-bad6-d759-ac6f42ea94f7";
const R2: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]}"#;
const R3: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":1},{"name":"c","type":"int","default":2}]}"#;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn three_versions(app: &TestApp, subject: &str) {
    for s in [R1, R2, R3] {
        app.register_ok(subject, s).await;
    }
}

#[tokio::test]
async fn a_version_read_carries_its_guid_registration_time_and_deleted_flag() {
    let app = spawn_app().await;
    let before = now_ms();
    app.register_ok("s", R1).await;
    let after = now_ms();
    let r = app.version("s", "1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["guid"], R1_GUID);
    assert_eq!(r.body["deleted"], false);
    let ts = r.body["ts"].as_i64().expect("ts is a number");
    assert!(
        (before..=after).contains(&ts),
        "{ts} within [{before}, {after}]"
    );
    // The lookup answers the same version.
    let found = app.lookup("s", R1).await;
    assert_eq!(found.body["guid"], R1_GUID);
    assert_eq!(found.body["ts"], ts);
    assert_eq!(found.body["deleted"], false);

    app.register_ok("s", R2).await;
    app.delete("/subjects/s/versions/1").await;
    let r = app.get("/subjects/s/versions/1?deleted=true").await;
    assert_eq!(r.body["deleted"], true);
    assert_eq!(r.body["ts"], ts);
}

#[tokio::test]
async fn the_same_schema_has_one_guid_under_every_subject() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    app.register_ok("a", R1).await;
    app.register_ok("b", R1).await;
    app.register_ok("b", "\"string\"").await;
    assert_eq!(app.version("b", "1").await.body["guid"], R1_GUID);
    assert_eq!(
        app.version("b", "2").await.body["guid"],
        "095d71cf-1255-6b9d-5e33-0ad575b3df5d"
    );
}

#[tokio::test]
async fn a_schema_by_id_carries_its_guid_and_a_version_s_time_and_flag() {
    let app = spawn_app().await;
    app.register_ok("s", R1).await;
    let v1 = app.version("s", "1").await.body;
    let r = app.get("/schemas/ids/1").await;
    assert_eq!(
        r.body,
        json!({"guid": R1_GUID, "schema": R1, "ts": v1["ts"], "deleted": false})
    );
    // Soft-deleted everywhere: the version it reports is deleted.
    app.delete("/subjects/s/versions/1").await;
    let r = app.get("/schemas/ids/1").await;
    assert_eq!(r.body["deleted"], true);
    // Registered again: a live version again.
    app.register_ok("t", R1).await;
    assert_eq!(app.get("/schemas/ids/1").await.body["deleted"], false);
}

#[tokio::test]
async fn a_schema_by_id_with_a_subject_names_that_subject_s_version() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    app.register_ok("a", "\"string\"").await;
    app.register_ok("b", R1).await;
    app.register_ok("a", R1).await;
    let r = app.get("/schemas/ids/2?subject=a").await;
    assert_eq!(r.body["subject"], "a");
    assert_eq!(r.body["version"], 2);
    let r = app.get("/schemas/ids/2?subject=b").await;
    assert_eq!(r.body["subject"], "b");
    assert_eq!(r.body["version"], 1);
    // A subject that does not use the schema: another version of it, as Confluent falls back.
    let r = app.get("/schemas/ids/2?subject=zzz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["subject"], "a");
    // Without a subject: neither.
    let r = app.get("/schemas/ids/2").await;
    assert!(r.body.get("subject").is_none() && r.body.get("version").is_none());
}

#[tokio::test]
async fn fetch_max_id_adds_the_highest_schema_id() {
    let app = spawn_app().await;
    three_versions(&app, "s").await;
    let r = app.get("/schemas/ids/1?fetchMaxId=true").await;
    assert_eq!(r.body["maxId"], 3);
    assert_eq!(r.body["guid"], R1_GUID);
    assert!(
        app.get("/schemas/ids/1?fetchMaxId=false")
            .await
            .body
            .get("maxId")
            .is_none()
    );
    assert_eq!(
        app.get("/schemas/ids/3?fetchMaxId=TRUE").await.body["maxId"],
        3
    );
}

#[tokio::test]
async fn a_schema_is_found_by_its_guid_in_any_of_its_spellings() {
    let app = spawn_app().await;
    app.register_ok("s", R1).await;
    let by_id = app.get("/schemas/ids/1").await.body;
    for guid in [
        R1_GUID.to_owned(),
        R1_GUID.to_uppercase(),
        R1_GUID.replace('-', ""),
    ] {
        let r = app.get(&format!("/schemas/guids/{guid}")).await;
        assert_eq!(r.status, StatusCode::OK, "{guid}");
        assert_eq!(r.body, by_id, "{guid}");
    }
    let ids = app.get(&format!("/schemas/guids/{R1_GUID}/ids")).await;
    assert_eq!(ids.status, StatusCode::OK);
    assert_eq!(ids.body, json!([{"context": ".", "id": 1}]));
}

#[tokio::test]
async fn an_unknown_guid_is_40403_and_has_no_ids() {
    let app = spawn_app().await;
    app.register_ok("s", R1).await;
    for guid in ["095d71cf-1255-6b9d-5e33-0ad575b3df5d", "not-a-guid"] {
        let r = app.get(&format!("/schemas/guids/{guid}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{guid}");
        assert_eq!(
            r.body,
            json!({"error_code": 40403, "message": format!("Schema {guid} not found")})
        );
        let ids = app.get(&format!("/schemas/guids/{guid}/ids")).await;
        assert_eq!(ids.status, StatusCode::OK);
        assert_eq!(ids.body, json!([]));
    }
}

#[tokio::test]
async fn lists_are_paged_by_offset_and_limit() {
    let app = spawn_app().await;
    three_versions(&app, "s").await;
    app.register_ok("t", R1).await;
    app.register_ok("u", R1).await;
    let cases = [
        ("/subjects?offset=1&limit=1", json!(["t"])),
        ("/subjects?offset=1", json!(["t", "u"])),
        ("/subjects?limit=0", json!(["s", "t", "u"])),
        ("/subjects?limit=-5&offset=2", json!(["u"])),
        ("/subjects?offset=9", json!([])),
        ("/subjects?offset=&limit=", json!(["s", "t", "u"])),
        ("/subjects/s/versions?offset=1&limit=1", json!([2])),
        ("/subjects/s/versions?offset=2", json!([3])),
        ("/schemas/ids/1/subjects?offset=1", json!(["t", "u"])),
        (
            "/schemas/ids/1/versions?limit=2",
            json!([{"subject": "s", "version": 1}, {"subject": "t", "version": 1}]),
        ),
    ];
    for (path, expected) in cases {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.body, expected, "{path}");
    }
    let r = app.get("/schemas?offset=2&limit=2").await;
    let got: Vec<(String, i64)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_owned(),
                e["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![("s".to_owned(), 3), ("t".to_owned(), 1)]);
}

#[tokio::test]
async fn an_offset_or_limit_that_is_not_an_int_is_404() {
    let app = spawn_app().await;
    app.register_ok("s", R1).await;
    for path in [
        "/subjects?offset=x",
        "/subjects?limit=1.5",
        "/schemas?limit=99999999999",
        "/subjects/s/versions?offset=one",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            r.body,
            json!({"error_code": 404, "message": "HTTP 404 Not Found"}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn deleted_as_negative_lists_soft_deleted_versions_as_negatives() {
    let app = spawn_app().await;
    three_versions(&app, "s").await;
    app.delete("/subjects/s/versions/2").await;
    let r = app.get("/subjects/s/versions?deletedAsNegative=true").await;
    assert_eq!(r.body, json!([1, -2, 3]));
    let r = app
        .get("/subjects/s/versions?deletedAsNegative=true&deletedOnly=true&offset=1&limit=1")
        .await;
    assert_eq!(r.body, json!([-2]));
    // Every version soft-deleted: 40401 unless deleted or deletedOnly says to look at them.
    app.delete("/subjects/s").await;
    let r = app.get("/subjects/s/versions?deletedAsNegative=true").await;
    assert_eq!(r.error_code(), 40401);
    let r = app
        .get("/subjects/s/versions?deletedAsNegative=true&deleted=true")
        .await;
    assert_eq!(r.body, json!([-1, -2, -3]));
}

#[tokio::test]
async fn latest_is_the_newest_live_version_even_with_deleted() {
    let app = spawn_app().await;
    three_versions(&app, "s").await;
    app.delete("/subjects/s/versions/3").await;
    let r = app.get("/subjects/s/versions/latest?deleted=true").await;
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["deleted"], false);
    let r = app.get("/subjects/s/versions/-1?deleted=true").await;
    assert_eq!(r.body["version"], 2);
    // A soft-deleted version is read by its number.
    let r = app.get("/subjects/s/versions/3?deleted=true").await;
    assert_eq!(r.body["deleted"], true);
    // Every version soft-deleted: latest is 40402 with deleted, 40401 without.
    app.delete("/subjects/s").await;
    let r = app.get("/subjects/s/versions/latest?deleted=true").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body,
        json!({"error_code": 40402, "message": "Version -1 not found."})
    );
    assert_eq!(
        app.get("/subjects/s/versions/latest").await.error_code(),
        40401
    );
}

#[tokio::test]
async fn schemas_list_latest_only_rule_type_and_the_fields_of_each_version() {
    let app = spawn_app().await;
    three_versions(&app, "s").await;
    app.register_body(
        "t",
        &json!({"schema": R1, "ruleSet": {"domainRules": [
            {"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}
        ]}}),
    )
    .await;
    app.delete("/subjects/s/versions/3").await;
    let versions = |r: &warden_testkit::Reply| -> Vec<(String, i64, bool)> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["subject"].as_str().unwrap().to_owned(),
                    e["version"].as_i64().unwrap(),
                    e["deleted"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let r = app.get("/schemas?latestOnly=true").await;
    assert_eq!(
        versions(&r),
        vec![("s".to_owned(), 2, false), ("t".to_owned(), 1, false)]
    );
    let r = app.get("/schemas?latestOnly=true&deleted=true").await;
    assert_eq!(
        versions(&r),
        vec![("s".to_owned(), 3, true), ("t".to_owned(), 1, false)]
    );
    let r = app.get("/schemas?ruleType=CEL").await;
    assert_eq!(versions(&r), vec![("t".to_owned(), 1, false)]);
    assert!(r.body[0]["guid"].is_string() && r.body[0]["ts"].is_i64());
    assert_eq!(r.body[0]["ruleSet"]["domainRules"][0]["type"], "CEL");
    assert_eq!(app.get("/schemas?ruleType=cel").await.body, json!([]));
    let r = app.get("/schemas?subjectPrefix=s&deleted=true").await;
    assert_eq!(r.body[0]["guid"], R1_GUID);
    assert_eq!(versions(&r).len(), 3);
}

#[tokio::test]
async fn server_metadata_answers_as_confluent_s_server_metadata_resource() {
    let app = spawn_app().await;
    let r = app.get("/v1/metadata/id").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"scope": {"path": [], "clusters": {
            "kafka-cluster": null, "schema-registry-cluster": "schema-registry"}}})
    );
    let r = app.get("/v1/metadata/version").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], env!("CARGO_PKG_VERSION"));
    let r = app.get("/v1/metadata/deployment").await;
    assert_eq!(r.body, json!({"attributes": []}));
}

#[tokio::test]
async fn the_register_answer_carries_the_guid_without_ts_or_deleted() {
    let app = spawn_app().await;
    let r = app.register("s", R1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["guid"], R1_GUID);
    assert!(r.body.get("ts").is_none() && r.body.get("deleted").is_none());
    // The same schema again: the same answer.
    assert_eq!(app.register("s", R1).await.body["guid"], R1_GUID);
}

#[tokio::test]
async fn the_answer_to_a_new_version_is_what_reads_of_it_answer() {
    let app = spawn_app().await;
    app.register_ok("user", R1).await;
    // A new version with metadata (merged with `confluent:version`), a rule set and a
    // reference, under a subject with an earlier version; and the same request under a new
    // subject.
    let body = json!({
        "schema": r#"{"type":"record","name":"Team","fields":[{"name":"lead","type":"R"}]}"#,
        "references": [{"name": "R", "subject": "user", "version": 1}],
        "metadata": {"properties": {"owner": "team-a"}},
        "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}]},
        "version": -1,
    });
    let first = app
        .register_body(
            "team",
            &json!({"schema": body["schema"], "references": body["references"]}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    for subject in ["team", "team-copy"] {
        let answer = app.register_body(subject, &body).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let read = app.version(subject, "latest").await;
        for field in [
            "id",
            "version",
            "guid",
            "schema",
            "references",
            "metadata",
            "ruleSet",
        ] {
            assert_eq!(answer.body[field], read.body[field], "{subject}: {field}");
        }
        let by_id = app
            .get(&format!("/schemas/ids/{}", answer.body["id"]))
            .await;
        assert_eq!(answer.body["guid"], by_id.body["guid"], "{subject}");
    }
}

#[tokio::test]
async fn a_guid_names_the_schema_s_id_in_every_context_that_has_it() {
    let app = spawn_app().await;
    app.register_ok(":.ctx:u", "\"string\"").await;
    app.register_ok(":.ctx:t", R1).await;
    let only_in_ctx = app.get(&format!("/schemas/guids/{R1_GUID}/ids")).await;
    assert_eq!(only_in_ctx.body, json!([{"context": ".ctx", "id": 2}]));
    let r = app.get(&format!("/schemas/guids/{R1_GUID}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["schema"], R1);
    app.register_ok("s", R1).await;
    let both = app.get(&format!("/schemas/guids/{R1_GUID}/ids")).await;
    assert_eq!(
        both.body,
        json!([{"context": ".", "id": 1}, {"context": ".ctx", "id": 2}])
    );
}

/// Two replicas of one PostgreSQL database: a soft delete made through one changes the
/// `deleted` flag the other answers by id, though it cached the schema before.
#[tokio::test]
async fn a_soft_delete_on_one_replica_reaches_the_others_answers_by_id() {
    let pg = tokio::task::spawn_blocking(warden_testkit::postgres::TempPostgres::start)
        .await
        .unwrap();
    let url = pg.url();
    // Declared after the database, so the servers stop first.
    let a = warden_testkit::spawn_app_with(|s| s.database_url = url.clone()).await;
    let b = warden_testkit::spawn_app_with(|s| s.database_url = url).await;
    a.register_ok("s", R1).await;
    assert_eq!(b.get("/schemas/ids/1").await.body["deleted"], false);
    assert_eq!(
        a.delete("/subjects/s/versions/1").await.status,
        StatusCode::OK
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if b.get("/schemas/ids/1").await.body["deleted"] == true {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other replica still answers deleted: false"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn fetch_max_id_counts_in_the_context_of_the_schema_read() {
    let app = spawn_app().await;
    app.register_ok("s", R1).await;
    app.set_level(None, "NONE").await;
    for text in [R1, R2, R3] {
        app.register_ok(":.ctx:t", text).await;
    }
    let r = app.get("/schemas/ids/1?fetchMaxId=true").await;
    assert_eq!(r.body["maxId"], 1, "the default context has one schema");
    let r = app
        .get("/schemas/ids/1?fetchMaxId=true&subject=:.ctx:t")
        .await;
    assert_eq!(
        (r.body["subject"].clone(), r.body["maxId"].clone()),
        (json!(":.ctx:t"), json!(3))
    );
}
