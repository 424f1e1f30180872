#!/usr/bin/env bash
# The three read rows of bench/run.sh for two builds side by side, interleaved with the
# ceiling so that a change of the host's speed moves all three alike:
#   bash bench/reads_ab.sh BEFORE_BIN AFTER_BIN [ROUNDS] [SECS]
# Starts the hello-world ceiling (target/release/hello, or $HELLO) and `warden serve` of
# each binary on its own fresh SQLite database, on free loopback ports; loads each with
# bench/loader.py (100 subjects x 10 versions, level NONE); then, ROUNDS times (3), runs
# SECS (8) of `wrk -t2 -c64` against the ceiling's GET and each server's
# GET /schemas/ids/{id}, …/versions/latest and …/versions/5, in that order. Prints one
# Markdown row per run: requests/s, the server's CPU time per request (utime + stime of all
# its threads, from /proc/PID/task/*/schedstat) and the ratio to the ceiling's run of the
# same round. Stops only the processes it started. Run it under `flock /tmp/bench.lock`.
# BEFORE_BACKEND and AFTER_BACKEND (`sqlite`, the default, or `postgres`) choose each
# server's store: `postgres` runs it as one replica on its own database of a private
# PostgreSQL 15 (initdb, pg_ctl), whose CPU time is not counted (reads do not reach it).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 1; }
done
[ $# -ge 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN [ROUNDS] [SECS]" >&2; exit 2; }
before=$1; after=$2; rounds=${3:-3}; secs=${4:-8}
hello=${HELLO:-${CARGO_TARGET_DIR:-$here/../target}/release/hello}
[ -x "$hello" ] || { echo "no ceiling at $hello (cargo build --release -p warden-bench --bin hello)" >&2; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  stop_postgres
  rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_ready() { # URL
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "$1/subjects" && return 0
    sleep 0.05
  done
  echo "no answer from $1" >&2; exit 1
}
declare -A url pid
pg_url=""
as_pg=()
start_postgres() { # a private PostgreSQL 15 on a free port; sets pg_url
  local port
  command -v initdb >/dev/null || export PATH="/usr/lib/postgresql/15/bin:$PATH"
  port=$(free_port)
  mkdir -p "$dir/pg"
  if [ "$(id -u)" = 0 ]; then chmod 755 "$dir"; chown postgres:postgres "$dir/pg"; as_pg=(runuser -u postgres --); fi
  # Defined before the start, so that an interrupted start is stopped too.
  stop_postgres() { as_pg pg_ctl -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1; }
  as_pg initdb -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null &&
    as_pg pg_ctl -D "$dir/pg/data" -l "$dir/pg/log" -w \
      -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null ||
    { echo "PostgreSQL did not start: $dir/pg/log" >&2; exit 1; }
  pg_url="postgres://postgres@127.0.0.1:$port"
}
as_pg() { ${as_pg[@]+"${as_pg[@]}"} "$@"; } # CMD…: as the postgres user when root
stop_postgres() { :; }
database_url() { # NAME: sets db_url to the server's store, by ${NAME^^}_BACKEND
  local backend_var="${1^^}_BACKEND"
  case "${!backend_var:-sqlite}" in
    sqlite) db_url="sqlite://$dir/$1/warden.db" ;;
    postgres)
      [ -n "$pg_url" ] || start_postgres
      psql -q -h 127.0.0.1 -p "${pg_url##*:}" -U postgres -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
      db_url="$pg_url/$1" ;;
    *) echo "$backend_var: sqlite or postgres" >&2; exit 2 ;;
  esac
}
start() { # NAME CMD...
  local name=$1 port; shift
  port=$(free_port)
  url[$name]="http://127.0.0.1:$port"
  if [ "$name" = hello ]; then
    "$@" "127.0.0.1:$port" >"$dir/$name.log" 2>&1 &
  else
    mkdir -p "$dir/$name"
    database_url "$name"
    "$@" serve --listen "127.0.0.1:$port" --database-url "$db_url" \
      >"$dir/$name.log" 2>&1 &
  fi
  pid[$name]=$!; pids+=("$!")
  wait_ready "${url[$name]}"
}
start hello "$hello"
for name in before after; do
  start "$name" "${!name}"
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"compatibility":"NONE"}' \
    "${url[$name]}/config"
  python3 "$here/loader.py" register --url "${url[$name]}" --prefix bench --subjects 100 \
    --versions 10 --out "$dir/load-$name" >/dev/null
done
cpu_ns() { awk '{s += $1} END {printf "%.0f", s}' /proc/"$1"/task/*/schedstat; }
# run NAME SCRIPT ARGS…: prints "requests/s µs-per-request"
run() {
  local name=$1 script=$2 a b out; shift 2
  a=$(cpu_ns "${pid[$name]}")
  out=$(wrk -t2 -c64 -d"$secs" -s "$here/$script" "${url[$name]}" -- "$@")
  b=$(cpu_ns "${pid[$name]}")
  echo "$out" | awk -v d=$((b - a)) '
    / requests in / {n = $1}
    /^Requests\/sec/ {r = $2}
    END {printf "%.0f %.2f", r, d / n / 1000}'
}
subjects="$dir/load-before/subjects.txt"
echo "| round | server | row | requests/s | CPU per request | ratio to the ceiling |"
echo "|---:|---|---|---:|---:|---:|"
for round in $(seq 1 "$rounds"); do
  read -r ceiling us <<<"$(run hello get_root.lua)"
  echo "| $round | hello | GET (the ceiling) | $ceiling | $us µs | |"
  for name in before after; do
    for row in "by id|get_by_id.lua 1000" "latest|get_latest.lua $subjects" \
      "version 5|get_latest.lua $subjects 5"; do
      label=${row%%|*}
      # shellcheck disable=SC2086 # the script and its arguments, split on purpose
      read -r rps us <<<"$(run "$name" ${row#*|})"
      echo "| $round | $name | $label | $rps | $us µs | $(awk -v a="$rps" -v c="$ceiling" 'BEGIN {printf "%.2f", a / c}') |"
    done
  done
done
