"""The LSO check of riskhub-join (docs/join.md, "The LSO check"): a transaction
nobody will close on one of the join's output partitions is found, logged with
the kafka-transactions commands an operator runs, and the join exits 70, never 0.

The hanging transaction is made by a raw transactional producer (confluent-kafka)
in a child process: it writes to output partitions of the test's namespace, flushes
and is killed with SIGKILL before it commits (transaction.timeout.ms 10 min: the
coordinator would abort it only then; the topics go with the namespace).

The join runs with a transaction timeout of 6 s (kafka.transaction.timeout.ms of a
copy of the config), so it calls a transaction hanging after 21 s (the timeout + 15 s),
not the 75 s of riskhub's default 60 s (docs/join.md): the same code, less than a third
of the wait, which each case sits through once (30 s each with the 15 s used before
2026-12-06; the join's own transactions here last well under a second).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import re
from collections import Counter

import pytest

import rhtest
from rhtest import IDLE_MS, PERIOD

MONTH = dict(households=300, rows_per_feed=10, seed=20267)
TXN_TIMEOUT_MS = 6000
WINDOW_S = TXN_TIMEOUT_MS // 1000 + 15  # the LSO check's window (docs/join.md)


@pytest.fixture
def cfg_short(tmp_path):
    """config/riskhub.yaml with a short transaction timeout (TXN_TIMEOUT_MS)."""
    return rhtest.config_with(tmp_path, transaction_timeout_ms=TXN_TIMEOUT_MS)


def open_and_kill(ns, partitions):
    """A transaction on each (topic, partition), left open by a killed producer;
    {(topic, partition): offset of its record (the high watermark before)}."""
    c = rhtest.consumer(**{"isolation.level": "read_uncommitted"})
    try:
        before = {tp: rhtest.high_watermark(c, *tp) for tp in partitions}
    finally:
        c.close()
    rhtest.OpenTransaction(ns.prefix + "hang", partitions).kill()  # no abort, no commit
    return before


def stuck_lso(topic, partition):
    """The last stable offset (read_committed high watermark)."""
    c = rhtest.consumer()
    try:
        return rhtest.high_watermark(c, topic, partition)
    finally:
        c.close()


def test_hanging_transaction_at_start(ns, month, cfg_short, tmp_path):
    dlq = ns.topic("riskhub.dlq")
    rhtest.create_topics([dlq])
    before = open_and_kill(ns, [(dlq, 1)])
    c = rhtest.consumer(**{"isolation.level": "read_uncommitted"})
    hw = rhtest.high_watermark(c, dlq, 1)
    c.close()
    assert stuck_lso(dlq, 1) == before[(dlq, 1)] < hw, "the test's transaction is not open"

    j = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "logs", config=cfg_short)
    rc = j.wait(120)
    assert rc == 70, f"exit {rc}, expected 70 (a hanging transaction on {dlq} [1]):\n{j.tail()}"
    assert f"hanging transaction: {dlq} [1]: last stable offset {before[(dlq, 1)]}" in j.stderr, j.tail()
    # the window follows the configured transaction timeout: it + 15 s
    assert re.search(rf"the end of what this join wrote there, for {WINDOW_S} s", j.stderr), j.tail()
    assert re.search(r"find-hanging --broker-id \d+ --max-transaction-timeout 0", j.stderr), j.tail()
    assert f"abort --topic {dlq} --partition 1 --start-offset {before[(dlq, 1)]}" in j.stderr, j.tail()
    assert "the input is through" not in j.stderr
    j.check_output()


def test_hanging_transaction_below_what_the_join_committed(ns, month, cfg_short, tmp_path):
    """The join is running (its start-up check passed); then a transaction hangs on
    every output partition, and the join commits alerts after it: the LSO stays
    below the end of what the join committed."""
    j = ns.join("--idle-exit-ms", 60000, log_dir=tmp_path / "logs", config=cfg_short)
    try:
        rhtest.wait_for(lambda: "the LSO check at start: no open transaction" in j.stderr, 90,
                        "the start-up LSO check", join=j, interval=0.1)
        outputs = [t for t in ns.topics("alerts.") + ns.topics("checks.") + ns.topics("riskhub.dlq")]
        assert outputs, "the join made no output topics"
        open_and_kill(ns, [(t, p) for t in outputs for p in range(3)])
        files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
        ns.produce("health", "major-disease", files[("health", "major-disease")])
        rc = j.wait(120)
    finally:
        j.kill()
    assert rc == 70, f"exit {rc}, expected 70 (hanging transactions on the outputs):\n{j.tail()}"
    m = re.search(r"hanging transaction: (\S+) \[(\d)\]: last stable offset (\d+) stays below (\d+)",
                  j.stderr)
    assert m, f"no hanging partition logged:\n{j.tail()}"
    topic, part, lso, end = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
    assert int(end) > int(lso) + 1, f"{topic} [{part}]: the join wrote nothing after the hang"
    assert stuck_lso(topic, part) == lso
    assert f"abort --topic {topic} --partition {part} --start-offset {lso}" in j.stderr, j.tail()
    assert j.summary()["transactions"] >= 1
    j.check_output()


def test_hanging_transaction_aborted_with_kafka_tools(ns, month, cfg_short, tmp_path):
    """The operator's way out (docs/operations.md, "A hanging transaction"): the
    commands the join printed, run with Kafka's kafka-transactions tool, close the
    transaction; the join run again goes through the month and exits 0, every alert
    visible read_committed, none twice."""
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    ns.produce("health", "major-disease", files[("health", "major-disease")])
    dlq = ns.topic("riskhub.dlq")
    rhtest.create_topics([dlq])
    before = open_and_kill(ns, [(dlq, 1)])

    j = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "first", config=cfg_short)
    rc = j.wait(120)
    assert rc == 70, f"exit {rc}, expected 70 (a hanging transaction on {dlq} [1]):\n{j.tail()}"
    aborts = re.findall(r"abort --topic (\S+) --partition (\d+) --start-offset (\d+)", j.stderr)
    assert aborts == [(dlq, "1", str(before[(dlq, 1)]))], f"abort commands: {aborts}\n{j.tail()}"
    for topic, part, offset in aborts:
        rhtest.kafka_transactions("abort", "--topic", topic, "--partition", part,
                                  "--start-offset", offset)
    rhtest.wait_for(lambda: stuck_lso(dlq, 1) > before[(dlq, 1)], 30,
                    "the LSO to pass the aborted transaction")

    j = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "second", config=cfg_short)
    rc = j.wait(180)
    assert rc == 0, f"exit {rc} after the abort, expected 0:\n{j.tail()}"
    s = j.summary()
    assert s["records"] > 0 and s["alerts"] + s["unmatched"] > 0, f"the join did nothing: {s}"
    seen = Counter()
    rhtest.read_topics(ns.topics("alerts."), timeout=30,
                       keep=lambda m: seen.update([rhtest.decode(m.value())[1]["alert_id"]]))
    assert sum(seen.values()) == s["alerts"] + s["unmatched"], \
        f"{sum(seen.values())} alerts visible, the join committed {s['alerts']} + {s['unmatched']}"
    assert max(seen.values()) == 1, "an alert is visible twice"
    j.check_output()
