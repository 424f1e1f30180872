"""Confluent's Python client (confluent-kafka) against a running Warden.

Usage: python registry_client.py URL

Exercises the SchemaRegistryClient methods whose endpoints Warden serves, and the Avro, JSON
Schema and Protobuf serializers with auto-registration on and off, as a user of
confluent-kafka would. Exits non-zero with the failing step on the first mismatch.
"""

import json
import sys
import urllib.request

from confluent_kafka.schema_registry import (
    AssociationCreateOrUpdateInfo,
    AssociationCreateOrUpdateRequest,
    ConfigCompatibilityLevel,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    ServerConfig,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

URL = sys.argv[1]
client = SchemaRegistryClient({"url": URL})


def answer_hits():
    """Requests the registry answered from its kept answers so far (its /metrics)."""
    prefix = 'warden_cache_requests_total{cache="answer",result="hit"} '
    with urllib.request.urlopen(f"{URL}/metrics") as metrics:
        for line in metrics.read().decode().splitlines():
            if line.startswith(prefix):
                return float(line[len(prefix):])
    return 0.0


USER_V1 = """{"type":"record","name":"User","namespace":"example.avro","fields":[
  {"name":"name","type":"string"},
  {"name":"age","type":"int"}]}"""
USER_V2 = """{"type":"record","name":"User","namespace":"example.avro","fields":[
  {"name":"name","type":"string"},
  {"name":"age","type":"int"},
  {"name":"email","type":["null","string"],"default":null}]}"""
USER_BREAKING = """{"type":"record","name":"User","namespace":"example.avro","fields":[
  {"name":"name","type":"string"},
  {"name":"age","type":"int"},
  {"name":"country","type":"string"}]}"""


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


# ---- registry calls ---------------------------------------------------------------------
subject = "py-users-value"
check("get_schema_types", sorted(client.get_schema_types()), ["AVRO", "JSON", "PROTOBUF"])
v1 = Schema(USER_V1, "AVRO")
id1 = client.register_schema(subject, v1)
# A new client each time: the client remembers what it registered and would not ask again.
check("register_schema is idempotent", SchemaRegistryClient({"url": URL}).register_schema(subject, v1), id1)
check("register_schema normalize=True finds the same schema", SchemaRegistryClient({"url": URL}).register_schema(subject, v1, normalize_schemas=True), id1)
# The same request from the third time on is answered with what the registry kept of its
# answer (the registry's answer cache): the same id, version and verdict as computed.
hits_before = answer_hits()
check("register_schema a third time", SchemaRegistryClient({"url": URL}).register_schema(subject, v1), id1)
for _ in range(3):
    again = SchemaRegistryClient({"url": URL})
    found_again = again.lookup_schema(subject, v1)
    check("lookup_schema again, a new client each time", (found_again.schema_id, found_again.version), (id1, 1))
    check("test_compatibility again, a new client each time", again.test_compatibility(subject, Schema(USER_V1, "AVRO")), True)
    latest_again = again.get_latest_version(subject)
    check("get_latest_version again, a new client each time", (latest_again.schema_id, latest_again.version), (id1, 1))
    by_id_again = again.get_schema(id1)
    check("get_schema again, a new client each time", (by_id_again.schema_type, json.loads(by_id_again.schema_str)), ("AVRO", json.loads(USER_V1)))
# The lookup, the check, the latest read and the read by id, each sent a third time, come
# from the kept answers (the two reads answered before routing). (The registration's first
# sending wrote the schema, which no answer is kept across, so its third is the second one
# counted.)
check("requests answered from the kept answers (at least 4)", min(answer_hits() - hits_before, 4), 4)
found = client.lookup_schema(subject, v1)
check("lookup_schema id", found.schema_id, id1)
check("lookup_schema version", found.version, 1)
check("get_schema type", client.get_schema(id1).schema_type, "AVRO")
check("test_compatibility (latest) compatible", client.test_compatibility(subject, Schema(USER_V2, "AVRO")), True)
check("test_compatibility verbose", client.test_compatibility(subject, Schema(USER_BREAKING, "AVRO"), verbose=True), False)
check("test_compatibility_all_versions", client.test_compatibility_all_versions(subject, Schema(USER_V2, "AVRO")), True)
id2 = client.register_schema(subject, Schema(USER_V2, "AVRO"))
check("a new version gets a new id", id2 != id1, True)
expect_error("an incompatible schema is 40901", 40901, lambda: client.register_schema(subject, Schema(USER_BREAKING, "AVRO")))
check("get_versions", client.get_versions(subject), [1, 2])
check("get_latest_version", client.get_latest_version(subject).version, 2)
check("get_version", client.get_version(subject, 1).schema_id, id1)
check("get_subjects", subject in client.get_subjects(), True)
check("get_subjects_by_schema_id", client.get_subjects_by_schema_id(id1), [subject])
versions = client.get_schema_versions(id1)
check("get_schema_versions", [(v.subject, v.version) for v in versions], [(subject, 1)])
check("set_compatibility", client.set_compatibility(subject, "FULL")["compatibility"], "FULL")
check("get_compatibility", client.get_compatibility(subject), "FULL")
check("set_compatibility global", client.set_compatibility(level="BACKWARD")["compatibility"], "BACKWARD")
check("update_mode", client.update_mode(subject, "READONLY"), "READONLY")
check("get_mode", client.get_mode(subject), "READONLY")
expect_error("a read-only subject refuses registration with 42205", 42205, lambda: client.register_schema(subject, Schema(USER_BREAKING.replace('"country","type":"string"', '"country","type":["null","string"],"default":null'), "AVRO")))
check("delete_mode", client.delete_mode(subject), "READONLY")
check("get_global_mode", client.get_global_mode(), "READWRITE")
check("update_global_mode", client.update_global_mode("READONLY"), "READONLY")
check("get_global_mode after update", client.get_global_mode(), "READONLY")
check("update_global_mode back", client.update_global_mode("READWRITE"), "READWRITE")
FORWARD = ConfigCompatibilityLevel.FORWARD
# set_config answers the body as a dict (the client does not wrap it).
check("set_config", client.set_config(subject, ServerConfig(compatibility=FORWARD))["compatibility"], "FORWARD")
check("get_config", client.get_config(subject).compatibility_level, FORWARD)
check("delete_config", client.delete_config(subject).compatibility_level, FORWARD)
expect_error("get_config without a subject config is 40408", 40408, lambda: client.get_config(subject))
check("get_config global", client.get_config().compatibility_level, ConfigCompatibilityLevel.BACKWARD)
TEAM = """{"type":"record","name":"Team","namespace":"example.avro","fields":[
  {"name":"lead","type":"example.avro.User"}]}"""
team_subject = "py-team-value"
team_id = client.register_schema(team_subject, Schema(TEAM, "AVRO", [SchemaReference("example.avro.User", subject, 1)]))
check("get_referenced_by", client.get_referenced_by(subject, 1), [team_id])
# fmt="resolved" (Avro): the referenced User written in full where it is first used. New
# clients each time: the client caches schemas by id and version without their format.
import json
resolved = json.loads(SchemaRegistryClient({"url": URL}).get_schema(team_id, fmt="resolved").schema_str)
check("get_schema fmt=resolved inlines the reference", resolved["fields"][0]["type"]["name"], "User")
check("get_schema fmt=resolved keeps the field", resolved["fields"][0]["type"]["fields"][0]["name"], "name")
by_version = SchemaRegistryClient({"url": URL}).get_version(team_subject, 1, fmt="resolved")
check("get_version fmt=resolved", json.loads(by_version.schema.schema_str)["fields"][0]["type"]["type"], "record")
plain = SchemaRegistryClient({"url": URL}).get_schema(team_id)
check("get_schema without fmt keeps the reference by name", json.loads(plain.schema_str)["fields"][0]["type"], "User")
check("get_schema fmt=serialized of an Avro schema answers the stored text",
      SchemaRegistryClient({"url": URL}).get_schema(team_id, fmt="serialized").schema_str, plain.schema_str)
expect_error("a referenced version cannot be deleted (42206)", 42206, lambda: client.delete_version(subject, 1))
check("delete_subject of the referrer", client.delete_subject(team_subject), [1])
check("delete_subject of the referrer, permanent", client.delete_subject(team_subject, permanent=True), [1])
check("get_referenced_by after the referrer is gone", client.get_referenced_by(subject, 1), [])
check("delete_version", client.delete_version(subject, 2), 2)
check("get_versions after a soft delete", client.get_versions(subject), [1])
check("lookup_schema deleted=True", client.lookup_schema(subject, Schema(USER_V2, "AVRO"), deleted=True).version, 2)
check("delete_subject", client.delete_subject(subject), [1])
check("delete_subject permanent", sorted(client.delete_subject(subject, permanent=True)), [1, 2])
expect_error("a deleted subject is 40401", 40401, lambda: client.get_versions(subject))

# ---- data contracts: metadata, rule sets, config defaults ----------------------------------
from confluent_kafka.schema_registry import Metadata, MetadataProperties, Rule, RuleKind, RuleMode, RuleSet

contracts = "py-contracts-value"
client.set_config(contracts, ServerConfig(compatibility=ConfigCompatibilityLevel.NONE))


def with_owner(text, owner, rules=None):
    return Schema(text, "AVRO", metadata=Metadata(None, MetadataProperties({"owner": owner}), None),
                  rule_set=rules)


checks = RuleSet(None, [Rule("checkName", None, RuleKind.CONDITION, RuleMode.WRITE, "CEL", None, None,
                             "message.name != ''", None, None, False)])
registered = client.register_schema_full_response(contracts, with_owner(USER_V1, "team-a", checks))
check("register_schema_full_response carries the version", registered.version, 1)
check("register_schema_full_response carries the metadata", registered.schema.metadata.properties.properties, {"owner": "team-a"})
check("register_schema_full_response carries the rule set", registered.schema.rule_set.domain_rules[0].name, "checkName")
check("register_schema_full_response carries a GUID", len(registered.guid or ""), 36)
# A new client: the one that registered answers from its cache without asking the registry.
check("get_schema_by_guid", SchemaRegistryClient({"url": URL}).get_schema_by_guid(registered.guid).schema_str,
      registered.schema.schema_str)
client.register_schema(":.py-ctx:py-users-value", Schema(USER_V1, "AVRO"))
check("get_contexts lists the default context and a new one", client.get_contexts(), [".", ".py-ctx"])
client.register_schema(contracts, with_owner(USER_V2, "team-b"))
latest = client.get_latest_with_metadata(contracts, {"owner": "team-a"})
check("get_latest_with_metadata", (latest.version, latest.schema.rule_set.domain_rules[0].expr),
      (1, "message.name != ''"))
check("get_latest_with_metadata of the newest match", client.get_latest_with_metadata(contracts, {"owner": "team-b"}).version, 2)
expect_error("get_latest_with_metadata without a match is 40403", 40403,
             lambda: client.get_latest_with_metadata(contracts, {"owner": "team-c"}))
check("set_config with default metadata",
      client.set_config(contracts, ServerConfig(default_metadata=Metadata(None, MetadataProperties({"tier": "gold"}), None)))
      ["defaultMetadata"], {"properties": {"tier": "gold"}})
third = client.register_schema_full_response(contracts, Schema(USER_BREAKING, "AVRO"))
check("a new version takes the config's default metadata and the latest version's own",
      third.schema.metadata.properties.properties, {"owner": "team-b", "tier": "gold"})
check("get_config answers the default metadata",
      client.get_config(contracts).default_metadata.properties.properties, {"tier": "gold"})
client.delete_subject(contracts)
client.delete_subject(contracts, permanent=True)
expect_error("a permanent delete removes the subject's config too", 40401, lambda: client.delete_config(contracts))

# ---- associations (Confluent 8) ---------------------------------------------------------
client.register_schema("py-orders-key", Schema(USER_V1, "AVRO"))
weak = AssociationCreateOrUpdateRequest(
    resource_name="py-orders", resource_namespace="lkc-py", resource_id="py-topic-1",
    associations=[
        AssociationCreateOrUpdateInfo(subject="py-orders-key", association_type="key", lifecycle="WEAK"),
    ])
created = client.create_association(weak)
check("create_association (WEAK)", [(a.subject, a.association_type, a.lifecycle) for a in created.associations],
      [("py-orders-key", "key", "WEAK")])
strong = AssociationCreateOrUpdateRequest(
    resource_name="py-payments", resource_namespace="lkc-py", resource_id="py-topic-2",
    associations=[AssociationCreateOrUpdateInfo(schema=Schema(USER_V1, "AVRO"))])
created = client.create_association(strong)
check("create_association with a schema is STRONG on the topic's own subject",
      [(a.subject, a.lifecycle, a.schema.schema_str is not None) for a in created.associations],
      [(":.lkc-py:py-payments-value", "STRONG", True)])
found = client.get_associations_by_resource_name("py-orders", "lkc-py")
check("get_associations_by_resource_name", [(a.subject, a.resource_id, a.association_type) for a in found],
      [("py-orders-key", "py-topic-1", "key")])
found = client.get_associations_by_resource_name("-", "lkc-py", resource_type="topic", association_types=["value"])
check("get_associations_by_resource_name with wildcards and a type filter", [a.resource_name for a in found], ["py-payments"])
check("get_associations_by_resource_name paged", len(client.get_associations_by_resource_name("-", "-", offset=1, limit=1)), 1)
expect_error("create_association again with another subject is 40903", 40903, lambda: client.create_association(
    AssociationCreateOrUpdateRequest(
        resource_name="py-orders", resource_namespace="lkc-py", resource_id="py-topic-1",
        associations=[AssociationCreateOrUpdateInfo(subject="py-other", association_type="key", lifecycle="WEAK")])))
expect_error("delete_associations of a frozen association without cascade is 40908", 40908,
             lambda: client.delete_associations("py-topic-2"))
client.delete_associations("py-topic-2", cascade_lifecycle=True)
expect_error("cascade_lifecycle deletes the STRONG association's subject", 40401,
             lambda: client.get_versions(":.lkc-py:py-payments-value"))
client.delete_associations("py-topic-1", resource_type="topic", association_types=["key"])
check("delete_associations leaves a WEAK association's subject", client.get_versions("py-orders-key"), [1])
check("no associations left", client.get_associations_by_resource_name("-", "-"), [])
expect_error("delete_associations of an unknown resource is 40410", 40410,
             lambda: client.delete_associations("py-topic-1"))

# ---- serializers ------------------------------------------------------------------------
def roundtrip(name, serializer, deserializer, topic, value):
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = serializer(value, ctx)
    check(f"{name}: magic byte", data[0], 0)
    schema_id = int.from_bytes(data[1:5], "big")
    check(f"{name}: schema id registered under {topic}-value", client.get_latest_version(f"{topic}-value").schema_id, schema_id)
    check(f"{name}: round trip", deserializer(data, ctx), value)


record = {"name": "Ada", "age": 36}
roundtrip(
    "AvroSerializer auto.register",
    AvroSerializer(client, USER_V1, conf={"auto.register.schemas": True}),
    AvroDeserializer(client),
    "py-avro",
    record,
)
roundtrip(
    "AvroSerializer use.latest.version",
    AvroSerializer(client, USER_V1, conf={"auto.register.schemas": False, "use.latest.version": True}),
    AvroDeserializer(client),
    "py-avro",
    record,
)
JSON_SCHEMA = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order",
  "type":"object","properties":{"id":{"type":"integer"},"sku":{"type":"string"}},
  "required":["id"]}"""
roundtrip(
    "JSONSerializer auto.register",
    JSONSerializer(JSON_SCHEMA, client, conf={"auto.register.schemas": True}),
    JSONDeserializer(JSON_SCHEMA, schema_registry_client=client),
    "py-json",
    {"id": 7, "sku": "A-1"},
)
serializer = AvroSerializer(client, USER_V2, conf={"auto.register.schemas": False})
try:
    serializer(record, SerializationContext("py-unregistered", MessageField.VALUE))
    sys.exit("FAIL auto.register.schemas=False: an unregistered schema serialized")
except Exception as e:  # the client wraps the registry's 40401 in a SerializationError
    check("auto.register.schemas=False refuses an unregistered schema", "40401" in str(e) or "not found" in str(e).lower(), True)

print("all passed")
