#!/usr/bin/env bash
# Installs the third-party Python tools the API tests run against Warden into
# tests/clients/.venv: Confluent's confluent-kafka (with its Avro, JSON Schema and Protobuf
# serializers, and the data-contract rule executors) for the interoperability tests, and Schemathesis, which fuzzes the API from
# its OpenAPI description. Idempotent: installs only what is missing or at another version.
# Run by .ci/run, and by the tests themselves when the environment is missing; concurrent
# runs (tests run in parallel) wait for each other.
set -euo pipefail
cd "$(dirname "$0")"

# One run at a time: the lock is held on this script itself, so no lock file is left behind.
exec 9<"$(basename "$0")"
flock 9

CONFLUENT_KAFKA_VERSION=2.16.1
SCHEMATHESIS_VERSION=4.32.5
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
fi
pip_install() {
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@"
}
# The `rules` extra brings the data-contract executors (CEL via cel-python, JSONata, Tink
# field encryption) that the rules interoperability tests run against Warden.
if ! "$VENV/bin/python" -c "import confluent_kafka, celpy, tink, jsonata, sys; sys.exit(confluent_kafka.version()[0] != '$CONFLUENT_KAFKA_VERSION')" 2>/dev/null; then
  pip_install "confluent-kafka[avro,json,protobuf,schemaregistry,rules]==$CONFLUENT_KAFKA_VERSION"
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
  pip_install "schemathesis==$SCHEMATHESIS_VERSION"
fi
