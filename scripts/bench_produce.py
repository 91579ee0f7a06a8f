#!/usr/bin/env python3
"""Benchmark: riskhub-produce's full path against kcat -P, same broker, same run.

riskhub: a 650,000-row department file -> parse, validate, Avro-encode,
publish in one transaction, every record acknowledged (acks=all, idempotent).
kcat: the SAME keys and the SAME Avro bytes riskhub published (read back from
the topic), pre-encoded in a file, published with the same producer settings
(acks=all, idempotence, the config's compression). Wall time from start to
exit (both wait for every acknowledgement). Peak RSS from wait4().

Prints records/s, MB/s (of the input file for riskhub; of key+value bytes for
both), the ratio riskhub/kcat, and peak RSS. Not a test: it asserts nothing.

Everything is published in a test namespace of tests/rhtest (topic prefix
rhtest-bench-<random>., the kcat topics under it too), deleted at the end: the
default namespace (no prefix) is never written.

  scripts/bench_produce.py [--rows 650000] [--runs 3]
Needs the services (scripts/services.sh start) and a release build.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import rhtest  # noqa: E402  (tests/rhtest: the helpers shared with the tests)

PERIOD = "2026-10"
KEY_DELIM = b"\x1f|RHK|\x1f"
MSG_DELIM = b"\x1e|RHM|\x1e"


def timed(cmd, **kw):
    """(seconds, stdout, stderr, exit code) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    out, err = proc.communicate()
    secs = time.perf_counter() - t0
    return secs, out.decode(errors="replace"), err.decode(errors="replace"), proc.returncode


def rss_of(cmd, env=None):
    """Peak RSS (MiB) of a command, measured with GNU time if present, else None."""
    if not Path("/usr/bin/time").exists():
        return None
    r = subprocess.run(["/usr/bin/time", "-f", "RSS_KB=%M", *cmd], capture_output=True, text=True, env=env)
    m = re.search(r"RSS_KB=(\d+)", r.stderr)
    return int(m.group(1)) / 1024 if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=650000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    work = rhtest.SRC / ".local" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    src = work / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    if not src.exists() or sum(1 for _ in open(src, "rb")) != args.rows + 1:
        r = rhtest.run("riskhub-gen", "--config", rhtest.CONFIG, "--out", work, "--period", PERIOD,
                       "--households", 200000, "--feed", "health/major-disease",
                       "--big-feed-rows", args.rows, "--seed", 7)
        assert r.returncode == 0, r.stderr
    size = src.stat().st_size
    # --republish: every run (and the RSS run) sends the same file again, which is what is
    # measured; the look-up of health's own feed.health.manifests (published already, the
    # chain's last link) still runs, over that one department's small topic (docs/producer.md)
    produce = [str(rhtest.BIN / "riskhub-produce"), "--config", str(rhtest.CONFIG), "-d", "health",
               "-f", "major-disease", "-p", PERIOD, "--no-progress", "--republish", str(src)]

    ns = rhtest.Namespace(database=False, kind="bench")
    try:
        cfg = rhtest.load_config()
        kprops = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in cfg["kafka"].items()}
        kprops["bootstrap.servers"] = rhtest.BOOTSTRAP

        results = {"riskhub": [], "kcat": []}
        kcat_input = work / "kcat-input.bin"
        payload = 0
        for run in range(args.runs):
            secs, out, err, rc = timed(produce, env=ns.env())
            if rc != 0:
                sys.exit(f"riskhub-produce failed ({rc}): {err}")
            results["riskhub"].append(secs)
            if run == 0:
                # the same keys and Avro bytes, for kcat
                bid = rhtest.batch_id("health", "major-disease", PERIOD, src)
                man = ns.manifests_by_batch()[bid][-1]
                msgs = [m for m in rhtest.read_ranges(man["topic"], man["partitions"], timeout=300)
                        if rhtest.header(m, "batch_id") == bid]
                msgs = msgs[: args.rows]
                with open(kcat_input, "wb") as fp:
                    for m in msgs:
                        assert KEY_DELIM not in m.value() and MSG_DELIM not in m.value()
                        fp.write(m.key() + KEY_DELIM + m.value() + MSG_DELIM)
                        payload += len(m.key()) + len(m.value())
                riskhub_rss = rss_of(produce, env=ns.env())
            topic = ns.topic(f"bench.kcat.{run}")
            kcat = ["kcat", "-P", *rhtest.kcat_config(rhtest.STATE_DIR, rhtest.KAFKA_CREDENTIALS), "-b", rhtest.BOOTSTRAP, "-t", topic, "-K", KEY_DELIM.decode(),
                    "-D", MSG_DELIM.decode(), "-X", "enable.idempotence=true", "-X", "acks=all"]
            for k in ("compression.type", "linger.ms", "batch.size"):
                if k in kprops:
                    kcat += ["-X", f"{k}={kprops[k]}"]
            kcat += ["-l", str(kcat_input)]
            secs, out, err, rc = timed(kcat)
            if rc != 0:
                sys.exit(f"kcat failed ({rc}): {err}")
            results["kcat"].append(secs)
            if run == 0:
                kcat_rss = rss_of(kcat)
    finally:
        ns.close()

    n = args.rows
    best = {k: min(v) for k, v in results.items()}
    print(f"input: {n} rows, {size / 1e6:.1f} MB CSV; published {payload / 1e6:.1f} MB of keys + Avro values")
    print(f"runs: {args.runs} each, interleaved; best run shown (all: "
          + "; ".join(f"{k} {', '.join(f'{s:.2f}' for s in v)} s" for k, v in results.items()) + ")")
    print(f"{'':10} {'seconds':>8} {'records/s':>10} {'MB/s in':>8} {'MB/s out':>9} {'peak RSS':>9}")
    print(f"{'riskhub':10} {best['riskhub']:8.2f} {n / best['riskhub']:10.0f} {size / 1e6 / best['riskhub']:8.1f} "
          f"{payload / 1e6 / best['riskhub']:9.1f} {riskhub_rss or float('nan'):8.1f}M")
    print(f"{'kcat -P':10} {best['kcat']:8.2f} {n / best['kcat']:10.0f} {'':>8} "
          f"{payload / 1e6 / best['kcat']:9.1f} {kcat_rss or float('nan'):8.1f}M")
    print(f"ratio riskhub/kcat (records/s): {best['kcat'] / best['riskhub']:.2f}  (goal >= 0.50); "
          f"riskhub peak RSS goal < 64 MB")


if __name__ == "__main__":
    main()
