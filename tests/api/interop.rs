//! Interoperability with a client we did not write: `schema_registry_converter`.

use apache_avro::types::Value;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedReference, SuppliedSchema,
};
use warden_testkit::spawn_app;

use crate::user_v1;

#[tokio::test]
async fn schema_registry_converter_registers_encodes_and_decodes_through_warden() {
    let app = spawn_app().await;
    let settings = SrSettings::new(app.address.clone());
    let encoder = AvroEncoder::new(settings.clone());
    let supplied = SuppliedSchema::new(
        Some("example.avro.User".into()),
        SchemaType::Avro,
        user_v1(),
    );
    let strategy =
        SubjectNameStrategy::TopicNameStrategyWithSchema("users".into(), false, supplied);
    let bytes = encoder
        .encode(
            vec![
                ("name", Value::String("Ada".into())),
                ("favorite_number", Value::Union(0, Box::new(Value::Int(7)))),
                ("favorite_color", Value::Union(1, Box::new(Value::Null))),
            ],
            strategy,
        )
        .await
        .expect("the third-party encoder registers and encodes");

    // Confluent wire format: magic byte 0, then the 4-byte big-endian id Warden assigned.
    assert_eq!(bytes[0], 0);
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let registered = app.version("users-value", "latest").await;
    assert_eq!(registered.body["id"], id, "{}", registered.text);

    // A fresh decoder knows nothing: it fetches the schema from Warden by id.
    let decoder = AvroDecoder::new(settings);
    let decoded = decoder.decode(Some(&bytes)).await.expect("decodes");
    let Value::Record(fields) = decoded.value else {
        panic!("a record, got {:?}", decoded.value)
    };
    assert_eq!(fields[0], ("name".to_owned(), Value::String("Ada".into())));
    assert_eq!(
        fields[1],
        (
            "favorite_number".to_owned(),
            Value::Union(0, Box::new(Value::Int(7)))
        )
    );
    assert_eq!(
        decoded.name.expect("named").fullname(None),
        "example.avro.User"
    );
}

#[tokio::test]
async fn schema_registry_converter_registers_references_before_the_schema_using_them() {
    let app = spawn_app().await;
    let settings = SrSettings::new(app.address.clone());
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    let customer = r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"name","type":"string"},{"name":"home","type":"Address"}]}"#;
    // The converter inlines a reference it finds by its short name in the same namespace
    // (or as `.com.acme.Address`), so the customer names it `Address`.
    let supplied = SuppliedSchema::new(
        Some("com.acme.Customer".into()),
        SchemaType::Avro,
        customer.into(),
    )
    .with_references(vec![SuppliedReference::new(
        "com.acme.Address".into(),
        "com.acme.Address".into(),
        address.into(),
    )]);
    let encoder = AvroEncoder::new(settings.clone());
    let bytes = encoder
        .encode(
            vec![
                ("name", Value::String("Grace".into())),
                (
                    "home",
                    Value::Record(vec![("city".into(), Value::String("Arlington".into()))]),
                ),
            ],
            SubjectNameStrategy::RecordNameStrategyWithSchema(supplied),
        )
        .await
        .expect("encodes with a reference");
    let version = app.version("com.acme.Customer", "latest").await;
    assert_eq!(version.body["references"][0]["subject"], "com.acme.Address");
    let decoded = AvroDecoder::new(settings)
        .decode(Some(&bytes))
        .await
        .expect("decodes with the referenced type fetched from Warden");
    let Value::Record(fields) = decoded.value else {
        panic!("a record")
    };
    assert_eq!(
        fields[1].1,
        Value::Record(vec![("city".into(), Value::String("Arlington".into()))])
    );
}
