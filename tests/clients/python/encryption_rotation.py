"""DEK rotation of Confluent's field-level encryption (confluent-kafka[rules]:
FieldEncryptionExecutor with `encrypt.dek.expiry.days`, the local KMS) against Warden's DEK
registry, on records Warden's serializer wrote with two DEK versions, and for records
Warden's deserializer decrypts.

Usage: python encryption_rotation.py URL SECRET V1_HEX V2_HEX OUT_NOW OUT_LATER

The latest version of `pyrot-value` (registered by the Rust test) carries an ENCRYPT rule
on the PII-tagged fields with KEK `kek1` (local-kms, not shared) and
`encrypt.dek.expiry.days` = 1. Warden wrote V1_HEX with DEK version 1 and V2_HEX with
version 2 (it rotated a day ahead by its clock).

Checks that Python decrypts both, each with the version its ciphertext names; then writes
one record now (with the latest DEK, Warden's version 2) to OUT_NOW, and one with its
executor's clock two days ahead (the latest DEK expired: Python creates version 3) to
OUT_LATER, both as hex, for Warden to decrypt. Prints "all passed" at the end.
"""

import sys
import time

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import Clock, FieldEncryptionExecutor
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver
from confluent_kafka.serialization import MessageField, SerializationContext

URL, SECRET, V1_HEX, V2_HEX, OUT_NOW, OUT_LATER = sys.argv[1:7]
DAY_MS = 24 * 60 * 60 * 1000


class ShiftedClock(Clock):
    """The system clock, `offset` milliseconds ahead."""

    def __init__(self):
        self.offset = 0

    def now(self) -> int:
        return int(round(time.time() * 1000)) + self.offset


clock = ShiftedClock()
LocalKmsDriver.register()
FieldEncryptionExecutor.register_with_clock(clock)

client = SchemaRegistryClient({"url": URL})
rule_conf = {"secret": SECRET}
ctx = SerializationContext("pyrot", MessageField.VALUE)


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


deserializer = AvroDeserializer(client, rule_conf=rule_conf)
for hex_record, ssn, version in [(V1_HEX, "123-45-6789", 1), (V2_HEX, "222-33-4444", 2)]:
    record = deserializer(bytes.fromhex(hex_record), ctx)
    check(f"Python decrypts Warden's field of DEK version {version}", record["ssn"], ssn)
    check(f"Python decrypts Warden's metadata-tagged field of DEK version {version}", record["email"], "a@example.com")

serializer = AvroSerializer(
    client,
    None,
    conf={"auto.register.schemas": False, "use.latest.version": True},
    rule_conf=rule_conf,
)
for offset, ssn, out in [(0, "444-55-6666", OUT_NOW), (2 * DAY_MS, "777-88-9999", OUT_LATER)]:
    clock.offset = offset
    written = serializer({"id": "c-2", "ssn": ssn, "email": "b@example.com", "note": "py"}, ctx)
    if ssn.encode() in written:
        sys.exit(f"FAIL {ssn}: the ssn was written in plaintext")
    check(f"Python reads its own record written {offset // DAY_MS} day(s) ahead", deserializer(written, ctx)["ssn"], ssn)
    with open(out, "w") as f:
        f.write(written.hex())
print("all passed")
