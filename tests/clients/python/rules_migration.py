"""Confluent's Python JSONata migration rules (confluent-kafka[rules]) against Warden.

Usage: python rules_migration.py URL WARDEN_V1_RECORD_HEX OUT_FILE

`shoes-value` (registered by the Rust test) has version 1 `{id, size}` and version 2
`{id, height}` whose migration rules rename the field both ways (JSONata). Python reads
Warden's version-1 record with `use.latest.version` (upgraded to `height`), then writes a
version-2 record to OUT_FILE as hex, for Warden to read as version 1 (downgraded). Prints
"all passed" at the end.
"""

import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor
from confluent_kafka.serialization import MessageField, SerializationContext

URL, WARDEN_HEX, OUT = sys.argv[1:4]

JsonataExecutor.register()
client = SchemaRegistryClient({"url": URL})
ctx = SerializationContext("shoes", MessageField.VALUE)


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


reader = AvroDeserializer(client, conf={"use.latest.version": True})
check(
    "Warden's version-1 record reads upgraded to version 2",
    reader(bytes.fromhex(WARDEN_HEX), ctx),
    {"id": "w1", "height": 41},
)

writer = AvroSerializer(client, None, conf={"auto.register.schemas": False, "use.latest.version": True})
with open(OUT, "w") as out:
    out.write(writer({"id": "p2", "height": 38}, ctx).hex())
print("all passed")
