"""Confluent's field-level encryption (confluent-kafka[rules]: FieldEncryptionExecutor with
the local KMS) against Warden's DEK registry, on records Warden's serializer encrypted, and
for records Warden's deserializer decrypts.

Usage: python encryption_interop.py URL SECRET WARDEN_RECORD_HEX OUT_SAME OUT_FIRST

The latest versions of `pyenc-value` and `pyfirst-value` (registered by the Rust test) carry
an ENCRYPT rule on the PII-tagged fields (`ssn` inline, `email` by metadata) with KEK `kek1`
(local-kms, key id `mykey`, not shared). Warden wrote the record of `pyenc` (and created the
KEK and that subject's DEK); nothing was written to `pyfirst` yet, so Python creates its DEK.

Checks that Python decrypts Warden's record, then writes one record to each subject, as hex,
to OUT_SAME (`pyenc`, with Warden's DEK) and OUT_FIRST (`pyfirst`, with Python's DEK) for
Warden to decrypt. Prints "all passed" at the end.
"""

import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import FieldEncryptionExecutor
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver
from confluent_kafka.serialization import MessageField, SerializationContext

URL, SECRET, WARDEN_HEX, OUT_SAME, OUT_FIRST = sys.argv[1:6]

LocalKmsDriver.register()
FieldEncryptionExecutor.register()

client = SchemaRegistryClient({"url": URL})
rule_conf = {"secret": SECRET}


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


deserializer = AvroDeserializer(client, rule_conf=rule_conf)
record = deserializer(bytes.fromhex(WARDEN_HEX), SerializationContext("pyenc", MessageField.VALUE))
check("Python decrypts Warden's inline-tagged field", record["ssn"], "123-45-6789")
check("Python decrypts Warden's metadata-tagged field", record["email"], "a@example.com")
check("an untagged field reads as written", record["note"], "hi")

serializer = AvroSerializer(
    client,
    None,
    conf={"auto.register.schemas": False, "use.latest.version": True},
    rule_conf=rule_conf,
)
for topic, ssn, out in [("pyenc", "111-22-3333", OUT_SAME), ("pyfirst", "444-55-6666", OUT_FIRST)]:
    ctx = SerializationContext(topic, MessageField.VALUE)
    written = serializer({"id": "c-2", "ssn": ssn, "email": "b@example.com", "note": "py"}, ctx)
    if ssn.encode() in written:
        sys.exit(f"FAIL {topic}: the ssn was written in plaintext")
    back = deserializer(written, ctx)
    check(f"Python reads its own record of {topic}", back["ssn"], ssn)
    with open(out, "w") as f:
        f.write(written.hex())
print("all passed")
