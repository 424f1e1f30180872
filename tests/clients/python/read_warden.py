"""Confluent's Python deserializers reading records that Warden's producer wrote.

Usage: python read_warden.py FORMAT REGISTRY_URL BOOTSTRAP_SERVERS TOPIC EXPECTED_JSON

FORMAT is `avro` (AvroDeserializer) or `json` (JSONDeserializer, which also validates each
record against its writer schema). Consumes every record of TOPIC (partition 0, from the
start) with confluent-kafka's Consumer and the deserializer (the writer schema fetched from
the registry by the id in each record) and compares them with EXPECTED_JSON, a JSON list of
the records as serde_json writes them. A timestamp-millis field, which the Avro deserializer
gives as a datetime, is compared as milliseconds since the epoch. Exits non-zero with the
failing step on the first mismatch.
"""

import datetime
import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from kafka_common import check, consume

FORMAT, URL, BOOTSTRAP, TOPIC, EXPECTED = sys.argv[1:6]
expected = json.loads(EXPECTED)


def plain(value):
    """The record with datetimes as epoch milliseconds, as serde_json wrote them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    return value


client = SchemaRegistryClient({"url": URL})
if FORMAT == "avro":
    deserializer = AvroDeserializer(client)
elif FORMAT == "json":
    deserializer = JSONDeserializer(None, schema_registry_client=client)
else:
    sys.exit(f"unknown format {FORMAT}")
records = [plain(r) for r in consume(BOOTSTRAP, TOPIC, deserializer, len(expected))]
for n, (got, want) in enumerate(zip(records, expected)):
    check(f"{TOPIC}: record {n}", got, want)
print("all passed")
