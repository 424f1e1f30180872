//! `warden produce` and `warden consume` against a real broker (Tansu) and a spawned
//! registry: valid lines reach the topic, refused lines are named with their field path, and
//! the consumer prints the records decoded.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn warden(args: &[&str], stdin: &str, broker: &Broker, registry: &str) -> Run {
    warden_with(args, stdin, broker, registry, &[])
}

/// [`warden`] with environment variables set (e.g. `LOCAL_SECRET`, the local KMS's secret).
fn warden_with(
    args: &[&str],
    stdin: &str,
    broker: &Broker,
    registry: &str,
    env: &[(&str, &str)],
) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command
        .args(args)
        .env("WARDEN_BOOTSTRAP_SERVERS", &broker.bootstrap_servers)
        .env("WARDEN_REGISTRY_URL", registry)
        .env_remove("WARDEN_REGISTRY_AUTH")
        .env_remove("RUST_LOG")
        .env_remove("LOCAL_SECRET")
        .envs(env.iter().copied());
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warden runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const AVRO: &str = r#"{"type":"record","name":"Signup","namespace":"acme","fields":[
  {"name":"id","type":"string"},{"name":"email","type":"string"},{"name":"quantity","type":"int"}]}"#;
const JSON_SCHEMA: &str = r#"{"type":"object","additionalProperties":false,
  "required":["id","email","quantity"],
  "properties":{"id":{"type":"string"},"email":{"type":"string"},"quantity":{"type":"integer"}}}"#;
const PROTO: &str = "syntax = \"proto3\";\npackage acme;\nmessage Signup {\n  string id = 1;\n  string email = 2;\n  int32 quantity = 3;\n}\n";

// Multi-threaded: the in-process registry answers while the test waits on a `warden` process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_refuses_invalid_lines_by_field_and_consume_prints_the_valid_ones_in_every_format()
{
    let broker = Broker::start();
    let app = spawn_app().await;
    for (format, schema_type, schema) in [
        ("avro", "AVRO", AVRO),
        ("json", "JSON", JSON_SCHEMA),
        ("protobuf", "PROTOBUF", PROTO),
    ] {
        let topic = format!("signups-{format}");
        // Avro's topic is made by `warden produce --create-topic`.
        if format != "avro" {
            broker.create_topic(&topic).await;
        }
        let registered = app
            .register_body(
                &format!("{topic}-value"),
                &json!({"schemaType": schema_type, "schema": schema}),
            )
            .await;
        assert_eq!(registered.status, 200, "{}", registered.text);

        let valid = [
            json!({"id": "a", "email": "a@example.com", "quantity": 1}),
            json!({"id": "d", "email": "d@example.com", "quantity": 4}),
        ];
        let lines = format!(
            "{}\n{}\nnot json\n{}\n",
            valid[0],
            json!({"id": "b", "email": "b@example.com", "quantity": "many"}),
            valid[1]
        );
        let produced = warden(
            &[
                "produce",
                "--topic",
                &topic,
                "--format",
                format,
                "--create-topic",
            ],
            &lines,
            &broker,
            &app.address,
        );
        assert_eq!(produced.code, 1, "{format}: {}", produced.stderr);
        assert!(
            produced.stderr.contains("line 2: refused: /quantity"),
            "{format}: the refused line names the field: {}",
            produced.stderr
        );
        assert!(
            produced.stderr.contains("line 3: refused: not JSON"),
            "{format}: {}",
            produced.stderr
        );
        assert!(
            produced.stderr.contains("produced 2 records"),
            "{format}: {}",
            produced.stderr
        );

        // More records asked for than exist: the timeout ends the run.
        let consumed = warden(
            &[
                "consume",
                "--topic",
                &topic,
                "--from-beginning",
                "--max-messages",
                "5",
                "--timeout-ms",
                "3000",
            ],
            "",
            &broker,
            &app.address,
        );
        assert_eq!(consumed.code, 0, "{format}: {}", consumed.stderr);
        let values: Vec<Value> = consumed
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(
            values, valid,
            "{format}: only the valid lines reached the topic"
        );
    }
}

// Multi-threaded: the in-process registry answers while the test waits on a `warden` process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_without_a_schema_to_another_format_or_to_a_missing_topic_exits_2_with_one_line() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let missing = warden(
        &["produce", "--topic", "nothing-here"],
        "{}\n",
        &broker,
        &app.address,
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("subject 'nothing-here-value'"),
        "{}",
        missing.stderr
    );
    assert_eq!(
        missing.stderr.trim().lines().count(),
        1,
        "{}",
        missing.stderr
    );

    app.register_ok("avro-topic-value", AVRO).await;
    let wrong = warden(
        &["produce", "--topic", "avro-topic", "--format", "json"],
        "{}\n",
        &broker,
        &app.address,
    );
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("holds a AVRO schema"),
        "{}",
        wrong.stderr
    );
}

// Multi-threaded: the in-process registry answers while the test waits on a `warden` process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_with_the_guid_in_a_header_and_consume_reads_both_framings() {
    let broker = Broker::start();
    let app = spawn_app().await;
    for (format, schema_type, schema) in [("avro", "AVRO", AVRO), ("protobuf", "PROTOBUF", PROTO)] {
        let topic = format!("guid-signups-{format}");
        broker.create_topic(&topic).await;
        let registered = app
            .register_body(
                &format!("{topic}-value"),
                &json!({"schemaType": schema_type, "schema": schema}),
            )
            .await;
        assert_eq!(registered.status, 200, "{}", registered.text);
        let id = registered.body["id"].clone();
        let values = [
            json!({"id": "h", "email": "h@example.com", "quantity": 1}),
            json!({"id": "p", "email": "p@example.com", "quantity": 2}),
        ];
        for (framing, value) in ["header", "prefix"].iter().zip(&values) {
            let produced = warden(
                &["produce", "--topic", &topic, "--schema-id-in", framing],
                &format!("{value}\n"),
                &broker,
                &app.address,
            );
            assert_eq!(produced.code, 0, "{format} {framing}: {}", produced.stderr);
        }
        let consumed = warden(
            &[
                "consume",
                "--topic",
                &topic,
                "--from-beginning",
                "--max-messages",
                "2",
                "--timeout-ms",
                "10000",
                "--print-metadata",
            ],
            "",
            &broker,
            &app.address,
        );
        assert_eq!(consumed.code, 0, "{format}: {}", consumed.stderr);
        let lines: Vec<Value> = consumed
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2, "{format}: {}", consumed.stdout);
        for (line, value) in lines.iter().zip(&values) {
            assert_eq!(&line["value"], value, "{format}");
            assert_eq!(line["schemaId"], id, "{format}: the id behind the GUID");
        }
    }
    let refused = warden(
        &[
            "produce",
            "--topic",
            "guid-signups-avro",
            "--schema-id-in",
            "nowhere",
        ],
        "",
        &broker,
        &app.address,
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_runs_the_subjects_rules_naming_the_rule_and_field_and_consume_runs_read_rules() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = "contract-signups";
    broker.create_topic(topic).await;
    broker.create_topic("contract-dlq").await;
    let rules = json!({"domainRules": [
        {"name": "emailShape", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.isEmail()"},
        {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.quantity > 0", "onFailure": "DLQ"},
        {"name": "hideEmail", "kind": "TRANSFORM", "mode": "READ", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "'<redacted>'"}
    ]});
    let registered = app
        .register_body(
            &format!("{topic}-value"),
            &json!({"schema": AVRO, "ruleSet": rules,
                    "metadata": {"tags": {"acme.Signup.email": ["PII"]}}}),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    let lines = format!(
        "{}\n{}\n{}\n",
        json!({"id": "a", "email": "a@example.com", "quantity": 1}),
        json!({"id": "b", "email": "not an address", "quantity": 1}),
        json!({"id": "c", "email": "c@example.com", "quantity": 0}),
    );
    let produced = warden(
        &[
            "produce",
            "--topic",
            topic,
            "--dead-letter-topic",
            "contract-dlq",
        ],
        &lines,
        &broker,
        &app.address,
    );
    assert_eq!(produced.code, 1, "{}", produced.stderr);
    assert!(
        produced
            .stderr
            .contains("line 2: refused: rule 'emailShape' (CEL_FIELD on WRITE) refused field acme.Signup.email"),
        "the rule and the field are named: {}",
        produced.stderr
    );
    assert!(
        produced
            .stderr
            .contains("line 3: refused (sent to contract-dlq): rule 'positive'"),
        "{}",
        produced.stderr
    );
    assert!(
        produced.stderr.contains("produced 1 record"),
        "{}",
        produced.stderr
    );

    let consumed = warden(
        &[
            "consume",
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            "1",
            "--timeout-ms",
            "20000",
        ],
        "",
        &broker,
        &app.address,
    );
    assert_eq!(consumed.code, 0, "{}", consumed.stderr);
    let value: Value = serde_json::from_str(consumed.stdout.trim()).unwrap();
    assert_eq!(
        value,
        json!({"id": "a", "email": "<redacted>", "quantity": 1}),
        "the READ transform ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_with_use_latest_version_reads_older_records_through_the_migration_rules() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = "migrating-shoes";
    broker.create_topic(topic).await;
    let subject = format!("{topic}-value");
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("/config/{subject}"),
            Some(&json!({"compatibility": "NONE"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v1 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"size","type":"int"}]}"#;
    assert_eq!(
        app.register_body(&subject, &json!({"schema": v1}))
            .await
            .status,
        200
    );
    let produced = warden(
        &["produce", "--topic", topic],
        &format!("{}\n", json!({"id": "s1", "size": 42})),
        &broker,
        &app.address,
    );
    assert_eq!(produced.code, 0, "{}", produced.stderr);
    let v2 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"height","type":"int"}]}"#;
    let r = app
        .register_body(
            &subject,
            &json!({"schema": v2, "ruleSet": {"migrationRules": [{"name": "rename",
                "type": "JSONATA", "mode": "UPGRADE", "expr": "$merge([{'id': id, 'height': size}])"}]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let args = [
        "consume",
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        "1",
        "--timeout-ms",
        "20000",
    ];
    let as_written = warden(&args, "", &broker, &app.address);
    assert_eq!(
        as_written.stdout.trim(),
        json!({"id": "s1", "size": 42}).to_string(),
        "{}",
        as_written.stderr
    );
    let mut latest = args.to_vec();
    latest.push("--use-latest-version");
    let upgraded = warden(&latest, "", &broker, &app.address);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    // Compared as JSON: the migration's object comes out with its keys in its own order.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(upgraded.stdout.trim()).unwrap(),
        json!({"id": "s1", "height": 42})
    );
}

/// Field-level encryption end to end through the broker: `warden produce` encrypts the
/// PII-tagged field with a DEK it creates under the KEK (wrapped by the local KMS of
/// `LOCAL_SECRET`), `warden consume` with the same secret prints the plaintext, and one with
/// another secret, or none, cannot decrypt and names the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_encrypts_tagged_fields_and_consume_decrypts_them_with_the_kms_secret() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = "encrypted-signups";
    broker.create_topic(topic).await;
    let subject = format!("{topic}-value");
    let rules = json!({"domainRules": [
        {"name": "encryptPII", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "ENCRYPT",
         "tags": ["PII"], "params": {"encrypt.kek.name": "signups-kek",
         "encrypt.kms.type": "local-kms", "encrypt.kms.key.id": "signups-key"}}
    ]});
    let registered = app
        .register_body(
            &subject,
            &json!({"schema": AVRO, "ruleSet": rules,
                    "metadata": {"tags": {"acme.Signup.email": ["PII"]}}}),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    let secret = [("LOCAL_SECRET", "signups-secret")];
    let lines = [
        json!({"id": "a", "email": "a@example.com", "quantity": 1}),
        json!({"id": "b", "email": "b@example.com", "quantity": 2}),
    ];
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let produced = warden_with(
        &["produce", "--topic", topic],
        &input,
        &broker,
        &app.address,
        &secret,
    );
    assert_eq!(produced.code, 0, "{}", produced.stderr);

    // The producer created the KEK and the subject's DEK, wrapped by its KMS: the registry
    // holds no key material of a KEK that is not shared.
    let dek = app
        .get(&format!("/dek-registry/v1/keks/signups-kek/deks/{subject}"))
        .await;
    assert_eq!(dek.status, 200, "{}", dek.text);
    assert!(
        dek.body["encryptedKeyMaterial"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(dek.body.get("keyMaterial").is_none(), "{}", dek.text);

    let args = [
        "consume",
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        "2",
        "--timeout-ms",
        "20000",
    ];
    let decrypted = warden_with(&args, "", &broker, &app.address, &secret);
    assert_eq!(decrypted.code, 0, "{}", decrypted.stderr);
    let values: Vec<Value> = decrypted
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        values, lines,
        "the tagged field decrypted, the others untouched"
    );

    for env in [&[("LOCAL_SECRET", "another-secret")][..], &[]] {
        let refused = warden_with(&args, "", &broker, &app.address, env);
        assert_eq!(refused.code, 1, "{env:?}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("encryptPII"),
            "{env:?}: the failing rule is named: {}",
            refused.stderr
        );
        assert!(
            !refused.stdout.contains("@example.com"),
            "{env:?}: no plaintext without the key: {}",
            refused.stdout
        );
    }
}
