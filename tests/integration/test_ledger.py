"""riskhub-ledger against the real broker and PostgreSQL (docs/ledger.md): the rows
it writes equal what the join's topics hold read_committed; a second run adds
nothing; SIGKILL in the middle, several times, then a restart: the rows are equal
and no record was written twice.

"Written twice" is measured below the ON CONFLICT DO NOTHING safety: a BEFORE
INSERT trigger (made by the test in its scratch database) notes every row the
ledger proposes in a transaction that commits (PostgreSQL fires BEFORE INSERT row
triggers also for rows that ON CONFLICT then skips; a transaction that does not
commit takes its notes with it). Exactly once into the database = every alert
and check id noted once.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (no full ID
numbers); pytest's introspection would print the compared values."""
import os
import random
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

import rhtest
from rhtest import (AUDIT_SQL, PERIOD, assert_ledger_rows as assert_rows_equal, ledger_db_rows as db_rows,
                    ledger_offsets_at_end as offsets_at_end, ledger_topic_rows as topic_rows, psql,
                    pg_rows, run_join, run_ledger, scrub)

if not rhtest.ledger_binary().exists() and not (rhtest.SRC / "consumers" / "ledger" / "main.c").exists():
    pytest.skip("riskhub-ledger is not part of this tree yet", allow_module_level=True)

HOUSEHOLDS = 3000
BIG_ROWS = int(os.environ.get("RH_LEDGER_BIG_ROWS", "60000"))
MONTH = dict(households=HOUSEHOLDS, rows_per_feed=40, seed=20261, big_feed_rows=BIG_ROWS)

@pytest.fixture
def ns(namespace, month):
    assert rhtest.ledger_binary().exists(), f"{rhtest.ledger_binary()} not built"
    n = namespace(month / "registry")
    psql(n.conninfo, AUDIT_SQL)
    return n


def test_rows_equal_the_topics_and_a_second_run_adds_nothing(ns, month, tmp_path):
    files = rhtest.feed_files(month / PERIOD)
    ns.produce_all(files)
    run_join(ns, tmp_path)

    led = run_ledger(ns, log_dir=tmp_path / "logs")
    s = led.summary()
    n_w, n_c, n_u, n_m = assert_rows_equal(ns)
    assert n_w > 0 and n_c > 0 and n_u > 0 and n_m > 0, \
        f"the month gave {n_w} warnings, {n_c} check results, {n_u} unmatched, {n_m} manifests"
    assert (s["warnings"], s["checks"], s["unmatched"], s["manifests"], s["existing"],
            s["skipped"]) == (n_w, n_c, n_u, n_m, 0, 0), \
        f"summary {s}; topics: {n_w} warnings, {n_c} check results, {n_u} unmatched, {n_m} manifests"
    assert s["records"] == n_w + n_c + n_u + n_m
    # the check lists' results issued again as later lists arrived (issue 11): the
    # current ones, one a member and check feed, all complete
    assert psql(ns.conninfo, "SELECT count(*) FILTER (WHERE superseded_by IS NOT NULL) > 0, "
                             "count(DISTINCT (member_id_number, department, feed)) FROM check_results") \
        == "t|" + psql(ns.conninfo, "SELECT count(*) FROM check_results_current"), \
        "check_results_current is not one result a member and check feed"
    assert psql(ns.conninfo, "SELECT count(*) FROM check_results_current WHERE NOT complete") == "0"
    assert not offsets_at_end(ns), f"positions short of the ends: {offsets_at_end(ns)}"
    # deadlines from the config, state PUSHED
    assert psql(ns.conninfo, "SELECT count(*) FROM warnings WHERE visit_due IS NULL OR "
                             "comparison_due IS NULL OR state <> 'PUSHED'") == "0"
    # ... counted from the push (the Alert's created_at), in the county's days (UTC+08:00)
    dl = rhtest.load_config()["deadlines"]
    want = {}
    for topic, key, rec, m in ns.read("alerts."):
        if rec["household_id"] is None:
            continue
        at = rec["created_at"]
        at = at if isinstance(at, datetime) else datetime.fromtimestamp(at / 1000, timezone.utc)
        day = (at.astimezone(timezone.utc) + timedelta(hours=8)).date()
        want[rec["alert_id"]] = (str(day + timedelta(days=dl["home_visit_days"])),
                                 str(day + timedelta(days=dl["comparison_days"])))
    got = {a: (v, c) for a, v, c in pg_rows(ns.conninfo, "SELECT alert_id, visit_due::text, "
                                                         "comparison_due::text FROM warnings")}
    assert got == want, f"{sum(got.get(a) != w for a, w in want.items())} warnings' deadlines differ"

    again = run_ledger(ns, log_dir=tmp_path / "logs")
    s2 = again.summary()
    assert (s2["records"], s2["warnings"], s2["checks"], s2["existing"]) == (0, 0, 0, 0), \
        f"a second run did something: {s2}"
    assert_rows_equal(ns)

    # the audit can tell: another consumer name (no positions in PostgreSQL) reads
    # everything again; ON CONFLICT keeps the rows single, the audit sees each twice.
    # The ledger's party has its own group only: the probe runs as the operator.
    other = run_ledger(ns, "--group", ns.topic("ledger-audit-probe"), log_dir=tmp_path / "logs",
                       env={"RH_KAFKA_CREDENTIALS": rhtest.KAFKA_CREDENTIALS})
    s3 = other.summary()
    assert (s3["warnings"], s3["checks"], s3["existing"]) == (0, 0, n_w + n_c + n_u + n_m), \
        f"summary {s3}"
    with pytest.raises(AssertionError, match="written more than once"):
        assert_rows_equal(ns)


def warnings_count(ns):
    return int(psql(ns.conninfo, "SELECT count(*) FROM warnings"))


def test_sigkill_mid_run_then_restart(ns, month, tmp_path):
    big = month / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    ns.produce("health", "major-disease", big)
    run_join(ns, tmp_path, timeout=240)
    total = len([1 for t, _k, _a, _m in ns.read("alerts.") if t != "alerts.unmatched"])

    # small batches: many transactions, so a SIGKILL lands in the middle of the work
    # (300 a batch: a restarted ledger wrote the ~2,700 rows left in less than one
    # poll of psql, and the second kill came after the end, twice in fresh runs)
    args = ("--batch-max", "100", "--batch-ms", "20")
    seen, kills = [], 0
    led = None
    try:
        for _ in range(4):
            led = ns.ledger(*args, log_dir=tmp_path / "logs")
            before = seen[-1] if seen else 0
            if before >= total:  # through before this kill: the restart below has nothing
                break
            rhtest.wait_for(lambda: warnings_count(ns) > before, 60, "more warnings rows",
                            join=led, interval=0.02)
            # somewhere in the first quarter of what is left (a fixed stretch reached
            # the end before the second kill when the ledger ran fast)
            target = min(total, before + random.randrange(1, max(2, (total - before) // 4)))
            rhtest.wait_for(lambda: warnings_count(ns) >= target, 60,
                            "more warnings rows", join=led, interval=0.01)
            led.kill()
            kills += 1
            seen.append(warnings_count(ns))
    finally:
        if led:
            led.kill()
    mid = [n for n in seen if n < total]
    assert len(mid) >= 2, (f"fewer than two SIGKILLs landed mid-way ({seen} of {total} rows): "
                           f"raise RH_LEDGER_BIG_ROWS")
    final = run_ledger(ns, *args, log_dir=tmp_path / "logs", timeout=300)
    s = final.summary()
    n_w, *_ = assert_rows_equal(ns)
    assert n_w == total
    assert s["existing"] == 0, f"the restart wrote rows again: {s}"
    assert s["warnings"] == total - seen[-1], f"summary {s}; rows before the restart {seen[-1]}"
    assert not offsets_at_end(ns)
    print(f"SIGKILL x{kills}; warnings rows at each: {seen} of {total}")


def test_exit_codes_without_a_run(namespace, tmp_path):
    ledger = str(rhtest.ledger_binary())
    r = subprocess.run([ledger, "--no-such-option"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 64, f"usage: exit {r.returncode}"
    r = subprocess.run([ledger, "--batch-max", "0"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 64, f"--batch-max 0: exit {r.returncode}"
    r = subprocess.run([ledger, "--config", str(tmp_path / "missing.yaml")], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 78, f"missing config: exit {r.returncode}: {scrub(r.stderr)}"
    # a database without the ledger's tables (not migrated): 78, saying what to do
    bare = namespace(database=False)
    dbname = f"riskhub_test_{os.urandom(6).hex()}"
    conninfo = rhtest.create_database(dbname)
    try:
        r = subprocess.run([ledger, "--config", str(rhtest.CONFIG), "--wait-s", "5"],
                           capture_output=True, text=True, timeout=60,
                           env=bare.env(RH_PG_CONNINFO=conninfo))
    finally:
        rhtest.drop_database(dbname)
    assert r.returncode == 78, f"not migrated: exit {r.returncode}: {scrub(r.stderr)}"
    assert "riskhub-registry migrate" in r.stderr, scrub(r.stderr)
    # the broker away longer than --wait-s: 69
    ns = namespace()
    r = subprocess.run([ledger, "--config", str(rhtest.CONFIG), "--wait-s", "2"],
                       capture_output=True, text=True, timeout=120,
                       env=ns.env(RH_KAFKA_BOOTSTRAP="127.0.0.1:1"))
    assert r.returncode == 69, f"broker away: exit {r.returncode}: {scrub(r.stderr)}"
    rhtest.assert_no_full_id(r.stdout, r.stderr)


def test_a_topic_made_after_the_ledger_joined_is_written_before_all_written(ns, month, tmp_path):
    """The townships' alert topics are made by the join while a ledger runs whose
    librdkafka would learn of them only at its next metadata refresh (set to 10 min
    here): before saying "all written" the ledger finds their partitions assigned to
    no member of its group, joins the group again and writes them; nothing is left
    out of a run that exits 0."""
    files = rhtest.feed_files(month / PERIOD)[:3]
    for f in files:
        ns.produce(*f[:3])
    assert not ns.topics("alerts."), "the join has not run yet: no alerts topic"
    cfg = rhtest.config_with(tmp_path, topic_metadata_refresh_interval_ms=600000)
    log_dir = tmp_path / "logs"
    led = ns.ledger("--idle-exit-ms", 25000, log_dir=log_dir, config=cfg)
    try:
        rhtest.wait_for(lambda: "partitions; positions from PostgreSQL" in led.stderr, 60,
                        "the ledger's first assignment")
        run_join(ns, tmp_path)
        assert ns.topics("alerts."), "the join made no alerts topic"
        rc = led.wait(180)
    finally:
        # a failure above must not leave the ledger running past the test: once the
        # namespace's credentials are gone it retries them for as long as it lives
        led.kill()
    assert rc == 0, f"riskhub-ledger exit {rc}:\n{led.tail()}"
    assert "assigned to no member of group" in led.stderr, led.tail()
    n_w, n_c, n_u, n_m = assert_rows_equal(ns)
    assert n_w > 0, "the month gave no warning"
    assert not offsets_at_end(ns), f"positions short of the ends: {offsets_at_end(ns)}"
