// Confluent's Node JSONata migration rules (@confluentinc/schemaregistry: JsonataExecutor)
// against Warden.
//
// Usage: node rules_migration.js URL WARDEN_V1_RECORD_HEX OUT
//
// `shoes-value` (registered by the Rust test) has version 1 `{id, size}` and version 2
// `{id, height}` whose migration rules rename the field both ways (JSONata). Node reads
// Warden's version-1 record with useLatestVersion (upgraded to `height`), then writes a
// version-2 record to OUT as hex, for Warden to read as version 1 (downgraded). Prints
// "all passed" at the end.
"use strict";

const fs = require("node:fs");
const {
  SchemaRegistryClient, SerdeType, AvroSerializer, AvroDeserializer, JsonataExecutor,
} = require("@confluentinc/schemaregistry");
const { check, run } = require("./check");

const [URL, WARDEN_HEX, OUT] = process.argv.slice(2, 5);

JsonataExecutor.register();
const client = SchemaRegistryClient.newClient({ baseURLs: [URL], cacheCapacity: 1000 });

run(async () => {
  const reader = new AvroDeserializer(client, SerdeType.VALUE, { useLatestVersion: true });
  check(
    "Warden's version-1 record reads upgraded to version 2",
    // (The migrated record is an object without a prototype: compared by its fields.)
    { ...(await reader.deserialize("shoes", Buffer.from(WARDEN_HEX, "hex"))) },
    { id: "w1", height: 41 },
  );
  const writer = new AvroSerializer(client, SerdeType.VALUE, {
    useLatestVersion: true, autoRegisterSchemas: false,
  });
  const written = await writer.serialize("shoes", { id: "n2", height: 37 });
  fs.writeFileSync(OUT, written.toString("hex"));
});
