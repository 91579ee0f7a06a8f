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

import pytest

import rhtest
from rhtest import PERIOD, psql, run_join, run_ledger, scrub

if not rhtest.ledger_binary().exists() and not (rhtest.SRC / "consumers" / "ledger" / "main.c").exists():
    pytest.skip("riskhub-ledger is not part of this tree yet", allow_module_level=True)

HOUSEHOLDS = 3000
BIG_ROWS = int(os.environ.get("RH_LEDGER_BIG_ROWS", "60000"))
MONTH = dict(households=HOUSEHOLDS, rows_per_feed=40, seed=20261, big_feed_rows=BIG_ROWS)

AUDIT_SQL = """
CREATE TABLE ledger_audit (kind text, id text);
CREATE FUNCTION ledger_audit_w() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ledger_audit VALUES ('warning', NEW.alert_id); RETURN NEW; END $$;
CREATE FUNCTION ledger_audit_c() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ledger_audit VALUES ('check', NEW.check_id); RETURN NEW; END $$;
CREATE TRIGGER ledger_audit_w BEFORE INSERT ON warnings FOR EACH ROW EXECUTE FUNCTION ledger_audit_w();
CREATE TRIGGER ledger_audit_c BEFORE INSERT ON check_results FOR EACH ROW EXECUTE FUNCTION ledger_audit_c();
"""


@pytest.fixture
def ns(namespace, month):
    assert rhtest.ledger_binary().exists(), f"{rhtest.ledger_binary()} not built"
    n = namespace(month / "registry")
    psql(n.conninfo, AUDIT_SQL)
    return n


def topic_rows(ns):
    """What the join's topics hold read_committed: ({alert_id: warnings row},
    {check_id: check_results row}), township alerts only (alerts.unmatched gives no row)."""
    warnings, checks = {}, {}
    for topic, _key, a, _m in ns.read("alerts."):
        if topic == "alerts.unmatched":
            continue
        assert a["alert_id"] not in warnings, f"alert {a['alert_id'][:12]} twice on the topics"
        warnings[a["alert_id"]] = (a["household_id"], a["township_code"], a["period"], a["risk"],
                                   a["rule_id"], "PUSHED")
    for _topic, _key, c, _m in ns.read("checks."):
        assert c["check_id"] not in checks, f"check {c['check_id'][:12]} twice on the topics"
        src = c["source"]
        checks[c["check_id"]] = (c["period"], c["township_code"], c["household_id"],
                                 c["member_id_number"], c["department"], c["feed"],
                                 "t" if c["matched"] else "f", "t" if c["complete"] else "f",
                                 src["topic"] if src else "", str(src["offset"]) if src else "")
    return warnings, checks


def db_rows(ns):
    w = {r[0]: tuple(r[1:]) for r in rhtest.pg_rows(
        ns.conninfo, "SELECT alert_id, household_id, township_code, period, risk, rule_id, state "
                     "FROM warnings")}
    c = {r[0]: tuple(r[1:]) for r in rhtest.pg_rows(
        ns.conninfo, "SELECT check_id, period, township_code, household_id, member_id_number, "
                     "department, feed, matched, complete, coalesce(source_topic, ''), "
                     "coalesce(source_offset::text, '') FROM check_results")}
    return w, c


def assert_rows_equal(ns):
    """The rows equal the topics (ids and columns), and every id was proposed once."""
    want_w, want_c = topic_rows(ns)
    got_w, got_c = db_rows(ns)
    for what, want, got in (("warnings", want_w, got_w), ("check_results", want_c, got_c)):
        missing, extra = want.keys() - got.keys(), got.keys() - want.keys()
        assert not missing and not extra, (f"{what}: {len(missing)} missing (e.g. "
                                           f"{[k[:12] for k in list(missing)[:5]]}), {len(extra)} "
                                           f"not on the topics")
        differ = [k[:12] for k in want if want[k] != got[k]]
        assert not differ, f"{what}: {len(differ)} rows differ from their record (e.g. {differ[:5]})"
    twice = rhtest.pg_rows(ns.conninfo, "SELECT kind, left(id, 12), count(*) FROM ledger_audit "
                                        "GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5")
    n_twice = psql(ns.conninfo, "SELECT count(*) FROM (SELECT 1 FROM ledger_audit GROUP BY kind, id "
                                "HAVING count(*) > 1) t")
    assert n_twice == "0", f"{n_twice} rows written more than once (e.g. {twice})"
    return len(want_w), len(want_c)


def offsets_at_end(ns):
    """ledger_offsets against the topics' ends: {(topic, partition): (next, end)} where they
    differ by more than the one transaction marker after the last record."""
    pos = {(t, int(p)): int(n) for t, p, n in rhtest.pg_rows(
        ns.conninfo, "SELECT topic, partition, next_offset FROM ledger_offsets")}
    bad = {}
    for family in ("alerts.", "checks."):
        for t in ns.topics(family):
            if t.endswith("alerts.unmatched"):
                continue
            for p, hi in rhtest.end_offsets(t).items():
                n = pos.get((t, p), 0)
                if not (hi - 1 <= n <= hi) and hi > 0:
                    bad[(t, p)] = (n, hi)
    return bad


def test_rows_equal_the_topics_and_a_second_run_adds_nothing(ns, month, tmp_path):
    files = rhtest.feed_files(month / PERIOD)
    for dept, feed, path in files:
        ns.produce(dept, feed, path)
    run_join(ns, tmp_path)

    led = run_ledger(ns, log_dir=tmp_path / "logs")
    s = led.summary()
    n_w, n_c = assert_rows_equal(ns)
    assert n_w > 0 and n_c > 0, f"the month gave {n_w} warnings and {n_c} check results"
    assert (s["warnings"], s["checks"], s["existing"], s["skipped"]) == (n_w, n_c, 0, 0), \
        f"summary {s}; topics: {n_w} warnings, {n_c} check results"
    assert s["records"] == n_w + n_c
    assert not offsets_at_end(ns), f"positions short of the ends: {offsets_at_end(ns)}"
    # deadlines from the config, state PUSHED
    assert psql(ns.conninfo, "SELECT count(*) FROM warnings WHERE visit_due IS NULL OR "
                             "comparison_due IS NULL OR state <> 'PUSHED'") == "0"

    again = run_ledger(ns, log_dir=tmp_path / "logs")
    s2 = again.summary()
    assert (s2["records"], s2["warnings"], s2["checks"], s2["existing"]) == (0, 0, 0, 0), \
        f"a second run did something: {s2}"
    assert_rows_equal(ns)

    # the audit can tell: another consumer name (no positions in PostgreSQL) reads
    # everything again; ON CONFLICT keeps the rows single, the audit sees each twice
    other = run_ledger(ns, "--group", ns.topic("ledger-audit-probe"), log_dir=tmp_path / "logs")
    s3 = other.summary()
    assert (s3["warnings"], s3["checks"], s3["existing"]) == (0, 0, n_w + n_c), f"summary {s3}"
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
    args = ("--batch-max", "300", "--batch-ms", "20")
    seen, kills = [], 0
    led = None
    try:
        for _ in range(4):
            led = ns.ledger(*args, log_dir=tmp_path / "logs")
            before = seen[-1] if seen else 0
            rhtest.wait_for(lambda: warnings_count(ns) > before, 60, "more warnings rows",
                            join=led, interval=0.02)
            # somewhere in the next stretch of batches
            rhtest.wait_for(lambda: warnings_count(ns) > before + random.randrange(1, 600), 60,
                            "more warnings rows", join=led, interval=0.01)
            led.kill()
            kills += 1
            seen.append(warnings_count(ns))
    finally:
        if led:
            led.kill()
    assert seen[-1] < total, (f"the ledger was through ({seen[-1]} of {total} rows) before the "
                              f"last SIGKILL: raise RH_LEDGER_BIG_ROWS")
    final = run_ledger(ns, *args, log_dir=tmp_path / "logs", timeout=300)
    s = final.summary()
    n_w, _ = assert_rows_equal(ns)
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
