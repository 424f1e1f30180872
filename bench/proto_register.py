#!/usr/bin/env python3
"""Registrations per second of a googleapis Protobuf schema with its imports.

  python3 bench/proto_register.py --bin target/release/warden [--count 400] [--workers 4]

Starts its own `warden serve` on a fresh SQLite file (stopped on exit), registers the
imports of google/pubsub/v1/pubsub.proto from ../shared/corpus as their own subjects (as a
Confluent client does; built-ins are not registered), then registers COUNT distinct variants
of pubsub.proto (the text plus a trailing comment `// variant N`, so each is a new schema
that must be compiled with its references) from WORKERS threads, level NONE, and prints the
rate. Standard library only.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

CT = "application/vnd.schemaregistry.v1+json"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "protobuf")
ROOTS = [os.path.join(CORPUS, "googleapis"), os.path.join(CORPUS, "protobuf")]
BUILTIN = re.compile(r"^(google/protobuf/|google/type/|confluent/)")


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body) if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": CT})
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, json.loads(payload or b"null")


def imports(text):
    return re.findall(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', text, re.M)


def read_import(name):
    for root in ROOTS:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path) as f:
                return f.read()
    raise SystemExit(f"import {name} not found")


def register_imports(port, text, done):
    refs = []
    for name in imports(text):
        if BUILTIN.match(name):
            continue
        if name not in done:
            dep = read_import(name)
            dep_refs = register_imports(port, dep, done)
            path = "/subjects/" + urllib.parse.quote(name, safe="") + "/versions"
            status, body = request(port, "POST", path,
                                   {"schemaType": "PROTOBUF", "schema": dep, "references": dep_refs})
            if status != 200:
                raise SystemExit(f"{name}: {status} {body}")
            done[name] = 1
        refs.append({"name": name, "subject": name, "version": 1})
    return refs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "warden"))
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="warden-proto-bench.")
    server = subprocess.Popen(
        [args.bin, "serve", "--listen", f"127.0.0.1:{port}",
         "--database-url", f"sqlite://{tmp}/warden.db"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if request(port, "GET", "/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        request(port, "PUT", "/config", {"compatibility": "NONE"})
        main_text = read_import("google/pubsub/v1/pubsub.proto")
        refs = register_imports(port, main_text, {})

        def one(n):
            body = {"schemaType": "PROTOBUF", "schema": f"{main_text}\n// variant {n}\n",
                    "references": refs}
            status, reply = request(port, "POST", f"/subjects/pubsub-{n % 10}/versions", body)
            if status != 200:
                raise RuntimeError(f"variant {n}: {status} {reply}")
            return reply["id"]

        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
            ids = list(pool.map(one, range(args.count)))
        elapsed = time.monotonic() - start
        assert len(set(ids)) == args.count, "every variant is a new schema"
        print(f"| google/pubsub/v1/pubsub.proto with {len(refs)} references, {args.count} new "
              f"schemas from {args.workers} clients | {args.count / elapsed:.0f} registrations/s |")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
