#!/usr/bin/env python3
"""Benchmark: riskhub-replay on a county-size month (issue 5), from the broker and
from an archive.

Not a test: it prints figures next to the goal and asserts only what makes them
meaningful (every run exits 0 and reports the month equal, with every record of
the month read and every published alert found; the archive's report is the
broker's).

1. Data: riskhub-gen, cached in $RH_STATE_DIR/bench-replay/h<households>-r<rows>:
   the list with --feed health/major-disease --big-feed-rows ROWS
   (<period>/bench.health.major-disease.<period>.csv: a signal feed whose rule has
   no condition, so every matched record alerts), and the registry with a separate
   run without --feed (riskhub-gen writes no registry when given --feed). A scratch
   database riskhub_bench_<random>: `riskhub-registry migrate`, `import`.
2. The month as the hub would hold it: a fresh topic prefix (RH_TOPIC_PREFIX=
   rhtest-bench-<random>., a test namespace of tests/rhtest), the list published with riskhub-produce, then joined by the
   REAL riskhub-join (--idle-exit-ms 3000), which publishes the alerts.
3. riskhub-replay --period <period> --format json, --runs times, under GNU time:
   wall seconds from the start of the process to its exit (registry load, the
   broker reads, the report: everything), records/s = records of the month /
   wall, peak RSS. Then once with --archive DIR (what writing the archive costs),
   then --from-archive DIR --runs times.
   After the replays from the broker, kcat -C reads the same topics (the feed's records and
   the published outputs, read_committed, one topic a run) under GNU time -v: its peak RSS
   next to the replay's (issue 10: <= 256 MB).
4. The replay disturbs nothing: the join's group offsets and the end offsets of
   the output topics are the same before and after the replays.

Cleanup: topics of the prefix, the join's group and the database are removed at
the end (--keep leaves them, and the archive, for a look).

    scripts/bench_replay.py [--households 200000] [--rows 650000] [--runs 3] [--keep]

Needs the services (scripts/services.sh start), psql and GNU time
(scripts/deps.sh), and a release build (programs from $RH_BIN_DIR, default
build/bin).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import rhtest  # noqa: E402  (tests/rhtest: the helpers shared with the tests)

from confluent_kafka import Consumer, TopicPartition  # noqa: E402

PERIOD = "2026-10"
DEPT, FEED = "health", "major-disease"
IDLE_MS = 3000
BIN = rhtest.BIN
BOOTSTRAP = rhtest.BOOTSTRAP
CONFIG = rhtest.CONFIG
STATE_DIR = rhtest.STATE_DIR
GOAL = 200_000  # records/s from the broker to the report
RSS_GOAL_MB = 256  # peak RSS of a replay from the broker (issue 10)


def say(msg=""):
    print(msg, flush=True)


class BenchError(Exception):
    pass


def die(msg):
    raise BenchError(msg)


def mask(text):
    """Masks ID-shaped numbers in program output we echo."""
    return rhtest.scrub(text)


def load_avg():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(cmd, env=None, what=None, ok=(0,)):
    t0 = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t0
    if r.returncode not in ok:
        die(f"{what or cmd[0]} exited {r.returncode}:\n{mask(r.stderr[-3000:])}")
    return secs, r


def end_offsets(topics):
    """{(topic, partition): high watermark} of the topics."""
    return {(t, p): high for t in topics for p, high in rhtest.end_offsets(t).items()}


def group_offsets(group, topics):
    """{(topic, partition): committed offset} of a consumer group."""
    c = Consumer({**rhtest.client_conf(BOOTSTRAP), "group.id": group, "enable.auto.commit": False})
    try:
        md = c.list_topics(timeout=15)
        tps = [TopicPartition(t, p) for t in topics if t in md.topics for p in md.topics[t].partitions]
        return {(tp.topic, tp.partition): tp.offset for tp in c.committed(tps, timeout=15)}
    finally:
        c.close()


# ---- 1. data ----------------------------------------------------------------------

def data(households, rows):
    work = STATE_DIR / "bench-replay" / f"h{households}-r{rows}"
    bench = work / PERIOD / f"bench.{DEPT}.{FEED}.{PERIOD}.csv"
    members = work / "registry" / "members.csv"
    if not bench.exists() or sum(1 for _ in open(bench, "rb")) != rows + 1:
        secs, _ = run([BIN / "riskhub-gen", "--config", CONFIG, "--out", work, "--period", PERIOD,
                       "--households", households, "--big-feed-rows", rows, "--feed", f"{DEPT}/{FEED}"],
                      what="riskhub-gen (the list)")
        say(f"generated {bench} in {secs:.1f} s")
        if not bench.exists() or sum(1 for _ in open(bench, "rb")) != rows + 1:
            die(f"riskhub-gen did not write {bench} with {rows} rows")
    if not members.exists():
        secs, _ = run([BIN / "riskhub-gen", "--config", CONFIG, "--out", work, "--period", PERIOD,
                       "--households", households], what="riskhub-gen (the registry)")
        say(f"generated {work / 'registry'} in {secs:.1f} s")
    return work, bench


# ---- kcat, for comparison ----------------------------------------------------------------

def kcat_read(topics):
    """(peak RSS MiB, messages, wall s) of `kcat -C` reading each topic from its beginning to its
    end, read_committed, one topic a run under GNU time -v (the peak is the largest run's): the
    same records the replay reads, by the plainest client of the same librdkafka."""
    peak, count, wall = 0.0, 0, 0.0
    for t in topics:
        cmd = ["/usr/bin/time", "-v", "kcat", "-C", *rhtest.kcat_config(rhtest.STATE_DIR, rhtest.KAFKA_CREDENTIALS), "-b", BOOTSTRAP, "-t", t, "-o", "beginning", "-e", "-q",
               "-X", "isolation.level=read_committed", "-f", "%o\n"]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall += time.perf_counter() - t0
        if r.returncode != 0:
            die(f"kcat -C -t {t} exited {r.returncode}: {r.stderr[-500:]}")
        peak = max(peak, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024)
        count += len(r.stdout.splitlines())
    return peak, count, wall


# ---- 3. one replay ----------------------------------------------------------------------

def replay(env, logs, name, *args):
    """(wall s, peak RSS MiB, report dict) of one riskhub-replay run under GNU time."""
    tv = logs / f"{name}.time"
    cmd = ["/usr/bin/time", "-v", "-o", str(tv), str(BIN / "riskhub-replay"), "--config", str(CONFIG),
           "--period", PERIOD, "--format", "json", *map(str, args)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    (logs / f"{name}.err").write_text(r.stderr)
    if r.returncode != 0:
        die(f"riskhub-replay {' '.join(map(str, args))} exited {r.returncode}; log {logs / (name + '.err')}:\n"
            f"{mask(r.stderr[-2000:])}\n{mask(r.stdout[-2000:])}")
    rep = json.loads(r.stdout)
    tvt = tv.read_text()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tvt).group(1)) / 1024
    cpu = float(re.search(r"User time \(seconds\): ([0-9.]+)", tvt).group(1)) + \
        float(re.search(r"System time \(seconds\): ([0-9.]+)", tvt).group(1))
    (logs / f"{name}.cpu").write_text(f"{cpu:.2f}")
    return wall, rss, rep, cmd[4:]


PHASES = (("registry", re.compile(r"registry loaded in ([0-9.]+) s")),
          ("records", re.compile(r"through the join's code in ([0-9.]+) s \(([0-9]+) threads")),
          ("compare", re.compile(r"published messages compared in ([0-9.]+) s")))


def phases(logs, name):
    """The replay's own account of where its time went (its log), and its CPU."""
    text = (logs / f"{name}.err").read_text()
    out = [f"CPU {float((logs / f'{name}.cpu').read_text()):.2f} s ({load_avg()})"]
    for label, rx in PHASES:
        m = rx.search(text)
        if m:
            out.append(f"{label} {m.group(1)} s" + (f" ({m.group(2)} threads)" if m.lastindex > 1 else ""))
    return ", ".join(out)


def check_report(rep, rows, what):
    t = rep["totals"]
    if rep["result"] != "equal" or rep["differences"]:
        die(f"{what}: the month is reported {rep['result']} ({len(rep['differences'])} differences)")
    if t["records"] != rows or t["records_in_manifests"] != rows:
        die(f"{what}: {t['records']} records read, {t['records_in_manifests']} in the manifests, "
            f"expected {rows}")
    if t["alerts_expected"] != t["alerts_published"] or t["alerts_expected"] == 0:
        die(f"{what}: alerts expected {t['alerts_expected']}, published {t['alerts_published']}")


def comparable(rep):
    rep = dict(rep)
    rep.pop("source")
    rep.pop("seconds")
    return rep


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=200000)
    ap.add_argument("--rows", type=int, default=650000, help="records of the month's list")
    ap.add_argument("--runs", type=int, default=3, help="replays of each kind (the median is the figure)")
    ap.add_argument("--keep", action="store_true", help="leave the database, topics, group and archive")
    args = ap.parse_args()

    for prog in ("riskhub-gen", "riskhub-registry", "riskhub-produce", "riskhub-join", "riskhub-replay"):
        if not os.access(BIN / prog, os.X_OK):
            die(f"{BIN / prog} not built (scripts/build.sh release, or set RH_BIN_DIR)")
    if not shutil.which("psql"):
        die("psql not found (scripts/deps.sh)")
    if not os.access("/usr/bin/time", os.X_OK):
        die("GNU time (/usr/bin/time) not found (scripts/deps.sh)")
    command = " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]])
    say(f"bench_replay.py: {os.cpu_count()} cores, programs from {BIN}, broker {BOOTSTRAP}")

    work, bench = data(args.households, args.rows)
    n_persons = sum(1 for _ in open(work / "registry" / "members.csv", "rb")) - 1
    logs = STATE_DIR / "bench-replay" / "logs" / time.strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    archive = logs / "archive"

    db = f"riskhub_bench_{uuid.uuid4().hex[:12]}"
    conninfo = rhtest.create_database(db)
    res, ns = {}, None
    try:
        # a test namespace of tests/rhtest: topic prefix rhtest-bench-<random>., its input
        # topics made first; its topics and groups are deleted at the end
        ns = rhtest.Namespace(database=False, kind="bench")
        prefix = ns.prefix
        env = ns.env(RH_PG_CONNINFO=conninfo)
        run([BIN / "riskhub-registry", "--config", CONFIG, "migrate"], env=env, what="riskhub-registry migrate")
        secs, _ = run([BIN / "riskhub-registry", "--config", CONFIG, "import", work / "registry"],
                      env=env, what="riskhub-registry import")
        say(f"riskhub-registry import: {args.households} households, {n_persons} persons into {db} in {secs:.1f} s")
        rhtest.psql(conninfo, "VACUUM ANALYZE")

        # 2. the month, joined by the real join
        secs, _ = run([BIN / "riskhub-produce", "--config", CONFIG, "--department", DEPT, "--feed", FEED,
                       "--period", PERIOD, "--no-progress", bench], env=env, what="riskhub-produce")
        say(f"riskhub-produce: {args.rows} records published in {secs:.1f} s (prefix {prefix})")
        secs, r = run([BIN / "riskhub-join", "--config", CONFIG, "--idle-exit-ms", IDLE_MS], env=env,
                      what="riskhub-join")
        (logs / "join.err").write_text(r.stderr)
        say(f"riskhub-join: {secs:.1f} s; {r.stdout.strip().splitlines()[-1]}")

        outputs = ns.topics("alerts.") + ns.topics("checks.")
        inputs = ns.topics("feed.")
        before = (end_offsets(outputs + inputs), group_offsets(prefix + "riskhub-join", inputs))

        # 3. replays
        say(f"({load_avg()})")
        broker = []
        for i in range(args.runs):
            wall, rss, rep, cmd = replay(env, logs, f"broker-{i}")
            check_report(rep, args.rows, "replay from the broker")
            broker.append((wall, rss, rep))
            say(f"replay from the broker #{i + 1}: {wall:.2f} s, {args.rows / wall:,.0f} records/s, "
                f"peak RSS {rss:.0f} MiB; alerts {rep['totals']['alerts_expected']} expected = published; "
                f"{phases(logs, f'broker-{i}')}")
        broker_cmd = cmd
        if shutil.which("kcat"):
            k_rss, k_n, k_wall = kcat_read(inputs + outputs)
            say(f"kcat -C of the same topics (feed records and published outputs, one topic a run): "
                f"{k_n} messages in {k_wall:.2f} s, peak RSS {k_rss:.0f} MiB; the replay's peak RSS "
                f"{max(r for _, r, _ in broker):.0f} MiB")
            kcat_res = (k_rss, k_n)
        else:
            say("kcat not found: no comparison with kcat -C (scripts/deps.sh)")
            kcat_res = None
        wall_ar, _, rep_ar, _ = replay(env, logs, "archive", "--archive", archive)
        check_report(rep_ar, args.rows, "replay with --archive")
        size = sum(f.stat().st_size for f in archive.iterdir())
        say(f"replay from the broker writing the archive: {wall_ar:.2f} s, {args.rows / wall_ar:,.0f} "
            f"records/s; archive {size / 2**20:.0f} MiB in {archive}")
        sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=archive, capture_output=True,
                              text=True)
        if sums.returncode != 0:
            die(f"sha256sum -c: {sums.stdout}{sums.stderr}")
        arch = []
        for i in range(args.runs):
            wall, rss, rep, cmd = replay(env, logs, f"from-archive-{i}", "--from-archive", archive)
            check_report(rep, args.rows, "replay from the archive")
            if comparable(rep) != comparable(broker[0][2]):
                die("the archive's report is not the broker's")
            arch.append((wall, rss, rep))
            say(f"replay from the archive #{i + 1}: {wall:.2f} s, {args.rows / wall:,.0f} records/s, "
                f"peak RSS {rss:.0f} MiB; {phases(logs, f'from-archive-{i}')}")
        arch_cmd = cmd

        after = (end_offsets(outputs + inputs), group_offsets(prefix + "riskhub-join", inputs))
        if after != before:
            die("the replays changed the topics' end offsets or the join's group offsets")
        say("the join's group offsets and every topic's end offsets are as before the replays")
        res = {"broker": broker, "archive": arch, "broker_cmd": broker_cmd, "arch_cmd": arch_cmd,
               "kcat": kcat_res,
               "archive_size": size, "archive_write": wall_ar,
               "env": f"RH_TOPIC_PREFIX={prefix} RH_PG_CONNINFO={shlex.quote(conninfo)}"}
    finally:
        where = ns.prefix if ns else "no prefix"
        if args.keep:
            say(f"kept: database {db}, topic prefix {where}, archive {archive}; logs {logs}")
        else:
            if ns:
                ns.close()
            rhtest.drop_database(db)
            shutil.rmtree(archive, ignore_errors=True)
            say(f"cleaned up: database {db}, the topics and groups of {where}, the archive; logs {logs}")

    def median(runs):
        return statistics.median(w for w, _, _ in runs)

    b, a = median(res["broker"]), median(res["archive"])
    t = res["broker"][0][2]["totals"]
    say()
    say(f"=== riskhub-replay benchmark ({os.cpu_count()} cores; registry {args.households} households, "
        f"{n_persons} persons; {args.rows} records of {DEPT}/{FEED}, {t['alerts_published']} alerts published)")
    say(f"command: {command}")
    say(f"from the broker to the report: {args.rows / b:,.0f} records/s (median of {args.runs}: {b:.2f} s wall; "
        f"runs {', '.join(f'{w:.2f}' for w, _, _ in res['broker'])} s; peak RSS "
        f"{max(r for _, r, _ in res['broker']):.0f} MiB) - goal >= {GOAL:,}: "
        f"{'ok' if args.rows / b >= GOAL else 'MISSED'}")
    say(f"  {res['env']} {' '.join(shlex.quote(c) for c in res['broker_cmd'])}")
    peak = max(r for _, r, _ in res["broker"])
    say(f"peak RSS from the broker: {peak:.0f} MiB - goal <= {RSS_GOAL_MB} MB ({RSS_GOAL_MB * 1e6 / 2**20:.0f} MiB): "
        f"{'ok' if peak * 2**20 <= RSS_GOAL_MB * 1e6 else 'MISSED'}"
        + (f"; kcat -C reading the same {res['kcat'][1]} messages: {res['kcat'][0]:.0f} MiB" if res["kcat"] else ""))
    say(f"from the archive to the report: {args.rows / a:,.0f} records/s (median of {args.runs}: {a:.2f} s wall; "
        f"runs {', '.join(f'{w:.2f}' for w, _, _ in res['archive'])} s; peak RSS "
        f"{max(r for _, r, _ in res['archive']):.0f} MiB)")
    say(f"  {res['env']} {' '.join(shlex.quote(c) for c in res['arch_cmd'])}")
    say(f"writing the archive on the way: {res['archive_write']:.2f} s for the run, "
        f"{res['archive_size'] / 2**20:.0f} MiB")
    say(f"({load_avg()})")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench_replay.py: {e}", file=sys.stderr)
        sys.exit(1)
