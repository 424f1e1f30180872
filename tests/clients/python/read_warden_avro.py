"""Confluent's Python AvroDeserializer reading records that Warden's producer wrote.

Usage: python read_warden_avro.py REGISTRY_URL BOOTSTRAP_SERVERS TOPIC EXPECTED_JSON

Consumes every record of TOPIC (partition 0, from the start) with confluent-kafka's
Consumer and AvroDeserializer (the writer schema fetched from the registry by the id in each
record) and compares them with EXPECTED_JSON, a JSON list of the records as serde_json writes
them. A timestamp-millis field, which the deserializer gives as a datetime, is compared as
milliseconds since the epoch. Exits non-zero with the failing step on the first mismatch.
"""

import datetime
import json
import sys

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

URL, BOOTSTRAP, TOPIC, EXPECTED = sys.argv[1:5]
expected = json.loads(EXPECTED)


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


def plain(value):
    """The record with datetimes as epoch milliseconds, as serde_json wrote them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    return value


deserializer = AvroDeserializer(SchemaRegistryClient({"url": URL}))
consumer = Consumer({
    "bootstrap.servers": BOOTSTRAP,
    "group.id": f"{TOPIC}-python-reader",
    "enable.auto.commit": False,
})
consumer.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
records = []
for _ in range(200):
    if len(records) == len(expected):
        break
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        sys.exit(f"FAIL {TOPIC}: {msg.error()}")
    check(f"{TOPIC}: magic byte", msg.value()[0], 0)
    records.append(plain(deserializer(msg.value(), SerializationContext(TOPIC, MessageField.VALUE))))
consumer.close()
check(f"{TOPIC}: records read", len(records), len(expected))
for n, (got, want) in enumerate(zip(records, expected)):
    check(f"{TOPIC}: record {n}", got, want)
print("all passed")
