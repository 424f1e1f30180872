"""Confluent's Python client (confluent-kafka) against a Warden with TLS, authentication
and authorization on.

Usage: python secure_client.py URL CA_PEM basic USER:PASSWORD
       python secure_client.py URL CA_PEM bearer TOKEN

The principal may read and write subjects starting with `secure-` and nothing else; a
subject `secret-value` exists. Registers through the Avro serializer over HTTPS, reads back,
sees only its subjects, is refused (40301) elsewhere, and a wrong credential gets 401.
"""

import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

URL, CA, MODE, CREDENTIAL = sys.argv[1:5]


def conf(credential):
    c = {"url": URL, "ssl.ca.location": CA}
    if MODE == "basic":
        c["basic.auth.user.info"] = credential
    else:
        c["bearer.auth.credentials.source"] = "STATIC_TOKEN"
        c["bearer.auth.token"] = credential
        c["bearer.auth.logical.cluster"] = "warden"
    return c


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


def expect_error(what, code, call):
    try:
        call()
    except SchemaRegistryError as e:
        check(what, e.error_code, code)
        return
    sys.exit(f"FAIL {what}: no error, want {code}")


client = SchemaRegistryClient(conf(CREDENTIAL))
ORDER = """{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},
  {"name":"item","type":"string"}]}"""
serializer = AvroSerializer(client, ORDER)
deserializer = AvroDeserializer(client)
ctx = SerializationContext("secure-orders", MessageField.VALUE)
payload = serializer({"id": 7, "item": "book"}, ctx)
check("avro round trip over https", deserializer(payload, ctx), {"id": 7, "item": "book"})
latest = client.get_latest_version("secure-orders-value")
check("latest version", latest.version, 1)
check("schema by id", client.get_schema(latest.schema_id).schema_str is not None, True)
check("subjects listed are the readable ones", client.get_subjects(), ["secure-orders-value"])
expect_error("register elsewhere is refused", 40301,
             lambda: client.register_schema("secret-value", Schema(ORDER, "AVRO")))
expect_error("read elsewhere is refused", 40301,
             lambda: client.get_latest_version("secret-value"))
wrong = SchemaRegistryClient(conf("alice:wrong" if MODE == "basic" else CREDENTIAL[:-4] + "AAAA"))
expect_error("a wrong credential is 401", 401, lambda: wrong.get_subjects())
print("all passed")
