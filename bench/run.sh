#!/usr/bin/env bash
# Warden HTTP benchmark: throughput and p99 latency of the hot endpoints (wrk), server RSS,
# and startup time with 10,000 stored schemas. See BENCHMARKS.md for results.
#
# Usage: bash bench/run.sh [--bin PATH] [--no-build] [--keep] [--wait-quiet SECS]
#   --bin PATH          benchmark this warden binary (no build)
#   --no-build          use target/release/warden as it is
#   --keep              keep the temporary directory (databases, server logs, raw wrk output)
#   --wait-quiet SECS   before each measurement, wait up to ~SECS for other processes to use
#                       under 0.25 CPUs (shared build machines); disturbed runs are flagged
# Environment: WRK_DURATION (10s), WRK_THREADS (2), WRK_CONNECTIONS (64),
#   STARTUP_RUNS (3), WARDEN_BIN (same as --bin).
#
# Needs: wrk (apt-get install wrk), curl, python3 (standard library only).
# Starts its own servers on free loopback ports with fresh SQLite files in a temp dir and
# stops exactly those processes (by PID) on exit.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${WRK_DURATION:-10s}"
THREADS="${WRK_THREADS:-2}"
CONNS="${WRK_CONNECTIONS:-64}"
STARTUP_RUNS="${STARTUP_RUNS:-3}"
BIN="${WARDEN_BIN:-}"
BUILD=1
KEEP=0
WAIT_QUIET=0
CT="application/vnd.schemaregistry.v1+json"

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; BUILD=0; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --wait-quiet) WAIT_QUIET="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 1; }
done

TMP="$(mktemp -d -t warden-bench.XXXXXX)"
STARTED_PIDS=()

stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "server $pid did not stop after SIGTERM within 10 s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\n== %s\n' "$*"; }
now_ns() { date +%s%N; }

# ---- environment ------------------------------------------------------------------------

# Other work on the machine (a cargo build, a test binary) distorts the numbers: measure
# how many CPUs everything else keeps busy, wait for quiet if asked, flag what was disturbed.
CLK_TCK="$(getconf CLK_TCK)"
BUSY_LIMIT=0.25 # CPUs used by others above which a measurement is flagged
BUSY_NOTES=()
sys_busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of one process
other_cpus() { # CPUs busy over 1 s, minus the idle benchmark server if one is running
  local b0 b1 s0=0 s1=0
  b0="$(sys_busy_ticks)"; [ -n "${SERVER_PID:-}" ] && s0="$(cpu_ticks "$SERVER_PID" 2>/dev/null || echo 0)"
  sleep 1
  b1="$(sys_busy_ticks)"; [ -n "${SERVER_PID:-}" ] && s1="$(cpu_ticks "$SERVER_PID" 2>/dev/null || echo 0)"
  awk -v t=$(( (b1 - b0) - (s1 - s0) )) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", t / hz}'
}
above() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a + 0 > b + 0)}'; }
quiet_wait() { # LABEL: before a measurement
  local busy waited=0
  busy="$(other_cpus)"
  while above "$busy" "$BUSY_LIMIT" && [ "$waited" -lt "$WAIT_QUIET" ]; do
    busy="$(other_cpus)"; waited=$(( waited + 1 ))
  done
  [ "$waited" = 0 ] || echo "(waited ~${waited} s for other processes to go quiet)"
  if above "$busy" "$BUSY_LIMIT"; then
    BUSY_NOTES+=("$1: other processes used $busy CPUs just before")
    echo "WARNING: other processes use $busy CPUs before '$1'; numbers are disturbed" >&2
  fi
}

log "environment"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:    $(uname -srm), nproc=$(nproc)"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket)' | sed 's/^/         /' || true
echo "memory:  $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "wrk:     $(wrk --version 2>&1 | head -1 | cut -c1-40)"
if git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
  echo "commit:  $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- crates migrations Cargo.toml Cargo.lock || echo ' + uncommitted changes')"
fi
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- binary ------------------------------------------------------------------------------

if [ -z "$BIN" ]; then
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/warden"
  if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p warden-cli"
    (cd "$ROOT" && cargo build --release -p warden-cli)
  fi
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
echo "binary:  $BIN ($(stat -c %y "$BIN" | cut -d. -f1), sha256 $(sha256sum "$BIN" | cut -c1-12))"
[ "$BUILD" = 1 ] && [ -z "${WARDEN_BIN:-}" ] || echo "         (not built by this run; the commit above is the workspace's, not necessarily the binary's)"

# ---- helpers -----------------------------------------------------------------------------

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=""; URL=""; START_NS=0
start_server() { # DB_FILE LOG_FILE
  local port
  port="$(free_port)"
  URL="http://127.0.0.1:$port"
  START_NS="$(now_ns)"
  "$BIN" serve --listen "127.0.0.1:$port" --database-url "sqlite://$1" >>"$2" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
}

# Polls GET /subjects every ~5 ms until 200; prints ms since the process was started.
wait_ready() {
  local deadline=$(( $(now_ns) + 30000000000 )) code
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: $CT" "$URL/subjects" || true)"
    if [ "$code" = 200 ]; then
      echo $(( ($(now_ns) - START_NS) / 1000000 ))
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see its log" >&2; return 1; }
    [ "$(now_ns)" -lt "$deadline" ] || { echo "server not ready after 30 s" >&2; return 1; }
    sleep 0.005
  done
}

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

# api METHOD PATH [BODY]: writes the body to $TMP/api.out; sets HTTP_CODE.
HTTP_CODE=""
api() {
  local data=()
  [ $# -ge 3 ] && data=(--data-binary "$3")
  HTTP_CODE="$(curl -sS -o "$TMP/api.out" -w '%{http_code}' -X "$1" -H "Content-Type: $CT" \
    "${data[@]}" "$URL$2")"
}
expect_200() { # WHAT METHOD PATH [BODY]: prints the body; exits unless HTTP 200
  local what="$1"
  shift
  api "$@"
  if [ "$HTTP_CODE" != 200 ]; then
    echo "sanity check failed: $what: HTTP $HTTP_CODE: $(head -c 300 "$TMP/api.out")" >&2
    exit 1
  fi
  cat "$TMP/api.out"
}

# ---- wrk ---------------------------------------------------------------------------------

declare -A RPS P99 REQS ERRS NON2XX SCPU OCPU
ORDER=()
to_ms() { # wrk latency like 812.00us / 1.23ms / 2.00s / 1.50m
  awk -v v="$1" 'BEGIN{
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}
run_wrk() { # KEY LABEL SCRIPT [SCRIPT ARGS...]
  local key="$1" label="$2" script="$3" out="$TMP/wrk-$1.txt"
  shift 3
  quiet_wait "$label"
  log "wrk: $label"
  local ticks0 wall0 sys0 ticks1 wall1 sys1 wrk_cpu
  ticks0="$(cpu_ticks "$SERVER_PID")"; sys0="$(sys_busy_ticks)"; wall0="$(now_ns)"
  { TIMEFORMAT='%U %S'; time wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
      -s "$BENCH/$script" "$URL" -- "$@" >"$out"; } 2>"$out.time"
  ticks1="$(cpu_ticks "$SERVER_PID")"; sys1="$(sys_busy_ticks)"; wall1="$(now_ns)"
  cat "$out"
  wrk_cpu="$(tail -1 "$out.time" | awk '{print $1 + $2}')" # seconds of CPU used by wrk
  # Average CPUs kept busy during the run by the server, and by everything but server and wrk.
  SCPU[$key]="$(awk -v t=$(( ticks1 - ticks0 )) -v w=$(( wall1 - wall0 )) -v hz="$CLK_TCK" \
    'BEGIN{printf "%.2f", (t / hz) / (w / 1e9)}')"
  OCPU[$key]="$(awk -v all=$(( sys1 - sys0 )) -v srv=$(( ticks1 - ticks0 )) -v wrk="$wrk_cpu" \
    -v w=$(( wall1 - wall0 )) -v hz="$CLK_TCK" \
    'BEGIN{o = ((all - srv) / hz - wrk) / (w / 1e9); if (o < 0) o = 0; printf "%.2f", o}')"
  if above "${OCPU[$key]}" "$BUSY_LIMIT"; then
    BUSY_NOTES+=("$label: other processes used ${OCPU[$key]} CPUs during the run")
    echo "WARNING: other processes used ${OCPU[$key]} CPUs during '$label'" >&2
  fi
  RPS[$key]="$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$out")"
  P99[$key]="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  REQS[$key]="$(awk '/ requests in /{print $1}' "$out")"
  ERRS[$key]="$(awk '/Socket errors:/{gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")"
  ERRS[$key]="${ERRS[$key]:-0}"
  NON2XX[$key]="$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$out")"
  NON2XX[$key]="${NON2XX[$key]:-0}"
  ORDER+=("$key|$label")
  echo "-> ${RPS[$key]} req/s, p99 ${P99[$key]} ms, socket errors ${ERRS[$key]}, non-2xx ${NON2XX[$key]}, server CPU ${SCPU[$key]}, others ${OCPU[$key]}"
}

# ---- phase A: throughput on 1,000 schemas ------------------------------------------------

log "phase A: throughput (fresh database, 100 subjects x 10 versions)"
mkdir -p "$TMP/a"
start_server "$TMP/a/warden.db" "$TMP/a/server.log"
READY_MS="$(wait_ready)"
echo "server pid $SERVER_PID at $URL, ready after $READY_MS ms"
PID_A="$SERVER_PID"
sleep 1
RSS_IDLE_A="$(rss_kb "$PID_A")"
expect_200 "set compatibility NONE" PUT /config '{"compatibility":"NONE"}'; echo
python3 "$BENCH/loader.py" register --url "$URL" --prefix bench --subjects 100 --versions 10 \
  --out "$TMP/a"
NIDS="$(wc -l <"$TMP/a/ids.txt")"
MAXID="$(tail -1 "$TMP/a/ids.txt")"
[ "$NIDS" = 1000 ] && [ "$MAXID" = 1000 ] \
  || { echo "expected ids 1..1000, got $NIDS ids up to $MAXID" >&2; exit 1; }

log "sanity checks (curl) before each measurement"
FIRST_SUBJECT="$(head -1 "$TMP/a/subjects.txt")"
FIRST_BODY="$(head -1 "$TMP/a/existing.tsv" | cut -f2)"
COMPAT_BODY="$(head -1 "$TMP/a/compat.tsv" | cut -f2)"
expect_200 "GET /schemas/ids/1000" GET /schemas/ids/1000 | cut -c1-120; echo
expect_200 "GET latest" GET "/subjects/$FIRST_SUBJECT/versions/latest" | cut -c1-120; echo
FIRST_ID="$(expect_200 "lookup" POST "/subjects/$FIRST_SUBJECT" "$FIRST_BODY" \
  | python3 -c 'import json, sys; r = json.load(sys.stdin); assert r["version"] == 1; print(r["id"])')"
echo "lookup of $FIRST_SUBJECT v1 -> id $FIRST_ID"
REREG="$(expect_200 "re-register" POST "/subjects/$FIRST_SUBJECT/versions" "$FIRST_BODY")"
echo "re-register -> $REREG"
# The answer is Confluent's RegisterSchemaResponse (id, version, guid, schema…): its id must
# be the existing one.
REREG_ID="$(printf '%s' "$REREG" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
[ "$REREG_ID" = "$FIRST_ID" ] \
  || { echo "re-registration did not return the existing id $FIRST_ID" >&2; exit 1; }

run_wrk by_id "GET /schemas/ids/{id}" get_by_id.lua 1000
# Reference point, not a target: the cheapest route ({} from GET /), i.e. what the HTTP
# stack, loopback TCP and wrk itself cost on this machine.
run_wrk root "GET / (reference: empty JSON, no registry work)" get_root.lua
run_wrk latest "GET /subjects/{s}/versions/latest" get_latest.lua "$TMP/a/subjects.txt"
run_wrk lookup "POST /subjects/{s} (lookup)" post_file.lua "$TMP/a/existing.tsv" '/subjects/{s}'
run_wrk rereg "POST /subjects/{s}/versions (existing)" post_file.lua "$TMP/a/existing.tsv" \
  '/subjects/{s}/versions'
VERSIONS_AFTER="$(expect_200 "versions" GET "/subjects/$FIRST_SUBJECT/versions")"
echo "versions of $FIRST_SUBJECT after re-registering: $VERSIONS_AFTER"
[ "$VERSIONS_AFTER" = '[1,2,3,4,5,6,7,8,9,10]' ] \
  || { echo "re-registration created new versions" >&2; exit 1; }

# Under NONE a check is trivially true; BACKWARD makes the checker compare against latest.
expect_200 "set compatibility BACKWARD" PUT /config '{"compatibility":"BACKWARD"}'; echo
CHECK="$(expect_200 "compat check" POST \
  "/compatibility/subjects/$FIRST_SUBJECT/versions/latest" "$COMPAT_BODY")"
echo "compatibility check -> $CHECK"
[ "$CHECK" = '{"is_compatible":true}' ] || { echo "candidate not compatible" >&2; exit 1; }
run_wrk compat "POST /compatibility/.../versions/latest (BACKWARD)" post_file.lua \
  "$TMP/a/compat.tsv" '/compatibility/subjects/{s}/versions/latest'
expect_200 "set compatibility NONE" PUT /config '{"compatibility":"NONE"}'; echo

probe() { # registers one fresh schema; prints its id
  local name="Probe_$1_$(now_ns)"
  expect_200 "probe registration" POST "/subjects/probe/versions" \
    "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"$name\\\",\\\"fields\\\":[]}\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
ID_BEFORE="$(probe before)"
run_wrk new "POST /subjects/{s}/versions (new schema)" register_new.lua "r$(date +%s)" 100
ID_AFTER="$(probe after)"
NEW_IDS=$(( ID_AFTER - ID_BEFORE - 1 ))
echo "ids issued during the run: $NEW_IDS (wrk counted ${REQS[new]} completed requests)"
RSS_AFTER_A="$(rss_kb "$PID_A")"
SERVER_ERRORS_A="$(grep -ciE 'error|panick' "$TMP/a/server.log" || true)"
echo "server log lines mentioning error/panic: $SERVER_ERRORS_A"
stop_pid "$PID_A"

# ---- phase B: memory with 10,000 schemas, startup time -----------------------------------

log "phase B: RSS and startup (fresh database, 1,000 subjects x 10 versions)"
mkdir -p "$TMP/b"
DB_B="$TMP/b/warden.db"
start_server "$DB_B" "$TMP/b/server.log"
READY_MS="$(wait_ready)"
echo "server pid $SERVER_PID at $URL, ready after $READY_MS ms"
PID_B="$SERVER_PID"
sleep 1
RSS_IDLE="$(rss_kb "$PID_B")"
echo "idle RSS, empty database: $(mib "$RSS_IDLE") MiB"
expect_200 "set compatibility NONE" PUT /config '{"compatibility":"NONE"}'; echo
python3 "$BENCH/loader.py" register --url "$URL" --prefix rss --subjects 1000 --versions 10 \
  --out "$TMP/b"
RSS_LOADED="$(rss_kb "$PID_B")"
python3 "$BENCH/loader.py" read-ids --url "$URL" --ids "$TMP/b/ids.txt"
sleep 1
RSS_10K="$(rss_kb "$PID_B")"
echo "RSS after registering 10,000: $(mib "$RSS_LOADED") MiB; after reading each by id: $(mib "$RSS_10K") MiB"
stop_pid "$PID_B"
echo "database: $(du -sh "$TMP/b" | cut -f1) (file, WAL, shm)"

STARTUP_MS=()
for run in $(seq 1 "$STARTUP_RUNS"); do
  SERVER_PID="" quiet_wait "startup run $run"
  start_server "$DB_B" "$TMP/b/server.log"
  ms="$(wait_ready)"
  STARTUP_MS+=("$ms")
  if [ "$run" = 1 ]; then
    NSUBJ="$(expect_200 "list subjects" GET /subjects | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
    echo "restart: GET /subjects lists $NSUBJ subjects"
    [ "$NSUBJ" = 1000 ] || { echo "expected 1000 subjects after restart" >&2; exit 1; }
    sleep 1
    RSS_RESTART="$(rss_kb "$SERVER_PID")"
    # The same read of every id on a process that registered nothing: the cache alone.
    python3 "$BENCH/loader.py" read-ids --url "$URL" --ids "$TMP/b/ids.txt"
    sleep 1
    RSS_RESTART_READ="$(rss_kb "$SERVER_PID")"
    echo "restart: RSS idle $(mib "$RSS_RESTART") MiB; after reading each id once $(mib "$RSS_RESTART_READ") MiB"
  fi
  echo "startup run $run: first 200 from GET /subjects after $ms ms"
  stop_pid "$SERVER_PID"
done
STARTUP_SORTED=($(printf '%s\n' "${STARTUP_MS[@]}" | sort -n))
STARTUP_MED="${STARTUP_SORTED[$(( ${#STARTUP_SORTED[@]} / 2 ))]}"
STARTUP_MAX="${STARTUP_SORTED[-1]}"

# ---- report ------------------------------------------------------------------------------

met() { if [ "$1" = 1 ]; then echo "**met**"; else echo "**MISSED**"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{print (a + 0 >= b + 0) ? 1 : 0}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN{print (a + 0 < b + 0) ? 1 : 0}'; }

TOTAL_BAD=0
log "results"
echo
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, server and wrk on the same $(nproc) CPUs."
echo
echo "| Benchmark | Requests/s | p99 latency | Requests | Socket errors | Non-2xx | Server CPU (of $(nproc)) | Other CPU | Target |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for entry in "${ORDER[@]}"; do
  key="${entry%%|*}"; label="${entry#*|}"
  target=""
  if [ "$key" = by_id ]; then
    target=">= 50,000 req/s: $(met "$(ge "${RPS[$key]}" 50000)")"
  fi
  TOTAL_BAD=$(( TOTAL_BAD + ${ERRS[$key]} + ${NON2XX[$key]} ))
  printf '| %s | %s | %s ms | %s | %s | %s | %s | %s | %s |\n' "$label" "${RPS[$key]}" \
    "${P99[$key]}" "${REQS[$key]}" "${ERRS[$key]}" "${NON2XX[$key]}" "${SCPU[$key]}" \
    "${OCPU[$key]}" "$target"
done
echo
echo "| Measurement | Value | Target |"
echo "|---|---:|---|"
echo "| RSS idle after start, empty database | $(mib "$RSS_IDLE") MiB | |"
echo "| RSS after 1,000 schemas + all wrk runs above (phase A) | $(mib "$RSS_AFTER_A") MiB | |"
echo "| RSS with 10,000 schemas stored (before reads) | $(mib "$RSS_LOADED") MiB | |"
RSS_MB="$(awk -v k="$RSS_10K" 'BEGIN{printf "%.1f", k * 1024 / 1e6}')"
echo "| RSS with 10,000 schemas registered by this process, each then read once by id | $(mib "$RSS_10K") MiB ($RSS_MB MB) | < 100 MB: $(met "$(lt "$RSS_MB" 100)") |"
echo "| RSS idle after restart on the 10,000-schema database | $(mib "$RSS_RESTART") MiB | |"
RSS_MB2="$(awk -v k="$RSS_RESTART_READ" 'BEGIN{printf "%.1f", k * 1024 / 1e6}')"
echo "| RSS after restart, each of the 10,000 schemas read once by id | $(mib "$RSS_RESTART_READ") MiB ($RSS_MB2 MB) | < 100 MB: $(met "$(lt "$RSS_MB2" 100)") |"
echo "| Start to first 200 of GET /subjects, 10,000 schemas (median of $STARTUP_RUNS; all: ${STARTUP_MS[*]} ms) | $STARTUP_MED ms | <= 1000 ms: $(met "$(lt "$STARTUP_MAX" 1001)") (max $STARTUP_MAX ms) |"
echo
echo "New registrations: $NEW_IDS ids issued during the run (wrk counted ${REQS[new]} completed requests)."
echo "Errors: socket errors + non-2xx over all wrk runs = $TOTAL_BAD; server log lines with error/panic (phase A) = $SERVER_ERRORS_A."
if [ "${#BUSY_NOTES[@]}" -gt 0 ]; then
  echo "Disturbed: ${BUSY_NOTES[*]}"
else
  echo "Other processes used at most $BUSY_LIMIT CPUs before and during every measurement."
fi
[ "$TOTAL_BAD" = 0 ] || { echo "FAILED: wrk saw errors or non-2xx answers" >&2; exit 1; }
