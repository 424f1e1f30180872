#!/usr/bin/env python3
"""Data loader for bench/run.sh (standard library only).

Subcommands:

  register  --url URL --prefix P --subjects N --versions V [--out DIR] [--workers W]
      Registers N subjects x V versions of distinct Avro record schemas (POST
      /subjects/{s}/versions). Each subject's versions are registered in order by one
      worker; subjects run in parallel. Fails (exit 1) on any non-200 answer or if two
      registrations return the same id. With --out, writes for the wrk scripts:
        ids.txt       one registered id per line
        subjects.txt  one subject per line
        existing.tsv  subject TAB request-body, for every registered (subject, schema)
        compat.tsv    subject TAB request-body, the latest schema of each subject plus
                      one optional field with a default (BACKWARD-compatible with it)

  read-ids  --url URL --ids FILE [--workers W]
      GET /schemas/ids/{id} once for every id in FILE; fails on any non-200.

Every request carries Content-Type: application/vnd.schemaregistry.v1+json.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

CT = "application/vnd.schemaregistry.v1+json"


class Client:
    """One keep-alive HTTP/1.1 connection per thread."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.local = threading.local()

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.local.conn = c
        return c

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": CT, "Accept": CT}
        for attempt in range(2):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                text = r.read().decode()
                return r.status, text
            except (ConnectionError, http.client.HTTPException, OSError):
                c.close()
                self.local.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def schema(prefix, subject_index, version):
    """Distinct Avro record per (subject, version): version v has v-1 optional fields on top
    of a fixed base, so every version is a BACKWARD-compatible evolution of the previous."""
    fields = [
        {"name": "id", "type": "long", "doc": "Primary key"},
        {"name": "name", "type": "string"},
        {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 12, "scale": 2}},
        {"name": "status", "type": {"type": "enum", "name": "Status",
                                    "symbols": ["NEW", "ACTIVE", "CLOSED"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "attrs", "type": {"type": "map", "values": "string"}, "default": {}},
        {"name": "address", "type": ["null", {
            "type": "record", "name": "Address", "fields": [
                {"name": "street", "type": "string"},
                {"name": "city", "type": "string"},
                {"name": "zip", "type": ["null", "string"], "default": None},
            ]}], "default": None},
    ]
    for k in range(1, version):
        fields.append({"name": f"extra{k}", "type": ["null", "string"], "default": None})
    return {
        "type": "record",
        "name": "Event",
        "namespace": f"bench.{prefix.replace('-', '_')}.s{subject_index}",
        "doc": f"Benchmark schema {subject_index} v{version}",
        "fields": fields,
    }


def compat_candidate(prefix, subject_index, versions):
    s = schema(prefix, subject_index, versions)
    s["fields"].append({"name": "added", "type": ["null", "long"], "default": None})
    return s


def subject_name(prefix, i, n):
    width = max(3, len(str(n - 1)))
    return f"{prefix}-{i:0{width}d}"


def body(s):
    return {"schema": json.dumps(s, separators=(",", ":"))}


def cmd_register(a):
    client = Client(a.url)
    results = {}
    lock = threading.Lock()

    def one_subject(i):
        subj = subject_name(a.prefix, i, a.subjects)
        ids = []
        for v in range(1, a.versions + 1):
            b = body(schema(a.prefix, i, v))
            status, text = client.request(
                "POST", f"/subjects/{urllib.parse.quote(subj, safe='')}/versions", b)
            if status != 200:
                raise RuntimeError(f"register {subj} v{v}: HTTP {status}: {text[:300]}")
            ids.append(json.loads(text)["id"])
        with lock:
            results[i] = ids

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(a.workers) as ex:
        for f in concurrent.futures.as_completed(
                [ex.submit(one_subject, i) for i in range(a.subjects)]):
            f.result()
    elapsed = time.monotonic() - t0
    all_ids = [i for ids in results.values() for i in ids]
    total = a.subjects * a.versions
    if len(set(all_ids)) != total:
        print(f"loader: expected {total} distinct ids, got {len(set(all_ids))}", file=sys.stderr)
        return 1
    print(f"loader: registered {total} schemas ({a.subjects} subjects x {a.versions} versions) "
          f"in {elapsed:.2f}s ({total / elapsed:.0f}/s with {a.workers} client threads); "
          f"ids {min(all_ids)}..{max(all_ids)}")
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "ids.txt"), "w") as f:
            f.writelines(f"{i}\n" for i in sorted(all_ids))
        with open(os.path.join(a.out, "subjects.txt"), "w") as f:
            f.writelines(f"{subject_name(a.prefix, i, a.subjects)}\n" for i in range(a.subjects))
        with open(os.path.join(a.out, "existing.tsv"), "w") as f:
            for i in range(a.subjects):
                for v in range(1, a.versions + 1):
                    f.write(f"{subject_name(a.prefix, i, a.subjects)}\t"
                            f"{json.dumps(body(schema(a.prefix, i, v)))}\n")
        with open(os.path.join(a.out, "compat.tsv"), "w") as f:
            for i in range(a.subjects):
                f.write(f"{subject_name(a.prefix, i, a.subjects)}\t"
                        f"{json.dumps(body(compat_candidate(a.prefix, i, a.versions)))}\n")
    return 0


def cmd_read_ids(a):
    client = Client(a.url)
    with open(a.ids) as f:
        ids = [int(line) for line in f if line.strip()]

    def get(i):
        status, text = client.request("GET", f"/schemas/ids/{i}")
        if status != 200:
            raise RuntimeError(f"GET /schemas/ids/{i}: HTTP {status}: {text[:300]}")

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(a.workers) as ex:
        list(ex.map(get, ids))
    print(f"loader: read {len(ids)} schemas by id in {time.monotonic() - t0:.2f}s")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("register")
    r.add_argument("--url", required=True)
    r.add_argument("--prefix", default="bench")
    r.add_argument("--subjects", type=int, default=100)
    r.add_argument("--versions", type=int, default=10)
    r.add_argument("--workers", type=int, default=8)
    r.add_argument("--out")
    g = sub.add_parser("read-ids")
    g.add_argument("--url", required=True)
    g.add_argument("--ids", required=True)
    g.add_argument("--workers", type=int, default=8)
    a = p.parse_args()
    return cmd_register(a) if a.cmd == "register" else cmd_read_ids(a)


if __name__ == "__main__":
    sys.exit(main())
