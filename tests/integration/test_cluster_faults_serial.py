"""A month through produce -> join on a three-broker cluster while brokers fail.

The cluster (fixture cluster, conftest.py): scripts/kafka.sh cluster in a state
folder of its own, three combined broker+controller nodes, every topic with
replication 3 and min.insync.replicas 2 (riskhub's topics.replication_factor /
min_insync_replicas through RH_TOPIC_REPLICATION_FACTOR / RH_TOPIC_MIN_INSYNC_REPLICAS).
Kafka's default broker session of 9 s: a node that stops answering is fenced and the
other two take over its partitions and coordinators (docs/operations.md).

The month: every department's list and a big list of health/major-disease, published
by riskhub-produce, joined by one riskhub-join (rhtest.run_month: the join ends with
SIGTERM once its group has consumed everything; exit 0 means nothing left and
everything it wrote visible, LSO = HW, docs/join.md). A fault-free run of the same
month on the cluster is the reference: each faulty run has the same alert ids and check
result ids, read read_committed, each once (0 missing, 0 doubled), the alerts and
warnings rows are those computed in Python from the files, and the join exits 0.

  - one broker SIGKILLed mid-join and restarted;
  - the broker leading most of the join's input and output partitions killed mid-join
    (restarted after the run), and the transaction coordinator of the join's
    transactional id killed mid-join;
  - three join instances (one group) started and SIGKILLed at random through a month,
    some back at once, some after the group's session (test_join_instances_serial.py's
    case, here on the cluster: alerts and check results as computed from the files,
    each once, and a last instance finds nothing to do);
  - the join's transaction coordinator frozen (SIGSTOP) 15 s (RH_FREEZE_S; past the
    cluster brokers' session, so it is fenced), three times, one freeze
    for each third of the big list, published while the join runs; RH_FREEZE_RUNS
    (default 1) repeats the whole run. A producer that librdkafka leaves in a fatal
    state after a freeze (INVALID_TXN_STATE, not fenced) is replaced by a new one
    with the same transactional id (docs/join.md, "A new producer").

Stops and kills the cluster's nodes only (never the single broker of the other tests);
CTest runs the file alone (RUN_SERIAL), in the release pass. RH_CLUSTER_ROWS: the big
list's rows (default 40000, ~20 transactions of --batch-max 2000: every fault meets open
ones). The file's time hardly follows the rows: 922 s with 20000 in a fresh-clone run of
2026-12-05, 914-953 s with 40000 before; each month takes ~150 s with faults, in the
produces and the restarts. Durations are printed (pytest -s).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (no full ID
numbers)."""
import os
import random
import time

import pytest

import rhtest
from rhtest import assert_alerts, assert_warnings
from test_join_instances_serial import three_instances_killed_at_random

ROWS = int(os.environ.get("RH_CLUSTER_ROWS", "40000"))
FREEZE_S = float(os.environ.get("RH_FREEZE_S", "15"))
FREEZE_RUNS = int(os.environ.get("RH_FREEZE_RUNS", "1"))
MONTH = dict(households=3000, rows_per_feed=40, seed=20310, big_feed_rows=ROWS)
PARTS = 3
JOIN_ARGS = ("--batch-max", "2000")  # a few dozen transactions: a fault meets some open



if not rhtest.join_binary().exists():
    pytest.skip(f"{rhtest.join_binary()} not built", allow_module_level=True)


@pytest.fixture(scope="module")
def steps(month):
    return rhtest.month_steps(month, PARTS)


@pytest.fixture(scope="module")
def baseline(cluster, cfg, rules, reg, month, steps, tmp_path_factory):
    """The fault-free run of the month on the cluster (its own namespace)."""
    with rhtest.Namespace(month / "registry", parties=False) as ns:
        out, exp, _ = rhtest.run_month(ns, cfg, rules, reg, steps,
                                       tmp_path_factory.mktemp("baseline"), join_args=JOIN_ARGS)
        assert out.rc == 0, f"fault-free run: riskhub-join exit {out.rc}:\n{out.join.tail()}"
        assert_alerts(ns, exp)
        assert_warnings(ns, exp)
        assert out.checks and all(n == 1 for n in out.checks.values()), "fault-free run: check results"
    print(f"\nfault-free run: {sum(out.alerts.values())} alerts, {len(out.checks)} check results, "
          f"{out.seconds:.1f} s")
    return out


@pytest.fixture
def cns(cluster, namespace, month):
    # the operator's principal, not the parties: a broker killed and started again
    # refuses SCRAM credentials made at runtime (a test namespace's parties) until
    # they are written again; those of the configuration are written at format time
    # and by kafka.sh start (docs/security.md, "Not yet")
    return namespace(month / "registry", parties=False)


def judge(ns, out, exp, base, what):
    diff = out.compare(base)
    assert out.rc == 0, (f"{what}: riskhub-join exit {out.rc} "
                         f"({diff or 'alerts and check results as in the fault-free run'}):\n"
                         f"{out.join.tail()}")
    out.join.check_output()
    assert not diff, f"{what}: {diff}"
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    print(f"\n{what}: {sum(out.alerts.values())} alerts, {len(out.checks)} check results as in the "
          f"fault-free run; {out.seconds:.1f} s (fault-free {base.seconds:.1f} s)")


def all_at_once(steps):
    return [[f for step in steps for f in step]]


def join_topics(ns):
    return ns.topics("feed.") + ns.topics("alerts.") + ns.topics("checks.")


def test_broker_killed_and_restarted(cluster, cns, cfg, rules, reg, steps, baseline, tmp_path):
    node = random.choice(cluster.NODES)
    done = {}

    def fault(step, j):
        t0 = time.monotonic()
        cluster.kill(node)
        time.sleep(3)
        cluster.start_node(node)
        done["down_s"] = time.monotonic() - t0
        done["join_running"] = j.running()

    out, exp, _ = rhtest.run_month(cns, cfg, rules, reg, all_at_once(steps), tmp_path / "logs",
                                   fault=fault, join_args=JOIN_ARGS)
    assert done, "the broker was never killed"
    judge(cns, out, exp, baseline, f"node {node} killed and restarted ({done['down_s']:.1f} s down)")


# 'leader': librdkafka 2.0.2's rd_kafka_query_watermark_offsets waited without end for a
# killed leader, and the join's offset queries (changelog waits, LSO check) stalled it for
# good; rh_kafka_watermarks is bounded now (docs/join.md, "A leader killed").
# 'coordinator': the join's transaction coordinator killed (about 85 s). Passed 3 of 3 on
# 2026-12-04 (before, riskhub-produce's first publish on the cluster exited 69 in 2 of 6
# runs: "feed.manifests: Unknown topic or partition" from a broker behind on metadata,
# which rh_kafka_read now waits out).
@pytest.mark.parametrize("whom", ["leader", "coordinator"])
def test_leader_killed(cluster, cns, cfg, rules, reg, steps, baseline, tmp_path, whom):
    killed = []

    def fault(step, j):
        if whom == "leader":
            lead = cluster.leaders(join_topics(cns))
            node = lead.most_common(1)[0][0]
            print(f"\nleaderships of the join's topics: {dict(lead)}")
        else:
            node = rhtest.wait_for(lambda: cluster.coordinator(cns.prefix + "riskhub-join.0"), 30,
                                   "the join's transaction coordinator")
        cluster.kill(node)
        killed.append(node)

    try:
        out, exp, _ = rhtest.run_month(cns, cfg, rules, reg, all_at_once(steps), tmp_path / "logs",
                                       fault=fault, join_args=JOIN_ARGS)
    finally:
        for n in killed:
            cluster.start_node(n)
    assert killed, "no broker was killed"
    judge(cns, out, exp, baseline, f"the {whom} (node {killed[0]}) killed")


@pytest.mark.parametrize("run", range(1, FREEZE_RUNS + 1))
def test_coordinator_frozen_three_times(cluster, cns, cfg, rules, reg, steps, baseline, tmp_path, run):
    frozen = []

    def fault(step, j):
        node = cluster.coordinator(cns.prefix + "riskhub-join.0") or random.choice(cluster.NODES)
        cluster.freeze(node)
        frozen.append(node)
        try:
            time.sleep(FREEZE_S)
        finally:
            cluster.thaw_all()

    try:
        out, exp, _ = rhtest.run_month(cns, cfg, rules, reg, steps, tmp_path / "logs", fault=fault,
                                       join_args=JOIN_ARGS, produce_args=("--timeout-ms", "180000"))
    finally:
        cluster.thaw_all()
    assert len(frozen) == PARTS, f"froze {len(frozen)} times"
    judge(cns, out, exp, baseline,
          f"run {run}: nodes {frozen} frozen {FREEZE_S:.0f} s each while the join ran")


def test_three_instances_killed_at_random(cluster, cns, cfg, rules, reg, month, tmp_path):
    # as test_join_instances_serial.py's config: a dead member noticed in 10 s, a killed
    # instance's transaction aborted by the coordinator after 15 s
    config = rhtest.config_with(tmp_path, session_timeout_ms=10000, heartbeat_interval_ms=1000,
                                transaction_timeout_ms=15000)
    three_instances_killed_at_random(cns, cfg, rules, reg, month, config, tmp_path)
