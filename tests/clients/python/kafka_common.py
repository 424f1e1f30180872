"""What the Kafka client scripts share: a step's check and reading a topic back.

Imported by kafka_roundtrip.py and read_warden.py (a script's own directory is on
Python's path).
"""

import sys

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.serialization import MessageField, SerializationContext


def check(what, got, want):
    """Exits non-zero naming the step when `got` is not `want`."""
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}")


def consume(bootstrap, topic, deserializer, count):
    """The first `count` records of partition 0 of `topic`, from the start, each checked for
    the magic byte 0 and decoded with `deserializer`; gives up after 200 polls of 0.5 s."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"{topic}-reader",
        "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    for _ in range(200):
        if len(out) == count:
            break
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            sys.exit(f"FAIL {topic}: {msg.error()}")
        data = msg.value()
        check(f"{topic}: magic byte", data[0], 0)
        out.append(deserializer(data, SerializationContext(topic, MessageField.VALUE)))
    consumer.close()
    check(f"{topic}: records read back", len(out), count)
    return out
