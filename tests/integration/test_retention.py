"""A month that outlives the broker's retention (issue #14; docs/operations.md,
"Retention"): in a namespace whose output topics keep their records seconds
(topics.retention 3s, segment 1s, as riskhub-join creates them; the test brokers
look for expired segments every 5 s), the broker deletes a month's alerts and check
results; the departments then publish the month's lists again (--republish): the
join raises no alert and no check result twice, because the ids it published live
in its compacted changelog (riskhub-join.published), which retention does not touch,
not in the alert topics.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import time

from confluent_kafka import TopicPartition

import rhtest
from rhtest import IDLE_MS, PERIOD

MONTH = dict(households=300, rows_per_feed=10, seed=20314)
SECONDS = ("\ntopics:\n  retention:\n    alerts: 3s\n    checks: 3s\n    dlq: 3s\n  segment: 1s\n")


def join(ns, config, tmp_path):
    j = ns.join("--idle-exit-ms", IDLE_MS, config=config, log_dir=tmp_path / "logs")
    rc = j.wait(180)
    assert rc == 0, f"riskhub-join exit {rc}:\n{j.tail()}"
    j.check_output()
    return j.summary()


def watermarks(topics):
    """{(topic, partition): (low, high)} of every partition of the topics."""
    c = rhtest.consumer()
    try:
        md = c.list_topics(timeout=15)
        return {(t, p): c.get_watermark_offsets(TopicPartition(t, p), timeout=15)
                for t in topics for p in md.topics[t].partitions}
    finally:
        c.close()


def test_republished_month_after_the_broker_deleted_its_alerts(namespace, month, tmp_path):
    ns = namespace(month / "registry")
    config = tmp_path / "seconds.yaml"
    config.write_text(rhtest.CONFIG.read_text() + SECONDS)
    files = rhtest.feed_files(month / PERIOD)
    for dept, feed, path in files:
        ns.produce(dept, feed, path, config=config)
    first = join(ns, config, tmp_path)
    assert first["alerts"] > 0 and first["checks"] > 0, first

    outputs = ns.topics("alerts.") + ns.topics("checks.")
    marks = watermarks(outputs)
    assert sum(h for _, h in marks.values()) > 0, marks
    deadline = time.monotonic() + 90
    while any(low < high for low, high in marks.values()):
        assert time.monotonic() < deadline, \
            f"the broker did not delete the outputs in 90 s: {[k for k, (l, h) in marks.items() if l < h]}"
        time.sleep(1)
        marks = watermarks(outputs)
    assert not rhtest.read_topics(outputs), "records left on the output topics after their retention"

    for dept, feed, path in files:  # the month's lists again
        r = ns.produce(dept, feed, path, "--republish", config=config)
        assert r.returncode == 0, r.stderr
    again = join(ns, config, tmp_path)
    assert again["records"] > 0, again
    assert again["alerts"] == again["unmatched"] == again["checks"] == 0, \
        f"published twice after the broker deleted the month's alerts: {again}"
    assert again["duplicates"] >= first["alerts"] + first["unmatched"], (first, again)
    assert not rhtest.read_topics(outputs), "alerts or check results published again"
