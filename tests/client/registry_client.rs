//! `RegistryClient` against a spawned registry: every call the serializers and the CLI use,
//! caching, references, errors and an unreachable registry.

use std::time::{Duration, Instant};

use warden_client::{ClientError, RegisterOptions, RegistryClient, UnregisteredSchema};
use warden_core::api::{ConfigUpdateRequest, SchemaReference};
use warden_core::{ErrorCode, Mode, SchemaId, SchemaType, Subject, Version};
use warden_testkit::spawn_app;

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}"#;
const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"address","type":"acme.Address"}]}"#;

fn avro(text: &str) -> UnregisteredSchema {
    UnregisteredSchema::new(SchemaType::Avro, text)
}

fn subject(name: &str) -> Subject {
    Subject::parse(name).expect("a valid subject")
}

fn version(n: i64) -> Version {
    Version::new(n).expect("a valid version")
}

fn names(subjects: &[Subject]) -> Vec<&str> {
    subjects.iter().map(Subject::as_str).collect()
}

#[tokio::test]
async fn register_lookup_and_get_by_id_agree() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = avro(ADDRESS);
    let address = subject("address-value");
    let id = client.register(&address, &schema).await.unwrap();
    assert_eq!(client.register(&address, &schema).await.unwrap(), id);
    let found = client.lookup(&address, &schema).await.unwrap();
    assert_eq!((found.id, found.version), (id, Version::FIRST));
    assert_eq!(found.subject, address);
    let by_id = client.schema_by_id(id).await.unwrap();
    assert_eq!(by_id.schema, ADDRESS);
    assert_eq!(client.latest(&address).await.unwrap().id, id);
    assert_eq!(client.version(&address, version(1)).await.unwrap().id, id);
    assert_eq!(
        names(&client.subjects(false).await.unwrap()),
        ["address-value"]
    );
    assert_eq!(
        client.versions(&address, false).await.unwrap(),
        [Version::FIRST]
    );
    assert_eq!(client.schemas(false).await.unwrap().len(), 1);
}

#[tokio::test]
async fn subjects_with_slashes_and_colons_stay_one_path_segment() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let odd = subject("a/b c:d");
    let id = client.register(&odd, &avro(ADDRESS)).await.unwrap();
    assert_eq!(client.latest(&odd).await.unwrap().id, id);
    assert_eq!(names(&client.subjects(false).await.unwrap()), ["a/b c:d"]);
}

#[tokio::test]
async fn parsed_schema_resolves_references_transitively() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    client
        .register(&subject("address"), &avro(ADDRESS))
        .await
        .unwrap();
    let customer = avro(CUSTOMER).with_references(vec![SchemaReference {
        name: "acme.Address".into(),
        subject: "address".into(),
        version: 1,
    }]);
    client
        .register(&subject("customer"), &customer)
        .await
        .unwrap();
    let order = avro(
        r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"customer","type":"acme.Customer"}]}"#,
    )
    .with_references(vec![SchemaReference {
        name: "acme.Customer".into(),
        subject: "customer".into(),
        version: -1,
    }]);
    let id = client
        .register(&subject("order-value"), &order)
        .await
        .unwrap();
    let resolved = client.resolve_references(&order.references).await.unwrap();
    let names: Vec<_> = resolved.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["acme.Address", "acme.Customer"],
        "dependencies come first"
    );
    let parsed = client.parsed_schema(id).await.unwrap();
    assert_eq!(parsed.schema_type(), SchemaType::Avro);
}

#[tokio::test]
async fn registry_errors_carry_confluent_codes() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let missing = client.latest(&subject("nope")).await.unwrap_err();
    assert_eq!(
        missing.code(),
        Some(ErrorCode::SubjectNotFound),
        "{missing}"
    );
    assert!(
        matches!(
            missing,
            ClientError::Registry {
                error_code: 40401,
                ..
            }
        ),
        "the raw code is kept: {missing:?}"
    );
    assert!(missing.is_not_found());
    let unknown_id = client
        .schema_by_id(SchemaId::new(12345).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        unknown_id.code(),
        Some(ErrorCode::SchemaNotFound),
        "{unknown_id}"
    );
    let x = subject("x");
    let invalid = client
        .register(&x, &avro(r#"{"type":"record"}"#))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Some(ErrorCode::InvalidSchema), "{invalid}");

    client.register(&x, &avro(ADDRESS)).await.unwrap();
    let breaking = avro(
        r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"string"}]}"#,
    );
    let verdict = client
        .check_compatibility(&x, &breaking, true)
        .await
        .unwrap();
    assert!(!verdict.is_compatible);
    assert!(
        verdict
            .messages
            .unwrap()
            .iter()
            .any(|m| m.contains("READER_FIELD_MISSING_DEFAULT_VALUE")),
        "verbose messages name the rule"
    );
    let against_v1 = client
        .check_compatibility_with_version(&x, Version::FIRST, &breaking, false)
        .await
        .unwrap();
    assert!(!against_v1.is_compatible);
    assert_eq!(against_v1.messages, None, "messages only with verbose");
    let mut types = client.schema_types().await.unwrap();
    types.sort();
    assert_eq!(types, ["AVRO", "JSON", "PROTOBUF"]);
    let refused = client.register(&x, &breaking).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Some(ErrorCode::IncompatibleSchema),
        "{refused}"
    );
}

#[tokio::test]
async fn config_mode_and_deletes_round_trip() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    assert_eq!(
        client.config(None).await.unwrap().compatibility_level,
        "BACKWARD"
    );
    let s = subject("s");
    client.register(&s, &avro(ADDRESS)).await.unwrap();
    assert!(client.subject_config(&s).await.unwrap().is_none());
    let update = ConfigUpdateRequest {
        compatibility: Some("FULL_TRANSITIVE".into()),
        ..ConfigUpdateRequest::default()
    };
    client.set_config(Some(&s), &update).await.unwrap();
    assert_eq!(
        client
            .subject_config(&s)
            .await
            .unwrap()
            .unwrap()
            .compatibility_level,
        "FULL_TRANSITIVE"
    );
    assert_eq!(
        client
            .config(Some(&subject("other")))
            .await
            .unwrap()
            .compatibility_level,
        "BACKWARD"
    );
    assert_eq!(client.subject_mode(&s).await.unwrap(), None);
    assert_eq!(client.mode(None).await.unwrap(), Mode::Readwrite);
    assert_eq!(
        client
            .set_mode(Some(&s), Mode::Readonly, false)
            .await
            .unwrap(),
        Mode::Readonly
    );
    assert_eq!(client.mode(Some(&s)).await.unwrap(), Mode::Readonly);
    assert_eq!(client.delete_mode(&s).await.unwrap(), Mode::Readonly);
    assert_eq!(client.subject_mode(&s).await.unwrap(), None);
    assert_eq!(
        client.delete_subject(&s, false).await.unwrap(),
        [Version::FIRST]
    );
    assert!(client.subjects(false).await.unwrap().is_empty());
    assert_eq!(names(&client.subjects(true).await.unwrap()), ["s"]);
    assert_eq!(
        client
            .delete_version(&s, Version::FIRST, true)
            .await
            .unwrap(),
        Version::FIRST
    );
    assert!(client.subjects(true).await.unwrap().is_empty());
}

#[tokio::test]
async fn import_mode_keeps_explicit_ids_and_versions() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    client.set_mode(None, Mode::Import, false).await.unwrap();
    let options = RegisterOptions {
        id: Some(SchemaId::new(4242).unwrap()),
        version: Some(version(7)),
        ..RegisterOptions::default()
    };
    let imported = subject("imported");
    let id = client
        .register_with(&imported, &avro(ADDRESS), options)
        .await
        .unwrap();
    assert_eq!(id.get(), 4242);
    assert_eq!(
        client.versions(&imported, false).await.unwrap(),
        [version(7)]
    );
}

#[tokio::test]
async fn cached_schemas_keep_working_after_the_registry_goes_away() {
    let mut app = spawn_app().await;
    let client = RegistryClient::builder(&app.address)
        .max_retries(0)
        .build()
        .unwrap();
    let schema = avro(ADDRESS);
    let cached = subject("cached");
    let id = client.register(&cached, &schema).await.unwrap();
    client.parsed_schema(id).await.unwrap();
    app.stop().await;
    assert_eq!(client.register(&cached, &schema).await.unwrap(), id);
    assert_eq!(client.lookup_id(&cached, &schema).await.unwrap(), id);
    assert!(client.parsed_schema(id).await.is_ok());
    let uncached = client.latest(&cached).await.unwrap_err();
    assert!(
        matches!(uncached, ClientError::Unavailable { .. }),
        "{uncached}"
    );
    // Without its caches the client has to ask, and cannot.
    client.clear_caches();
    let cleared = client.parsed_schema(id).await.unwrap_err();
    assert!(
        matches!(cleared, ClientError::Unavailable { .. }),
        "{cleared}"
    );
}

#[tokio::test]
async fn an_unreachable_registry_fails_within_the_retry_budget() {
    // A port nothing listens on: bind, read the port, close.
    let port = warden_testkit::free_port();
    let client = RegistryClient::builder(format!("http://127.0.0.1:{port}"))
        .max_retries(2)
        .retry_backoff(Duration::from_millis(50))
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .schema_by_id(SchemaId::new(1).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Unavailable { .. }), "{error}");
    assert!(
        error.to_string().contains(&port.to_string()),
        "names the URL: {error}"
    );
    // Two backoffs (50 + 100 ms) and three refused connections: far below a hang.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_second_url_serves_when_the_first_is_down() {
    let app = spawn_app().await;
    let port = warden_testkit::free_port();
    let client = RegistryClient::builder(format!("http://127.0.0.1:{port}"))
        .url(&app.address)
        .retry_backoff(Duration::from_millis(10))
        .build()
        .unwrap();
    assert!(client.subjects(false).await.unwrap().is_empty());
}

#[test]
fn bad_urls_are_refused_by_the_builder() {
    for url in ["", "127.0.0.1:8081", "ftp://host"] {
        let error = RegistryClient::new(url).unwrap_err();
        assert!(matches!(error, ClientError::Config(_)), "{url}: {error}");
    }
}

#[tokio::test]
async fn references_to_no_valid_subject_or_version_are_refused_before_asking() {
    // Nothing listens here: a request would fail as Unavailable, not as InvalidReference.
    let port = warden_testkit::free_port();
    let client = RegistryClient::builder(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .unwrap();
    for (subject, version, reason) in [
        ("address", 0, "version 0 is no version"),
        ("address", -2, "only -1 means latest"),
        ("", 1, "an empty subject"),
    ] {
        let reference = SchemaReference {
            name: "acme.Address".into(),
            subject: subject.into(),
            version,
        };
        let error = client.resolve_references(&[reference]).await.unwrap_err();
        assert!(
            matches!(&error, ClientError::InvalidReference { name, .. } if name == "acme.Address"),
            "{reason}: {error}"
        );
    }
}
