#!/usr/bin/env bash
# Installs the third-party Confluent clients the interoperability tests run against Warden:
# Python's confluent-kafka (with its Avro, JSON Schema and Protobuf serializers) into
# tests/clients/.venv. Idempotent: does nothing when the pinned version is already there.
# Run by .ci/run, and by the tests themselves when the environment is missing.
set -euo pipefail
cd "$(dirname "$0")"

CONFLUENT_KAFKA_VERSION=2.16.1
VENV=.venv
if [ -x "$VENV/bin/python" ] \
  && "$VENV/bin/python" -c "import confluent_kafka, sys; sys.exit(confluent_kafka.version()[0] != '$CONFLUENT_KAFKA_VERSION')" 2>/dev/null; then
  exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  "confluent-kafka[avro,json,protobuf,schemaregistry]==$CONFLUENT_KAFKA_VERSION"
