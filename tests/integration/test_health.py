"""riskhub-health on the real broker (docs/operations.md, "The hub's health"): a
namespace after a produced and joined month is healthy (every LSO at its HW, the
join's group with lag 0); records the join has not read show as its lag (and
--max-lag makes that unhealthy); a transaction left open is "open" while young and
"hanging" once older than the transaction timeout allows, with the
kafka-transactions commands; a topic keeping its records shorter than the
configuration's topics.retention asks is unhealthy, with the kafka-configs command
that mends it; a broker away is exit 69, bad options 64, a bad configuration 78.

The open transaction is a raw transactional producer (confluent-kafka) in a child
process, in the test's namespace, that writes and waits without committing
(transaction.timeout.ms 10 min: the coordinator leaves it open for the test).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import json
import subprocess
import time
from datetime import datetime, timedelta, timezone

import rhtest
from rhtest import PERIOD, assert_no_full_id, run_join

MONTH = dict(households=300, rows_per_feed=10, seed=20267)

HEALTHY, UNHEALTHY, UNAVAILABLE, USAGE, CONFIG = 0, 2, 69, 64, 78
DAY_MS = 86400000

def health(ns, *args, env=None):
    """riskhub-health --json in the namespace: (exit code, the report or None, stderr)."""
    r = ns.run("riskhub-health", "--json", *args, timeout=int(__import__("os").environ.get("RH_HEALTH_TIMEOUT", "180")), env=env)
    assert_no_full_id(r.stdout, r.stderr)
    try:
        report = json.loads(r.stdout) if r.stdout.strip() else None
    except ValueError:
        report = None
    return r.returncode, report, r.stderr


def parts_of(report):
    return {(p["topic"], p["partition"]): p for p in report["partitions"]}


def lag_of(report, group):
    return {g["topic"]: g for g in report["groups"] if g["group"] == group}


def month_in(ns, month, tmp_path, only=None):
    files = rhtest.feed_files(month / PERIOD)
    ns.produce_all([(d, f, p) for d, f, p in files if only is None or (d, f) in only])
    run_join(ns, tmp_path)
    return files


def test_healthy_after_a_month(namespace, month, tmp_path):
    ns = namespace(month / "registry")
    month_in(ns, month, tmp_path)
    other = namespace(database=False)  # another namespace's topics are not this one's
    rc, rep, err = health(ns, "--window-s", "1")
    assert rc == HEALTHY, f"exit {rc}: {err}"
    assert rep["healthy"] and rep["hanging"] == 0 and rep["open"] == 0, rep
    parts = parts_of(rep)
    topics = {t for t, _ in parts}
    assert all(t.startswith(ns.prefix) for t in topics), sorted(topics)
    assert not any(t.startswith(other.prefix) for t in topics)
    for name in ("feed.health.manifests", "feed.health.rejects", "alerts.unmatched"):
        assert ns.topic(name) in topics, f"{name} not reported: {sorted(topics)}"
    assert any(t.startswith(ns.topic("alerts.4")) for t in topics)
    assert any(t.startswith(ns.topic("checks.")) for t in topics)
    # every partition: LSO = HW, as confluent-kafka's own reader sees them
    c = rhtest.consumer(**{"isolation.level": "read_uncommitted"})
    try:
        for (t, p), x in parts.items():
            assert x["state"] == "ok" and x["lso"] == x["hw"], x
            assert x["hw"] == rhtest.high_watermark(c, t, p), x
    finally:
        c.close()
    assert sum(x["hw"] for x in parts.values()) > 0
    join = lag_of(rep, ns.prefix + "riskhub-join")
    assert join, f"the join's group is not reported: {rep['groups']}"
    feeds = {t for t in topics if t.startswith(ns.topic("feed."))}
    assert set(join) <= feeds and ns.topic("feed.health.manifests") in join, sorted(join)
    for t, g in join.items():
        assert g["lag"] == 0, f"{t}: lag {g['lag']} after the join went through the month"

    # retention: every topic of a class, the join's own and those the namespace made,
    # as the shipped configuration asks (topics.retention: 400 days by default)
    rets = {r["topic"]: r for r in rep["retention"]}
    assert rep["retention_short"] == 0 and rets, rep["retention"]
    assert rets[ns.topic("feed.health.manifests")]["class"] == "manifests"
    assert rets[ns.topic("feed.health.rejects")]["class"] == "rejects"
    assert rets[ns.topic("alerts.unmatched")]["class"] == "alerts"
    assert all(r["retention_ms"] == r["asked_ms"] == 400 * DAY_MS for r in rets.values()), rets
    assert set(rets) == {t for t in topics if rhtest.topic_class(t)}, sorted(set(topics) - set(rets))

    # the table says the same
    r = ns.run("riskhub-health", "--window-s", "0")
    assert r.returncode == HEALTHY, r.stderr
    assert "every partition: LSO = HW" in r.stdout and r.stdout.rstrip().endswith("healthy"), r.stdout
    assert ns.prefix + "riskhub-join" in r.stdout
    assert "every topic keeps its records as long as the configuration asks" in r.stdout, r.stdout


def test_retention_by_topic_class(namespace, month, tmp_path):
    """topics.retention / topics.segment of the configuration are set on the topics
    riskhub-produce and the join create; riskhub-health reports a topic that keeps its records shorter than
    the configuration asks (exit 2, with the command that mends it), and is healthy
    again once scripts/kafka.sh configs has mended it."""
    ns = namespace()
    cfg = rhtest.CONFIG.read_text() + ("\ntopics:\n  retention:\n    alerts: 2d\n    manifests: forever\n"
                                      "    dlq: 90s\n    feeds: 90d\n  segment: 1d\n")
    config = tmp_path / "retention.yaml"
    config.write_text(cfg)
    # a feed topic the namespace had made: gone, then made again by riskhub-produce
    dept, feed, path = next(f for f in rhtest.feed_files(month / PERIOD) if f[:2] == ("health", "major-disease"))
    topic = ns.topic(f"feed.{dept}.{feed}")
    rhtest.admin().delete_topics([topic], operation_timeout=30)[topic].result(60)
    rhtest.wait_for(lambda: topic not in ns.topics("feed."), 60, "the deletion")
    ns.produce(dept, feed, path, config=config)
    got = rhtest.topic_configs(topic)
    assert got["retention.ms"] == str(90 * DAY_MS) and got["segment.ms"] == str(DAY_MS), got
    j = ns.join("--idle-exit-ms", rhtest.IDLE_MS, config=config, log_dir=tmp_path / "logs")
    assert j.wait(120) == 0, j.tail()  # nothing to read: creates its outputs, exits idle
    code = rhtest.load_config()["townships"][0]["code"]
    town = ns.topic(f"alerts.{code}")
    got = rhtest.topic_configs(town)
    assert got["retention.ms"] == str(2 * DAY_MS) and got["segment.ms"] == str(DAY_MS), got
    got = rhtest.topic_configs(ns.topic("riskhub.dlq"))
    assert got["retention.ms"] == "90000" and got["segment.ms"] == "90000", got  # segment <= retention
    got = rhtest.topic_configs(ns.topic(f"checks.{code}"))
    assert got["retention.ms"] == str(400 * DAY_MS) and got["segment.ms"] == str(DAY_MS), got
    got = rhtest.topic_configs(ns.prefix + "riskhub-join.published")  # compacted, no class
    assert got["cleanup.policy"] == "compact", got

    # the departments' manifests topics were made with 400 days (rhtest, as produce
    # would with the shipped configuration); this configuration asks forever. One
    # department's is kept (the others deleted: one command to mend, one to run)
    man = ns.topic("feed.health.manifests")
    others = [t for t in ns.topics_of("feed.manifests") if t != man]
    for t, f in rhtest.admin().delete_topics(others, operation_timeout=30).items():
        f.result(60)
    rhtest.wait_for(lambda: not set(others) & set(ns.topics("feed.")), 60, "the deletions")
    rc, rep, err = health(ns, "--window-s", "0", "--config", str(config))
    assert rc == UNHEALTHY, f"exit {rc}: {err}"
    short = [r for r in rep["retention"] if r["shorter"]]
    assert [(r["topic"], r["class"], r["retention_ms"], r["asked_ms"]) for r in short] == \
        [(man, "manifests", 400 * DAY_MS, -1)], short
    fix = (f"scripts/kafka.sh configs --alter --entity-type topics --entity-name {man} "
           f"--add-config retention.ms=-1")
    assert rep["commands"] == [fix] and rep["retention_short"] == 1 and not rep["healthy"], rep
    r = ns.run("riskhub-health", "--window-s", "0", "--config", config)
    assert r.returncode == UNHEALTHY, r.stderr
    assert "SHORTER" in r.stdout and fix in r.stdout and \
        "1 topic(s) keeping records shorter than the configuration asks" in r.stdout, r.stdout

    # mended with the command it printed: healthy
    k = subprocess.run(["bash", str(rhtest.SRC / fix.split()[0]), *fix.split()[1:]], capture_output=True,
                       text=True, timeout=120, cwd=rhtest.SRC)
    assert k.returncode == 0, k.stderr[-2000:]
    # the controller has committed the change; a broker applies it from the metadata log a moment later
    rhtest.wait_for(lambda: rhtest.topic_configs(man)["retention.ms"] == "-1", 30,
                    "the broker to apply retention.ms=-1")
    rc, rep, err = health(ns, "--window-s", "0", "--config", str(config))
    assert rc == HEALTHY and rep["retention_short"] == 0, (rc, err, [r for r in rep["retention"] if r["shorter"]])


def test_lag_of_records_the_join_has_not_read(ns, month, tmp_path):
    files = rhtest.feed_files(month / PERIOD)
    (da, fa, pa), (db, fb, pb) = files[0], files[1]
    ns.produce(da, fa, pa)
    # the join never ran (its group does not exist yet): the whole list is its lag
    rc, rep, err = health(ns, "--window-s", "0", "--max-lag", "0")
    assert rc == UNHEALTHY, f"exit {rc}: {err}"
    ta = ns.topic(f"feed.{da}.{fa}")
    first = lag_of(rep, ns.prefix + "riskhub-join")
    assert first[ta]["lag"] == sum(x["lso"] for (t, p), x in parts_of(rep).items() if t == ta) > 0, first
    assert first[ta]["committed_partitions"] == 0
    run_join(ns, tmp_path)
    rc, rep, err = health(ns, "--window-s", "0", "--max-lag", "0")
    assert rc == HEALTHY, f"exit {rc}: {rep and rep['groups']}"
    before = parts_of(rep)
    # the joined list again, and another one, the join not running
    ns.produce(da, fa, pa, "--republish")
    ns.produce(db, fb, pb)
    rc, rep, err = health(ns, "--window-s", "0")
    assert rc == HEALTHY, f"exit {rc} without --max-lag: {err}"
    after = parts_of(rep)
    join = lag_of(rep, ns.prefix + "riskhub-join")
    # what was written after the join went through (the records, then one commit
    # marker a partition: the offsets from the first record left up to the LSO)
    written = sum(x["lso"] - before[(t, p)]["lso"] for (t, p), x in after.items() if t == ta)
    records = sum(1 for _ in rhtest.read_topic(ta, since={p: before[(ta, p)]["lso"] for p in range(3)}))
    assert records > 0 and written > records
    assert join[ta]["lag"] == written, f"lag {join[ta]['lag']}, written {written}"
    # da's manifests topic: the republished list's manifest and its transaction's
    # marker (db's too if it is the same department)
    man = ns.topic(f"feed.{da}.manifests")
    written_man = sum(x["lso"] - before[(t, p)]["lso"] for (t, p), x in after.items() if t == man)
    assert 2 <= join[man]["lag"] <= written_man, f"manifests: lag {join[man]['lag']}, written {written_man}"
    # a list on a topic the join never committed on is its lag too (from the low
    # watermark: the whole list, its markers included)
    tb = ns.topic(f"feed.{db}.{fb}")
    assert join[tb]["committed_partitions"] == 0
    assert join[tb]["lag"] == sum(x["lso"] for (t, p), x in after.items() if t == tb) > 0, join[tb]

    lag = join[ta]["lag"] + join[man]["lag"]
    rc, rep, err = health(ns, "--window-s", "0", "--max-lag", str(max(join[ta]["lag"], join[man]["lag"])))
    assert rc == HEALTHY, err
    rc, rep, err = health(ns, "--window-s", "0", "--max-lag", str(join[ta]["lag"] - 1))
    assert rc == UNHEALTHY and not rep["healthy"] and rep["lag_over"] >= 1, rep
    r = ns.run("riskhub-health", "--window-s", "0", "--max-lag", str(join[ta]["lag"] - 1))
    assert r.returncode == UNHEALTHY and "UNHEALTHY" in r.stdout and "> --max-lag" in r.stdout, r.stdout
    assert lag > 0

    # the join reads them: lag 0 again
    run_join(ns, tmp_path)
    rc, rep, err = health(ns, "--window-s", "0", "--max-lag", "0")
    assert rc == HEALTHY, f"exit {rc}: {rep and rep['groups']}"
    assert all(g["lag"] == 0 for g in rep["groups"]), rep["groups"]


def test_open_then_hanging_transaction(namespace, tmp_path):
    ns = namespace(database=False)
    dlq = ns.topic("riskhub.dlq")
    rhtest.create_topics([dlq])
    rhtest.produce_in_txn([(dlq, p, b"k", b"committed before") for p in range(3)])
    t0 = time.time()
    txn = rhtest.OpenTransaction(ns.prefix + "open", [(dlq, 1)])
    try:
        # young: open, not hanging, even with a short transaction timeout
        rc, rep, err = health(ns, "--window-s", "2", "--txn-timeout-s", "5")
        assert rc == HEALTHY, f"exit {rc}: {err}"
        x = parts_of(rep)[(dlq, 1)]
        assert x["state"] == "open" and x["lso"] == 2 and x["hw"] == 3, x
        assert x["lso_first"] == x["lso"] and x["hw_first"] == x["hw"], x
        assert 0 <= x["open_for_ms"] < 15000, x
        assert rep["open"] == 1 and rep["hanging"] == 0 and rep["commands"] == [], rep
        assert all(p["state"] == "ok" for (t, n), p in parts_of(rep).items() if n != 1), rep
        assert rep["hanging_after_ms"] == 15000, rep

        # healthy producers commit after it: the HW moves on, the LSO stays
        rhtest.produce_in_txn([(dlq, 1, b"k", b"committed after")])
        time.sleep(max(0.0, t0 + 16 - time.time()))
        rc, rep, err = health(ns, "--window-s", "2", "--txn-timeout-s", "5")
        assert rc == UNHEALTHY, f"exit {rc}, expected {UNHEALTHY}: {err}"
        x = parts_of(rep)[(dlq, 1)]
        assert x["state"] == "hanging" and x["lso"] == 2 and x["hw"] == 5, x
        assert x["open_for_ms"] > 15000, x
        assert rep["hanging"] == 1 and not rep["healthy"], rep
        leader = x["leader"]
        assert rep["commands"] == [
            f"scripts/kafka.sh transactions find-hanging --broker-id {leader} --max-transaction-timeout 0",
            f"scripts/kafka.sh transactions abort --topic {dlq} --partition 1 --start-offset 2"], rep
        r = ns.run("riskhub-health", "--window-s", "1", "--txn-timeout-s", "5")
        assert r.returncode == UNHEALTHY, r.stderr
        assert "HANGING" in r.stdout and "A hanging transaction" in r.stdout, r.stdout
        assert f"abort --topic {dlq} --partition 1 --start-offset 2\n" in r.stdout, r.stdout

        # riskhub's producers' 60 s (the config's default): not yet hanging
        rc, rep, err = health(ns, "--window-s", "1")
        assert rc == HEALTHY and parts_of(rep)[(dlq, 1)]["state"] == "open", rep
        assert rep["hanging_after_ms"] == 70000, rep
        # a configured transaction.timeout.ms is the default
        cfg = rhtest.config_with(tmp_path, transaction_timeout_ms=2000)
        rc, rep, err = health(ns, "--config", cfg, "--window-s", "1")
        assert rep and rep["hanging_after_ms"] == 12000 and rc == UNHEALTHY, (rc, err)
    finally:
        aborted = txn.abort()
    assert aborted
    # aborted: LSO = HW again, nothing open
    rc, rep, err = health(ns, "--window-s", "1", "--txn-timeout-s", "5")
    assert rc == HEALTHY, f"exit {rc}: {err}"
    x = parts_of(rep)[(dlq, 1)]
    assert x["state"] == "ok" and x["lso"] == x["hw"] == 6, x


def test_exits(namespace, tmp_path):
    ns = namespace(database=False)
    away = {"RH_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    t = time.time()
    r = ns.run("riskhub-health", "--timeout-s", "2", env=away)
    assert r.returncode == UNAVAILABLE, f"broker away: exit {r.returncode}: {r.stderr}"
    assert "the broker did not answer" in r.stderr and time.time() - t < 30, r.stderr
    for args in (["--window-s", "x"], ["--max-lag", "-1"], ["--timeout-s", "0"], ["extra"],
                 ["--no-such-option"]):
        r = ns.run("riskhub-health", *args)
        assert r.returncode == USAGE, f"{args}: exit {r.returncode}: {r.stderr}"
    r = ns.run("riskhub-health", "--window-s", "x")
    assert "--window-s: expected a whole number" in r.stderr, r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("kafka:\n  bootstrap.servers: [\n")
    r = ns.run("riskhub-health", "--config", bad)
    assert r.returncode == CONFIG and str(bad) in r.stderr, f"exit {r.returncode}: {r.stderr}"
    r = ns.run("riskhub-health", "--config", tmp_path / "missing.yaml")
    assert r.returncode == CONFIG, f"exit {r.returncode}: {r.stderr}"
    r = ns.run("riskhub-health", "--config", rhtest.config_with(tmp_path, no_such_property="1"))
    assert r.returncode == CONFIG and "no.such.property" in r.stderr, f"exit {r.returncode}: {r.stderr}"
    r = ns.run("riskhub-health", "--help")
    assert r.returncode == 0 and "usage: riskhub-health" in r.stdout
    # a namespace of empty input topics, no group yet: healthy; the join's group
    # (not there yet) with every input topic at lag 0
    rc, rep, err = health(ns, "--window-s", "0", "--max-lag", "0")
    assert rc == HEALTHY, (rc, err)
    assert {g["group"] for g in rep["groups"]} == {ns.prefix + "riskhub-join"}, rep["groups"]
    assert all(g["lag"] == 0 and g["committed_partitions"] == 0 for g in rep["groups"]), rep
    assert ns.topic("feed.health.manifests") in {g["topic"] for g in rep["groups"]}
    assert ns.topic("feed.health.rejects") in {g["topic"] for g in rep["groups"]}  # read past
    assert rep["partitions"] and all(p["hw"] == p["lso"] == 0 for p in rep["partitions"]), rep


def test_monthly_archive_overdue(namespace, tmp_path):
    """With archive.dir: a month of the ledger a night past its deadline and grace
    without its archive is unhealthy, with the command that archives it; a month not
    due yet is not; an archived one (its SHA256SUMS) is healthy; PostgreSQL away: 69."""
    ns = namespace()
    archive = tmp_path / "archive"
    env = {"RH_ARCHIVE_DIR": archive}
    row = ("INSERT INTO list_manifests (topic, partition, \"offset\", batch_id, department, feed, "
           "kind, period, source_name, source_sha256, rows_total, rows_accepted, rows_rejected, "
           "started_at, finished_at, producer) VALUES ('{t}', 0, {o}, 'b{o}', 'tax', 'businesses', "
           "'SIGNAL', '{p}', 'x.csv', '0', 1, 1, 0, now(), now(), 'test_health.py')")
    future = (datetime.now(timezone.utc) + timedelta(days=62)).strftime("%Y-%m")
    for o, p in enumerate(("2026-09", "2026-10", future)):
        rhtest.psql(ns.conninfo, row.format(t=ns.topic("feed.tax.manifests"), o=o, p=p))
    rc, rep, err = health(ns, "--window-s", "0", env=env)
    assert rc == UNHEALTHY and not rep["healthy"], (rc, err)
    assert rep["archive"] == {"dir": str(archive), "months": 3, "archived": 0,
                              "overdue": ["2026-09", "2026-10"], "error": None}, rep["archive"]
    assert rep["archive_overdue"] == 2
    assert any(c.endswith(" --archive-due") for c in rep["commands"]), rep["commands"]
    r = ns.run("riskhub-health", "--window-s", "0", env=env)
    assert r.returncode == UNHEALTHY and "OVERDUE" in r.stdout and "2026-09 2026-10" in r.stdout
    for p in ("2026-09", "2026-10"):  # as --archive-due leaves them (SHA256SUMS written last)
        (archive / p).mkdir(parents=True)
        (archive / p / "SHA256SUMS").write_text("")
    rc, rep, err = health(ns, "--window-s", "0", env=env)
    assert rc == HEALTHY and rep["archive"]["archived"] == 2 and rep["archive"]["overdue"] == [], \
        (rc, rep.get("archive"), err)
    rc, rep, err = health(ns, "--window-s", "0",
                          env=dict(env, RH_PG_CONNINFO="host=127.0.0.1 port=1 dbname=x "
                                                       "connect_timeout=1"))
    assert rc == UNAVAILABLE and rep and rep["archive"]["error"].startswith("PostgreSQL"), (rc, err)
    assert "the monthly archive is not known" in err
    rc, rep, err = health(ns, "--window-s", "0")  # no archive.dir: not checked
    assert rc == HEALTHY and "archive" not in rep, (rc, err)
