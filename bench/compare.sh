#!/usr/bin/env bash
# Warden's serializers against the Rust and Python serializers a user would otherwise pick,
# in one run against one `warden serve` (issue 15): builds `warden` and `compare_bench` in
# release, starts `warden serve` on a free loopback port with a fresh SQLite file in a temp
# dir, runs `compare_bench --registry URL` (Warden, schema-registry-client,
# schema_registry_converter, serde_json and prost) and then `bench/compare_confluent.py`
# (confluent-kafka's Python serializers) against it, and prints one Markdown table with
# each row's ratio to Warden's first row of the same format. Stops only the server it
# started, by PID.
#
# Usage: bash bench/compare.sh [--no-build] [--records N] [--runs N]
#                              [--py-records N] [--py-runs N] [--keep]
#
# Needs: python3, curl, and tests/clients/.venv (bash tests/clients/setup.sh) for the
# Python serializers; without that venv the Python rows are left out, and the script says so.
# Run it under `flock /tmp/bench.lock` on a shared machine.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RELEASE="${CARGO_TARGET_DIR:-$ROOT/target}/release"
PYTHON="${PYTHON:-$ROOT/tests/clients/.venv/bin/python}"
BUILD=1
KEEP=0
RECORDS=100000
RUNS=5
PY_RECORDS=20000
PY_RUNS=3

while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0; shift ;;
    --records) RECORDS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --py-records) PY_RECORDS="$2"; shift 2 ;;
    --py-runs) PY_RUNS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release -p warden-cli -p warden-bench --bin warden --bin compare_bench)
fi

TMP="$(mktemp -d -t warden-compare.XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
"$RELEASE/warden" serve --listen "127.0.0.1:$PORT" --database-url "sqlite://$TMP/warden.db" \
  >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$URL/subjects" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
  sleep 0.05
done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
"$RELEASE/compare_bench" --registry "$URL" --records "$RECORDS" --runs "$RUNS" \
  --tsv "$TMP/rust.tsv" >"$TMP/rust.md"
: >"$TMP/python.tsv"
PY_NOTE=""
if [ -x "$PYTHON" ]; then
  "$PYTHON" "$ROOT/bench/compare_confluent.py" "$URL" --records "$PY_RECORDS" --runs "$PY_RUNS" \
    --tsv "$TMP/python.tsv" >/dev/null
else
  PY_NOTE="(no $PYTHON: the Python rows are left out; run bash tests/clients/setup.sh)"
fi
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "Serializers compared, one core each, against one \`warden serve\` (SQLite) on this machine."
echo "Rust: $RECORDS records per run, $RUNS runs; Python: $PY_RECORDS records per run, $PY_RUNS runs;"
echo "median run. Load average before $LOAD_BEFORE, after $LOAD_AFTER. $PY_NOTE"
echo
python3 - "$TMP/rust.tsv" "$TMP/python.tsv" <<'EOF'
import sys

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            fmt, library, what, rate, ns, size = line.rstrip("\n").split("\t")
            rows.append((fmt, library, what, float(rate), float(ns), float(size)))
warden = {}
for fmt, library, what, rate, ns, size in rows:
    if library.startswith("Warden"):
        warden.setdefault(fmt, rate)
print("| format | serializer | input | records/s | ns/record | bytes/record | Warden ÷ this |")
print("|---|---|---|---:|---:|---:|---:|")
for order in ("Avro", "Protobuf", "JSON Schema"):
    for fmt, library, what, rate, ns, size in rows:
        if fmt == order:
            print(f"| {fmt} | {library} | {what} | {rate:,.0f} | {ns:.0f} | {size:.1f} | "
                  f"{warden[fmt] / rate:.2f} |")
EOF
