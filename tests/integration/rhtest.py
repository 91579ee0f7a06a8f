"""Shared helpers for riskhub's Python integration tests.

An independent reader: records are decoded with fastavro (not riskhub's C
code), Kafka is read with confluent-kafka (its own librdkafka build), batch ids
and expected values are computed here from the department files and the YAML.

Topic namespace: every topic name goes through topic(name), which puts PREFIX
(RH_TOPIC_PREFIX from the environment, "" if unset) in front, as the C programs
do with the same variable. A test that wants topics of its own takes
new_namespace() and runs the programs inside `with namespace(prefix):` (or
passes env=env(prefix) / prefix=... to run()); see those helpers.
"""
import contextlib
import csv
import decimal
import hashlib
import io
import os
import re
import subprocess
import time
import uuid
from datetime import date
from pathlib import Path

import fastavro
import fastavro.schema
import yaml
from confluent_kafka import Consumer, TopicPartition, KafkaError

SRC = Path(os.environ.get("RH_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ.get("RH_BIN_DIR", SRC / "build" / "bin"))
BOOTSTRAP = os.environ.get("RH_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
CONFIG = SRC / "config" / "riskhub.yaml"
# The topic namespace of this process (docs/configuration.md, topic_prefix).
PREFIX = os.environ.get("RH_TOPIC_PREFIX", "")
FULL_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


# ---- schemas and single-object decoding -------------------------------------

def _load_schemas():
    by_fp = {}
    for path in sorted((SRC / "schemas").glob("*.avsc")) + sorted((SRC / "schemas").glob("history/*.avsc")):
        text = path.read_text()
        pcf = fastavro.schema.to_parsing_canonical_form(yaml.safe_load(text))
        fp = bytes.fromhex(fastavro.schema.fingerprint(pcf, "CRC-64-AVRO"))  # little-endian bytes
        by_fp[fp] = (path.stem, fastavro.parse_schema(yaml.safe_load(text)))
    return by_fp


SCHEMAS = _load_schemas()


def decode(value):
    """(record type name, dict) of a single-object encoded message."""
    assert value[:2] == b"\xc3\x01", "not single-object encoded"
    name, schema = SCHEMAS[bytes(value[2:10])]
    buf = io.BytesIO(value[10:])
    rec = fastavro.schemaless_reader(buf, schema)
    assert buf.read() == b"", "trailing bytes after the Avro body"
    return name, rec


# ---- config -------------------------------------------------------------------

def load_config(path=CONFIG):
    return yaml.safe_load(Path(path).read_text())


def feed_config(cfg, dept, feed):
    for d in cfg["departments"]:
        if d["code"] == dept:
            for f in d["feeds"]:
                if f["code"] == feed:
                    return f
    raise KeyError(f"{dept}/{feed}")


def township_code(cfg, text):
    for t in cfg["townships"]:
        name = t["name"]
        if text in (t["code"], name) or (name[-1] in "镇乡" and text == name[:-1]):
            return t["code"]
    return None


def config_with(tmp_path, **kafka_overrides):
    """A copy of the shipped config with some Kafka properties changed."""
    cfg_text = CONFIG.read_text()
    for key, value in kafka_overrides.items():
        key = key.replace("_", ".")
        pattern = re.compile(rf"^  {re.escape(key)}: .*$", re.M)
        if pattern.search(cfg_text):
            cfg_text = pattern.sub(f"  {key}: {value}", cfg_text)
        else:
            cfg_text = cfg_text.replace("kafka:\n", f"kafka:\n  {key}: {value}\n", 1)
    path = Path(tmp_path) / f"riskhub-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(cfg_text)
    return path


# ---- expected values from a department file -----------------------------------

SUBTYPES = {"洪涝": "FLOOD", "洪水": "FLOOD", "水灾": "FLOOD", "洪涝灾害": "FLOOD", "干旱": "DROUGHT",
            "旱灾": "DROUGHT", "地震": "EARTHQUAKE", "地震灾害": "EARTHQUAKE", "地质灾害": "GEOLOGICAL",
            "地质": "GEOLOGICAL", "生物灾害": "BIOLOGICAL", "生物": "BIOLOGICAL", "病虫害": "BIOLOGICAL",
            "气象灾害": "METEOROLOGICAL", "气象": "METEOROLOGICAL", "冰雹": "METEOROLOGICAL",
            "风灾": "METEOROLOGICAL", "火灾": "FIRE", "森林火灾": "FIRE", "其他": "OTHER", "其它": "OTHER"}


def read_csv_rows(path, encoding="utf-8-sig"):
    """[(line where the row starts, row)] with blank lines skipped, header first."""
    text = Path(path).read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    for row in reader:
        if row and any(c.strip() for c in row):
            rows.append((line, row))
        line = reader.line_num + 1
    return rows


def expected_records(cfg, dept, feed, path, encoding="utf-8-sig"):
    """{row_number: dict of the FeedRecord fields riskhub should publish}."""
    fc = feed_config(cfg, dept, feed)
    rows = read_csv_rows(path, encoding)
    header = [h.strip().lstrip("\ufeff") for h in rows[0][1]]
    col = {k: header.index(v) for k, v in fc["columns"].items() if v in header}
    facts = {k: header.index(v) for k, v in (fc.get("facts") or {}).items() if v in header}
    out = {}
    for line, row in rows[1:]:
        val = {k: row[i].strip() for k, i in col.items()}
        rec = {
            "id_number": val["id_number"].upper(),
            "name": val.get("name") or None,
            "department": dept, "feed": feed, "kind": fc["kind"].upper(),
            "township_code": township_code(cfg, val["township"]) if val.get("township") else None,
            "village": val.get("village") or None,
            "event_date": date.fromisoformat(val["event_date"]) if val.get("event_date") else None,
            "amount_fen": int(decimal.Decimal(val["amount"].replace(",", "")) * 100) if val.get("amount") else None,
            "risk": fc.get("risk"),
            "risk_subtype": SUBTYPES.get(val["subtype"], val["subtype"]) if val.get("subtype") else fc.get("risk_subtype"),
            "facts": {k: row[i].strip() for k, i in facts.items() if row[i].strip()},
            "row_number": line,
        }
        out[line] = rec
    return out


def batch_id(dept, feed, period, path):
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    h = hashlib.sha256()
    for part in ("riskhub-batch-v1", dept, feed, period, sha):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


# ---- topic namespace -------------------------------------------------------------

def topic(name):
    """The full name of topic `name` ("feed.manifests", "alerts.411024100") in the
    current namespace: PREFIX + name."""
    return PREFIX + name


def new_namespace():
    """A fresh, unique topic prefix such as "t1a2b3c4d." (valid for topic_prefix)."""
    return f"t{uuid.uuid4().hex[:8]}."


def env(prefix=None, **extra):
    """An environment for a riskhub program: os.environ, RH_KAFKA_BOOTSTRAP
    defaulted, RH_TOPIC_PREFIX set to `prefix` (None: the current PREFIX; ""
    removes it), then `extra` (values turned into strings)."""
    e = dict(os.environ)
    e.setdefault("RH_KAFKA_BOOTSTRAP", BOOTSTRAP)
    prefix = PREFIX if prefix is None else prefix
    if prefix:
        e["RH_TOPIC_PREFIX"] = prefix
    else:
        e.pop("RH_TOPIC_PREFIX", None)
    e.update({k: str(v) for k, v in extra.items()})
    return e


@contextlib.contextmanager
def namespace(prefix=None):
    """Within the block, topic() and every helper here use `prefix` (None: a
    new_namespace()), and RH_TOPIC_PREFIX is set in os.environ, so run(),
    produce() and any subprocess started inside see it. Yields the prefix;
    PREFIX and the environment are restored afterwards. Topics are not deleted.

        with rhtest.namespace() as ns:
            rhtest.produce(...)                      # publishes to ns + "feed..."
            rhtest.read_topic(rhtest.topic("feed.rejects"))
    """
    global PREFIX
    prefix = new_namespace() if prefix is None else prefix
    saved_prefix, saved_env = PREFIX, os.environ.get("RH_TOPIC_PREFIX")
    PREFIX = prefix
    if prefix:
        os.environ["RH_TOPIC_PREFIX"] = prefix
    else:
        os.environ.pop("RH_TOPIC_PREFIX", None)
    try:
        yield prefix
    finally:
        PREFIX = saved_prefix
        if saved_env is None:
            os.environ.pop("RH_TOPIC_PREFIX", None)
        else:
            os.environ["RH_TOPIC_PREFIX"] = saved_env


# ---- running riskhub ----------------------------------------------------------

def run(program, *args, timeout=600, prefix=None, **kw):
    """Run a program of BIN. The topic namespace is the current one (PREFIX),
    or `prefix` if given; env=... replaces the whole environment."""
    kw.setdefault("env", env(prefix))
    return subprocess.run([str(BIN / program), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


def produce(dept, feed, period, path, *extra, config=CONFIG, prefix=None):
    return run("riskhub-produce", "--config", config, "--department", dept, "--feed", feed,
               "--period", period, "--no-progress", *extra, path, prefix=prefix)


def wait_for_glob(folder, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(Path(folder).glob(pattern)):
            return True
        time.sleep(0.02)
    return False


def assert_no_full_id(*texts):
    for t in texts:
        m = FULL_ID.search(t or "")
        assert m is None, f"a full ID number appears in output: ...{t[max(0, m.start()-20):m.end()+20]!r}"


# ---- reading Kafka (read_committed) -------------------------------------------

def consumer():
    return Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"it-{uuid.uuid4().hex}",
                     "isolation.level": "read_committed", "enable.auto.commit": False,
                     "enable.partition.eof": True, "auto.offset.reset": "earliest"})


def end_offsets(topic):
    """{partition: high watermark} now: read_topic(since=...) reads only what came after."""
    c = consumer()
    try:
        md = c.list_topics(topic, timeout=10)
        if topic not in md.topics or md.topics[topic].error is not None:
            return {}
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in md.topics[topic].partitions}
    finally:
        c.close()


def read_topic(topic, timeout=60, keep=None, since=None):
    """The committed messages of a topic (from `since` offsets, else from the
    beginning) to its end, those for which keep(msg) is true (all if None).
    Streams: only kept messages are held in memory."""
    c = consumer()
    try:
        md = c.list_topics(topic, timeout=10)
        parts = md.topics[topic].partitions if topic in md.topics and md.topics[topic].error is None else {}
        if not parts:
            return []
        since = since or {}
        c.assign([TopicPartition(topic, p, since.get(p, 0)) for p in parts])
        pending, out, deadline = set(parts), [], time.time() + timeout
        while pending and time.time() < deadline:
            for m in c.consume(10000, 0.5):
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        pending.discard(m.partition())
                        continue
                    raise RuntimeError(m.error())
                if keep is None or keep(m):
                    out.append(m)
        assert not pending, f"{topic}: no end of partitions {pending} within {timeout} s"
        return out
    finally:
        c.close()


def read_ranges(topic, ranges, timeout=60):
    """The messages of each {partition, first_offset, last_offset} range."""
    c = consumer()
    try:
        want = {r["partition"]: r for r in ranges}
        c.assign([TopicPartition(topic, p, r["first_offset"]) for p, r in want.items()])
        pending, out, deadline = set(want), [], time.time() + timeout
        while pending and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                continue
            if m.error():
                raise RuntimeError(m.error())
            r = want[m.partition()]
            if m.offset() <= r["last_offset"]:
                out.append(m)
            if m.offset() >= r["last_offset"]:
                pending.discard(m.partition())
        assert not pending, f"{topic}: ranges {pending} not read within {timeout} s"
        return out
    finally:
        c.close()


def manifests_by_batch():
    out = {}
    for m in read_topic(topic("feed.manifests")):
        name, rec = decode(m.value())
        assert name == "BatchManifest"
        assert m.key().decode() == rec["batch_id"]
        out.setdefault(rec["batch_id"], []).append(rec)
    return out


def header(msg, name):
    for k, v in msg.headers() or []:
        if k == name:
            return v.decode()
    return None
