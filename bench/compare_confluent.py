"""confluent-kafka's Python serializers on the records `compare_bench` serializes (issue 15).

Usage: tests/clients/.venv/bin/python bench/compare_confluent.py REGISTRY_URL
           [--records N] [--runs N] [--tsv PATH]

Serializes the 10-field `acme.Order` of `tests/fixtures/orders.rs` (schemas read from that
file; record n has the field values of `orders::order(n)`) with confluent-kafka's
AvroSerializer (a dict), JSONSerializer (a dict, validated with the `jsonschema` package, the
serializer's default) and ProtobufSerializer (a message of a class made at run time from the
registry's own descriptor of ORDER_PROTO: `GET /schemas/ids/{id}?format=serialized`, so no
protoc), each with its defaults (auto.register.schemas on, subjects
`compare-<format>-py-value`), against the `warden serve` at REGISTRY_URL. One warm-up pass
over the 10,000 distinct records (the schema is registered once there), then `--runs` timed
runs (default 3) of `--records` calls (default 20,000); the median run is printed as
Markdown rows, and with `--tsv` also written as `format, library, input, records/s,
ns/record, bytes/record` for `bench/compare.sh`. Standard library plus confluent-kafka only.
"""

import argparse
import base64
import importlib.metadata
import pathlib
import re
import statistics
import sys
import time

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

DISTINCT = 10_000
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "orders.rs"
LIBRARY = "confluent-kafka (Python) " + importlib.metadata.version("confluent-kafka")


def fixture(name):
    """The raw string constant `name` of tests/fixtures/orders.rs."""
    text = FIXTURES.read_text()
    found = re.search(r"const " + name + r': &str = r#"(.*?)"#;', text, re.S)
    if not found:
        sys.exit(f"{name} not found in {FIXTURES}")
    return found.group(1)


def order(n):
    """`orders::order(n)` as a dict (the JSON form serde writes)."""
    return {
        "id": f"order-{n}",
        "customer": {"email": f"c{n}@example.com", "name": f"Customer {n}"},
        "amount": n * 1.25,
        "quantity": n % 9 + 1,
        "express": n % 2 == 0,
        "status": ["NEW", "PAID", "SHIPPED"][n % 3],
        "tags": [f"t{t}" for t in range(n % 4)],
        "attributes": {"channel": f"web-{n % 5}"},
        "created_at": 1_700_000_000_000 + n,
        "note": f"note {n}" if n % 5 == 0 else None,
    }


def order_class(client):
    """acme.Order as a Python message class, from the registry's descriptor of ORDER_PROTO."""
    registered = client.register_schema(
        "compare-protobuf-descriptor-value", Schema(fixture("ORDER_PROTO"), "PROTOBUF"))
    serialized = client.get_schema(registered, fmt="serialized")
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized.schema_str))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Order"))


def proto_order(cls, n):
    """`orders::proto::order(n)`: proto3 has no null, so no note is the empty string."""
    o = order(n)
    return cls(
        id=o["id"],
        customer=cls.Customer(**o["customer"]),
        amount=o["amount"],
        quantity=o["quantity"],
        express=o["express"],
        status=["NEW", "PAID", "SHIPPED"].index(o["status"]),
        tags=o["tags"],
        attributes=o["attributes"],
        created_at=o["created_at"],
        note=o["note"] or "",
    )


def measure(serializer, topic, inputs, records, runs):
    """Median records/s and ns/record over `runs` runs of `records` calls, and mean bytes."""
    ctx = SerializationContext(topic, MessageField.VALUE)
    total = sum(len(serializer(v, ctx)) for v in inputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(records):
            serializer(inputs[i % DISTINCT], ctx)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return records / median, median / records * 1e9, total / len(inputs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tsv")
    args = parser.parse_args()

    client = SchemaRegistryClient({"url": args.url})
    dicts = [order(n) for n in range(DISTINCT)]
    Order = order_class(client)
    messages = [proto_order(Order, n) for n in range(DISTINCT)]
    rows = [
        ("Avro", "`AvroSerializer`, dict",
         AvroSerializer(client, fixture("ORDER_AVSC")), "compare-avro-py", dicts),
        ("JSON Schema", "`JSONSerializer`, dict (validating, its default)",
         JSONSerializer(fixture("ORDER_JSON_SCHEMA"), client), "compare-json-py", dicts),
        ("Protobuf", "`ProtobufSerializer`, message of a runtime class",
         ProtobufSerializer(Order, client),
         "compare-protobuf-py", messages),
    ]
    out = []
    for fmt, what, serializer, topic, inputs in rows:
        rate, ns, size = measure(serializer, topic, inputs, args.records, args.runs)
        print(f"{fmt} | {LIBRARY} | {what}: {rate:.0f} records/s", file=sys.stderr)
        out.append((fmt, LIBRARY, what, rate, ns, size))
    for fmt, library, what, rate, ns, size in out:
        print(f"| {fmt} | {library} | {what} | {rate:,.0f} | {ns:.0f} | {size:.1f} |")
    if args.tsv:
        with open(args.tsv, "w") as f:
            for fmt, library, what, rate, ns, size in out:
                f.write(f"{fmt}\t{library}\t{what}\t{rate:.0f}\t{ns:.0f}\t{size:.1f}\n")


if __name__ == "__main__":
    main()
