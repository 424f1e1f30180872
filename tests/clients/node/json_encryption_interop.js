// Confluent's Node field-level encryption (@confluentinc/schemaregistry:
// FieldEncryptionExecutor with the local KMS) on a JSON Schema field whose `type` is an
// array (`["string", "null"]`), against Warden's DEK registry.
//
// Usage: node json_encryption_interop.js URL SECRET WARDEN_RECORD_HEX OUT
//
// The latest version of `jsonenc-value` (registered by the Rust test) has `ssn` typed
// `["string", "null"]` and tagged PII inline, and an ENCRYPT rule on PII with KEK `kek1`
// (local-kms, key id `mykey`). Warden wrote the record given (and created the KEK and DEK).
//
// Checks that Node decrypts Warden's field, then writes a record of its own (the field
// encrypted) to OUT as hex for Warden to decrypt. Prints "all passed" at the end.
"use strict";

const fs = require("node:fs");
const {
  SchemaRegistryClient, SerdeType, JsonSerializer, JsonDeserializer, FieldEncryptionExecutor,
  LocalKmsDriver,
} = require("@confluentinc/schemaregistry");
const { check, run } = require("./check");

const [URL, SECRET, WARDEN_HEX, OUT] = process.argv.slice(2, 6);

FieldEncryptionExecutor.register();
LocalKmsDriver.register();

const client = SchemaRegistryClient.newClient({ baseURLs: [URL], cacheCapacity: 1000 });
const ruleConfig = { secret: SECRET };

run(async () => {
  const deserializer = new JsonDeserializer(client, SerdeType.VALUE, { ruleConfig });
  const record = await deserializer.deserialize("jsonenc", Buffer.from(WARDEN_HEX, "hex"));
  check("Node decrypts Warden's field typed [string, null]", record.ssn, "123-45-6789");
  check("an untagged field reads as written", record.note, "hi");

  const serializer = new JsonSerializer(client, SerdeType.VALUE, {
    useLatestVersion: true, autoRegisterSchemas: false, ruleConfig,
  });
  const written = await serializer.serialize("jsonenc", { id: "c-2", ssn: "111-22-3333", note: "node" });
  const stored = JSON.parse(written.subarray(5).toString("utf8"));
  if (stored.ssn === "111-22-3333") {
    throw new Error("the field typed [string, null] was written in plaintext");
  }
  console.log("ok   Node encrypts the field typed [string, null]");
  check("Node reads its own record", (await deserializer.deserialize("jsonenc", written)).ssn,
    "111-22-3333");
  fs.writeFileSync(OUT, written.toString("hex"));
});
