"""A month through produce -> join while something breaks, compared with a fault-free run.

Used by the outage tests of the three-broker cluster (test_cluster_*_serial.py) and of
the single broker (test_join_freeze_serial.py):

  month_steps(folder, parts)   the generated month as publishing steps: step 0 every
                               department's list (disaster-affected's with every person
                               twice: merges) and the first part of the big list,
                               then one more part of the big list a step
  month_lists(folder)          the month's department lists as month_steps publishes them
  Outcome                      what a run left: alert and check ids (read_committed),
                               the join's exit, its duration; compare() with another
  run_month(...)               publishes the steps one after the other while one join
                               runs, calls fault(step, join) once the join is working
                               on each step, ends the join with SIGTERM once its group
                               has consumed everything
"""
import collections
import csv
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .config import feed_config, load_config
from .env import BOOTSTRAP, CONFIG, PERIOD, STATE_DIR
from .feeds import feed_files
from .join import check_lists, expect, lineage
from .kafka import consumer, end_offsets, read_topics
from .privacy import scrub

__all__ = ["month_steps", "month_lists", "twice_list", "TWICE", "Outcome", "run_month", "committed_township_alerts", "group_lag",
           "broker_pid"]


def broker_pid():
    """The pid of the broker that scripts/kafka.sh started in RH_STATE_DIR, checked as
    kafka.sh checks it (the process is kafka.Kafka with our server.properties), and that
    broker is the one the tests talk to (its listener is RH_KAFKA_BOOTSTRAP): the one a
    _serial test may SIGSTOP."""
    kafka_dir = STATE_DIR / "kafka"
    props_file = kafka_dir / "config" / "server.properties"
    pid_file = kafka_dir / "kafka.pid"
    assert pid_file.is_file(), f"no {pid_file}: start the services with scripts/services.sh"
    pid = int(pid_file.read_text().strip())
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        raise AssertionError(f"the broker of {pid_file} (pid {pid}) is not running")
    assert b"kafka.Kafka" in args and str(props_file).encode() in args, \
        f"pid {pid} of {pid_file} is not kafka.Kafka {props_file}"
    assert f"SASL_SSL://{BOOTSTRAP}" in props_file.read_text(), \
        f"the broker of {kafka_dir} does not listen on {BOOTSTRAP} (RH_KAFKA_BOOTSTRAP)"
    return pid


def month_steps(folder, parts=1):
    """[[(dept, feed, path)]] : the month of riskhub-gen's folder (with big_feed_rows) as
    publishing steps. The big list (bench.health.major-disease) is cut into `parts`
    files of whole rows (each a batch of its own)."""
    folder = Path(folder)
    big = folder / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    assert big.exists(), f"{big}: generate the month with big_feed_rows"
    with open(big, encoding="utf-8", newline="") as fp:
        rows = list(csv.reader(fp))
    head, body = rows[0], rows[1:]
    out = folder / "parts"
    out.mkdir(exist_ok=True)
    pieces = []
    for i in range(parts):
        p = out / f"big-{i + 1}-of-{parts}.csv"
        if not p.exists():
            with open(p, "w", encoding="utf-8", newline="") as fp:
                w = csv.writer(fp, lineterminator="\n")
                w.writerow(head)
                w.writerows(body[i::parts])
        pieces.append(("health", "major-disease", p))
    return [month_lists(folder) + pieces[:1]] + [[p] for p in pieces[1:]]


def month_lists(folder):
    """[(dept, feed, path)]: the month's department lists, disaster-affected's named
    twice (twice_list)."""
    folder = Path(folder)
    out = folder / "parts"
    out.mkdir(exist_ok=True)
    return [twice_list(folder, out) if (d, f) == TWICE else (d, f, p)
            for d, f, p in feed_files(folder / PERIOD)]


# One warning per person, feed and month under faults too (docs/join.md): the
# month's disaster-affected list (a medium rule, a high one for a large loss)
# with every row named a second time at its end, its loss swapped (large <->
# small): each matched person's second row is merged, or raises the high alert
# and merges the first. In one file, so the order of a person's rows (one
# partition) is the same in every run.
TWICE = ("emergency", "disaster-affected")


def twice_list(folder, out):
    dept, feed = TWICE
    src = folder / PERIOD / f"{dept}.{feed}.{PERIOD}.csv"
    dst = out / f"twice.{dept}.{feed}.csv"
    if not dst.exists():
        col = feed_config(load_config(), dept, feed)["columns"]["amount"]
        with open(src, encoding="utf-8-sig", newline="") as fp:
            rows = [r for r in csv.reader(fp) if r]
        head, body = rows[0], rows[1:]
        k = head.index(col)
        again = []
        for r in body:
            r = list(r)
            r[k] = "1" if r[k] and float(r[k]) >= 10000 else "999999"
            again.append(r)
        with open(dst, "w", encoding="utf-8", newline="") as fp:
            w = csv.writer(fp, lineterminator="\n")
            w.writerow(head)
            w.writerows(body + again)
    return dept, feed, dst


def committed_township_alerts(ns):
    return len(read_topics([t for t in ns.topics("alerts.") if not t.endswith("alerts.unmatched")],
                           timeout=60, keep=lambda m: True))


def group_lag(ns, topics, detail=None):
    """Records of the topics not yet consumed by the join's group (committed offsets),
    once every producer of them has finished; None if the broker does not answer.
    detail: a list, filled with a line a partition behind."""
    from confluent_kafka import TopicPartition  # noqa: PLC0415
    ends = {(t, p): o for t in topics for p, o in end_offsets(t).items()}
    # the group's offsets from a consumer of that group (it never subscribes, so
    # it never joins): AdminClient.list_consumer_group_offsets crashes the
    # process (SIGSEGV in librdkafka) when the coordinator moved, as in the
    # cluster's faults (common/rh_kafka.h, rh_kafka_admin_handle)
    c = consumer(**{"group.id": ns.prefix + "riskhub-join"})
    try:
        got = c.committed([TopicPartition(t, p) for t, p in ends], timeout=15)
    except Exception:  # noqa: BLE001 - away or a coordinator moving: ask again
        return None
    finally:
        c.close()
    if any(tp.error is not None for tp in got):
        return None
    done = {(tp.topic, tp.partition): max(tp.offset, 0) for tp in got}
    # riskhub-produce writes in transactions: a partition's last offset is a commit
    # marker, which a consumer never reads past
    lag = {tp: end - done.get(tp, 0) - 1 for tp, end in ends.items()}
    # offsets, not records: records of an aborted transaction (a publish that failed
    # and was sent again) after the last committed record stay above the group's
    # offset for good. Near the end, count what a read_committed reader still gets.
    if 0 < sum(max(0, n) for n in lag.values()) <= 500:
        for (t, p), n in lag.items():
            if n > 0:
                lag[(t, p)] = records_after(t, p, done.get((t, p), 0))
    if detail is not None:
        detail[:] = [f"{t.removeprefix(ns.prefix)} [{p}]: last stable offset {ends[(t, p)]}, "
                     f"the group's offset {done.get((t, p), 0)}"
                     for (t, p), n in sorted(lag.items()) if n > 0]
    return sum(max(0, n) for n in lag.values())


def records_after(topic, partition, offset, timeout=15):
    """How many records a read_committed reader gets from offset to the partition's end."""
    from confluent_kafka import KafkaError, TopicPartition  # noqa: PLC0415
    c = consumer()
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        n, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return n
                continue
            n += 1
        return n + 1  # no end seen in time: not through
    finally:
        c.close()


def stall_report(j):
    """What a join that stopped moving was doing: its threads' stacks (gdb, when the
    machine has it; no arguments printed: no personal data), then what its SIGTERM
    says remains. For the assertion message of a run that never got through."""
    out = []
    gdb = shutil.which("gdb")
    if gdb and j.running():
        try:
            r = subprocess.run([gdb, "-p", str(j.proc.pid), "-batch", "-nx",
                                "-ex", "set print frame-arguments none",
                                "-ex", "thread apply all bt 12"],
                               capture_output=True, text=True, timeout=60)
            out.append(scrub("\n".join(line for line in r.stdout.splitlines()
                                        if line.startswith(("#", "Thread")))))
        except (OSError, subprocess.SubprocessError) as e:
            out.append(f"gdb: {e}")
    if j.running():
        j.proc.send_signal(signal.SIGTERM)
        try:
            j.wait(60)
        except Exception:  # noqa: BLE001 - what it said so far is enough
            pass
    out.append(j.tail())
    return "\n".join(out)


class Outcome:
    """What a run published: Counters of (alert_id, key, topic) and check ids, read
    read_committed; the join's exit and the run's seconds. checks_expected: the check
    ids the run's own check lists give (rhtest.CheckLists: the ids of results issued
    again name the lists arrived then, by their finished_at, which differ from run to
    run; issue 11), or None to compare with the base run's."""

    def __init__(self, ns, rc, seconds, join=None, checks_expected=None):
        self.rc, self.seconds, self.join = rc, seconds, join
        self.alerts = collections.Counter((rec["alert_id"], key, topic)
                                          for topic, key, rec, _ in ns.read("alerts."))
        self.checks = collections.Counter(rec["check_id"] for _, _, rec, _ in ns.read("checks."))
        self.checks_expected = checks_expected

    def compare(self, base):
        """'' if the alerts are those of base and the check results those of the run's
        lists (or of base), each once; else what differs."""
        out = []
        want_checks = collections.Counter(self.checks_expected) \
            if self.checks_expected is not None else base.checks
        for what, mine, theirs in (("alerts", self.alerts, base.alerts),
                                   ("check results", self.checks, want_checks)):
            missing, extra = theirs.keys() - mine.keys(), mine.keys() - theirs.keys()
            doubled = sum(n - 1 for n in mine.values() if n > 1)
            if missing or extra or doubled:
                out.append(f"{what}: {len(missing)} missing, {doubled} doubled, {len(extra)} "
                           f"unexpected (of {len(theirs)})")
        return "; ".join(out)


def run_month(ns, cfg, rules, reg, steps, log_dir, fault=None, join_args=(), produce_args=(),
              end_timeout=300):
    """Publishes steps[0], starts riskhub-join (no idle exit: a broker away on a cluster
    leaves other brokers answering, and the steps come one after the other), then for
    each step: publishes it (from the second on) in the background, waits for the join
    to commit new township alerts, calls fault(step, join). Once the join's group has
    consumed every input record (the lists' and their manifests') it gets SIGTERM (exit 0 only with nothing left and
    everything it wrote visible, docs/join.md). Returns (Outcome, Expect, timings)."""
    files = [f for step in steps for f in step]
    t0 = time.monotonic()
    # retries as a clerk does on exit 69 ("nothing published; publish the file again
    # when the broker is back"): a node restarted by the previous case may still answer
    # without the topic for a moment (librdkafka: "partition count changed from 3
    # to 0", Unknown topic). 0 lost / 0 doubled is checked against the reference.
    ns.produce_all(steps[0], *produce_args, retries=2)
    j = ns.join(*join_args, log_dir=log_dir)
    timings = {}
    try:
        for i, step in enumerate(steps):
            before = committed_township_alerts(ns)
            procs = [ns.popen("riskhub-produce", "--config", CONFIG, "--department", d, "--feed", f,
                              "--period", PERIOD, "--no-progress", *produce_args, p,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for d, f, p in step] if i else []
            deadline = time.monotonic() + 120
            while committed_township_alerts(ns) <= before:
                assert j.running(), f"riskhub-join exited ({j.proc.returncode}) at step {i}:\n{j.tail()}"
                assert time.monotonic() < deadline, f"step {i}: no new alerts in 120 s"
                time.sleep(0.1)
            if fault:
                fault(i, j)
            for p in procs:
                out, err = p.communicate(timeout=300)
                assert p.returncode == 0, f"riskhub-produce exit {p.returncode} at step {i}: {scrub(err[-2000:])}"
        # the lists and their manifests: a check list is answered once its
        # manifest is read (a SIGTERM before that leaves records remaining: exit 69)
        inputs = sorted({cfg_topic(ns, d, f) for d, f, _ in files} | set(ns.topics_of("feed.manifests")))
        deadline = time.monotonic() + end_timeout
        while True:
            behind = []
            lag = group_lag(ns, inputs, behind)
            if lag == 0:
                break
            assert j.running(), f"riskhub-join exited ({j.proc.returncode}), lag {lag}:\n{j.tail()}"
            if time.monotonic() >= deadline:
                raise AssertionError(f"the join's lag is still {lag} after {end_timeout} s:\n"
                                     + "\n".join(behind) + "\n" + stall_report(j))
            time.sleep(0.5)
        timings["consumed_s"] = time.monotonic() - t0
        j.proc.send_signal(signal.SIGTERM)
        rc = j.wait(120)
    finally:
        j.kill()
    seconds = time.monotonic() - t0
    exp = expect(rules, reg, lineage(ns, cfg, files))
    checks = check_lists(ns, cfg, rules, reg, files).results()
    return Outcome(ns, rc, seconds, j, checks_expected=set(checks)), exp, timings


def cfg_topic(ns, dept, feed):
    return ns.topic(f"feed.{dept}.{feed}")
