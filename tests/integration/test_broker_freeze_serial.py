"""A paused broker must not fence itself when it resumes.

The test broker (scripts/kafka.sh) is a single KRaft node, broker and controller in
one process. With Kafka's default broker.session.timeout.ms (9 s), a pause longer
than that (SIGSTOP, a frozen VM) makes the controller fence its own broker at the
resume: every partition loses its leader and gets it back, and the transaction and
group coordinators resign and reload. That reload is the race of KAFKA-18137 (not
fixed in 3.9.2) that can leave a hanging transaction (docs/operations.md).
scripts/kafka.sh sets broker.session.timeout.ms=60000, so a 15 s pause must leave no
"Fencing broker", "handleBrokerFenced" or coordinator "Resigned" line in the broker's
log, and the broker must serve transactions right after.

SIGSTOPs the shared broker (the one of RH_STATE_DIR, checked to be the one of
RH_KAFKA_BOOTSTRAP), so CTest runs this file alone (RUN_SERIAL); the SIGCONT is sent
whatever happens. Works in a namespace of its own (database=False).
"""
import os
import re
import signal
import time
from collections import Counter

import pytest

import rhtest

PAUSE_S = float(os.environ.get("RH_FREEZE_PAUSE_S", "15"))
KAFKA_DIR = rhtest.STATE_DIR / "kafka"
SERVER_PROPS = KAFKA_DIR / "config" / "server.properties"
SERVER_LOG = KAFKA_DIR / "logs" / "server.log"
SELF_FENCE = re.compile(r"Fencing broker|handleBrokerFenced|"
                        r"Resigned as the (txn|group) coordinator")


def log_mark():
    st = SERVER_LOG.stat()
    return st.st_ino, st.st_size


def log_since(mark):
    """What the broker logged since mark (a log4j roll-over renames server.log to
    server.log.1: then the rest of that file and the whole new one)."""
    ino, size = mark
    st = SERVER_LOG.stat()
    if st.st_ino == ino and st.st_size >= size:
        with open(SERVER_LOG, "rb") as f:
            f.seek(size)
            return f.read().decode(errors="replace")
    text = ""
    rolled = SERVER_LOG.with_name("server.log.1")
    if rolled.exists() and rolled.stat().st_ino == ino:
        with open(rolled, "rb") as f:
            f.seek(size)
            text = f.read().decode(errors="replace")
    return text + SERVER_LOG.read_text(errors="replace")


def committed_values(topic):
    return Counter(m.value().decode() for m in rhtest.read_topic(topic, timeout=60))


def test_pause_does_not_fence_the_broker(namespace):
    ns = namespace(database=False)
    topic = ns.topic("freeze.probe")
    rhtest.create_topics([topic])
    # A transaction before: the transaction coordinator of its partition is loaded,
    # so a self-fence would show as "Resigned as the txn coordinator" too.
    rhtest.produce_in_txn([(topic, p, b"k", b"before") for p in range(3)])
    pid = rhtest.broker_pid()

    mark = log_mark()
    os.kill(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    try:
        time.sleep(PAUSE_S)
    finally:
        os.kill(pid, signal.SIGCONT)
    paused = time.monotonic() - t0

    # The broker answers a metadata request and serves a transaction at once.
    rhtest.wait_for(lambda: rhtest.list_topics(ns.prefix), 60, "the broker to answer after SIGCONT")
    rhtest.produce_in_txn([(topic, p, b"k", b"after") for p in range(3)])
    assert committed_values(topic) == Counter(before=3, after=3)
    # Kafka's own check (docs/operations.md): nothing of ours is left hanging.
    hanging = rhtest.kafka_transactions("find-hanging", "--broker-id", "1", "--max-transaction-timeout", "0")
    assert hanging.startswith("Topic"), hanging
    assert ns.prefix not in hanging, f"hanging transactions after the pause:\n{hanging}"
    time.sleep(2)  # what the controller logs at the resume comes within a heartbeat or two

    fenced = [line for line in log_since(mark).splitlines() if SELF_FENCE.search(line)]
    assert not fenced, (f"after a {paused:.0f} s pause the broker fenced itself "
                        f"(is broker.session.timeout.ms=60000 in {SERVER_PROPS}?):\n"
                        + "\n".join(fenced[:10]))
