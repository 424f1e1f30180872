#!/usr/bin/env bash
# New registrations on SQLite or PostgreSQL, for before/after comparisons of two binaries:
#   bash bench/register_ab.sh [--postgres] LABEL WARDEN_BIN [SECS] [PERF_DATA]
# Starts `warden serve` on a fresh SQLite database (with --postgres: on a private
# PostgreSQL 15, initdb'd in a temporary directory on a free port and stopped on exit) on a
# free loopback port, sets the level to NONE, runs 2 s of bench/register_new.lua (wrk -t2
# -c64, 100 subjects per wrk thread) to warm up, then SECS (10) more, and prints one line:
# requests/s, the server's CPUs (utime + stime from /proc), its CPU time per registration,
# non-2xx answers and the load average; with --postgres, then PostgreSQL's CPUs (the
# postmaster and its children) and their CPU time per registration. With PERF_DATA,
# `perf record -g` samples the server during the measured run. Stops only the processes it
# started. Run it under `flock /tmp/bench.lock`, alternating binaries.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 1; }
done
backend=sqlite
if [ "${1:-}" = --postgres ]; then backend=postgres; shift; fi
label=$1; bin=$2; secs=${3:-10}; perf=${4:-}
dir=$(mktemp -d)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port)
pid=""; pgdata=""; pgpid=""
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  [ -z "$pgdata" ] || "${AS_PG[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdata" -m fast -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
if [ "$backend" = postgres ]; then
  pgbin=/usr/lib/postgresql/15/bin
  pgport=$(free_port)
  chmod 755 "$dir"
  mkdir -p "$dir/pg"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
  pgdata="$dir/pg/data"
  "${AS_PG[@]}" $pgbin/initdb -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
  "${AS_PG[@]}" $pgbin/pg_ctl -D "$pgdata" -l "$dir/pg/log" -w \
    -o "-p $pgport -k $dir/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  pgpid=$(head -1 "$pgdata/postmaster.pid")
  url="postgres://postgres@127.0.0.1:$pgport/postgres"
else
  url="sqlite://$dir/warden.db"
fi
pg_ticks() { # utime + stime of the postmaster and its children
  local t=0 p
  for p in $pgpid $(pgrep -P "$pgpid"); do
    t=$(( t + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0) ))
  done
  echo $t
}
"$bin" serve --listen 127.0.0.1:$port --database-url "$url" >$dir/server.log 2>&1 &
pid=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:$port/subjects >/dev/null && break; sleep 0.1; done
CT='Content-Type: application/vnd.schemaregistry.v1+json'
curl -sf -X PUT -H "$CT" -d '{"compatibility":"NONE"}' http://127.0.0.1:$port/config >/dev/null
wrk -t2 -c64 -d2s -s "$here/register_new.lua" http://127.0.0.1:$port -- warm$RANDOM 100 >/dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
[ -n "$pgpid" ] && p0=$(pg_ticks)
if [ -n "$perf" ]; then perf record -F 1999 -g -o $perf -p $pid -- sleep $((secs+1)) 2>/dev/null & ppid=$!; fi
out=$(wrk -t2 -c64 -d${secs}s -s "$here/register_new.lua" http://127.0.0.1:$port -- run$RANDOM 100)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
[ -n "$pgpid" ] && p1=$(pg_ticks)
[ -n "$perf" ] && wait $ppid
rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
reqs=$(echo "$out" | awk '/requests in/{print $1}')
non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
cpu=$(python3 -c "print(f'{($t1-$t0)/100/$secs:.2f}')")
us=$(python3 -c "print(f'{($t1-$t0)*1e4/$reqs:.0f}')")
line="$label rps=$rps cpu=$cpu us/reg=$us non2xx=${non2xx:-0} load=$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$pgpid" ]; then
  line="$line pg_cpu=$(python3 -c "print(f'{($p1-$p0)/100/$secs:.2f}')") pg_us/reg=$(python3 -c "print(f'{($p1-$p0)*1e4/$reqs:.0f}')")"
fi
echo "$line"
