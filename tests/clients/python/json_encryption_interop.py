"""Confluent's field-level encryption (confluent-kafka[rules]: FieldEncryptionExecutor with
the local KMS) on a JSON Schema field whose `type` is an array (`["string", "null"]`),
against Warden's DEK registry.

Usage: python json_encryption_interop.py URL SECRET WARDEN_RECORD_HEX OUT

The latest version of `jsonenc-value` (registered by the Rust test) has `ssn` typed
`["string", "null"]` and tagged PII inline, and an ENCRYPT rule on PII with KEK `kek1`
(local-kms, key id `mykey`). Warden wrote the record given (and created the KEK and DEK).

Checks that Python decrypts Warden's field, then writes a record of its own (the field
encrypted) to OUT as hex for Warden to decrypt. Prints "all passed" at the end.
"""

import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import FieldEncryptionExecutor
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver
from confluent_kafka.serialization import MessageField, SerializationContext

URL, SECRET, WARDEN_HEX, OUT = sys.argv[1:5]

LocalKmsDriver.register()
FieldEncryptionExecutor.register()

client = SchemaRegistryClient({"url": URL})
rule_conf = {"secret": SECRET}
ctx = SerializationContext("jsonenc", MessageField.VALUE)


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


deserializer = JSONDeserializer(None, schema_registry_client=client, rule_conf=rule_conf)
record = deserializer(bytes.fromhex(WARDEN_HEX), ctx)
check("Python decrypts Warden's field typed [string, null]", record["ssn"], "123-45-6789")
check("an untagged field reads as written", record["note"], "hi")

serializer = JSONSerializer(
    None,
    client,
    conf={"auto.register.schemas": False, "use.latest.version": True},
    rule_conf=rule_conf,
)
written = serializer({"id": "c-2", "ssn": "111-22-3333", "note": "py"}, ctx)
stored = json.loads(written[5:])
if stored["ssn"] == "111-22-3333":
    sys.exit("FAIL the field typed [string, null] was written in plaintext")
print("ok   Python encrypts the field typed [string, null]")
check("Python reads its own record", deserializer(written, ctx)["ssn"], "111-22-3333")
with open(OUT, "w") as f:
    f.write(written.hex())
print("all passed")
