#!/usr/bin/env bash
# Instructions per request of one read route, counted by callgrind (for hosts without
# hardware counters, where wall-clock rows move more than a change does):
#   bash bench/profile_reads.sh BIN OUT SCRIPT [ARGS…]
# BIN is a `warden` binary, or `hello` for the ceiling ($HELLO, else target/release/hello).
# Starts it under `valgrind --tool=callgrind --instr-atstart=no` on a free loopback port
# (warden on a fresh SQLite database loaded as reads_ab.sh loads it: 100 subjects × 10
# versions), warms it with 3 s of `wrk -t1 -c8 -s bench/SCRIPT`, then counts only the next
# 10 s of the same load (`callgrind_control -i on/off`). The argument SUBJECTS stands for
# the loaded subjects' file (get_latest.lua takes it). Prints wrk's request count; writes
# OUT.cg. Read it with
#   callgrind_annotate --inclusive=yes OUT.cg
# and divide the program total by the request count. Stops only what it started.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
for tool in valgrind callgrind_control wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
[ $# -ge 3 ] || { echo "usage: $0 BIN OUT SCRIPT [ARGS…]" >&2; exit 2; }
bin=$1; out=$2; script=$3; shift 3
dir=$(mktemp -d)
vp=""
cleanup() { [ -n "$vp" ] && kill "$vp" 2>/dev/null && wait "$vp" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
cg=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out.cg")
if [ "$bin" = hello ]; then
  "${cg[@]}" "${HELLO:-${CARGO_TARGET_DIR:-$here/../target}/release/hello}" "127.0.0.1:$port" >"$dir/log" 2>&1 &
else
  "${cg[@]}" "$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$dir/w.db" >"$dir/log" 2>&1 &
fi
vp=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null "$url/subjects" && break; sleep 0.1; done
curl -sf -o /dev/null "$url/subjects" || { echo "no answer from $url: $dir/log" >&2; exit 1; }
if [ "$bin" != hello ]; then
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"compatibility":"NONE"}' "$url/config"
  python3 "$here/loader.py" register --url "$url" --prefix bench --subjects 100 --versions 10 \
    --out "$dir/load" >/dev/null
fi
args=()
for a in "$@"; do [ "$a" = SUBJECTS ] && a="$dir/load/subjects.txt"; args+=("$a"); done
wrk -t1 -c8 -d3 -s "$here/$script" "$url" -- ${args[@]+"${args[@]}"} >/dev/null 2>&1
callgrind_control -i on "$vp" >/dev/null 2>&1
wrk -t1 -c8 -d10 -s "$here/$script" "$url" -- ${args[@]+"${args[@]}"} | grep "requests in"
callgrind_control -i off "$vp" >/dev/null 2>&1
