"""A month that outlives the broker's retention (issue #14; docs/operations.md,
"Retention" and "The monthly archive"), in namespaces whose topics keep their records
seconds (retention 3 s, segment 1 s; the test brokers look for expired segments every
5 s):

  - the broker deletes a month's alerts and check results; the departments then
    publish the month's lists again (--republish): the join raises no alert and no
    check result twice, because the ids it published live in its compacted changelog
    (riskhub-join.published), which retention does not touch, not in the alert topics;
  - the month is archived by the mechanism a deployment's timer runs
    (riskhub-replay --archive-due), then the broker deletes all of it — lists,
    manifests, rejects, alerts, check results: the month's status and the quarter's
    (from the ledger), the replay (from the archive, saying so) and a township
    dashboard's window of the month (riskhub-alerts --period, from the archive) say
    what they said before the deletion; a re-published list raises nothing twice.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import json
import os
import re
import stat
import subprocess
import time

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource

import rhtest
from rhtest import IDLE_MS, PERIOD

MONTH = dict(households=300, rows_per_feed=10, seed=20314)
SECONDS = ("\ntopics:\n  retention:\n    alerts: 3s\n    checks: 3s\n    dlq: 3s\n  segment: 1s\n")


def wait_deleted(topics, seconds=120):
    """Until the broker has deleted every record of the topics (low == high everywhere)."""
    marks = watermarks(topics)
    assert sum(h for _, h in marks.values()) > 0, marks
    deadline = time.monotonic() + seconds
    while any(low < high for low, high in marks.values()):
        assert time.monotonic() < deadline, (f"the broker did not delete in {seconds} s: "
                                             f"{[k for k, (l, h) in marks.items() if l < h]}")
        time.sleep(1)
        marks = watermarks(topics)


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
    ns.produce_all(files, config=config)
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

    ns.produce_all(files, "--republish", config=config)  # the month's lists again
    again = join(ns, config, tmp_path)
    assert again["records"] > 0, again
    assert again["alerts"] == again["unmatched"] == again["checks"] == 0, \
        f"published twice after the broker deleted the month's alerts: {again}"
    assert again["duplicates"] >= first["alerts"] + first["unmatched"], (first, again)
    assert not rhtest.read_topics(outputs), "alerts or check results published again"


# ---- the month after the broker deleted all of it ---------------------------------------

def seconds_retention(topics, on=True):
    """retention.ms 3 s and segment.ms 1 s on existing topics: a month the broker keeps
    until it is archived, then forgets in seconds (as a deployment's 400 days).
    on=False takes both off again (the broker's defaults: a week)."""
    op = AlterConfigOpType.SET if on else AlterConfigOpType.DELETE
    res = []
    for t in topics:
        r = ConfigResource(ConfigResource.Type.TOPIC, t)
        r.add_incremental_config(ConfigEntry("retention.ms", "3000", incremental_operation=op))
        r.add_incremental_config(ConfigEntry("segment.ms", "1000", incremental_operation=op))
        res.append(r)
    for f in rhtest.admin().incremental_alter_configs(res).values():
        f.result(timeout=30)
    # the controller has committed it; wait until the broker describes it too
    want = "3000" if on else None

    def applied():
        got = rhtest.admin().describe_configs(
            [ConfigResource(ConfigResource.Type.TOPIC, t) for t in topics])
        for f in got.values():
            e = f.result(timeout=30)["retention.ms"]
            topic_own = int(getattr(e.source, "value", e.source)) == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
            if (e.value if topic_own else None) != want:
                return False
        return True
    rhtest.wait_for(applied, 60, f"the broker to describe retention.ms {want or '(the default)'}")


def quarter_of(period):
    y, m = period.split("-")
    return f"{y}-Q{(int(m) - 1) // 3 + 1}"


def looks(ns, env, cfg_path):
    """What the month looks like to its readers: the status of the month and of the
    quarter (CSV), the replay's report (JSON) and exit code, and the county office's
    window of the month's warnings (riskhub-alerts --all --unmatched --period, JSON
    lines): (status, quarter, (replay rc, report), (alert ids, stderr))."""
    def run(program, *args):
        r = ns.run(program, "--config", cfg_path, *args, env=env, timeout=300)
        rhtest.assert_no_full_id(r.stdout, r.stderr)
        return r
    st = run("riskhub-status", "--period", PERIOD, "--format", "csv")
    assert st.returncode in (0, 1), st.stderr
    qu = run("riskhub-status", "--quarter", quarter_of(PERIOD), "--format", "csv")
    assert qu.returncode in (0, 1), qu.stderr
    rp = run("riskhub-replay", "--period", PERIOD, "--format", "json")
    assert rp.returncode in (0, 70) and rp.stdout, rp.stderr[-3000:]
    rep = json.loads(rp.stdout)
    al = run("riskhub-alerts", "--all", "--unmatched", "--period", PERIOD, "--format", "jsonl",
             "--no-registry")
    assert al.returncode == 0, al.stderr[-3000:]
    alerts = sorted(json.dumps(a, sort_keys=True) for a in map(json.loads, al.stdout.splitlines()))
    return st.stdout, qu.stdout, (rp.returncode, rep), (alerts, al.stderr)


def test_the_month_after_the_broker_deleted_it(namespace, month, tmp_path):
    ns = namespace(month / "registry")
    archive = tmp_path / "archive"
    env = {"RH_ARCHIVE_DIR": archive}
    config = rhtest.CONFIG
    files = rhtest.feed_files(month / PERIOD)
    ns.produce_all(files, config=config)
    # a corrected list whose last two rows are refused (ID numbers cut short)
    dept, feed, path = files[0]
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cut = [",".join("12345" if re.fullmatch(r"[0-9]{17}[0-9X]", c) else c for c in line.split(","))
           for line in lines[-2:]]
    corrected = tmp_path / f"corrected.{dept}.{feed}.{PERIOD}.csv"
    corrected.write_text("\n".join(lines[:-2] + cut) + "\n", encoding="utf-8")
    ns.produce(dept, feed, corrected, "--allow-rejects", config=config)
    first = join(ns, config, tmp_path)
    assert first["alerts"] > 0 and first["checks"] > 0, first
    rhtest.run_ledger(ns)

    before = looks(ns, env, config)
    status, quarter, (rc, rep), (alerts, _) = before
    assert rep["source"] == "broker" and rep["totals"]["records"] > 0, rep["source"]
    assert len(alerts) == first["alerts"] + first["unmatched"], (len(alerts), first)

    # the deployment's timer: not due yet as of the delivery day; due far later
    r = ns.run("riskhub-replay", "--config", config, "--archive-due", "--as-of",
               "2000-01-01T00:00:00Z", env=env)
    assert r.returncode == 0 and "archived=0 already=0 not_due=1 failed=0" in r.stdout, \
        r.stdout + r.stderr[-2000:]
    r = ns.run("riskhub-replay", "--config", config, "--archive-due", "--as-of",
               "2099-01-01T00:00:00Z", env=env, timeout=300)
    assert r.returncode == 0 and "archived=1 already=0 not_due=0 failed=0" in r.stdout, \
        r.stdout + r.stderr[-2000:]
    assert f"{PERIOD}: archived in {archive}/{PERIOD} (verified)" in r.stdout, r.stdout
    month_dir = archive / PERIOD
    assert stat.S_IMODE(month_dir.stat().st_mode) == 0o700
    files_in = sorted(p.name for p in month_dir.iterdir())
    assert files_in == ["SHA256SUMS", "alerts.avro", "archive.json", "check-results.avro",
                        "feed-records.avro", "manifests.avro", "rejects.avro"], files_in
    # every rejected row of the month's lists is in the archive
    rejected = sum(r["rows_rejected"] for _, _, r, _ in ns.read("feed.manifests"))
    assert f" rejects={rejected} " in r.stdout and rejected == 2, (rejected, r.stdout)
    info = json.loads((month_dir / "archive.json").read_text())
    assert info["counts"]["rejects.avro"] == rejected, info
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in month_dir.iterdir())
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=month_dir, capture_output=True,
                          text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    report = json.loads((archive / f"{PERIOD}.replay.json").read_text())
    assert report["totals"] == rep["totals"], "the archive's report is not the month's"
    assert not list(archive.glob(".*.partial")), "a partial archive was left"
    r = ns.run("riskhub-replay", "--config", config, "--archive-due", "--as-of",
               "2099-01-01T00:00:00Z", env=env)
    assert r.returncode == 0 and "archived=0 already=1" in r.stdout, r.stdout

    # the broker deletes the whole month
    month_topics = ns.topics("feed.") + ns.topics("alerts.") + ns.topics("checks.")
    seconds_retention(month_topics)
    wait_deleted(month_topics)
    r = ns.run("riskhub-status", "--config", config, "--period", PERIOD, "--format", "csv",
               "--source", "topics", env=env)
    assert r.stdout != status and ",missing," in r.stdout, "the topics still had the month"

    after = looks(ns, env, config)
    assert after[0] == status, f"the month's status changed:\n{status}\n---\n{after[0]}"
    assert after[1] == quarter, f"the quarter changed:\n{quarter}\n---\n{after[1]}"
    rc2, rep2 = after[2]
    assert rep2["source"].startswith(f"archive {archive}/{PERIOD} (the broker no longer has"), \
        rep2["source"]
    assert (rc2, rep2["totals"], rep2["feeds"], rep2["differences"]) == \
        (rc, rep["totals"], rep["feeds"], rep["differences"]), "the replay changed"
    alerts2, err2 = after[3]
    assert alerts2 == alerts, f"the dashboard's window changed: {len(alerts2)} of {len(alerts)}"
    assert "from the monthly archive" in err2, err2[-2000:]

    # a changed archive is never read: the dashboard refuses (65, nothing written), the
    # replay reads the broker alone and finds the month's records gone (70)
    victim = month_dir / "alerts.avro"
    good = victim.read_bytes()
    victim.write_bytes(good[:-20] + bytes([good[-20] ^ 1]) + good[-19:])
    try:
        r = ns.run("riskhub-alerts", "--config", config, "--all", "--period", PERIOD, "--format",
                   "jsonl", "--no-registry", env=env)
        assert r.returncode == 65 and r.stdout == "" and "alerts.avro" in r.stderr, \
            (r.returncode, r.stderr[-2000:])
        r = ns.run("riskhub-replay", "--config", config, "--period", PERIOD, "--format", "json",
                   env=env, timeout=300)
        assert r.returncode == 70 and "monthly archive is not read" in r.stderr, r.stderr[-2000:]
        assert json.loads(r.stdout)["source"] == "broker"
    finally:
        victim.write_bytes(good)

    # a list re-published after the deletion raises nothing twice. The topics keep their
    # records again first: with 3 s the broker deleted the re-published list before a
    # loaded machine's join read it (0 records read, 2026-12-05)
    seconds_retention(month_topics, on=False)
    dept, feed, path = files[0]
    ns.produce(dept, feed, path, "--republish", config=config)
    again = join(ns, config, tmp_path)
    assert again["records"] > 0 and again["alerts"] == again["unmatched"] == again["checks"] == 0, \
        again
