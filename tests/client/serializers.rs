//! The serializers' options against a spawned registry: subject name strategies,
//! auto-registration, latest version, fixed id, formats, and the deserializers' errors.

use serde_json::json;
use warden_core::{ErrorCode, SchemaId, SchemaType, Subject};
use warden_serde::{
    AvroDeserializer, AvroSerializer, GenericDeserializer, JsonDeserializer, JsonSerializer,
    ProtobufSerializer, RegistryClient, SerdeError, SerializationContext, SerializerConfig,
    SubjectNameStrategy, UnregisteredSchema,
};
use warden_testkit::spawn_app;

use crate::orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, order, proto};

fn value(topic: &str) -> SerializationContext<'_> {
    SerializationContext::value(topic)
}

fn header_id(bytes: &[u8]) -> SchemaId {
    assert_eq!(bytes[0], 0, "magic byte");
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    SchemaId::new(i64::from(id)).expect("a valid id in the header")
}

fn subject(name: &str) -> Subject {
    Subject::parse(name).expect("a valid subject")
}

#[tokio::test]
async fn auto_registration_follows_the_subject_name_strategy() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let avro = || UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    for (strategy, subject) in [
        (SubjectNameStrategy::TopicName, "orders-value"),
        (SubjectNameStrategy::RecordName, "acme.Order"),
        (SubjectNameStrategy::TopicRecordName, "orders-acme.Order"),
    ] {
        let config = SerializerConfig {
            subject_name_strategy: strategy,
            auto_register_schemas: true,
            ..SerializerConfig::default()
        };
        let bytes = AvroSerializer::new(client.clone(), avro(), config)
            .serialize(&value("orders"), &order(1))
            .await
            .unwrap();
        let latest = client
            .latest(&self::subject(subject))
            .await
            .expect("registered under the strategy's subject");
        assert_eq!(header_id(&bytes), latest.id, "{strategy:?}");
    }
    // A Protobuf message names its own record: the message's full name.
    let config = SerializerConfig {
        subject_name_strategy: SubjectNameStrategy::TopicRecordName,
        auto_register_schemas: true,
        ..SerializerConfig::default()
    };
    ProtobufSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        config,
    )
    .serialize(&value("proto-orders"), &proto::order(1))
    .await
    .unwrap();
    assert!(
        client
            .latest(&subject("proto-orders-acme.Order"))
            .await
            .is_ok()
    );
    // JSON Schema's record name is its title.
    let config = SerializerConfig {
        subject_name_strategy: SubjectNameStrategy::TopicRecordName,
        auto_register_schemas: true,
        ..SerializerConfig::default()
    };
    JsonSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        config,
    )
    .serialize(&value("json-orders"), &order(1))
    .await
    .unwrap();
    assert!(
        client
            .latest(&subject("json-orders-acme.Order"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn without_auto_registration_an_unknown_subject_is_an_error_and_nothing_is_registered() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let serializer = AvroSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        SerializerConfig::default(),
    );
    let error = serializer
        .serialize(&value("orders"), &order(1))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SerdeError::Registry(e) if e.code() == Some(ErrorCode::SubjectNotFound)),
        "{error}"
    );
    assert!(client.subjects(false).await.unwrap().is_empty());
}

#[tokio::test]
async fn latest_version_and_fixed_id_pick_the_writer_schema() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let v1 = client
        .register(
            &subject("orders-value"),
            &UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();
    let with_channel = ORDER_AVSC.replace(
        r#"{"name": "note", "type": ["null", "string"], "default": null}"#,
        r#"{"name": "note", "type": ["null", "string"], "default": null},
    {"name": "channel", "type": "string", "default": "web"}"#,
    );
    assert_ne!(with_channel, ORDER_AVSC);
    let v2 = client
        .register(
            &subject("orders-value"),
            &UnregisteredSchema::new(SchemaType::Avro, with_channel),
        )
        .await
        .unwrap();
    let latest = AvroSerializer::from_registry(
        client.clone(),
        SerializerConfig {
            use_latest_version: true,
            ..SerializerConfig::default()
        },
    );
    let bytes = latest.serialize(&value("orders"), &order(1)).await.unwrap();
    assert_eq!(header_id(&bytes), v2);
    // The field only v2 has took its default.
    let decoded = AvroDeserializer::new(client.clone())
        .deserialize_json(&bytes)
        .await
        .unwrap();
    assert_eq!(decoded["channel"], "web");

    let fixed = AvroSerializer::from_registry(
        client.clone(),
        SerializerConfig {
            use_schema_id: Some(v1),
            ..SerializerConfig::default()
        },
    );
    let bytes = fixed
        .serialize(&value("anything"), &order(1))
        .await
        .unwrap();
    assert_eq!(header_id(&bytes), v1);

    // A serializer of another format refuses the schema.
    let json = JsonSerializer::from_registry(
        client.clone(),
        SerializerConfig {
            use_schema_id: Some(v1),
            ..SerializerConfig::default()
        },
    );
    let error = json
        .serialize(&value("orders"), &order(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SerdeError::WrongFormat {
                expected: SchemaType::Json,
                actual: SchemaType::Avro,
                ..
            }
        ),
        "{error}"
    );
    // And a serializer without any way to find a schema says so.
    let error = AvroSerializer::from_registry(client, SerializerConfig::default())
        .serialize(&value("orders"), &order(1))
        .await
        .unwrap_err();
    assert!(matches!(error, SerdeError::Config(_)), "{error}");
}

#[tokio::test]
async fn deserializers_tell_bad_records_apart() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let id = client
        .register(
            &subject("orders-value"),
            &UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();
    let good = AvroSerializer::from_registry(
        client.clone(),
        SerializerConfig {
            use_schema_id: Some(id),
            ..SerializerConfig::default()
        },
    )
    .serialize(&value("orders"), &order(3))
    .await
    .unwrap();
    let reader = GenericDeserializer::new(client.clone());
    let decoded = reader.deserialize(&good).await.unwrap();
    assert_eq!(
        (decoded.schema_id, decoded.schema_type),
        (id, SchemaType::Avro)
    );
    assert_eq!(decoded.value["id"], "order-3");

    // 0x00 frames a schema id and 0x01 a GUID (Confluent 8); any other first byte is unknown.
    let mut wrong_magic = good.clone();
    wrong_magic[0] = 2;
    let mut unknown = good.clone();
    unknown[1..5].copy_from_slice(&777u32.to_be_bytes());
    let mut zero = good.clone();
    zero[1..5].copy_from_slice(&0u32.to_be_bytes());
    let cut = &good[..good.len() - 3];
    assert!(matches!(
        reader.deserialize(&wrong_magic).await,
        Err(SerdeError::UnknownMagicByte(2))
    ));
    assert!(matches!(
        reader.deserialize(&good[..3]).await,
        Err(SerdeError::Truncated(_))
    ));
    assert!(matches!(
        reader.deserialize(&unknown).await,
        Err(SerdeError::UnknownSchemaId(id)) if id.get() == 777
    ));
    let error = reader.deserialize(&zero).await.unwrap_err();
    assert!(
        matches!(error, SerdeError::InvalidSchemaId(0)),
        "no registry gives out id 0: {error}"
    );
    assert!(
        error.to_string().starts_with("unknown schema id 0"),
        "{error}"
    );
    assert!(
        matches!(reader.deserialize(cut).await, Err(SerdeError::Undecodable { schema_id, .. }) if schema_id == id),
        "a payload cut short does not decode"
    );
}

#[tokio::test]
async fn a_validating_json_deserializer_refuses_documents_that_break_the_writer_schema() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let id = client
        .register(
            &subject("orders-value"),
            &UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        )
        .await
        .unwrap();
    // Written by someone who did not validate: quantity 0 breaks "minimum": 1.
    let mut document = serde_json::to_value(order(1)).unwrap();
    document["quantity"] = json!(0);
    let bytes = warden_core::wire::frame(id, document.to_string().as_bytes());
    let lenient = JsonDeserializer::new(client.clone());
    assert_eq!(lenient.deserialize_value(&bytes).await.unwrap().1, document);
    let strict = JsonDeserializer::new(client).validating(true);
    let error = strict.deserialize_value(&bytes).await.unwrap_err();
    assert!(
        matches!(&error, SerdeError::Invalid { path, .. } if path == "/quantity"),
        "{error}"
    );
}

#[tokio::test]
async fn a_dynamic_message_and_its_prost_twin_serialize_to_the_same_bytes() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO);
    client
        .register(&subject("orders-value"), &schema)
        .await
        .unwrap();
    let serializer = ProtobufSerializer::new(client.clone(), schema, SerializerConfig::default());
    let typed = serializer
        .serialize(&value("orders"), &proto::order(4))
        .await
        .unwrap();
    let (_, dynamic) = warden_serde::ProtobufDeserializer::new(client)
        .deserialize_dynamic(&typed)
        .await
        .unwrap();
    let again = serializer
        .serialize_dynamic(&value("orders"), &dynamic)
        .await
        .unwrap();
    assert_eq!(again, typed);
}

#[tokio::test]
async fn an_avro_value_is_written_with_the_union_branch_of_its_type() {
    use apache_avro::types::Value as A;
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = r#"{"type":"record","name":"Reading","fields":[
        {"name":"count","type":["int","long"]},
        {"name":"level","type":["null","float","double"]}]}"#;
    let serializer = AvroSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, schema),
        SerializerConfig {
            auto_register_schemas: true,
            ..SerializerConfig::default()
        },
    );
    let reader = AvroDeserializer::new(client);
    for (count, level) in [
        // Plain values: the branch of their own type, not the first that accepts them.
        (A::Long(5), A::Double(0.5)),
        // Values that name their branch.
        (
            A::Union(1, Box::new(A::Long(5))),
            A::Union(2, Box::new(A::Double(0.5))),
        ),
    ] {
        let record = A::Record(vec![("count".into(), count), ("level".into(), level)]);
        let bytes = serializer
            .serialize_value(&value("readings"), &record)
            .await
            .unwrap();
        let (_, back) = reader.deserialize_value(&bytes).await.unwrap();
        assert_eq!(
            back,
            A::Record(vec![
                ("count".into(), A::Union(1, Box::new(A::Long(5)))),
                ("level".into(), A::Union(2, Box::new(A::Double(0.5)))),
            ])
        );
    }
}

#[tokio::test]
async fn a_json_schema_serializer_validates_serde_structs_as_it_writes_them() {
    use serde::Serialize;

    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA);
    let id = client
        .register(&subject("orders-value"), &schema)
        .await
        .unwrap();
    let serializer = JsonSerializer::new(client, schema, SerializerConfig::default());
    let context = value("orders");

    // A valid record is serde_json's text of the struct, framed.
    for n in 0..5 {
        let bytes = serializer.serialize(&context, &order(n)).await.unwrap();
        let text = serde_json::to_vec(&order(n)).unwrap();
        assert_eq!(bytes, warden_core::wire::frame(id, &text), "record {n}");
    }

    // Invalid structs are refused with the field's path and the failing keyword.
    #[derive(Serialize)]
    struct WithCoupon<'a> {
        #[serde(flatten)]
        order: &'a crate::orders::Order,
        coupon: &'a str,
    }
    #[derive(Serialize)]
    struct IdOnly {
        id: String,
    }
    let mut low = order(1);
    low.quantity = 0;
    let mut unnamed = order(2);
    unnamed.customer.name.clear();
    let base = order(3);
    // (what the serializer answered, the field path, the keyword the message names)
    type Case<'a> = (Result<Vec<u8>, SerdeError>, &'a str, &'a str);
    let mut cases: Vec<Case<'_>> = vec![
        (
            serializer.serialize(&context, &low).await,
            "/quantity",
            "minimum",
        ),
        (
            serializer
                .serialize(
                    &context,
                    &WithCoupon {
                        order: &base,
                        coupon: "X",
                    },
                )
                .await,
            "",
            "additionalProperties",
        ),
        (
            serializer
                .serialize(&context, &IdOnly { id: "o".into() })
                .await,
            "",
            "required",
        ),
    ];
    // A map of the record with a status outside the enum.
    let mut as_map: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_value(serde_json::to_value(order(4)).unwrap()).unwrap();
    as_map.insert("status".into(), json!("LOST"));
    cases.push((
        serializer.serialize(&context, &as_map).await,
        "/status",
        "enum",
    ));
    for (result, path, keyword) in cases {
        match result {
            Err(SerdeError::Invalid { path: got, message }) => {
                assert_eq!(got, path, "{message}");
                assert!(message.contains(keyword), "{path}: {message}");
            }
            other => panic!("{path}: expected Invalid, got {other:?}"),
        }
    }
    // An empty customer name is still a string: valid.
    serializer.serialize(&context, &unnamed).await.unwrap();
}

#[tokio::test]
async fn one_serializer_frames_each_topic_part_and_message_with_its_own_schema() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    // The record with one more optional field: another schema, which the struct still fits.
    let extended = ORDER_AVSC.replacen(
        r#""fields": ["#,
        r#""fields": [{"name": "extra", "type": ["null", "string"], "default": null}, "#,
        1,
    );
    assert_ne!(extended, ORDER_AVSC, "the fixture's fields list was found");
    let plain = client
        .register(
            &subject("first-value"),
            &UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();
    let other = UnregisteredSchema::new(SchemaType::Avro, extended.as_str());
    let second = client
        .register(&subject("second-value"), &other)
        .await
        .unwrap();
    let key = client
        .register(&subject("first-key"), &other)
        .await
        .unwrap();
    assert_ne!(plain, second);
    let config = SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    };
    let avro = AvroSerializer::from_registry(client.clone(), config);
    // The first topic and part used is served from the serializer's first-use slot, the
    // others from its map: each keeps its own subject's schema.
    for (context, id) in [
        (value("first"), plain),
        (value("second"), second),
        (value("first"), plain),
        (SerializationContext::key("first"), key),
        (value("second"), second),
        (SerializationContext::key("first"), key),
    ] {
        let bytes = avro.serialize(&context, &order(1)).await.unwrap();
        assert_eq!(header_id(&bytes), id, "{context:?}");
    }

    // Protobuf: each message of the schema keeps its own message indexes.
    client
        .register(
            &subject("proto-value"),
            &UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        )
        .await
        .unwrap();
    let protobuf = ProtobufSerializer::new(
        client.clone(),
        UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        SerializerConfig::default(),
    );
    let message = proto::order(1);
    let customer = message
        .customer
        .clone()
        .expect("the fixture has a customer");
    let context = value("proto");
    let first = protobuf.serialize(&context, &message).await.unwrap();
    let nested = protobuf.serialize(&context, &customer).await.unwrap();
    let again = protobuf.serialize(&context, &message).await.unwrap();
    // Message indexes after the 5-byte header: `[0]` is written as one 0, `[0, 0]` (the
    // first message's first nested message) as its count and both indexes.
    assert_eq!(first[5], 0, "acme.Order");
    assert_eq!(&nested[5..8], &[4, 0, 0], "acme.Order.Customer");
    assert_eq!(first, again);

    // `prost-build` names a nested message as `NAME = "Customer"` and gives the whole path
    // only in `full_name`: the message is found by `full_name`.
    #[derive(Clone, PartialEq, prost::Message)]
    struct GeneratedCustomer {
        #[prost(string, tag = "1")]
        email: String,
        #[prost(string, tag = "2")]
        name: String,
    }
    impl prost::Name for GeneratedCustomer {
        const NAME: &'static str = "Customer";
        const PACKAGE: &'static str = "acme";
        fn full_name() -> String {
            "acme.Order.Customer".into()
        }
    }
    let generated = GeneratedCustomer {
        email: customer.email.clone(),
        name: customer.name.clone(),
    };
    let bytes = protobuf.serialize(&context, &generated).await.unwrap();
    assert_eq!(bytes, nested, "the same message, the same record");
}
