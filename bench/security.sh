#!/usr/bin/env bash
# The cost of TLS and authentication: GET /schemas/ids/{id} throughput over plain HTTP, over
# TLS, and over TLS with HTTP basic auth (and a rule granting read on every subject), on the
# same SQLite file with 1,000 Avro schemas, each server started in turn. See BENCHMARKS.md.
#
# Usage: bash bench/security.sh [--bin PATH]
# Environment: WRK_DURATION (10s), WRK_THREADS (2), WRK_CONNECTIONS (64), WARDEN_BIN.
# Needs: wrk built with TLS (Debian's is), curl, openssl, python3 (standard library only).
# wrk keeps its connections open, so the TLS handshake is paid once per connection, as
# with the pooled connections of Kafka clients.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${WRK_DURATION:-10s}"
THREADS="${WRK_THREADS:-2}"
CONNS="${WRK_CONNECTIONS:-64}"
BIN="${WARDEN_BIN:-}"
CT="application/vnd.schemaregistry.v1+json"

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build --release -p warden-cli)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/warden"
fi

TMP="$(mktemp -d -t warden-bench-sec.XXXXXX)"
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A CA and a server certificate for localhost (P-256).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=bench-ca -keyout "$TMP/ca.key" -out "$TMP/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$TMP/server.key" -out "$TMP/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" \
  -CAcreateserial -days 2 -extfile "$TMP/san.ext" -out "$TMP/server.crt" 2>/dev/null
echo "bench-pw" | "$BIN" user add bench --users-file "$TMP/users" --password-stdin
cat >"$TMP/warden.toml" <<TOML
[server.auth]
users_file = "$TMP/users"

[[server.auth.rules]]
principals = ["bench"]
operations = ["read"]
TOML

start() { # MODE
  local port; port="$(free_port)"
  local args=(serve --listen "127.0.0.1:$port" --database-url "sqlite://$TMP/warden.db")
  case "$1" in
    plain) URL="http://127.0.0.1:$port" ;;
    tls) URL="https://localhost:$port"; args+=(--tls-cert "$TMP/server.crt" --tls-key "$TMP/server.key") ;;
    tls-basic) URL="https://localhost:$port"
      args+=(--tls-cert "$TMP/server.crt" --tls-key "$TMP/server.key" --config "$TMP/warden.toml") ;;
  esac
  "$BIN" "${args[@]}" >>"$TMP/server-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    curl -s -o /dev/null --cacert "$TMP/ca.crt" "$URL/health/live" && return 0
    sleep 0.05
  done
  echo "server ($1) not ready" >&2; exit 1
}
stop() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

start plain
curl -sS -o /dev/null -X PUT -H "Content-Type: $CT" --data '{"compatibility":"NONE"}' "$URL/config"
python3 "$BENCH/loader.py" register --url "$URL" --prefix bench --subjects 100 --versions 10 \
  --out "$TMP" >/dev/null
stop

AUTH_LUA="$TMP/get_by_id_basic.lua"
sed 's|local headers = { \["Content-Type"\] = ct, \["Accept"\] = ct }|local headers = { ["Content-Type"] = ct, ["Accept"] = ct, ["Authorization"] = "Basic '"$(printf bench:bench-pw | base64)"'" }|' \
  "$BENCH/get_by_id.lua" >"$AUTH_LUA"
grep -q Authorization "$AUTH_LUA" || { echo "could not add the credentials to the wrk script" >&2; exit 1; }

declare -A RPS P99
for mode in plain tls tls-basic; do
  start "$mode"
  script="$BENCH/get_by_id.lua"; [ "$mode" = tls-basic ] && script="$AUTH_LUA"
  code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/ca.crt" "$URL/schemas/ids/1")"
  if [ "$mode" = tls-basic ]; then
    code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/ca.crt" -u bench:bench-pw "$URL/schemas/ids/1")"
    anon="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/ca.crt" "$URL/schemas/ids/1")"
    [ "$anon" = 401 ] || { echo "tls-basic: no credentials answered $anon, not 401" >&2; exit 1; }
  fi
  [ "$code" = 200 ] || { echo "$mode: GET /schemas/ids/1 answered $code" >&2; exit 1; }
  out="$TMP/wrk-$mode.txt"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$script" "$URL" -- 1000 | tee "$out"
  if grep -q "Non-2xx\|Socket errors" "$out"; then echo "$mode: wrk saw errors" >&2; exit 1; fi
  RPS[$mode]="$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$out")"
  P99[$mode]="$(awk '$1 == "99%" {print $2}' "$out")"
  stop
done

printf '\n| GET /schemas/ids/{id} | requests/s | p99 | ratio to plain HTTP |\n|---|---:|---:|---:|\n'
for mode in plain tls tls-basic; do
  printf '| %s | %s | %s | %s |\n' "$mode" "${RPS[$mode]}" "${P99[$mode]}" \
    "$(awk -v a="${RPS[$mode]}" -v b="${RPS[plain]}" 'BEGIN{printf "%.2f", a / b}')"
done
