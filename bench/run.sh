#!/usr/bin/env bash
# Warden HTTP benchmark: the registry protocol (reads by id, by version and latest, lookups,
# re-registrations, compatibility checks, new registrations) under wrk, each as a ratio to a
# hello-world server on the same HTTP stack measured in the same run, in the same topology
# (one process for SQLite, two for PostgreSQL's two replicas: the ceiling, measured again
# just before each row, so that a change of the host's speed during the run moves a row
# and its ceiling alike); server RSS and startup time with 10,000 stored schemas. On SQLite (one process) and on
# PostgreSQL with two replicas. See BENCHMARKS.md for results.
#
# Usage: bash bench/run.sh [--bin PATH] [--no-build] [--keep] [--wait-quiet SECS]
#                          [--backends sqlite,postgres]
#   --bin PATH          benchmark this warden binary (no build)
#   --no-build          use target/release/warden and target/release/hello as they are
#   --backends LIST     sqlite, postgres or both (default); postgres runs two replicas of
#                       one private PostgreSQL 15, each wrk run split between them
#   --keep              keep the temporary directory (databases, server logs, raw wrk output)
#   --wait-quiet SECS   before each measurement, wait up to ~SECS for other processes to use
#                       under 0.25 CPUs (shared build machines); disturbed runs are flagged
# Environment: WRK_DURATION (10s), WRK_THREADS (2), WRK_CONNECTIONS (64),
#   STARTUP_RUNS (3), WARDEN_BIN (same as --bin).
#
# Needs: wrk (apt-get install wrk), curl, python3 (standard library only); for postgres
# also initdb, pg_ctl and psql (PostgreSQL 15). Starts its own servers on free loopback
# ports with fresh databases in a temp dir and stops exactly those processes on exit.

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
BACKENDS="sqlite,postgres"
CT="application/vnd.schemaregistry.v1+json"

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; BUILD=0; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --wait-quiet) WAIT_QUIET="$2"; shift 2 ;;
    --backends) BACKENDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 1; }
done
case ",$BACKENDS," in *,postgres,*)
  command -v initdb >/dev/null || export PATH="/usr/lib/postgresql/15/bin:$PATH"
  for tool in initdb pg_ctl psql; do
    command -v "$tool" >/dev/null || { echo "missing $tool (PostgreSQL 15)" >&2; exit 1; }
  done ;;
esac

TMP="$(mktemp -d -t warden-bench.XXXXXX)"
STARTED_PIDS=()
PG_DATA=""
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)

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
  [ -z "$PG_DATA" ] || "${AS_PG[@]}" pg_ctl -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
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
SERVER_PIDS=() # the processes under test: warden (one or two replicas), or the ceiling
PG_PID=""      # the postmaster, whose processes count as the server's when it serves
servers_ticks() { # utime + stime of the processes under test, PostgreSQL's included
  local pids=("${SERVER_PIDS[@]}") t=0 pid
  if [ -n "$PG_PID" ] && [ "${SERVER_KIND:-}" = postgres ]; then
    pids+=("$PG_PID" $(pgrep -P "$PG_PID" || true))
  fi
  for pid in "${pids[@]}"; do t=$(( t + $(cpu_ticks "$pid" 2>/dev/null || echo 0) )); done
  echo "$t"
}
other_cpus() { # CPUs busy over 1 s, minus the idle servers under test
  local b0 b1 s0 s1
  b0="$(sys_busy_ticks)"; s0="$(servers_ticks)"
  sleep 1
  b1="$(sys_busy_ticks)"; s1="$(servers_ticks)"
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

RELEASE="${CARGO_TARGET_DIR:-$ROOT/target}/release"
HELLO="$RELEASE/hello"
if [ -z "$BIN" ]; then
  BIN="$RELEASE/warden"
  if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p warden-cli"
    (cd "$ROOT" && cargo build --release -p warden-cli)
  fi
fi
if [ "$BUILD" = 1 ] || [ ! -x "$HELLO" ]; then
  log "cargo build --release -p warden-bench --bin hello (the ceiling)"
  (cd "$ROOT" && cargo build --release -p warden-bench --bin hello)
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
echo "binary:  $BIN ($(stat -c %y "$BIN" | cut -d. -f1), sha256 $(sha256sum "$BIN" | cut -c1-12))"
[ "$BUILD" = 1 ] && [ -z "${WARDEN_BIN:-}" ] || echo "         (not built by this run; the commit above is the workspace's, not necessarily the binary's)"

# ---- helpers -----------------------------------------------------------------------------

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_warden DATABASE_URL LOG_FILE: a `warden serve` in the background; sets STARTED_PID,
# STARTED_URL and START_NS.
STARTED_PID=""; STARTED_URL=""; START_NS=0
start_warden() {
  local port
  port="$(free_port)"
  STARTED_URL="http://127.0.0.1:$port"
  START_NS="$(now_ns)"
  "$BIN" serve --listen "127.0.0.1:$port" --database-url "$1" >>"$2" 2>&1 &
  STARTED_PID=$!
  STARTED_PIDS+=("$STARTED_PID")
}

# wait_ready URL PID: polls GET /subjects every ~5 ms until 200; prints ms since START_NS.
wait_ready() {
  local deadline=$(( $(now_ns) + 30000000000 )) code
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: $CT" "$1/subjects" || true)"
    if [ "$code" = 200 ]; then
      echo $(( ($(now_ns) - START_NS) / 1000000 ))
      return 0
    fi
    kill -0 "$2" 2>/dev/null || { echo "server exited; see its log" >&2; return 1; }
    [ "$(now_ns)" -lt "$deadline" ] || { echo "server not ready after 30 s" >&2; return 1; }
    sleep 0.005
  done
}

PG_URL=""
start_postgres() { # a private PostgreSQL 15 on a free port; sets PG_URL, PG_DATA and PG_PID
  local port dir="$TMP/pg"
  port="$(free_port)"
  mkdir -p "$dir"
  chmod 755 "$TMP"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  PG_DATA="$dir/data"
  "${AS_PG[@]}" initdb -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  "${AS_PG[@]}" pg_ctl -D "$PG_DATA" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  PG_PID="$(head -1 "$PG_DATA/postmaster.pid")"
  PG_URL="postgres://postgres@127.0.0.1:$port"
  echo "PostgreSQL $(postgres --version | awk '{print $NF}') pid $PG_PID on port $port"
}
create_database() { # NAME: prints its URL
  psql -q -h 127.0.0.1 -p "${PG_URL##*:}" -U postgres -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
  echo "$PG_URL/$1"
}

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

# api METHOD PATH [BODY]: against $URL; writes the body to $TMP/api.out; sets HTTP_CODE.
URL=""
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
URLS=() # the servers under test; a run is split evenly between them
to_ms() { # wrk latency like 812.00us / 1.23ms / 2.00s / 1.50m
  awk -v v="$1" 'BEGIN{
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}
# run_wrk KEY LABEL SCRIPT [SCRIPT ARGS...]: one wrk per server in URLS, with the threads
# and connections shared out; rates and counts summed, the worst p99 kept.
run_wrk() {
  local key="$1" label="$2" script="$3" out="$TMP/wrk-${1//:/-}.txt"
  shift 3
  quiet_wait "$label"
  log "wrk: $label (${#URLS[@]} server(s))"
  local n="${#URLS[@]}" i
  local threads=$(( THREADS / n )) conns=$(( CONNS / n ))
  [ "$threads" -ge 1 ] || threads=1
  local ticks0 wall0 sys0 ticks1 wall1 sys1 wrk_cpu
  ticks0="$(servers_ticks)"; sys0="$(sys_busy_ticks)"; wall0="$(now_ns)"
  { TIMEFORMAT='%U %S'; time (
      for i in "${!URLS[@]}"; do
        # "{i}" in an argument becomes the wrk's index, so that loads can differ per server.
        wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s "$BENCH/$script" \
          "${URLS[$i]}" -- "${@//\{i\}/$i}" >"$out.$i" &
      done
      wait
    ); } 2>"$out.time"
  ticks1="$(servers_ticks)"; sys1="$(sys_busy_ticks)"; wall1="$(now_ns)"
  cat "$out".[0-9]* >"$out"
  cat "$out"
  wrk_cpu="$(tail -1 "$out.time" | awk '{print $1 + $2}')" # seconds of CPU used by wrk
  # Average CPUs kept busy during the run by the servers, and by everything but them and wrk.
  SCPU[$key]="$(awk -v t=$(( ticks1 - ticks0 )) -v w=$(( wall1 - wall0 )) -v hz="$CLK_TCK" \
    'BEGIN{printf "%.2f", (t / hz) / (w / 1e9)}')"
  OCPU[$key]="$(awk -v all=$(( sys1 - sys0 )) -v srv=$(( ticks1 - ticks0 )) -v wrk="$wrk_cpu" \
    -v w=$(( wall1 - wall0 )) -v hz="$CLK_TCK" \
    'BEGIN{o = ((all - srv) / hz - wrk) / (w / 1e9); if (o < 0) o = 0; printf "%.2f", o}')"
  if above "${OCPU[$key]}" "$BUSY_LIMIT"; then
    BUSY_NOTES+=("$label: other processes used ${OCPU[$key]} CPUs during the run")
    echo "WARNING: other processes used ${OCPU[$key]} CPUs during '$label'" >&2
  fi
  RPS[$key]="$(awk '/^Requests\/sec:/{r += $2} END{printf "%.0f", r}' "$out")"
  local worst=0 p
  for p in $(awk '$1 == "99%" {print $2}' "$out"); do
    p="$(to_ms "$p")"
    above "$p" "$worst" && worst="$p"
  done
  P99[$key]="$worst"
  REQS[$key]="$(awk '/ requests in /{r += $1} END{print r + 0}' "$out")"
  ERRS[$key]="$(awk '/Socket errors:/{gsub(/,/, ""); e += $4 + $6 + $8 + $10} END{print e + 0}' "$out")"
  NON2XX[$key]="$(awk '/Non-2xx or 3xx responses:/{b += $NF} END{print b + 0}' "$out")"
  ORDER+=("$key|$label")
  echo "-> ${RPS[$key]} req/s, p99 ${P99[$key]} ms, socket errors ${ERRS[$key]}, non-2xx ${NON2XX[$key]}, server CPU ${SCPU[$key]}, others ${OCPU[$key]}"
}

# ---- phase A: the registry protocol on 1,000 schemas, against the ceiling ------------------

# serve BACKEND DIR: starts the servers under test on a fresh database (sqlite: one
# process; postgres: two replicas of one database); sets URLS, SERVER_PIDS, URL (the first).
SERVER_KIND=""
serve() {
  local backend="$1" dir="$2" db
  mkdir -p "$dir"
  URLS=(); SERVER_PIDS=(); SERVER_KIND="$backend"
  case "$backend" in
    sqlite) db="sqlite://$dir/warden.db" ;;
    postgres) db="$(create_database "$(basename "$dir")")" ;;
  esac
  local replicas=1 r ms
  [ "$backend" = postgres ] && replicas=2
  for r in $(seq 1 "$replicas"); do
    start_warden "$db" "$dir/server-$r.log"
    ms="$(wait_ready "$STARTED_URL" "$STARTED_PID")"
    echo "$backend server $r: pid $STARTED_PID at $STARTED_URL, ready after $ms ms"
    URLS+=("$STARTED_URL"); SERVER_PIDS+=("$STARTED_PID")
  done
  URL="${URLS[0]}"
}
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  SERVER_PIDS=(); URLS=(); SERVER_KIND=""
}

declare -A CEILING_DONE
# ceiling DIR N [get|post] [@ROW]: N hello-world servers, in the topology of the servers
# under test (one process on SQLite, two on PostgreSQL's two replicas), under the same loads
# (GET, and POST of the bodies) with wrk split between them as between the replicas. Two
# processes serve more than one on the same CPUs (each has its own event loop), so each
# backend's rows are measured against the ceiling of its own topology; sets
# RPS[ceilingN:get|post], or with a row's key RPS[ceilingN:get|post@ROW], of one method only.
ceiling() {
  local n="$2" only="${3:-}" row="${4:-}" i port pid
  local saved_urls=("${URLS[@]}") saved_pids=("${SERVER_PIDS[@]}") saved_kind="$SERVER_KIND"
  URLS=(); SERVER_PIDS=(); SERVER_KIND=hello
  for i in $(seq 1 "$n"); do
    port="$(free_port)"
    "$HELLO" "127.0.0.1:$port" >"$TMP/hello-$n-$i.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.01; done
    URLS+=("http://127.0.0.1:$port"); SERVER_PIDS+=("$pid")
  done
  [ "$only" = post ] ||
    run_wrk "ceiling$n:get$row" "hello-world GET, $n process(es) (the ceiling for reads${row:+, before ${row#@}})" get_root.lua
  [ "$only" = get ] ||
    run_wrk "ceiling$n:post$row" "hello-world POST of the lookup bodies, $n process(es) (the ceiling for POSTs${row:+, before ${row#@}})" \
      post_file.lua "$1/existing.tsv" '/subjects/{s}'
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  URLS=("${saved_urls[@]}"); SERVER_PIDS=("${saved_pids[@]}"); SERVER_KIND="$saved_kind"
  [ -n "$row" ] || CEILING_DONE[$n]=1
}

# row DIR KEY LABEL SCRIPT [ARGS...]: the ceiling of the row's method in its backend's
# topology, then the row (run_wrk KEY LABEL SCRIPT ARGS...).
row() {
  local dir="$1" key="$2" n=1 method=get
  shift
  [ "${key%%:*}" = postgres ] && n=2
  case "${key#*:}" in lookup|rereg|compat|new) method=post ;; esac
  ceiling "$dir" "$n" "$method" "@$key"
  run_wrk "$@"
}

declare -A NEW_IDS SERVER_ERRORS RSS_AFTER_A
phase_a() { # BACKEND
  local b="$1" dir="$TMP/$1-a"
  log "phase A on $b: throughput (fresh database, 100 subjects x 10 versions)"
  serve "$b" "$dir"
  expect_200 "set compatibility NONE" PUT /config '{"compatibility":"NONE"}'; echo
  python3 "$BENCH/loader.py" register --url "$URL" --prefix bench --subjects 100 --versions 10 \
    --out "$dir"
  local nids maxid
  nids="$(wc -l <"$dir/ids.txt")"
  maxid="$(tail -1 "$dir/ids.txt")"
  [ "$nids" = 1000 ] && [ "$maxid" = 1000 ] \
    || { echo "expected ids 1..1000, got $nids ids up to $maxid" >&2; exit 1; }

  log "sanity checks (curl) before the measurements on $b"
  local first_subject first_body compat_body first_id rereg rereg_id u
  first_subject="$(head -1 "$dir/subjects.txt")"
  first_body="$(head -1 "$dir/existing.tsv" | cut -f2)"
  compat_body="$(head -1 "$dir/compat.tsv" | cut -f2)"
  for u in "${URLS[@]}"; do # every replica answers what the first registered
    URL="$u"
    expect_200 "GET /schemas/ids/1000 at $u" GET /schemas/ids/1000 | cut -c1-100; echo
    expect_200 "GET latest at $u" GET "/subjects/$first_subject/versions/latest" | cut -c1-100; echo
  done
  URL="${URLS[0]}"
  first_id="$(expect_200 "lookup" POST "/subjects/$first_subject" "$first_body" \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); assert r["version"] == 1; print(r["id"])')"
  echo "lookup of $first_subject v1 -> id $first_id"
  rereg="$(expect_200 "re-register" POST "/subjects/$first_subject/versions" "$first_body")"
  rereg_id="$(printf '%s' "$rereg" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
  [ "$rereg_id" = "$first_id" ] \
    || { echo "re-registration did not return the existing id $first_id" >&2; exit 1; }

  # One process is the ceiling of every row's second ratio; two, of PostgreSQL's first.
  [ -n "${CEILING_DONE[1]:-}" ] || ceiling "$dir" 1
  [ "$b" != postgres ] || [ -n "${CEILING_DONE[2]:-}" ] || ceiling "$dir" 2

  row "$dir" "$b:by_id" "GET /schemas/ids/{id}" get_by_id.lua 1000
  row "$dir" "$b:latest" "GET /subjects/{s}/versions/latest" get_latest.lua "$dir/subjects.txt"
  row "$dir" "$b:version" "GET /subjects/{s}/versions/5" get_latest.lua "$dir/subjects.txt" 5
  row "$dir" "$b:lookup" "POST /subjects/{s} (lookup)" post_file.lua "$dir/existing.tsv" '/subjects/{s}'
  row "$dir" "$b:rereg" "POST /subjects/{s}/versions (existing)" post_file.lua "$dir/existing.tsv" \
    '/subjects/{s}/versions'
  local after
  after="$(expect_200 "versions" GET "/subjects/$first_subject/versions")"
  [ "$after" = '[1,2,3,4,5,6,7,8,9,10]' ] \
    || { echo "re-registration created new versions: $after" >&2; exit 1; }

  # Under NONE a check is trivially true; BACKWARD makes the checker compare against latest.
  expect_200 "set compatibility BACKWARD" PUT /config '{"compatibility":"BACKWARD"}'; echo
  local check
  check="$(expect_200 "compat check" POST \
    "/compatibility/subjects/$first_subject/versions/latest" "$compat_body")"
  [ "$check" = '{"is_compatible":true}' ] || { echo "candidate not compatible: $check" >&2; exit 1; }
  sleep 0.2 # the other replica learns of the level change (change log, milliseconds)
  row "$dir" "$b:compat" "POST /compatibility/.../versions/latest (BACKWARD)" post_file.lua \
    "$dir/compat.tsv" '/compatibility/subjects/{s}/versions/latest'
  expect_200 "set compatibility NONE" PUT /config '{"compatibility":"NONE"}'; echo
  sleep 0.2

  probe() { # registers one fresh schema; prints its id
    local name="Probe_$1_$(now_ns)"
    expect_200 "probe registration" POST "/subjects/probe/versions" \
      "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"$name\\\",\\\"fields\\\":[]}\"}" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
  }
  local before after_id
  before="$(probe before)"
  row "$dir" "$b:new" "POST /subjects/{s}/versions (new schema, 100 subjects)" register_new.lua \
    "r$(date +%s)w{i}" 100
  after_id="$(probe after)"
  NEW_IDS[$b]=$(( after_id - before - 1 ))
  echo "ids issued during the run: ${NEW_IDS[$b]} (wrk counted ${REQS[$b:new]} completed requests)"
  RSS_AFTER_A[$b]="$(rss_kb "${SERVER_PIDS[0]}")"
  SERVER_ERRORS[$b]="$(cat "$dir"/server-*.log | grep -ciE 'error|panick' || true)"
  echo "server log lines mentioning error/panic: ${SERVER_ERRORS[$b]}"
  stop_servers
}

# ---- phase B: memory with 10,000 schemas, startup time -----------------------------------

declare -A RSS_IDLE RSS_LOADED RSS_10K RSS_RESTART RSS_RESTART_READ STARTUP_MED STARTUP_MAX STARTUP_ALL
phase_b() { # BACKEND: one process (postgres: one replica) on a fresh database
  local b="$1" dir="$TMP/$1-b" db
  log "phase B on $b: RSS and startup (fresh database, 1,000 subjects x 10 versions)"
  mkdir -p "$dir"
  case "$b" in
    sqlite) db="sqlite://$dir/warden.db" ;;
    postgres) db="$(create_database rss)" ;;
  esac
  SERVER_KIND="$b"
  start_warden "$db" "$dir/server.log"
  wait_ready "$STARTED_URL" "$STARTED_PID" >/dev/null
  URL="$STARTED_URL"; SERVER_PIDS=("$STARTED_PID")
  sleep 1
  RSS_IDLE[$b]="$(rss_kb "$STARTED_PID")"
  expect_200 "set compatibility NONE" PUT /config '{"compatibility":"NONE"}'; echo
  python3 "$BENCH/loader.py" register --url "$URL" --prefix rss --subjects 1000 --versions 10 \
    --out "$dir"
  RSS_LOADED[$b]="$(rss_kb "$STARTED_PID")"
  python3 "$BENCH/loader.py" read-ids --url "$URL" --ids "$dir/ids.txt"
  sleep 1
  RSS_10K[$b]="$(rss_kb "$STARTED_PID")"
  echo "RSS after registering 10,000: $(mib "${RSS_LOADED[$b]}") MiB; after reading each by id: $(mib "${RSS_10K[$b]}") MiB"
  stop_servers
  [ "$b" = sqlite ] && echo "database: $(du -sh "$dir" | cut -f1) (file, WAL, shm)"

  local runs=() run ms nsubj
  for run in $(seq 1 "$STARTUP_RUNS"); do
    quiet_wait "$b startup run $run"
    start_warden "$db" "$dir/server.log"
    ms="$(wait_ready "$STARTED_URL" "$STARTED_PID")"
    URL="$STARTED_URL"; SERVER_PIDS=("$STARTED_PID")
    runs+=("$ms")
    if [ "$run" = 1 ]; then
      nsubj="$(expect_200 "list subjects" GET /subjects | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
      [ "$nsubj" = 1000 ] || { echo "expected 1000 subjects after restart, got $nsubj" >&2; exit 1; }
      sleep 1
      RSS_RESTART[$b]="$(rss_kb "$STARTED_PID")"
      # The same read of every id on a process that registered nothing: the cache alone.
      python3 "$BENCH/loader.py" read-ids --url "$URL" --ids "$dir/ids.txt"
      sleep 1
      RSS_RESTART_READ[$b]="$(rss_kb "$STARTED_PID")"
    fi
    echo "$b startup run $run: first 200 from GET /subjects after $ms ms"
    stop_servers
  done
  local sorted=($(printf '%s\n' "${runs[@]}" | sort -n))
  STARTUP_MED[$b]="${sorted[$(( ${#sorted[@]} / 2 ))]}"
  STARTUP_MAX[$b]="${sorted[-1]}"
  STARTUP_ALL[$b]="${runs[*]}"
}

IFS=',' read -r -a BACKEND_LIST <<<"$BACKENDS"
for b in "${BACKEND_LIST[@]}"; do
  case "$b" in
    sqlite) ;;
    postgres) [ -n "$PG_URL" ] || start_postgres ;;
    *) echo "unknown backend $b (sqlite, postgres)" >&2; exit 2 ;;
  esac
  phase_a "$b"
  phase_b "$b"
done

# ---- report ------------------------------------------------------------------------------

met() { if [ "$1" = 1 ]; then echo "**met**"; else echo "**MISSED**"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{print (a + 0 >= b + 0) ? 1 : 0}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN{print (a + 0 < b + 0) ? 1 : 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b + 0 > 0) printf "%.2f", a / b; else print "-"}'; }

TOTAL_BAD=0
log "results"
echo
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency in all (split evenly over two replicas on"
echo "PostgreSQL), servers and wrk on the same $(nproc) CPUs. Ratios are to the hello-world"
echo "ceiling in the backend's topology (GET routes to its GET, POST routes to its POST),"
echo "measured just before the row: one process for SQLite, two with wrk split between them"
echo "for PostgreSQL's two replicas (the target's ratio); the second ratio is to one"
echo "hello-world process, measured once at the start of the run:"
echo "GET ${RPS[ceiling1:get]:-} / POST ${RPS[ceiling1:post]:-} req/s (two processes then:" \
  "GET ${RPS[ceiling2:get]:--} / POST ${RPS[ceiling2:post]:--} req/s)."
echo
echo "| Backend | Benchmark | Requests/s | Its ceiling | Ratio to ceiling | Ratio to one process | p99 latency | Socket errors | Non-2xx | Server CPU (of $(nproc)) | Other CPU | Target |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for entry in "${ORDER[@]}"; do
  key="${entry%%|*}"; label="${entry#*|}"
  # The ceilings measured before each row are printed in the row.
  case "$key" in *@*) TOTAL_BAD=$(( TOTAL_BAD + ${ERRS[$key]} + ${NON2XX[$key]} )); continue ;; esac
  backend="${key%%:*}"; what="${key#*:}"
  r="" r1="" target="" c=ceiling1 own=""
  [ "$backend" = postgres ] && c=ceiling2
  case "$what" in
    by_id|latest|version)
      own="${RPS[$c:get@$key]:-${RPS[$c:get]}}"
      r="$(ratio "${RPS[$key]}" "$own")"
      r1="$(ratio "${RPS[$key]}" "${RPS[ceiling1:get]}")"
      target=">= 0.8: $(met "$(ge "$r" 0.8)")" ;;
    lookup|rereg|compat)
      own="${RPS[$c:post@$key]:-${RPS[$c:post]}}"
      r="$(ratio "${RPS[$key]}" "$own")"
      r1="$(ratio "${RPS[$key]}" "${RPS[ceiling1:post]}")"
      target=">= 0.6: $(met "$(ge "$r" 0.6)")" ;;
    new)
      own="${RPS[$c:post@$key]:-${RPS[$c:post]}}"
      r="$(ratio "${RPS[$key]}" "$own")"
      r1="$(ratio "${RPS[$key]}" "${RPS[ceiling1:post]}")"
      if [ "$backend" = sqlite ]; then target=">= 5,000/s: $(met "$(ge "${RPS[$key]}" 5000)")"
      else target=">= 3,000/s: $(met "$(ge "${RPS[$key]}" 3000)")"; fi ;;
  esac
  TOTAL_BAD=$(( TOTAL_BAD + ${ERRS[$key]} + ${NON2XX[$key]} ))
  printf '| %s | %s | %s | %s | %s | %s | %s ms | %s | %s | %s | %s | %s |\n' "$backend" "$label" \
    "${RPS[$key]}" "$own" "$r" "$r1" "${P99[$key]}" "${ERRS[$key]}" "${NON2XX[$key]}" \
    "${SCPU[$key]}" "${OCPU[$key]}" "$target"
done
echo
echo "| Backend | Measurement | Value | Target |"
echo "|---|---|---:|---|"
for b in "${BACKEND_LIST[@]}"; do
  echo "| $b | RSS idle after start, empty database | $(mib "${RSS_IDLE[$b]}") MiB | |"
  echo "| $b | RSS after 1,000 schemas + all wrk runs above (phase A, first server) | $(mib "${RSS_AFTER_A[$b]}") MiB | |"
  echo "| $b | RSS with 10,000 schemas stored (before reads) | $(mib "${RSS_LOADED[$b]}") MiB | |"
  mb="$(awk -v k="${RSS_10K[$b]}" 'BEGIN{printf "%.1f", k * 1024 / 1e6}')"
  echo "| $b | RSS with 10,000 schemas registered by this process, each then read once by id | $(mib "${RSS_10K[$b]}") MiB ($mb MB) | < 100 MB: $(met "$(lt "$mb" 100)") |"
  echo "| $b | RSS idle after restart on the 10,000-schema database | $(mib "${RSS_RESTART[$b]}") MiB | |"
  mb="$(awk -v k="${RSS_RESTART_READ[$b]}" 'BEGIN{printf "%.1f", k * 1024 / 1e6}')"
  echo "| $b | RSS after restart, each of the 10,000 schemas read once by id | $(mib "${RSS_RESTART_READ[$b]}") MiB ($mb MB) | < 100 MB: $(met "$(lt "$mb" 100)") |"
  echo "| $b | Start to first 200 of GET /subjects, 10,000 schemas (median of $STARTUP_RUNS; all: ${STARTUP_ALL[$b]} ms) | ${STARTUP_MED[$b]} ms | <= 200 ms: $(met "$(lt "${STARTUP_MAX[$b]}" 201)") (max ${STARTUP_MAX[$b]} ms) |"
done
echo
for b in "${BACKEND_LIST[@]}"; do
  echo "$b: new registrations issued ${NEW_IDS[$b]} ids (wrk counted ${REQS[$b:new]} completed requests); server log lines with error/panic in phase A: ${SERVER_ERRORS[$b]}."
done
echo "Errors: socket errors + non-2xx over all wrk runs = $TOTAL_BAD."
if [ "${#BUSY_NOTES[@]}" -gt 0 ]; then
  echo "Disturbed: ${BUSY_NOTES[*]}"
else
  echo "Other processes used at most $BUSY_LIMIT CPUs before and during every measurement."
fi
[ "$TOTAL_BAD" = 0 ] || { echo "FAILED: wrk saw errors or non-2xx answers" >&2; exit 1; }
