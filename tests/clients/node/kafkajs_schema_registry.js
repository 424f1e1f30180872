// @kafkajs/confluent-schema-registry (the most used Node client) against a running Warden.
//
// Usage: node kafkajs_schema_registry.js URL
//
// Registers Avro (with a reference), JSON Schema and Protobuf schemas the way the client
// does (it reads and sets the subject's config around the registration), reads ids back
// and round-trips records through encode and decode. Exits non-zero with the failing step
// on the first mismatch.
"use strict";

const { SchemaRegistry, SchemaType, COMPATIBILITY } = require("@kafkajs/confluent-schema-registry");
const { answerHits, check, expectError, run } = require("./check");

const URL = process.argv[2];
const registry = new SchemaRegistry({ host: URL });
const fresh = () => new SchemaRegistry({ host: URL });

const COUNTRY = JSON.stringify({
  type: "enum", name: "Country", namespace: "com.acme", symbols: ["NL", "FR"],
});
const ADDRESS = JSON.stringify({
  type: "record", name: "Address", namespace: "com.acme",
  fields: [{ name: "city", type: "string" }, { name: "country", type: "com.acme.Country" }],
});
const ADDRESS_V2 = JSON.stringify({
  type: "record", name: "Address", namespace: "com.acme",
  fields: [{ name: "city", type: "string" }, { name: "country", type: "com.acme.Country" },
    { name: "zip", type: ["null", "string"], default: null }],
});
const ORDER = JSON.stringify({
  $schema: "http://json-schema.org/draft-07/schema#", title: "Order", type: "object",
  properties: { id: { type: "integer" }, sku: { type: "string" } }, required: ["id"],
});
const PERSON = `syntax = "proto3";
package acme;

message Person {
  string name = 1;
  int32 age = 2;
  repeated string tags = 3;
}
`;

run(async () => {
  // Avro with a reference, subject named by the caller.
  const country = await registry.register(
    { type: SchemaType.AVRO, schema: COUNTRY }, { subject: "kjs-country" });
  const config = await (await fetch(`${URL}/config/kjs-country`)).json();
  check("the first registration sets the subject's compatibility", config, { compatibilityLevel: "BACKWARD" });
  const address = await registry.register({
    type: SchemaType.AVRO, schema: ADDRESS,
    references: [{ name: "com.acme.Country", subject: "kjs-country", version: 1 }],
  }, { subject: "kjs-address" });
  check("a second registration is a new id", address.id !== country.id, true);
  const again = await fresh().register({
    type: SchemaType.AVRO, schema: ADDRESS,
    references: [{ name: "com.acme.Country", subject: "kjs-country", version: 1 }],
  }, { subject: "kjs-address" });
  check("registering again returns the same id", again.id, address.id);
  const v2 = await fresh().register({
    type: SchemaType.AVRO, schema: ADDRESS_V2,
    references: [{ name: "com.acme.Country", subject: "kjs-country", version: 1 }],
  }, { subject: "kjs-address" });
  check("getLatestSchemaId", await fresh().getLatestSchemaId("kjs-address"), v2.id);
  check("getRegistryId version 1", await fresh().getRegistryId("kjs-address", 1), address.id);
  check("getRegistryId latest", await fresh().getRegistryId("kjs-address", "latest"), v2.id);
  // The client's lookup sends no references, so it is used on the schema without any.
  check("getRegistryIdBySchema", await fresh().getRegistryIdBySchema("kjs-country",
    { type: SchemaType.AVRO, schema: COUNTRY }), country.id);
  // The same read and lookup sent again, each from a new client: from the third time on the
  // registry answers them from its kept answers, with what it answered before.
  const hitsBefore = await answerHits(URL);
  for (let i = 0; i < 2; i++) {
    check("getLatestSchemaId sent again", await fresh().getLatestSchemaId("kjs-address"), v2.id);
  }
  for (let i = 0; i < 3; i++) {
    check("getRegistryIdBySchema sent again", await fresh().getRegistryIdBySchema("kjs-country",
      { type: SchemaType.AVRO, schema: COUNTRY }), country.id);
    // The client's read by id (a plain GET /schemas/ids/{id}), answered before routing
    // from its third time on.
    check("getSchema sent again", (await fresh().getSchema(country.id)).name, "com.acme.Country");
  }
  check("requests answered from the kept answers", (await answerHits(URL)) - hitsBefore >= 3, true);
  const value = { city: "Utrecht", country: "NL" };
  const encoded = await registry.encode(address.id, value);
  check("encode: magic byte", encoded[0], 0);
  check("encode: schema id", encoded.readInt32BE(1), address.id);
  const plain = (o) => JSON.parse(JSON.stringify(o));
  check("decode with references fetched from the registry", plain(await fresh().decode(encoded)), value);
  await expectError("an incompatible schema is refused", 409, () => fresh().register(
    { type: SchemaType.AVRO, schema: JSON.stringify({ type: "record", name: "Address", namespace: "com.acme", fields: [{ name: "city", type: "int" }] }) },
    { subject: "kjs-address" }));
  await expectError("a compatibility other than the subject's is refused by the client", null,
    () => fresh().register({ type: SchemaType.AVRO, schema: ADDRESS_V2,
      references: [{ name: "com.acme.Country", subject: "kjs-country", version: 1 }] },
    { subject: "kjs-address", compatibility: COMPATIBILITY.FULL }));

  // Avro subject from the record's full name (the client's default strategy).
  const named = await registry.register({ type: SchemaType.AVRO, schema: COUNTRY });
  check("the default subject is the full name", await fresh().getLatestSchemaId("com.acme.Country"), named.id);

  // JSON Schema.
  const order = await registry.register({ type: SchemaType.JSON, schema: ORDER }, { subject: "kjs-order" });
  const orderValue = { id: 7, sku: "A-1" };
  const orderBytes = await registry.encode(order.id, orderValue);
  check("JSON: decode", await fresh().decode(orderBytes), orderValue);
  await expectError("JSON: encode refuses a record without its required field", null,
    () => registry.encode(order.id, { sku: "A-1" }));
  const schema = await fresh().getSchema(order.id);
  check("JSON: getSchema reads the registered schema", typeof schema.validate, "function");

  // Protobuf.
  const person = await registry.register({ type: SchemaType.PROTOBUF, schema: PERSON }, { subject: "kjs-person" });
  const personValue = { name: "Ada", age: 36, tags: ["x", "y"] };
  const personBytes = await registry.encode(person.id, personValue);
  check("Protobuf: schema id", personBytes.readInt32BE(1), person.id);
  const decoded = await fresh().decode(personBytes);
  check("Protobuf: decode", { name: decoded.name, age: decoded.age, tags: decoded.tags }, personValue);
});
