//! Avro canonical and normalized text (Java's `Schema.toString()`, Confluent's
//! `AvroSchema.normalize()`) over the real-world schemas in /work/shared/corpus: every `.avsc`
//! that parses has a canonical text that parses to the same schema and is its own canonical
//! text, and likewise its normalized text.

use std::path::{Path, PathBuf};

use warden_core::{ParsedSchema, SchemaType};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/avro")
}

fn avsc_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            avsc_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "avsc") {
            out.push(path);
        }
    }
}

#[test]
fn canonical_and_normalized_texts_are_fixed_points_over_the_corpus() {
    let mut files = Vec::new();
    avsc_files(&corpus(), &mut files);
    files.sort();
    let mut parsed_count = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(ParsedSchema::Avro(schema)) = ParsedSchema::parse(SchemaType::Avro, &text, &[])
        else {
            continue;
        };
        parsed_count += 1;
        let canonical = schema.canonical().to_owned();
        let again = ParsedSchema::parse(SchemaType::Avro, &canonical, &[])
            .unwrap_or_else(|e| panic!("{}: canonical text does not parse: {e}", path.display()));
        assert_eq!(again.canonical(), canonical, "{}", path.display());
        assert_eq!(
            again.normalized(),
            schema.normalized(),
            "{}: normalized differs after the canonical round trip",
            path.display()
        );
        let ParsedSchema::Avro(again) = again else {
            unreachable!()
        };
        assert_eq!(
            again.parsing_canonical_form(),
            schema.parsing_canonical_form(),
            "{}",
            path.display()
        );
        let normalized = schema.normalized();
        let renormalized = ParsedSchema::parse(SchemaType::Avro, &normalized, &[])
            .unwrap_or_else(|e| panic!("{}: normalized text does not parse: {e}", path.display()));
        assert_eq!(renormalized.normalized(), normalized, "{}", path.display());
        assert_eq!(renormalized.canonical(), normalized, "{}", path.display());
    }
    assert!(
        parsed_count > 150,
        "only {parsed_count} corpus schemas parsed"
    );
}

#[test]
fn a_record_as_confluent_returns_it() {
    // A schema as a user writes it, and the text Confluent answers for it (Java Avro 1.11
    // and 1.12 `Schema.toString()`).
    let sent = r#"{
      "namespace": "com.acme.orders", "type": "record", "name": "Order",
      "doc": "An order",
      "fields": [
        {"type": "string", "name": "id"},
        {"name": "customer", "type": {"type": "record", "name": "com.acme.orders.Customer",
          "fields": [{"name": "name", "type": "string", "default": ""}]}},
        {"name": "previous", "type": ["null", "com.acme.orders.Customer"], "default": null},
        {"name": "status", "type": {"name": "Status", "type": "enum", "symbols": ["NEW", "PAID"], "default": "NEW"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "tags", "type": {"type": "map", "values": {"type": "string", "avro.java.string": "String"}}, "default": {}}
      ]
    }"#;
    let parsed = ParsedSchema::parse(SchemaType::Avro, sent, &[]).unwrap();
    assert_eq!(
        parsed.canonical(),
        r#"{"type":"record","name":"Order","namespace":"com.acme.orders","doc":"An order","fields":[{"name":"id","type":"string"},{"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string","default":""}]}},{"name":"previous","type":["null","Customer"],"default":null},{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"],"default":"NEW"}},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},{"name":"tags","type":{"type":"map","values":{"type":"string","avro.java.string":"String"}},"default":{}}]}"#
    );
}

#[test]
fn defaults_of_the_wrong_type_are_kept_when_read_as_stored() {
    use warden_core::schema::ParseOptions;
    let text = r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":"1"},{"name":"g","type":["null","string"],"default":"x"},{"name":"h","type":"double","default":"2.5"}]}"#;
    assert!(ParsedSchema::parse(SchemaType::Avro, text, &[]).is_err());
    let stored =
        ParsedSchema::parse_with(SchemaType::Avro, text, &[], ParseOptions::STORED).unwrap();
    assert_eq!(
        stored.canonical(),
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":"1"},{"name":"g","type":["null","string"],"default":"x"},{"name":"h","type":"double","default":2.5}]}"#
    );
    // Java's normalization reads the defaults back through the field's type, dropping those
    // that do not fit it.
    assert_eq!(
        stored.normalized(),
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int"},{"name":"g","type":["null","string"]},{"name":"h","type":"double","default":2.5}]}"#
    );
    // A double default written as a string is a number for Java either way.
    let new = ParsedSchema::parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"R","fields":[{"name":"h","type":"double","default":"2.5"}]}"#,
        &[],
    )
    .unwrap();
    assert_eq!(
        new.canonical(),
        r#"{"type":"record","name":"R","fields":[{"name":"h","type":"double","default":2.5}]}"#
    );
}

#[test]
fn namespaces_java_accepts_are_read_as_stored() {
    use warden_core::schema::ParseOptions;
    let text = r#"{"type":"record","name":"myrecord","namespace":"a-bad.namespace","fields":[{"name":"f","type":"string"},{"name":"n","type":{"type":"record","name":"Inner","fields":[]}},{"name":"m","type":"a-bad.namespace.Inner"}]}"#;
    assert!(ParsedSchema::parse(SchemaType::Avro, text, &[]).is_err());
    let stored =
        ParsedSchema::parse_with(SchemaType::Avro, text, &[], ParseOptions::STORED).unwrap();
    assert_eq!(
        stored.canonical(),
        r#"{"type":"record","name":"myrecord","namespace":"a-bad.namespace","fields":[{"name":"f","type":"string"},{"name":"n","type":{"type":"record","name":"Inner","fields":[]}},{"name":"m","type":"Inner"}]}"#
    );
}

#[test]
fn a_schema_with_references_normalizes_as_its_inlined_form() {
    use warden_core::ResolvedReference;
    let sub = r#"{"type":"record","name":"Subrecord1","namespace":"otherns","fields":[{"name":"field1","type":"string"}]}"#;
    let refs = [ResolvedReference {
        name: "otherns.Subrecord1".into(),
        schema_type: SchemaType::Avro,
        schema: sub.into(),
    }];
    let with_refs = ParsedSchema::parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"myrecord","fields":[{"name":"field1","type":"otherns.Subrecord1"}],"extraMetadata":{"b":2,"a":1}}"#,
        &refs,
    )
    .unwrap();
    let inlined = ParsedSchema::parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"myrecord","fields":[{"name":"field1","type":{"type":"record","name":"Subrecord1","namespace":"otherns","fields":[{"name":"field1","type":"string"}]}}],"extraMetadata":{"a":1,"b":2}}"#,
        &[],
    )
    .unwrap();
    assert_eq!(
        with_refs.canonical(),
        r#"{"type":"record","name":"myrecord","fields":[{"name":"field1","type":"otherns.Subrecord1"}],"extraMetadata":{"b":2,"a":1}}"#
    );
    assert_eq!(
        with_refs.resolved_normalized(),
        Some(inlined.normalized().as_str())
    );
    assert_eq!(inlined.resolved_normalized(), None);
}
