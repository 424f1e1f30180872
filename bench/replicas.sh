#!/usr/bin/env bash
# Throughput of GET /schemas/ids/{id} and of new registrations: the SQLite single process,
# one replica on PostgreSQL, and two replicas on one PostgreSQL. Same machine, same load
# generator (wrk, 64 connections in all; with two replicas, one wrk per replica with 32
# connections each, and the two rates summed). Prints a Markdown table.
#
#   bash bench/replicas.sh [--bin PATH] [--duration 10s]
#
# Needs: wrk, curl, python3, PostgreSQL 15 server binaries (initdb, pg_ctl) on the PATH.
# Starts and stops its own servers (by PID) in a temporary directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
BIN="${WARDEN_BIN:-$ROOT/target/release/warden}"
DURATION=10s
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -p warden-cli)
for tool in wrk curl python3 initdb pg_ctl; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

CT="application/vnd.schemaregistry.v1+json"
TMP="$(mktemp -d /tmp/warden-replicas.XXXXXX)"
chmod 755 "$TMP"
PIDS=()
PG_DATA=""
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$PG_DATA" ] && "${AS_PG[@]}" pg_ctl -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

WARDEN_URL=""
start_warden() { # DATABASE_URL LOG -> sets WARDEN_URL (no subshell: PIDS must be kept)
  local port
  port="$(free_port)"
  "$BIN" serve --listen "127.0.0.1:$port" --database-url "$1" >>"$2" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 600); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" = 200 ]; then
      WARDEN_URL="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  echo "warden on port $port never became ready" >&2
  exit 1
}

PG_URL=""
start_postgres() { # -> sets PG_URL and PG_DATA
  local port dir="$TMP/pg"
  port="$(free_port)"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  PG_DATA="$dir/data"
  "${AS_PG[@]}" initdb -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  "${AS_PG[@]}" pg_ctl -D "$PG_DATA" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

load() { # URL DIR: compatibility NONE, then 1,000 schemas (100 subjects x 10 versions)
  curl -sS -o /dev/null -X PUT -H "Content-Type: $CT" --data '{"compatibility":"NONE"}' "$1/config"
  mkdir -p "$2"
  python3 "$BENCH/loader.py" register --url "$1" --prefix bench --subjects 100 --versions 10 \
    --out "$2" >/dev/null
}

declare -A RESULT
# wrk_rate LABEL_KEY CONNS SCRIPT URL [ARGS...] -> prints "rps p99ms non2xx"
wrk_rate() {
  local out="$TMP/wrk-$1-$RANDOM.txt" conns="$2" script="$3" url="$4"
  shift 4
  wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$BENCH/$script" "$url" -- "$@" >"$out"
  awk '
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" { v = $2; n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
                  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; p99 = n }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "%.0f %.2f %d\n", rps, p99, bad + 0 }' "$out"
}

# measure KEY URL...: GET by id and new registrations against one or more replicas at once.
measure() {
  local key="$1"
  shift
  local n=$#
  local conns=$(( 64 / n ))
  for kind in by_id new; do
    local files=() jobs=()
    for url in "$@"; do
      local f="$TMP/$key-$kind-${#files[@]}"
      files+=("$f")
      if [ "$kind" = by_id ]; then
        wrk_rate "$key" "$conns" get_by_id.lua "$url" 1000 >"$f" &
      else
        wrk_rate "$key" "$conns" register_new.lua "$url" "$key$RANDOM" 100 >"$f" &
      fi
      jobs+=($!)
    done
    wait "${jobs[@]}"
    RESULT[$key,$kind]="$(cat "${files[@]}" | awk '{r += $1; if ($2 > p) p = $2; b += $3}
      END { printf "%.0f|%.2f|%d", r, p, b }')"
    echo "$key $kind: ${RESULT[$key,$kind]} (req/s | worst p99 ms | non-2xx)"
  done
}

echo "== SQLite, one process"
start_warden "sqlite://$TMP/sqlite.db" "$TMP/sqlite.log"
SQLITE_URL="$WARDEN_URL"
load "$SQLITE_URL" "$TMP/sqlite"
measure sqlite "$SQLITE_URL"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true

echo "== PostgreSQL 15, one replica"
start_postgres
start_warden "$PG_URL" "$TMP/r1.log"
R1="$WARDEN_URL"
load "$R1" "$TMP/pg"
measure pg1 "$R1"

echo "== PostgreSQL 15, two replicas"
start_warden "$PG_URL" "$TMP/r2.log"
R2="$WARDEN_URL"
measure pg2 "$R1" "$R2"

echo
echo "| setup | GET /schemas/ids/{id} req/s | p99 ms | new registrations/s | p99 ms |"
echo "|---|---:|---:|---:|---:|"
for key in sqlite pg1 pg2; do
  case "$key" in
    sqlite) name="SQLite, one process" ;;
    pg1) name="PostgreSQL, one replica" ;;
    pg2) name="PostgreSQL, two replicas (summed)" ;;
  esac
  IFS='|' read -r g gp gb <<<"${RESULT[$key,by_id]}"
  IFS='|' read -r n np nb <<<"${RESULT[$key,new]}"
  [ "$gb" = 0 ] && [ "$nb" = 0 ] || echo "WARNING: $key had non-2xx answers ($gb, $nb)" >&2
  echo "| $name | $g | $gp | $n | $np |"
done
