"""The namespace check works: the snapshot and comparison that CTest's namespace_snapshot
and namespace_check run around every test run (tests/rhtest/snapshot.py) report each
kind of change, from a single record on one topic to a changed row.

The real default namespace is never written: the proof takes its snapshots of a
throwaway namespace of its own, treated as the default one (its topic prefix and its
scratch database; the same code, with the names shown without the prefix)."""
import subprocess
import sys

import pytest
from confluent_kafka import Consumer, TopicPartition

import rhtest
from rhtest import snapshot


def take(ns):
    return snapshot.take(ns.prefix, ns.dbname)


def commit(ns, group, topic, offset):
    """Commits `offset` of partition 0 of a topic for a consumer group of the namespace."""
    c = Consumer({**rhtest.client_conf(), "group.id": ns.prefix + group,
                  "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(ns.topic(topic), 0, offset)], asynchronous=False)
    finally:
        c.close()


def record(ns, topic="feed.health.manifests"):
    rhtest.produce_raw(ns.topic(topic), [(b"k", b"one record")])


def test_unchanged_namespace_compares_equal(ns):
    record(ns)
    commit(ns, "riskhub-join", "feed.health.manifests", 1)
    before = take(ns)
    assert before["topics"]["feed.health.manifests"]["high"][0] == 1
    assert before["groups"]["riskhub-join"] == {"feed.health.manifests[0]": 1}
    assert "public.warnings" in before["database"]["tables"]
    assert snapshot.compare(before, take(ns)) == []


def test_one_record_is_reported(ns):
    before = take(ns)
    record(ns)
    assert snapshot.compare(before, take(ns)) == [
        "topic feed.health.manifests: partition 0: high watermark 0 -> 1 (+1)"]


def test_every_kind_of_change_is_reported(ns):
    commit(ns, "riskhub-join", "feed.health.manifests", 0)
    before = take(ns)
    record(ns, "feed.health.rejects")
    rhtest.create_topics([ns.topic("brand-new")], partitions=2)
    commit(ns, "riskhub-join", "feed.health.manifests", 1)       # a group's offset moved
    commit(ns, "riskhub-status", "feed.health.manifests", 1)     # a group that was not there
    rhtest.psql(ns.conninfo, "UPDATE schema_migrations SET name = name || 'x' "
                             "WHERE version = (SELECT min(version) FROM schema_migrations)")
    rhtest.psql(ns.conninfo, "ALTER TABLE households ADD COLUMN note text")
    rhtest.psql(ns.conninfo, "CREATE TABLE scratch (id int PRIMARY KEY)")
    diff = snapshot.compare(before, take(ns))
    text = "\n".join(diff)
    want = [
        "topic feed.health.rejects: partition 0: high watermark 0 -> 1 (+1)",
        "topic brand-new: appeared (2 partitions, 0 records)",
        "consumer group riskhub-join: feed.health.manifests[0]: committed offset 0 -> 1",
        "consumer group riskhub-status: appeared (1 committed offsets)",
        "table public.schema_migrations: ",                        # same count, other checksum
        "relation public.households: r: ",                         # a column added
        "relation public.scratch: appeared",
        "table public.scratch: appeared (0 rows, checksum 0)",
        "index public.scratch_pkey: appeared",
    ]
    for w in want:
        assert w in text, f"the check does not report {w!r}; it says:\n{text}"
    mig = [d for d in diff if "table public.schema_migrations" in d][0]
    rows_before, rows_after = (part.split(" rows")[0].rsplit(" ", 1)[-1] for part in mig.split(" -> "))
    assert rows_before == rows_after, f"an UPDATE changes no row count: {mig}"
    assert not any("feed.health.manifests: partition" in d for d in diff), "an untouched topic reported"


def test_the_ctest_commands_fail_with_a_list(ns, tmp_path):
    """The very commands of namespace_snapshot / namespace_check (python3 -m rhtest.snapshot),
    pointed at the throwaway namespace: exit 0 when nothing changed, 1 and a list after one
    record."""
    snap = tmp_path / "snapshot.json"
    args = ["--prefix", ns.prefix, "--dbname", ns.dbname]

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "rhtest.snapshot", *a, *args], capture_output=True,
                              text=True, timeout=300, cwd=rhtest.SRC / "tests")
    r = cli("record", snap)
    assert r.returncode == 0 and snap.exists(), r.stdout + r.stderr
    r = cli("check", snap)
    assert r.returncode == 0 and "namespace check passed" in r.stdout, r.stdout + r.stderr
    record(ns)
    r = cli("check", snap)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "namespace check FAILED" in r.stderr
    assert "topic feed.health.manifests: partition 0: high watermark 0 -> 1 (+1)" in r.stderr


def test_the_default_snapshot_leaves_out_test_namespaces(ns):
    """What the real check records: no topic or group of a test prefix (this test's
    namespace exists while it runs), no Kafka internal topic."""
    record(ns)
    commit(ns, "riskhub-join", "feed.health.manifests", 1)
    topics, groups = snapshot.kafka_state("")
    assert not [t for t in topics if t.startswith(("rhtest-", "__"))], sorted(topics)[:10]
    assert not [g for g in groups if g.startswith("rhtest-")], sorted(groups)[:10]
    assert ns.prefix + "riskhub-join" in rhtest.list_groups(ns.prefix)


@pytest.mark.parametrize("prefix", ["", "staging.", "t1a2b3c4d.", "rhtest-x."])
def test_namespaces_refuse_non_test_prefixes(prefix):
    with pytest.raises(AssertionError, match="not a test prefix"):
        rhtest.Namespace(database=False, prefix=prefix)
