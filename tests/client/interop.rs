//! Interoperability with a client we did not write, `schema_registry_converter`: bytes from
//! Warden's serializers decode with its decoders, and bytes from its encoders decode with
//! Warden's deserializers, for Avro, Protobuf (including a nested message) and JSON.

use apache_avro::types::Value as AvroValue;
use prost_reflect::ReflectMessage as _;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::json::{JsonDecoder, JsonEncoder};
use schema_registry_converter::async_impl::proto_decoder::ProtoDecoder;
use schema_registry_converter::async_impl::proto_raw::ProtoRawEncoder;
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::SubjectNameStrategy;
use warden_core::{SchemaType, Subject};
use warden_serde::{
    AvroDeserializer, AvroSerializer, JsonDeserializer, JsonSerializer, ProtobufDeserializer,
    ProtobufSerializer, RegistryClient, SerializationContext, SerializerConfig, UnregisteredSchema,
};
use warden_testkit::spawn_app;

use crate::orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, order, proto};

fn topic_strategy(topic: &str) -> SubjectNameStrategy {
    SubjectNameStrategy::TopicNameStrategy(topic.into(), false)
}

#[tokio::test]
async fn avro_bytes_cross_between_warden_and_schema_registry_converter() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    client
        .register(&Subject::parse("orders-value").unwrap(), &schema)
        .await
        .unwrap();
    let settings = SrSettings::new(app.address.clone());

    // Ours → theirs.
    let ours = AvroSerializer::new(client.clone(), schema, SerializerConfig::default())
        .serialize(&SerializationContext::value("orders"), &order(5))
        .await
        .unwrap();
    let decoded = AvroDecoder::new(settings.clone())
        .decode(Some(&ours))
        .await
        .expect("the converter decodes Warden's Avro record");
    let AvroValue::Record(fields) = decoded.value else {
        panic!("a record, got {:?}", decoded.value)
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("id"), Some(AvroValue::String("order-5".into())));
    assert_eq!(field("status"), Some(AvroValue::Enum(2, "SHIPPED".into())));
    assert_eq!(
        field("note"),
        Some(AvroValue::Union(
            1,
            Box::new(AvroValue::String("note 5".into()))
        ))
    );

    // Theirs → ours.
    let theirs = AvroEncoder::new(settings)
        .encode_struct(order(7), &topic_strategy("orders"))
        .await
        .expect("the converter encodes against Warden's schema");
    let back: Order = AvroDeserializer::new(client)
        .deserialize(&theirs)
        .await
        .unwrap();
    assert_eq!(back, order(7));
}

#[tokio::test]
async fn json_bytes_cross_between_warden_and_schema_registry_converter() {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA);
    client
        .register(&Subject::parse("orders-value").unwrap(), &schema)
        .await
        .unwrap();
    let settings = SrSettings::new(app.address.clone());

    let ours = JsonSerializer::new(client.clone(), schema, SerializerConfig::default())
        .serialize(&SerializationContext::value("orders"), &order(5))
        .await
        .unwrap();
    let decoded = JsonDecoder::new(settings.clone())
        .decode(Some(&ours))
        .await
        .expect("the converter decodes Warden's JSON record")
        .expect("not null");
    assert_eq!(decoded.value, serde_json::to_value(order(5)).unwrap());

    let theirs = JsonEncoder::new(settings)
        .encode(
            &serde_json::to_value(order(8)).unwrap(),
            topic_strategy("orders"),
        )
        .await
        .expect("the converter validates and encodes against Warden's schema");
    let back: Order = JsonDeserializer::new(client)
        .deserialize(&theirs)
        .await
        .unwrap();
    assert_eq!(back, order(8));
}

#[tokio::test]
async fn protobuf_bytes_cross_between_warden_and_schema_registry_converter_including_nested_messages()
 {
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO);
    client
        .register(&Subject::parse("orders-value").unwrap(), &schema)
        .await
        .unwrap();
    let settings = SrSettings::new(app.address.clone());
    let serializer = ProtobufSerializer::new(client.clone(), schema, SerializerConfig::default());
    let context = SerializationContext::value("orders");

    // Ours → theirs: the top-level message and the nested one ([0, 0]).
    let ours = serializer
        .serialize(&context, &proto::order(5))
        .await
        .unwrap();
    let decoded = ProtoDecoder::new(settings.clone())
        .decode(Some(&ours))
        .await
        .expect("the converter decodes Warden's Protobuf record");
    let prost_reflect::Value::Message(message) = decoded else {
        panic!("a message, got {decoded:?}")
    };
    assert_eq!(message.descriptor().full_name(), "acme.Order");
    assert_eq!(
        message.get_field_by_name("id").unwrap().as_str(),
        Some("order-5")
    );
    let customer = proto::order(5).customer.unwrap();
    let nested = serializer.serialize(&context, &customer).await.unwrap();
    // Zigzag varints: count 2 (written 4), then indexes 0 and 0.
    assert_eq!(&nested[5..8], &[4, 0, 0], "message indexes [0, 0]");
    let decoded = ProtoDecoder::new(settings.clone())
        .decode(Some(&nested))
        .await
        .expect("the converter decodes the nested message");
    let prost_reflect::Value::Message(message) = decoded else {
        panic!("a message, got {decoded:?}")
    };
    assert_eq!(message.descriptor().full_name(), "acme.Order.Customer");

    // Theirs → ours.
    let payload = prost::Message::encode_to_vec(&proto::order(9));
    let theirs = ProtoRawEncoder::new(settings.clone())
        .encode(&payload, "acme.Order", topic_strategy("orders"))
        .await
        .expect("the converter encodes against Warden's schema");
    let deserializer = ProtobufDeserializer::new(client);
    let back: proto::Order = deserializer.deserialize(&theirs).await.unwrap();
    assert_eq!(back, proto::order(9));
    let payload = prost::Message::encode_to_vec(&customer);
    let theirs = ProtoRawEncoder::new(settings)
        .encode(&payload, "acme.Order.Customer", topic_strategy("orders"))
        .await
        .unwrap();
    let (_, message) = deserializer.deserialize_dynamic(&theirs).await.unwrap();
    assert_eq!(message.descriptor().full_name(), "acme.Order.Customer");
    assert_eq!(
        message.get_field_by_name("email").unwrap().as_str(),
        Some("c5@example.com")
    );
}
