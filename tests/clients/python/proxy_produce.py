"""Confluent's Python serializers producing through `warden proxy`.

Usage: python proxy_produce.py REGISTRY_URL PROXY_BOOTSTRAP TOPIC_PREFIX

Produces with confluent-kafka's Producer and its AvroSerializer, JSONSerializer and
ProtobufSerializer (auto.register.schemas on; zstd, lz4 and gzip compression) through the
proxy, then a record each serializer would never write (no Confluent framing), which the
proxy must refuse with INVALID_RECORD naming the rule. Consumes the topics back through the
proxy and compares: the valid records unchanged, the invalid ones absent. The topics
TOPIC_PREFIX-avro, -json and -protobuf must exist. Exits non-zero on the first mismatch.
"""

import sys

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

URL, BOOTSTRAP, PREFIX = sys.argv[1:4]
client = SchemaRegistryClient({"url": URL})


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


USER = """{"type":"record","name":"User","namespace":"example.avro","fields":[
  {"name":"name","type":"string"},
  {"name":"age","type":"int"}]}"""
ORDER = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order",
  "type":"object","properties":{"id":{"type":"integer"},"sku":{"type":"string"}},
  "required":["id"]}"""


def person_class():
    f = descriptor_pb2.FileDescriptorProto(name="acme/person.proto", package="acme", syntax="proto3")
    m = f.message_type.add(name="Person")
    T = descriptor_pb2.FieldDescriptorProto
    m.field.add(name="name", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    m.field.add(name="age", number=2, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Person"))


Person = person_class()
conf = {"auto.register.schemas": True}
cases = [
    (
        "avro",
        "zstd",
        AvroSerializer(client, USER, conf=conf),
        AvroDeserializer(client),
        [{"name": f"user-{i}", "age": i} for i in range(5)],
    ),
    (
        "json",
        "lz4",
        JSONSerializer(ORDER, client, conf=conf),
        JSONDeserializer(ORDER, schema_registry_client=client),
        [{"id": i, "sku": f"sku-{i}"} for i in range(5)],
    ),
    (
        "protobuf",
        "gzip",
        ProtobufSerializer(Person, client, {"auto.register.schemas": True, "use.deprecated.format": False}),
        ProtobufDeserializer(Person, {"use.deprecated.format": False}),
        [Person(name=f"p-{i}", age=i) for i in range(5)],
    ),
]

for fmt, compression, serializer, deserializer, values in cases:
    topic = f"{PREFIX}-{fmt}"
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "compression.type": compression, "linger.ms": 5})
    errors = []

    def report(err, msg, errors=errors):
        errors.append(err)

    ctx = SerializationContext(topic, MessageField.VALUE)
    for v in values:
        producer.produce(topic, value=serializer(v, ctx), on_delivery=report)
    producer.flush(30)
    check(f"{fmt} ({compression}): valid records delivered through the proxy", errors, [None] * len(values))

    refused = []
    producer.produce(topic, value=b'{"not": "framed"}', on_delivery=lambda err, msg: refused.append(err))
    producer.flush(30)
    check(f"{fmt}: an unframed record is refused", len(refused), 1)
    err = refused[0]
    check(f"{fmt}: with INVALID_RECORD", err is not None and err.code(), KafkaError.INVALID_RECORD)

    consumer = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": f"{topic}-reader",
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
        "fetch.wait.max.ms": 10,
    })
    consumer.subscribe([topic])
    got = []
    while True:
        msg = consumer.poll(30)
        if msg is None:
            sys.exit(f"FAIL {fmt}: no record within 30 s after {len(got)}")
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                break
            sys.exit(f"FAIL {fmt}: consumer error {msg.error()}")
        got.append(deserializer(msg.value(), ctx))
    consumer.close()
    check(f"{fmt}: consumed back unchanged through the proxy, the refused record absent", got, values)

print("all passed")
