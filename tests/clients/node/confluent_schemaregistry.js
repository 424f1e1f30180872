// Confluent's official Node client (@confluentinc/schemaregistry) against a running Warden.
//
// Usage: node confluent_schemaregistry.js URL
//
// Calls the SchemaRegistryClient methods, then round-trips records through its Avro, JSON
// Schema and Protobuf serializers with auto-registration on and with use.latest.version,
// as a user of the client would. Exits non-zero with the failing step on the first mismatch.
"use strict";

const {
  SchemaRegistryClient, SerdeType, AvroSerializer, AvroDeserializer, JsonSerializer,
  JsonDeserializer, ProtobufSerializer, ProtobufDeserializer,
} = require("@confluentinc/schemaregistry");
const { create } = require("@bufbuild/protobuf");
// The client's own generated test message (test.Author), shipped in its package.
const { AuthorSchema } = require("@confluentinc/schemaregistry/dist/test/serde/test/example_pb");
const { answerHits, check, expectError, run } = require("./check");

const URL = process.argv[2];
const client = SchemaRegistryClient.newClient({ baseURLs: [URL], cacheCapacity: 1000 });
// A client without caches, so that every call reaches the registry.
const fresh = () => SchemaRegistryClient.newClient({ baseURLs: [URL], cacheCapacity: 1000 });

const USER_V1 = JSON.stringify({
  type: "record", name: "User", namespace: "example.avro",
  fields: [{ name: "name", type: "string" }, { name: "age", type: "int" }],
});
const USER_V2 = JSON.stringify({
  type: "record", name: "User", namespace: "example.avro",
  fields: [{ name: "name", type: "string" }, { name: "age", type: "int" },
    { name: "email", type: ["null", "string"], default: null }],
});
const USER_BREAKING = JSON.stringify({
  type: "record", name: "User", namespace: "example.avro",
  fields: [{ name: "name", type: "string" }, { name: "age", type: "int" },
    { name: "country", type: "string" }],
});
const avro = (schema) => ({ schema, schemaType: "AVRO" });

run(async () => {
  const subject = "node-users-value";
  const id1 = await client.register(subject, avro(USER_V1), false);
  check("register is idempotent", await fresh().register(subject, avro(USER_V1), false), id1);
  check("register normalize=true finds the same schema", await fresh().register(subject, avro(USER_V1), true), id1);
  const full = await fresh().registerFullResponse(subject, avro(USER_V1), false);
  check("registerFullResponse id", full.id, id1);
  check("registerFullResponse version", full.version, 1);
  check("registerFullResponse guid is a UUID", /^[0-9a-f-]{36}$/.test(full.guid), true);
  const byGuid = await fresh().getByGuid(full.guid);
  check("getByGuid schema", JSON.parse(byGuid.schema), JSON.parse(USER_V1));
  const idFull = await fresh().getIdFullResponse(subject, avro(USER_V1), false);
  check("getIdFullResponse id and version", [idFull.id, idFull.version], [id1, 1]);
  check("getIdFullResponse guid", idFull.guid, full.guid);
  const withOwner = { ...avro(USER_V1), metadata: { properties: { owner: "team-a" } } };
  const metaId = await fresh().register("node-meta-value", withOwner, false);
  const withMeta = await fresh().getLatestWithMetadata("node-meta-value", { owner: "team-a" }, false);
  check("getLatestWithMetadata id", withMeta.id, metaId);
  check("getLatestWithMetadata metadata", withMeta.metadata.properties.owner, "team-a");
  await expectError("getLatestWithMetadata without a match is 40403", 40403,
    () => fresh().getLatestWithMetadata("node-meta-value", { owner: "team-b" }, false));
  check("getId", await fresh().getId(subject, avro(USER_V1), false), id1);
  const byId = await fresh().getBySubjectAndId(subject, id1);
  check("getBySubjectAndId schema", JSON.parse(byId.schema), JSON.parse(USER_V1));
  check("testSubjectCompatibility compatible", await client.testSubjectCompatibility(subject, avro(USER_V2)), true);
  check("testSubjectCompatibility breaking", await client.testSubjectCompatibility(subject, avro(USER_BREAKING)), false);
  check("testCompatibility version 1", await client.testCompatibility(subject, 1, avro(USER_V2)), true);
  const id2 = await client.register(subject, avro(USER_V2), false);
  check("a new version gets a new id", id2 !== id1, true);
  await expectError("an incompatible schema is 40901", 40901, () => fresh().register(subject, avro(USER_BREAKING), false));
  check("getAllVersions", await fresh().getAllVersions(subject), [1, 2]);
  const latest = await fresh().getLatestSchemaMetadata(subject);
  check("getLatestSchemaMetadata version", latest.version, 2);
  check("getLatestSchemaMetadata id", latest.id, id2);
  check("getLatestSchemaMetadata subject", latest.subject, subject);
  // The same read and lookup sent again, each from a new client: from the third time on the
  // registry answers them from its kept answers, with what it answered before.
  const hitsBefore = await answerHits(URL);
  for (let i = 0; i < 2; i++) {
    const again = await fresh().getLatestSchemaMetadata(subject);
    check("getLatestSchemaMetadata sent again", [again.id, again.version, again.schema],
      [id2, 2, latest.schema]);
  }
  for (let i = 0; i < 3; i++) {
    check("getId sent again", await fresh().getId(subject, avro(USER_V1), false), id1);
  }
  check("requests answered from the kept answers", (await answerHits(URL)) - hitsBefore >= 2, true);
  check("getSchemaMetadata", (await fresh().getSchemaMetadata(subject, 1, false)).id, id1);
  check("getVersion", await fresh().getVersion(subject, avro(USER_V1), false, false), 1);
  check("getAllSubjects", (await fresh().getAllSubjects()).includes(subject), true);
  check("updateCompatibility", await client.updateCompatibility(subject, "FULL"), "FULL");
  check("getCompatibility", await fresh().getCompatibility(subject), "FULL");
  check("updateDefaultCompatibility", await client.updateDefaultCompatibility("BACKWARD"), "BACKWARD");
  check("getDefaultCompatibility", await fresh().getDefaultCompatibility(), "BACKWARD");
  const config = await fresh().getConfig(subject);
  check("getConfig", config, { compatibilityLevel: "FULL" });
  check("updateConfig", await client.updateConfig(subject, { compatibility: "FORWARD" }),
    { compatibility: "FORWARD" });
  // Confluent keeps its level under `compatibility` in updates; the client's other key is
  // ignored, and the answer is the config as it stands.
  check("updateConfig with only an ignored key",
    await client.updateConfig(subject, { compatibilityLevel: "NONE" }), { compatibility: "FORWARD" });
  check("getDefaultConfig", (await fresh().getDefaultConfig()).compatibilityLevel, "BACKWARD");
  check("updateDefaultConfig", await client.updateDefaultConfig({ compatibility: "BACKWARD" }),
    { compatibility: "BACKWARD" });
  check("deleteSubjectVersion", await client.deleteSubjectVersion(subject, 2, false), 2);
  check("getAllVersions after a soft delete", await fresh().getAllVersions(subject), [1]);
  check("getSchemaMetadata deleted=true", (await fresh().getSchemaMetadata(subject, 2, true)).id, id2);
  check("deleteSubject", await client.deleteSubject(subject, false), [1]);
  check("deleteSubject permanent", (await client.deleteSubject(subject, true)).sort(), [1, 2]);
  await expectError("a deleted subject is 40401", 40401, () => fresh().getAllVersions(subject));
  await expectError("an unknown id is 40403", 40403, () => fresh().getBySubjectAndId("", 987654));

  // ---- associations (Confluent 8) ------------------------------------------------------
  await client.register("node-orders-key", avro(USER_V1), false);
  const weak = await client.createAssociation({
    resourceName: "node-orders", resourceNamespace: "lkc-node", resourceId: "node-topic-1",
    associations: [{ subject: "node-orders-key", associationType: "key", lifecycle: "WEAK" }],
  });
  check("createAssociation (WEAK)", weak.associations,
    [{ subject: "node-orders-key", associationType: "key", lifecycle: "WEAK" }]);
  const strong = await client.createAssociation({
    resourceName: "node-payments", resourceNamespace: "lkc-node", resourceId: "node-topic-2",
    associations: [{ schema: avro(USER_V1) }],
  });
  check("createAssociation with a schema is STRONG on the topic's own subject",
    strong.associations.map((a) => [a.subject, a.lifecycle, a.schema.version]),
    [[":.lkc-node:node-payments-value", "STRONG", 1]]);
  const found = await client.getAssociationsByResourceName("node-orders", "lkc-node", null, [], null, 0, -1);
  check("getAssociationsByResourceName", found.map((a) => [a.subject, a.resourceId, a.associationType]),
    [["node-orders-key", "node-topic-1", "key"]]);
  const values = await client.getAssociationsByResourceName("-", "lkc-node", "topic", ["value"], "STRONG", 0, 10);
  check("getAssociationsByResourceName with wildcards and filters", values.map((a) => a.resourceName), ["node-payments"]);
  await expectError("deleteAssociations of a frozen association without cascade is 40908", 40908,
    () => client.deleteAssociations("node-topic-2", null, null, false));
  await client.deleteAssociations("node-topic-2", "topic", ["value"], true);
  await expectError("cascadeLifecycle deletes the STRONG association's subject", 40401,
    () => fresh().getAllVersions(":.lkc-node:node-payments-value"));
  await client.deleteAssociations("node-topic-1", null, null, false);
  check("no associations left", await client.getAssociationsByResourceName("-", "-", null, [], null, 0, -1), []);

  // ---- serializers ---------------------------------------------------------------------
  // Decoded Avro records are class instances; their fields are what is compared.
  const plain = (what, got, want) => check(what, JSON.parse(JSON.stringify(got)), want);
  async function roundtrip(name, serializer, deserializer, topic, value, same = plain) {
    const bytes = await serializer.serialize(topic, value);
    check(`${name}: magic byte`, bytes[0], 0);
    const schemaId = bytes.readInt32BE(1);
    const registered = await fresh().getLatestSchemaMetadata(`${topic}-value`);
    check(`${name}: schema id registered under ${topic}-value`, registered.id, schemaId);
    same(`${name}: round trip`, await deserializer.deserialize(topic, bytes), value);
  }

  await roundtrip(
    "AvroSerializer autoRegisterSchemas",
    new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true }),
    new AvroDeserializer(fresh(), SerdeType.VALUE, {}),
    "node-avro", { name: "Ada", age: 36 },
  );
  await roundtrip(
    "AvroSerializer useLatestVersion",
    new AvroSerializer(fresh(), SerdeType.VALUE, { useLatestVersion: true }),
    new AvroDeserializer(fresh(), SerdeType.VALUE, {}),
    "node-avro", { name: "Grace", age: 45 },
  );
  await client.register("node-json-value", {
    schemaType: "JSON",
    schema: JSON.stringify({
      $schema: "http://json-schema.org/draft-07/schema#", title: "Order", type: "object",
      properties: { id: { type: "integer" }, sku: { type: "string" } }, required: ["id"],
    }),
  }, false);
  await roundtrip(
    "JsonSerializer useLatestVersion validate",
    new JsonSerializer(fresh(), SerdeType.VALUE, { useLatestVersion: true, validate: true }),
    new JsonDeserializer(fresh(), SerdeType.VALUE, {}),
    "node-json", { id: 7, sku: "A-1" },
  );
  await expectError(
    "JsonSerializer validate refuses a record without its required field",
    null,
    () => new JsonSerializer(fresh(), SerdeType.VALUE, { useLatestVersion: true, validate: true })
      .serialize("node-json", { sku: "A-1" }),
  );
  const protobuf = new ProtobufSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
  protobuf.registry.add(AuthorSchema);
  const author = create(AuthorSchema, {
    name: "Kafka", id: 123, picture: Buffer.from([1, 2]), works: ["The Castle", "The Trial"],
  });
  await roundtrip(
    "ProtobufSerializer autoRegisterSchemas",
    protobuf,
    new ProtobufDeserializer(fresh(), SerdeType.VALUE, {}),
    "node-protobuf", author,
    (what, got, want) => check(what, [got.name, got.id, got.works], [want.name, want.id, want.works]),
  );
  // The client sends confluent/meta.proto as a plain import, without a reference: the
  // registry must know it, and keep the field tags it defines.
  const stored = await fresh().getLatestSchemaMetadata("node-protobuf-value");
  check("ProtobufSerializer: confluent/meta.proto is imported, not referenced",
    [stored.schema.includes('import "confluent/meta.proto"'), (stored.references ?? []).length], [true, 0]);
  // Stored as Confluent's printer writes a descriptor's options: the repeated field as a list.
  check("ProtobufSerializer: the field tags are kept",
    stored.schema.includes('[(confluent.field_meta) = {\n    tags: [\n      "PII"\n    ]\n  }]'), true);
  // format=serialized, as the client sends it: the base64 FileDescriptorProto, which names
  // the file's message; format=ignore_extensions leaves the text without the extension's
  // options only where it has some, and never fails.
  const serialized = await fresh().getBySubjectAndId("node-protobuf-value", stored.id, "serialized");
  check("getBySubjectAndId format=serialized is a base64 descriptor",
    [serialized.schema.includes("syntax"), Buffer.from(serialized.schema, "base64").includes("works")], [false, true]);
  const withoutExtensions = await fresh().getBySubjectAndId("node-protobuf-value", stored.id, "ignore_extensions");
  check("getBySubjectAndId format=ignore_extensions is Protobuf text",
    withoutExtensions.schema.includes("message"), true);
});
