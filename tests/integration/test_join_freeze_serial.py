"""The broker freezes (SIGSTOP) while riskhub-join --idle-exit-ms runs.

A broker that does not answer is not "nothing left": the join must not exit 0
('the month is through') during the freeze (docs/join.md, "Exits").

- mid-month, records left: after SIGCONT it finishes the list with every record
  processed exactly once (the join is then mostly waiting in a commit);
- while the join is quiet (its idle clock running, the case where the join
  before this change exited 0 after --idle-exit-ms of silence): it stays up
  through the freeze and exits 0 only --idle-exit-ms after the broker answers
  again.

The freeze lasts 8 s: more than twice --idle-exit-ms (3 s; the join before this
change exited 0 after 3 s of silence), and less than the broker's
broker.session.timeout.ms (9 s by default), past which a single node fences
itself at SIGCONT (../shared/docs/broker-freeze.md, which is not what this test
is about).

Stops this worktree's broker (the pid in $RH_STATE_DIR/kafka/kafka.pid, checked
to be kafka.Kafka with our state folder), always SIGCONT in a finally; CTest
runs this file alone (RUN_SERIAL), in the release pass only.

- a month through produce -> join with the broker frozen 15 s three times (RH_FREEZE_S;
  longer than every client timeout of 10 s, as the incident's 30 s was), one
  freeze for each third of a big list published while the join runs (issue 10's
  case): the alert and check result ids of a fault-free run of the same month, each
  once, the alerts and warnings rows computed from the files, the join's exit 0
  (rhtest.run_month). It stays under the single broker's 60 s session: no fence.
  In some runs librdkafka's abort after the freeze fails fatally (INVALID_TXN_STATE):
  the join then replaces its producer (docs/join.md, "A new producer") and still
  exits 0 with nothing missing or doubled.
  RH_FREEZE_RUNS (default 1) repeats it; test_cluster_faults_serial.py does the same
  on the three-broker cluster. It "stalled" in 1 of 20 runs on 2026-12-04 (the join
  alive and silent after the third thaw, the group 4 offsets behind for 300 s; the
  join logged no abort and no new producer). Cause not proven; that run predates
  rhtest.group_lag counting records rather than offsets: aborted records of a publish
  that failed in a freeze and was sent again, after a partition's last committed
  record, kept the group "behind" for good in the leader-killed case the same way.
  12 of 12 since; run_month prints the join's stacks if it comes back.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (no full ID
numbers)."""
import os
import re
import signal
import time

import pytest

import rhtest
from rhtest import IDLE_MS, PERIOD, assert_alerts, assert_warnings, expect, lineage

HOUSEHOLDS = 3000
ROWS = int(os.environ.get("RH_JOIN_BIG_ROWS", "60000"))
FREEZE_S = 8
LONG_FREEZE_S = float(os.environ.get("RH_FREEZE_S", "15"))
FREEZE_RUNS = int(os.environ.get("RH_FREEZE_RUNS", "1"))
MONTH = dict(households=3000, rows_per_feed=40, seed=20311,
             big_feed_rows=int(os.environ.get("RH_FREEZE_ROWS", "40000")))


@pytest.fixture
def ns(namespace, county):
    assert rhtest.join_binary().exists(), f"{rhtest.join_binary()} not built"
    return namespace(county[0])


def committed_township_alerts(ns):
    return len(rhtest.read_topics([t for t in ns.topics("alerts.")
                                   if not t.endswith("alerts.unmatched")], timeout=60,
                                   keep=lambda m: True))


def test_broker_frozen_mid_month(ns, cfg, rules, county, tmp_path):
    registry, big = county
    reg = rhtest.Registry(registry)
    ns.produce("health", "major-disease", big)
    exp = expect(rules, reg, lineage(ns, cfg, [("health", "major-disease", big)]))
    total = len(exp.township_alerts())
    pid = rhtest.broker_pid()

    # small transactions (120 and more), and the freeze right after the first alerts
    # are seen: the faster join was through the list before a second read of them
    j = ns.join("--idle-exit-ms", IDLE_MS, "--batch-max", 500, log_dir=tmp_path / "logs")
    frozen = False
    try:
        at_freeze = rhtest.wait_for(lambda: committed_township_alerts(ns), 90,
                                    "the first alerts", join=j, interval=0.1)
        os.kill(pid, signal.SIGSTOP)
        frozen = True
        assert at_freeze < total, (f"the join finished ({at_freeze} of {total} alerts) before "
                                   f"the broker froze: raise RH_JOIN_BIG_ROWS")
        t0 = time.time()
        while time.time() - t0 < FREEZE_S:
            assert j.running(), (f"riskhub-join exited ({j.proc.returncode}) while the broker "
                                 f"was frozen, {at_freeze} of {total} alerts committed:\n{j.tail()}")
            time.sleep(0.2)
        os.kill(pid, signal.SIGCONT)
        frozen = False
        rc = j.wait(300)
    finally:
        if frozen:
            os.kill(pid, signal.SIGCONT)
        j.kill()
    assert rc == 0, f"riskhub-join exit {rc} after the freeze:\n{j.tail()}"
    j.check_output()
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    assert "the input is through" in j.stderr, f"no idle exit logged:\n{j.tail()}"
    assert j.summary()["records"] == ROWS, f"records {j.summary()['records']} of {ROWS}"
    print(f"alerts committed when the broker froze: {at_freeze} of {total}")


def test_broker_frozen_while_quiet(ns, tmp_path):
    idle_ms = 6000  # < FREEZE_S: the join before this change exited 0 during the freeze
    pid = rhtest.broker_pid()
    j = ns.join("--idle-exit-ms", idle_ms, log_dir=tmp_path / "logs")
    frozen = False
    try:
        rhtest.wait_for(lambda: re.search(r"assigned [1-9]\d* partitions", j.stderr), 90,
                        "the assignment", join=j, interval=0.1)
        # half the idle time: the consumer has reached the end of every partition (its
        # EOF events came) and the idle clock runs; a freeze right at the assignment
        # would find partitions without EOF yet: "behind", the broker never asked
        time.sleep(idle_ms / 2000)
        assert j.running(), f"riskhub-join exited before the freeze:\n{j.tail()}"
        os.kill(pid, signal.SIGSTOP)
        frozen = True
        t0 = time.time()
        while time.time() - t0 < FREEZE_S:
            assert j.running(), (f"riskhub-join exited ({j.proc.returncode}) while the broker "
                                 f"was frozen:\n{j.tail()}")
            time.sleep(0.2)
        os.kill(pid, signal.SIGCONT)
        frozen = False
        resumed = time.time()
        rc = j.wait(120)
        after = time.time() - resumed
    finally:
        if frozen:
            os.kill(pid, signal.SIGCONT)
        j.kill()
    assert rc == 0, f"riskhub-join exit {rc} after the freeze:\n{j.tail()}"
    j.check_output()
    assert "the idle clock is paused" in j.stderr, \
        f"the join did not notice the broker was away:\n{j.tail()}"
    assert after >= idle_ms / 1000 - 0.5, \
        f"exit {after:.1f} s after SIGCONT: the frozen time counted as idle"
    assert "the input is through" in j.stderr, f"no idle exit logged:\n{j.tail()}"


@pytest.fixture(scope="module")
def baseline(cfg, rules, reg, month, tmp_path_factory):
    """The fault-free run of the month (its own namespace)."""
    steps = rhtest.month_steps(month, 3)
    with rhtest.Namespace(month / "registry") as n:
        out, exp, _ = rhtest.run_month(n, cfg, rules, reg, steps, tmp_path_factory.mktemp("baseline"),
                                       join_args=("--batch-max", "2000"))
        assert out.rc == 0, f"fault-free run: riskhub-join exit {out.rc}:\n{out.join.tail()}"
        assert_alerts(n, exp)
        assert_warnings(n, exp)
    print(f"\nfault-free run: {sum(out.alerts.values())} alerts, {len(out.checks)} check results, "
          f"{out.seconds:.1f} s")
    return out


@pytest.mark.parametrize("run", range(1, FREEZE_RUNS + 1))
def test_broker_frozen_30s_three_times(namespace, cfg, rules, reg, month, baseline, tmp_path, run):
    ns = namespace(month / "registry")
    steps = rhtest.month_steps(month, 3)
    pid = rhtest.broker_pid()
    frozen = []

    def fault(step, j):
        os.kill(pid, signal.SIGSTOP)
        frozen.append(step)
        try:
            time.sleep(LONG_FREEZE_S)
        finally:
            os.kill(pid, signal.SIGCONT)

    try:
        out, exp, _ = rhtest.run_month(ns, cfg, rules, reg, steps, tmp_path / "logs", fault=fault,
                                       join_args=("--batch-max", "2000"),
                                       produce_args=("--timeout-ms", "180000"))
    finally:
        os.kill(pid, signal.SIGCONT)
    assert len(frozen) == 3, f"froze {len(frozen)} times"
    diff = out.compare(baseline)
    assert out.rc == 0, (f"run {run}: riskhub-join exit {out.rc} "
                         f"({diff or 'alerts and check results as in the fault-free run'}):\n"
                         f"{out.join.tail()}")
    out.join.check_output()
    assert not diff, f"run {run}: {diff}"
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    print(f"\nrun {run}: the broker frozen {LONG_FREEZE_S:.0f} s three times: "
          f"{sum(out.alerts.values())} alerts, {len(out.checks)} check results as in the fault-free "
          f"run; {out.seconds:.1f} s (fault-free {baseline.seconds:.1f} s)")
