"""riskhub-join's exits other than idle (docs/join.md, "Exits"): a SIGTERM while
records remain says how many, per input topic, and exits 69, not 0; a SIGTERM with
nothing left exits 0 and says so.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import re
import time

import pytest

import rhtest
from rhtest import IDLE_MS, PERIOD

MONTH = dict(households=2000, rows_per_feed=10, seed=20268, big_feed_rows=60000)


@pytest.fixture
def ns(namespace, month):
    return namespace(month / "registry")


def test_sigterm_with_records_left_exits_69(ns, month, tmp_path):
    big = month / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    topic = ns.topic("feed.health.major-disease")
    ns.produce("health", "major-disease", big)
    # small transactions: the join takes several seconds over the list
    j = ns.join("--batch-max", 50, log_dir=tmp_path / "logs")
    try:
        rhtest.wait_for(lambda: "consuming" in j.stderr, 90, "the join's start", join=j,
                        interval=0.1)
        time.sleep(1.5)
        rc = j.terminate(60)
    finally:
        j.kill()
    s = j.summary()
    assert s["records"] < 60000, f"the join had finished before SIGTERM ({s['records']} records)"
    assert rc == 69, f"SIGTERM with {60000 - s['records']} records left: exit {rc}\n{j.tail()}"
    m = re.search(rf"records remaining: {re.escape(topic)} (\d+)", j.stderr)
    assert m, f"no count of what remains:\n{j.tail()}"
    # offsets: the list's records not committed, plus a transaction marker a partition
    left, said = 60000 - s["records"], int(m.group(1))
    assert left <= said <= left + 3, f"remaining {said}, committed {s['records']} of 60000"
    j.check_output()

    again = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "logs")
    rc = again.wait(240)
    assert rc == 0, f"restart: exit {rc}:\n{again.tail()}"
    assert "records remaining: none" in again.stderr
    assert again.summary()["records"] == 60000 - s["records"]


def test_sigterm_with_nothing_left_exits_0(ns, month, tmp_path):
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    ns.produce("health", "major-disease", files[("health", "major-disease")])
    j = ns.join(log_dir=tmp_path / "logs")
    try:
        rhtest.wait_for(lambda: len(rhtest.read_topics(ns.topics("alerts."), timeout=30,
                                                       keep=lambda m: True)) > 0,
                        90, "the alerts", join=j, interval=0.2)
        time.sleep(1)  # the partition EOF events after the last records
        rc = j.terminate(60)
    finally:
        j.kill()
    assert rc == 0, f"SIGTERM with nothing left: exit {rc}\n{j.tail()}"
    assert "records remaining: none" in j.stderr and "stopped with nothing left" in j.stderr, j.tail()
