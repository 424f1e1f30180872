//! Every executor's failure actions, beside the `CEL` condition's own test (`rules.rs`):
//! `CEL_FIELD` conditions, `ENCRYPT` and `JSONATA` migration rules each pass, refuse with
//! `ERROR`, let the record through with `NONE`, refuse and mark it for the dead-letter topic
//! with `DLQ` (carrying the record and the rule's `dlq.topic`), and are skipped when
//! `disabled`.

use serde_json::{Value, json};
use warden_serde::{
    AvroSerializer, GenericDeserializer, ReaderVersion, RegistryClient, RuleMode, SerdeError,
    SerializationContext,
};
use warden_testkit::spawn_app;

use crate::encryption::{
    customer, encrypt_rule, latest, raw_record, refused, register, use_local_kms,
};
use crate::rules::{avro_writer, ctx, order};

/// `rule` with `onFailure` (when given), `disabled` and a `dlq.topic` parameter.
fn with_action(mut rule: Value, on_failure: Option<&str>, disabled: bool) -> Value {
    if let Some(action) = on_failure {
        rule["onFailure"] = json!(action);
    }
    rule["disabled"] = json!(disabled);
    let params = rule["params"].as_object().cloned().unwrap_or_default();
    rule["params"] = Value::Object(params);
    rule["params"]["dlq.topic"] = json!("dead-letters");
    rule
}

#[tokio::test]
async fn a_cel_field_condition_passes_errors_lets_through_with_none_dead_letters_and_skips_when_disabled()
 {
    let email_rule = |on_failure, disabled| {
        with_action(
            json!({"name": "knownDomain", "kind": "CONDITION", "mode": "WRITE",
                   "type": "CEL_FIELD", "tags": ["PII"],
                   "expr": "value.endsWith('@example.com')"}),
            on_failure,
            disabled,
        )
    };
    let stranger = order(10.0, "a@elsewhere.org");
    for (on_failure, disabled, refused_with_dlq) in [
        (None, false, Some(false)),
        (Some("ERROR"), false, Some(false)),
        (Some("NONE"), false, None),
        (Some("DLQ"), false, Some(true)),
        (Some("ERROR"), true, None),
    ] {
        let case = format!("{on_failure:?} disabled={disabled}");
        let (_app, ser, _) = avro_writer(
            json!({"domainRules": [email_rule(on_failure, disabled)]}),
            Value::Null,
        )
        .await;
        assert!(
            ser.serialize_json(&ctx(), &order(1.0, "a@example.com"))
                .await
                .is_ok(),
            "{case}: a passing record"
        );
        let result = ser.serialize_json(&ctx(), &stranger).await;
        match refused_with_dlq {
            None => assert!(result.is_ok(), "{case}: {result:?}"),
            Some(dead_letter) => {
                let failure = refused(result);
                assert_eq!(failure.rule, "knownDomain", "{case}");
                assert_eq!(failure.field.as_deref(), Some("acme.Order.email"), "{case}");
                assert_eq!(failure.dead_letter, dead_letter, "{case}");
                if dead_letter {
                    assert_eq!(failure.dlq_topic.as_deref(), Some("dead-letters"));
                    assert_eq!(failure.record.unwrap()["email"], json!("a@elsewhere.org"));
                }
            }
        }
    }
}

#[tokio::test]
async fn a_failing_encrypt_rule_with_dlq_refuses_and_marks_the_record_for_the_dead_letter_topic() {
    use_local_kms();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("dlqkek");
    // No KEK name: the rule cannot get its key.
    let mut rule = with_action(encrypt_rule("AES256_GCM", "DLQ"), None, false);
    rule["params"] = json!({"dlq.topic": "dead-letters"});
    register(&app, "dlqkek-value", vec![rule.clone()]).await;
    let failure = refused(
        AvroSerializer::from_registry(client.clone(), latest())
            .serialize_json(&ctx, &customer("123-45-6789"))
            .await,
    );
    assert_eq!(failure.rule, "encryptPII");
    assert!(failure.dead_letter);
    assert_eq!(failure.dlq_topic.as_deref(), Some("dead-letters"));
    assert_eq!(
        failure.record.unwrap()["ssn"],
        json!("123-45-6789"),
        "the record as it was, unencrypted"
    );
    // And with the KEK named, the same rule encrypts.
    let working = with_action(encrypt_rule("AES256_GCM", "DLQ"), None, false);
    register(&app, "dlqkek-value", vec![working]).await;
    let bytes = AvroSerializer::from_registry(client, latest())
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    assert_ne!(raw_record(&bytes)["ssn"], json!("123-45-6789"));
}

#[tokio::test]
async fn a_failing_jsonata_migration_errors_lets_through_with_none_dead_letters_and_skips_when_disabled()
 {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let reader = GenericDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    let v1 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"size","type":"int"}]}"#;
    let v2 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"height","type":"int"}]}"#;
    for (n, (on_failure, disabled, refused_with_dlq)) in [
        (Some("ERROR"), false, Some(false)),
        (Some("NONE"), false, None),
        (Some("DLQ"), false, Some(true)),
        (Some("ERROR"), true, None),
        // The same migration that parses: the record is upgraded.
        (None, false, None),
    ]
    .into_iter()
    .enumerate()
    {
        let case = format!("{on_failure:?} disabled={disabled}");
        // A subject per case: a migration runs every version's rules from the writer's to
        // the reader's.
        let topic = format!("shoes{n}");
        let subject = format!("{topic}-value");
        let r = app
            .request(
                reqwest::Method::PUT,
                &format!("/config/{subject}"),
                Some(&json!({"compatibility": "NONE"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.register_body(&subject, &json!({"schema": v1})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let context = SerializationContext::value(&topic);
        let written = AvroSerializer::from_registry(client.clone(), latest())
            .serialize_json(&context, &json!({"id": "s1", "size": 42}))
            .await
            .unwrap();
        let expr = if on_failure.is_some() {
            "$merge([{'id': id, 'height': size}"
        } else {
            "$merge([{'id': id, 'height': size}])"
        };
        let rule = with_action(
            json!({"name": "sizeToHeight", "type": "JSONATA", "mode": "UPGRADE", "expr": expr}),
            on_failure,
            disabled,
        );
        let r = app
            .register_body(
                &subject,
                &json!({"schema": v2, "ruleSet": {"migrationRules": [rule]}}),
            )
            .await;
        assert_eq!(r.status, 200, "{case}: {}", r.text);
        let result = reader.deserialize_in(&context, &written).await;
        match refused_with_dlq {
            Some(dead_letter) => {
                let failure = refused(result);
                assert_eq!(failure.rule, "sizeToHeight", "{case}");
                assert_eq!(failure.mode, RuleMode::Upgrade, "{case}");
                assert_eq!(failure.dead_letter, dead_letter, "{case}");
                if dead_letter {
                    assert_eq!(failure.dlq_topic.as_deref(), Some("dead-letters"));
                    assert_eq!(failure.record.unwrap()["size"], json!(42));
                }
            }
            None if on_failure.is_none() => {
                let read = result.unwrap();
                assert_eq!(read.value, json!({"id": "s1", "height": 42}), "{case}");
            }
            None if disabled => {
                // No migration step: the record is read by Avro schema resolution, as
                // Confluent's deserializers read it, and v2's `height` has no default.
                match result {
                    Err(SerdeError::Undecodable { message, .. }) => {
                        assert!(message.contains("height"), "{case}: {message}");
                    }
                    other => panic!("{case}: {other:?}"),
                }
            }
            None => {
                // The failure let through: the record as written.
                let read = result.unwrap();
                assert_eq!(read.value["size"], json!(42), "{case}");
            }
        }
    }
}
