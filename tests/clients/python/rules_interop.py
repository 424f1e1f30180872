"""Confluent's Python serializers with data-contract rules (confluent-kafka[rules]) against
Warden, on records Warden's serializers wrote and for records Warden's deserializers read.

Usage: python rules_interop.py URL SUBJECT WARDEN_RECORD_HEX OUT_FILE

The subject's latest version (registered by the Rust test) carries the rules:
  - positive  CEL        CONDITION WRITE      message.amount > 0.0
  - email     CEL_FIELD  CONDITION WRITEREAD  tags [PII]: value.isEmail()
  - stamp     CEL_FIELD  TRANSFORM WRITE      name == 'code' ; value + '-w'
  - bang      CEL_FIELD  TRANSFORM READ       name == 'note' ; value + '!'
  - ssnShape  CEL_FIELD  CONDITION WRITE      tags [SECRET] (from metadata): the SSN pattern

Checks that Python reads Warden's record with its READ transform applied on top of Warden's
WRITE transform, refuses to write a record the WRITE conditions fail (naming no field, as
Confluent's clients do), and writes a record (with its own WRITE transform) to OUT_FILE as
hex for Warden to read. Prints "all passed" at the end.
"""

import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

URL, SUBJECT, WARDEN_HEX, OUT = sys.argv[1:5]
TOPIC = SUBJECT.removesuffix("-value")

CelExecutor.register()
CelFieldExecutor.register()

client = SchemaRegistryClient({"url": URL})
ctx = SerializationContext(TOPIC, MessageField.VALUE)


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


deserializer = AvroDeserializer(client)
record = deserializer(bytes.fromhex(WARDEN_HEX), ctx)
check("Warden's WRITE transform is in the record", record["code"], "A1-w")
check("Python's READ transform ran on Warden's record", record["note"], "hi!")
check("the tagged email reads", record["email"], "a@example.com")

serializer = AvroSerializer(
    client, None, conf={"auto.register.schemas": False, "use.latest.version": True}
)
good = {"code": "B2", "amount": 7.5, "email": "b@example.com", "ssn": "123-45-6789", "note": "py"}
written = serializer(dict(good), ctx)


def refused(what, value):
    try:
        serializer(value, ctx)
    except SerializationError as e:
        print(f"ok   {what} ({e!r})")
        return
    sys.exit(f"FAIL {what}: written")


refused("a negative amount is refused by the CEL condition", dict(good, amount=-1.0))
refused("a bad email is refused by the CEL_FIELD condition", dict(good, email="nope"))
refused("a bad ssn is refused by the metadata-tagged rule", dict(good, ssn="12"))

with open(OUT, "w") as out:
    out.write(written.hex())
print("all passed")
