#!/usr/bin/env bash
# New registrations on SQLite, for before/after comparisons of two binaries:
#   bash bench/register_ab.sh LABEL WARDEN_BIN [SECS] [PERF_DATA]
# Starts `warden serve` on a fresh SQLite database on a free loopback port, sets the level
# to NONE, runs 2 s of bench/register_new.lua (wrk -t2 -c64, 100 subjects per wrk thread)
# to warm up, then SECS (10) more, and prints one line: requests/s, the server's CPUs
# (utime + stime from /proc), its CPU time per registration, non-2xx answers and the load
# average. With PERF_DATA, `perf record -g` samples the server during the measured run.
# Stops only the server it started. Run it under `flock /tmp/bench.lock`, alternating binaries.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
label=$1; bin=$2; secs=${3:-10}; perf=${4:-}
dir=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" serve --listen 127.0.0.1:$port --database-url sqlite://$dir/warden.db >$dir/server.log 2>&1 &
pid=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:$port/subjects >/dev/null && break; sleep 0.1; done
CT='Content-Type: application/vnd.schemaregistry.v1+json'
curl -sf -X PUT -H "$CT" -d '{"compatibility":"NONE"}' http://127.0.0.1:$port/config >/dev/null
wrk -t2 -c64 -d2s -s "$here/register_new.lua" http://127.0.0.1:$port -- warm$RANDOM 100 >/dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
if [ -n "$perf" ]; then perf record -F 1999 -g -o $perf -p $pid -- sleep $((secs+1)) 2>/dev/null & ppid=$!; fi
out=$(wrk -t2 -c64 -d${secs}s -s "$here/register_new.lua" http://127.0.0.1:$port -- run$RANDOM 100)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
[ -n "$perf" ] && wait $ppid
rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
reqs=$(echo "$out" | awk '/requests in/{print $1}')
non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
cpu=$(python3 -c "print(f'{($t1-$t0)/100/$secs:.2f}')")
us=$(python3 -c "print(f'{($t1-$t0)*1e4/$reqs:.0f}')")
echo "$label rps=$rps cpu=$cpu us/reg=$us non2xx=${non2xx:-0} load=$(cut -d' ' -f1-3 /proc/loadavg)"
kill $pid; wait $pid 2>/dev/null
rm -rf $dir
