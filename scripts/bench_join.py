#!/usr/bin/env python3
"""Benchmark: riskhub-join at county size (issue 4), against kcat in the same run.

Not a test: it prints figures next to the goals and asserts only what makes the
figures meaningful (the join exits 0, its alerts are on the topics once each).

1. Data: riskhub-gen (cached in $RH_STATE_DIR/bench-join/h<households>-r<rows>):
   the registry (200,000 households, ~650,000 persons) and the benchmark list
   (bench.<department>.<feed>.<period>.csv, --rows records; riskhub-gen always
   writes it for health/major-disease, a signal feed whose rule has no
   condition). A scratch database riskhub_bench_<random>: `riskhub-registry
   migrate`, then `import` (timed).
2. Throughput: a fresh topic prefix (RH_TOPIC_PREFIX=rhtest-bench-<random>.,
   a test namespace of tests/rhtest, its input topics made first); the list
   published with riskhub-produce BEFORE the join starts; kcat (a plain C
   librdkafka client) consumes the same records read_committed, for comparison;
   then `riskhub-join --idle-exit-ms 3000` under GNU time. From the join's
   summary line: registry load s and the map's MiB, records/s = records/busy_s
   (first record consumed to last transaction committed), alerts, transactions;
   from GNU time: the process's peak RSS. A read_committed reader (confluent-kafka,
   fastavro with schemas/Alert.avsc) counts the alert messages on
   <prefix>alerts.* and their distinct alert ids: exactly once means
   messages == distinct ids == alerts + unmatched of the summary.
   The Kafka Streams peer (--streams, default both; issue #10): StreamsJoin
   (tests/bench/streams: Kafka Streams 3.9.2, exactly_once_v2, one stream
   thread unless --streams-threads; its jars fetched by Maven and the class
   compiled once into $RH_STATE_DIR/bench-streams) on the same input topic, in a
   namespace of its own (output topics made first), under GNU time: the
   registry from the same database into a HashMap, the same lookup, the same
   Alert (riskhub's alert ids, single-object Avro) to <prefix>alerts.*; "lookup"
   writes an alert for every record, "dedup" keeps the published ids in a
   RocksDB store with its changelog as riskhub-join keeps its set (the list
   names ~300,000 persons twice: only dedup gives riskhub's 344,557 alerts).
   records/s = records / its busy_s (first record processed to the group's
   committed offsets covering the last one, polled every 10 ms); peak RSS;
   read back read_committed: each source record once, the same set of alert
   ids as riskhub-join's, and with dedup each id once.
3. Latency: another fresh prefix, the same database; riskhub-join running (no
   idle exit); FeedRecords for medical-insurance/high-self-pay produced from
   Python at --rate records/s for --seconds (after --warmup s not counted;
   acks=all, idempotent, linger.ms=0), one record per registry person (so no
   alert is a duplicate), amount 15,000 yuan (every household type's rule
   fires). A second thread reads <prefix>alerts.* read_committed and notes when
   each alert arrives; latency = arrival - the produce() call, matched by ID
   number (and the alert's source partition/offset checked against the
   delivery report). p50/p90/p99/max; the join is stopped with SIGTERM.

   The warnings ledger (--ledger, default alongside): riskhub-ledger started
   with the join (alongside) or after its exit (after), or not at all (none);
   figure: the ledger's lag back to 0, the seconds from the join's exit until
   PostgreSQL holds a warnings row for every township alert and a check_results
   row for every check result of the join's summary (polled every 0.25 s; 0
   when it was through before the join exited); then SIGTERM, exit 0 expected
   (nothing left). With alongside the two share the machine's cores, as they do
   in service.

Also printed: the summary's split of busy_s (transform/commit, when the
build reports it), CPU per record and by thread (/proc, sampled), load average.
A phase that fails (a program's exit, counts that disagree) prints FAILED with
the log's path, the other phase still runs, and the exit status is 1.

Cleanup: the topics and consumer groups of the prefixes and the scratch
database are removed at the end (--keep leaves them). Nothing is written to the
default namespace (no prefix, database riskhub). Logs stay in
$RH_STATE_DIR/bench-join/logs/<time>/.

    scripts/bench_join.py [--households 200000] [--rows 650000] [--rate 1000]
                          [--seconds 20] [--warmup 3] [--skip-throughput]
                          [--skip-latency] [--keep] [--join-args='--batch-ms 50']
                          [--ledger alongside|after|none]
                          [--streams both|lookup|dedup|none] [--streams-threads 1]
                          [--streams-java-opts='-Xmx512m']

Needs the services (scripts/services.sh start), kcat and GNU time
(scripts/deps.sh), Java 17 and Maven for the Streams peer, and a release build: the programs are taken from
$RH_BIN_DIR (default build/bin).
"""
import argparse
import collections
import csv
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import rhtest  # noqa: E402  (tests/rhtest: the helpers shared with the tests)

from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402

PERIOD = "2026-10"
IDLE_MS = 3000
BIN = rhtest.BIN
BOOTSTRAP = rhtest.BOOTSTRAP
CONFIG = rhtest.CONFIG
STATE_DIR = rhtest.STATE_DIR
SUMMARY = re.compile(r"^riskhub-join: (records=\d+(?: [a-z_]+=[0-9.]+)*)\s*$", re.M)
LAT_DEPT, LAT_FEED, LAT_AMOUNT_FEN = "medical-insurance", "high-self-pay", 1_500_000

GOALS = {"load": 3.0, "rss": 200.0, "throughput": 100_000, "p99": 250.0, "ledger_lag": 30.0}


def say(msg=""):
    print(msg, flush=True)


class BenchError(Exception):
    """A phase could not be measured (a program failed, the counts disagree)."""


def die(msg):
    raise BenchError(msg)


def load_avg():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def mask(text):
    """Masks ID-shaped numbers in program output we echo."""
    return rhtest.scrub(text)


# ---- programs, database, topics ----------------------------------------------------

def run(cmd, env=None, what=None):
    """(seconds, completed process); dies on a non-zero exit."""
    t0 = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        die(f"{what or cmd[0]} exited {r.returncode}:\n{mask(r.stderr[-3000:])}")
    return secs, r


def busy_parts(s):
    """"transform 1.2 s, warnings 0.3 s, commit 4.5 s" from the summary's *_s fields
    beyond busy_s and registry_load_s (what the join build reports), or ""."""
    parts = [f"{k[:-2]} {v:.2f} s" for k, v in s.items()
             if k.endswith("_s") and k not in ("busy_s", "registry_load_s")]
    return ", ".join(parts)


def parse_summary(text, pattern=SUMMARY):
    """{key: number} of the one summary line pattern finds in text (riskhub-join's,
    or STREAMS_SUMMARY), None unless exactly one."""
    found = pattern.findall(text)
    if len(found) != 1:
        return None
    out = {}
    for kv in found[0].split():
        k, v = kv.split("=")
        out[k] = float(v) if "." in v else int(v)
    return out


# ---- Avro ----------------------------------------------------------------------------

def decode_alert(value):
    """The Alert of a single-object encoded message (rhtest.decode: fastavro)."""
    name, rec = rhtest.decode(value)
    if name != "Alert":
        raise ValueError(f"not an Alert but a {name}")
    return rec


def read_all(topics, timeout=600):
    """[message] of every committed message of the topics, start to end (read_committed)."""
    try:
        return rhtest.read_topics(topics, timeout=timeout)
    except AssertionError as e:
        die(f"reading the alert topics: {e}")


# ---- 1. data and database ----------------------------------------------------------

def data(households, rows):
    work = STATE_DIR / "bench-join" / f"h{households}-r{rows}"
    members = work / "registry" / "members.csv"
    bench = sorted((work / PERIOD).glob(f"bench.*.{PERIOD}.csv")) if work.exists() else []
    if not members.exists() or len(bench) != 1 or sum(1 for _ in open(bench[0], "rb")) != rows + 1:
        # no --feed: with it riskhub-gen writes no registry
        secs, r = run([BIN / "riskhub-gen", "--config", CONFIG, "--out", work, "--period", PERIOD,
                       "--households", households, "--big-feed-rows", rows], what="riskhub-gen")
        say(f"generated {work} in {secs:.1f} s")
        bench = sorted((work / PERIOD).glob(f"bench.*.{PERIOD}.csv"))
    m = re.fullmatch(rf"bench\.([a-z0-9-]+)\.([a-z0-9-]+)\.{PERIOD}\.csv", bench[0].name)
    return work, bench[0], m.group(1), m.group(2)


def registry_ids(work):
    """[(id_number, name)] of the registry's persons, in members.csv order."""
    with open(work / "registry" / "members.csv", newline="", encoding="utf-8-sig") as fp:
        return [(r["id_number"], r["name"]) for r in csv.DictReader(fp)]


# ---- 2. throughput -----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def gnu_time(path):
    """(peak RSS KiB, user s, system s) of a GNU time -v report."""
    tv = Path(path).read_text()
    return (int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv).group(1)),
            float(re.search(r"User time \(seconds\): ([0-9.]+)", tv).group(1)),
            float(re.search(r"System time \(seconds\): ([0-9.]+)", tv).group(1)))


def by_thread_name(threads):
    """CPU seconds by thread name, numbered threads counted together ("rdk:brokerN")."""
    out = collections.Counter()
    for name, cpu_s in threads.values():
        out[re.sub(r"[0-9]+$", "N", name)] += cpu_s
    return out


def thread_cpu(time_pid):
    """{tid: (thread name, CPU seconds so far)} of the child of GNU time (the join)."""
    out = {}
    try:
        kids = Path(f"/proc/{time_pid}/task/{time_pid}/children").read_text().split()
    except OSError:
        return out
    for pid in kids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            out[(pid, task.name)] = (name, (int(fields[11]) + int(fields[12])) / TICK)  # utime + stime
    return out

def kcat_consume(topic, expect):
    """Seconds for kcat to read the whole topic read_committed (wall, start to exit)."""
    cmd = ["kcat", "-C", *rhtest.kcat_config(rhtest.STATE_DIR, rhtest.KAFKA_CREDENTIALS), "-b", BOOTSTRAP, "-t", topic, "-o", "beginning", "-e", "-q",
           "-X", "isolation.level=read_committed", "-f", "\n"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        die(f"kcat exited {r.returncode}: {r.stderr.decode(errors='replace')[-2000:]}")
    n = r.stdout.count(b"\n")
    if n != expect:
        die(f"kcat read {n} records of {topic}, expected {expect}")
    return secs, cmd


# ---- the Kafka Streams peer (tests/bench/streams) ----------------------------------------

STREAMS_SRC = rhtest.SRC / "tests" / "bench" / "streams"
STREAMS_HOME = STATE_DIR / "bench-streams"
STREAMS_SUMMARY = re.compile(r"^streams: (records=\d+(?: [a-z_]+=[0-9.]+)*)\s*$", re.M)


def streams_build():
    """The peer's classpath: its jars fetched by Maven and StreamsJoin.java compiled, once
    for each version of tests/bench/streams (a marker holds the hash of its two files)."""
    want = hashlib.sha256(b"".join((STREAMS_SRC / f).read_bytes()
                                   for f in ("pom.xml", "StreamsJoin.java"))).hexdigest()
    built, marker = STREAMS_HOME / "built", STREAMS_HOME / "built" / ".fetched"
    if not (marker.exists() and marker.read_text().strip() == want):
        for tool in ("mvn", "javac", "java"):
            if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
                die(f"{tool} not found (scripts/deps.sh installs Java and Maven)")
        STREAMS_HOME.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="built.tmp.", dir=STREAMS_HOME))
        t0 = time.perf_counter()
        run(["mvn", "-B", "-q", "-Dstyle.color=never", "-f", STREAMS_SRC / "pom.xml",
             "dependency:copy-dependencies", f"-DoutputDirectory={tmp / 'libs'}", "-DincludeScope=runtime"],
            what="mvn dependency:copy-dependencies (tests/bench/streams/pom.xml)")
        run(["javac", "-Xlint:all", "-Werror", "-d", tmp / "classes", "-cp", f"{tmp / 'libs'}/*",
             STREAMS_SRC / "StreamsJoin.java"], what="javac StreamsJoin.java")
        (tmp / ".fetched").write_text(want + "\n")
        shutil.rmtree(built, ignore_errors=True)
        tmp.rename(built)
        say(f"streams peer: {len(list((built / 'libs').glob('*.jar')))} jars fetched and StreamsJoin "
            f"compiled in {time.perf_counter() - t0:.1f} s ({built})")
    return f"{built / 'classes'}:{built / 'libs'}/*"


def jdbc_url(conninfo):
    kv = dict(x.split("=", 1) for x in conninfo.split())
    url = f"jdbc:postgresql://{kv.get('host', '127.0.0.1')}:{kv.get('port', '5432')}/{kv['dbname']}"
    opts = [f"{k}={kv[k]}" for k in ("user", "password") if k in kv]
    return url + ("?" + "&".join(opts) if opts else "")


def streams_peer(args, topic, conninfo, logs, namespaces, dedup, join_ids):
    """StreamsJoin on the throughput phase's input topic, in a namespace of its own:
    records/s (its busy_s), peak RSS, and the exactly-once check of its alerts."""
    classpath = streams_build()
    ns = rhtest.Namespace(database=False, kind="bench")
    namespaces.append(ns)
    townships = [t["code"] for t in rhtest.load_config(CONFIG)["townships"]]
    rhtest.create_topics([ns.topic(f"alerts.{t}") for t in townships] + [ns.topic("alerts.unmatched")])
    what = "lookup + dedup store" if dedup else "lookup"
    tag = "dedup" if dedup else "lookup"
    state = logs / f"streams-{tag}.state"
    time_out, err_path, out_path = (logs / f"streams-{tag}.{x}" for x in ("time", "err", "out"))
    cmd = ["/usr/bin/time", "-v", "-o", str(time_out), "java", *shlex.split(args.streams_java_opts),
           "-cp", classpath, "StreamsJoin", "--bootstrap", BOOTSTRAP, "--input", topic,
           "--out-prefix", ns.prefix, "--application-id", ns.topic("streams-join"),
           "--jdbc", jdbc_url(conninfo), "--schemas", str(rhtest.SRC / "schemas"),
           "--state-dir", str(state), "--expect", str(args.rows), "--threads", str(args.streams_threads)]
    if dedup:
        cmd.append("--dedup")
    say(f"--- Kafka Streams peer ({what}, {args.streams_threads} stream thread(s)): prefix {ns.prefix}")
    t0 = time.perf_counter()
    with open(err_path, "w") as err_fp, open(out_path, "w") as out_fp:
        proc = subprocess.Popen(cmd, stdout=out_fp, stderr=err_fp)
        threads = {}
        while proc.poll() is None:
            threads.update(thread_cpu(proc.pid))
            time.sleep(0.25)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        die(f"StreamsJoin ({what}) exited {proc.returncode}; log {err_path}:\n"
            f"{mask(err_path.read_text()[-3000:])}")
    s = parse_summary(out_path.read_text(), STREAMS_SUMMARY)
    if s is None:
        die(f"no summary line from StreamsJoin; log {err_path}")
    rss_kib, user_s, sys_s = gnu_time(time_out)
    rss_mib, cpu_s = rss_kib / 1024, user_s + sys_s
    msgs = read_all(ns.topics("alerts."))
    ids, sources = collections.Counter(), set()
    for m in msgs:
        a = decode_alert(m.value())
        ids[a["alert_id"]] += 1
        sources.add((a["source"]["topic"], a["source"]["partition"], a["source"]["offset"]))
    dups = sum(n - 1 for n in ids.values() if n > 1)
    want = s["alerts"] + s["unmatched"]
    same = set(ids) == join_ids
    say(f"StreamsJoin: exit 0 in {wall:.1f} s wall (JVM start, registry load, close included); "
        + " ".join(f"{k}={v}" for k, v in s.items()))
    say(f"  read back {len(msgs)} alert messages (read_committed): {len(sources)} distinct source records, "
        f"{len(ids)} distinct alert ids, {dups} repeated; the same ids as riskhub-join's: {'yes' if same else 'NO'}")
    say("  CPU by thread (sampled every 0.25 s): "
        + ", ".join(f"{n} {v:.1f} s" for n, v in by_thread_name(threads).most_common(5) if v >= 0.05))
    # exactly once: each record's alert once (the lookup alone repeats an id when the list
    # names a person twice: one alert a record), and with the store each id once
    ok = len(msgs) == want == len(sources) == s["records"] - s["duplicates"] and same \
        and (dups == 0 if dedup else True)
    if not ok:
        die(f"Kafka Streams peer ({what}): exactly once NOT verified: {len(msgs)} messages, "
            f"{len(sources)} distinct sources, {len(ids)} distinct ids ({dups} repeated), the same ids "
            f"as riskhub-join's: {same}; summary {s}")
    return {"what": what, "summary": s, "rps": s["records"] / s["busy_s"], "rss_mib": rss_mib,
            "cpu_s": cpu_s, "wall": wall, "same_ids": same, "dups": dups}

def throughput(args, work, bench, dept, feed, conninfo, logs, namespaces):
    ns = rhtest.Namespace(database=False, kind="bench")
    namespaces.append(ns)
    prefix = ns.prefix
    env = ns.env(RH_PG_CONNINFO=conninfo)
    topic = f"{prefix}feed.{dept}.{feed}"
    say(f"--- throughput: prefix {prefix} ({dept}/{feed}, {args.rows} records)")

    produce_s, _ = run([BIN / "riskhub-produce", "--config", CONFIG, "--department", dept, "--feed", feed,
                        "--period", PERIOD, "--no-progress", bench], env=env, what="riskhub-produce")
    say(f"riskhub-produce: {args.rows} records published in {produce_s:.1f} s")

    kcat_s, kcat_cmd = kcat_consume(topic, args.rows)
    say(f"kcat -C: {args.rows} records read (read_committed) in {kcat_s:.2f} s "
        f"= {args.rows / kcat_s:,.0f} records/s")

    # --instances N: N joins of one group (--instance i1..iN) at once; their summaries
    # are added up, busy_s is the longest one's (they run side by side), RSS the largest
    n_inst = max(1, args.instances)
    procs = []
    ledger = None
    if args.ledger == "alongside":
        ledger = start_ledger(logs, env)
    t0 = time.perf_counter()
    for k in range(n_inst):
        sfx = "" if n_inst == 1 else f".i{k + 1}"
        time_out = logs / f"throughput{sfx}.time"
        err_path = logs / f"throughput{sfx}.join.err"
        cmd = ["/usr/bin/time", "-v", "-o", str(time_out), str(BIN / "riskhub-join"), "--config", str(CONFIG),
               "--idle-exit-ms", str(IDLE_MS), "--log-level", "info", *shlex.split(args.join_args)]
        if n_inst > 1:
            cmd += ["--instance", f"i{k + 1}"]
        err_fp, out_fp = open(err_path, "w"), open(logs / f"throughput{sfx}.join.out", "w+")
        procs.append((subprocess.Popen(cmd, stdout=out_fp, stderr=err_fp, env=env), err_fp, out_fp,
                      err_path, time_out))
    threads = {}
    while any(p[0].poll() is None for p in procs):
        for p in procs:
            if p[0].poll() is None:
                threads.update(thread_cpu(p[0].pid))
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    join_exit = time.monotonic()
    s, rss_kib, user_s, sys_s, stdout = None, 0, 0.0, 0.0, ""
    for proc, err_fp, out_fp, err_path, time_out in procs:
        err_fp.close()
        out_fp.seek(0)
        one_out = out_fp.read()
        out_fp.close()
        errtext = err_path.read_text()
        if proc.returncode != 0:
            if ledger:
                ledger.kill()
            die(f"riskhub-join exited {proc.returncode}; log {err_path}:\n{mask(errtext[-3000:])}")
        one = parse_summary(one_out)
        if one is None:
            die(f"no summary line from riskhub-join; stdout:\n{mask(one_out)}")
        stdout += one_out
        if s is None:
            s = one
        else:
            for k, v in one.items():
                s[k] = max(s[k], v) if k.endswith("_s") or k == "registry_mib" else s[k] + v
        rss1, user1, sys1 = gnu_time(time_out)
        rss_kib, user_s, sys_s = max(rss_kib, rss1), user_s + user1, sys_s + sys1
    led = None
    if args.ledger != "none":
        if args.ledger == "after":
            ledger = start_ledger(logs, env)
        led = ledger_drain(ledger, conninfo, s, join_exit, logs)
    by_name = by_thread_name(threads)
    say(f"riskhub-join: exit 0 in {wall:.1f} s wall (registry load, the read-back of published ids, "
        f"{IDLE_MS} ms idle exit included)")
    for line in stdout.strip().splitlines():
        say("  " + line)
    say("  CPU by thread (sampled every 0.25 s): "
        + ", ".join(f"{n} {v:.1f} s" for n, v in by_name.most_common() if v >= 0.05))

    # exactly once: the alert messages on the topics, once each
    t1 = time.perf_counter()
    atopics = ns.topics("alerts.")
    msgs = read_all(atopics)
    ids = collections.Counter()
    by_topic = collections.Counter()
    sources = set()
    for m in msgs:
        a = decode_alert(m.value())
        ids[a["alert_id"]] += 1
        by_topic["unmatched" if m.topic().endswith(".unmatched") else "township"] += 1
        sources.add((a["source"]["topic"], a["source"]["partition"], a["source"]["offset"]))
    dups = sum(n - 1 for n in ids.values() if n > 1)
    want = s["alerts"] + s["unmatched"]
    say(f"read back {len(msgs)} alert messages from {len(atopics)} topics (read_committed, fastavro) "
        f"in {time.perf_counter() - t1:.1f} s: {len(ids)} distinct alert ids, {dups} duplicates, "
        f"{by_topic['township']} township + {by_topic['unmatched']} unmatched; summary alerts+unmatched = {want}")
    ok = len(msgs) == want and dups == 0 and len(ids) == want and by_topic["township"] == s["alerts"] \
        and by_topic["unmatched"] == s["unmatched"] and len(sources) == len(msgs)
    if not ok:
        die(f"exactly once NOT verified: {len(msgs)} messages, {len(ids)} distinct ids, {dups} duplicates, "
            f"{len(sources)} distinct sources, summary {s}; join log {err_path}")
    rps = s["records"] / s["busy_s"] if s["busy_s"] > 0 else float("nan")
    peers = []
    for dedup in {"lookup": (False,), "dedup": (True,), "both": (False, True), "none": ()}[args.streams]:
        peers.append(streams_peer(args, topic, conninfo, logs, namespaces, dedup, set(ids)))
    return {"peers": peers, "prefix": prefix, "summary": s, "rss_mib": rss_kib / 1024, "wall": wall, "rps": rps,
            "kcat_s": kcat_s, "kcat_rps": args.rows / kcat_s, "kcat_cmd": kcat_cmd,
            "produce_s": produce_s, "alert_msgs": len(msgs), "exactly_once": ok, "threads": by_name,
            "ledger": led, "user_s": user_s, "sys_s": sys_s}


def start_ledger(logs, env):
    return subprocess.Popen([str(BIN / "riskhub-ledger"), "--config", str(CONFIG), "--log-level", "info"],
                            stdout=open(logs / "throughput.ledger.out", "w"),
                            stderr=open(logs / "throughput.ledger.err", "w"), env=env)


def ledger_drain(ledger, conninfo, s, join_exit, logs, limit=600):
    """Seconds from the join's exit until every row of its summary is in PostgreSQL
    (0 if it was there before), then SIGTERM and the ledger's summary."""
    want = (s["alerts"], s.get("checks", 0))

    def rows():
        out = rhtest.psql(conninfo, "SELECT (SELECT count(*) FROM warnings), (SELECT count(*) FROM check_results)")
        return tuple(int(x) for x in out.split("|"))
    got = rows()
    already = got == want
    while got != want and time.monotonic() - join_exit < limit and ledger.poll() is None:
        time.sleep(0.25)
        got = rows()
    lag = time.monotonic() - join_exit
    if got != want:
        ledger.kill()
        die(f"riskhub-ledger: {got} rows (warnings, check_results) after {lag:.0f} s, expected {want}; "
            f"log {logs / 'throughput.ledger.err'}")
    ledger.send_signal(signal.SIGTERM)
    rc = ledger.wait(60)
    out = (logs / "throughput.ledger.out").read_text()
    if rc != 0:
        die(f"riskhub-ledger exited {rc} after SIGTERM; log {logs / 'throughput.ledger.err'}")
    m = re.search(r"^riskhub-ledger: (.*)$", out, re.M)
    say(f"riskhub-ledger: every row in PostgreSQL {lag:.2f} s after the join's exit; SIGTERM: exit 0")
    say("  " + (m.group(0) if m else "(no summary)"))
    return {"lag_s": 0.0 if already else lag, "rows": want, "summary": m.group(1) if m else ""}


# ---- 3. latency ------------------------------------------------------------------------

class AlertReader(threading.Thread):
    """Reads <prefix>alerts.* read_committed and notes each message's arrival
    (time.monotonic()); decoding happens afterwards."""

    def __init__(self, prefix):
        super().__init__(daemon=True)
        self.c = Consumer({**rhtest.client_conf(BOOTSTRAP), "group.id": f"{prefix}latency-reader",
                           "isolation.level": "read_committed", "enable.auto.commit": False,
                           "auto.offset.reset": "earliest", "fetch.wait.max.ms": 10,
                           "topic.metadata.refresh.interval.ms": 1000})
        self.c.subscribe(["^" + re.escape(prefix) + r"alerts\..*"])
        self.got = []  # (arrival, value)
        self.assigned = threading.Event()
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                msgs = self.c.consume(1000, 0.05)
                now = time.monotonic()
                if self.c.assignment():
                    self.assigned.set()
                for m in msgs:
                    if m.error():
                        if m.error().code() != KafkaError._PARTITION_EOF:
                            raise RuntimeError(m.error())
                        continue
                    self.got.append((now, m.value()))
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.error = e
        finally:
            self.c.close()


def pct(sorted_vals, p):
    """Nearest-rank percentile."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def latency(args, work, conninfo, logs, namespaces):
    ns = rhtest.Namespace(database=False, kind="bench")
    namespaces.append(ns)
    prefix = ns.prefix
    env = ns.env(RH_PG_CONNINFO=conninfo)
    topic = f"{prefix}feed.{LAT_DEPT}.{LAT_FEED}"
    total = int(round((args.warmup + args.seconds) * args.rate))
    people = registry_ids(work)
    if total > len(people):
        die(f"{total} records wanted but the registry has {len(people)} persons")
    step = len(people) // total  # spread over the registry, each person once
    people = people[::step][:total]
    say(f"--- latency: prefix {prefix}; {args.rate} records/s for {args.warmup:g} s warm-up + "
        f"{args.seconds:g} s measured ({total} records, {LAT_DEPT}/{LAT_FEED}, one per person)")
    # the feed topic exists before the join subscribes (rhtest.Namespace made it: the
    # pattern sees topics present at subscription, later ones only at a metadata refresh)

    err_path = logs / "latency.join.err"
    out_path = logs / "latency.join.out"
    err_fp, out_fp = open(err_path, "w"), open(out_path, "w")
    join = subprocess.Popen([str(BIN / "riskhub-join"), "--config", str(CONFIG), "--log-level", "info",
                             *shlex.split(args.join_args)], stdout=out_fp, stderr=err_fp, env=env)
    reader = None
    try:
        t0 = time.monotonic()
        while True:
            text = err_path.read_text()
            if "joining" in text and "assigned" in text:
                break
            if join.poll() is not None:
                die(f"riskhub-join exited {join.returncode} while starting:\n{mask(text[-3000:])}")
            if time.monotonic() - t0 > 120:
                die(f"riskhub-join not joining/assigned after 120 s:\n{mask(text[-3000:])}")
            time.sleep(0.1)
        say(f"riskhub-join: joining and assigned after {time.monotonic() - t0:.1f} s")

        reader = AlertReader(prefix)
        reader.start()
        if not reader.assigned.wait(60):
            die("the alert reader got no assignment within 60 s")

        p = Producer({**rhtest.client_conf(BOOTSTRAP), "enable.idempotence": True, "acks": "all",
                      "linger.ms": 0, "compression.type": "none"})
        batch = f"bench-latency-{prefix}"
        sent = {}       # id_number -> (send monotonic, measured?)
        delivered = {}  # id_number -> (partition, offset)
        failed = []

        def on_delivery(err, msg):
            idn = msg.key().decode()
            if err is not None:
                failed.append(err)
            else:
                delivered[idn] = (msg.partition(), msg.offset())

        start = time.monotonic()
        n_warm = int(round(args.warmup * args.rate))
        for i, (idn, name) in enumerate(people):
            due = start + i / args.rate
            while True:
                d = due - time.monotonic()
                if d <= 0:
                    break
                p.poll(min(d, 0.005))
            rec = {"id_number": idn, "name": name, "department": LAT_DEPT, "feed": LAT_FEED,
                   "kind": "SIGNAL", "period": PERIOD, "batch_id": batch, "row_number": i + 2,
                   "township_code": None, "village": None, "event_date": None,
                   "amount_fen": LAT_AMOUNT_FEN, "risk": "ILLNESS", "risk_subtype": None, "facts": {},
                   "produced_at": int(time.time() * 1000)}
            value = rhtest.encode("FeedRecord", rec)
            t = time.monotonic()
            p.produce(topic, key=idn.encode(), value=value, on_delivery=on_delivery)
            sent[idn] = (t, i >= n_warm)
            p.poll(0)
        send_s = time.monotonic() - start
        p.flush(60)
        if failed or len(delivered) != total:
            die(f"producing: {len(delivered)} of {total} delivered, errors {failed[:3]}")
        say(f"produced {total} records in {send_s:.2f} s ({total / send_s:,.0f} records/s achieved)")

        # the last alerts
        deadline = time.monotonic() + 60
        while len(reader.got) < total and time.monotonic() < deadline and reader.error is None:
            time.sleep(0.1)
        time.sleep(1.0)  # a duplicate would come in the same or a later transaction
        reader.stop.set()
        reader.join(30)
        if reader.error:
            die(f"alert reader: {reader.error}")

        join.send_signal(signal.SIGTERM)
        try:
            rc = join.wait(60)
        except subprocess.TimeoutExpired:
            join.kill()
            join.wait()
            die(f"riskhub-join did not stop within 60 s of SIGTERM; log {err_path}")
    finally:
        if join.poll() is None:
            join.kill()
            join.wait()
        err_fp.close()
        out_fp.close()
        if reader is not None and reader.is_alive():
            reader.stop.set()
            reader.join(10)

    out = out_path.read_text()
    s = parse_summary(out)
    say(f"riskhub-join: SIGTERM -> exit {rc}")
    if s:
        say("  " + out.strip().splitlines()[-1])
    if rc != 0 or s is None:
        die(f"riskhub-join exit {rc} after SIGTERM (summary {'found' if s else 'missing'}); log {err_path}")

    lat, ids, wrong_source, unknown = [], collections.Counter(), 0, 0
    for arrival, value in reader.got:
        a = decode_alert(value)
        ids[a["alert_id"]] += 1
        idn = a["person_id_number"]
        if idn not in sent:
            unknown += 1
            continue
        src = a["source"]
        if (src["topic"], src["partition"], src["offset"]) != (topic, *delivered[idn]):
            wrong_source += 1
        if ids[a["alert_id"]] == 1 and sent[idn][1]:
            lat.append((arrival - sent[idn][0]) * 1000)
    lat.sort()
    dups = sum(n - 1 for n in ids.values() if n > 1)
    measured = sum(1 for t, m in sent.values() if m)
    res = {"prefix": prefix, "summary": s, "sent": total, "measured_sent": measured, "matched": len(lat),
           "received": len(reader.got), "dups": dups, "wrong_source": wrong_source, "unknown": unknown,
           "achieved_rate": total / send_s, "p50": pct(lat, 50), "p90": pct(lat, 90),
           "p99": pct(lat, 99), "max": lat[-1] if lat else float("nan"),
           "min": lat[0] if lat else float("nan")}
    say(f"alerts received {len(reader.got)} of {total} sent; measured (after warm-up): {len(lat)} matched of "
        f"{measured} sent; duplicates {dups}, wrong source {wrong_source}, not ours {unknown}")
    say(f"latency produce() -> alert read (read_committed), ms: min {res['min']:.1f}  p50 {res['p50']:.1f}  "
        f"p90 {res['p90']:.1f}  p99 {res['p99']:.1f}  max {res['max']:.1f}")
    if dups or wrong_source or unknown or len(lat) != measured or s["alerts"] != total:
        die(f"latency run: alerts not once each for every record (matched {len(lat)}/{measured}, dups {dups}, "
            f"wrong source {wrong_source}, not ours {unknown}, summary alerts {s['alerts']} of {total}); "
            f"log {err_path}")
    return res


# ---- main ------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=200000)
    ap.add_argument("--rows", type=int, default=650000, help="records of the throughput list")
    ap.add_argument("--rate", type=float, default=1000.0, help="records/s of the latency run")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds of the latency run")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds sent first and not counted")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave the database, topics and groups")
    ap.add_argument("--instances", type=int, default=1,
                    help="riskhub-join instances of the throughput run (one group, --instance i1..iN; "
                         "records/s = all records / the longest busy_s)")
    ap.add_argument("--join-args", default="", metavar="ARGS",
                    help="more riskhub-join options for both runs, written --join-args='--batch-ms 50'")
    ap.add_argument("--ledger", choices=("alongside", "after", "none"), default="alongside",
                    help="riskhub-ledger with the join, after its exit, or not at all (throughput phase)")
    ap.add_argument("--streams", choices=("both", "lookup", "dedup", "none"), default="both",
                    help="the Kafka Streams peer of the throughput phase (tests/bench/streams): its lookup "
                         "alone, with a store of published ids as riskhub-join keeps, both, or none")
    ap.add_argument("--streams-threads", type=int, default=1, help="num.stream.threads of the peer")
    ap.add_argument("--streams-java-opts", default="", metavar="OPTS",
                    help="JVM options of the peer, written --streams-java-opts='-Xmx512m' (default: none)")
    args = ap.parse_args()

    for prog in ("riskhub-gen", "riskhub-registry", "riskhub-produce", "riskhub-join",
                 *(("riskhub-ledger",) if args.ledger != "none" else ())):
        if not os.access(BIN / prog, os.X_OK):
            die(f"{BIN / prog} not built (scripts/build.sh release, or set RH_BIN_DIR)")
    for tool, hint in (("kcat", "scripts/deps.sh"), ("psql", "scripts/deps.sh")):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            die(f"{tool} not found ({hint})")
    if not os.access("/usr/bin/time", os.X_OK):
        die("GNU time (/usr/bin/time) not found (scripts/deps.sh)")

    command = " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]])
    if "RH_BIN_DIR" in os.environ:
        command = f"RH_BIN_DIR={shlex.quote(os.environ['RH_BIN_DIR'])} {command}"
    say(f"bench_join.py: {os.cpu_count()} cores, programs from {BIN}, broker {BOOTSTRAP}")

    work, bench, dept, feed = data(args.households, args.rows)
    n_persons = sum(1 for _ in open(work / "registry" / "members.csv", "rb")) - 1
    logs = STATE_DIR / "bench-join" / "logs" / time.strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)

    db = f"riskhub_bench_{uuid.uuid4().hex[:12]}"
    namespaces, tp, lt, import_s, failed = [], None, None, None, []
    conninfo = rhtest.create_database(db)
    try:
        env = dict(os.environ, RH_PG_CONNINFO=conninfo)
        run([BIN / "riskhub-registry", "--config", CONFIG, "migrate"], env=env, what="riskhub-registry migrate")
        import_s, _ = run([BIN / "riskhub-registry", "--config", CONFIG, "import", work / "registry"], env=env,
                          what="riskhub-registry import")
        say(f"riskhub-registry import: {args.households} households, {n_persons} persons into {db} "
            f"in {import_s:.1f} s")
        rhtest.psql(conninfo, "VACUUM ANALYZE")
        for name, skip, phase in (
                ("throughput", args.skip_throughput,
                 lambda: throughput(args, work, bench, dept, feed, conninfo, logs, namespaces)),
                ("latency", args.skip_latency, lambda: latency(args, work, conninfo, logs, namespaces))):
            if skip:
                continue
            say(f"({load_avg()})")
            try:
                result = phase()
                result["load"] = load_avg()
            except BenchError as e:
                say(f"{name}: FAILED: {e}")
                lines = [x for x in str(e).splitlines() if x.strip()]
                failed.append((name, lines[0] + (f" ... {lines[-1]}" if len(lines) > 1 else "")))
                continue
            if name == "throughput":
                tp = result
            else:
                lt = result
    finally:
        if args.keep:
            say(f"kept: database {db}, topic prefixes {' '.join(n.prefix for n in namespaces)}; logs {logs}")
        else:
            for n in namespaces:
                n.close()
            rhtest.drop_database(db)
            say(f"cleaned up: database {db}, the topics and groups of "
                f"{' '.join(n.prefix for n in namespaces) or 'no prefix'}; logs {logs}")

    def mark(ok):
        return "ok" if ok else "MISSED"

    say()
    say(f"=== riskhub-join benchmark ({os.cpu_count()} cores; registry {args.households} households, "
        f"{n_persons} persons)")
    say(f"registry import (riskhub-registry): {import_s:.1f} s")
    if tp:
        s = tp["summary"]
        say(f"registry load: {s['registry_load_s']:.2f} s (goal <= {GOALS['load']:g} s) "
            f"{mark(s['registry_load_s'] <= GOALS['load'])}")
        say(f"registry in memory (the map): {s['registry_mib']:.1f} MiB (goal <= {GOALS['rss']:g} MB) "
            f"{mark(s['registry_mib'] <= GOALS['rss'])}")
        say(f"join process peak RSS (GNU time): {tp['rss_mib']:.1f} MiB (goal <= {GOALS['rss']:g} MB) "
            f"{mark(tp['rss_mib'] <= GOALS['rss'])}")
        say(f"throughput, exactly once: {tp['rps']:,.0f} records/s ({s['records']} records in busy_s "
            f"{s['busy_s']:.2f} s; goal >= {GOALS['throughput']:,}) {mark(tp['rps'] >= GOALS['throughput'])}")
        say(f"  alerts committed: {s['alerts']} + unmatched {s['unmatched']} = {tp['alert_msgs']} messages, "
            f"each alert id once (read_committed check: {'passed' if tp['exactly_once'] else 'FAILED'}); "
            f"no_rule {s['no_rule']}, duplicates {s['duplicates']}, dlq {s['dlq']}")
        say(f"  transactions: {s['transactions']} (aborts {s['aborts']}), "
            f"{s['records'] / max(1, s['transactions']):,.0f} records each; process wall {tp['wall']:.1f} s")
        if busy_parts(s):
            say(f"  busy {s['busy_s']:.2f} s, of it: {busy_parts(s)}")
        cpu = tp["user_s"] + tp["sys_s"]
        say(f"  CPU: user {tp['user_s']:.1f} s + sys {tp['sys_s']:.1f} s = {1e6 * cpu / s['records']:.1f} us a record "
            f"(start-up included); by thread: "
            + ", ".join(f"{n} {v:.1f} s" for n, v in tp["threads"].most_common(4)))
        say(f"  peer: kcat -C read_committed, same records: {tp['kcat_rps']:,.0f} records/s ({tp['kcat_s']:.2f} s); "
            f"ratio join/kcat {tp['rps'] / tp['kcat_rps']:.2f}")
        for pr in tp["peers"]:
            ps = pr["summary"]
            say(f"  peer: Kafka Streams 3.9 exactly_once_v2 ({pr['what']}), same records: {pr['rps']:,.0f} records/s "
                f"(busy_s {ps['busy_s']:.2f} s), peak RSS {pr['rss_mib']:.0f} MiB, CPU "
                f"{1e6 * pr['cpu_s'] / ps['records']:.1f} us a record; ratio join/streams "
                f"{tp['rps'] / pr['rps']:.2f} (aim 3), RSS streams/join {pr['rss_mib'] / tp['rss_mib']:.1f}")
        say(f"  (riskhub-produce published the {args.rows} records in {tp['produce_s']:.1f} s; {tp['load']} "
            f"after the phase)")
        if tp["ledger"]:
            lg = tp["ledger"]
            say(f"warnings ledger ({args.ledger}): lag back to 0 {lg['lag_s']:.2f} s after the join's exit "
                f"(goal <= {GOALS['ledger_lag']:g} s) {mark(lg['lag_s'] <= GOALS['ledger_lag'])}; "
                f"{lg['rows'][0]} warnings + {lg['rows'][1]} check_results rows")
            say(f"  riskhub-ledger: {lg['summary']}")
    if lt:
        say(f"latency at {args.rate:g} records/s (achieved {lt['achieved_rate']:,.0f}), {args.seconds:g} s "
            f"measured: p50 {lt['p50']:.1f} ms, p90 {lt['p90']:.1f} ms, p99 {lt['p99']:.1f} ms "
            f"(goal <= {GOALS['p99']:g} ms) {mark(lt['p99'] <= GOALS['p99'])}, max {lt['max']:.1f} ms; "
            f"matched {lt['matched']} of {lt['measured_sent']} sent")
        ls = lt["summary"]
        say(f"  join: {ls['transactions']} transactions (aborts {ls['aborts']}) for {ls['records']} records, "
            f"{1000 * ls['busy_s'] / max(1, ls['transactions']):.0f} ms each on average; {lt['load']} after the phase")
        if busy_parts(ls):
            say(f"  busy {ls['busy_s']:.2f} s, of it: {busy_parts(ls)}")
    for name, why in failed:
        say(f"{name}: FAILED, not measured: {why}")
    say(f"({load_avg()}; other programs running on the machine affect the figures)")
    say(f"command: {command}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        sys.exit(f"bench_join.py: {e}")
