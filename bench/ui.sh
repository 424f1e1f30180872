#!/usr/bin/env bash
# Page times of the web UI (and the diff API) with 10,000 subjects: fills a fresh SQLite
# registry, then requests each page RUNS times with curl and prints a table of the median,
# 95th percentile and maximum time to the last byte. See BENCHMARKS.md ("Web UI").
#
# Usage: bash bench/ui.sh [--bin PATH] [--subjects N] [--runs N]
# Environment: WARDEN_BIN. Needs: curl, python3 (standard library only).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${WARDEN_BIN:-}"
SUBJECTS=10000
RUNS=30
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --subjects) SUBJECTS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build --release -p warden-cli)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/warden"
fi

TMP="$(mktemp -d -t warden-bench-ui.XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --listen "127.0.0.1:$PORT" --database-url "sqlite://$TMP/warden.db" \
  >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

# 10,000 subjects of one Avro schema each (every 10th its own), plus `users` with a breaking
# second version and `customer` referencing `address`.
python3 - "$BASE" "$SUBJECTS" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, n = sys.argv[1], int(sys.argv[2])
def post(path, body, method="POST"):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
def rec(name, fields):
    return json.dumps({"type": "record", "name": name, "namespace": "acme", "fields": fields})
def one(i):
    fields = [{"name": "id", "type": "long"}] + ([{"name": f"f{i}", "type": "string", "default": ""}] if i % 10 == 0 else [])
    post(f"/subjects/orders-{i:05d}/versions", {"schema": rec("Order", fields)})
with ThreadPoolExecutor(16) as pool:
    list(pool.map(one, range(n)))
post("/config/users", {"compatibility": "NONE"}, "PUT")
post("/subjects/users/versions", {"schema": rec("User", [{"name": "name", "type": "string"}])})
post("/subjects/users/versions", {"schema": rec("User", [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}])})
post("/subjects/address/versions", {"schema": rec("Address", [{"name": "city", "type": "string"}])})
post("/subjects/customer/versions", {"schema": rec("Customer", [{"name": "home", "type": "acme.Address"}]),
     "references": [{"name": "acme.Address", "subject": "address", "version": 1}]})
PY

PAGES=(
  "/ui/"
  "/ui/?page=150"
  "/ui/?q=orders-07345"
  "/ui/?format=AVRO&deleted=all"
  "/ui/?level=NONE"
  "/ui/subjects/users"
  "/ui/subjects/customer"
  "/ui/subjects/users/diff?from=1&to=2"
  "/ui/schemas/1"
  "/warden/v1/subjects/users/diff?from=1&to=2"
)
printf '%s subjects, %s runs each (after one warm-up request), time to the last byte\n\n' "$SUBJECTS" "$RUNS"
printf '| page | median ms | p95 ms | max ms |\n|---|---:|---:|---:|\n'
for page in "${PAGES[@]}"; do
  curl -fs -o /dev/null "$BASE$page"
  for _ in $(seq 1 "$RUNS"); do
    curl -fs -o /dev/null -w '%{time_total}\n' "$BASE$page"
  done | python3 -c '
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin)
p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
print(f"| `{sys.argv[1]}` | {statistics.median(t):.1f} | {p95:.1f} | {t[-1]:.1f} |")
' "$page"
done
