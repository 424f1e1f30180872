//! Real input: the Avro schemas of `../shared/corpus/avro` (Apache Avro, Apicurio, AWS Glue
//! test schemas), as the corpus manifest classifies them.

use std::path::PathBuf;

use serde_json::Value;
use warden_testkit::spawn_app;

fn corpus() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"))
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.json")).expect("corpus manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

fn pcf(text: &str) -> String {
    warden_core::avro::AvroSchema::parse(text, &[])
        .expect("parses")
        .parsing_canonical_form()
}

#[tokio::test]
async fn every_valid_corpus_avro_schema_registers_and_round_trips_by_id() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let mut registered = 0;
    let mut failures = Vec::new();
    for entry in manifest() {
        let standalone = entry["format"] == "avro"
            && entry["kind"] == "schema"
            && entry["expect"] != "invalid"
            && entry["check_fastavro"] == "ok";
        if !standalone {
            continue;
        }
        let file = entry["file"].as_str().unwrap();
        let text = std::fs::read_to_string(corpus().join(file)).unwrap();
        let subject = file.replace('/', "_");
        let r = app.register(&subject, &text).await;
        if r.status != reqwest::StatusCode::OK {
            failures.push(format!("{file}: {}", r.text));
            continue;
        }
        let id = r.body["id"].as_i64().unwrap();
        let by_id = app.get(&format!("/schemas/ids/{id}")).await;
        let returned = by_id.body["schema"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: {}", by_id.text));
        assert_eq!(
            pcf(returned),
            pcf(&text),
            "{file}: same schema after the round trip"
        );
        // The returned text is the schema's identity: registering it again is the same id.
        assert_eq!(app.register_ok(&subject, returned).await, id, "{file}");
        registered += 1;
    }
    assert!(
        failures.is_empty(),
        "{} refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        registered >= 200,
        "only {registered} corpus schemas were tried"
    );
}

#[tokio::test]
async fn every_invalid_corpus_avro_schema_is_refused_with_42201() {
    let app = spawn_app().await;
    let mut refused = 0;
    for entry in manifest() {
        if entry["format"] != "avro" || entry["expect"] != "invalid" {
            continue;
        }
        let file = entry["file"].as_str().unwrap();
        let text = std::fs::read_to_string(corpus().join(file)).unwrap();
        let r = app.register("invalid", &text).await;
        assert_eq!(r.error_code(), 42201, "{file} must be refused: {}", r.text);
        refused += 1;
    }
    assert!(
        refused >= 10,
        "only {refused} invalid schemas in the corpus"
    );
    assert_eq!(
        app.get("/subjects?deleted=true").await.body,
        serde_json::json!([])
    );
}
