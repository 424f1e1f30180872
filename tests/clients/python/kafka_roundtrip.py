"""Confluent's Python serializers through a real broker, against a running Warden.

Usage: python kafka_roundtrip.py REGISTRY_URL BOOTSTRAP_SERVERS TOPIC_PREFIX

Produces records with confluent-kafka's Producer and its AvroSerializer, JSONSerializer and
ProtobufSerializer (auto.register.schemas on, then off with use.latest.version), consumes
them back with the matching deserializers, and compares. The topics TOPIC_PREFIX-avro,
-json and -protobuf must exist. Exits non-zero with the failing step on the first mismatch.
"""

import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer
from kafka_common import check, consume
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

URL, BOOTSTRAP, PREFIX = sys.argv[1:4]
client = SchemaRegistryClient({"url": URL})


USER = """{"type":"record","name":"User","namespace":"example.avro","fields":[
  {"name":"name","type":"string"},
  {"name":"age","type":"int"},
  {"name":"email","type":["null","string"],"default":null}]}"""
ORDER = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order",
  "type":"object","properties":{"id":{"type":"integer"},"sku":{"type":"string"}},
  "required":["id"]}"""


def person_class():
    """acme.Person, built at run time from a descriptor (what protoc would generate)."""
    f = descriptor_pb2.FileDescriptorProto(name="acme/person.proto", package="acme", syntax="proto3")
    m = f.message_type.add(name="Person")
    T = descriptor_pb2.FieldDescriptorProto
    m.field.add(name="name", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    m.field.add(name="age", number=2, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    m.field.add(name="tags", number=3, type=T.TYPE_STRING, label=T.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Person"))


Person = person_class()

producer = Producer({"bootstrap.servers": BOOTSTRAP})
keys = StringSerializer()


def produce(topic, serializer, values):
    for v in values:
        ctx = SerializationContext(topic, MessageField.VALUE)
        producer.produce(topic, key=keys("k"), value=serializer(v, ctx))
    left = producer.flush(30)
    check(f"{topic}: every record acknowledged", left, 0)


# Avro: the first records register the schema, the next use the latest version.
topic = f"{PREFIX}-avro"
users = [{"name": "Ada", "age": 36, "email": None}, {"name": "Grace", "age": 45, "email": "g@x"}]
produce(topic, AvroSerializer(client, USER, conf={"auto.register.schemas": True}), users[:1])
produce(topic, AvroSerializer(client, USER, conf={"auto.register.schemas": False, "use.latest.version": True}), users[1:])
check("Avro: round trip", consume(BOOTSTRAP, topic, AvroDeserializer(client), 2), users)

topic = f"{PREFIX}-json"
orders = [{"id": 7, "sku": "A-1"}, {"id": 8}]
produce(topic, JSONSerializer(ORDER, client, conf={"auto.register.schemas": True}), orders[:1])
produce(topic, JSONSerializer(ORDER, client, conf={"auto.register.schemas": False, "use.latest.version": True}), orders[1:])
check("JSON Schema: round trip", consume(BOOTSTRAP, topic, JSONDeserializer(ORDER, schema_registry_client=client), 2), orders)

topic = f"{PREFIX}-protobuf"
people = [Person(name="Ada", age=36, tags=["a"]), Person(name="Alan", age=41, tags=[])]
produce(topic, ProtobufSerializer(Person, client, conf={"auto.register.schemas": True}), people[:1])
produce(topic, ProtobufSerializer(Person, client, conf={"auto.register.schemas": False, "use.latest.version": True}), people[1:])
got = consume(BOOTSTRAP, topic, ProtobufDeserializer(Person, {}), 2)
check("Protobuf: round trip", [(p.name, p.age, list(p.tags)) for p in got], [(p.name, p.age, list(p.tags)) for p in people])
# A fresh client: the serializers cached this version in its `format=serialized` form.
registered = SchemaRegistryClient({"url": URL}).get_latest_version(f"{topic}-value")
check("Protobuf: registered as PROTOBUF", registered.schema.schema_type, "PROTOBUF")
check("Protobuf: registered as text with the message", "message Person" in registered.schema.schema_str, True)

print("all passed")
