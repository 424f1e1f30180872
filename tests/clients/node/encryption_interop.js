// Confluent's Node field-level encryption (@confluentinc/schemaregistry:
// FieldEncryptionExecutor with the local KMS) against Warden's DEK registry, on records
// Warden's serializer encrypted, and for records Warden's deserializer decrypts.
//
// Usage: node encryption_interop.js URL SECRET WARDEN_RECORD_HEX OUT_SAME OUT_FIRST
//
// The latest versions of `nodeenc-value` and `nodefirst-value` (registered by the Rust test)
// carry an ENCRYPT rule on the PII-tagged fields (`ssn` inline, `email` by metadata) with
// KEK `kek1` (local-kms, key id `mykey`). Warden wrote the record of `nodeenc` (and created
// the KEK and that subject's DEK); nothing was written to `nodefirst` yet, so Node creates
// its DEK.
//
// Checks that Node decrypts Warden's record, then writes one record to each subject, as
// hex, to OUT_SAME (`nodeenc`, with Warden's DEK) and OUT_FIRST (`nodefirst`, with Node's
// DEK) for Warden to decrypt. Prints "all passed" at the end.
"use strict";

const fs = require("node:fs");
const {
  SchemaRegistryClient, SerdeType, AvroSerializer, AvroDeserializer, FieldEncryptionExecutor,
  LocalKmsDriver,
} = require("@confluentinc/schemaregistry");
const { check, run } = require("./check");

const [URL, SECRET, WARDEN_HEX, OUT_SAME, OUT_FIRST] = process.argv.slice(2, 7);

FieldEncryptionExecutor.register();
LocalKmsDriver.register();

const client = SchemaRegistryClient.newClient({ baseURLs: [URL], cacheCapacity: 1000 });
const ruleConfig = { secret: SECRET };

run(async () => {
  const deserializer = new AvroDeserializer(client, SerdeType.VALUE, { ruleConfig });
  const record = await deserializer.deserialize("nodeenc", Buffer.from(WARDEN_HEX, "hex"));
  check("Node decrypts Warden's inline-tagged field", record.ssn, "123-45-6789");
  check("Node decrypts Warden's metadata-tagged field", record.email, "a@example.com");
  check("an untagged field reads as written", record.note, "hi");

  const serializer = new AvroSerializer(client, SerdeType.VALUE, {
    useLatestVersion: true, autoRegisterSchemas: false, ruleConfig,
  });
  for (const [topic, ssn, out] of [["nodeenc", "111-22-3333", OUT_SAME],
    ["nodefirst", "444-55-6666", OUT_FIRST]]) {
    const written = await serializer.serialize(topic, {
      id: "c-3", ssn, email: "b@example.com", note: "node",
    });
    if (written.includes(Buffer.from(ssn))) {
      throw new Error(`${topic}: the ssn was written in plaintext`);
    }
    const back = await deserializer.deserialize(topic, written);
    check(`Node reads its own record of ${topic}`, back.ssn, ssn);
    fs.writeFileSync(out, written.toString("hex"));
  }
});
