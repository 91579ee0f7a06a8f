#!/usr/bin/env python3
"""A township dashboard in Python: how any program reads riskhub's alert topic.

    python3 township_dashboard.py --township 411024100 [--bootstrap 127.0.0.1:19092]
                                  [--prefix PREFIX] [--group NAME] [--schemas DIR] [--follow]

It does what riskhub-alerts does in C, with nothing from riskhub but the .avsc
files (docs/alerts.md, "Reading the alert topic from any language"):

  * reads the topic alerts.<township> with isolation.level=read_committed (only
    alerts of committed join transactions) in a consumer group of its own;
  * decodes each record value by its single-object header: C3 01, then the
    CRC-64-AVRO fingerprint (8 bytes, little-endian) of the writer schema's
    Parsing Canonical Form, then the Avro binary body. The writer schema is
    looked up by that fingerprint among schemas/*.avsc and schemas/history/*.avsc
    and read into the current Alert schema (older writers resolve to it);
  * prints the alerts grouped by household, ID numbers masked (first 6, last 4);
  * commits the group's offsets only after printing, so the next run shows only
    what is new.

Without --follow it stops at the end of the topic (of what was committed when
it got there). Needs confluent-kafka and fastavro.
"""
import argparse
import io
import json
import os
import sys
from pathlib import Path

import fastavro
import fastavro.schema
from confluent_kafka import Consumer, KafkaError, TopicPartition

MAGIC = b"\xc3\x01"


# ---- the fingerprint: CRC-64-AVRO (Rabin), as the Avro specification gives it ----

EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def crc64_avro(data: bytes) -> int:
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


def load_schemas(folder):
    """{fingerprint (8 wire bytes): parsed writer schema}, and the current Alert."""
    folder = Path(folder)
    writers, reader = {}, None
    for path in sorted(folder.glob("*.avsc")) + sorted(folder.glob("history/*.avsc")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        pcf = fastavro.schema.to_parsing_canonical_form(obj)
        key = crc64_avro(pcf.encode("utf-8")).to_bytes(8, "little")
        parsed = fastavro.parse_schema(obj)
        writers[key] = parsed
        if path.parent == folder and path.stem == "Alert":
            reader = parsed
    if reader is None:
        sys.exit(f"{folder}: no Alert.avsc")
    return writers, reader


def decode(value, writers, reader):
    """The Alert of one record value (single-object encoding)."""
    if value[:2] != MAGIC:
        raise ValueError("not single-object encoded (no C3 01)")
    writer = writers.get(bytes(value[2:10]))
    if writer is None:
        raise ValueError(f"unknown schema fingerprint {bytes(value[2:10]).hex()}")
    body = io.BytesIO(value[10:])
    alert = fastavro.schemaless_reader(body, writer, reader)
    if body.read():
        raise ValueError("bytes left after the Avro body")
    return alert


def mask(id_number):
    s = id_number or ""
    return s[:6] + "*" * (len(s) - 10) + s[-4:] if len(s) > 10 else s


def yuan(fen):
    """Fen (an exact integer) to yuan text: 1234567 -> "12345.67"."""
    if fen is None:
        return None
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def print_by_household(alerts, out=sys.stdout):
    """One block a household (township, household number), its alerts below."""
    households = {}
    for a in alerts:
        households.setdefault((a["township_code"] or "", a["household_id"] or ""), []).append(a)
    for (township, household), items in sorted(households.items()):
        first = items[0]
        print(f"household {household} township {township} village {first['village']} "
              f"type {first['household_type']}", file=out)
        for a in sorted(items, key=lambda a: a["alert_id"]):
            amount = yuan(a["amount_fen"])
            print(f"  alert {a['alert_id']} severity {a['severity']} situation {a['situation']} "
                  f"risk {a['risk']} from {a['department']}/{a['feed']} period {a['period']} "
                  f"person {mask(a['person_id_number'])} ({a['relation_to_head']})"
                  + (f" amount {amount} yuan" if amount is not None else ""), file=out)
    print(f"{len(alerts)} alerts, {len(households)} households", file=out)
    out.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--township", required=True, help="9-digit township code")
    ap.add_argument("--bootstrap", default="127.0.0.1:19092")
    ap.add_argument("--ca", default=os.environ.get("RH_KAFKA_CA", "/etc/riskhub/tls/ca.pem"),
                    help="the county's CA certificate (default $RH_KAFKA_CA)")
    ap.add_argument("--credentials", default=os.environ.get("RH_KAFKA_CREDENTIALS"),
                    help="the township's Kafka credentials file: sasl.username=, sasl.password= "
                         "(default $RH_KAFKA_CREDENTIALS)")
    ap.add_argument("--prefix", default="", help="topic namespace (riskhub's topic_prefix)")
    ap.add_argument("--group", help="consumer group (default <prefix>township-dashboard.<code>)")
    ap.add_argument("--schemas", default=str(Path(__file__).resolve().parents[2] / "schemas"))
    ap.add_argument("--follow", action="store_true", help="keep waiting for new alerts")
    args = ap.parse_args()

    writers, reader = load_schemas(args.schemas)
    topic = f"{args.prefix}alerts.{args.township}"
    if not args.credentials:
        print("no Kafka credentials: --credentials FILE or RH_KAFKA_CREDENTIALS", file=sys.stderr)
        return 2
    secret = dict(line.split("=", 1) for line in Path(args.credentials).read_text().splitlines()
                  if line.startswith(("sasl.username=", "sasl.password=")))
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        # the brokers take TLS and a password only (riskhub's docs/security.md, "Kafka")
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
        "ssl.ca.location": args.ca, **secret,
        "group.id": args.group or f"{args.prefix}township-dashboard.{args.township}",
        "isolation.level": "read_committed",   # never an alert of an aborted transaction
        "enable.auto.commit": False,           # commit after printing, not before
        "auto.offset.reset": "earliest",       # a new dashboard sees everything so far
        "enable.partition.eof": True,          # to know where the end is
    })
    if topic not in consumer.list_topics(timeout=15).topics:
        print(f"0 alerts, 0 households (no topic {topic} yet)")
        return 0

    assigned, at_end = set(), set()

    def on_assign(c, partitions):
        assigned.update((p.topic, p.partition) for p in partitions)

    consumer.subscribe([topic], on_assign=on_assign)
    batch, offsets = [], {}
    try:
        while True:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error():
                if msg.error().code() != KafkaError._PARTITION_EOF:
                    raise SystemExit(f"reading {topic}: {msg.error()}")
                at_end.add((msg.topic(), msg.partition()))
            elif msg is not None:
                at_end.discard((msg.topic(), msg.partition()))
                try:
                    rec = decode(msg.value(), writers, reader)
                    # a withdrawal (docs/join.md, "Corrections"): that alert is no
                    # longer supported by its department's corrected list
                    if rec.get("withdraws"):
                        print(f"alert {rec['withdraws']} withdrawn", file=sys.stderr)
                    else:
                        batch.append(rec)
                except ValueError as e:
                    print(f"{topic} [{msg.partition()}] offset {msg.offset()}: skipped: {e}",
                          file=sys.stderr)
                offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
            caught_up = assigned and assigned <= at_end
            if caught_up and (batch or not args.follow):
                print_by_household(batch)            # first the output ...
                if offsets:                          # ... then the commit
                    consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                                    asynchronous=False)
                batch, offsets = [], {}
                if not args.follow:
                    return 0
    except KeyboardInterrupt:
        return 0
    finally:
        consumer.close()


if __name__ == "__main__":
    sys.exit(main())
